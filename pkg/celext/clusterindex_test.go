package celext

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// lookupAnswers is what the cluster-wide lookups say for one question each.
type lookupAnswers struct {
	node      string // NodeNamed: the node's bundle, "<nil>" for none
	ipOwner   string
	podOwner  string
	kubeNodes string // KubeNodesNamed: the KubeNodes' internal IPs, in order
}

func answer(c *facts.Cluster, name string, a netip.Addr) lookupAnswers {
	got := lookupAnswers{node: "<nil>", ipOwner: NodeOwningIP(c, a), podOwner: NodeOwningPodIP(c, a)}
	if n := NodeNamed(c, name); n != nil {
		got.node = n.Bundle
	}
	var ks []string
	for _, k := range KubeNodesNamed(c, name) {
		ks = append(ks, k.InternalIP)
	}
	got.kubeNodes = strings.Join(ks, ",")
	return got
}

// TestClusterIndexAnswersAsTheScans asks each question of a cluster three
// ways: by the scans (no Lookup, as a cluster built by hand), through the
// index assemble sets, and through the index on a copy of the cluster (CEL
// may hand a lookup one). All three must give the answer wanted.
func TestClusterIndexAnswersAsTheScans(t *testing.T) {
	c := &facts.Cluster{
		Nodes: []facts.Node{
			{Name: "a", Bundle: "a.tgz", IPs: []string{"10.0.0.5", "10.0.1.1/24", "::ffff:10.0.2.1", "fe80::1%eth0"},
				PodBlocks: []string{"10.244.0.0/24", "not-a-block"}},
			{Name: "b", Bundle: "b.tgz", InternalIP: "10.0.0.5",
				Links:     []facts.Link{{Name: "eth0", Addrs: []string{"10.0.0.6/24", "fd00::b/64", "fe80::2%eth0/64"}}},
				PodBlocks: []string{"10.244.0.0/26", "fd00:244::/120"}},
			{Name: "c", Bundle: "c.tgz", IPs: []string{"10.0.0.6"}, InternalIP: "10.0.1.2/24",
				Links:     []facts.Link{{Name: "tunl0", Addrs: []string{"10.244.0.65/32"}}},
				PodBlocks: []string{"10.244.0.7", "10.244.0.0/24", "fd00:244::/124"}},
			{Name: "a", Bundle: "a-again.tgz", IPs: []string{"10.0.9.9"},
				PodBlocks: []string{"10.244.1.5/24", "::ffff:10.250.0.0/112"}},
			{Name: "e", Bundle: "e.tgz", InternalIP: " 10.0.9.10 ", PodBlocks: []string{"0.0.0.0/0"}},
			{Name: "", Bundle: "nameless.tgz"},
		},
		KubeNodes: []facts.KubeNode{
			{Name: "a", InternalIP: "10.0.0.5"},
			{Name: "d", InternalIP: "10.0.0.14"},
			{Name: "a", InternalIP: "10.0.0.55"},
			{Name: "", InternalIP: "10.0.0.99"},
		},
	}
	// Node e's /0 block holds every IPv4 address no other block does.
	tests := []struct {
		name, node, addr string
		// emptyName asks about the name "" (otherwise no node means a
		// name no node has).
		emptyName bool
		want      lookupAnswers
	}{
		{name: "an address on two nodes is the first node's, whatever kind it is on each",
			node: "b", addr: "10.0.0.5", want: lookupAnswers{node: "b.tgz", ipOwner: "a", podOwner: "e"}},
		{name: "a link address before another node's IPs",
			node: "c", addr: "10.0.0.6", want: lookupAnswers{node: "c.tgz", ipOwner: "b", podOwner: "e"}},
		{name: "an address given with a length is the address", addr: "10.0.1.1", want: lookupAnswers{ipOwner: "a", podOwner: "e"}},
		{name: "the network of an address given with a length is no node's", addr: "10.0.1.0", want: lookupAnswers{podOwner: "e"}},
		{name: "an InternalIP with a length is not read", addr: "10.0.1.2", want: lookupAnswers{podOwner: "e"}},
		{name: "an InternalIP with spaces is read", addr: "10.0.9.10", want: lookupAnswers{ipOwner: "e", podOwner: "e"}},
		{name: "an IPv4-mapped IP is its IPv4 address", addr: "10.0.2.1", want: lookupAnswers{ipOwner: "a", podOwner: "e"}},
		{name: "an IPv4-mapped question is its IPv4 address", addr: "::ffff:10.0.2.1", want: lookupAnswers{ipOwner: "a", podOwner: "e"}},
		{name: "a zone in the IPs is dropped", addr: "fe80::1", want: lookupAnswers{ipOwner: "a"}},
		{name: "a zone in the question is dropped", addr: "fe80::1%eth1", want: lookupAnswers{ipOwner: "a"}},
		{name: "a link address with a zone and a length is not read", addr: "fe80::2", want: lookupAnswers{}},
		{name: "an IPv6 link address", addr: "fd00::b", want: lookupAnswers{ipOwner: "b"}},
		{name: "the /32 block (a bare address) beats the /26 and the /24s", addr: "10.244.0.7", want: lookupAnswers{podOwner: "c"}},
		{name: "a tunnel address is its node's; its block is the first /24", addr: "10.244.0.65", want: lookupAnswers{ipOwner: "c", podOwner: "a"}},
		{name: "the /26 beats the /24s", addr: "10.244.0.8", want: lookupAnswers{podOwner: "b"}},
		{name: "two equal /24s: the first node's", addr: "10.244.0.100", want: lookupAnswers{podOwner: "a"}},
		{name: "a block given with host bits is its network", addr: "10.244.1.200", want: lookupAnswers{podOwner: "a"}},
		{name: "an IPv4-mapped block is an IPv4 block", addr: "10.250.3.4", want: lookupAnswers{podOwner: "a"}},
		{name: "a /0 block holds the rest of IPv4", addr: "192.0.2.1", want: lookupAnswers{podOwner: "e"}},
		{name: "IPv6 blocks: the /124 beats the /120", addr: "fd00:244::3", want: lookupAnswers{podOwner: "c"}},
		{name: "IPv6 blocks: the /120 past the /124", addr: "fd00:244::33", want: lookupAnswers{podOwner: "b"}},
		{name: "an IPv6 address in no block: the IPv4 /0 does not hold it", addr: "2001:db8::1", want: lookupAnswers{}},
		{name: "two nodes of one name: the first; two KubeNodes: both, in order",
			node: "a", addr: "10.0.9.9", want: lookupAnswers{node: "a.tgz", ipOwner: "a", podOwner: "e", kubeNodes: "10.0.0.5,10.0.0.55"}},
		{name: "a KubeNode with no bundle", node: "d", want: lookupAnswers{kubeNodes: "10.0.0.14"}},
		{name: "an unknown name", node: "zz", want: lookupAnswers{}},
		{name: "the empty name is a name like any other", emptyName: true, want: lookupAnswers{node: "nameless.tgz", kubeNodes: "10.0.0.99"}},
	}
	indexed := *c
	indexed.Lookup = NewClusterIndex(&indexed)
	copied := indexed
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// No address is the invalid address: no node owns it. The
			// question keeps its zone or IPv4 mapping.
			var a netip.Addr
			if tc.addr != "" {
				a = netip.MustParseAddr(tc.addr)
			}
			name := tc.node
			if name == "" && !tc.emptyName {
				name = "no-such-node"
			}
			want := tc.want
			if want.node == "" {
				want.node = "<nil>"
			}
			for _, w := range []struct {
				how string
				c   *facts.Cluster
			}{{"scan", c}, {"index", &indexed}, {"index on a copy", &copied}} {
				if got := answer(w.c, name, a); got != want {
					t.Errorf("%s: got %+v, want %+v", w.how, got, want)
				}
			}
		})
	}
}

// TestClusterIndexAnswersAsTheScansOnRandomClusters compares the index with
// the scans on random clusters: addresses shared by several nodes, of both
// families, with and without lengths; overlapping and repeated pod blocks;
// repeated node and KubeNode names.
func TestClusterIndexAnswersAsTheScansOnRandomClusters(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	v4 := func() netip.Addr {
		return netip.AddrFrom4([4]byte{10, byte(rng.IntN(2)), byte(rng.IntN(4)), byte(rng.IntN(64))})
	}
	v6 := func() netip.Addr {
		return netip.AddrFrom16([16]byte{0xfd, 0, 0, byte(rng.IntN(2)), 15: byte(rng.IntN(64))})
	}
	addr := func() netip.Addr {
		if rng.IntN(3) == 0 {
			return v6()
		}
		return v4()
	}
	text := func(a netip.Addr) string {
		switch rng.IntN(4) {
		case 0:
			return fmt.Sprintf("%s/%d", a, a.BitLen()-rng.IntN(9))
		case 1:
			if a.Is4() {
				return netip.AddrFrom16(a.As16()).String() // IPv4-mapped
			}
		}
		return a.String()
	}
	names := []string{"n0", "n1", "n2", "n3", "n4", ""}
	for round := 0; round < 200; round++ {
		c := &facts.Cluster{}
		for i := rng.IntN(8); i >= 0; i-- {
			n := facts.Node{Name: names[rng.IntN(len(names))], Bundle: fmt.Sprint(len(c.Nodes))}
			for j := rng.IntN(3); j > 0; j-- {
				n.IPs = append(n.IPs, text(addr()))
			}
			if rng.IntN(2) == 0 {
				n.InternalIP = text(addr())
			}
			for j := rng.IntN(3); j > 0; j-- {
				n.Links = append(n.Links, facts.Link{Name: fmt.Sprint("l", j), Addrs: []string{text(addr()), text(addr())}})
			}
			for j := rng.IntN(4); j > 0; j-- {
				a := addr()
				n.PodBlocks = append(n.PodBlocks, fmt.Sprintf("%s/%d", a, a.BitLen()-rng.IntN(12)))
			}
			c.Nodes = append(c.Nodes, n)
		}
		for i := rng.IntN(6); i > 0; i-- {
			c.KubeNodes = append(c.KubeNodes, facts.KubeNode{Name: names[rng.IntN(len(names))], InternalIP: fmt.Sprint(i)})
		}
		indexed := *c
		indexed.Lookup = NewClusterIndex(&indexed)
		for q := 0; q < 40; q++ {
			name, a := names[rng.IntN(len(names))], addr()
			if want, got := answer(c, name, a), answer(&indexed, name, a); got != want {
				t.Fatalf("round %d, %q and %s in %+v:\nindex %+v\nscan  %+v", round, name, a, c, got, want)
			}
		}
	}
}

// TestClusterIndexOfMoreNodesIsNotTrusted: an index whose answer is past the
// cluster's nodes (built before some were dropped) does not make a lookup
// panic or name a node it does not have: the lookups scan.
func TestClusterIndexOfMoreNodesIsNotTrusted(t *testing.T) {
	c := testCluster()
	c.Lookup = NewClusterIndex(c)
	c.Nodes, c.KubeNodes = c.Nodes[:1], c.KubeNodes[:1]
	a, pod := netip.MustParseAddr("10.0.0.13"), netip.MustParseAddr("10.244.3.9")
	if n := NodeNamed(c, "node-c"); n != nil {
		t.Errorf("NodeNamed(node-c) = %s", n.Name)
	}
	if got := NodeOwningIP(c, a); got != "" {
		t.Errorf("NodeOwningIP(%s) = %q", a, got)
	}
	if got := NodeOwningPodIP(c, pod); got != "" {
		t.Errorf("NodeOwningPodIP(%s) = %q", pod, got)
	}
	if got := KubeNodesNamed(c, "node-b"); len(got) != 1 || got[0].InternalIP != "10.0.0.12" {
		t.Errorf("KubeNodesNamed(node-b) = %+v", got)
	}
	if got := KubeNodesNamed(c, "node-d"); len(got) != 0 {
		t.Errorf("KubeNodesNamed(node-d) = %+v", got)
	}
}

// TestClusterLookupIsNoPartOfTheModel: the index is neither in the model's
// JSON nor a field rules can read, and the walk that quotes the evidence
// passes it by.
func TestClusterLookupIsNoPartOfTheModel(t *testing.T) {
	c := testCluster()
	c.Lookup = NewClusterIndex(c)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(strings.ToLower(s), `"lookup"`) {
		t.Errorf("the model's JSON holds the index: %.200s", s)
	}
	facts.ResolveRefs(c)
	testExpr(t, "cluster.lookup", nil, "", []string{"undefined field 'lookup'"})
}

// benchCluster is a fleet of n nodes, each with an address, an InternalIP,
// three links, a pod block and a Node object.
func benchCluster(n int) *facts.Cluster {
	c := &facts.Cluster{}
	for i := 0; i < n; i++ {
		ip := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
		c.Nodes = append(c.Nodes, facts.Node{
			Name: fmt.Sprintf("node-%04d", i), IPs: []string{ip}, InternalIP: ip,
			Links: []facts.Link{
				{Name: "lo", Addrs: []string{"127.0.0.1/8", "::1/128"}},
				{Name: "eth0", Addrs: []string{ip + "/16", fmt.Sprintf("fd00::%x/64", i+1)}},
				{Name: "tunl0", Addrs: []string{fmt.Sprintf("10.244.%d.%d/32", i/4, i%4*64+1)}},
			},
			PodBlocks: []string{fmt.Sprintf("10.244.%d.%d/26", i/4, i%4*64)},
		})
		c.KubeNodes = append(c.KubeNodes, facts.KubeNode{Name: fmt.Sprintf("node-%04d", i), InternalIP: ip})
	}
	return c
}

// benchLookup runs ask, one question about a node near the end of a
// 1,000-node fleet, by the scan and through the index.
func benchLookup(b *testing.B, ask func(c *facts.Cluster) bool) {
	scan := benchCluster(1000)
	indexed := *scan
	indexed.Lookup = NewClusterIndex(&indexed)
	for _, w := range []struct {
		how string
		c   *facts.Cluster
	}{{"scan", scan}, {"index", &indexed}} {
		if !ask(w.c) {
			b.Fatalf("%s: a wrong answer", w.how)
		}
		b.Run(w.how, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ask(w.c)
			}
		})
	}
}

const benchNode = "node-0900"

func BenchmarkNodeNamed1000(b *testing.B) {
	benchLookup(b, func(c *facts.Cluster) bool {
		n := NodeNamed(c, benchNode)
		return n != nil && n.Name == benchNode
	})
}

func BenchmarkNodeOwningIP1000(b *testing.B) {
	a := netip.MustParseAddr("10.1.3.151")
	benchLookup(b, func(c *facts.Cluster) bool { return NodeOwningIP(c, a) == benchNode })
}

func BenchmarkNodeOwningPodIP1000(b *testing.B) {
	a := netip.MustParseAddr("10.244.225.7")
	benchLookup(b, func(c *facts.Cluster) bool { return NodeOwningPodIP(c, a) == benchNode })
}

func BenchmarkKubeNodesNamed1000(b *testing.B) {
	benchLookup(b, func(c *facts.Cluster) bool {
		ks := KubeNodesNamed(c, benchNode)
		return len(ks) == 1 && ks[0].Name == benchNode
	})
}

// BenchmarkNewClusterIndex1000 is what assemble spends on the index.
func BenchmarkNewClusterIndex1000(b *testing.B) {
	c := benchCluster(1000)
	for i := 0; i < b.N; i++ {
		NewClusterIndex(c)
	}
}
