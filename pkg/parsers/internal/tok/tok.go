// Package tok reads the tokens command output is made of (decimal numbers,
// IPv4 addresses) straight from byte slices. The hot parsers (ip route,
// ipvsadm) use it because converting each field to a string first costs an
// allocation per field.
package tok

import "net/netip"

// ParseUint reads a decimal number; false on anything else or on overflow.
func ParseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// ParseIPv4 accepts what netip.ParseAddr accepts for IPv4: four decimal octets,
// no leading zeros.
func ParseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, val, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || part > 3 {
				return netip.Addr{}, false
			}
			ip[part] = byte(val)
			part++
			val, digits = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || (digits > 0 && val == 0) {
			return netip.Addr{}, false
		}
		val = val*10 + int(c-'0')
		digits++
		if val > 255 {
			return netip.Addr{}, false
		}
	}
	if part != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}
