// Package diag holds the diagnostics every stage of podnetdiag reports about its
// input: a parser that skips a line, a bundle file that is missing, a rule that
// cannot be evaluated. A diagnostic always points at a place a person can open.
package diag

import (
	"fmt"
	"sort"
)

// Severity orders diagnostics; Error means the input is not what it claims to be,
// Warning means a part of it was skipped, Info is context.
type Severity int

const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText lets JSON reports carry the name, not the number.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Diagnostic is one remark about one place of the input. Line is 1-based; 0 means
// the remark is about the file as a whole. Parsers leave File empty (they do no
// I/O and do not know where their bytes came from); the caller fills it in.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Msg      string   `json:"message"`

	// dropped > 0 marks the diagnostic standing for that many more that were
	// not kept (see MaxPerList).
	dropped int
}

func (d Diagnostic) String() string {
	loc := d.File
	if loc == "" {
		loc = "<input>"
	}
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, d.Line)
	}
	return fmt.Sprintf("%s: %s: %s", loc, d.Severity, d.Msg)
}

// List collects diagnostics; the zero value is ready to use.
type List []Diagnostic

// MaxPerList bounds the diagnostics kept of one file: a file of garbage
// gives one per line, millions of them, and the first hundred say as much as
// all. The rest are counted in one more diagnostic (Dropped reads the count).
const MaxPerList = 100

// Addf appends a diagnostic for a line; past MaxPerList it only counts it.
func (l *List) Addf(sev Severity, line int, format string, args ...any) {
	if len(*l) >= MaxPerList {
		*l = countDropped(*l, sev, 1)
		return
	}
	*l = append(*l, Diagnostic{Severity: sev, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// countDropped adds n dropped diagnostics of severity sev to the counting
// diagnostic at the end of ds, appending it if there is none.
func countDropped(ds []Diagnostic, sev Severity, n int) []Diagnostic {
	if len(ds) == 0 || ds[len(ds)-1].dropped == 0 {
		ds = append(ds, Diagnostic{Severity: sev})
	}
	last := &ds[len(ds)-1]
	last.dropped += n
	last.Severity = max(last.Severity, sev)
	last.Msg = fmt.Sprintf("%d more diagnostics of this file are not listed (only the first %d are)", last.dropped, MaxPerList)
	return ds
}

// Cap keeps the first MaxPerList diagnostics of ds (one file's) and counts
// the rest in one more; ds is not modified.
func Cap(ds []Diagnostic) []Diagnostic {
	kept := 0
	for _, d := range ds {
		if d.dropped == 0 {
			kept++
		}
	}
	if kept <= MaxPerList {
		return ds
	}
	out := make([]Diagnostic, 0, MaxPerList+1)
	for _, d := range ds {
		switch {
		case d.dropped > 0:
			out = countDropped(out, d.Severity, d.dropped)
		case len(out) >= MaxPerList:
			out = countDropped(out, d.Severity, 1)
		default:
			out = append(out, d)
		}
	}
	return out
}

// Dropped is how many diagnostics of ds were counted but not kept.
func Dropped(ds []Diagnostic) int {
	n := 0
	for _, d := range ds {
		n += d.dropped
	}
	return n
}

// Warnf records a skipped or doubtful line, the common case in parsers.
func (l *List) Warnf(line int, format string, args ...any) { l.Addf(Warning, line, format, args...) }

// WithFile returns a copy of ds with File set on each diagnostic that has none.
func WithFile(ds []Diagnostic, file string) []Diagnostic {
	out := make([]Diagnostic, len(ds))
	for i, d := range ds {
		if d.File == "" {
			d.File = file
		}
		out[i] = d
	}
	return out
}

// Max returns the highest severity in ds, and false when ds is empty.
func Max(ds []Diagnostic) (Severity, bool) {
	if len(ds) == 0 {
		return Info, false
	}
	m := ds[0].Severity
	for _, d := range ds[1:] {
		if d.Severity > m {
			m = d.Severity
		}
	}
	return m, true
}

// Sort orders diagnostics by file, then line, for deterministic output.
func Sort(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].File != ds[j].File {
			return ds[i].File < ds[j].File
		}
		return ds[i].Line < ds[j].Line
	})
}
