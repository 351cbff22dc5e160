package celext

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

func testCluster() *facts.Cluster {
	return &facts.Cluster{
		DNSServiceIP: "10.96.0.10",
		Nodes: []facts.Node{
			{
				Name: "node-a",
				IPs:  []string{"10.0.0.11"},
				Links: []facts.Link{
					{Name: "lo", Kind: "loopback", Up: true, Addrs: []string{"127.0.0.1/8", "::1/128"}},
					{Name: "eth0", Kind: "ether", Up: true, MTU: 1500, Addrs: []string{"10.0.0.11/24", "fd00::11/64"}},
					{Name: "tunl0", Kind: "ipip", Up: true, MTU: 1480, Addrs: []string{"10.244.0.1/32"}},
				},
				Routes: []facts.Route{
					{Dst: "0.0.0.0/0", Default: true, Via: "10.0.0.254", Dev: "eth1", Metric: 200},
					{Dst: "0.0.0.0/0", Default: true, Via: "10.0.0.1", Dev: "eth0", Metric: 100, Ref: facts.NewRef("node-a", "net/ip-route.txt", 2, "")},
					{Dst: "10.0.0.0/24", Dev: "eth0", Scope: "link", Src: "10.0.0.11"},
					{Type: "blackhole", Dst: "10.244.0.0/26", Proto: "bird"},
					{Dst: "10.244.0.5", Dev: "cali1234", Scope: "link"},
					{Dst: "10.244.1.0/26", Via: "10.0.0.12", Dev: "tunl0", Onlink: true, Proto: "bird"},
					{Dst: "10.244.3.0/26", Via: "10.0.0.13", Dev: "tunl0", Metric: 100},
					{Dst: "10.244.3.0/26", Via: "10.0.0.14", Dev: "tunl0", Metric: 10},
					{Type: "unreachable", Dst: "10.244.4.0/26"},
					{Type: "throw", Dst: "10.244.5.0/26"},
					{Type: "prohibit", Dst: "10.244.6.0/26"},
					{Dst: "fd00::/64", Dev: "eth0"},
					{Default: true, Via: "fe80::1", Dev: "eth0"},
				},
				PodBlocks: []string{"10.244.0.0/26"},
			},
			{
				Name:       "node-b",
				IPs:        []string{"10.0.0.12"},
				InternalIP: "10.0.0.12",
				Links:      []facts.Link{{Name: "eth0", Up: true, Addrs: []string{"10.0.0.12/24"}}},
				Routes:     []facts.Route{{Dst: "10.0.0.0/24", Dev: "eth0"}},
				PodBlocks:  []string{"10.244.1.0/26"},
			},
			{
				Name:       "node-c",
				InternalIP: "10.0.0.13",
				Links:      []facts.Link{{Name: "ens5", Up: true, Addrs: []string{"192.168.7.3/24"}}},
				PodBlocks:  []string{"10.244.1.7/32", "10.244.3.0/26"},
			},
		},
		KubeNodes: []facts.KubeNode{
			{Name: "node-b", InternalIP: "10.0.0.12", TunnelAddr: "10.244.1.1"},
			{Name: "node-d", InternalIP: "10.0.0.14"},
			{Name: "node-b", InternalIP: "10.0.0.112"},
		},
		TunnelPaths: []facts.TunnelPath{
			{From: "node-a", To: "node-b", Encap: "ipip", Sent: 10, Received: 10},
			{From: "node-b", To: "node-a", Encap: "ipip", Sent: 7, Received: 0},
			{From: "node-a", To: "node-c", Encap: "vxlan", Sent: 3, Received: -1},
		},
	}
}

// testExpr compiles expr with the library, a `node` (node-a) and a `cluster`,
// and checks the result, the runtime error or the compile errors.
func testExpr(t *testing.T, expr string, want ref.Val, wantRuntimeErr string, wantCompileErrs []string) {
	t.Helper()
	env, err := cel.NewEnv(Lib(), cel.Variable("node", NodeType), cel.Variable("cluster", ClusterType))
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	ast, iss := env.Compile(expr)
	if len(wantCompileErrs) > 0 {
		if iss.Err() == nil {
			t.Fatalf("compiled %q; want compile errors %q", expr, wantCompileErrs)
		}
		for _, w := range wantCompileErrs {
			if !strings.Contains(iss.Err().Error(), w) {
				t.Errorf("compile error %q does not contain %q", iss.Err(), w)
			}
		}
		return
	}
	if iss.Err() != nil {
		t.Fatalf("compile %q: %v", expr, iss.Err())
	}
	prg, err := env.Program(ast, cel.CostLimit(100000))
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	// The cluster as a test builds it by hand (the lookups scan) and as
	// assemble leaves it (they ask its index): the same answers.
	indexed := testCluster()
	indexed.Lookup = NewClusterIndex(indexed)
	for _, c := range []*facts.Cluster{testCluster(), indexed} {
		got, _, err := prg.Eval(map[string]any{"node": &c.Nodes[0], "cluster": c})
		how := "scan"
		if c.Lookup != nil {
			how = "index"
		}
		if wantRuntimeErr != "" {
			if err == nil {
				t.Fatalf("%s (%s) = %v; want runtime error %q", expr, how, got, wantRuntimeErr)
			}
			if !strings.Contains(err.Error(), wantRuntimeErr) {
				t.Fatalf("%s (%s): runtime error %q does not contain %q", expr, how, err, wantRuntimeErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s (%s): unexpected runtime error: %v", expr, how, err)
		}
		if got.Equal(want) != types.True {
			t.Errorf("%s (%s) = %v (%T); want %v", expr, how, got, got, want)
		}
	}
}

func TestLibrary(t *testing.T) {
	trueVal, falseVal := types.True, types.False
	tests := []struct {
		name           string
		expr           string
		want           ref.Val
		wantRuntimeErr string
		wantCompileErr []string
	}{
		{name: "an IPv4 address has family 4", expr: "ip('10.0.0.1').family()", want: types.Int(4)},
		{name: "an IPv6 address has family 6", expr: "ip('fd00::1').family()", want: types.Int(6)},
		{name: "loopback is recognised", expr: "ip('127.0.0.1').isLoopback()", want: trueVal},
		{name: "unspecified is recognised", expr: "ip('0.0.0.0').isUnspecified()", want: trueVal},
		{name: "an address converts back to its string", expr: "string(ip('10.0.0.1'))", want: types.String("10.0.0.1")},
		{name: "isIP rejects an out-of-range octet", expr: "isIP('10.0.0.300')", want: falseVal},
		{name: "isIP accepts IPv6", expr: "isIP('::1')", want: trueVal},
		{name: "ip of garbage held in a variable is a runtime error", expr: "ip(node.name)", wantRuntimeErr: "parse error"},
		{name: "ip of a literal that is no address fails at compile time", expr: "ip('nope')", wantCompileErr: []string{"invalid ip argument"}},
		{name: "cidr contains an address given as a string", expr: "cidr('10.244.0.0/16').containsIP('10.244.3.7')", want: trueVal},
		{name: "cidr contains an address given as an IP", expr: "cidr('10.244.0.0/16').containsIP(ip('10.245.0.1'))", want: falseVal},
		{name: "cidr contains a narrower cidr", expr: "cidr('10.244.0.0/16').containsCIDR('10.244.3.0/26')", want: trueVal},
		{name: "cidr does not contain a wider cidr", expr: "cidr('10.244.3.0/26').containsCIDR(cidr('10.244.0.0/16'))", want: falseVal},
		{name: "prefix length", expr: "cidr('10.244.3.0/26').prefixLength()", want: types.Int(26)},
		{name: "cidr keeps its host bits and ip() returns them", expr: "string(cidr('10.0.0.11/24').ip())", want: types.String("10.0.0.11")},
		{name: "masked drops host bits", expr: "cidr('10.0.0.11/24').masked() == cidr('10.0.0.0/24')", want: trueVal},
		{name: "cidr converts back to its string", expr: "string(cidr('10.0.0.0/24'))", want: types.String("10.0.0.0/24")},
		{name: "isCIDR rejects a bare address", expr: "isCIDR('10.0.0.1')", want: falseVal},
		{name: "cidr of a bare address held in a variable is a runtime error", expr: "cidr(node.ips[0])", wantRuntimeErr: "parse error"},
		{name: "addrOf strips the length", expr: "addrOf('10.0.0.11/24')", want: types.String("10.0.0.11")},
		{name: "addrOf accepts a bare address", expr: "addrOf('fd00::11')", want: types.String("fd00::11")},
		{name: "addrOf of garbage is a runtime error", expr: "addrOf('eth0')", wantRuntimeErr: "addrOf: \"eth0\""},
		{name: "prefixOf masks the address", expr: "prefixOf('10.0.0.11/24')", want: types.String("10.0.0.0/24")},
		{name: "prefixOf of a bare address is a host prefix", expr: "prefixOf('10.244.1.5')", want: types.String("10.244.1.5/32")},
		{name: "prefixOf of a bad length is a runtime error", expr: "prefixOf('10.0.0.1/33')", wantRuntimeErr: "prefixOf"},

		{name: "routeGet picks the pod block route over the default", expr: "routeGet(node, '10.244.1.5').via", want: types.String("10.0.0.12")},
		{name: "routeGet accepts an IP value", expr: "routeGet(node, ip('10.244.1.5')).dev", want: types.String("tunl0")},
		{name: "routeGet picks the host route in the node's own block", expr: "routeGet(node, '10.244.0.5').dev", want: types.String("cali1234")},
		{name: "routeGet answers a blackhole for the rest of the own block", expr: "routeGet(node, '10.244.0.9').type", want: types.String("blackhole")},
		{name: "routeGet answers unreachable routes", expr: "routeGet(node, '10.244.4.1').type", want: types.String("unreachable")},
		{name: "routeGet answers throw routes", expr: "routeGet(node, '10.244.5.1').type", want: types.String("throw")},
		{name: "routeGet answers prohibit routes", expr: "routeGet(node, '10.244.6.1').type", want: types.String("prohibit")},
		{name: "routeGet breaks a tie on the lowest metric", expr: "routeGet(node, '10.244.3.1').via", want: types.String("10.0.0.14")},
		{name: "routeGet falls back to the default route with the lowest metric", expr: "routeGet(node, '8.8.8.8').via", want: types.String("10.0.0.1")},
		{name: "routeGet carries the route's evidence", expr: "routeGet(node, '8.8.8.8').ref.line", want: types.Int(2)},
		{name: "routeGet keeps IPv6 to IPv6 routes", expr: "routeGet(node, 'fd00::99').dev", want: types.String("eth0")},
		{name: "routeGet uses a family-less IPv6 default for IPv6 only", expr: "routeGet(node, '2001:db8::1').via", want: types.String("fe80::1")},
		{name: "routeGet on a node without routes has an empty dst", expr: "routeGet(nodeNamed(cluster, 'node-c'), '10.0.0.1').dst == ''", want: trueVal},
		{name: "routeGet of garbage is a runtime error", expr: "routeGet(node, node.name)", wantRuntimeErr: "routeGet: \"node-a\" is not an IP address"},
		{name: "hasRouteTo is true for a pod block route", expr: "hasRouteTo(node, '10.244.1.5')", want: trueVal},
		{name: "hasRouteTo is false when only the default matches", expr: "hasRouteTo(node, '10.244.9.1')", want: falseVal},
		{name: "a misspelled route field fails at compile time", expr: "routeGet(node, '10.0.0.1').vai", wantCompileErr: []string{"undefined field 'vai'"}},

		{name: "link finds a link by name", expr: "link(node, 'tunl0').mtu", want: types.Int(1480)},
		{name: "link of a missing name has an empty name", expr: "link(node, 'vxlan.calico').name", want: types.String("")},
		{name: "hasLink", expr: "hasLink(node, 'tunl0') && !hasLink(node, 'vxlan.calico')", want: trueVal},
		{name: "linkOf finds the link carrying an address", expr: "linkOf(node, '10.0.0.11').name", want: types.String("eth0")},
		{name: "linkOf matches IPv6 addresses", expr: "linkOf(node, ip('fd00::11')).name", want: types.String("eth0")},
		{name: "linkOf of a foreign address has an empty name", expr: "linkOf(node, '10.0.0.12').name", want: types.String("")},

		{name: "nodeNamed finds a node", expr: "nodeNamed(cluster, 'node-b').internalIP", want: types.String("10.0.0.12")},
		{name: "nodeNamed of a missing node has an empty name", expr: "nodeNamed(cluster, 'node-z').name", want: types.String("")},
		{name: "tunnelPaths between two nodes", expr: "tunnelPaths(cluster, 'node-a', 'node-c').map(p, p.encap)", want: types.NewStringList(types.DefaultTypeAdapter, []string{"vxlan"})},
		{name: "tunnelPaths from a node to any", expr: "tunnelPaths(cluster, 'node-a', '').map(p, p.to)", want: types.NewStringList(types.DefaultTypeAdapter, []string{"node-b", "node-c"})},
		{name: "tunnelPaths from any to a node", expr: "tunnelPaths(cluster, '', 'node-a').map(p, p.sent)", want: types.NewDynamicList(types.DefaultTypeAdapter, []int64{7})},
		{name: "tunnelPaths of no such pair is empty", expr: "size(tunnelPaths(cluster, 'node-c', 'node-a'))", want: types.Int(0)},
		{name: "nodeOwningIP reads IPs", expr: "nodeOwningIP(cluster, '10.0.0.12')", want: types.String("node-b")},
		{name: "nodeOwningIP reads the InternalIP", expr: "nodeOwningIP(cluster, '10.0.0.13')", want: types.String("node-c")},
		{name: "nodeOwningIP reads link addresses", expr: "nodeOwningIP(cluster, ip('192.168.7.3'))", want: types.String("node-c")},
		{name: "nodeOwningIP counts the tunnel address", expr: "nodeOwningIP(cluster, '10.244.0.1')", want: types.String("node-a")},
		{name: "nodeOwningIP of an unknown address is empty", expr: "nodeOwningIP(cluster, '10.0.0.99')", want: types.String("")},
		{name: "nodeOwningPodIP finds the block owner", expr: "nodeOwningPodIP(cluster, '10.244.1.5')", want: types.String("node-b")},
		{name: "nodeOwningPodIP prefers a borrowed /32", expr: "nodeOwningPodIP(cluster, '10.244.1.7')", want: types.String("node-c")},
		{name: "nodeOwningPodIP of an address in no block is empty", expr: "nodeOwningPodIP(cluster, '10.245.0.1')", want: types.String("")},
		{name: "kubeNodesNamed finds a Node object without a bundle", expr: "kubeNodesNamed(cluster, 'node-d').map(k, k.internalIP)", want: types.NewStringList(types.DefaultTypeAdapter, []string{"10.0.0.14"})},
		{name: "kubeNodesNamed lists every Node object of the name, in order", expr: "kubeNodesNamed(cluster, 'node-b').map(k, k.internalIP)", want: types.NewStringList(types.DefaultTypeAdapter, []string{"10.0.0.12", "10.0.0.112"})},
		{name: "kubeNodesNamed is what a filter by name gives", expr: "['node-a', 'node-b', 'node-d', ''].all(n, kubeNodesNamed(cluster, n) == cluster.kubeNodes.filter(k, k.name == n))", want: trueVal},
		{name: "kubeNodesNamed of an unknown name is empty", expr: "size(kubeNodesNamed(cluster, 'node-a'))", want: types.Int(0)},
		{name: "kubeNodesNamed gives Node objects whose fields rules read", expr: "kubeNodesNamed(cluster, 'node-b')[0].tunnelAddr", want: types.String("10.244.1.1")},
		{name: "a misspelled KubeNode field fails at compile time", expr: "kubeNodesNamed(cluster, 'node-b')[0].tunelAddr", wantCompileErr: []string{"undefined field 'tunelAddr'"}},
		{name: "lookups work on nodes taken from cluster.nodes", expr: "cluster.nodes.filter(n, hasRouteTo(n, '10.244.1.5')).map(n, n.name)", want: types.NewStringList(types.DefaultTypeAdapter, []string{"node-a"})},

		{name: "a ref's node is read from the location it shares", expr: "routeGet(node, '8.8.8.8').ref.node", want: types.String("node-a")},
		{name: "a ref's file", expr: "routeGet(node, '8.8.8.8').ref.file", want: types.String("net/ip-route.txt")},
		{name: "a ref without a location has an empty node and file", expr: "routeGet(node, '10.244.1.5').ref.node + routeGet(node, '10.244.1.5').ref.file", want: types.String("")},
		{name: "has() of a ref's node", expr: "has(routeGet(node, '8.8.8.8').ref.node) && !has(routeGet(node, '10.244.1.5').ref.file)", want: trueVal},
		{name: "a ref literal has the node, file, line and packet given", expr: "[facts.Ref{node: 'n', file: 'pcap/eth0.pcap', packet: 7, line: 0}].map(r, r.node + ':' + r.file + ':' + string(r.packet) + ':' + string(r.line))[0]", want: types.String("n:pcap/eth0.pcap:7:0")},
		{name: "ref literals with the same fields are equal", expr: "facts.Ref{node: 'n', file: 'f', line: 3} == facts.Ref{node: 'n', file: 'f', line: 3}", want: trueVal},
		{name: "ref literals differing in the node are not", expr: "facts.Ref{node: 'n', file: 'f'} == facts.Ref{node: 'm', file: 'f'}", want: falseVal},
		{name: "a ref literal's line out of range is a runtime error", expr: "facts.Ref{node: 'n', file: 'f', line: -1}.line", wantRuntimeErr: "out of range"},
		{name: "a misspelled ref field fails at compile time", expr: "facts.Ref{nod: 'n'}", wantCompileErr: []string{"nod"}},

		{name: "versionLess on an older kernel", expr: "versionLess('5.4.0-150-generic', 5, 10)", want: trueVal},
		{name: "versionLess on a newer major", expr: "versionLess('6.1.0', 5, 10)", want: falseVal},
		{name: "versionLess on the same version", expr: "versionLess('5.10.0-28-amd64', 5, 10)", want: falseVal},
		{name: "versionLess on a RHEL release", expr: "versionLess('4.18.0-513.el8.x86_64', 5, 0)", want: trueVal},
		{name: "versionLess of an unknown release is a runtime error", expr: "versionLess('', 5, 10)", wantRuntimeErr: "versionLess"},
		{name: "a wrong argument type fails at compile time", expr: "routeGet(cluster, '10.0.0.1')", wantCompileErr: []string{"found no matching overload for 'routeGet'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testExpr(t, tc.expr, tc.want, tc.wantRuntimeErr, tc.wantCompileErr)
		})
	}
}

func TestLibraryCanBeIncludedTwice(t *testing.T) {
	env, err := cel.NewEnv(Lib(), Lib(), ext.Strings())
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	if _, iss := env.Compile("ip('10.0.0.1').family() == 4"); iss.Err() != nil {
		t.Fatal(iss.Err())
	}
}

func TestRouteGetGo(t *testing.T) {
	c := testCluster()
	tests := []struct {
		name    string
		node    *facts.Node
		addr    string
		wantDst string
		wantOK  bool
	}{
		{name: "longest prefix wins", node: &c.Nodes[0], addr: "10.244.1.63", wantDst: "10.244.1.0/26", wantOK: true},
		{name: "the address after the block falls to the default", node: &c.Nodes[0], addr: "10.244.1.64", wantDst: "0.0.0.0/0", wantOK: true},
		{name: "a bare host route matches its address", node: &c.Nodes[0], addr: "10.244.0.5", wantDst: "10.244.0.5", wantOK: true},
		{name: "no default route means no answer", node: &c.Nodes[1], addr: "8.8.8.8", wantOK: false},
		{name: "an IPv4-mapped query is looked up as IPv4", node: &c.Nodes[1], addr: "::ffff:10.0.0.5", wantDst: "10.0.0.0/24", wantOK: true},
		{name: "a nil node has no routes", node: nil, addr: "10.0.0.1", wantOK: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := RouteGet(tc.node, netip.MustParseAddr(tc.addr))
			if ok != tc.wantOK || r.Dst != tc.wantDst {
				t.Errorf("RouteGet(%s) = %q, %v; want %q, %v", tc.addr, r.Dst, ok, tc.wantDst, tc.wantOK)
			}
		})
	}
}

func TestPrefixOf(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "10.0.0.11/24", want: "10.0.0.0/24"},
		{in: " 10.0.0.11/24 ", want: "10.0.0.0/24"},
		{in: "fd00::11/64", want: "fd00::/64"},
		{in: "fe80::1%eth0", want: "fe80::1/128"},
		{in: "::ffff:10.0.0.0/120", want: "10.0.0.0/24"},
		{in: "::ffff:10.0.0.0/90", wantErr: true},
		{in: "default", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		got, err := PrefixOf(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && got.String() != tc.want) {
			t.Errorf("PrefixOf(%q) = %v, %v; want %q, err %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestKernelVersion(t *testing.T) {
	tests := []struct {
		in       string
		maj, min int
		wantErr  bool
	}{
		{in: "5.4.0-150-generic", maj: 5, min: 4},
		{in: "6.1", maj: 6, min: 1},
		{in: "3.10.0-1160.el7.x86_64", maj: 3, min: 10},
		{in: "6.8.0-1015-aws\n", maj: 6, min: 8},
		{in: "6", wantErr: true},
		{in: "x.y", wantErr: true},
		{in: "-1.2", wantErr: true},
	}
	for _, tc := range tests {
		maj, min, err := KernelVersion(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && (maj != tc.maj || min != tc.min)) {
			t.Errorf("KernelVersion(%q) = %d, %d, %v; want %d, %d, err %v", tc.in, maj, min, err, tc.maj, tc.min, tc.wantErr)
		}
	}
}
