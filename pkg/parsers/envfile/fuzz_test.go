package envfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("export A=\"x \\\" y\" # c\nB='z'\nA=2\n=bad\n"))
	f.Add([]byte("A=1\x00B=\"q\x00\x00junk\x00"))
	for _, g := range []string{"testdata/good/*", "testdata/bad/*"} {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := Parse(data)
		if r == nil {
			t.Fatal("nil result")
		}
		// NUL-separated input numbers entries, not lines.
		checkDiags(t, ds, max(countLines(data), bytes.Count(data, []byte{0})+1))
		seen := map[string]bool{}
		for _, v := range r.Vars {
			if v.Line < 1 || v.Name == "" || seen[v.Name] {
				t.Fatalf("bad variable %+v", v)
			}
			seen[v.Name] = true
			if got, ok := r.Get(v.Name); !ok || got != v {
				t.Fatalf("Get(%q) = %+v, want %+v", v.Name, got, v)
			}
		}
		_ = r.Summary()
	})
}
