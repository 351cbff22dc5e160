package assemble

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

func TestTunnelPathsJoinSenderAndReceiverCaptures(t *testing.T) {
	flow := func(src, dst string, pkts, first, last int) facts.TunnelFlow {
		return facts.TunnelFlow{Src: src, Dst: dst, Encap: "ipip", Packets: pkts, FirstMs: first, LastMs: last}
	}
	capt := func(start, end int, fs ...facts.TunnelFlow) []facts.Capture {
		return []facts.Capture{{File: "pcap/eth0.pcap", StartMs: start, EndMs: end, Tunnels: fs}}
	}
	const s = 1_700_000_000_000 // ms
	tests := []struct {
		name         string
		a, b         []facts.Capture
		wantSent     int
		wantReceived int
		wantWhy      string
	}{
		{name: "what was sent arrived",
			a: capt(s, s+15000, flow("10.0.0.1", "10.0.0.2", 12, s+100, s+1200)),
			b: capt(s, s+15000, flow("10.0.0.1", "10.0.0.2", 12, s+100, s+1200)), wantSent: 12, wantReceived: 12},
		{name: "nothing arrived",
			a: capt(s, s+15000, flow("10.0.0.1", "10.0.0.2", 12, s+100, s+1200)),
			b: capt(s, s+15000, flow("10.0.0.2", "10.0.0.1", 5, s+100, s+1200)), wantSent: 12, wantReceived: 0},
		{name: "a receiver clock 1.5 s behind still overlaps",
			a: capt(s, s+3000, flow("10.0.0.1", "10.0.0.2", 12, s+100, s+1200)),
			b: capt(s-1500+1300, s+15000, flow("10.0.0.1", "10.0.0.2", 3, s+1400, s+1500)), wantSent: 12, wantReceived: 3},
		{name: "captures an hour apart cannot be compared",
			a: capt(s, s+15000, flow("10.0.0.1", "10.0.0.2", 12, s+100, s+1200)),
			b: capt(s+3600000, s+3615000), wantSent: 12, wantReceived: -1, wantWhy: "do not overlap"},
		{name: "no capture on the receiver",
			a:        capt(s, s+15000, flow("10.0.0.1", "10.0.0.2", 12, s+100, s+1200)),
			wantSent: 12, wantReceived: -1, wantWhy: "no capture on b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &facts.Cluster{Nodes: []facts.Node{
				{Name: "a", IPs: []string{"10.0.0.1"}, Captures: tc.a},
				{Name: "b", IPs: []string{"10.0.0.2"}, Captures: tc.b},
			}}
			(&builder{c: c}).tunnelPaths()
			var got *facts.TunnelPath
			for i := range c.TunnelPaths {
				if c.TunnelPaths[i].From == "a" {
					got = &c.TunnelPaths[i]
				}
			}
			if got == nil {
				t.Fatalf("no path a > b in %+v", c.TunnelPaths)
			}
			if got.Sent != tc.wantSent || got.Received != tc.wantReceived || !strings.Contains(got.Why, tc.wantWhy) {
				t.Errorf("got sent %d received %d why %q, want %d %d %q", got.Sent, got.Received, got.Why, tc.wantSent, tc.wantReceived, tc.wantWhy)
			}
		})
	}
}

func TestStaleAtEndCountsQueriesWaitingLongerThanAServerTakes(t *testing.T) {
	srv := netip.MustParseAddr("10.244.2.130")
	other := netip.MustParseAddr("10.96.0.10")
	const end = int64(10_000_000_000)
	tx := func(server netip.Addr, ageMs int64) capture.Transaction {
		return capture.Transaction{Server: netip.AddrPortFrom(server, 53), TimeNs: end - ageMs*1e6, AtEnd: true}
	}
	tests := []struct {
		name string
		d    capture.DNSServer
		txs  []capture.Transaction
		want int
	}{
		{"none pending", capture.DNSServer{Server: srv, Unanswered: 3}, nil, 0},
		{"older than a second counts, younger does not",
			capture.DNSServer{Server: srv, PendingAtEnd: 3},
			[]capture.Transaction{tx(srv, 2500), tx(srv, 1200), tx(srv, 300)}, 2},
		{"a slow server's answers extend the grace",
			capture.DNSServer{Server: srv, PendingAtEnd: 2, Answered: 5, LatencyMaxNs: 900e6},
			[]capture.Transaction{tx(srv, 2500), tx(srv, 1500)}, 1},
		{"another server's queries are not counted",
			capture.DNSServer{Server: srv, PendingAtEnd: 1},
			[]capture.Transaction{tx(other, 4000)}, 0},
		{"never more than the server's pending count",
			capture.DNSServer{Server: srv, PendingAtEnd: 1},
			[]capture.Transaction{tx(srv, 4000), tx(srv, 3000)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &capture.Summary{LastNs: end, DNSUnanswered: tt.txs}
			if got := staleAtEnd(s, tt.d); got != tt.want {
				t.Errorf("staleAtEnd = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUncapturedHolderNamesTheInterfaceNoCaptureSaw(t *testing.T) {
	links := []facts.Link{
		{Name: "lo", Kind: "loopback", Addrs: []string{"127.0.0.1/8", "10.9.9.9/32"}},
		{Name: "eth0", Kind: "ether", Addrs: []string{"192.168.20.13/24"}},
		{Name: "eth1", Kind: "ether", Addrs: []string{"192.168.30.13/24"}},
		{Name: "br0", Kind: "bridge", Addrs: []string{"172.16.0.5/24"}},
		{Name: "ens4", Kind: "ether", Master: "br0"},
	}
	node := func(ifaces ...string) *facts.Node {
		n := &facts.Node{Name: "c", Links: links}
		for _, i := range ifaces {
			n.Captures = append(n.Captures, facts.Capture{Iface: i})
		}
		return n
	}
	tests := []struct {
		name string
		n    *facts.Node
		addr string
		want string
	}{
		{"captured where the address is", node("eth0"), "192.168.20.13", ""},
		{"the second NIC was not captured", node("eth0", "vxlan.calico"), "192.168.30.13", "eth1"},
		{"a port of the bridge holding it was captured", node("ens4"), "172.16.0.5", ""},
		{"a capture on any interface sees it", node("any"), "192.168.30.13", ""},
		{"an address on lo arrives through any NIC", node("eth0"), "10.9.9.9", ""},
		{"an address the node does not hold", node("eth0"), "10.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uncapturedHolder(tt.n, tt.addr); got != tt.want {
				t.Errorf("uncapturedHolder(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}
