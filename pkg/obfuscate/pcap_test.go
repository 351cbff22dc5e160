package obfuscate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// decoded is what a test compares of one packet: its size, every IP address
// gopacket finds at any layer (in order), A/AAAA answers, and which layers'
// checksums are wrong.
type decoded struct {
	size      int
	addrs     []netip.Addr
	badCsums  []string
	layerList string
}

func decodeAll(t *testing.T, data []byte) []decoded {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out []decoded
	for {
		b, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		out = append(out, decodePacket(b, r.LinkType()))
	}
	return out
}

// decodePacket is what decodeAll tells of one packet.
func decodePacket(b []byte, lt layers.LinkType) decoded {
	p := gopacket.NewPacket(b, lt, gopacket.Default)
	d := decoded{size: len(b)}
	var net gopacket.NetworkLayer
	bad := func(l gopacket.Layer, err error, res gopacket.ChecksumVerificationResult) {
		if err == nil && !res.Valid {
			d.badCsums = append(d.badCsums, l.LayerType().String())
		}
	}
	for _, l := range p.Layers() {
		d.layerList += l.LayerType().String() + " "
		switch v := l.(type) {
		case *layers.IPv4:
			d.addrs = append(d.addrs, ip(v.SrcIP), ip(v.DstIP))
			net = v
			err, res := v.VerifyChecksum()
			bad(l, err, res)
		case *layers.IPv6:
			d.addrs = append(d.addrs, ip(v.SrcIP), ip(v.DstIP))
			net = v
		case *layers.UDP:
			if net != nil && len(v.Payload)+8 == int(v.Length) {
				v.SetNetworkLayerForChecksum(net)
				err, res := v.VerifyChecksum()
				bad(l, err, res)
			}
		case *layers.TCP:
			if net != nil {
				v.SetNetworkLayerForChecksum(net)
				err, res := v.VerifyChecksum()
				bad(l, err, res)
			}
		case *layers.ICMPv4:
			err, res := v.VerifyChecksum()
			bad(l, err, res)
		case *layers.ARP:
			d.addrs = append(d.addrs, ip(v.SourceProtAddress), ip(v.DstProtAddress))
		case *layers.DNS:
			for _, a := range v.Answers {
				if a.IP != nil {
					d.addrs = append(d.addrs, ip(a.IP))
				}
			}
		}
	}
	return d
}

func ip(b net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a.Unmap()
}

// craftedCapture: a DNS answer over UDP, an ICMP port unreachable quoting a
// DNS query, an ARP request and a DNS reply with a deliberately wrong UDP
// checksum (as transmit offload leaves them), on Ethernet.
func craftedCapture(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(262144, layers.LinkTypeEthernet)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	write := func(ls ...gopacket.SerializableLayer) {
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		w.WritePacket(gopacket.CaptureInfo{CaptureLength: len(sb.Bytes()), Length: len(sb.Bytes())}, sb.Bytes())
	}
	ip4 := func(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	}
	dnsAnswer := &layers.DNS{ID: 7, QR: true, QDCount: 1, ANCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte("web.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}},
		Answers:   []layers.DNSResourceRecord{{Name: []byte("web.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 30, IP: net.ParseIP("10.244.1.7").To4()}}}
	i4 := ip4("10.244.1.5", "10.244.2.9", layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 53, DstPort: 40000}
	u.SetNetworkLayerForChecksum(i4)
	write(eth, i4, u, dnsAnswer)

	// ICMP port unreachable from 192.168.20.12 quoting 192.168.20.11 -> 10.244.1.5:53.
	inner := ip4("192.168.20.11", "10.244.1.5", layers.IPProtocolUDP)
	iu := &layers.UDP{SrcPort: 41000, DstPort: 53}
	iu.SetNetworkLayerForChecksum(inner)
	sb := gopacket.NewSerializeBuffer()
	gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, inner, iu, gopacket.Payload("query"))
	write(eth, ip4("192.168.20.12", "192.168.20.11", layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(sb.Bytes()))

	arpEth := *eth
	arpEth.EthernetType = layers.EthernetTypeARP
	arpEth.DstMAC = layers.EthernetBroadcast
	write(&arpEth, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: 1, SourceHwAddress: eth.SrcMAC, SourceProtAddress: net.ParseIP("192.168.20.11").To4(),
		DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP("192.168.20.1").To4()})

	// A wrong UDP checksum must stay wrong.
	i4b := ip4("10.244.1.5", "10.244.2.9", layers.IPProtocolUDP)
	ub := &layers.UDP{SrcPort: 53, DstPort: 40001}
	ub.SetNetworkLayerForChecksum(i4b)
	sb = gopacket.NewSerializeBuffer()
	gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, i4b, ub, dnsAnswer)
	bad := sb.Bytes()
	bad[14+20+6] ^= 0x5a
	w.WritePacket(gopacket.CaptureInfo{CaptureLength: len(bad), Length: len(bad)}, bad)
	return buf.Bytes()
}

// TestObfuscatedCapturesKeepEverythingButTheAddresses: real scenario captures
// (IP-in-IP, VXLAN, DNS) and crafted ones (DNS answers, ICMP errors, ARP, a
// bad checksum) come out with the same packets and sizes, every address at
// every layer mapped as Text maps it, and every checksum as valid as before.
func TestObfuscatedCapturesKeepEverythingButTheAddresses(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/bundles/*/*/pcap/*.pcap")
	inputs := map[string][]byte{"crafted": craftedCapture(t)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	if len(inputs) < 5 {
		t.Fatalf("only %d captures found", len(inputs))
	}
	o := New(Key{1, 2, 3})
	mapped := 0
	for name, in := range inputs {
		var out bytes.Buffer
		n, err := o.Pcap(&out, bytes.NewReader(in), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		before, after := decodeAll(t, in), decodeAll(t, out.Bytes())
		if len(before) != n || len(after) != n {
			t.Fatalf("%s: %d packets in, %d rewritten, %d out", name, len(before), n, len(after))
		}
		for i := range before {
			b, a := before[i], after[i]
			if b.size != a.size || b.layerList != a.layerList {
				t.Errorf("%s #%d: %d bytes %s became %d bytes %s", name, i+1, b.size, b.layerList, a.size, a.layerList)
				continue
			}
			if fmt.Sprint(b.badCsums) != fmt.Sprint(a.badCsums) {
				t.Errorf("%s #%d (%s): wrong checksums %v became %v", name, i+1, b.layerList, b.badCsums, a.badCsums)
			}
			for k := range b.addrs {
				if want := o.Addr(b.addrs[k]); a.addrs[k] != want {
					t.Errorf("%s #%d (%s): address %s became %s, want %s", name, i+1, b.layerList, b.addrs[k], a.addrs[k], want)
				}
				if a.addrs[k] != b.addrs[k] {
					mapped++
				}
			}
		}
		if name == "crafted" && len(before[3].badCsums) == 0 {
			t.Errorf("the crafted bad checksum is not bad: the test proves nothing")
		}
	}
	if mapped == 0 {
		t.Error("no address was changed")
	}
}

func TestObfuscatingAnythingButAPcapIsAnError(t *testing.T) {
	o := New(Key{1})
	if _, err := o.Pcap(&bytes.Buffer{}, bytes.NewReader([]byte("hello world, not a capture")), nil); err == nil {
		t.Error("text taken for a capture")
	}
}

// FuzzPcap: whatever the bytes, Pcap does not panic, and a pcapng it
// rewrites without an error is well-formed: rewritten again, it gives the
// same packets.
func FuzzPcap(f *testing.F) {
	f.Add(craftedCaptureBytes())
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		f.Add(craftedPcapngBytes(bo))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		n, err := New(Key{9}).Pcap(&out, bytes.NewReader(in), []int{4789})
		if err != nil || len(in) < 4 || binary.LittleEndian.Uint32(in) != 0x0A0D0D0A {
			return
		}
		var again bytes.Buffer
		m, err := New(Key{9}).Pcap(&again, bytes.NewReader(out.Bytes()), []int{4789})
		if err != nil || m != n {
			t.Fatalf("the rewritten pcapng of %d packets rewrites to %d: %v", n, m, err)
		}
	})
}

// craftedPcapngBytes is craftedCaptureBytes' packet in a pcapng whose blocks
// and options are of every kind the rewrite keeps or drops.
func craftedPcapngBytes(bo byteOrder) []byte {
	g := ngb{bo}
	r, _ := pcapgo.NewReader(bytes.NewReader(craftedCaptureBytes()))
	p, _, _ := r.ReadPacketData()
	v4 := []byte{10, 244, 1, 5, 255, 255, 255, 0}
	return bytes.Join([][]byte{
		g.shb(g.opt(2, []byte("hw")), g.end()),
		g.idb(layers.LinkTypeEthernet, g.opt(2, []byte("eth0")), g.opt(4, v4), g.opt(9, []byte{9}), g.end()),
		g.block(4, []byte{1, 0, 8, 0, 10, 244, 1, 5, 'a', 0, 0, 0, 0, 0, 0, 0}),
		g.epb(0, 1, p, g.opt(1, []byte("comment")), g.opt(2, []byte{0, 0, 0, 1}), g.end()),
		g.spb(p),
		g.block(5, make([]byte, 12)),
	}, nil)
}

// craftedCaptureBytes is a small seed without a *testing.T.
func craftedCaptureBytes() []byte {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	pkt := make([]byte, 14+20+8+12)
	pkt[12], pkt[13] = 0x08, 0x00
	pkt[14] = 0x45
	pkt[14+9] = 17
	copy(pkt[14+12:], []byte{10, 244, 1, 5, 10, 244, 2, 9})
	pkt[34+1] = 53
	w.WritePacket(gopacket.CaptureInfo{CaptureLength: len(pkt), Length: len(pkt)}, pkt)
	return buf.Bytes()
}

// TestProbeErrorTextsAreRewritten: the Go error texts dns/probe.json keeps
// ("dial udp 10.244.1.5:53: connect: ...") hold the address before a port and
// a colon; they were left as they were.
func TestProbeErrorTextsAreRewritten(t *testing.T) {
	o := New(Key{4})
	pod := netip.MustParseAddr("10.244.1.5")
	fake := o.Addr(pod).String()
	for _, in := range []string{
		`{"server":"10.244.1.5","error":"dial udp 10.244.1.5:53: connect: network is unreachable"}`,
		`{"error":"write udp 192.168.20.11:43210->10.244.1.5:53: write: connection refused"}`,
		`{"error":"read udp 10.244.1.5:53:x"}`,
	} {
		out := string(o.Text([]byte(in)))
		if bytes.Contains([]byte(out), []byte("10.244.1.5")) || !bytes.Contains([]byte(out), []byte(fake+":53")) {
			t.Errorf("%s\n-> %s (want %s)", in, out, fake)
		}
	}
	// IPv6 with ports is unchanged in form.
	out := string(o.Text([]byte("read udp [fd00::1]:5353->[fd00::5]:53: i/o timeout")))
	if bytes.Contains([]byte(out), []byte("fd00::5]")) {
		t.Errorf("IPv6 kept: %s", out)
	}
}
