package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Crafted packets for the table tests and for testdata/*.pcap: gopacket's
// serializer builds them, so that they are what a kernel would put on the
// wire (lengths and checksums computed), and tshark reads them as such.

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

type frame struct {
	at   time.Duration // after t0
	data []byte
	// wireLen, when above len(data), makes the record a snapped one.
	wireLen int
	iface   int // pcapng interface
}

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x11}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x12}
	// vxlan.calico derives its MAC from the node; any unicast MAC will do.
	vmacA = net.HardwareAddr{0x66, 0x11, 0x22, 0x33, 0x44, 0x11}
	vmacB = net.HardwareAddr{0x66, 0x11, 0x22, 0x33, 0x44, 0x12}
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ethL(src, dst net.HardwareAddr, et layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: et}
}

func ip4L(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func udpL(ip *layers.IPv4, sport, dport uint16) *layers.UDP {
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	_ = u.SetNetworkLayerForChecksum(ip)
	return u
}

func tcpL(ip *layers.IPv4, sport, dport uint16, seq uint32, psh bool) *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, ACK: true, PSH: psh, Window: 64240, Ack: 1}
	_ = t.SetNetworkLayerForChecksum(ip)
	return t
}

func dnsQuery(id uint16, name string, qt layers.DNSType) *layers.DNS {
	return &layers.DNS{ID: id, RD: true, Questions: []layers.DNSQuestion{{Name: []byte(name), Type: qt, Class: layers.DNSClassIN}}}
}

func dnsAnswer(id uint16, name string, qt layers.DNSType, rc layers.DNSResponseCode, addr string) *layers.DNS {
	d := &layers.DNS{ID: id, QR: true, RD: true, RA: true, ResponseCode: rc, Questions: []layers.DNSQuestion{{Name: []byte(name), Type: qt, Class: layers.DNSClassIN}}}
	if addr != "" && rc == layers.DNSResponseCodeNoErr {
		d.Answers = []layers.DNSResourceRecord{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 30, IP: net.ParseIP(addr).To4()}}
	}
	return d
}

// udpDNS is src:sport → dst:dport carrying msg, from the IP header on.
func udpDNS(t testing.TB, src string, sport uint16, dst string, dport uint16, msg *layers.DNS) []gopacket.SerializableLayer {
	ip := ip4L(src, dst, layers.IPProtocolUDP)
	return []gopacket.SerializableLayer{ip, udpL(ip, sport, dport), msg}
}

// tcpDNS carries msg over TCP with its 2-byte length prefix.
func tcpDNS(t testing.TB, src string, sport uint16, dst string, dport uint16, msg *layers.DNS) []gopacket.SerializableLayer {
	body := serialize(t, msg)
	pl := make([]byte, 2+len(body))
	binary.BigEndian.PutUint16(pl, uint16(len(body)))
	copy(pl[2:], body)
	ip := ip4L(src, dst, layers.IPProtocolTCP)
	return []gopacket.SerializableLayer{ip, tcpL(ip, sport, dport, 1000, true), gopacket.Payload(pl)}
}

func onEth(t testing.TB, src, dst net.HardwareAddr, inner []gopacket.SerializableLayer) []byte {
	return serialize(t, append([]gopacket.SerializableLayer{ethL(src, dst, layers.EthernetTypeIPv4)}, inner...)...)
}

// ipip wraps an inner IPv4 packet (given as layers) in node→node IP-in-IP.
func ipip(t testing.TB, outerSrc, outerDst string, inner []gopacket.SerializableLayer) []gopacket.SerializableLayer {
	return append([]gopacket.SerializableLayer{ip4L(outerSrc, outerDst, layers.IPProtocolIPv4)}, inner...)
}

// vxlan wraps an inner IPv4 packet in node→node VXLAN as vxlan.calico sends
// it: outer UDP from a flow-hashed source port to dport, VNI 4096 for Calico.
func vxlan(t testing.TB, outerSrc, outerDst string, sport, dport uint16, vni uint32, inner []gopacket.SerializableLayer) []gopacket.SerializableLayer {
	ip := ip4L(outerSrc, outerDst, layers.IPProtocolUDP)
	u := udpL(ip, sport, dport)
	innerEth := ethL(vmacA, vmacB, layers.EthernetTypeIPv4)
	if outerSrc > outerDst {
		innerEth = ethL(vmacB, vmacA, layers.EthernetTypeIPv4)
	}
	return append([]gopacket.SerializableLayer{ip, u, &layers.VXLAN{ValidIDFlag: true, VNI: vni}, innerEth}, inner...)
}

// sll prepends a Linux cooked header (tcpdump -i any before libpcap 1.10).
func sll(packetType uint16, proto layers.EthernetType, mac net.HardwareAddr, ipPacket []byte) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:2], packetType)
	binary.BigEndian.PutUint16(h[2:4], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:6], uint16(len(mac)))
	copy(h[6:14], mac)
	binary.BigEndian.PutUint16(h[14:16], uint16(proto))
	return append(h, ipPacket...)
}

// sll2 prepends a Linux cooked v2 header (tcpdump -i any, libpcap ≥ 1.10).
func sll2(ifindex uint32, packetType uint8, proto layers.EthernetType, mac net.HardwareAddr, ipPacket []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:2], uint16(proto))
	binary.BigEndian.PutUint32(h[4:8], ifindex)
	binary.BigEndian.PutUint16(h[8:10], 1) // ARPHRD_ETHER
	h[10] = packetType
	h[11] = byte(len(mac))
	copy(h[12:20], mac)
	return append(h, ipPacket...)
}

func writePcap(t testing.TB, lt layers.LinkType, frames []frame) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		wl := len(f.data)
		if f.wireLen > wl {
			wl = f.wireLen
		}
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(f.at), CaptureLength: len(f.data), Length: wl}, f.data); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// writePcapng writes a pcapng file with one interface per link type; a frame
// goes to the interface its iface field names.
func writePcapng(t testing.TB, lts []layers.LinkType, frames []frame) []byte {
	t.Helper()
	var b bytes.Buffer
	names := []string{"eth0", "any"}
	w, err := pcapgo.NewNgWriterInterface(&b,
		pcapgo.NgInterface{Name: names[0], OS: "linux", LinkType: lts[0], TimestampResolution: 9},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{OS: "linux", Application: "podnetdiag tests"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, lt := range lts[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{Name: names[i+1], OS: "linux", LinkType: lt, TimestampResolution: 9}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(f.at), CaptureLength: len(f.data), Length: len(f.data), InterfaceIndex: f.iface}, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipped(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.ModTime = t0 // deterministic output
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	nodeA = "10.0.0.11"
	nodeB = "10.0.0.12"
	podA  = "10.244.1.5" // client pod on node A
	dnsB  = "10.244.2.7" // CoreDNS pod on node B
	vip   = "10.96.0.10" // kube-dns Service
	vxA   = "192.168.1.11"
	vxB   = "192.168.1.12"
	podVA = "10.244.11.4" // pods of the VXLAN cluster
	dnsVB = "10.244.12.9"
)

// ipipFrames is node A's eth0 in an IPIP cluster: DNS to CoreDNS on node B,
// answered and not, through the tunnel; DNS to the VIP before DNAT (answered
// by the VIP); a retry after the 5 s timeout; a
// truncated UDP answer followed by the TCP retry.
func ipipFrames(t testing.TB) []frame {
	ms := time.Millisecond
	e := func(ls []gopacket.SerializableLayer) []byte { return onEth(t, macA, macB, ls) }
	r := func(ls []gopacket.SerializableLayer) []byte { return onEth(t, macB, macA, ls) }
	return []frame{
		// 1-2: query through the tunnel, answered in 2 ms.
		{at: 0, data: e(ipip(t, nodeA, nodeB, udpDNS(t, podA, 40000, dnsB, 53, dnsQuery(0x1001, "kubernetes.default.svc.cluster.local", layers.DNSTypeA))))},
		{2 * ms, r(ipip(t, nodeB, nodeA, udpDNS(t, dnsB, 53, podA, 40000, dnsAnswer(0x1001, "kubernetes.default.svc.cluster.local", layers.DNSTypeA, layers.DNSResponseCodeNoErr, "10.96.0.1")))), 0, 0},
		// 3: query through the tunnel, never answered.
		{at: 10 * ms, data: e(ipip(t, nodeA, nodeB, udpDNS(t, podA, 40001, dnsB, 53, dnsQuery(0x1002, "example.com", layers.DNSTypeAAAA))))},
		// 4-5: TCP inside the tunnel (an inner flow that is not DNS).
		{20 * ms, e(ipip(t, nodeA, nodeB, func() []gopacket.SerializableLayer {
			ip := ip4L(podA, "10.244.2.8", layers.IPProtocolTCP)
			return []gopacket.SerializableLayer{ip, tcpL(ip, 51000, 8080, 1, true), gopacket.Payload("GET / HTTP/1.1\r\n\r\n")}
		}())), 0, 0},
		{21 * ms, e(ipip(t, nodeA, nodeB, func() []gopacket.SerializableLayer {
			ip := ip4L(podA, "10.244.2.8", layers.IPProtocolTCP)
			return []gopacket.SerializableLayer{ip, tcpL(ip, 51000, 8080, 19, false)}
		}())), 0, 0},
		// 6-7: plain DNS to the VIP, NXDOMAIN from the VIP.
		{at: 30 * ms, data: e(udpDNS(t, podA, 40002, vip, 53, dnsQuery(0x2001, "nosuch.default.svc.cluster.local", layers.DNSTypeA)))},
		{31 * ms, r(udpDNS(t, vip, 53, podA, 40002, dnsAnswer(0x2001, "nosuch.default.svc.cluster.local", layers.DNSTypeA, layers.DNSResponseCodeNXDomain, ""))), 0, 0},
		// 8-10: first query lost, retried after 5 s on the same port and ID, SERVFAIL.
		{at: 100 * ms, data: e(udpDNS(t, podA, 40004, vip, 53, dnsQuery(0x2003, "api.example.org", layers.DNSTypeA)))},
		{5100 * ms, e(udpDNS(t, podA, 40004, vip, 53, dnsQuery(0x2003, "api.example.org", layers.DNSTypeA))), 0, 0},
		{at: 5104 * ms, data: r(udpDNS(t, vip, 53, podA, 40004, dnsAnswer(0x2003, "api.example.org", layers.DNSTypeA, layers.DNSResponseCodeServFail, "")))},
		// 11-12: UDP answer with TC set, 13-14: the retry over TCP.
		{at: 5200 * ms, data: e(udpDNS(t, podA, 40005, vip, 53, dnsQuery(0x2004, "big.example.org", layers.DNSTypeTXT)))},
		{5201 * ms, r(udpDNS(t, vip, 53, podA, 40005, func() *layers.DNS {
			d := dnsAnswer(0x2004, "big.example.org", layers.DNSTypeTXT, layers.DNSResponseCodeNoErr, "")
			d.TC = true
			return d
		}())), 0, 0},
		{at: 5202 * ms, data: e(tcpDNS(t, podA, 40006, vip, 53, dnsQuery(0x2005, "big.example.org", layers.DNSTypeTXT)))},
		{5204 * ms, r(tcpDNS(t, vip, 53, podA, 40006, dnsAnswer(0x2005, "big.example.org", layers.DNSTypeTXT, layers.DNSResponseCodeNoErr, ""))), 0, 0},
	}
}

// dnatFrames is a pod's veth where kube-proxy's DNAT happened before the
// capture point for the answer only: the query goes to the VIP and the answer
// comes from the CoreDNS pod IP. A copy of the query after DNAT (as
// `tcpdump -i any` sees it again on eth0) is a repeat, not a new query.
func dnatFrames(t testing.TB) []frame {
	ms := time.Millisecond
	e := func(ls []gopacket.SerializableLayer) []byte { return onEth(t, macA, macB, ls) }
	r := func(ls []gopacket.SerializableLayer) []byte { return onEth(t, macB, macA, ls) }
	return []frame{
		// 1: to the VIP; 2: the same query after DNAT; 3: the answer from the pod IP.
		{0, e(udpDNS(t, podA, 40003, vip, 53, dnsQuery(0x2002, "web.default.svc.cluster.local", layers.DNSTypeA))), 0, 0},
		{1 * ms, e(udpDNS(t, podA, 40003, dnsB, 53, dnsQuery(0x2002, "web.default.svc.cluster.local", layers.DNSTypeA))), 0, 0},
		{5 * ms, r(udpDNS(t, dnsB, 53, podA, 40003, dnsAnswer(0x2002, "web.default.svc.cluster.local", layers.DNSTypeA, layers.DNSResponseCodeNoErr, "10.96.5.5"))), 0, 0},
	}
}

// vxlanFrames is node A's eth0 in a VXLAN cluster: DNS through vxlan.calico
// (VNI 4096, port 4789), an inner ARP, and a flannel-style tunnel on 8472.
func vxlanFrames(t testing.TB) []frame {
	ms := time.Millisecond
	e := func(ls []gopacket.SerializableLayer) []byte { return onEth(t, macA, macB, ls) }
	r := func(ls []gopacket.SerializableLayer) []byte { return onEth(t, macB, macA, ls) }
	arp := serialize(t, &layers.VXLAN{ValidIDFlag: true, VNI: 4096}, ethL(vmacA, vmacB, layers.EthernetTypeARP),
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4, Operation: 1,
			SourceHwAddress: vmacA, SourceProtAddress: net.ParseIP(podVA).To4(), DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP(dnsVB).To4()})
	arpIP := ip4L(vxA, vxB, layers.IPProtocolUDP)
	return []frame{
		{at: 0, data: e(vxlan(t, vxA, vxB, 51234, 4789, 4096, udpDNS(t, podVA, 41000, dnsVB, 53, dnsQuery(0x3001, "kubernetes.default.svc.cluster.local", layers.DNSTypeA))))},
		{1 * ms, r(vxlan(t, vxB, vxA, 40111, 4789, 4096, udpDNS(t, dnsVB, 53, podVA, 41000, dnsAnswer(0x3001, "kubernetes.default.svc.cluster.local", layers.DNSTypeA, layers.DNSResponseCodeNoErr, "10.96.0.1")))), 0, 0},
		{at: 2 * ms, data: e(vxlan(t, vxA, vxB, 51235, 4789, 4096, udpDNS(t, podVA, 41001, dnsVB, 53, dnsQuery(0x3002, "lost.example.com", layers.DNSTypeA))))},
		{3 * ms, e(vxlan(t, vxA, vxB, 51236, 4789, 4096, udpDNS(t, podVA, 41002, dnsVB, 53, dnsQuery(0x3003, "lost2.example.com", layers.DNSTypeA)))), 0, 0},
		{at: 4 * ms, data: e([]gopacket.SerializableLayer{arpIP, udpL(arpIP, 51237, 4789), gopacket.Payload(arp)})},
		{5 * ms, e(vxlan(t, vxA, "192.168.1.13", 51238, 8472, 1, udpDNS(t, podVA, 41003, "10.244.13.2", 53, dnsQuery(0x3004, "flannel.example.com", layers.DNSTypeA)))), 0, 0},
		{at: 6 * ms, data: r(vxlan(t, "192.168.1.13", vxA, 51239, 8472, 1, udpDNS(t, "10.244.13.2", 53, podVA, 41003, dnsAnswer(0x3004, "flannel.example.com", layers.DNSTypeA, layers.DNSResponseCodeNoErr, "1.2.3.4"))))},
	}
}

// icmpFrames holds the ICMP errors a node with a too-large tunnel MTU and a
// broken DNS path sees.
func icmpFrames(t testing.TB) []frame {
	ms := time.Millisecond
	// A VXLAN packet of 1500 bytes that the underlay (MTU 1450) refuses.
	big := serialize(t, vxlan(t, vxA, vxB, 51234, 4789, 4096, func() []gopacket.SerializableLayer {
		ip := ip4L(podVA, dnsVB, layers.IPProtocolTCP)
		return []gopacket.SerializableLayer{ip, tcpL(ip, 52000, 443, 1, true), gopacket.Payload(make([]byte, 1400))}
	}())...)
	dnsq := serialize(t, udpDNS(t, podA, 40010, vip, 53, dnsQuery(0x4001, "x.example.com", layers.DNSTypeA))...)
	icmp := func(src, dst string, typ, code uint8, rest uint32, quote []byte) []byte {
		ip := ip4L(src, dst, layers.IPProtocolICMPv4)
		ip.Flags = 0
		if len(quote) > 28 {
			quote = quote[:28]
		}
		return onEth(t, macB, macA, []gopacket.SerializableLayer{ip,
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: uint16(rest >> 16), Seq: uint16(rest)}, gopacket.Payload(quote)})
	}
	return []frame{
		{at: 0, data: icmp("192.168.1.1", vxA, 3, 4, 1450, big)},
		{1 * ms, icmp("192.168.1.1", vxA, 3, 4, 1450, big), 0, 0},
		{at: 2 * ms, data: icmp("192.168.1.1", vxA, 3, 4, 1450, big)},
		{3 * ms, icmp(vip, podA, 3, 3, 0, dnsq), 0, 0},
		{at: 4 * ms, data: icmp("10.0.0.1", nodeA, 3, 1, 0, dnsq)},
		{5 * ms, icmp("10.0.0.1", nodeA, 11, 0, 0, dnsq), 0, 0},
		{at: 6 * ms, data: icmp("10.0.0.1", nodeA, 3, 13, 0, dnsq)},
		{7 * ms, icmp("10.0.0.1", nodeA, 3, 0, 0, dnsq), 0, 0},
		// An echo request is no error.
		{8 * ms, func() []byte {
			ip := ip4L(nodeA, nodeB, layers.IPProtocolICMPv4)
			return onEth(t, macA, macB, []gopacket.SerializableLayer{ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1}, gopacket.Payload("ping")})
		}(), 0, 0},
	}
}

// vxlanNgFrames adds to vxlanFrames a query and its answer seen on a second
// interface of link type SLL2, as a pcapng file of two interfaces holds them.
func vxlanNgFrames(t testing.TB) []frame {
	fs := vxlanFrames(t)
	q := serialize(t, udpDNS(t, podVA, 41010, "10.96.0.10", 53, dnsQuery(0x3010, "svc.example.com", layers.DNSTypeA))...)
	a := serialize(t, udpDNS(t, "10.96.0.10", 53, podVA, 41010, dnsAnswer(0x3010, "svc.example.com", layers.DNSTypeA, layers.DNSResponseCodeNoErr, "10.1.1.1"))...)
	return append(fs,
		frame{at: 10 * time.Millisecond, data: sll2(7, 4, layers.EthernetTypeIPv4, vmacA, q), iface: 1},
		frame{at: 11 * time.Millisecond, data: sll2(7, 0, layers.EthernetTypeIPv4, vmacB, a), iface: 1})
}

// ipOnly strips the Ethernet header: the IP packet of an Ethernet frame.
func ipOnly(frames []frame) [][]byte {
	out := make([][]byte, len(frames))
	for i, f := range frames {
		out[i] = f.data[14:]
	}
	return out
}

// anyFrames is ipipFrames as `tcpdump -i any` with libpcap < 1.10 writes them.
func sllFrames(t testing.TB) []frame {
	in := ipipFrames(t)
	out := make([]frame, len(in))
	for i, p := range ipOnly(in) {
		pt := uint16(4) // outgoing
		if bytes.Equal(in[i].data[6:12], macB) {
			pt = 0 // to us
		}
		out[i] = frame{at: in[i].at, data: sll(pt, layers.EthernetTypeIPv4, in[i].data[6:12], p)}
	}
	return out
}

// sll2Frames is vxlanFrames as `tcpdump -i any` with libpcap ≥ 1.10 writes them.
func sll2Frames(t testing.TB) []frame {
	in := vxlanFrames(t)
	out := make([]frame, len(in))
	for i, p := range ipOnly(in) {
		pt := uint8(4)
		if bytes.Equal(in[i].data[6:12], macB) {
			pt = 0
		}
		out[i] = frame{at: in[i].at, data: sll2(2, pt, layers.EthernetTypeIPv4, in[i].data[6:12], p)}
	}
	return out
}

// rawFrames is ipipFrames with no link header (LINKTYPE_RAW, e.g. a capture
// on tunl0 or on a WireGuard device).
func rawFrames(t testing.TB) []frame {
	in := ipipFrames(t)
	out := make([]frame, len(in))
	for i, p := range ipOnly(in) {
		out[i] = frame{at: in[i].at, data: p}
	}
	return out
}

// vxlan6Frames is VXLAN over an IPv6 underlay (Calico's vxlan-v6.calico)
// carrying IPv6 pod DNS, and one IPv6 packet-too-big.
func vxlan6Frames(t testing.TB) []frame {
	ip6 := func(src, dst string, nh layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: nh, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	}
	u6 := func(ip *layers.IPv6, sp, dp uint16) *layers.UDP {
		u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
		_ = u.SetNetworkLayerForChecksum(ip)
		return u
	}
	wrap := func(src, dst string, inner ...gopacket.SerializableLayer) []byte {
		o := ip6(src, dst, layers.IPProtocolUDP)
		return serialize(t, append([]gopacket.SerializableLayer{ethL(macA, macB, layers.EthernetTypeIPv6), o, u6(o, 40000, 4789),
			&layers.VXLAN{ValidIDFlag: true, VNI: 4096}, ethL(vmacA, vmacB, layers.EthernetTypeIPv6)}, inner...)...)
	}
	q := ip6("fd00:10:244:1::5", "fd00:10:244:2::7", layers.IPProtocolUDP)
	a := ip6("fd00:10:244:2::7", "fd00:10:244:1::5", layers.IPProtocolUDP)
	ptb := ip6("fd00::1", "fd00::11", layers.IPProtocolICMPv6)
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(2, 0)}
	_ = icmp.SetNetworkLayerForChecksum(ptb)
	quote := serialize(t, q, u6(q, 41000, 53), gopacket.Payload(make([]byte, 1400)))
	return []frame{
		{0, wrap("fd00::11", "fd00::12", q, u6(q, 41000, 53), dnsQuery(0x6001, "kubernetes.default.svc.cluster.local", layers.DNSTypeAAAA)), 0, 0},
		{time.Millisecond, wrap("fd00::12", "fd00::11", a, u6(a, 53, 41000), dnsAnswer(0x6001, "kubernetes.default.svc.cluster.local", layers.DNSTypeAAAA, layers.DNSResponseCodeNoErr, "")), 0, 0},
		{2 * time.Millisecond, serialize(t, ethL(macB, macA, layers.EthernetTypeIPv6), ptb, icmp, gopacket.Payload(append([]byte{0, 0, 5, 0x8c}, quote[:1232]...))), 0, 0},
	}
}

// testCaptures are the crafted files of testdata/, by name.
func testCaptures(t testing.TB) map[string][]byte {
	ipipPcap := writePcap(t, layers.LinkTypeEthernet, ipipFrames(t))
	return map[string][]byte{
		"ipip-dns.pcap":       ipipPcap,
		"ipip-dns.pcap.gz":    gzipped(t, ipipPcap),
		"vxlan-dns.pcapng":    writePcapng(t, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2}, vxlanNgFrames(t)),
		"dns-dnat.pcap":       writePcap(t, layers.LinkTypeEthernet, dnatFrames(t)),
		"icmp-errors.pcap":    writePcap(t, layers.LinkTypeEthernet, icmpFrames(t)),
		"sll-any.pcap":        writePcap(t, layers.LinkTypeLinuxSLL, sllFrames(t)),
		"sll2-any.pcap":       writePcap(t, layers.LinkTypeLinuxSLL2, sll2Frames(t)),
		"raw-ip.pcap":         writePcap(t, layers.LinkTypeRaw, rawFrames(t)),
		"vxlan-ipv6.pcap":     writePcap(t, layers.LinkTypeEthernet, vxlan6Frames(t)),
		"truncated-last.pcap": ipipPcap[:len(ipipPcap)-20],
	}
}
