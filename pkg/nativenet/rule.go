package nativenet

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// FIB rule attributes and flags (linux/fib_rules.h).
const (
	fraDst               = 1
	fraSrc               = 2
	fraIIFName           = 3
	fraGoto              = 4
	fraPriority          = 6
	fraFwmark            = 10
	fraFlow              = 11
	fraTunID             = 12
	fraSuppressIfgroup   = 13
	fraSuppressPrefixlen = 14
	fraTable             = 15
	fraFwmask            = 16
	fraOIFName           = 17
	fraL3mdev            = 19
	fraUIDRange          = 20
	fraProtocol          = 21
	fraIPProto           = 22
	fraSportRange        = 23
	fraDportRange        = 24

	fibRuleInvert      = 0x2
	fibRuleUnresolved  = 0x4
	fibRuleIIFDetached = 0x8
	fibRuleOIFDetached = 0x10

	frActToTbl = 1
	frActGoto  = 2
	frActNop   = 3
	rtnNAT     = 10

	rtprotKernel = 2
)

// renderRule appends one rule as print_rule (iproute2 6.1 ip/iprule.c) prints
// it; family is the rule's (AF_INET for `ip rule show`).
func (v *view) renderRule(b *bytes.Buffer, m []byte) {
	if len(m) < 12 {
		return
	}
	family, dstLen, srcLen, tos, table8, action := m[0], m[1], m[2], m[3], m[4], m[7]
	flags := binary.NativeEndian.Uint32(m[8:12])
	a := attrTable(m[12:])
	hostLen := uint8(32)
	if family == afInet6 {
		hostLen = 128
	}
	prio, _ := a.u32(fraPriority)
	fmt.Fprintf(b, "%d:\t", prio)
	if flags&fibRuleInvert != 0 {
		b.WriteString("not ")
	}
	if s, ok := a[fraSrc]; ok {
		b.WriteString("from " + fmtAddr(s))
		if srcLen != hostLen {
			fmt.Fprintf(b, "/%d", srcLen)
		}
	} else if srcLen != 0 {
		fmt.Fprintf(b, "from 0/%d", srcLen)
	} else {
		b.WriteString("from all")
	}
	if d, ok := a[fraDst]; ok {
		b.WriteString(" to " + fmtAddr(d))
		if dstLen != hostLen {
			fmt.Fprintf(b, "/%d", dstLen)
		}
	} else if dstLen != 0 {
		fmt.Fprintf(b, " to 0/%d", dstLen)
	}
	if tos != 0 {
		fmt.Fprintf(b, " tos %s", v.names.dsfield(tos))
	}
	mark, hasMark := a.u32(fraFwmark)
	mask, hasMask := a.u32(fraFwmask)
	if hasMark || hasMask {
		b.WriteString(" fwmark " + cHex(uint64(mark)))
		if hasMask && mask != 0xFFFFFFFF {
			b.WriteString("/" + cHex(uint64(mask)))
		}
	}
	if s, ok := a.str(fraIIFName); ok {
		b.WriteString(" iif " + s)
		if flags&fibRuleIIFDetached != 0 {
			b.WriteString(" [detached]")
		}
	}
	if s, ok := a.str(fraOIFName); ok {
		b.WriteString(" oif " + s)
		if flags&fibRuleOIFDetached != 0 {
			b.WriteString(" [detached]")
		}
	}
	if l3, ok := a.u8(fraL3mdev); ok && l3 != 0 {
		b.WriteString(" lookup [l3mdev-table]")
	}
	if r, ok := a[fraUIDRange]; ok && len(r) >= 8 {
		fmt.Fprintf(b, " uidrange %d-%d", binary.NativeEndian.Uint32(r), binary.NativeEndian.Uint32(r[4:]))
	}
	if p, ok := a.u8(fraIPProto); ok {
		b.WriteString(" ipproto " + v.names.ipproto(p))
	}
	for _, pr := range []struct {
		typ  uint16
		name string
	}{{fraSportRange, "sport"}, {fraDportRange, "dport"}} {
		if r, ok := a[pr.typ]; ok && len(r) >= 4 {
			lo, hi := binary.NativeEndian.Uint16(r), binary.NativeEndian.Uint16(r[2:])
			if lo == hi {
				fmt.Fprintf(b, " %s %d", pr.name, lo)
			} else {
				fmt.Fprintf(b, " %s %d-%d", pr.name, lo, hi)
			}
		}
	}
	if t, ok := a[fraTunID]; ok && len(t) >= 8 {
		fmt.Fprintf(b, " tun_id %d", binary.BigEndian.Uint64(t))
	}
	table := uint32(table8)
	if t, ok := a.u32(fraTable); ok {
		table = t
	}
	if table != 0 {
		b.WriteString(" lookup " + v.names.table(table))
		if pl, ok := a.u32(fraSuppressPrefixlen); ok && int32(pl) != -1 {
			fmt.Fprintf(b, " suppress_prefixlength %d", int32(pl))
		}
		if g, ok := a.u32(fraSuppressIfgroup); ok && int32(g) != -1 {
			b.WriteString(" suppress_ifgroup " + v.names.group(g))
		}
	}
	if f, ok := a.u32(fraFlow); ok {
		from, to := f>>16, f&0xFFFF
		if from != 0 {
			fmt.Fprintf(b, " realms %s/%s", v.names.realm(from), v.names.realm(to))
		} else {
			fmt.Fprintf(b, " realms %s", v.names.realm(to))
		}
	}
	switch {
	case action == rtnNAT:
		if g, ok := a[fraGateway]; ok {
			b.WriteString(" map-to " + fmtAddr(g))
		} else {
			b.WriteString(" masquerade")
		}
	case action == frActGoto:
		if g, ok := a.u32(fraGoto); ok {
			fmt.Fprintf(b, " goto %d", g)
		} else {
			b.WriteString(" goto none")
		}
		if flags&fibRuleUnresolved != 0 {
			b.WriteString(" [unresolved]")
		}
	case action == frActNop:
		b.WriteString(" nop")
	case action != frActToTbl:
		b.WriteString(" " + routeType(action))
	}
	if p, ok := a.u8(fraProtocol); ok && p != 0 && p != rtprotKernel {
		b.WriteString(" proto " + v.names.proto(p))
	}
	b.WriteByte('\n')
}

// fraGateway is the NAT rule's map-to address (FRA_GATEWAY, an obsolete
// attribute old kernels still send for "nat" rules).
const fraGateway = 5

// cHex formats like C's "%#llx": "0" for zero, "0x.." otherwise.
func cHex(n uint64) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", n)
}

// renderRules renders a rule dump, keeping the given family only.
func (v *view) renderRules(msgs [][]byte, family uint8) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		if len(m) < 12 || m[0] != family {
			continue
		}
		v.renderRule(&b, m)
	}
	return b.Bytes()
}
