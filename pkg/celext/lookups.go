package celext

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// ParseAddr parses an address as the facts store it. Unlike ip() in CEL it is
// lenient about what real command output contains: a zone ("fe80::1%eth0") is
// dropped and an IPv4-mapped IPv6 address is unmapped, so that lookups compare
// like with like.
func ParseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, err
	}
	return a.WithZone("").Unmap(), nil
}

// AddrOf returns the address part of an interface address as links store it
// ("10.0.0.11/24" -> 10.0.0.11). A bare address is accepted as is.
func AddrOf(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Addr{}, err
		}
		return p.Addr().WithZone("").Unmap(), nil
	}
	return ParseAddr(s)
}

// PrefixOf returns the network an interface address lives in ("10.0.0.11/24"
// -> 10.0.0.0/24). A bare address is a host prefix (/32 or /128), because
// that is how `ip route` prints host routes.
func PrefixOf(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') < 0 {
		a, err := ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		if !p.IsValid() {
			return netip.Prefix{}, fmt.Errorf("netip.ParsePrefix(%q): IPv4-mapped prefix shorter than /96", s)
		}
	}
	return p.Masked(), nil
}

// RouteDst is the destination prefix of a route for a lookup of an address of
// family a: "default" (or an empty Dst with Default set) is 0.0.0.0/0 or ::/0,
// a bare address a host prefix. ok is false when the route cannot match a.
func RouteDst(r *facts.Route, a netip.Addr) (netip.Prefix, bool) {
	dst := strings.TrimSpace(r.Dst)
	if dst == "" || dst == "default" {
		if dst == "" && !r.Default {
			return netip.Prefix{}, false
		}
		if r.Via != "" {
			// A family-less default still has a family: its gateway's.
			if v, err := ParseAddr(r.Via); err == nil && v.Is4() != a.Is4() {
				return netip.Prefix{}, false
			}
		}
		return netip.PrefixFrom(netip.IPv6Unspecified(), 0), true
	}
	p, err := PrefixOf(dst)
	if err != nil || p.Addr().Is4() != a.Is4() {
		return netip.Prefix{}, false
	}
	return p, true
}

// RouteGet answers what `ip route get A` answers from the node's routes, the
// way the kernel looks up its main table: the most specific destination that
// contains a wins, equal prefixes go to the lowest metric, and equal metrics to
// the first route listed. Every route type takes part (a blackhole,
// unreachable, prohibit or throw route wins like a unicast one, and the caller
// reads its Type); local and broadcast routes take part only if the facts list
// them. ok is false when no route contains a.
func RouteGet(n *facts.Node, a netip.Addr) (facts.Route, bool) {
	if i := routeIndex(n, a); i >= 0 {
		return n.Routes[i], true
	}
	return facts.Route{}, false
}

// routeIndex is RouteGet's answer as an index into n.Routes, -1 for none.
func routeIndex(n *facts.Node, a netip.Addr) int {
	if n == nil || !a.IsValid() {
		return -1
	}
	a = a.WithZone("").Unmap()
	if n.RouteLookup != nil {
		return n.RouteLookup.Index(a)
	}
	best, bestBits := -1, -1
	for i := range n.Routes {
		r := &n.Routes[i]
		p, ok := RouteDst(r, a)
		if !ok {
			continue
		}
		bits := p.Bits()
		if bits != 0 && !p.Contains(a) {
			continue
		}
		if bits > bestBits || (bits == bestBits && r.Metric < n.Routes[best].Metric) {
			best, bestBits = i, bits
		}
	}
	return best
}

// HasRouteTo reports whether a route other than a default route contains a.
func HasRouteTo(n *facts.Node, a netip.Addr) bool {
	r, ok := RouteGet(n, a)
	if !ok {
		return false
	}
	p, ok := RouteDst(&r, a)
	return ok && p.Bits() > 0
}

// LinkNamed returns the node's link called name.
func LinkNamed(n *facts.Node, name string) (facts.Link, bool) {
	if i := linkNamed(n, name); i >= 0 {
		return n.Links[i], true
	}
	return facts.Link{}, false
}

func linkNamed(n *facts.Node, name string) int {
	if n == nil {
		return -1
	}
	for i := range n.Links {
		if n.Links[i].Name == name {
			return i
		}
	}
	return -1
}

// LinkOf returns the node's link that carries address a.
func LinkOf(n *facts.Node, a netip.Addr) (facts.Link, bool) {
	if i := linkOf(n, a); i >= 0 {
		return n.Links[i], true
	}
	return facts.Link{}, false
}

func linkOf(n *facts.Node, a netip.Addr) int {
	if n == nil || !a.IsValid() {
		return -1
	}
	a = a.WithZone("").Unmap()
	for i := range n.Links {
		for _, s := range n.Links[i].Addrs {
			if la, err := AddrOf(s); err == nil && la == a {
				return i
			}
		}
	}
	return -1
}

// NodeNamed returns a pointer to the cluster's node called name, nil if none.
//
// The cluster-wide lookups ask the cluster's Lookup when it has one
// (assemble.Build sets it) and scan otherwise (a cluster built by hand). An
// answer that does not fit the cluster (an index built before its nodes
// changed) is not trusted: they scan then too.
func NodeNamed(c *facts.Cluster, name string) *facts.Node {
	if c == nil {
		return nil
	}
	if c.Lookup != nil {
		i := c.Lookup.NodeIndex(name)
		if i < 0 {
			return nil
		}
		if i < len(c.Nodes) && c.Nodes[i].Name == name {
			return &c.Nodes[i]
		}
	}
	for i := range c.Nodes {
		if c.Nodes[i].Name == name {
			return &c.Nodes[i]
		}
	}
	return nil
}

// NodeHasIP reports whether a is one of the node's own addresses: in IPs, its
// InternalIP or on any of its links (tunnel addresses included).
func NodeHasIP(n *facts.Node, a netip.Addr) bool {
	if n == nil || !a.IsValid() {
		return false
	}
	a = a.WithZone("").Unmap()
	for _, s := range n.IPs {
		if na, err := AddrOf(s); err == nil && na == a {
			return true
		}
	}
	if n.InternalIP != "" {
		if na, err := ParseAddr(n.InternalIP); err == nil && na == a {
			return true
		}
	}
	return linkOf(n, a) >= 0
}

// NodeOwningIP returns the name of the first node (in cluster order) that has
// address a (see NodeHasIP), "" if none.
func NodeOwningIP(c *facts.Cluster, a netip.Addr) string {
	if c == nil {
		return ""
	}
	if c.Lookup != nil {
		if i := c.Lookup.IPOwnerIndex(a); i < len(c.Nodes) {
			return nodeName(c, i)
		}
	}
	for i := range c.Nodes {
		if NodeHasIP(&c.Nodes[i], a) {
			return c.Nodes[i].Name
		}
	}
	return ""
}

// NodeOwningPodIP returns the name of the node whose pod blocks contain a; if
// blocks overlap (a borrowed address), the most specific block wins. "" if no
// node claims a.
func NodeOwningPodIP(c *facts.Cluster, a netip.Addr) string {
	if c == nil || !a.IsValid() {
		return ""
	}
	a = a.WithZone("").Unmap()
	if c.Lookup != nil {
		if i := c.Lookup.PodIPOwnerIndex(a); i < len(c.Nodes) {
			return nodeName(c, i)
		}
	}
	owner, bestBits := "", -1
	for i := range c.Nodes {
		for _, s := range c.Nodes[i].PodBlocks {
			p, err := PrefixOf(s)
			if err != nil || !p.Contains(a) {
				continue
			}
			if p.Bits() > bestBits {
				owner, bestBits = c.Nodes[i].Name, p.Bits()
			}
		}
	}
	return owner
}

// nodeName is the name of the cluster's node i, "" for i < 0.
func nodeName(c *facts.Cluster, i int) string {
	if i < 0 {
		return ""
	}
	return c.Nodes[i].Name
}

// KubeNodesNamed returns the cluster's KubeNodes called name, in cluster
// order (several when bundles disagree on a Node object), none if no
// KubeNode has the name.
func KubeNodesNamed(c *facts.Cluster, name string) []facts.KubeNode {
	out := []facts.KubeNode{}
	if c == nil {
		return out
	}
	if c.Lookup != nil {
		idx := c.Lookup.KubeNodeIndexes(name)
		misfit := func(i int) bool { return i >= len(c.KubeNodes) || c.KubeNodes[i].Name != name }
		if !slices.ContainsFunc(idx, misfit) {
			for _, i := range idx {
				out = append(out, c.KubeNodes[i])
			}
			return out
		}
	}
	for i := range c.KubeNodes {
		if c.KubeNodes[i].Name == name {
			out = append(out, c.KubeNodes[i])
		}
	}
	return out
}

// KernelVersion reads major and minor from a kernel release as uname -r prints
// it ("5.4.0-150-generic", "4.18.0-513.el8.x86_64", "6.1").
func KernelVersion(release string) (major, minor int, err error) {
	s := strings.TrimSpace(release)
	s = strings.TrimPrefix(s, "v")
	majS, rest, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, fmt.Errorf("kernel release %q: want MAJOR.MINOR", release)
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	major, err1 := strconv.Atoi(majS)
	minor, err2 := strconv.Atoi(rest[:end])
	if err1 != nil || err2 != nil || major < 0 {
		return 0, 0, fmt.Errorf("kernel release %q: want MAJOR.MINOR", release)
	}
	return major, minor, nil
}

// VersionLess reports whether the kernel release is older than major.minor.
func VersionLess(release string, major, minor int) (bool, error) {
	maj, min, err := KernelVersion(release)
	if err != nil {
		return false, err
	}
	return maj < major || (maj == major && min < minor), nil
}

// TunnelPathsBetween returns the cluster's tunnel paths from node from to node
// to, in cluster order; an empty name matches any node. It scans the paths in
// Go, which costs a pair rule nanoseconds per path where a CEL filter costs
// microseconds.
func TunnelPathsBetween(c *facts.Cluster, from, to string) []facts.TunnelPath {
	out := []facts.TunnelPath{}
	if c == nil {
		return out
	}
	for _, p := range c.TunnelPaths {
		if (from == "" || p.From == from) && (to == "" || p.To == to) {
			out = append(out, p)
		}
	}
	return out
}
