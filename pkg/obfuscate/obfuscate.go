// Package obfuscate replaces the IP addresses and host names of a bundle's text
// files with fake ones, for operators who may not mail their addressing plan.
// The analyzer must reach the same findings on the obfuscated bundle, so the
// mapping keeps what the rules compare:
//
//   - It is prefix-preserving (the Crypto-PAn construction, keyed with HMAC-SHA256):
//     two addresses sharing their first k bits map to two addresses sharing their
//     first k bits, so every subnet maps onto one subnet of the same length and
//     "is this next hop in that /26" gives the same answer.
//   - Only the first 24 bits of an IPv4 address (64 of IPv6) are changed; the host
//     part is kept, so network and broadcast addresses stay what they were
//     (10.244.1.64/26 maps to a canonical /26, brd .255 stays .255).
//   - Special ranges are kept as they are: 0/8, 127/8, 169.254/16, 224/3
//     (multicast, 255.255.255.255, netmasks from 224.0.0.0 to 255.255.255.255),
//     and 10.96.0.0/12, the default Service CIDR, so that the analyzer's default DNS
//     Service IP 10.96.0.10 still means the same thing. IPv6 ::/8, fe80::/10 and
//     ff00::/8 are kept. The private ranges 10/8, 172.16/12, 192.168/16, 100.64/10
//     and fc00::/7 map onto themselves, so private stays private.
//   - Host names map to "node-" plus a keyed hash of the name.
//
// The mapping depends only on the key: the bundles of every node of a cluster
// obfuscated with one key (see Mapping and LoadMapping) map alike, so the analyzer
// still joins them. The key and the table of what was replaced are written to a
// separate file that stays with the operator.
package obfuscate

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

// Key seeds the mapping.
type Key [KeySize]byte

// NewKey returns a random key (one per run unless the operator reuses one).
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("obfuscation key: %w", err)
	}
	return k, nil
}

// ParseKey reads a key written by Key.String.
func ParseKey(s string) (Key, error) {
	var k Key
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != KeySize {
		return k, fmt.Errorf("obfuscation key: want %d hex digits", 2*KeySize)
	}
	copy(k[:], b)
	return k, nil
}

// String is the key in hex.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Obfuscator maps addresses and host names. It is safe for concurrent use.
type Obfuscator struct {
	key Key

	mu    sync.Mutex
	addrs map[netip.Addr]netip.Addr
	hosts map[string]string // lower-case real name → fake
	kept  map[string]string // names left alone, with why
	order []string          // real names, longest first (for replacement)
}

// New returns an Obfuscator for key.
func New(key Key) *Obfuscator {
	return &Obfuscator{
		key:   key,
		addrs: map[netip.Addr]netip.Addr{},
		hosts: map[string]string{},
		kept:  map[string]string{},
	}
}

// Key returns the key.
func (o *Obfuscator) Key() Key { return o.key }

// The sizes of the part of an address that is permuted.
const (
	v4Bits = 24
	v6Bits = 64
)

type rangeKind int

const (
	identity rangeKind = iota // kept as is, prefix and host part
	preserve                  // maps onto itself as a set
)

type special struct {
	p    netip.Prefix
	kind rangeKind
}

var v4Special = []special{
	{netip.MustParsePrefix("0.0.0.0/8"), identity},
	{netip.MustParsePrefix("127.0.0.0/8"), identity},
	{netip.MustParsePrefix("169.254.0.0/16"), identity},
	{netip.MustParsePrefix("224.0.0.0/3"), identity},
	{netip.MustParsePrefix("10.96.0.0/12"), identity},
	{netip.MustParsePrefix("10.0.0.0/8"), preserve},
	{netip.MustParsePrefix("172.16.0.0/12"), preserve},
	{netip.MustParsePrefix("192.168.0.0/16"), preserve},
	{netip.MustParsePrefix("100.64.0.0/10"), preserve},
}

var v6Special = []special{
	{netip.MustParsePrefix("::/8"), identity},
	{netip.MustParsePrefix("fe80::/10"), identity},
	{netip.MustParsePrefix("ff00::/8"), identity},
	{netip.MustParsePrefix("fc00::/7"), preserve},
}

// Addr returns the fake address of a. Addresses in kept ranges, and invalid
// ones, come back unchanged; an IPv4-mapped IPv6 address maps its IPv4 part.
func (o *Obfuscator) Addr(a netip.Addr) netip.Addr {
	if !a.IsValid() {
		return a
	}
	zone := a.Zone()
	a = a.WithZone("")
	o.mu.Lock()
	defer o.mu.Unlock()
	out, ok := o.addrs[a]
	if !ok {
		out = o.compute(a)
		o.addrs[a] = out
	}
	return out.WithZone(zone)
}

func (o *Obfuscator) compute(a netip.Addr) netip.Addr {
	if a.Is4In6() {
		v4 := o.compute(a.Unmap())
		return netip.AddrFrom16(v4.As16())
	}
	if a.Is4() {
		b := a.As4()
		return netip.AddrFrom4([4]byte(o.permute(b[:], v4Bits, v4Special, 4)))
	}
	b := a.As16()
	return netip.AddrFrom16([16]byte(o.permute(b[:], v6Bits, v6Special, 6)))
}

// permute flips bit i of the address (i < n) by a keyed function of the bits
// before it, unless a special range forces it to be kept. Because bit i of the
// output depends only on bits 0..i of the input, the map is a bijection and
// preserves prefixes (Crypto-PAn); forcing the flip off along the path to a
// range, and inside identity ranges, makes that range map onto itself.
func (o *Obfuscator) permute(in []byte, n int, specials []special, family byte) []byte {
	out := append([]byte(nil), in...)
	mac := hmac.New(sha256.New, o.key[:])
	var buf [2 + 16]byte
	for i := 0; i < n; i++ {
		if forced(in, i, specials) {
			continue
		}
		buf[0] = family
		buf[1] = byte(i)
		prefix := buf[2 : 2+len(in)]
		copy(prefix, in)
		maskBits(prefix, i)
		mac.Reset()
		mac.Write(buf[:2+len(in)])
		if mac.Sum(nil)[0]&1 == 1 {
			out[i/8] ^= 0x80 >> (i % 8)
		}
	}
	return out
}

// forced: bit i of an address starting with in is not flipped.
func forced(in []byte, i int, specials []special) bool {
	for _, s := range specials {
		l := s.p.Bits()
		raw := s.p.Addr().AsSlice()
		switch s.kind {
		case identity:
			if samePrefix(in, raw, min(i, l)) {
				return true
			}
		case preserve:
			if i < l && samePrefix(in, raw, i) {
				return true
			}
		}
	}
	return false
}

func samePrefix(a, b []byte, bits int) bool {
	for i := 0; i < bits; i++ {
		m := byte(0x80 >> (i % 8))
		if a[i/8]&m != b[i/8]&m {
			return false
		}
	}
	return true
}

// maskBits zeroes every bit from bit n on.
func maskBits(b []byte, n int) {
	for i := range b {
		switch {
		case n >= (i+1)*8:
		case n <= i*8:
			b[i] = 0
		default:
			b[i] &= byte(0xff << (8 - (n - i*8)))
		}
	}
}

// Prefix maps a prefix. A canonical prefix (no host bits) stays canonical: its
// image is the block of the same length holding the mapped address.
func (o *Obfuscator) Prefix(p netip.Prefix) netip.Prefix {
	a := o.Addr(p.Addr())
	out := netip.PrefixFrom(a, p.Bits())
	if p.Masked() == p {
		return out.Masked()
	}
	return out
}

// Hostname returns the fake name of a host name added with AddHostnames, or, for
// a name never added, its keyed fake name (without remembering it).
func (o *Obfuscator) Hostname(name string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := string(asciiLower([]byte(name)))
	if f, ok := o.hosts[l]; ok {
		return f
	}
	if _, ok := o.kept[l]; ok {
		return name
	}
	return o.fakeHost(name)
}

func (o *Obfuscator) hash(kind, s string, n int) string {
	mac := hmac.New(sha256.New, o.key[:])
	mac.Write([]byte(kind + "\x00" + strings.ToLower(s)))
	return hex.EncodeToString(mac.Sum(nil))[:n]
}

// fakeHost: "node-" and 8 hex digits for the first label; a domain becomes
// "dom-xxxxxx.invalid", so short and fully qualified forms stay consistent.
func (o *Obfuscator) fakeHost(name string) string {
	first, domain, hasDomain := strings.Cut(name, ".")
	fake := "node-" + o.hash("host", first, 8)
	if hasDomain && domain != "" {
		fake += ".dom-" + o.hash("domain", domain, 6) + ".invalid"
	}
	return fake
}

// stopNames are never replaced: they are words of the command outputs ("master
// cali-br", "proto kernel", "scope host"), and replacing them would break parsing.
var stopNames = map[string]bool{
	"localhost": true, "master": true, "node": true, "worker": true, "default": true,
	"host": true, "local": true, "kernel": true, "bird": true, "kube": true, "calico": true,
	"link": true, "global": true, "main": true, "dev": true, "via": true, "proto": true,
	"static": true, "boot": true, "none": true, "unknown": true, "linux": true, "ubuntu": true,
	"debian": true, "control-plane": true, "kubernetes": true, "cluster": true,
}

// AddHostnames registers the names to replace in text. Names that are words of
// the command outputs, shorter than 3 characters, numeric or addresses are kept
// (see Mapping.Kept).
func (o *Obfuscator) AddHostnames(names ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".")
		// Folded as Text folds, so a name with other letters still matches.
		l := string(asciiLower([]byte(n)))
		if l == "" {
			continue
		}
		if _, ok := o.hosts[l]; ok {
			continue
		}
		if _, ok := o.kept[l]; ok {
			continue
		}
		if why := keepName(l); why != "" {
			o.kept[l] = why
			continue
		}
		o.hosts[l] = o.fakeHost(l)
		o.order = append(o.order, l)
		// The short name of an FQDN appears on its own too (uname, node names).
		if first, _, ok := strings.Cut(l, "."); ok && keepName(first) == "" {
			if _, dup := o.hosts[first]; !dup {
				o.hosts[first] = o.fakeHost(first)
				o.order = append(o.order, first)
			}
		}
	}
	sort.SliceStable(o.order, func(i, j int) bool { return len(o.order[i]) > len(o.order[j]) })
}

func keepName(l string) string {
	switch {
	case stopNames[l]:
		return "a word of the command outputs"
	case len(l) < 3:
		return "too short to replace safely"
	case strings.Trim(l, "0123456789") == "":
		return "numeric"
	}
	if _, err := netip.ParseAddr(l); err == nil {
		return "an address (mapped as one)"
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "not a host name"
		}
	}
	return ""
}
