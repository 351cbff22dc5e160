package load

import (
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// Once its node-only parses are shed and its text packed (and the bundle's
// files gone), a node quotes the lines of the files refs may cite as before:
// the files a ref cited, those whose parses remain, the cluster-level ones.
// The shed files no ref cited are let go; DropParses keeps the text.
func TestShedAndPackQuoteTheSameLines(t *testing.T) {
	dir := t.TempDir()
	routes := "default via 10.0.0.1 dev eth0\n10.244.1.0/26 via 10.0.0.12 dev tunl0 proto bird onlink  \n\nblackhole 10.244.0.0/26 proto bird\n"
	ipvs := "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nUDP  10.96.0.10:53 rr\n  -> 10.244.1.5:53                Masq    1      0          0\n"
	ipt := "*filter\n:INPUT ACCEPT [0:0]\n[5:300] -A INPUT -p ipencap -j DROP\nCOMMIT\n"
	p := writeDirBundle(t, dir, "node-a", map[string]string{"host/hostname": "node-a\n", bundle.IPRoutePath: routes, bundle.IPVSPath: ipvs,
		bundle.IPTablesSavePath: ipt, bundle.KubeNodesPath: nodesJSON})
	nodes, err := LoadAll([]string{p}, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := nodes[0]
	type q struct {
		file string
		line int
	}
	var qs []q
	for _, f := range []string{bundle.IPRoutePath, bundle.IPVSPath, bundle.IPTablesSavePath, bundle.KubeNodesPath, "absent.txt"} {
		for l := 0; l <= 7; l++ {
			qs = append(qs, q{f, l})
		}
	}
	want := map[q]string{}
	for _, x := range qs {
		want[x] = n.Line(x.file, x.line)
	}
	if want[q{bundle.IPRoutePath, 2}] != "10.244.1.0/26 via 10.0.0.12 dev tunl0 proto bird onlink" {
		t.Fatalf("line 2 of the routes before packing: %q", want[q{bundle.IPRoutePath, 2}])
	}
	n.Cite(bundle.IPRoutePath)
	n.ShedNodeOnly()
	if n.IPTables == nil || n.KubeNodes == nil {
		t.Fatal("ShedNodeOnly let go of what the cluster-wide passes read")
	}
	n.DropParses()
	if n.IPTables != nil || n.KubeNodes != nil || n.Routes != nil || n.Name != "node-a" || n.Bundle == nil || len(n.Files) == 0 {
		t.Errorf("after DropParses: IPTables %v, KubeNodes %v, Routes %v, name %q, bundle %v, %d files; want parses gone, the rest kept",
			n.IPTables, n.KubeNodes, n.Routes, n.Name, n.Bundle, len(n.Files))
	}
	if err := CloseAll(nodes); err != nil {
		t.Fatal(err)
	}
	if len(n.raw) != 1 || n.raw[bundle.KubeNodesPath] == nil {
		t.Errorf("after ShedNodeOnly, raw holds %d files, want only %s", len(n.raw), bundle.KubeNodesPath)
	}
	// In an order that goes back and forth between files (gcd(7, 40) = 1).
	for i := range qs {
		x := qs[(i*7)%len(qs)]
		w := want[x]
		if x.file == bundle.IPVSPath {
			w = "" // shed, and cited by no ref
		}
		if got := n.LineText(x.file, x.line); got != w {
			t.Errorf("%s line %d: %q after packing, want %q", x.file, x.line, got, w)
		}
	}
}
