// Package celext is the CEL library rules are written in: IP and CIDR values
// with the Kubernetes names and semantics, plus the lookups a support engineer
// does by hand on a node's bundle (which route does the kernel pick for this
// address, which node owns that address), so that rules say what they check
// instead of re-implementing longest-prefix match in CEL.
//
// The lookups are plain Go functions (RouteGet, LinkOf, NodeOwningIP, ...)
// that the CEL bindings call; the facts builder uses the same functions, so a
// rule and the model agree on what "the route to X" means.
package celext

import (
	"net/netip"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// CEL type names of the facts structs, as ext.NativeTypes names them (Go
// package name, dot, struct name).
const (
	ClusterTypeName    = "facts.Cluster"
	NodeTypeName       = "facts.Node"
	RouteTypeName      = "facts.Route"
	LinkTypeName       = "facts.Link"
	RefTypeName        = "facts.Ref"
	TunnelPathTypeName = "facts.TunnelPath"
	KubeNodeTypeName   = "facts.KubeNode"
)

// CEL types of the facts structs and of the opaque IP and CIDR values.
var (
	ClusterType    = cel.ObjectType(ClusterTypeName)
	NodeType       = cel.ObjectType(NodeTypeName)
	RouteType      = cel.ObjectType(RouteTypeName)
	LinkType       = cel.ObjectType(LinkTypeName)
	RefType        = cel.ObjectType(RefTypeName)
	TunnelPathType = cel.ObjectType(TunnelPathTypeName)
	KubeNodeType   = cel.ObjectType(KubeNodeTypeName)
	IPType         = ext.IPType
	CIDRType       = ext.CIDRType
)

// Lib returns the library. It registers the facts structs as CEL types (field
// names are their JSON names: node.routes, route.via), so a misspelled field
// fails when a rule is compiled; include it once per environment.
//
// IP addresses and CIDR ranges (Kubernetes semantics: strict parsing, no zones,
// no IPv4-mapped IPv6; cidr() accepts host bits, .masked() drops them):
//
//	ip(string) -> IP; isIP(string) -> bool; string(IP) -> string
//	<IP>.family() -> int; <IP>.isLoopback() -> bool; <IP>.isUnspecified() -> bool
//	<IP>.isGlobalUnicast() -> bool; <IP>.isLinkLocalUnicast() -> bool
//	cidr(string) -> CIDR; isCIDR(string) -> bool; string(CIDR) -> string
//	<CIDR>.containsIP(string|IP) -> bool; <CIDR>.containsCIDR(string|CIDR) -> bool
//	<CIDR>.prefixLength() -> int; <CIDR>.ip() -> IP; <CIDR>.masked() -> CIDR
//
// Examples:
//
//	ip('10.0.0.1').family() // returns 4
//	ip('::1').isLoopback() // returns true
//	isIP('10.0.0.300') // returns false
//	cidr('10.244.0.0/16').containsIP('10.244.3.7') // returns true
//	cidr('10.244.0.0/16').containsCIDR('10.244.3.0/26') // returns true
//	cidr('10.0.0.11/24').masked() == cidr('10.0.0.0/24') // returns true
//	cidr('10.0.0.11') // compile error (a runtime error when not a literal): no prefix length
//
// Interface addresses as links store them ("ip/len"); a bare address is a host
// address, as `ip route` prints host routes:
//
//	addrOf(string) -> string
//	prefixOf(string) -> string
//
// Examples:
//
//	addrOf('10.0.0.11/24') // returns '10.0.0.11'
//	prefixOf('10.0.0.11/24') // returns '10.0.0.0/24'
//	prefixOf('10.244.1.5') // returns '10.244.1.5/32'
//
// Lookups on a node (see RouteGet, LinkNamed, LinkOf):
//
//	routeGet(facts.Node, string|IP) -> facts.Route
//	hasRouteTo(facts.Node, string|IP) -> bool
//	link(facts.Node, string) -> facts.Link
//	hasLink(facts.Node, string) -> bool
//	linkOf(facts.Node, string|IP) -> facts.Link
//
// routeGet answers like `ip route get`: the most specific route wins, then
// the lowest metric; a blackhole, unreachable, prohibit or throw route wins
// like any other and the answer carries its type. With no matching route it
// returns a route with an empty dst. hasRouteTo is true when a route other
// than a default route matches. link and linkOf return a link with an empty
// name when there is none.
//
// Examples:
//
//	routeGet(node, '10.244.1.5').via // returns '10.0.0.12' (via node-b)
//	routeGet(node, '10.244.9.9').type // returns 'blackhole'
//	routeGet(node, '192.0.2.1').dst == '' // returns true when there is no default route
//	hasRouteTo(node, '10.244.1.5') // returns false when only a default route matches
//	link(node, 'tunl0').up // returns true
//	hasLink(node, 'vxlan.calico') // returns false
//	linkOf(node, '10.0.0.11').name // returns 'eth0'
//
// Lookups across the cluster (see NodeNamed, NodeOwningIP, NodeOwningPodIP,
// KubeNodesNamed):
//
//	nodeNamed(facts.Cluster, string) -> facts.Node
//	nodeOwningIP(facts.Cluster, string|IP) -> string
//	nodeOwningPodIP(facts.Cluster, string|IP) -> string
//	kubeNodesNamed(facts.Cluster, string) -> list(facts.KubeNode)
//
// The tunnel paths between two nodes (see TunnelPathsBetween; ” for either
// name matches any node), in the order of cluster.tunnelPaths:
//
//	tunnelPaths(facts.Cluster, string, string) -> list(facts.TunnelPath)
//
// Examples:
//
//	tunnelPaths(cluster, node.name, peer.name) // the paths node -> peer
//	tunnelPaths(cluster, node.name, '').map(p, p.to) // the nodes node sends tunnel packets to
//
// A pair rule names its peers with it (pairs:) and reads a pair's paths
// without filtering every path of the cluster for each pair.
//
// nodeNamed returns a node with an empty name when there is none. nodeOwningIP
// names the node that has the address (its IPs, InternalIP or any link
// address); nodeOwningPodIP the node whose pod blocks contain it; both return
// an empty string when no node does. kubeNodesNamed lists the Kubernetes
// Node objects of that name in the order of cluster.kubeNodes (empty when
// there is none), as cluster.kubeNodes.filter(k, k.name == name) does. A
// cluster from assemble answers all four from an index, not a scan.
//
// Examples:
//
//	nodeNamed(cluster, 'node-b').internalIP // returns '10.0.0.12'
//	nodeOwningIP(cluster, '10.0.0.12') // returns 'node-b'
//	nodeOwningPodIP(cluster, '10.244.1.5') // returns 'node-b'
//	kubeNodesNamed(cluster, 'node-d').map(k, k.internalIP) // returns ['10.0.0.14']
//
// Kernel versions:
//
//	versionLess(string, int, int) -> bool
//
// Examples:
//
//	versionLess('5.4.0-150-generic', 5, 10) // returns true
//	versionLess('6.1.0', 5, 10) // returns false
//	versionLess('unknown', 5, 10) // error
func Lib() cel.EnvOption {
	return cel.Lib(&netLib{})
}

type netLib struct{}

// LibraryName makes the library a singleton: including it twice is harmless.
func (*netLib) LibraryName() string { return "podnetdiag.net" }

// nativeTypes is how the facts structs become CEL types: JSON names.
func nativeTypes() []any {
	return []any{reflect.TypeFor[facts.Cluster](), ext.ParseStructTag("json")}
}

func (l *netLib) CompileOptions() []cel.EnvOption {
	// Results of the lookups are Go structs; they are adapted with a registry of
	// our own because a binding cannot reach the environment's adapter. Both
	// registries describe the same types under the same names.
	reg, err := types.NewRegistry(nativeTypes()...)
	if err != nil {
		return []cel.EnvOption{func(*cel.Env) (*cel.Env, error) { return nil, err }}
	}
	b := &bindings{adapter: reg,
		noRoute: reg.NativeToValue(&facts.Route{}), noLink: reg.NativeToValue(&facts.Link{}), noNode: reg.NativeToValue(&facts.Node{})}
	strOrIP := func(id string, args []*cel.Type, res *cel.Type, fn func(ref.Val, ref.Val) ref.Val) []cel.FunctionOpt {
		strArgs := append(append([]*cel.Type{}, args...), cel.StringType)
		ipArgs := append(append([]*cel.Type{}, args...), IPType)
		return []cel.FunctionOpt{
			cel.Overload(id+"_string", strArgs, res, cel.BinaryBinding(fn)),
			cel.Overload(id+"_ip", ipArgs, res, cel.BinaryBinding(fn)),
		}
	}
	return []cel.EnvOption{
		// Native types first: ext.Network wraps whatever adapter it finds.
		ext.NativeTypes(nativeTypes()...),
		refFields(),
		ext.Network(),
		cel.Function("addrOf",
			cel.Overload("addr_of_string", []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(addrOf))),
		cel.Function("prefixOf",
			cel.Overload("prefix_of_string", []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(prefixOf))),
		cel.Function("routeGet", strOrIP("route_get_node", []*cel.Type{NodeType}, RouteType, b.routeGet)...),
		cel.Function("hasRouteTo", strOrIP("has_route_to_node", []*cel.Type{NodeType}, cel.BoolType, b.hasRouteTo)...),
		cel.Function("link",
			cel.Overload("link_node_string", []*cel.Type{NodeType, cel.StringType}, LinkType,
				cel.BinaryBinding(b.link))),
		cel.Function("hasLink",
			cel.Overload("has_link_node_string", []*cel.Type{NodeType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(b.hasLink))),
		cel.Function("linkOf", strOrIP("link_of_node", []*cel.Type{NodeType}, LinkType, b.linkOf)...),
		cel.Function("nodeNamed",
			cel.Overload("node_named_cluster_string", []*cel.Type{ClusterType, cel.StringType}, NodeType,
				cel.BinaryBinding(b.nodeNamed))),
		cel.Function("nodeOwningIP", strOrIP("node_owning_ip_cluster", []*cel.Type{ClusterType}, cel.StringType, b.nodeOwningIP)...),
		cel.Function("nodeOwningPodIP", strOrIP("node_owning_pod_ip_cluster", []*cel.Type{ClusterType}, cel.StringType, b.nodeOwningPodIP)...),
		cel.Function("kubeNodesNamed",
			cel.Overload("kube_nodes_named_cluster_string", []*cel.Type{ClusterType, cel.StringType}, cel.ListType(KubeNodeType),
				cel.BinaryBinding(b.kubeNodesNamed))),
		cel.Function("tunnelPaths",
			cel.Overload("tunnel_paths_cluster_string_string", []*cel.Type{ClusterType, cel.StringType, cel.StringType}, cel.ListType(TunnelPathType),
				cel.FunctionBinding(b.tunnelPaths))),
		cel.Function("versionLess",
			cel.Overload("version_less_string_int_int", []*cel.Type{cel.StringType, cel.IntType, cel.IntType}, cel.BoolType,
				cel.FunctionBinding(versionLess))),
	}
}

// ProgramOptions charge the lookups by the size of what they scan, so that a
// rule calling routeGet in a loop over every pod of a big cluster meets the
// cost limit instead of running for minutes.
func (*netLib) ProgramOptions() []cel.ProgramOption {
	perRoute := func(args []ref.Val, _ ref.Val) *uint64 {
		c := uint64(1)
		if n, ok := asNode(args[0]); ok {
			c += uint64(len(n.Routes))
		}
		return &c
	}
	perLink := func(args []ref.Val, _ ref.Val) *uint64 {
		c := uint64(1)
		if n, ok := asNode(args[0]); ok {
			c += uint64(len(n.Links))
		}
		return &c
	}
	perNode := func(args []ref.Val, _ ref.Val) *uint64 {
		c := uint64(1)
		if cl, ok := asCluster(args[0]); ok {
			c += uint64(len(cl.Nodes))
		}
		return &c
	}
	var opts []interpreter.CostTrackerOption
	for _, id := range []string{"route_get_node_string", "route_get_node_ip", "has_route_to_node_string", "has_route_to_node_ip"} {
		opts = append(opts, interpreter.OverloadCostTracker(id, perRoute))
	}
	for _, id := range []string{"link_node_string", "has_link_node_string", "link_of_node_string", "link_of_node_ip"} {
		opts = append(opts, interpreter.OverloadCostTracker(id, perLink))
	}
	opts = append(opts, interpreter.OverloadCostTracker("tunnel_paths_cluster_string_string", func(args []ref.Val, _ ref.Val) *uint64 {
		c := uint64(1)
		if cl, ok := asCluster(args[0]); ok {
			c += uint64(len(cl.TunnelPaths))
		}
		return &c
	}))
	for _, id := range []string{"node_named_cluster_string", "node_owning_ip_cluster_string", "node_owning_ip_cluster_ip",
		"node_owning_pod_ip_cluster_string", "node_owning_pod_ip_cluster_ip"} {
		opts = append(opts, interpreter.OverloadCostTracker(id, perNode))
	}
	opts = append(opts, interpreter.OverloadCostTracker("kube_nodes_named_cluster_string", func(args []ref.Val, _ ref.Val) *uint64 {
		c := uint64(1)
		if cl, ok := asCluster(args[0]); ok {
			c += uint64(len(cl.KubeNodes))
		}
		return &c
	}))
	return []cel.ProgramOption{cel.CostTrackerOptions(opts...)}
}

type bindings struct {
	adapter types.Adapter
	// The answers for "none", made once: rules only read them, and a
	// fleet's route rules ask about every block's owner, most of them
	// without a bundle (a Node is over a kilobyte).
	noRoute, noLink, noNode ref.Val
}

// asNode accepts the node both as the engine binds it (a pointer) and as it
// comes out of cluster.nodes (a copy).
func asNode(v ref.Val) (*facts.Node, bool) {
	switch n := v.Value().(type) {
	case *facts.Node:
		return n, n != nil
	case facts.Node:
		return &n, true
	}
	return nil, false
}

func asCluster(v ref.Val) (*facts.Cluster, bool) {
	switch c := v.Value().(type) {
	case *facts.Cluster:
		return c, c != nil
	case facts.Cluster:
		return &c, true
	}
	return nil, false
}

// addrArg reads an address argument given as a string or an IP value.
func addrArg(fn string, v ref.Val) (netip.Addr, ref.Val) {
	switch a := v.(type) {
	case types.String:
		addr, err := ParseAddr(string(a))
		if err != nil {
			return netip.Addr{}, types.NewErr("%s: %q is not an IP address", fn, string(a))
		}
		return addr, nil
	case ext.IP:
		return a.Addr, nil
	}
	return netip.Addr{}, types.MaybeNoSuchOverloadErr(v)
}

func (b *bindings) routeGet(nv, av ref.Val) ref.Val {
	n, ok := asNode(nv)
	if !ok {
		return types.MaybeNoSuchOverloadErr(nv)
	}
	a, errv := addrArg("routeGet", av)
	if errv != nil {
		return errv
	}
	// Pointers into the node: no copy of the route per call.
	if i := routeIndex(n, a); i >= 0 {
		return b.adapter.NativeToValue(&n.Routes[i])
	}
	return b.noRoute
}

func (b *bindings) hasRouteTo(nv, av ref.Val) ref.Val {
	n, ok := asNode(nv)
	if !ok {
		return types.MaybeNoSuchOverloadErr(nv)
	}
	a, errv := addrArg("hasRouteTo", av)
	if errv != nil {
		return errv
	}
	return types.Bool(HasRouteTo(n, a))
}

func (b *bindings) link(nv, name ref.Val) ref.Val {
	n, ok := asNode(nv)
	s, ok2 := name.(types.String)
	if !ok || !ok2 {
		return types.NoSuchOverloadErr()
	}
	if i := linkNamed(n, string(s)); i >= 0 {
		return b.adapter.NativeToValue(&n.Links[i])
	}
	return b.noLink
}

func (b *bindings) hasLink(nv, name ref.Val) ref.Val {
	n, ok := asNode(nv)
	s, ok2 := name.(types.String)
	if !ok || !ok2 {
		return types.NoSuchOverloadErr()
	}
	return types.Bool(linkNamed(n, string(s)) >= 0)
}

func (b *bindings) linkOf(nv, av ref.Val) ref.Val {
	n, ok := asNode(nv)
	if !ok {
		return types.MaybeNoSuchOverloadErr(nv)
	}
	a, errv := addrArg("linkOf", av)
	if errv != nil {
		return errv
	}
	if i := linkOf(n, a); i >= 0 {
		return b.adapter.NativeToValue(&n.Links[i])
	}
	return b.noLink
}

func (b *bindings) nodeNamed(cv, name ref.Val) ref.Val {
	c, ok := asCluster(cv)
	s, ok2 := name.(types.String)
	if !ok || !ok2 {
		return types.NoSuchOverloadErr()
	}
	if n := NodeNamed(c, string(s)); n != nil {
		return b.adapter.NativeToValue(n)
	}
	return b.noNode
}

func (b *bindings) kubeNodesNamed(cv, name ref.Val) ref.Val {
	c, ok := asCluster(cv)
	s, ok2 := name.(types.String)
	if !ok || !ok2 {
		return types.NoSuchOverloadErr()
	}
	return b.adapter.NativeToValue(KubeNodesNamed(c, string(s)))
}

func (b *bindings) tunnelPaths(args ...ref.Val) ref.Val {
	if len(args) != 3 {
		return types.NoSuchOverloadErr()
	}
	c, ok := asCluster(args[0])
	from, ok2 := args[1].(types.String)
	to, ok3 := args[2].(types.String)
	if !ok || !ok2 || !ok3 {
		return types.NoSuchOverloadErr()
	}
	return b.adapter.NativeToValue(TunnelPathsBetween(c, string(from), string(to)))
}

func (b *bindings) nodeOwningIP(cv, av ref.Val) ref.Val {
	c, ok := asCluster(cv)
	if !ok {
		return types.MaybeNoSuchOverloadErr(cv)
	}
	a, errv := addrArg("nodeOwningIP", av)
	if errv != nil {
		return errv
	}
	return types.String(NodeOwningIP(c, a))
}

func (b *bindings) nodeOwningPodIP(cv, av ref.Val) ref.Val {
	c, ok := asCluster(cv)
	if !ok {
		return types.MaybeNoSuchOverloadErr(cv)
	}
	a, errv := addrArg("nodeOwningPodIP", av)
	if errv != nil {
		return errv
	}
	return types.String(NodeOwningPodIP(c, a))
}

func addrOf(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	a, err := AddrOf(string(s))
	if err != nil {
		return types.NewErr("addrOf: %q is not an address or address/length", string(s))
	}
	return types.String(a.String())
}

func prefixOf(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	p, err := PrefixOf(string(s))
	if err != nil {
		return types.NewErr("prefixOf: %q is not an address or address/length", string(s))
	}
	return types.String(p.String())
}

func versionLess(args ...ref.Val) ref.Val {
	if len(args) != 3 {
		return types.NoSuchOverloadErr()
	}
	rel, ok1 := args[0].(types.String)
	maj, ok2 := args[1].(types.Int)
	min, ok3 := args[2].(types.Int)
	if !ok1 || !ok2 || !ok3 {
		return types.NoSuchOverloadErr()
	}
	less, err := VersionLess(string(rel), int(maj), int(min))
	if err != nil {
		return types.NewErr("versionLess: %v", err)
	}
	return types.Bool(less)
}
