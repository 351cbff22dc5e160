package celext

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// RouteIndex answers RouteGet for one node without scanning its routes:
// sorted tables of masked destinations, searched from the longest prefix
// length present down. A fleet's pair checks ask each node about every other
// node's blocks; with a scan that is cubic in the nodes. Sorted tables, not
// maps: an IPv4 entry is 16 bytes, a map's 5 to 10 times that, and a fleet
// holds one index per node over a route per peer.
type RouteIndex struct {
	n            *facts.Node
	v4           []route4 // by key4
	v6           []route6 // by bits, then address
	bits4, bits6 []int    // lengths present, longest first
	zero4, zero6 int      // best default (or /0) route, -1 for none
}

// route4 is an IPv4 destination, its length and masked address in one key.
type route4 struct {
	key uint64
	i   int32
}

type route6 struct {
	p netip.Prefix // masked
	i int32
}

func key4(p netip.Prefix) uint64 {
	a := p.Addr().As4()
	return uint64(p.Bits())<<32 | uint64(binary.BigEndian.Uint32(a[:]))
}

func cmp6(a, b netip.Prefix) int {
	if c := cmp.Compare(a.Bits(), b.Bits()); c != 0 {
		return c
	}
	return a.Addr().Compare(b.Addr())
}

// NewRouteIndex indexes n's routes as they are now.
func NewRouteIndex(n *facts.Node) *RouteIndex {
	x := &RouteIndex{n: n, zero4: -1, zero6: -1}
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
		if p.Addr().Is4() {
			x.v4 = append(x.v4, route4{key: key4(p.Masked()), i: int32(i)})
			if !slices.Contains(x.bits4, p.Bits()) {
				x.bits4 = append(x.bits4, p.Bits())
			}
		} else {
			x.v6 = append(x.v6, route6{p: p.Masked(), i: int32(i)})
			if !slices.Contains(x.bits6, p.Bits()) {
				x.bits6 = append(x.bits6, p.Bits())
			}
		}
	}
	// Equal destinations: the lowest metric wins, then the first listed, as
	// the kernel's lookup does. Sorted so, the winner is each key's first.
	metric := func(i int32) int { return n.Routes[i].Metric }
	slices.SortFunc(x.v4, func(a, b route4) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(metric(a.i), metric(b.i)), cmp.Compare(a.i, b.i))
	})
	x.v4 = slices.CompactFunc(x.v4, func(a, b route4) bool { return a.key == b.key })
	slices.SortFunc(x.v6, func(a, b route6) int {
		return cmp.Or(cmp6(a.p, b.p), cmp.Compare(metric(a.i), metric(b.i)), cmp.Compare(a.i, b.i))
	})
	x.v6 = slices.CompactFunc(x.v6, func(a, b route6) bool { return a.p == b.p })
	x.v4, x.v6 = slices.Clip(x.v4), slices.Clip(x.v6)
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
	if a.Is4() {
		for _, b := range x.bits4 {
			k := key4(netip.PrefixFrom(a, b).Masked())
			if j, ok := slices.BinarySearchFunc(x.v4, k, func(e route4, k uint64) int { return cmp.Compare(e.key, k) }); ok {
				return int(x.v4[j].i)
			}
		}
		return x.zero4
	}
	for _, b := range x.bits6 {
		if b > a.BitLen() {
			continue
		}
		k := netip.PrefixFrom(a, b).Masked()
		if j, ok := slices.BinarySearchFunc(x.v6, k, func(e route6, k netip.Prefix) int { return cmp6(e.p, k) }); ok {
			return int(x.v6[j].i)
		}
	}
	return x.zero6
}
