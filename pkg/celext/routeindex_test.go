package celext

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// TestRouteIndexAnswersAsRouteGet compares the index with RouteGet's scan on
// random tables: overlapping prefixes of both families, equal prefixes with
// different metrics, defaults with and without a gateway, explicit /0 routes,
// unparsable destinations.
func TestRouteIndexAnswersAsRouteGet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	v4 := func() netip.Addr {
		return netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(4)), byte(rng.IntN(256))})
	}
	v6 := func() netip.Addr {
		return netip.AddrFrom16([16]byte{0xfd, 0, 0, byte(rng.IntN(3)), 15: byte(rng.IntN(256))})
	}
	for round := 0; round < 300; round++ {
		n := &facts.Node{}
		for i := rng.IntN(40); i >= 0; i-- {
			r := facts.Route{Metric: rng.IntN(3) * 100}
			switch k := rng.IntN(10); {
			case k == 0:
				r.Dst, r.Default = "default", true
				if rng.IntN(2) == 0 {
					r.Via = v4().String()
				} else if rng.IntN(2) == 0 {
					r.Via = v6().String()
				}
			case k == 1:
				r.Dst = "0.0.0.0/0"
			case k == 2:
				r.Dst = "not-a-prefix"
			case k < 6:
				r.Dst = netip.PrefixFrom(v6(), []int{8, 48, 64, 128}[rng.IntN(4)]).String()
			default:
				r.Dst = fmt.Sprintf("%s/%d", v4(), []int{8, 16, 24, 26, 32}[rng.IntN(5)])
			}
			n.Routes = append(n.Routes, r)
		}
		x := NewRouteIndex(n)
		for q := 0; q < 50; q++ {
			a := v4()
			if q%2 == 1 {
				a = v6()
			}
			want, wok := RouteGet(n, a)
			got, gok := x.Get(a)
			if wok != gok || fmt.Sprint(want) != fmt.Sprint(got) {
				t.Fatalf("round %d, %s in %+v:\nindex %v %+v\nscan  %v %+v", round, a, n.Routes, gok, got, wok, want)
			}
			// A node carrying the index (as assemble leaves it) answers
			// RouteGet through it, the same.
			withIdx := *n
			withIdx.RouteLookup = NewRouteIndex(&withIdx)
			if got, gok := RouteGet(&withIdx, a); wok != gok || fmt.Sprint(want) != fmt.Sprint(got) {
				t.Fatalf("round %d, %s: RouteGet through RouteLookup %v %+v, scan %v %+v", round, a, gok, got, wok, want)
			}
		}
	}
}

// BenchmarkRouteGet1000 is one lookup in a table with routes for 1,000 peers.
func BenchmarkRouteGet1000(b *testing.B) {
	n := &facts.Node{}
	for i := 0; i < 1000; i++ {
		n.Routes = append(n.Routes, facts.Route{Dst: fmt.Sprintf("10.244.%d.%d/26", i/4, i%4*64), Via: "10.1.0.1"})
	}
	a := netip.MustParseAddr("10.244.200.70")
	b.Run("scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			RouteGet(n, a)
		}
	})
	x := NewRouteIndex(n)
	b.Run("index", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			x.Get(a)
		}
	})
}
