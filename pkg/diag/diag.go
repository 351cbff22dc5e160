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

// Addf appends a diagnostic for a line.
func (l *List) Addf(sev Severity, line int, format string, args ...any) {
	*l = append(*l, Diagnostic{Severity: sev, Line: line, Msg: fmt.Sprintf(format, args...)})
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
