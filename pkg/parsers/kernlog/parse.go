// Package kernlog reads the kernel log a bundle holds (host/dmesg.txt): the output
// of `dmesg -T`, plain `dmesg`, `dmesg -x` (facility and level prefix), `dmesg
// --time-format iso`, or `journalctl -k` in its short and short-iso forms. It
// keeps every message with its line and classifies the few that explain pod DNS
// timeouts: the conntrack table overflowing, the neighbour table overflowing, IPVS
// errors.
//
// A kernel log is free text: a line without a recognised prefix is kept as a
// message (dmesg -t prints none), never reported.
package kernlog

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Event kinds.
const (
	KindConntrackFull = "conntrack-table-full" // nf_conntrack: table full, dropping packet
	KindNeighOverflow = "neighbour-overflow"   // neighbour: arp_cache: neighbor table overflow!
	KindIPVS          = "ipvs"                 // IPVS: ... (errors and warnings of the IPVS module)
	KindSuppressed    = "callbacks-suppressed" // net_ratelimit: N callbacks suppressed
)

// Entry is one kernel message.
type Entry struct {
	Line int
	// Time is the timestamp as printed ("Mon Dec  7 10:01:02 2026",
	// "12345.678901", "Dec 07 10:01:02"), "" when the line has none.
	Time string
	Msg  string
	// Kind is one of the Kind* constants, "" for any other message.
	Kind string
}

// Result is the kernel log.
type Result struct {
	Entries []Entry
	// Shape is "dmesg", "journalctl" or "plain" (no timestamps): it tells how the
	// log was taken.
	Shape string
}

// Count returns how many messages of kind the log holds.
func (r *Result) Count(kind string) int {
	n := 0
	for _, e := range r.Entries {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// First returns the first message of kind, and whether there is one.
func (r *Result) First(kind string) (Entry, bool) {
	for _, e := range r.Entries {
		if e.Kind == kind {
			return e, true
		}
	}
	return Entry{}, false
}

// Summary is one line for `analyze inspect`.
func (r *Result) Summary() string {
	s := fmt.Sprintf("%d kernel messages (%s)", len(r.Entries), r.Shape)
	if n := r.Count(KindConntrackFull); n > 0 {
		s += fmt.Sprintf(", %d conntrack table full", n)
	}
	if n := r.Count(KindNeighOverflow); n > 0 {
		s += fmt.Sprintf(", %d neighbour table overflow", n)
	}
	return s
}

var (
	// [Mon Dec  7 10:01:02 2026] msg, [ 1234.567890] msg
	bracketTime = regexp.MustCompile(`^\[\s*([^\]]{1,40})\]\s?`)
	// kern  :warn  : [...] msg (dmesg -x)
	facility = regexp.MustCompile(`^[a-z]{2,8}\s*:[a-z]{2,7}\s*:\s?`)
	// Dec 07 10:01:02 node-1 kernel: msg (journalctl -k)
	journalShort = regexp.MustCompile(`^([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d)\s+(\S+)\s+kernel:\s?`)
	// 2026-12-07T10:01:02+0000 node-1 kernel: msg (journalctl -k -o short-iso)
	journalISO = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[^ ]*)\s+(\S+)\s+kernel:\s?`)
	// 2026-12-07T10:01:02,123456+00:00 msg (dmesg --time-format iso)
	dmesgISO = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[,.]\d+[+-]\d\d:?\d\d)\s`)
)

// Parse reads a kernel log. An empty file (or journalctl's "-- No entries --")
// is an empty log; dmesg refusing to read the buffer is an error, so the log is
// treated as not known.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	r := &Result{Shape: "plain"}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not a kernel log")
		return r, ds
	}
	stamped, journal := 0, 0
	sc := lines.New(data)
	for sc.Next() {
		line := bytes.TrimSpace(sc.Bytes())
		n := sc.Num()
		if len(line) == 0 {
			continue
		}
		s := string(line)
		if strings.HasPrefix(s, "-- ") && strings.HasSuffix(s, " --") {
			// journalctl's "-- Logs begin at ... --", "-- No entries --", "-- Boot ... --"
			continue
		}
		if strings.HasPrefix(s, "dmesg: ") || strings.HasPrefix(s, "journalctl: ") {
			sev := diag.Warning
			if strings.Contains(s, "Operation not permitted") || strings.Contains(s, "failed") || strings.Contains(s, "No journal files") {
				sev = diag.Error
			}
			ds.Addf(sev, n, "the command said: %s", lines.Clip(line))
			continue
		}
		e := Entry{Line: n}
		if m := facility.FindString(s); m != "" {
			s = s[len(m):]
		}
		switch {
		case journalShort.MatchString(s):
			m := journalShort.FindStringSubmatch(s)
			e.Time, s = m[1], s[len(m[0]):]
			journal++
		case journalISO.MatchString(s):
			m := journalISO.FindStringSubmatch(s)
			e.Time, s = m[1], s[len(m[0]):]
			journal++
		case dmesgISO.MatchString(s):
			m := dmesgISO.FindStringSubmatch(s)
			e.Time, s = m[1], s[len(m[0]):]
			stamped++
		}
		// journalctl on older systemd keeps the kernel's own [ 123.456] stamp.
		if m := bracketTime.FindStringSubmatch(s); m != nil {
			if e.Time == "" {
				e.Time = strings.TrimSpace(m[1])
				stamped++
			}
			s = s[len(m[0]):]
		}
		e.Msg = s
		e.Kind = classify(s)
		r.Entries = append(r.Entries, e)
	}
	switch {
	case journal > 0 && journal >= stamped:
		r.Shape = "journalctl"
	case stamped > 0:
		r.Shape = "dmesg"
	}
	return r, ds
}

func classify(msg string) string {
	switch {
	case strings.Contains(msg, "nf_conntrack: table full") || strings.Contains(msg, "ip_conntrack: table full"):
		return KindConntrackFull
	case strings.Contains(msg, "neighbor table overflow") || strings.Contains(msg, "neighbour table overflow"):
		return KindNeighOverflow
	case strings.HasPrefix(msg, "IPVS:") || strings.HasPrefix(msg, "IPVS "):
		return KindIPVS
	case strings.Contains(msg, "callbacks suppressed"):
		return KindSuppressed
	}
	return ""
}
