// Package parsertest holds what every parser's tests share: the fuzz property
// for diagnostics, the compact form tables compare diagnostics in, and access to
// the real samples under ../shared/realdata (skipped when that folder is absent).
package parsertest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// DiagKeys reduces diagnostics to "severity@line", what the tables compare; the
// wording is checked where it matters.
func DiagKeys(ds []diag.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s@%d", d.Severity, d.Line))
	}
	return out
}

// ReadFile reads a fixture or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CheckDiags is the fuzz property: every diagnostic has a message and a line
// that is either 0 (the whole file) or a real line of the input.
func CheckDiags(t testing.TB, ds []diag.Diagnostic, nlines int) {
	t.Helper()
	for _, d := range ds {
		if d.Msg == "" || d.Line < 0 || d.Line > nlines {
			t.Fatalf("bad diagnostic %+v (input has %d lines)", d, nlines)
		}
	}
}

// CountLines counts lines as the line scanner numbers them.
func CountLines(b []byte) int {
	n := 0
	for i, c := range b {
		if c == '\n' || i == len(b)-1 {
			n++
		}
	}
	return n
}

// RealDataDir finds ../shared/realdata beside the module root.
func RealDataDir() (string, error) {
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

// RealData reads a real sample, or skips the test when ../shared is absent.
func RealData(t testing.TB, rel string) []byte {
	t.Helper()
	dir, err := RealDataDir()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("../shared/realdata absent: real-sample test skipped")
	}
	if err != nil {
		t.Fatal(err)
	}
	return ReadFile(t, filepath.Join(dir, rel))
}

// AddSeeds adds every file matching the globs to a fuzz target's corpus.
func AddSeeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
}
