package kube

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// diagKeys renders diagnostics as "warning@12" for exact comparison in tables.
func diagKeys(ds []diag.Diagnostic) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s@%d", d.Severity, d.Line))
	}
	return out
}

func checkDiags(t *testing.T, ds []diag.Diagnostic, want []string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := diagKeys(ds); !slices.Equal(got, want) {
		t.Errorf("diagnostics = %v, want %v; full: %v", got, want, ds)
	}
}

func noErrors(t *testing.T, ds []diag.Diagnostic) {
	t.Helper()
	for _, d := range ds {
		if d.Severity == diag.Error {
			t.Errorf("unexpected error diagnostic: %v", d)
		}
	}
}

// checkFuzzDiags is the property every fuzz target checks.
func checkFuzzDiags(t *testing.T, ds []diag.Diagnostic) {
	t.Helper()
	for _, d := range ds {
		if d.Line < 0 || d.Msg == "" {
			t.Fatalf("bad diagnostic %+v", d)
		}
	}
}

func fuzzSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data)
		}
	}
}
