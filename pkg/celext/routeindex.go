package celext

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// RouteIndex answers RouteGet for one node without scanning its routes: a
// map per prefix length, looked up from the longest length present down. A
// fleet's pair checks ask each node about every other node's blocks; with a
// scan that is cubic in the nodes.
type RouteIndex struct {
	n            *facts.Node
	v4, v6       map[netip.Prefix]int // masked prefix → best route
	bits4, bits6 []int                // lengths present, longest first
	zero4, zero6 int                  // best default (or /0) route, -1 for none
}

// NewRouteIndex indexes n's routes as they are now.
func NewRouteIndex(n *facts.Node) *RouteIndex {
	x := &RouteIndex{n: n, v4: map[netip.Prefix]int{}, v6: map[netip.Prefix]int{}, zero4: -1, zero6: -1}
	better := func(cur, i int) bool {
		return cur < 0 || n.Routes[i].Metric < n.Routes[cur].Metric
	}
	for i := range n.Routes {
		r := &n.Routes[i]
		dst := strings.TrimSpace(r.Dst)
		if dst == "" || dst == "default" {
			if dst == "" && !r.Default {
				continue
			}
			fam4, fam6 := true, true
			if r.Via != "" {
				if v, err := ParseAddr(r.Via); err == nil {
					fam4, fam6 = v.Is4(), !v.Is4()
				}
			}
			if fam4 && better(x.zero4, i) {
				x.zero4 = i
			}
			if fam6 && better(x.zero6, i) {
				x.zero6 = i
			}
			continue
		}
		p, err := PrefixOf(dst)
		if err != nil {
			continue
		}
		if p.Bits() == 0 {
			if p.Addr().Is4() && better(x.zero4, i) {
				x.zero4 = i
			} else if !p.Addr().Is4() && better(x.zero6, i) {
				x.zero6 = i
			}
			continue
		}
		m, bits := x.v6, &x.bits6
		if p.Addr().Is4() {
			m, bits = x.v4, &x.bits4
		}
		k := p.Masked()
		cur, ok := m[k]
		if !ok {
			cur = -1
			if !slices.Contains(*bits, p.Bits()) {
				*bits = append(*bits, p.Bits())
			}
		}
		if better(cur, i) {
			m[k] = i
		}
	}
	slices.SortFunc(x.bits4, func(a, b int) int { return b - a })
	slices.SortFunc(x.bits6, func(a, b int) int { return b - a })
	return x
}

// Get is RouteGet(n, a) for the indexed node.
func (x *RouteIndex) Get(a netip.Addr) (facts.Route, bool) {
	if i := x.Index(a); i >= 0 {
		return x.n.Routes[i], true
	}
	return facts.Route{}, false
}

// Index is the index in the node's Routes of the route Get returns, -1 for
// none (facts.RouteLookup).
func (x *RouteIndex) Index(a netip.Addr) int {
	if x == nil || x.n == nil || !a.IsValid() {
		return -1
	}
	a = a.WithZone("").Unmap()
	m, bits, zero := x.v6, x.bits6, x.zero6
	if a.Is4() {
		m, bits, zero = x.v4, x.bits4, x.zero4
	}
	for _, b := range bits {
		if b > a.BitLen() {
			continue
		}
		if i, ok := m[netip.PrefixFrom(a, b).Masked()]; ok {
			return i
		}
	}
	return zero
}
