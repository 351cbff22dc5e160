// Package conntrack parses `conntrack -S`: the connection tracker's per-CPU
// statistics. A rising insert_failed is the signature of the conntrack insertion race
// that makes one of a pod's parallel A/AAAA DNS queries vanish (the 5 s DNS delay);
// drop and early_drop show a full table.
package conntrack

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// CPUStats is one CPU's counters, named as conntrack prints them (found, invalid,
// insert_failed, drop, early_drop, clash_resolve, chaintoolong, ... and, from older
// versions, entries, searched, new, delete, delete_list).
type CPUStats struct {
	Line   int
	CPU    int
	Values map[string]uint64
}

// Result is the statistics of all CPUs and their totals.
type Result struct {
	CPUs []CPUStats
	// Total sums each counter over the CPUs, except entries: that is the table size,
	// the same global number repeated on every CPU's row, so Total has it once.
	Total map[string]uint64
}

// Get returns the total of counter name.
func (r *Result) Get(name string) (uint64, bool) {
	v, ok := r.Total[name]
	return v, ok
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	s := fmt.Sprintf("%d CPUs", len(r.CPUs))
	for _, k := range [...]string{"insert_failed", "drop", "early_drop", "invalid"} {
		if v, ok := r.Total[k]; ok {
			s += fmt.Sprintf(", %s %d", k, v)
		}
	}
	return s
}

type parser struct {
	r     *Result
	ds    diag.List
	byCPU map[int]int // CPU number → index in r.CPUs
	// hexNames is the header of a raw /proc/net/stat/nf_conntrack table.
	hexNames [][]byte
	hexRow   int
	oldList  bool
}

// Parse reads `conntrack -S` output in any of the shapes conntrack-tools has printed:
// "cpu=0 found=0 invalid=255 ..." lines (1.4 and later, including the "entries=" of
// its /proc fallback), the "entries   28" name-value list of 1.0, and the raw
// /proc/net/stat/nf_conntrack table of hexadecimal rows.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := &parser{r: &Result{Total: map[string]uint64{}}, byCPU: map[int]int{}}
	if lines.Binary(data) {
		p.ds.Addf(diag.Error, 0, "binary data, not `conntrack -S` output")
		return p.r, p.ds
	}
	unreadable, nonBlank := 0, false
	var fields [][]byte
	sc := lines.New(data)
	for sc.Next() {
		line := bytes.TrimLeft(sc.Bytes(), " \t")
		if len(line) == 0 {
			continue
		}
		nonBlank = true
		n := sc.Num()
		fields = lines.Fields(fields, line)
		switch {
		case bytes.HasPrefix(fields[0], []byte("cpu=")):
			p.cpuLine(fields, n)
		case p.hexNames != nil && allHex(fields):
			p.hexLine(fields, n)
		case len(fields) == 2 && isIdent(fields[0]) && isDecimal(fields[1]):
			p.oldListLine(fields, n)
		case string(fields[0]) == "entries" && len(fields) >= 3 && allIdent(fields):
			// The kernel's table header always starts with entries.
			p.hexNames = append([][]byte(nil), fields...)
			p.hexRow = 0
		case bytes.HasPrefix(line, []byte("conntrack")):
			// "conntrack v1.4.6 (conntrack-tools): Operation failed: ..." and the like.
			p.ds.Addf(diag.Info, n, "conntrack said: %s", lines.Clip(line))
		default:
			unreadable++
			p.ds.Warnf(n, "unreadable line %q", lines.Clip(line))
		}
	}
	for _, c := range p.r.CPUs {
		for k, v := range c.Values {
			if k == "entries" {
				p.r.Total[k] = max(p.r.Total[k], v)
				continue
			}
			p.r.Total[k] += v
		}
	}
	if len(p.r.CPUs) == 0 {
		switch {
		case unreadable > 0:
			p.ds.Addf(diag.Error, 0, "no statistics found: not `conntrack -S` output")
		case nonBlank:
			p.ds.Warnf(0, "no statistics found")
		default:
			p.ds.Addf(diag.Info, 0, "empty input")
		}
	}
	return p.r, p.ds
}

// cpu returns the stats of CPU n, creating them at line.
func (p *parser) cpu(n, line int) *CPUStats {
	if i, ok := p.byCPU[n]; ok {
		return &p.r.CPUs[i]
	}
	p.byCPU[n] = len(p.r.CPUs)
	p.r.CPUs = append(p.r.CPUs, CPUStats{Line: line, CPU: n, Values: map[string]uint64{}})
	return &p.r.CPUs[len(p.r.CPUs)-1]
}

// set stores one counter, warning when a CPU's counter is given twice (two outputs
// pasted together) rather than silently adding them up.
func (p *parser) set(c *CPUStats, k string, v uint64, line int) {
	if _, dup := c.Values[k]; dup {
		p.ds.Warnf(line, "cpu %d %s given again; the later value is kept", c.CPU, k)
	}
	c.Values[k] = v
}

// cpuLine reads "cpu=0 \tfound=0 invalid=255 ...". conntrack -S exp prints
// expect_new= and friends for the same CPUs; they join the CPU's other counters.
func (p *parser) cpuLine(fields [][]byte, line int) {
	n, err := strconv.Atoi(string(fields[0][len("cpu="):]))
	if err != nil || n < 0 {
		p.ds.Warnf(line, "unreadable CPU number %q", lines.Clip(fields[0]))
		return
	}
	c := p.cpu(n, line)
	bad := 0
	for _, f := range fields[1:] {
		k, v, ok := bytes.Cut(f, []byte("="))
		if !ok || len(k) == 0 {
			bad++
			continue
		}
		u, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			bad++
			continue
		}
		p.set(c, string(k), u, line)
	}
	if bad > 0 {
		p.ds.Warnf(line, "%d unreadable counters on cpu=%d", bad, n)
	}
}

// hexLine reads one CPU row of /proc/net/stat/nf_conntrack: one hexadecimal column
// per header name, rows in CPU order.
func (p *parser) hexLine(fields [][]byte, line int) {
	if len(fields) != len(p.hexNames) {
		p.ds.Warnf(line, "%d columns under a header of %d; only the first %d are read",
			len(fields), len(p.hexNames), min(len(fields), len(p.hexNames)))
	}
	c := p.cpu(p.hexRow, line)
	p.hexRow++
	for i := 0; i < len(fields) && i < len(p.hexNames); i++ {
		v, err := strconv.ParseUint(string(fields[i]), 16, 64)
		if err != nil {
			// allHex let it through, so only an overlong number gets here.
			p.ds.Warnf(line, "%s value %q out of range", p.hexNames[i], lines.Clip(fields[i]))
			continue
		}
		p.set(c, string(p.hexNames[i]), v, line)
	}
}

// oldListLine reads the "entries   \t\t28" list of conntrack-tools 1.0, which prints
// only the kernel's first CPU row.
func (p *parser) oldListLine(fields [][]byte, line int) {
	v, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		p.ds.Warnf(line, "%s value %q out of range", fields[0], lines.Clip(fields[1]))
		return
	}
	if !p.oldList {
		p.oldList = true
		p.ds.Addf(diag.Info, line, "old `conntrack -S` list: counters of the first CPU only, totals are understated on multi-CPU nodes")
	}
	p.set(p.cpu(0, line), string(fields[0]), v, line)
}

func isIdent(b []byte) bool {
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return len(b) > 0 && !('0' <= b[0] && b[0] <= '9')
}

func allIdent(fs [][]byte) bool {
	for _, f := range fs {
		if !isIdent(f) {
			return false
		}
	}
	return true
}

func isDecimal(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func allHex(fs [][]byte) bool {
	for _, f := range fs {
		if len(f) == 0 {
			return false
		}
		for _, c := range f {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
