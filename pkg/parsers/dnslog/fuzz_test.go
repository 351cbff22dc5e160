package dnslog

import (
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

func FuzzParse(f *testing.F) {
	parsertest.AddSeeds(f, "testdata/*.log")
	f.Add([]byte("==>  <==\n[ERROR] plugin/errors: ->[:::53: i/o timeout\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := Parse(data)
		if r == nil {
			t.Fatal("nil result")
		}
		n := parsertest.CountLines(data)
		parsertest.CheckDiags(t, ds, n)
		for _, e := range r.Events {
			if e.Line < 1 || e.Line > n || e.Kind == "" {
				t.Fatalf("bad event %+v", e)
			}
		}
		_ = r.Summary()
	})
}
