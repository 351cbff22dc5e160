package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ipv4Layer stops the parser at the transport header. Without it, an IP-in-IP
// packet would have its inner header decoded into the same IPv4 value as the
// outer one (a parser keeps one decoder per layer type); the inner packet goes
// to a second layer set instead. Fragments after the first have no transport
// header; the first one has, and is decoded (a DNS response in two fragments
// still shows its header).
type ipv4Layer struct{ layers.IPv4 }

func (ip *ipv4Layer) NextLayerType() gopacket.LayerType {
	if ip.FragOffset != 0 {
		return gopacket.LayerTypeZero
	}
	return transportLayer(ip.Protocol)
}

// ipv6Layer walks the extension headers gopacket leaves in the payload
// (routing, destination options, fragment, AH) to reach the transport header,
// so that UDP in a first IPv6 fragment is seen as it is in IPv4.
type ipv6Layer struct {
	layers.IPv6
	nh      layers.IPProtocol // after the extension headers
	l4      []byte
	fragOff uint16
	frag    bool
}

func (ip *ipv6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := ip.IPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	ip.nh = ip.NextHeader
	if ip.HopByHop != nil {
		ip.nh = ip.HopByHop.NextHeader
	}
	ip.l4 = ip.Payload
	ip.fragOff, ip.frag = 0, false
	for i := 0; i < 8; i++ {
		var n int
		switch ip.nh {
		case layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination, 135:
			if len(ip.l4) < 2 {
				return nil
			}
			n = (int(ip.l4[1]) + 1) * 8
		case layers.IPProtocolAH:
			if len(ip.l4) < 2 {
				return nil
			}
			n = (int(ip.l4[1]) + 2) * 4
		case layers.IPProtocolIPv6Fragment:
			if len(ip.l4) < 8 {
				return nil
			}
			n = 8
			ip.frag = true
			ip.fragOff = uint16(ip.l4[2])<<5 | uint16(ip.l4[3])>>3
		default:
			return nil
		}
		if n > len(ip.l4) {
			ip.l4 = nil
			return nil
		}
		ip.nh = layers.IPProtocol(ip.l4[0])
		ip.l4 = ip.l4[n:]
	}
	return nil
}

func (ip *ipv6Layer) LayerPayload() []byte { return ip.l4 }

func (ip *ipv6Layer) NextLayerType() gopacket.LayerType {
	if ip.fragOff != 0 {
		return gopacket.LayerTypeZero
	}
	return transportLayer(ip.nh)
}

func transportLayer(p layers.IPProtocol) gopacket.LayerType {
	switch p {
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolICMPv4:
		return layers.LayerTypeICMPv4
	case layers.IPProtocolICMPv6:
		return layers.LayerTypeICMPv6
	}
	return gopacket.LayerTypeZero
}

// layerSet is one set of preallocated layers with the parsers that fill them,
// one parser per first layer. The outer headers and the inner headers of a
// tunnel each have their own set.
type layerSet struct {
	eth   layers.Ethernet
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	vlan  layers.Dot1Q
	ip4   ipv4Layer
	ip6   ipv6Layer
	udp   layers.UDP
	tcp   layers.TCP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6

	pEth, pSLL, pSLL2, pIP4, pIP6 *gopacket.DecodingLayerParser
	decoded                       []gopacket.LayerType
}

func newLayerSet() *layerSet {
	l := &layerSet{decoded: make([]gopacket.LayerType, 0, 8)}
	mk := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		p := gopacket.NewDecodingLayerParser(first)
		// The sparse container is a slice indexed by layer type: the
		// cheapest lookup of the three gopacket offers.
		p.SetDecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
		for _, d := range []gopacket.DecodingLayer{&l.eth, &l.sll, &l.sll2, &l.vlan, &l.ip4, &l.ip6, &l.udp, &l.tcp, &l.icmp4, &l.icmp6} {
			p.AddDecodingLayer(d)
		}
		// Layers not in the set (ARP, DNS, VXLAN, payload) end decoding
		// without error: what lies beyond the transport header is read here.
		p.IgnoreUnsupported = true
		// Summarize recovers from decoder panics per packet; a second
		// deferred recover per layer set costs time and adds nothing.
		p.IgnorePanic = true
		return p
	}
	l.pEth = mk(layers.LayerTypeEthernet)
	l.pSLL = mk(layers.LayerTypeLinuxSLL)
	l.pSLL2 = mk(layers.LayerTypeLinuxSLL2)
	l.pIP4 = mk(layers.LayerTypeIPv4)
	l.pIP6 = mk(layers.LayerTypeIPv6)
	return l
}

// pkt is what one decoded packet offers, read from a layerSet.
type pkt struct {
	ipVer    uint8 // 4, 6, or 0 when there is no IP header
	src, dst netip.Addr
	v4       uint64 // IPv4 source and destination, for flow keys
	proto    uint8  // IP protocol (after a hop-by-hop header)
	ipPay    []byte // IP payload
	frag     bool   // any fragment
	laterFr  bool   // a fragment after the first: no transport header
	l4       gopacket.LayerType
	sport    uint16
	dport    uint16
	l4pay    []byte
	icmpType uint8
	icmpCode uint8
	icmpRest uint32 // bytes 4-7 of the ICMP header (MTU of frag-needed)
}

// decode runs the parser for first over data and reads the result into p. It
// returns the parser's error, if any: the layers decoded before it are in p.
func (l *layerSet) decode(first gopacket.LayerType, data []byte, p *pkt) error {
	var parser *gopacket.DecodingLayerParser
	switch first {
	case layers.LayerTypeEthernet:
		parser = l.pEth
	case layers.LayerTypeLinuxSLL:
		parser = l.pSLL
	case layers.LayerTypeLinuxSLL2:
		parser = l.pSLL2
	case layers.LayerTypeIPv4:
		parser = l.pIP4
	default:
		parser = l.pIP6
	}
	err := parser.DecodeLayers(data, &l.decoded)
	for _, t := range l.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			ip := &l.ip4.IPv4
			if len(ip.SrcIP) != 4 || len(ip.DstIP) != 4 {
				continue
			}
			p.ipVer = 4
			s4, d4 := [4]byte(ip.SrcIP), [4]byte(ip.DstIP)
			p.src = netip.AddrFrom4(s4)
			p.dst = netip.AddrFrom4(d4)
			p.v4 = uint64(binary.BigEndian.Uint32(s4[:]))<<32 | uint64(binary.BigEndian.Uint32(d4[:]))
			p.proto = uint8(ip.Protocol)
			p.ipPay = ip.Payload
			p.frag = ip.FragOffset != 0 || ip.Flags&layers.IPv4MoreFragments != 0
			p.laterFr = ip.FragOffset != 0
		case layers.LayerTypeIPv6:
			ip := &l.ip6.IPv6
			if len(ip.SrcIP) != 16 || len(ip.DstIP) != 16 {
				continue
			}
			p.ipVer = 6
			p.src = netip.AddrFrom16([16]byte(ip.SrcIP))
			p.dst = netip.AddrFrom16([16]byte(ip.DstIP))
			p.proto = uint8(l.ip6.nh)
			p.ipPay = l.ip6.l4
			p.frag = l.ip6.frag
			p.laterFr = l.ip6.fragOff != 0
		case layers.LayerTypeUDP:
			p.l4 = t
			p.sport, p.dport = uint16(l.udp.SrcPort), uint16(l.udp.DstPort)
			p.l4pay = l.udp.Payload
		case layers.LayerTypeTCP:
			p.l4 = t
			p.sport, p.dport = uint16(l.tcp.SrcPort), uint16(l.tcp.DstPort)
			p.l4pay = l.tcp.Payload
		case layers.LayerTypeICMPv4:
			p.l4 = t
			p.icmpType, p.icmpCode = l.icmp4.TypeCode.Type(), l.icmp4.TypeCode.Code()
			p.icmpRest = uint32(l.icmp4.Id)<<16 | uint32(l.icmp4.Seq)
			p.l4pay = l.icmp4.Payload
		case layers.LayerTypeICMPv6:
			p.l4 = t
			p.icmpType, p.icmpCode = l.icmp6.TypeCode.Type(), l.icmp6.TypeCode.Code()
			// gopacket keeps bytes 4-7 of an ICMPv6 header in the
			// payload: they are the MTU of a packet-too-big message.
			pay := l.icmp6.Payload
			if len(pay) >= 4 {
				p.icmpRest = uint32(pay[0])<<24 | uint32(pay[1])<<16 | uint32(pay[2])<<8 | uint32(pay[3])
				pay = pay[4:]
			} else {
				pay = nil
			}
			p.l4pay = pay
		}
	}
	return err
}
