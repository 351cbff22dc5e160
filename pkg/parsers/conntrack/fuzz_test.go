package conntrack

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("cpu=0   \tfound=0 invalid=255 ignore=33 insert_failed=0 \ncpu=1 entries=3\n"))
	f.Add([]byte("entries  clashres found\n00000138  00000004 0000002f\n"))
	f.Add([]byte("entries   \t\t312     \nconntrack v1.4.6 (conntrack-tools): x\n"))
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
		if r == nil || r.Total == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		seen := map[int]bool{}
		for _, c := range r.CPUs {
			if c.Line < 1 || c.Values == nil || seen[c.CPU] {
				t.Fatalf("bad CPU %+v", c)
			}
			seen[c.CPU] = true
			for k := range c.Values {
				if _, ok := r.Total[k]; !ok {
					t.Fatalf("%s missing from totals", k)
				}
			}
		}
		_ = r.Summary()
	})
}
