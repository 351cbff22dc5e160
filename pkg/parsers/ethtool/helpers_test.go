package ethtool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// realdataDir finds ../shared/realdata next to the module root, wherever the tests
// run from.
func realdataDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rd := filepath.Join(dir, "..", "shared", "realdata")
			if _, err := os.Stat(rd); err != nil {
				return "", err
			}
			return rd, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fs.ErrNotExist
		}
		dir = parent
	}
}

// realdata reads a real sample, skipping the test when the folder is not there.
func realdata(t *testing.T, rel string) []byte {
	t.Helper()
	dir, err := realdataDir()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("../shared/realdata absent: real-sample test skipped")
	}
	if err != nil {
		t.Fatal(err)
	}
	return readFile(t, filepath.Join(dir, rel))
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
