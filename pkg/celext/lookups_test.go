package celext

import (
	"net/netip"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

func TestLookupsAcceptNilAndInvalidInput(t *testing.T) {
	var zero netip.Addr
	a := netip.MustParseAddr("10.0.0.1")
	if _, ok := RouteGet(nil, a); ok {
		t.Error("RouteGet(nil)")
	}
	if _, ok := RouteGet(&facts.Node{Routes: []facts.Route{{Dst: "default"}}}, zero); ok {
		t.Error("RouteGet(invalid addr)")
	}
	if HasRouteTo(nil, a) || NodeHasIP(nil, a) {
		t.Error("nil node has something")
	}
	if _, ok := LinkNamed(nil, "eth0"); ok {
		t.Error("LinkNamed(nil)")
	}
	if _, ok := LinkOf(nil, a); ok {
		t.Error("LinkOf(nil)")
	}
	if NodeNamed(nil, "a") != nil || NodeOwningIP(nil, a) != "" || NodeOwningPodIP(nil, a) != "" {
		t.Error("nil cluster has something")
	}
}

func TestRouteGetSkipsRoutesItCannotRead(t *testing.T) {
	n := &facts.Node{Routes: []facts.Route{
		{Dst: "garbage", Via: "10.0.0.9"},
		{Dst: ""}, // neither a destination nor a default
		{Dst: "default", Via: "10.0.0.1"},
		{Dst: "10.0.0.0/8", Via: "fd00::1"}, // odd but IPv4 dst: used for IPv4
	}}
	r, ok := RouteGet(n, netip.MustParseAddr("10.1.2.3"))
	if !ok || r.Dst != "10.0.0.0/8" {
		t.Errorf("got %+v, %v", r, ok)
	}
	r, ok = RouteGet(n, netip.MustParseAddr("192.0.2.1"))
	if !ok || r.Via != "10.0.0.1" {
		t.Errorf("got %+v, %v", r, ok)
	}
	// The IPv4 default (its gateway is IPv4) does not answer for IPv6.
	if r, ok := RouteGet(n, netip.MustParseAddr("2001:db8::1")); ok {
		t.Errorf("IPv6 lookup got %+v", r)
	}
}

func TestNodeOwningIPChecksEveryKindOfAddress(t *testing.T) {
	c := &facts.Cluster{Nodes: []facts.Node{
		{Name: "by-ips", IPs: []string{"10.0.0.1"}},
		{Name: "by-internal-ip", InternalIP: "10.0.0.2"},
		{Name: "by-link", Links: []facts.Link{{Name: "eth1", Addrs: []string{"10.0.0.3/24"}}}},
	}}
	for addr, want := range map[string]string{"10.0.0.1": "by-ips", "10.0.0.2": "by-internal-ip", "10.0.0.3": "by-link", "10.0.0.4": ""} {
		if got := NodeOwningIP(c, netip.MustParseAddr(addr)); got != want {
			t.Errorf("NodeOwningIP(%s) = %q, want %q", addr, got, want)
		}
	}
}
