package uname

import (
	"fmt"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// diagKeys reduces diagnostics to "severity@line", what the tables compare; the
// wording is checked where it matters.
func diagKeys(ds []diag.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s@%d", d.Severity, d.Line))
	}
	return out
}

// checkDiags is the fuzz property: every diagnostic has a message and a line that is
// either 0 (whole file) or a real line of the input.
func checkDiags(t *testing.T, ds []diag.Diagnostic, nlines int) {
	t.Helper()
	for _, d := range ds {
		if d.Msg == "" || d.Line < 0 || d.Line > nlines {
			t.Fatalf("bad diagnostic %+v (input has %d lines)", d, nlines)
		}
	}
}

func countLines(b []byte) int {
	n := 0
	for i, c := range b {
		if c == '\n' || i == len(b)-1 {
			n++
		}
	}
	return n
}
