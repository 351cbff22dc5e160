package capture_test

import (
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// TestRealCaptures asserts, for the real captures of ../shared/realdata/pcap,
// counts taken from the expected outputs published with them (tcpdump's .out,
// Zeek's baselines, nDPI's .pcap.out, deepflow's .result) or read off them by
// hand with tcpdump -r.
func TestRealCaptures(t *testing.T) {
	dir := filepath.Join(realdataDir(t), "pcap")
	tests := []struct {
		name  string
		file  string
		check func(*testing.T, *capture.Summary)
	}{
		{"nDPI's bad DNS traffic: 220 queries to 4.2.2.4, 162 answers of which 3 SERVFAIL, 58 unanswered", "ndpi/bad-dns-traffic.pcap", func(t *testing.T, s *capture.Summary) {
			d := dnsServer(s, "4.2.2.4")
			// .pcap.out: 203+10+7 packets client→server, 146+9+7 back.
			if s.Packets != 382 || d.Queries != 220 || d.Responses != 162 || d.RCodes["SERVFAIL"] != 3 {
				t.Errorf("got %d packets, %+v", s.Packets, d)
			}
			// Three answers come after 6.7 to 7.6 s, when the client
			// had given up: late, and their queries unanswered.
			if d.Answered != 159 || d.Late != 3 || d.Unanswered != 58+3 || d.Unanswered-d.Late != 58 {
				t.Errorf("answered %d late %d unanswered %d", d.Answered, d.Late, d.Unanswered)
			}
		}},
		{"Zeek's ticks-dns: 10 queries to 8.8.8.8, none answered", "zeek/ticks-dns.pcap", func(t *testing.T, s *capture.Summary) {
			d := dnsServer(s, "8.8.8.8")
			// One query a second for 10 s: the first five waited out the 5 s
			// timeout, the last five were still within it when the capture
			// ended, and are told apart.
			if d.Queries != 10 || d.Unanswered != 5 || d.PendingAtEnd != 5 || len(s.DNSUnanswered) != 10 ||
				s.DNSUnanswered[0].Packet != 1 || s.DNSUnanswered[4].AtEnd || !s.DNSUnanswered[5].AtEnd {
				t.Errorf("got %+v, unanswered %+v", d, s.DNSUnanswered)
			}
		}},
		{"Zeek's smtp: four ICMP fragmentation-needed with MTU 1492", "zeek/smtp.pcap", func(t *testing.T, s *capture.Summary) {
			var n int64
			for _, e := range s.ICMP {
				if e.Type == capture.ICMPFragNeeded && e.MTU == 1492 {
					n += e.Count
				}
			}
			if n != 4 || len(s.ICMP) == 0 || s.ICMP[0].QuotedProto != 6 {
				t.Errorf("got %+v", s.ICMP)
			}
		}},
		{"Zeek's 4in4: one IP-in-IP packet 1.2.3.4 to 5.6.7.8 carrying UDP 10.0.0.1:30000 to 10.0.0.2:13000", "zeek/tunnels_4in4.pcap", func(t *testing.T, s *capture.Summary) {
			tf := findTunnel(s, "1.2.3.4", "5.6.7.8")
			if tf.Packets != 1 || tf.Encap != "ipip" || len(tf.Inner) != 1 {
				t.Fatalf("got %+v", s.Tunnels)
			}
			if in := tf.Inner[0]; in.Src.String() != "10.0.0.1" || in.Dst.String() != "10.0.0.2" || in.Proto != 17 || in.SrcPort != 30000 || in.DstPort != 13000 {
				t.Errorf("inner flow %+v", in)
			}
		}},
		{"Zeek's VXLAN: the two directions of the vxlan_tunnel.log, five packets each, VNI 123", "zeek/tunnels_vxlan.pcap", func(t *testing.T, s *capture.Summary) {
			equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{"192.168.56.11>192.168.56.12 vxlan/123": 5, "192.168.56.12>192.168.56.11 vxlan/123": 5})
		}},
		{"tcpdump's vxlan_port_8472: VXLAN on the Linux default port, VNI 100, ICMP and ARP inside", "tcpdump/vxlan_port_8472.pcap", func(t *testing.T, s *capture.Summary) {
			equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{"192.168.203.1>192.168.202.1 vxlan/100": 5, "192.168.202.1>192.168.203.1 vxlan/100": 5})
			tf := findTunnel(s, "192.168.202.1", "192.168.203.1")
			if tf.InnerOther != 1 { // the ARP request
				t.Errorf("inner ARP: %+v", tf)
			}
		}},
		{"nDPI's 4in4 tunnel behind two VLAN tags: 5 packets, one inner UDP flow", "ndpi/4in4tunnel.pcap", func(t *testing.T, s *capture.Summary) {
			tf := findTunnel(s, "69.67.35.146", "41.202.46.110")
			if tf.Packets != 5 || len(tf.Inner) != 1 || tf.Inner[0].DstPort != 17000 || tf.Inner[0].Packets != 5 {
				t.Errorf("got %+v", s.Tunnels)
			}
		}},
		{"nDPI's VXLAN: 127 tunnel packets between 192.168.22.4 and .5, carrying 4 DNS queries to 8.8.8.8", "ndpi/vxlan.pcap", func(t *testing.T, s *capture.Summary) {
			equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{"192.168.22.5>192.168.22.4 vxlan/1111": 73, "192.168.22.4>192.168.22.5 vxlan/1111": 54})
			if d := dnsServer(s, "8.8.8.8"); d.Queries != 4 || d.Answered != 4 || d.InTunnel != 4 {
				t.Errorf("DNS %+v", d)
			}
		}},
		{"deepflow's production IPIP: 5 packets over 4 node pairs", "deepflow/ipip.pcap", func(t *testing.T, s *capture.Summary) {
			equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{
				"10.162.42.93>10.162.33.164 ipip/0":  1,
				"10.162.33.164>10.162.42.93 ipip/0":  1,
				"10.162.12.112>10.162.45.139 ipip/0": 1,
				"10.162.33.164>10.162.42.85 ipip/0":  2,
			})
		}},
		{"deepflow's nxdomain: 3 queries over TCP from a pod, 2 NXDOMAIN", "deepflow/nxdomain.pcap", func(t *testing.T, s *capture.Summary) {
			d := dnsServer(s, "172.25.7.97")
			if d.Queries != 3 || d.TCPQueries != 3 || d.Answered != 3 || d.RCodes["NXDOMAIN"] != 2 || d.RCodes["NOERROR"] != 1 {
				t.Errorf("got %+v", d)
			}
		}},
		{"tcpdump's dns_tcp: one query over TCP answered in 126 ms", "tcpdump/dns_tcp.pcap", func(t *testing.T, s *capture.Summary) {
			d := dnsServer(s, "209.87.249.18")
			// .out: query in packet 4 at .847323, answer in 6 at .973180.
			if d.Queries != 1 || d.TCPQueries != 1 || d.Answered != 1 || d.LatencyMaxNs != 125857000 || d.FirstQueryPacket != 4 {
				t.Errorf("got %+v", d)
			}
		}},
		{"nDPI's fragmented DNS over IPv6: the answers in fragments are matched, the 5 s retry too", "ndpi/dns_fragmented.pcap", func(t *testing.T, s *capture.Summary) {
			d := dnsServer(s, "2001:470:765b::a25:53")
			if d.Queries != 10 || d.Answered != 9 || d.Unanswered != 1 || s.DNSUnanswered[0].Packet != 36 {
				t.Errorf("got %+v, unanswered %+v", d, s.DNSUnanswered)
			}
		}},
		{"SIDN's frag-needed: MTU 1500 quoting a DNS response (Linux cooked capture)", "sidn-entrada/sidnlabs-test-icmp-frag-needed.pcap", func(t *testing.T, s *capture.Summary) {
			if len(s.ICMP) != 1 || s.ICMP[0].Type != capture.ICMPFragNeeded || s.ICMP[0].MTU != 1500 || s.ICMP[0].QuotedSrc.Port() != 53 || s.LinkType != "Linux cooked (SLL)" {
				t.Errorf("got %+v", s.ICMP)
			}
		}},
		{"SIDN's port unreachable quoting a DNS response to port 44270", "sidn-entrada/sidnlabs-test-icmp-dest-unreachable-1-packet-dns-payload.pcap", func(t *testing.T, s *capture.Summary) {
			if len(s.ICMP) != 1 || s.ICMP[0].Type != capture.ICMPPortUnreachable || s.ICMP[0].QuotedDst.Port() != 44270 || s.ICMP[0].Src.String() != "218.241.242.237" {
				t.Errorf("got %+v", s.ICMP)
			}
		}},
		{"deepflow's ff-vxlan: UDP between ports 58678 is no tunnel", "deepflow/ff-vxlan.pcap", func(t *testing.T, s *capture.Summary) {
			if s.Packets != 1 || len(s.Tunnels) != 0 {
				t.Errorf("got %+v", s)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ds := summarizeFile(t, filepath.Join(dir, tt.file))
			if sev, ok := diag.Max(ds); ok && sev == diag.Error {
				t.Fatalf("diagnostics: %v", ds)
			}
			if s.Undecodable.Count != 0 {
				t.Errorf("undecodable: %+v", s.Undecodable)
			}
			tt.check(t, s)
		})
	}
}
