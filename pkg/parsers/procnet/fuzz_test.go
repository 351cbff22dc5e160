package procnet

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("Tcp: RtoAlgorithm MaxConn\nTcp: 1 -1\nUdp: InDatagrams InErrors\nUdp: 10\n"))
	f.Add([]byte("Ip6InReceives \t1204\nUdp: 1 2\nIcmpMsg:\nIcmpMsg:\n"))
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
		if r == nil || r.Values == nil || r.Lines == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		if len(r.Groups) != len(r.Values) {
			t.Fatalf("groups %v but %d groups of values", r.Groups, len(r.Values))
		}
		for g, kv := range r.Values {
			for k := range kv {
				if r.Line(g, k) < 1 {
					t.Fatalf("%s %s has no line", g, k)
				}
			}
		}
		_ = r.Summary()
	})
}
