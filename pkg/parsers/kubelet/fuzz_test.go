package kubelet

import (
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("kind: KubeletConfiguration\nclusterDNS: [10.96.0.10, '::1']\n"))
	f.Add([]byte("{\"kind\":\"KubeletConfiguration\",\"clusterDNS\":[1,{}]}"))
	parsertest.AddSeeds(f, "testdata/good/*", "testdata/bad/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ds := Parse(data)
		if c == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		for _, a := range c.ClusterDNS {
			if !a.Addr.IsValid() || a.Line < 1 {
				t.Fatalf("bad clusterDNS entry %+v", a)
			}
		}
		_ = c.Summary()
	})
}
