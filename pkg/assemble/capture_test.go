package assemble

import (
	"strings"
	"testing"

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
