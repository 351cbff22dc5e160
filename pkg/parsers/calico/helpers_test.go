package calico

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// realdataPath is rel under ../shared/realdata beside the module root.
func realdataPath(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "realdata", rel), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}

// realdata reads a file of ../shared/realdata, skipping the test when that folder
// is absent.
func realdata(t *testing.T, rel string) []byte {
	t.Helper()
	p, err := realdataPath(rel)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s absent: ../shared/realdata is not beside the module", p)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func testdata(t *testing.T, name string) []byte {
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

// fuzzRealSeeds adds realdata files when they are there; the corpus is only a
// start, so their absence is not worth a skip.
func fuzzRealSeeds(f *testing.F, rels ...string) {
	for _, rel := range rels {
		if p, err := realdataPath(rel); err == nil {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
}
