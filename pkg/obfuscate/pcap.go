package obfuscate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Pcap rewrites a pcap or pcapng capture with the mapping of Text: the source and
// destination of every IPv4 and IPv6 header (outer, IP-in-IP and VXLAN
// inner, and the header an ICMP error quotes), ARP addresses and the A/AAAA
// answers of DNS. Packets keep their sizes and every other byte; each checksum
// covering a rewritten address is updated incrementally (RFC 1624), so a
// correct checksum stays correct and one that was wrong (transmit offload)
// stays wrong by the same amount. vxlanPorts are the UDP ports of VXLAN
// (4789 when empty). It streams: memory does not grow with the capture.
// Packets of link types it cannot rewrite make it an error, as any damage
// but a file cut short does: nothing unrewritten is written. Of a pcapng,
// what is kept besides the packets is said at ngIDBKeep.
func (o *Obfuscator) Pcap(dst io.Writer, src io.Reader, vxlanPorts []int) (packets int, err error) {
	rw := packetRewriter{o: o, vxlan: map[uint16]bool{4789: true}}
	if len(vxlanPorts) > 0 {
		rw.vxlan = map[uint16]bool{}
		for _, p := range vxlanPorts {
			rw.vxlan[uint16(p)] = true
		}
	}
	br, ok := src.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(src)
	}
	if magic, _ := br.Peek(4); len(magic) == 4 && binary.LittleEndian.Uint32(magic) == 0x0A0D0D0A {
		return o.pcapng(dst, br, &rw)
	}
	r, err := pcapgo.NewReader(br)
	if err != nil {
		return 0, fmt.Errorf("obfuscate capture: %w", err)
	}
	var w *pcapgo.Writer
	if r.Resolution().ToDuration() == time.Nanosecond {
		w = pcapgo.NewWriterNanos(dst)
	} else {
		w = pcapgo.NewWriter(dst)
	}
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		return 0, fmt.Errorf("obfuscate capture: %w", err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return packets, nil
		}
		if err != nil {
			// A capture cut short (the window ended mid-write) keeps what came
			// before; other damage too: nothing unrewritten is written.
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return packets, nil
			}
			return packets, fmt.Errorf("obfuscate capture: packet %d: %w", packets+1, err)
		}
		if !rw.link(data, r.LinkType()) {
			return packets, fmt.Errorf("obfuscate capture: link type %d not rewritten", int(r.LinkType()))
		}
		if err := w.WritePacket(ci, data); err != nil {
			return packets, fmt.Errorf("obfuscate capture: %w", err)
		}
		packets++
	}
}

type packetRewriter struct {
	o     *Obfuscator
	vxlan map[uint16]bool
}

// csum is a checksum field to update and whether the bytes it covers start
// at an odd offset from where the rewritten bytes are (a 16-bit sum of
// byte-swapped words).
type csum struct {
	b   []byte // the two checksum bytes; nil for none
	odd bool
	udp bool // a UDP checksum of 0 means "none" and stays 0
	// outer are the checksums covering this checksum's own bytes (an outer
	// UDP checksum over an inner IP header): a change here changes them.
	outer []csum
}

// link rewrites a packet of link type lt; false for a link type it does not
// know, whose addresses it could not find.
func (rw *packetRewriter) link(p []byte, lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeEthernet:
		rw.ether(p, nil)
	case layers.LinkTypeLinuxSLL:
		if len(p) >= 16 {
			rw.ethertype(binary.BigEndian.Uint16(p[14:16]), p[16:], nil)
		}
	case layers.LinkTypeLinuxSLL2:
		if len(p) >= 20 {
			rw.ethertype(binary.BigEndian.Uint16(p[0:2]), p[20:], nil)
		}
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		rw.rawIP(p, nil)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		// A 4-byte address family; the version nibble tells the rest.
		if len(p) >= 4 {
			rw.rawIP(p[4:], nil)
		}
	default:
		return false
	}
	return true
}

// ether handles an Ethernet frame (outer, or inside VXLAN whose UDP checksum
// is outer).
func (rw *packetRewriter) ether(p []byte, outer []csum) {
	if len(p) < 14 {
		return
	}
	et, off := binary.BigEndian.Uint16(p[12:14]), 14
	for (et == 0x8100 || et == 0x88a8) && len(p) >= off+4 {
		et, off = binary.BigEndian.Uint16(p[off+2:off+4]), off+4
	}
	rw.ethertype(et, p[off:], withOdd(outer, off))
}

func (rw *packetRewriter) ethertype(et uint16, p []byte, outer []csum) {
	switch et {
	case 0x0800, 0x86dd:
		rw.rawIP(p, outer)
	case 0x0806:
		rw.arp(p, outer)
	}
}

func (rw *packetRewriter) rawIP(p []byte, outer []csum) {
	if len(p) == 0 {
		return
	}
	switch p[0] >> 4 {
	case 4:
		rw.ipv4(p, outer)
	case 6:
		rw.ipv6(p, outer)
	}
}

// withOdd returns the checksums as seen from a point off bytes further.
func withOdd(cs []csum, off int) []csum {
	if off%2 == 0 || len(cs) == 0 {
		return cs
	}
	out := make([]csum, len(cs))
	for i, c := range cs {
		c.odd = !c.odd
		out[i] = c
	}
	return out
}

// replace writes the fake of the address in b and updates every checksum.
func (rw *packetRewriter) replace(b []byte, cs []csum) {
	var a netip.Addr
	switch len(b) {
	case 4:
		a = netip.AddrFrom4([4]byte(b))
	case 16:
		a = netip.AddrFrom16([16]byte(b))
	default:
		return
	}
	m := rw.o.Addr(a)
	if m == a {
		return
	}
	var nb []byte
	if len(b) == 4 {
		v := m.As4()
		nb = v[:]
	} else {
		v := m.As16()
		nb = v[:]
	}
	for _, c := range cs {
		update(c, b, nb)
	}
	copy(b, nb)
}

// update adjusts c for old bytes becoming new (both of even length):
// HC' = ~(~HC + ~m + m') over 16-bit words, RFC 1624 eqn. 3.
func update(c csum, old, new []byte) {
	if len(c.b) < 2 {
		return
	}
	hc := binary.BigEndian.Uint16(c.b)
	if c.udp && hc == 0 {
		return
	}
	sum := uint32(^hc)
	for i := 0; i+1 < len(old); i += 2 {
		ow := binary.BigEndian.Uint16(old[i:])
		nw := binary.BigEndian.Uint16(new[i:])
		if c.odd {
			ow, nw = ow<<8|ow>>8, nw<<8|nw>>8
		}
		sum += uint32(^ow) + uint32(nw)
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	r := ^uint16(sum)
	if c.udp && r == 0 {
		r = 0xffff // 0 would mean "no checksum"
	}
	var was [2]byte
	copy(was[:], c.b)
	binary.BigEndian.PutUint16(c.b, r)
	for _, oc := range c.outer {
		update(oc, was[:], c.b)
	}
}

func (rw *packetRewriter) ipv4(p []byte, outer []csum) {
	if len(p) < 20 {
		return
	}
	ihl := int(p[0]&0x0f) * 4
	if ihl < 20 || len(p) < ihl {
		return
	}
	proto := p[9]
	payload := p[ihl:]
	fragOff := binary.BigEndian.Uint16(p[6:8]) & 0x1fff
	// Addresses are in the IP checksum, the transport's pseudo-header and
	// whatever outer checksum covers this packet.
	tcs := rw.transportCsum(proto, payload, fragOff != 0, withOdd(outer, ihl))
	hdr := csum{b: p[10:12], outer: outer}
	all := append(append([]csum{hdr}, outer...), tcs...)
	rw.replace(p[12:16], all)
	rw.replace(p[16:20], all)
	if fragOff == 0 {
		rw.transport(proto, payload, withOdd(outer, ihl))
	}
}

func (rw *packetRewriter) ipv6(p []byte, outer []csum) {
	if len(p) < 40 {
		return
	}
	proto := p[6]
	payload := p[40:]
	tcs := rw.transportCsum(proto, payload, false, outer)
	all := append(append([]csum{}, outer...), tcs...)
	rw.replace(p[8:24], all)
	rw.replace(p[24:40], all)
	rw.transport(proto, payload, outer)
}

// transportCsum is the checksum whose pseudo-header holds the addresses of
// the IP header carrying it.
func (rw *packetRewriter) transportCsum(proto byte, p []byte, fragment bool, outer []csum) []csum {
	if fragment {
		return nil
	}
	switch {
	case proto == 17 && len(p) >= 8:
		return []csum{{b: p[6:8], udp: true, outer: outer}}
	case proto == 6 && len(p) >= 18:
		return []csum{{b: p[16:18], outer: outer}}
	case proto == 58 && len(p) >= 4: // ICMPv6 has a pseudo-header
		return []csum{{b: p[2:4], outer: outer}}
	}
	return nil
}

// transport looks inside: IP-in-IP, VXLAN, DNS answers, the packet an ICMP
// error quotes. outer are checksums covering p from outer layers; the
// transport's own checksum is added for what it covers.
func (rw *packetRewriter) transport(proto byte, p []byte, outer []csum) {
	switch proto {
	case 4, 41: // IP-in-IP, IPv6-in-IP
		rw.rawIP(p, outer)
	case 17:
		if len(p) < 8 {
			return
		}
		own := append(append([]csum{}, outer...), csum{b: p[6:8], udp: true, outer: outer})
		sport, dport := binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4])
		body := p[8:]
		switch {
		case rw.vxlan[dport] && len(body) >= 8 && body[0]&0x08 != 0:
			rw.ether(body[8:], withOdd(own, 16))
		case sport == 53 || dport == 53 || sport == 5353:
			rw.dns(body, withOdd(own, 8))
		}
	case 1:
		// An ICMP error quotes the IP header of what failed: its addresses are
		// the same hosts.
		if len(p) >= 8 && (p[0] == 3 || p[0] == 11 || p[0] == 12 || p[0] == 5) {
			own := append(append([]csum{}, outer...), csum{b: p[2:4], outer: outer})
			rw.quoted(p[8:], own)
		}
	case 58:
		if len(p) >= 8 && p[0] < 128 {
			own := append(append([]csum{}, outer...), csum{b: p[2:4], outer: outer})
			rw.quoted(p[8:], own)
		}
	}
}

// quoted rewrites the (possibly truncated) IP header an ICMP error carries.
func (rw *packetRewriter) quoted(p []byte, cs []csum) {
	if len(p) == 0 {
		return
	}
	switch p[0] >> 4 {
	case 4:
		if len(p) >= 20 {
			all := append(append([]csum{}, cs...), csum{b: p[10:12], outer: cs})
			ihl := int(p[0]&0x0f) * 4
			if ihl >= 20 && len(p) >= ihl+8 && p[9] == 17 {
				all = append(all, csum{b: p[ihl+6 : ihl+8], udp: true, outer: withOdd(cs, ihl)})
			}
			rw.replace(p[12:16], all)
			rw.replace(p[16:20], all)
		}
	case 6:
		if len(p) >= 40 {
			rw.replace(p[8:24], cs)
			rw.replace(p[24:40], cs)
		}
	}
}

func (rw *packetRewriter) arp(p []byte, outer []csum) {
	// Ethernet/IPv4 ARP: sender address at 14, target at 24.
	if len(p) >= 28 && binary.BigEndian.Uint16(p[2:4]) == 0x0800 && p[4] == 6 && p[5] == 4 {
		rw.replace(p[14:18], outer)
		rw.replace(p[24:28], outer)
	}
}

// dns rewrites the A and AAAA records of a DNS message (answers, authority,
// additional); offsets within a truncated message stop the walk.
func (rw *packetRewriter) dns(p []byte, cs []csum) {
	if len(p) < 12 {
		return
	}
	qd := int(binary.BigEndian.Uint16(p[4:6]))
	rr := int(binary.BigEndian.Uint16(p[6:8])) + int(binary.BigEndian.Uint16(p[8:10])) + int(binary.BigEndian.Uint16(p[10:12]))
	off := 12
	for range qd {
		if off = skipName(p, off); off < 0 || off+4 > len(p) {
			return
		}
		off += 4
	}
	for range rr {
		if off = skipName(p, off); off < 0 || off+10 > len(p) {
			return
		}
		typ := binary.BigEndian.Uint16(p[off : off+2])
		rdlen := int(binary.BigEndian.Uint16(p[off+8 : off+10]))
		off += 10
		if off+rdlen > len(p) {
			return
		}
		if (typ == 1 && rdlen == 4) || (typ == 28 && rdlen == 16) {
			rw.replace(p[off:off+rdlen], withOdd(cs, off))
		}
		off += rdlen
	}
}

// skipName returns the offset after the (possibly compressed) name at off,
// or -1.
func skipName(p []byte, off int) int {
	for n := 0; off < len(p) && n < 128; n++ {
		l := int(p[off])
		switch {
		case l == 0:
			return off + 1
		case l&0xc0 == 0xc0:
			if off+2 > len(p) {
				return -1
			}
			return off + 2
		case l&0xc0 != 0:
			return -1
		}
		off += 1 + l
	}
	return -1
}
