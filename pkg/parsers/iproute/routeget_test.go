package iproute

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

func TestParseRouteGet(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []RouteGet
		wantDiags []wantDiag
	}{
		{
			name: "an answer through the IPIP tunnel keeps its cache line as a flag",
			in:   "# ip route get 10.40.52.149\n10.40.52.149 via 10.41.1.21 dev tunl0 src 10.41.1.20 uid 0 \n    cache \n",
			want: []RouteGet{{Line: 1, Query: ip("10.40.52.149"), Route: &Route{Line: 2, Type: "unicast", Dst: pfx("10.40.52.149/32"),
				Via: ip("10.41.1.21"), Dev: "tunl0", Src: ip("10.41.1.20"), Flags: []string{"cache"}, Extra: map[string]string{"uid": "0"}}}},
		},
		{
			name: "a single answer without a header takes its query from the answer",
			in:   "10.0.0.1 dev eth0  src 10.0.0.5 \n    cache  mtu 1500 advmss 1460 hoplimit 64\n",
			want: []RouteGet{{Line: 1, Query: ip("10.0.0.1"), Route: &Route{Line: 1, Type: "unicast", Dst: pfx("10.0.0.1/32"),
				Dev: "eth0", Src: ip("10.0.0.5"), MTU: 1500, Flags: []string{"cache"}, Extra: map[string]string{"advmss": "1460", "hoplimit": "64"}}}},
		},
		{
			name: "answers without headers each start a lookup of their own",
			in:   "10.0.0.1 dev eth0 src 10.0.0.5 uid 0\n    cache\nlocal 10.0.0.5 dev lo src 10.0.0.5 uid 0\n",
			want: []RouteGet{
				{Line: 1, Query: ip("10.0.0.1"), Route: &Route{Line: 1, Type: "unicast", Dst: pfx("10.0.0.1/32"), Dev: "eth0", Src: ip("10.0.0.5"),
					Flags: []string{"cache"}, Extra: map[string]string{"uid": "0"}}},
				{Line: 3, Query: ip("10.0.0.5"), Route: &Route{Line: 3, Type: "local", Dst: pfx("10.0.0.5/32"), Dev: "lo", Src: ip("10.0.0.5"),
					Extra: map[string]string{"uid": "0"}}},
			},
		},
		{
			name: "an error answer is kept as printed and has no route",
			in:   "# ip route get 192.0.2.1\nRTNETLINK answers: Network is unreachable\n",
			want: []RouteGet{{Line: 1, Query: ip("192.0.2.1"), Err: "RTNETLINK answers: Network is unreachable"}},
		},
		{
			name:      "a header whose address cannot be read is a warning and still groups its answer",
			in:        "# ip route get foo\nError: any valid prefix is expected rather than \"foo\".\n",
			want:      []RouteGet{{Line: 1, Err: "Error: any valid prefix is expected rather than \"foo\"."}},
			wantDiags: []wantDiag{{diag.Warning, 1, "no address"}},
		},
		{
			name:      "unparsable output inside a block is a warning and the block has no answer",
			in:        "# ip -4 route get 10.1.1.1\n@@@ what\n",
			want:      []RouteGet{{Line: 1, Query: ip("10.1.1.1")}},
			wantDiags: []wantDiag{{diag.Warning, 2, "destination"}},
		},
		{
			name:      "a file with nothing of ip route get in it is one error",
			in:        "hello world\nfoo bar\n",
			wantDiags: []wantDiag{{diag.Error, 1, "not ip route get output"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := ParseRouteGet([]byte(tt.in))
			checkDiags(t, diags, tt.wantDiags)
			if len(got.Gets) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got.Gets, tt.want) {
				t.Errorf("ParseRouteGet() =\n%s\nwant\n%s", dumpGets(got.Gets), dumpGets(tt.want))
			}
		})
	}
}

func dumpGets(gs []RouteGet) string {
	s := ""
	for _, g := range gs {
		s += "  " + g.Query.String() + " err=" + g.Err
		if g.Route != nil {
			s += " route=" + dumpRoutes([]Route{*g.Route})
		} else {
			s += "\n"
		}
	}
	return s
}

func TestParseRouteGetFile(t *testing.T) {
	r, diags := ParseRouteGet(readFile(t, "testdata/good/route-get.txt"))
	checkDiags(t, diags, nil)
	if len(r.Gets) != 8 {
		t.Fatalf("got %d lookups, want 8:\n%s", len(r.Gets), dumpGets(r.Gets))
	}
	tests := []struct {
		name  string
		query string
		check func(g *RouteGet) bool
	}{
		{"the pod address is routed through tunl0", "10.40.52.149", func(g *RouteGet) bool {
			return g.Route.Dev == "tunl0" && g.Route.Via == ip("10.41.1.21") && g.Route.Has("cache")
		}},
		{"a local address answers with a local route and its cache flags", "10.0.0.5", func(g *RouteGet) bool {
			return g.Route.Type == "local" && g.Route.Table == "local" && g.Route.Extra["cache"] == "local"
		}},
		{"a broadcast address answers with a broadcast route", "10.0.0.255", func(g *RouteGet) bool {
			return g.Route.Type == "broadcast" && g.Route.Extra["cache"] == "local,brd"
		}},
		{"an unreachable network is an error", "192.0.2.1", func(g *RouteGet) bool {
			return g.Route == nil && g.Err == "RTNETLINK answers: Network is unreachable"
		}},
		{"a learnt path MTU on the cache line reaches the route", "10.96.0.10", func(g *RouteGet) bool {
			return g.Route.MTU == 1450 && g.Route.Extra["expires"] == "598sec"
		}},
		{"an IPv6 answer keeps from and pref", "2001:db8::1", func(g *RouteGet) bool {
			return g.Route.Via == ip("fe80::1") && g.Route.Proto == "ra" && g.Route.Extra["from"] == "::" && g.Route.Extra["pref"] == "medium"
		}},
		{"a header with to and from options names the address after to", "10.40.7.7", func(g *RouteGet) bool {
			return g.Route.Via == ip("10.41.1.22") && g.Route.Extra["from"] == "10.41.1.20"
		}},
		{"a header with no output has neither route nor error", "10.40.99.1", func(g *RouteGet) bool {
			return g.Route == nil && g.Err == "" && g.Line == 20
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := r.Find(netip.MustParseAddr(tt.query))
			if g == nil || !tt.check(g) {
				t.Errorf("lookup of %s = %+v", tt.query, g)
				if g != nil && g.Route != nil {
					t.Logf("route: %+v", *g.Route)
				}
			}
		})
	}
	if got, want := r.Summary(), "8 lookups (6 routed, 1 error, 1 without an answer)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func FuzzParseRouteGet(f *testing.F) {
	addSeeds(f, "testdata/good/route-get.txt", "testdata/good/route-get-old-noheader.txt")
	f.Add([]byte("# ip route get 10.0.0.1\nRTNETLINK answers: No route to host\n    cache\n# ip r g to\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, diags := ParseRouteGet(data)
		if r == nil {
			t.Fatal("nil Result")
		}
		checkFuzzDiags(t, diags)
		for _, g := range r.Gets {
			if g.Line <= 0 || (g.Route != nil && !g.Route.Dst.IsValid()) {
				t.Fatalf("bad lookup %+v", g)
			}
		}
	})
}
