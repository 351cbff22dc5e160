package nativenet

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Address attributes and flags (linux/if_addr.h).
const (
	ifaAddress    = 1
	ifaLocal      = 2
	ifaLabel      = 3
	ifaBroadcast  = 4
	ifaAnycast    = 5
	ifaCacheinfo  = 6
	ifaFlags      = 8
	ifaRtPriority = 9

	ifaFSecondary = 0x01
	ifaFDeprecate = 0x20
	ifaFPermanent = 0x80

	infinityLife = 0xFFFFFFFF
)

// ifAddr is one RTM_NEWADDR message.
type ifAddr struct {
	family, prefixLen, flags, scope uint8
	index                           int32
	a                               attrs
}

func parseIfAddr(b []byte) (ifAddr, bool) {
	if len(b) < 8 {
		return ifAddr{}, false
	}
	return ifAddr{
		family: b[0], prefixLen: b[1], flags: b[2], scope: b[3],
		index: int32(binary.NativeEndian.Uint32(b[4:8])),
		a:     attrTable(b[8:]),
	}, true
}

// Address flags in print_ifa_flags order; "dynamic" is the absence of
// IFA_F_PERMANENT.
var ifaFlagNames = [...]struct {
	bit  uint32
	name string
}{
	{0x01, "secondary"}, {0x02, "nodad"}, {0x04, "optimistic"}, {0x08, "dadfailed"},
	{0x10, "home"}, {0x20, "deprecated"}, {0x40, "tentative"}, {0x80, "permanent"},
	{0x100, "mngtmpaddr"}, {0x200, "noprefixroute"}, {0x400, "autojoin"},
	{0x800, "stable-privacy"},
}

// renderAddr appends one address as print_addrinfo (iproute2 6.1
// ip/ipaddress.c) prints it.
func (v *view) renderAddr(b *bytes.Buffer, ad *ifAddr) {
	switch ad.family {
	case afInet:
		b.WriteString("    inet ")
	case afInet6:
		b.WriteString("    inet6 ")
	default:
		fmt.Fprintf(b, "    family %d ", ad.family)
	}
	if local, ok := ad.a[ifaLocal]; ok {
		b.WriteString(fmtAddr(local))
		if peer, ok := ad.a[ifaAddress]; ok && !bytes.Equal(peer, local) {
			b.WriteString(" peer " + fmtAddr(peer))
		}
		fmt.Fprintf(b, "/%d ", ad.prefixLen)
	} else if addr, ok := ad.a[ifaAddress]; ok {
		// IPv6 addresses have IFA_ADDRESS only.
		fmt.Fprintf(b, "%s/%d ", fmtAddr(addr), ad.prefixLen)
	}
	if m, ok := ad.a.u32(ifaRtPriority); ok {
		fmt.Fprintf(b, "metric %d ", m)
	}
	if brd, ok := ad.a[ifaBroadcast]; ok {
		fmt.Fprintf(b, "brd %s ", fmtAddr(brd))
	}
	if any, ok := ad.a[ifaAnycast]; ok {
		fmt.Fprintf(b, "any %s ", fmtAddr(any))
	}
	fmt.Fprintf(b, "scope %s ", v.names.scope(ad.scope))
	flags := uint32(ad.flags)
	if f, ok := ad.a.u32(ifaFlags); ok {
		flags = f
	}
	all := flags
	for _, f := range ifaFlagNames {
		switch {
		case f.bit == ifaFPermanent:
			if flags&f.bit == 0 {
				b.WriteString("dynamic ")
			}
		case flags&f.bit != 0:
			if f.bit == ifaFSecondary && ad.family == afInet6 {
				b.WriteString("temporary ")
			} else {
				b.WriteString(f.name + " ")
			}
		}
		flags &^= f.bit
	}
	if flags != 0 {
		fmt.Fprintf(b, "flags %#x ", flags)
	}
	if l, ok := ad.a.str(ifaLabel); ok {
		b.WriteString(l)
	}
	if ci, ok := ad.a[ifaCacheinfo]; ok && len(ci) >= 8 {
		pref, valid := binary.NativeEndian.Uint32(ci), binary.NativeEndian.Uint32(ci[4:])
		b.WriteString("\n       valid_lft ")
		if valid == infinityLife {
			b.WriteString("forever")
		} else {
			fmt.Fprintf(b, "%dsec", valid)
		}
		b.WriteString(" preferred_lft ")
		switch {
		case pref == infinityLife:
			b.WriteString("forever")
		case all&ifaFDeprecate != 0:
			fmt.Fprintf(b, "%dsec", int32(pref))
		default:
			fmt.Fprintf(b, "%dsec", pref)
		}
	}
	b.WriteByte('\n')
}

// renderAddrs renders `ip addr show`: each link's header, then its addresses
// in dump order (IPv4 before IPv6, as the kernel dumps families in order).
func (v *view) renderAddrs(links []ifInfo, addrMsgs [][]byte) []byte {
	byLink := map[int32][]ifAddr{}
	for _, m := range addrMsgs {
		ad, ok := parseIfAddr(m)
		if !ok {
			continue
		}
		byLink[ad.index] = append(byLink[ad.index], ad)
	}
	var b bytes.Buffer
	for i := range links {
		l := &links[i]
		v.renderLink(&b, l, false)
		for j := range byLink[l.index] {
			v.renderAddr(&b, &byLink[l.index][j])
		}
	}
	return b.Bytes()
}
