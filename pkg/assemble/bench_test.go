package assemble

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

// BenchmarkBuild is the cluster model of the three-node RKE2 scenario: every
// inference (DNS Service IP from all sources, pod blocks, Calico install).
func BenchmarkBuild(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bundles", "rke2-vxlan-healthy.txtar"))
	if err != nil {
		b.Fatal(err)
	}
	bs, err := bundle.ParseTxtar(data, "rke2.txtar")
	if err != nil {
		b.Fatal(err)
	}
	var nodes []*load.Node
	for _, bb := range bs {
		n, err := load.Load(bb)
		if err != nil {
			b.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c := Build(nodes, Options{}); !c.DNSServiceIPKnown || len(c.Blocks) != 3 {
			b.Fatalf("DNS IP %s known %v, %d blocks", c.DNSServiceIP, c.DNSServiceIPKnown, len(c.Blocks))
		}
	}
}
