package nativenet

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
)

// Builders for raw rtnetlink messages, so that the renderers can be tested
// without a kernel.

func attr(typ uint16, val []byte) []byte {
	l := 4 + len(val)
	b := make([]byte, (l+3)&^3)
	binary.NativeEndian.PutUint16(b[0:], uint16(l))
	binary.NativeEndian.PutUint16(b[2:], typ)
	copy(b[4:], val)
	return b
}

func nest(typ uint16, children ...[]byte) []byte {
	return attr(typ|0x8000, cat(children...))
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u8(v uint8) []byte { return []byte{v} }

func u16(v uint16) []byte {
	b := make([]byte, 2)
	binary.NativeEndian.PutUint16(b, v)
	return b
}

func be16(v uint16) []byte {
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, v)
	return b
}

func u32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.NativeEndian.PutUint64(b, v)
	return b
}

func ip(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

func str(s string) []byte { return append([]byte(s), 0) }

func mac(s string) []byte {
	var b []byte
	for _, h := range strings.Split(s, ":") {
		var v byte
		for _, c := range h {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'a') + 10
			}
		}
		b = append(b, v)
	}
	return b
}

// rtmsg builds an RTM_NEWROUTE payload.
func rtmsg(family, dstLen, table, proto, scope, typ uint8, flags uint32, attrs ...[]byte) []byte {
	h := []byte{family, dstLen, 0, 0, table, proto, scope, typ}
	h = append(h, u32(flags)...)
	return append(h, cat(attrs...)...)
}

// ifinfo builds an RTM_NEWLINK payload.
func ifinfo(typ uint16, index int32, flags uint32, attrs ...[]byte) []byte {
	h := make([]byte, 16)
	binary.NativeEndian.PutUint16(h[2:], typ)
	binary.NativeEndian.PutUint32(h[4:], uint32(index))
	binary.NativeEndian.PutUint32(h[8:], flags)
	return append(h, cat(attrs...)...)
}

func mustIfInfo(t *testing.T, b []byte) ifInfo {
	t.Helper()
	l, ok := parseIfInfo(b)
	if !ok {
		t.Fatal("bad ifinfomsg")
	}
	return l
}

// testView knows a few interfaces, as a link dump would have taught it.
func testView() *view {
	v := newView(defaultNames())
	for i, n := range []string{"", "lo", "eth0", "vxlan.calico", "tunl0", "cali12345abcdef"} {
		if n != "" {
			v.ifnames[int32(i)] = n
			v.ifflags[int32(i)] = iffUp
			v.iftypes[int32(i)] = 1
		}
	}
	v.iftypes[1] = 772
	v.iftypes[4] = arphrdTunnel
	return v
}
