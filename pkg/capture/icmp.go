package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

type icmpKey struct {
	typ         string
	icmpType    uint8
	icmpCode    uint8
	src, dst    netip.Addr
	quotedProto uint8
	quotedDst   netip.AddrPort
	mtu         int
	inTunnel    bool
}

// icmpError records an ICMP error message (not echo, not neighbour discovery)
// with the headers of the packet it quotes.
func (st *state) icmpError(num int, p *pkt, inTunnel bool) {
	var typ string
	mtu := 0
	if p.l4 == layers.LayerTypeICMPv4 {
		switch p.icmpType {
		case layers.ICMPv4TypeDestinationUnreachable:
			switch p.icmpCode {
			case layers.ICMPv4CodeNet:
				typ = ICMPNetUnreachable
			case layers.ICMPv4CodeHost:
				typ = ICMPHostUnreachable
			case layers.ICMPv4CodePort:
				typ = ICMPPortUnreachable
			case layers.ICMPv4CodeFragmentationNeeded:
				typ = ICMPFragNeeded
				mtu = int(p.icmpRest & 0xffff) // RFC 1191: next-hop MTU in the low 16 bits
			default:
				typ = ICMPOtherUnreachable
			}
		case layers.ICMPv4TypeTimeExceeded:
			typ = ICMPTimeExceeded
		default:
			return
		}
	} else {
		switch p.icmpType {
		case layers.ICMPv6TypeDestinationUnreachable:
			switch p.icmpCode {
			case layers.ICMPv6CodeNoRouteToDst:
				typ = ICMPNetUnreachable
			case layers.ICMPv6CodeAddressUnreachable:
				typ = ICMPHostUnreachable
			case layers.ICMPv6CodePortUnreachable:
				typ = ICMPPortUnreachable
			default:
				typ = ICMPOtherUnreachable
			}
		case layers.ICMPv6TypePacketTooBig:
			typ = ICMPFragNeeded
			mtu = int(p.icmpRest)
		case layers.ICMPv6TypeTimeExceeded:
			typ = ICMPTimeExceeded
		default:
			return
		}
	}
	qproto, qsrc, qdst := quoted(p.l4pay)
	k := icmpKey{typ: typ, icmpType: p.icmpType, icmpCode: p.icmpCode, src: p.src, dst: p.dst, quotedProto: qproto, quotedDst: qdst, mtu: mtu, inTunnel: inTunnel}
	if i, ok := st.icmp[k]; ok {
		st.s.ICMP[i].Count++
		return
	}
	if len(st.s.ICMP) >= st.opts.MaxICMP {
		st.s.ICMPOther++
		return
	}
	st.icmp[k] = len(st.s.ICMP)
	st.s.ICMP = append(st.s.ICMP, ICMPError{
		Type: typ, ICMPType: p.icmpType, ICMPCode: p.icmpCode, Src: p.src, Dst: p.dst,
		QuotedProto: qproto, QuotedSrc: qsrc, QuotedDst: qdst, MTU: mtu, Count: 1, FirstPacket: num, InTunnel: inTunnel,
	})
}

// quoted reads the IP header and the first 8 bytes after it that an ICMP error
// quotes (RFC 792; RFC 4443 quotes more). Ports are read for UDP and TCP when
// present; a quote cut short gives what it has.
func quoted(b []byte) (proto uint8, src, dst netip.AddrPort) {
	if len(b) < 1 {
		return
	}
	var l4 []byte
	var sa, da netip.Addr
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return
		}
		ihl := int(b[0]&0x0f) * 4
		proto = b[9]
		sa = netip.AddrFrom4([4]byte(b[12:16]))
		da = netip.AddrFrom4([4]byte(b[16:20]))
		fragOff := binary.BigEndian.Uint16(b[6:8]) & 0x1fff
		if ihl >= 20 && ihl <= len(b) && fragOff == 0 {
			l4 = b[ihl:]
		}
	case 6:
		if len(b) < 40 {
			return
		}
		proto = b[6]
		sa = netip.AddrFrom16([16]byte(b[8:24]))
		da = netip.AddrFrom16([16]byte(b[24:40]))
		l4 = b[40:]
	default:
		return
	}
	var sp, dp uint16
	if (proto == 6 || proto == 17) && len(l4) >= 4 {
		sp = binary.BigEndian.Uint16(l4[0:2])
		dp = binary.BigEndian.Uint16(l4[2:4])
	}
	return proto, netip.AddrPortFrom(sa, sp), netip.AddrPortFrom(da, dp)
}
