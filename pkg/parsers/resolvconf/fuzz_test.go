package resolvconf

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n"))
	f.Add([]byte("domain x.\nsearch a b c d e f g\nnameserver fe80::1%eth0 # c\noptions ndots:99999999999999999999 timeout:\n"))
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
		if r == nil || r.Options == nil || r.OptionLines == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		for _, n := range r.Nameservers {
			if n.Line < 1 || !n.Addr.IsValid() {
				t.Fatalf("bad nameserver %+v", n)
			}
		}
		if nd := r.Ndots(); nd < 0 || nd > 15 {
			t.Fatalf("ndots %d", nd)
		}
		_, _ = r.Timeout(), r.Attempts()
		_ = r.EffectiveSearch()
		_ = r.IsLoopbackStub()
		_ = r.Summary()
	})
}
