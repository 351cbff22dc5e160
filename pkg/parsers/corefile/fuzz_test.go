package corefile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(".:53 {\n}}\n{ {$\n\"x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := Parse(data)
		if r == nil {
			t.Fatal("nil result")
		}
		parsertest.CheckDiags(t, ds, parsertest.CountLines(data))
		_ = r.Summary()
	})
}
