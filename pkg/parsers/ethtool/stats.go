package ethtool

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Stat is one NIC counter.
type Stat struct {
	Line int
	// Name is everything before the last ": ", as the driver spelled it: bnx2x prints
	// per-queue counters as "[0]: rx_bytes", netlink's standard groups as
	// "eth-mac-FramesReceivedOK".
	Name  string
	Value uint64
}

// StatsResult is what `ethtool -S IFNAME` printed.
type StatsResult struct {
	// Interface comes from a "Standard stats for eth0:" header (ethtool --all-groups);
	// the classic "NIC statistics:" header does not name it.
	Interface string
	// Counters keeps the driver's order; Stats indexes them by name (a name the
	// driver repeats keeps its last value there).
	Counters []Stat
	Stats    map[string]uint64
}

// Get returns the counter called name.
func (r *StatsResult) Get(name string) (uint64, bool) {
	v, ok := r.Stats[name]
	return v, ok
}

// Summary gives the counts `analyze inspect` prints.
func (r *StatsResult) Summary() string {
	nonzero := 0
	for _, c := range r.Counters {
		if c.Value != 0 {
			nonzero++
		}
	}
	iface := ""
	if r.Interface != "" {
		iface = r.Interface + ": "
	}
	return fmt.Sprintf("%s%d counters (%d non-zero)", iface, len(r.Counters), nonzero)
}

// ParseStats reads `ethtool -S IFNAME` output, including the standard counter groups
// newer ethtool adds with --all-groups.
func ParseStats(data []byte) (*StatsResult, []diag.Diagnostic) {
	r := &StatsResult{Stats: map[string]uint64{}}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not `ethtool -S` output")
		return r, ds
	}
	firstLine := map[string]int{}
	unreadable, nonBlank := 0, false
	sc := lines.New(data)
	for sc.Next() {
		line := bytes.TrimLeft(sc.Bytes(), " \t")
		if len(line) == 0 {
			continue
		}
		n := sc.Num()
		nonBlank = true
		if line[len(line)-1] == ':' {
			// "NIC statistics:", "Standard stats for eth0:"; a counter always has a value.
			if rest, ok := bytes.CutPrefix(line[:len(line)-1], []byte("Standard stats for ")); ok && r.Interface == "" {
				r.Interface = string(bytes.TrimSpace(rest))
			}
			continue
		}
		if ethtoolMessage(line) || bytes.HasPrefix(line, []byte("no stats available")) {
			ds.Addf(diag.Info, n, "ethtool said: %s", lines.Clip(line))
			continue
		}
		i := bytes.LastIndexByte(line, ':')
		if i <= 0 {
			unreadable++
			ds.Warnf(n, "unreadable counter line %q", lines.Clip(line))
			continue
		}
		name := string(bytes.TrimSpace(line[:i]))
		v, err := strconv.ParseUint(string(bytes.TrimSpace(line[i+1:])), 10, 64)
		if err != nil || name == "" {
			unreadable++
			ds.Warnf(n, "unreadable counter line %q", lines.Clip(line))
			continue
		}
		if first, dup := firstLine[name]; dup {
			ds.Addf(diag.Info, n, "counter %s repeated (first on line %d); the last value is used", name, first)
		} else {
			firstLine[name] = n
		}
		r.Counters = append(r.Counters, Stat{Line: n, Name: name, Value: v})
		r.Stats[name] = v
	}
	if len(r.Counters) == 0 {
		switch {
		case unreadable > 0:
			ds.Addf(diag.Error, 0, "no counter lines found: not `ethtool -S` output")
		case nonBlank:
			ds.Warnf(0, "no counters listed")
		default:
			ds.Addf(diag.Info, 0, "empty input")
		}
	}
	return r, ds
}
