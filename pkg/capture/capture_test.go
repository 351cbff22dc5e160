package capture_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/capture/synth"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

var update = flag.Bool("update", false, "rewrite the crafted captures in testdata/")

// TestCraftedTestdataIsWhatTheGeneratorWrites keeps testdata/*.pcap equal to
// the crafted packets of craft_test.go (go test -run Crafted -update rewrites
// them), so that tshark, in the comparison test, reads the very packets the
// table tests describe.
func TestCraftedTestdataIsWhatTheGeneratorWrites(t *testing.T) {
	for name, data := range testCaptures(t) {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run Crafted -update)", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s differs from what craft_test.go generates (run go test -run Crafted -update)", path)
		}
	}
}

func summarizeFile(t testing.TB, path string) (*capture.Summary, []diag.Diagnostic) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return capture.Summarize(f, capture.Options{})
}

// tunnelCounts is packets per "src>dst encap/vni".
func tunnelCounts(s *capture.Summary) map[string]int64 {
	m := map[string]int64{}
	for _, t := range s.Tunnels {
		m[fmt.Sprintf("%s>%s %s/%d", t.Src, t.Dst, t.Encap, t.VNI)] += t.Packets
	}
	return m
}

func dnsServer(s *capture.Summary, server string) capture.DNSServer {
	for _, d := range s.DNS {
		if d.Server.String() == server {
			return d
		}
	}
	return capture.DNSServer{}
}

func innerFlows(tf capture.TunnelFlow) map[string]int64 {
	m := map[string]int64{}
	for _, f := range tf.Inner {
		m[fmt.Sprintf("%d %s:%d>%s:%d", f.Proto, f.Src, f.SrcPort, f.Dst, f.DstPort)] = f.Packets
	}
	return m
}

func findTunnel(s *capture.Summary, src, dst string) capture.TunnelFlow {
	for _, t := range s.Tunnels {
		if t.Src.String() == src && t.Dst.String() == dst {
			return t
		}
	}
	return capture.TunnelFlow{}
}

func equalMaps[V comparable](t *testing.T, what string, got, want map[string]V) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		if got[k] != want[k] {
			t.Errorf("%s %s: got %v, want %v", what, k, got[k], want[k])
		}
	}
}

// ipipWant is what ipipFrames holds, whatever the link type.
func checkIPIP(t *testing.T, s *capture.Summary) {
	t.Helper()
	if s.Packets != 14 {
		t.Errorf("packets: got %d, want 14", s.Packets)
	}
	equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{
		"10.0.0.11>10.0.0.12 ipip/0": 4,
		"10.0.0.12>10.0.0.11 ipip/0": 1,
	})
	equalMaps(t, "inner flow", innerFlows(findTunnel(s, nodeA, nodeB)), map[string]int64{
		"17 10.244.1.5:0>10.244.2.7:53":      2, // DNS flows per client, not per query
		"6 10.244.1.5:51000>10.244.2.8:8080": 2,
	})
	d := dnsServer(s, dnsB)
	if d.Queries != 2 || d.InTunnel != 2 || d.Responses != 1 || d.Answered != 1 || d.Unanswered != 1 || d.LatencyMaxNs != int64(2*time.Millisecond) {
		t.Errorf("DNS via the tunnel: got %+v", d)
	}
	v := dnsServer(s, vip)
	if v.Queries != 5 || v.Responses != 4 || v.Answered != 4 || v.Unanswered != 1 || v.TCPQueries != 1 || v.TruncatedResponses != 1 || v.Repeats != 0 {
		t.Errorf("DNS to the VIP: got %+v", v)
	}
	equalMaps(t, "rcode", v.RCodes, map[string]int{"NOERROR": 2, "NXDOMAIN": 1, "SERVFAIL": 1})
	if len(s.DNSUnanswered) != 2 {
		t.Fatalf("unanswered: got %+v, want 2", s.DNSUnanswered)
	}
	u := s.DNSUnanswered[0]
	if u.ID != 0x1002 || u.Name != "example.com." || u.QType != 28 || u.Packet != 3 || !u.InTunnel || u.Client.String() != "10.244.1.5:40001" || u.Server.String() != "10.244.2.7:53" || u.AtEnd {
		t.Errorf("first unanswered: got %+v", u)
	}
	// The query lost before the 5 s retry is unanswered; the retry is not.
	if u := s.DNSUnanswered[1]; u.ID != 0x2003 || u.Packet != 8 || u.Name != "api.example.org." || u.InTunnel {
		t.Errorf("second unanswered: got %+v", u)
	}
}

func TestSummarizeCraftedCaptures(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		linkType  string
		format    string
		check     func(*testing.T, *capture.Summary)
		wantDiags []string // substrings, in order
	}{
		{name: "IP-in-IP over Ethernet gives tunnel pairs, inner flows and DNS inside and outside the tunnel", file: "ipip-dns.pcap", linkType: "Ethernet", format: "pcap", check: checkIPIP},
		{name: "a gzip'd pcap is read as the pcap it holds", file: "ipip-dns.pcap.gz", linkType: "Ethernet", format: "pcap.gz", check: checkIPIP},
		{name: "Linux cooked (tcpdump -i any) frames decode as Ethernet ones", file: "sll-any.pcap", linkType: "Linux cooked (SLL)", format: "pcap", check: checkIPIP},
		{name: "raw IP frames decode as Ethernet ones", file: "raw-ip.pcap", linkType: "raw IP", format: "pcap", check: checkIPIP},
		{name: "VXLAN on 4789 and 8472 in a pcapng file with an SLL2 second interface", file: "vxlan-dns.pcapng", linkType: "Ethernet", format: "pcapng", check: func(t *testing.T, s *capture.Summary) {
			equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{
				"192.168.1.11>192.168.1.12 vxlan/4096": 4,
				"192.168.1.12>192.168.1.11 vxlan/4096": 1,
				"192.168.1.11>192.168.1.13 vxlan/1":    1,
				"192.168.1.13>192.168.1.11 vxlan/1":    1,
			})
			if tf := findTunnel(s, vxA, vxB); tf.InnerOther != 1 || tf.FirstPacket != 1 || tf.LastNs-tf.FirstNs != int64(4*time.Millisecond) {
				t.Errorf("the inner ARP is not an IP flow: got %+v", tf)
			}
			d := dnsServer(s, dnsVB)
			if d.Queries != 3 || d.Answered != 1 || d.Unanswered != 0 || d.PendingAtEnd != 2 || d.InTunnel != 3 {
				t.Errorf("DNS through VXLAN: got %+v", d)
			}
			if d := dnsServer(s, "10.244.13.2"); d.Queries != 1 || d.Answered != 1 {
				t.Errorf("DNS through VXLAN on 8472: got %+v", d)
			}
			if d := dnsServer(s, vip); d.Queries != 1 || d.Answered != 1 || d.InTunnel != 0 {
				t.Errorf("DNS on the SLL2 interface: got %+v", d)
			}
			if len(s.DNSUnanswered) != 2 || !s.DNSUnanswered[0].AtEnd || s.DNSUnanswered[0].Name != "lost.example.com." {
				t.Errorf("unanswered: got %+v", s.DNSUnanswered)
			}
		}},
		{name: "VXLAN over an IPv6 underlay carries IPv6 DNS; an ICMPv6 packet-too-big is a frag-needed", file: "vxlan-ipv6.pcap", linkType: "Ethernet", format: "pcap", check: func(t *testing.T, s *capture.Summary) {
			equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{"fd00::11>fd00::12 vxlan/4096": 1, "fd00::12>fd00::11 vxlan/4096": 1})
			if tf := findTunnel(s, "fd00::11", "fd00::12"); len(tf.Inner) != 1 || tf.Inner[0].Src.String() != "fd00:10:244:1::5" || tf.Inner[0].DstPort != 53 {
				t.Errorf("inner: %+v", tf.Inner)
			}
			if d := dnsServer(s, "fd00:10:244:2::7"); d.Queries != 1 || d.Answered != 1 || d.InTunnel != 1 {
				t.Errorf("DNS: %+v", d)
			}
			if len(s.ICMP) != 1 || s.ICMP[0].Type != capture.ICMPFragNeeded || s.ICMP[0].MTU != 1420 || s.ICMP[0].QuotedDst.String() != "[fd00:10:244:2::7]:53" {
				t.Errorf("ICMPv6: %+v", s.ICMP)
			}
		}},
		{name: "SLL2 (tcpdump -i any, libpcap 1.10) frames carry VXLAN", file: "sll2-any.pcap", linkType: "Linux cooked v2 (SLL2)", format: "pcap", check: func(t *testing.T, s *capture.Summary) {
			if got := tunnelCounts(s)["192.168.1.11>192.168.1.12 vxlan/4096"]; got != 4 {
				t.Errorf("tunnel packets: got %d, want 4", got)
			}
			if d := dnsServer(s, dnsVB); d.Queries != 3 || d.Answered != 1 {
				t.Errorf("DNS: got %+v", d)
			}
		}},
		{name: "an answer from the pod IP to a query sent to the VIP counts for the VIP", file: "dns-dnat.pcap", linkType: "Ethernet", format: "pcap", check: func(t *testing.T, s *capture.Summary) {
			v := dnsServer(s, vip)
			if v.Queries != 2 || v.Repeats != 1 || v.Answered != 1 || v.Unanswered != 0 || v.Responses != 1 || len(v.AnsweredBy) != 1 || v.AnsweredBy[0].String() != dnsB {
				t.Errorf("VIP: got %+v", v)
			}
			if d := dnsServer(s, dnsB); d.Queries != 0 || d.Unmatched != 0 {
				t.Errorf("the pod IP is no server of its own here: got %+v", d)
			}
		}},
		{name: "ICMP errors are counted by kind, sender and quoted destination", file: "icmp-errors.pcap", linkType: "Ethernet", format: "pcap", check: func(t *testing.T, s *capture.Summary) {
			got := map[string]int64{}
			for _, e := range s.ICMP {
				got[fmt.Sprintf("%s %s>%s q=%d/%s mtu=%d", e.Type, e.Src, e.Dst, e.QuotedProto, e.QuotedDst, e.MTU)] += e.Count
			}
			equalMaps(t, "icmp", got, map[string]int64{
				"frag-needed 192.168.1.1>192.168.1.11 q=17/192.168.1.12:4789 mtu=1450": 3,
				"port-unreachable 10.96.0.10>10.244.1.5 q=17/10.96.0.10:53 mtu=0":      1,
				"host-unreachable 10.0.0.1>10.0.0.11 q=17/10.96.0.10:53 mtu=0":         1,
				"time-exceeded 10.0.0.1>10.0.0.11 q=17/10.96.0.10:53 mtu=0":            1,
				"other-unreachable 10.0.0.1>10.0.0.11 q=17/10.96.0.10:53 mtu=0":        1,
				"net-unreachable 10.0.0.1>10.0.0.11 q=17/10.96.0.10:53 mtu=0":          1,
			})
			if s.ICMP[0].FirstPacket != 1 || s.ICMP[0].QuotedSrc.String() != "192.168.1.11:51234" {
				t.Errorf("most frequent first, with the quoted source: got %+v", s.ICMP[0])
			}
			if !strings.Contains(s.Summary(), "frag-needed mtu 1450 ×3") {
				t.Errorf("summary: %s", s.Summary())
			}
		}},
		{name: "a file cut inside its last packet summarises the packets before it", file: "truncated-last.pcap", linkType: "Ethernet", format: "pcap", check: func(t *testing.T, s *capture.Summary) {
			if !s.Truncated || s.Packets != 13 {
				t.Errorf("got truncated=%v packets=%d, want true 13", s.Truncated, s.Packets)
			}
		}, wantDiags: []string{"capture cut short in packet 14: the 13 packets before it are summarised"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ds := summarizeFile(t, filepath.Join("testdata", tt.file))
			if s.LinkType != tt.linkType || s.Format != tt.format {
				t.Errorf("link type %q format %q, want %q %q", s.LinkType, s.Format, tt.linkType, tt.format)
			}
			if len(ds) != len(tt.wantDiags) {
				t.Fatalf("diagnostics: got %v, want %v", ds, tt.wantDiags)
			}
			for i, d := range ds {
				if !strings.Contains(d.Msg, tt.wantDiags[i]) || d.Severity != diag.Warning || d.Line < 1 {
					t.Errorf("diagnostic %d: got %v, want a warning with a packet number containing %q", i, d, tt.wantDiags[i])
				}
			}
			if s.Undecodable.Count != 0 {
				t.Errorf("undecodable: %+v", s.Undecodable)
			}
			tt.check(t, s)
		})
	}
}

func TestSummarizeRejectsWhatIsNoCapture(t *testing.T) {
	ipip := writePcap(t, 1, ipipFrames(t))
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"an empty file", nil, "empty file"},
		{"text", []byte("Chain INPUT (policy ACCEPT)\n"), "unknown magic number"},
		{"a pcap header cut short", ipip[:10], "pcap file header cut short"},
		{"a pcap of unknown version", append(append([]byte{}, ipip[:4]...), append([]byte{9, 0, 9, 0}, ipip[8:]...)...), "pcap file header"},
		{"a pcapng section header that is garbage", []byte("\x0a\x0d\x0d\x0a\xff\xff\xff\xff\x00\x00\x00\x00garbage"), "pcapng file header"},
		{"gzip of garbage", gzipped(t, []byte("not a capture at all")), "unknown magic number"},
		{"a modified pcap", []byte{0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0}, "modified"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" gives an error and an empty summary", func(t *testing.T) {
			s, ds := capture.Summarize(bytes.NewReader(tt.in), capture.Options{})
			if s == nil || s.Packets != 0 || len(s.Tunnels) != 0 || s.Tunnels == nil {
				t.Errorf("summary: %+v", s)
			}
			if len(ds) != 1 || ds[0].Severity != diag.Error || !strings.Contains(ds[0].Msg, tt.wantErr) {
				t.Errorf("diagnostics: got %v, want one error containing %q", ds, tt.wantErr)
			}
		})
	}
}

func TestSummarizeCountsUndecodablePacketsAndGoesOn(t *testing.T) {
	frames := ipipFrames(t)
	bad := append([]byte{}, frames[0].data...)
	bad[14] = 0x43 // IPv4 with a header length of 12 bytes
	frames = append([]frame{{at: 0, data: bad}}, frames...)
	s, ds := capture.Summarize(bytes.NewReader(writePcap(t, 1, frames)), capture.Options{})
	if len(ds) != 0 {
		t.Errorf("diagnostics: %v", ds)
	}
	if s.Undecodable.Count != 1 || s.Undecodable.FirstPacket != 1 || !strings.Contains(s.Undecodable.FirstReason, "header length") {
		t.Errorf("undecodable: %+v", s.Undecodable)
	}
	if s.Packets != 15 || len(s.Tunnels) != 2 {
		t.Errorf("the other packets are summarised: %d packets, %d tunnels", s.Packets, len(s.Tunnels))
	}
}

func TestSummarizeCountsSnappedPacketsWithoutCallingThemUndecodable(t *testing.T) {
	frames := ipipFrames(t)
	for i := range frames {
		frames[i].wireLen = len(frames[i].data)
		frames[i].data = frames[i].data[:14+20+20+6] // outer IP, inner IP, part of UDP
	}
	s, _ := capture.Summarize(bytes.NewReader(writePcap(t, 1, frames)), capture.Options{})
	if s.Snapped != 14 || s.Undecodable.Count != 0 {
		t.Errorf("snapped %d undecodable %+v", s.Snapped, s.Undecodable)
	}
	if got := tunnelCounts(s)["10.0.0.11>10.0.0.12 ipip/0"]; got != 4 {
		t.Errorf("tunnel packets of snapped frames: got %d, want 4", got)
	}
	if s.Bytes != func() int64 {
		var n int64
		for _, f := range frames {
			n += int64(f.wireLen)
		}
		return n
	}() {
		t.Errorf("bytes are wire lengths: got %d", s.Bytes)
	}
}

func TestSummarizeHonoursItsCaps(t *testing.T) {
	var frames []frame
	for i := 0; i < 50; i++ {
		src := fmt.Sprintf("10.244.1.%d", i+1)
		frames = append(frames, frame{at: time.Duration(i) * time.Millisecond, data: onEth(t, macA, macB, ipip(t, nodeA, fmt.Sprintf("10.0.0.%d", 100+i%5), udpDNS(t, src, 40000, dnsB, 53, dnsQuery(uint16(i), "a.example.com", 1))))})
	}
	// A last query 10 s later: the 50 have timed out by then.
	frames = append(frames, frame{at: 10 * time.Second, data: onEth(t, macA, macB, udpDNS(t, podA, 40000, vip, 53, dnsQuery(1, "b.example.com", 1)))})
	data := writePcap(t, 1, frames)
	s, _ := capture.Summarize(bytes.NewReader(data), capture.Options{MaxTunnels: 3, MaxInnerFlows: 4, MaxDNSPending: 8, MaxUnansweredListed: 5})
	if len(s.Tunnels) != 3 || s.TunnelOtherPackets != 20 {
		t.Errorf("tunnels: %d listed, %d other packets; want 3, 20", len(s.Tunnels), s.TunnelOtherPackets)
	}
	for _, tf := range s.Tunnels {
		if len(tf.Inner) != 4 || tf.InnerOther != 6 {
			t.Errorf("inner flows of %s: %d listed, %d other; want 4, 6", tf.Dst, len(tf.Inner), tf.InnerOther)
		}
	}
	// 50 queries in 50 ms, none answered: a table of 8 keeps the last 8
	// and evicts the others before their timeout, which are unanswered all
	// the same once it has passed; whole while the list has room.
	d := dnsServer(s, dnsB)
	if d.Queries != 50 || d.Unanswered != 50 || d.PendingAtEnd != 0 || s.DNSEvicted != 42 || len(s.DNSUnanswered) != 5 || s.DNSUnanswered[0].Packet != 1 {
		t.Errorf("pending table of 8: %+v, evicted %d, listed %+v", d, s.DNSEvicted, s.DNSUnanswered)
	}
	s, _ = capture.Summarize(bytes.NewReader(data), capture.Options{MaxDNSPending: 3})
	if d := dnsServer(s, dnsB); d.Queries != 50 || d.Unanswered != 50 || d.FirstUnansweredPacket != 1 || s.DNSEvicted != 47 {
		t.Errorf("pending table of 3: %+v, evicted %d", d, s.DNSEvicted)
	}
	if len(s.DNSUnanswered) != 51 || s.DNSUnanswered[49].Packet != 50 || s.DNSUnanswered[49].Name != "a.example.com." || !s.DNSUnanswered[50].AtEnd {
		t.Errorf("pending table of 3: listed %+v", s.DNSUnanswered)
	}
	// A list of 5: the evicted queries beyond it are counted, not kept.
	s, _ = capture.Summarize(bytes.NewReader(data), capture.Options{MaxDNSPending: 3, MaxUnansweredListed: 5})
	if d := dnsServer(s, dnsB); d.Unanswered != 50 || d.FirstUnansweredPacket != 1 || len(s.DNSUnanswered) != 5 {
		t.Errorf("pending table of 3, list of 5: %+v, listed %d", d, len(s.DNSUnanswered))
	}
	if v := dnsServer(s, vip); v.Queries != 1 || v.Unanswered != 0 || v.PendingAtEnd != 1 {
		t.Errorf("the last query is pending at the end: %+v", v)
	}
}

func TestSummarizeExpiresQueriesAfterTheTimeoutAndCountsLateAnswers(t *testing.T) {
	q := func(at time.Duration, id uint16) frame {
		return frame{at: at, data: onEth(t, macA, macB, udpDNS(t, podA, 40000+id, vip, 53, dnsQuery(id, "a.example.com", 1)))}
	}
	a := func(at time.Duration, id uint16) frame {
		return frame{at: at, data: onEth(t, macB, macA, udpDNS(t, vip, 53, podA, 40000+id, dnsAnswer(id, "a.example.com", 1, 0, "1.2.3.4")))}
	}
	frames := []frame{q(0, 1), q(time.Second, 2), a(7*time.Second, 2), a(8*time.Second, 1), q(30*time.Second, 3), a(30*time.Second+time.Millisecond, 3), a(31*time.Second, 3)}
	s, _ := capture.Summarize(bytes.NewReader(writePcap(t, 1, frames)), capture.Options{})
	v := dnsServer(s, vip)
	// Query 1: its answer at 8 s is late; query 2: late at 6 s; query 3:
	// answered, and its answer's copy a second later is a repeat.
	if v.Queries != 3 || v.Answered != 1 || v.Late != 2 || v.Unanswered != 2 || v.Responses != 4 || v.RepeatedResponses != 1 || v.Repeats != 0 || v.Unmatched != 0 {
		t.Errorf("got %+v", v)
	}
	s, _ = capture.Summarize(bytes.NewReader(writePcap(t, 1, frames)), capture.Options{DNSTimeout: time.Minute})
	if v := dnsServer(s, vip); v.Answered != 3 || v.Late != 0 || v.Unanswered != 0 {
		t.Errorf("with a 1 min timeout: got %+v", v)
	}
}

func TestSummaryLineNamesTunnelPairsDNSServersAndCounts(t *testing.T) {
	s, _ := summarizeFile(t, filepath.Join("testdata", "ipip-dns.pcap"))
	want := "14 packets over 5.2 s; tunnels: 10.0.0.11→10.0.0.12 ipip 4 pkts, 10.0.0.12→10.0.0.11 ipip 1 pkts; DNS 10.96.0.10: 5 queries, 4 answered, 1 unanswered, 1 SERVFAIL, 1 NXDOMAIN, 1 over TCP; DNS 10.244.2.7: 2 queries, 1 answered, 1 unanswered"
	if got := s.Summary(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	big := &capture.Summary{Packets: 1234567, LastNs: 10e9}
	if got := big.Summary(); got != "1,234,567 packets over 10.0 s; no tunnel packets" {
		t.Errorf("got %s", got)
	}
}

// TestSummarizeAllocatesNothingPerPacket checks the steady state: once the
// flows, servers and pending table exist, a packet costs no allocation.
func TestSummarizeAllocatesNothingPerPacket(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count of 250,000 packets")
	}
	small := genCapture(t, 50000)
	large := genCapture(t, 200000)
	allocs := func(data []byte) float64 {
		return testing.AllocsPerRun(2, func() { capture.Summarize(bytes.NewReader(data), capture.Options{}) })
	}
	a1, a2 := allocs(small), allocs(large)
	// 150,000 packets more; what may differ is map and ring growth, not
	// anything proportional to the packets.
	if per := (a2 - a1) / 150000; per > 0.001 {
		t.Errorf("%.0f allocations for 50,000 packets, %.0f for 200,000: %.4f per packet", a1, a2, per)
	}
}

// TestSummarizeCountsEveryDNSExchangeOfABusyCapture runs the pending table
// through growth, compaction and expiry: the counts must be those the
// generator wrote.
func TestSummarizeCountsEveryDNSExchangeOfABusyCapture(t *testing.T) {
	var b bytes.Buffer
	st, err := synth.Write(&b, synth.Config{Packets: 300000, Seed: 7, UnansweredPermille: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, pending := range []int{0, 16384} {
		s, ds := capture.Summarize(bytes.NewReader(b.Bytes()), capture.Options{MaxDNSPending: pending})
		if len(ds) != 0 {
			t.Fatal(ds)
		}
		var q, r, a, u int
		for _, d := range s.DNS {
			q += d.Queries
			r += d.Responses
			a += d.Answered
			u += d.Unanswered + d.PendingAtEnd
			if d.Repeats != 0 || d.Unmatched != 0 || d.Late != 0 {
				t.Errorf("pending cap %d: %+v", pending, d)
			}
		}
		if int64(q) != st.DNSQueries || int64(r) != st.DNSResponses || int64(a) != st.DNSResponses || int64(u) != st.DNSUnanswered || s.DNSEvicted != 0 {
			t.Errorf("pending cap %d: queries %d responses %d answered %d unanswered %d evicted %d; generated %+v", pending, q, r, a, u, s.DNSEvicted, st)
		}
		if s.Packets != st.Packets || tunnelTotal(s, "ipip") != st.IPIP || tunnelTotal(s, "vxlan") != st.VXLAN {
			t.Errorf("packets %d ipip %d vxlan %d; generated %+v", s.Packets, tunnelTotal(s, "ipip"), tunnelTotal(s, "vxlan"), st)
		}
	}
}

func tunnelTotal(s *capture.Summary, encap string) int64 {
	var n int64
	for _, t := range s.Tunnels {
		if t.Encap == encap {
			n += t.Packets
		}
	}
	return n
}

// TestAHugeRecordLengthInATinyFileAllocatesLittle: a record header claiming 60
// MB in a file of 40 bytes (the snap length allows it) is a file cut short,
// found without allocating the 60 MB.
func TestAHugeRecordLengthInATinyFileAllocatesLittle(t *testing.T) {
	h := make([]byte, 24+16)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 1<<26) // snap length 64 MB
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint32(h[24+8:], 60<<20)
	binary.LittleEndian.PutUint32(h[24+12:], 60<<20)
	var s *capture.Summary
	var ds []diag.Diagnostic
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s, ds = capture.Summarize(bytes.NewReader(h), capture.Options{})
		}
	})
	if !s.Truncated || len(ds) != 1 || ds[0].Line != 1 {
		t.Errorf("truncated %v, diagnostics %v", s.Truncated, ds)
	}
	if n := r.AllocedBytesPerOp(); n > 8<<20 {
		t.Errorf("%d bytes allocated", n)
	}
}

func TestSummarizeWarnsOfEveryFormatCutShort(t *testing.T) {
	caps := testCaptures(t)
	tests := []struct {
		name        string
		in          []byte
		wantPackets int64
		wantMsg     string
	}{
		{"a pcapng file cut inside its last block", caps["vxlan-dns.pcapng"][:len(caps["vxlan-dns.pcapng"])-10], 8, "capture cut short in packet 9"},
		{"a gzip'd pcap cut inside its stream", caps["ipip-dns.pcap.gz"][:len(caps["ipip-dns.pcap.gz"])/2], -1, "capture"},
		{"a pcap whose record claims more than the snap length", func() []byte {
			b := append([]byte{}, caps["ipip-dns.pcap"]...)
			binary.LittleEndian.PutUint32(b[24+16+len(ipipFrames(t)[0].data)+8:], 1<<30)
			return b
		}(), 1, "capture unreadable from packet 2 on (record length 1073741824 exceeds the snap length)"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" gives a warning and what was read", func(t *testing.T) {
			s, ds := capture.Summarize(bytes.NewReader(tt.in), capture.Options{})
			if !s.Truncated || len(ds) != 1 || ds[0].Severity != diag.Warning || !strings.Contains(ds[0].Msg, tt.wantMsg) {
				t.Errorf("truncated %v, diagnostics %v", s.Truncated, ds)
			}
			if tt.wantPackets >= 0 && s.Packets != tt.wantPackets {
				t.Errorf("packets: got %d, want %d", s.Packets, tt.wantPackets)
			}
		})
	}
}
