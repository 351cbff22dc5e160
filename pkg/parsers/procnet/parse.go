// Package procnet parses the kernel's protocol counters in /proc/net/snmp and
// /proc/net/netstat (pairs of "Udp: InDatagrams NoPorts ..." / "Udp: 12 0 ..." lines),
// and the one-counter-per-line /proc/net/snmp6. Read before and after a capture, they
// show UDP receive errors, socket buffer overruns and retransmissions while DNS failed.
package procnet

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Result holds counters by group ("Ip", "Udp", "TcpExt", "Ip6", ...) and name. Values
// are signed because the kernel prints Tcp MaxConn as -1.
type Result struct {
	Values map[string]map[string]int64
	// Lines has the same shape as Values: the line each value was read from.
	Lines map[string]map[string]int
	// Groups lists the groups in the order the file has them.
	Groups []string
}

// Get returns counter key of group, e.g. Get("Udp", "InErrors").
func (r *Result) Get(group, key string) (int64, bool) {
	v, ok := r.Values[group][key]
	return v, ok
}

// Line returns the line counter key of group was read from, 0 when absent.
func (r *Result) Line(group, key string) int { return r.Lines[group][key] }

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	n := 0
	for _, g := range r.Values {
		n += len(g)
	}
	return fmt.Sprintf("%d groups, %d counters", len(r.Values), n)
}

type header struct {
	group string
	names [][]byte
	line  int
}

// Parse reads /proc/net/snmp, /proc/net/netstat or /proc/net/snmp6 content, or
// several of them concatenated.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	r := &Result{Values: map[string]map[string]int64{}, Lines: map[string]map[string]int{}}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not /proc/net/snmp or /proc/net/netstat")
		return r, ds
	}
	var (
		pending    *header
		unreadable int
		nonBlank   bool
		firstLine  = map[string]int{}
		fields     [][]byte
	)
	flush := func() {
		if pending != nil {
			ds.Warnf(pending.line, "%s header has no value line after it", pending.group)
			pending = nil
		}
	}
	sc := lines.New(data)
	for sc.Next() {
		line := bytes.TrimLeft(sc.Bytes(), " \t")
		n := sc.Num()
		if len(line) == 0 {
			continue
		}
		nonBlank = true
		if line[0] == '#' {
			continue
		}
		fields = lines.Fields(fields, line)
		group, ok := groupPrefix(fields[0])
		if !ok {
			flush()
			if len(fields) == 2 && r.addSnmp6(fields[0], fields[1], n, firstLine, &ds) {
				continue
			}
			unreadable++
			ds.Warnf(n, "unreadable line %q: want \"Group: names\" or \"Group: values\"", lines.Clip(line))
			continue
		}
		toks := fields[1:]
		// A value line is told from a repeated header by holding numbers at all, so
		// that one corrupt value does not turn it into a header.
		if pending != nil && pending.group == group && (len(toks) == 0 || anyInt(toks)) {
			r.addPair(pending, toks, n, firstLine, &ds)
			pending = nil
			continue
		}
		flush()
		if anyInt(toks) {
			unreadable++
			ds.Warnf(n, "%s values without a header line before them", group)
			continue
		}
		pending = &header{group: group, names: append([][]byte(nil), toks...), line: n}
	}
	flush()
	if len(r.Values) == 0 {
		switch {
		case unreadable > 0:
			ds.Addf(diag.Error, 0, "no counters found: not /proc/net/snmp or /proc/net/netstat")
		case nonBlank:
			ds.Warnf(0, "no counters found")
		default:
			ds.Addf(diag.Info, 0, "empty input")
		}
	}
	return r, ds
}

// addPair stores one header/value line pair.
func (r *Result) addPair(h *header, vals [][]byte, line int, firstLine map[string]int, ds *diag.List) {
	if len(vals) != len(h.names) {
		ds.Warnf(line, "%s has %d names (line %d) but %d values; only the first %d are paired",
			h.group, len(h.names), h.line, len(vals), min(len(vals), len(h.names)))
	}
	if first, dup := firstLine[h.group]; dup {
		ds.Warnf(line, "%s appears again (first on line %d); the later values are kept", h.group, first)
	}
	firstLine[h.group] = line
	bad, firstBad := 0, ""
	for i := 0; i < len(vals) && i < len(h.names); i++ {
		v, err := strconv.ParseInt(string(vals[i]), 10, 64)
		if err != nil {
			if bad == 0 {
				firstBad = fmt.Sprintf("%s=%s", h.names[i], lines.Clip(vals[i]))
			}
			bad++
			continue
		}
		r.set(h.group, string(h.names[i]), v, line)
	}
	if bad > 0 {
		ds.Warnf(line, "%d %s values are not integers (first: %s)", bad, h.group, firstBad)
	}
	if _, ok := r.Values[h.group]; !ok {
		// An empty pair still tells that the group exists.
		r.Values[h.group] = map[string]int64{}
		r.Lines[h.group] = map[string]int{}
		r.Groups = append(r.Groups, h.group)
	}
}

// addSnmp6 stores a /proc/net/snmp6 line such as "Udp6InErrors  3": the group is the
// name up to its first '6' (Ip6, Icmp6, Udp6, UdpLite6).
func (r *Result) addSnmp6(name, val []byte, line int, firstLine map[string]int, ds *diag.List) bool {
	i := bytes.IndexByte(name, '6')
	if i <= 0 || i == len(name)-1 || !isLetters(name[:i]) {
		return false
	}
	v, err := strconv.ParseInt(string(val), 10, 64)
	if err != nil {
		return false
	}
	group, key := string(name[:i+1]), string(name[i+1:])
	if _, dup := r.Values[group][key]; dup {
		ds.Warnf(line, "%s%s appears again (first on line %d); the later value is kept", group, key, r.Lines[group][key])
	}
	if _, ok := firstLine[group]; !ok {
		firstLine[group] = line
	}
	r.set(group, key, v, line)
	return true
}

func (r *Result) set(group, key string, v int64, line int) {
	g, ok := r.Values[group]
	if !ok {
		g = map[string]int64{}
		r.Values[group] = g
		r.Lines[group] = map[string]int{}
		r.Groups = append(r.Groups, group)
	}
	g[key] = v
	r.Lines[group][key] = line
}

// groupPrefix recognises "Udp:" and returns "Udp".
func groupPrefix(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[len(tok)-1] != ':' || !isLetters(tok[:len(tok)-1]) {
		return "", false
	}
	return string(tok[:len(tok)-1]), true
}

func isLetters(b []byte) bool {
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return len(b) > 0
}

func anyInt(toks [][]byte) bool {
	for _, t := range toks {
		if isInt(t) {
			return true
		}
	}
	return false
}

func isInt(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
