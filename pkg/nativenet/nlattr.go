package nativenet

import (
	"encoding/binary"
	"net/netip"
)

// The rtnetlink constants used below are spelled out here rather than taken from
// golang.org/x/sys/unix, which defines them for Linux only: the renderers must
// build (and be tested) on every platform.
const (
	afUnspec = 0
	afInet   = 2
	afBridge = 7
	afInet6  = 10
	afMPLS   = 28

	nlaTypeMask = 0x3fff // strips NLA_F_NESTED and NLA_F_NET_BYTEORDER
)

// nlAttr is one netlink attribute as the kernel sent it.
type nlAttr struct {
	typ uint16
	val []byte
}

// parseAttrs splits a buffer of netlink attributes. A truncated or malformed
// attribute ends the list, as iproute2's parse_rtattr does.
func parseAttrs(b []byte) []nlAttr {
	var out []nlAttr
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		t := binary.NativeEndian.Uint16(b[2:4]) & nlaTypeMask
		if l < 4 || l > len(b) {
			break
		}
		out = append(out, nlAttr{typ: t, val: b[4:l]})
		l = (l + 3) &^ 3
		if l > len(b) {
			break
		}
		b = b[l:]
	}
	return out
}

// attrs indexes attributes by type; like iproute2's parse_rtattr, a repeated
// type keeps its last value.
type attrs map[uint16][]byte

func attrTable(b []byte) attrs {
	t := attrs{}
	for _, a := range parseAttrs(b) {
		t[a.typ] = a.val
	}
	return t
}

func (t attrs) has(typ uint16) bool { _, ok := t[typ]; return ok }

func (t attrs) u8(typ uint16) (uint8, bool) {
	v, ok := t[typ]
	if !ok || len(v) < 1 {
		return 0, false
	}
	return v[0], true
}

func (t attrs) u16(typ uint16) (uint16, bool) {
	v, ok := t[typ]
	if !ok || len(v) < 2 {
		return 0, false
	}
	return binary.NativeEndian.Uint16(v), true
}

func (t attrs) be16(typ uint16) (uint16, bool) {
	v, ok := t[typ]
	if !ok || len(v) < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

func (t attrs) u32(typ uint16) (uint32, bool) {
	v, ok := t[typ]
	if !ok || len(v) < 4 {
		return 0, false
	}
	return binary.NativeEndian.Uint32(v), true
}

func (t attrs) u64(typ uint16) (uint64, bool) {
	v, ok := t[typ]
	if !ok || len(v) < 8 {
		return 0, false
	}
	return binary.NativeEndian.Uint64(v), true
}

// str reads a NUL-terminated string attribute.
func (t attrs) str(typ uint16) (string, bool) {
	v, ok := t[typ]
	if !ok {
		return "", false
	}
	return cString(v), true
}

func (t attrs) nested(typ uint16) attrs {
	v, ok := t[typ]
	if !ok {
		return nil
	}
	return attrTable(v)
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// addrFrom reads a 4- or 16-byte address; false for any other length.
func addrFrom(b []byte) (netip.Addr, bool) {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b)), true
	case 16:
		return netip.AddrFrom16([16]byte(b)), true
	}
	return netip.Addr{}, false
}

// fmtAddr prints an address attribute the way iproute2's format_host does with
// numeric output: IPv4 dotted, IPv6 as glibc's inet_ntop. An attribute of an
// unexpected size prints as "???", like rt_addr_n2a for unknown families.
func fmtAddr(b []byte) string {
	a, ok := addrFrom(b)
	if !ok {
		return "???"
	}
	return ntop(a)
}

// ntop is netip's String except for the deprecated IPv4-compatible form: glibc
// prints ::a.b.c.d where netip prints ::a0b:c0d.
func ntop(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		zero := true
		for _, c := range b[:12] {
			if c != 0 {
				zero = false
				break
			}
		}
		if zero && (b[12] != 0 || b[13] != 0) {
			return "::" + netip.AddrFrom4([4]byte(b[12:16])).String()
		}
	}
	return a.String()
}
