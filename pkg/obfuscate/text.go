package obfuscate

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// Text returns data with every registered host name and every IPv4/IPv6 address
// replaced. It recognises addresses as the command outputs print them: bare,
// with a port ("10.96.0.10:53"), a prefix length ("10.244.0.0/16", mapped as a
// prefix), a zone ("fe80::1%eth0"), IPv4-mapped IPv6, reverse DNS names
// ("10.0.96.10.in-addr.arpa"), BIRD protocol names ("Mesh_192_168_20_13") and
// EC2-style host names ("ip-10-0-1-23"). A run of digits and dots that is not
// exactly four octets (a version "1.28.2", "1.2.3.4.5") is left alone.
func (o *Obfuscator) Text(data []byte) []byte {
	data = o.replaceHosts(data)
	var b bytes.Buffer
	b.Grow(len(data))
	i := 0
	for i < len(data) {
		c := data[i]
		if i > 0 && isDigit(c) && (data[i-1] == '_' || data[i-1] == '-') {
			if n, ok := o.separated(&b, data, i); ok {
				i += n
				continue
			}
		}
		if !isHex(c) && c != ':' || (i > 0 && isWordByte(data[i-1])) {
			b.WriteByte(c)
			i++
			continue
		}
		j := i
		for j < len(data) && (isHex(data[j]) || data[j] == ':' || data[j] == '.') {
			j++
		}
		n := o.token(&b, data, i, j)
		i += n
	}
	return b.Bytes()
}

// token rewrites the address starting the token data[i:j] (if any) and writes
// what it consumed; it returns how many bytes that was.
func (o *Obfuscator) token(b *bytes.Buffer, data []byte, i, j int) int {
	tok := data[i:j]
	// "10.244.1.5:53: i/o timeout" (a Go error) holds two colons but is IPv4
	// with a port.
	_, n4, v4 := dotted(tok, '.')
	v4 = v4 && n4 < len(tok) && tok[n4] == ':'
	if bytes.Count(tok, []byte(":")) >= 2 && !v4 {
		// IPv6: the longest prefix of the token that parses.
		t := tok
		for len(t) > 0 {
			if a, err := netip.ParseAddr(string(t)); err == nil {
				end := i + len(t)
				zone := ""
				if end < len(data) && data[end] == '%' {
					k := end + 1
					for k < len(data) && isZoneByte(data[k]) {
						k++
					}
					zone = string(data[end:k])
					end = k
				}
				return end - i + o.writeAddr(b, a, data, end, zone)
			}
			last := t[len(t)-1]
			if last != ':' && last != '.' {
				break
			}
			t = t[:len(t)-1]
		}
		b.Write(tok)
		return len(tok)
	}
	a, n, ok := dotted(tok, '.')
	if !ok {
		b.Write(tok)
		return len(tok)
	}
	rest := tok[n:]
	switch {
	case len(rest) >= 2 && rest[0] == '.' && isDigit(rest[1]):
		// Five or more dotted numbers: not an address.
		b.Write(tok)
		return len(tok)
	case len(rest) > 0 && rest[0] == '.' && hasFoldPrefix(data[i+n:], ".in-addr.arpa"):
		r := a.As4()
		m := o.Addr(netip.AddrFrom4([4]byte{r[3], r[2], r[1], r[0]})).As4()
		b.WriteString(netip.AddrFrom4([4]byte{m[3], m[2], m[1], m[0]}).String())
		return n
	case len(rest) > 0 && isHex(rest[0]):
		b.Write(tok)
		return len(tok)
	}
	return n + o.writeAddr(b, a, data, i+n, "")
}

// writeAddr writes the fake of a (with zone), reading a "/LEN" that follows at
// data[end:] to map a prefix; it returns how many bytes after end it consumed.
func (o *Obfuscator) writeAddr(b *bytes.Buffer, a netip.Addr, data []byte, end int, zone string) int {
	if end+1 < len(data) && data[end] == '/' && isDigit(data[end+1]) {
		k := end + 1
		for k < len(data) && isDigit(data[k]) && k-end <= 3 {
			k++
		}
		bits, err := strconv.Atoi(string(data[end+1 : k]))
		if err == nil && bits <= a.BitLen() && (k >= len(data) || !isDigit(data[k]) && data[k] != '.') {
			m := o.Prefix(netip.PrefixFrom(a, bits))
			b.WriteString(m.Addr().String())
			b.WriteString(zone)
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(bits))
			return k - end
		}
	}
	b.WriteString(o.Addr(a).String())
	b.WriteString(zone)
	return 0
}

// separated handles addresses written with '_' or '-' between the octets, when
// the byte before i says which form it is: "Mesh_192_168_20_13" (BIRD protocol
// names of Calico) and "ip-10-0-1-23" (EC2 host names).
func (o *Obfuscator) separated(b *bytes.Buffer, data []byte, i int) (int, bool) {
	prev := data[i-1]
	var sep byte
	switch {
	case prev == '_':
		sep = '_'
	case prev == '-' && i >= 3 && strings.EqualFold(string(data[i-3:i]), "ip-"):
		sep = '-'
	default:
		return 0, false
	}
	j := i
	for j < len(data) && (isDigit(data[j]) || data[j] == sep) {
		j++
	}
	a, n, ok := dotted(data[i:j], sep)
	if !ok || n != j-i || (j < len(data) && isAlnum(data[j])) {
		return 0, false
	}
	m := o.Addr(a).As4()
	s := string(sep)
	b.WriteString(strconv.Itoa(int(m[0])) + s + strconv.Itoa(int(m[1])) + s + strconv.Itoa(int(m[2])) + s + strconv.Itoa(int(m[3])))
	return n, true
}

// dotted reads four decimal octets separated by sep at the start of t.
func dotted(t []byte, sep byte) (netip.Addr, int, bool) {
	var oct [4]byte
	p := 0
	for k := 0; k < 4; k++ {
		if k > 0 {
			if p >= len(t) || t[p] != sep {
				return netip.Addr{}, 0, false
			}
			p++
		}
		s := p
		v := 0
		for p < len(t) && isDigit(t[p]) && p-s < 3 {
			v = v*10 + int(t[p]-'0')
			p++
		}
		if p == s || v > 255 || (p-s > 1 && t[s] == '0') || (p < len(t) && isDigit(t[p])) {
			return netip.Addr{}, 0, false
		}
		oct[k] = byte(v)
	}
	return netip.AddrFrom4(oct), p, true
}

// replaceHosts replaces every registered host name standing as a word (its
// neighbours are not letters, digits or '-'), longest names first, ignoring case.
func (o *Obfuscator) replaceHosts(data []byte) []byte {
	o.mu.Lock()
	order := append([]string(nil), o.order...)
	hosts := make(map[string]string, len(o.hosts))
	for k, v := range o.hosts {
		hosts[k] = v
	}
	o.mu.Unlock()
	if len(order) == 0 {
		return data
	}
	// ASCII folding keeps every byte at its offset: bytes.ToLower changes the
	// length of some runes (and of invalid UTF-8), and the spans index data.
	lower := asciiLower(data)
	// Mark replaced spans so a shorter name is not replaced inside a longer one's
	// replacement; build the output in one pass over sorted matches.
	type span struct {
		start, end int
		repl       string
	}
	var spans []span
	taken := make([]bool, len(data))
	for _, name := range order {
		nb := []byte(name)
		off := 0
		for {
			k := bytes.Index(lower[off:], nb)
			if k < 0 {
				break
			}
			s, e := off+k, off+k+len(nb)
			off = s + 1
			if (s > 0 && isHostByte(data[s-1])) || (e < len(data) && isHostByte(data[e])) {
				continue
			}
			// A name followed by ".other.labels" is a different, longer host name
			// only if registered (longest first handled it); otherwise replace the
			// registered short part.
			free := true
			for x := s; x < e; x++ {
				if taken[x] {
					free = false
					break
				}
			}
			if !free {
				continue
			}
			for x := s; x < e; x++ {
				taken[x] = true
			}
			spans = append(spans, span{s, e, hosts[name]})
		}
	}
	if len(spans) == 0 {
		return data
	}
	sortSpans := func() {
		for i := 1; i < len(spans); i++ {
			for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
				spans[j], spans[j-1] = spans[j-1], spans[j]
			}
		}
	}
	sortSpans()
	var b bytes.Buffer
	b.Grow(len(data))
	last := 0
	for _, sp := range spans {
		b.Write(data[last:sp.start])
		b.WriteString(sp.repl)
		last = sp.end
	}
	b.Write(data[last:])
	return b.Bytes()
}

// asciiLower folds A-Z only, so the result is exactly as long as b. Host
// names are ASCII (RFC 1123); other bytes are compared as they are.
func asciiLower(b []byte) []byte {
	l := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		l[i] = c
	}
	return l
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isWordByte: a token starting right after one of these is inside a word
// ("v1.2.3.4", "abc10.0.0.1") and is not an address.
func isWordByte(c byte) bool { return isAlnum(c) || c == '.' }

// isHostByte: bytes that continue a host name.
func isHostByte(c byte) bool { return isAlnum(c) || c == '-' }

func isZoneByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '@' }

func hasFoldPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && strings.EqualFold(string(b[:len(p)]), p)
}
