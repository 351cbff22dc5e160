package kernlog

import (
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

func FuzzParse(f *testing.F) {
	parsertest.AddSeeds(f, "testdata/*.txt")
	f.Add([]byte("[\n[]]\n-- --\nkern:x:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := Parse(data)
		if r == nil {
			t.Fatal("nil result")
		}
		n := parsertest.CountLines(data)
		parsertest.CheckDiags(t, ds, n)
		for _, e := range r.Entries {
			if e.Line < 1 || e.Line > n {
				t.Fatalf("bad line %+v", e)
			}
		}
		_ = r.Summary()
	})
}
