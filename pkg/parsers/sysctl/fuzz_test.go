package sysctl

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("net.ipv4.ip_local_port_range = 32768\t60999\nnet.ipv4.conf.vxlan/calico.rp_filter = 1\n"))
	f.Add([]byte("sysctl: reading key \"net.ipv6.conf.all.stable_secret\"\nnet/ipv4/conf/eth0.1/rp_filter=2\r\n-kernel.x = \n"))
	f.Add([]byte("dev.cdrom.info = a\ndev.cdrom.info = \n# c\n; d\n= =\n"))
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
		if r == nil || r.Values == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		for k, v := range r.Values {
			if k == "" || v.Line < 1 {
				t.Fatalf("bad entry %q = %+v", k, v)
			}
			if got, _, ok := r.Get(k); !ok || got != v.Value {
				t.Fatalf("Get(%q) does not find its own key", k)
			}
		}
		_ = r.Summary()
	})
}
