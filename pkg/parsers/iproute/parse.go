// Package iproute parses iproute2's routing views: `ip route show` and
// `ip -6 route show` (main table or `table all`; the old format with double
// spaces and the current one), `ip route get ADDR` answers (net/route-get.txt)
// and `ip rule show`. Routes are where the analyzer checks that a remote
// CoreDNS pod is reached through the right tunnel and next hop.
//
// Words iproute2 may add in later versions are kept (Route.Extra, Route.Flags)
// rather than rejected: only a line whose destination cannot be read is skipped.
package iproute

import (
	"bytes"
	"fmt"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/tok"
	"net/netip"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Route is one route line, with its nexthop and cache continuation lines.
type Route struct {
	Line int
	// Type is unicast unless the line starts with another: local, broadcast,
	// anycast, multicast, blackhole, unreachable, prohibit, throw, nat, ...
	Type string
	// Dst is the destination; a bare address is a /32 or /128 host route and
	// "default" is 0.0.0.0/0 or ::/0 (Default is set for any /0).
	Dst     netip.Prefix
	Default bool
	Via     netip.Addr
	Dev     string
	// Proto is a name (kernel, boot, static, bird, dhcp, ra, ...) or a number as
	// printed ("80"); "" when not shown, which iproute2 means as boot.
	Proto string
	// Scope is host, link, global, site, nowhere or a number; "" when not shown
	// (global).
	Scope  string
	Src    netip.Addr
	Metric int
	// Table is shown for tables other than main ("local", "255", a name).
	Table string
	// Flags holds onlink, linkdown, dead, pervasive, offload, trap, notify,
	// unresolved, rt_offload, rt_trap, rt_offload_failed, "cache" for a cached
	// (ip route get) answer, and unknown words that carried no value.
	Flags []string
	// MTU is the route's mtu metric (0 when not set); MTULock for "mtu lock N".
	MTU      int
	MTULock  bool
	Nexthops []Nexthop
	// Extra keeps every other keyword with its value as printed: pref, expires
	// ("94731sec"), error, hoplimit, advmss, realms, nhid, uid, from, tos, encap,
	// cache ("local,brd" from "cache <local,brd>"), and unknown keywords. Locked
	// metrics read "lock 5ms". nil when there is none.
	Extra map[string]string
}

// Nexthop is one path of a multipath route ("nexthop via X dev Y weight N").
type Nexthop struct {
	Line   int
	Via    netip.Addr
	Dev    string
	Weight int
	Flags  []string
	Extra  map[string]string
}

// Has reports whether the route carries a flag such as "onlink".
func (r *Route) Has(flag string) bool { return hasFlag(r.Flags, flag) }

// Has reports whether the nexthop carries a flag such as "onlink".
func (n *Nexthop) Has(flag string) bool { return hasFlag(n.Flags, flag) }

func hasFlag(fs []string, flag string) bool {
	for _, f := range fs {
		if f == flag {
			return true
		}
	}
	return false
}

// Result is the route list of one `ip route show` file.
type Result struct {
	Routes []Route
}

// Lookup returns the main-table route the kernel would most likely pick for a:
// the longest matching prefix, then the lowest metric. It ignores policy rules,
// TOS and the local table, so a recorded `ip route get` answer is better
// evidence when there is one. nil when no route matches.
func (r *Result) Lookup(a netip.Addr) *Route {
	var best *Route
	for i := range r.Routes {
		rt := &r.Routes[i]
		if rt.Table != "" && rt.Table != "main" && rt.Table != "254" {
			continue
		}
		if !rt.Dst.Contains(a) {
			continue
		}
		if best == nil || rt.Dst.Bits() > best.Dst.Bits() ||
			(rt.Dst.Bits() == best.Dst.Bits() && rt.Metric < best.Metric) {
			best = rt
		}
	}
	return best
}

// Summary is e.g. "14 routes (by device: cali* 3, eth0 2, tunl0 1; blackhole 1)".
// Devices named cali* (Calico's pod veths) are counted together.
func (r *Result) Summary() string {
	devs := map[string]int{}
	types := map[string]int{}
	for i := range r.Routes {
		rt := &r.Routes[i]
		if rt.Type != "unicast" {
			types[rt.Type]++
		}
		dev := rt.Dev
		if strings.HasPrefix(dev, "cali") {
			dev = "cali*"
		}
		if dev != "" {
			devs[dev]++
		}
	}
	var parts []string
	if s := countList(devs); s != "" {
		parts = append(parts, "by device: "+s)
	}
	if s := countList(types); s != "" {
		parts = append(parts, s)
	}
	out := plural(len(r.Routes), "route", "routes")
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, "; ") + ")"
	}
	return out
}

// countList renders counts largest first, then by name, so output is stable.
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// MaxRoutes bounds the routes of one file: a node of a 5,000-node cluster
// has one per Calico block of the cluster plus its pods' (tens of thousands).
const MaxRoutes = 200_000

// Parse reads `ip route show` / `ip -6 route show` / `ip route show table all`
// output. A line whose destination cannot be read is skipped with a warning;
// input with no route in it at all yields one error.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := newParser(data)
	res := &Result{}
	// A route line is rarely shorter than 24 bytes; sizing the slice from that
	// avoids regrowth without reserving much more than the input's size.
	if n := bytes.Count(data, []byte("\n")) + 1; len(data) > 0 {
		res.Routes = make([]Route, 0, min(n, len(data)/24+1, MaxRoutes))
	}
	last := -1 // index of the route continuation lines belong to
	// A stack array for the words of a line: kept in the heap, every word
	// stored into it would cost a GC write barrier.
	var fieldBuf [64][]byte
	fields := fieldBuf[:0]
	s := lines.New(data)
	for s.Next() {
		b := s.Bytes()
		t := b[lines.Indent(b):]
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		p.nonBlank(s.Num(), t)
		f := lines.Fields(fields, t)
		fields = f
		switch string(f[0]) {
		case "nexthop", "cache":
			if last < 0 {
				p.orphan(s.Num(), f[0])
				continue
			}
			p.continuation(s.Num(), &res.Routes[last], f)
			continue
		}
		if len(res.Routes) >= MaxRoutes {
			// A partial table would make routes that exist look missing: the
			// file is refused as a whole.
			first := diag.Diagnostic{Severity: diag.Error, Line: s.Num(),
				Msg: fmt.Sprintf("more than %d routes: the table is larger than any real node's and is not read", MaxRoutes)}
			return &Result{}, append([]diag.Diagnostic{first}, p.diags...)
		}
		// Parsed in place: copying a Route into the slice afterwards costs a
		// write barrier per pointer field.
		res.Routes = append(res.Routes, Route{})
		if !p.route(s.Num(), f, &res.Routes[len(res.Routes)-1]) {
			res.Routes[len(res.Routes)-1] = Route{}
			res.Routes = res.Routes[:len(res.Routes)-1]
			last = -1
			continue
		}
		last = len(res.Routes) - 1
	}
	if len(res.Routes) == 0 {
		p.notTheFormat("ip route show")
	}
	return res, p.diags
}

// parser carries the state shared by one Parse call's lines.
type parser struct {
	data []byte
	// text is data as one string: names and values are cut from it, so that a
	// table of thousands of cali* routes does not allocate a string per route.
	text string
	// flagBuf backs every Route.Flags of this parse; each route gets a capped
	// window of it.
	flagBuf []string
	diags   diag.List
	// For the whole-file error: the first non-blank line, whether any line
	// looked like the format, and whether any was skipped.
	firstNum  int
	first     []byte
	routeLike bool
	skipped   bool
}

func newParser(data []byte) *parser {
	return &parser{data: data, text: string(data)}
}

func (p *parser) nonBlank(num int, t []byte) {
	if p.firstNum == 0 {
		p.firstNum, p.first = num, t
	}
}

// notTheFormat replaces the per-line warnings with one error when nothing in
// the input was recognised.
func (p *parser) notTheFormat(what string) {
	if !p.skipped || p.routeLike {
		return
	}
	p.diags = diag.List{{Severity: diag.Error, Line: p.firstNum,
		Msg: fmt.Sprintf("not %s output: %s", what, quote(p.first))}}
}

func (p *parser) orphan(num int, word []byte) {
	p.skipped = true
	p.diags.Warnf(num, "%s line without a route before it skipped", string(word))
}

// str returns b as a string without allocating when b lies inside the input.
func (p *parser) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	i := cap(p.data) - cap(b)
	if i >= 0 && i+len(b) <= len(p.data) && &p.data[i] == &b[0] {
		return p.text[i : i+len(b)]
	}
	return string(b)
}

// route reads one route line into r; false (with a warning) when its
// destination cannot be read.
func (p *parser) route(num int, f [][]byte, r *Route) bool {
	r.Line = num
	r.Type = "unicast"
	i := 0
	dst, dflt, zeroLen, ok := parseDst(f[0])
	if !ok && len(f) > 1 && isWord(f[0]) {
		// Route types are one lowercase word before the destination; unknown
		// ones (a newer kernel's) are kept as printed.
		r.Type = typeName(p, f[0])
		i = 1
		dst, dflt, zeroLen, ok = parseDst(f[1])
	}
	if !ok {
		p.skipped = true
		if knownType(f[0]) || string(f[0]) == "default" {
			p.routeLike = true
		}
		what := f[i]
		if len(f) == 1 && knownType(f[0]) {
			p.diags.Warnf(num, "route of type %s without a destination skipped", string(f[0]))
			return false
		}
		p.diags.Warnf(num, "destination %s is not an address, prefix or default; line skipped", quote(what))
		return false
	}
	p.routeLike = true
	flagStart := len(p.flagBuf)
	viaFamily := p.attrs(num, f[i+1:], r)
	r.Flags = p.flagBuf[flagStart:len(p.flagBuf):len(p.flagBuf)]
	if len(r.Flags) == 0 {
		r.Flags = nil
	}
	if dflt || zeroLen >= 0 {
		bits := zeroLen
		if bits < 0 {
			bits = 0
		}
		if bits > 32 || p.isIPv6(r, viaFamily) {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), bits)
		} else {
			dst = netip.PrefixFrom(netip.IPv4Unspecified(), bits)
		}
	}
	r.Dst = dst
	r.Default = dst.IsValid() && dst.Bits() == 0
	return true
}

// isIPv6 guesses the family of a "default" or "0/N" destination from the rest
// of the line. "pref" is only ever printed for IPv6 routes.
func (p *parser) isIPv6(r *Route, viaFamily bool) bool {
	if r.Via.IsValid() && !viaFamily {
		return r.Via.Is6()
	}
	if r.Src.IsValid() {
		return r.Src.Is6()
	}
	for _, nh := range r.Nexthops {
		if nh.Via.IsValid() {
			return nh.Via.Is6()
		}
	}
	_, pref := r.Extra["pref"]
	return pref
}

// continuation applies an indented "nexthop ..." or "cache ..." line to r.
func (p *parser) continuation(num int, r *Route, f [][]byte) {
	// Flags appended here reallocate, since r.Flags is a capped window.
	saved := p.flagBuf
	p.flagBuf = r.Flags
	p.attrs(num, f, r)
	r.Flags = p.flagBuf
	p.flagBuf = saved
}

// attrs reads the keyword list after the destination. It reports whether the
// gateway was written with an explicit family ("via inet6 ADDR"), which means it
// is not of the route's own family.
func (p *parser) attrs(num int, f [][]byte, r *Route) (viaFamily bool) {
	// One switch per word: this loop is most of the time spent on a table.
	for i := 0; i < len(f); i++ {
		w := f[i]
		switch string(w) {
		case "\\": // `ip -o` line continuation marker
		case "dev":
			if v, ok := p.value(num, f, &i); ok {
				r.Dev = p.str(v)
			}
		case "via":
			v, ok := p.value(num, f, &i)
			if !ok {
				break
			}
			if s := string(v); (s == "inet" || s == "inet6") && i+1 < len(f) {
				viaFamily = true
				i++
				v = f[i]
			}
			if a, ok := parseAddr(v); ok {
				r.Via = a
			} else {
				p.badValue(num, w, v, &r.Extra)
			}
		case "proto":
			if v, ok := p.value(num, f, &i); ok {
				r.Proto = p.str(v)
			}
		case "scope":
			if v, ok := p.value(num, f, &i); ok {
				r.Scope = p.str(v)
			}
		case "table":
			if v, ok := p.value(num, f, &i); ok {
				r.Table = p.str(v)
			}
		case "src":
			if v, ok := p.value(num, f, &i); ok {
				if a, ok := parseAddr(v); ok {
					r.Src = a
				} else {
					p.badValue(num, w, v, &r.Extra)
				}
			}
		case "metric":
			if v, ok := p.value(num, f, &i); ok {
				if n, ok := tok.ParseUint(v); ok && n <= 1<<32-1 {
					r.Metric = int(n)
				} else {
					p.badValue(num, w, v, &r.Extra)
				}
			}
		case "mtu":
			v, ok := p.value(num, f, &i)
			if !ok {
				break
			}
			if string(v) == "lock" && i+1 < len(f) {
				r.MTULock = true
				i++
				v = f[i]
			}
			if n, ok := tok.ParseUint(v); ok && n <= 1<<31 {
				r.MTU = int(n)
			} else {
				p.badValue(num, w, v, &r.Extra)
			}
		case "as":
			// "as to ADDR" (MPLS new destination)
			if v, ok := p.value(num, f, &i); ok {
				if string(v) == "to" && i+1 < len(f) {
					i++
					v = f[i]
				}
				p.setExtra(&r.Extra, "as", p.str(v))
			}
		case "nexthop":
			i = p.nexthop(num, f, i+1, r) - 1
		case "cache":
			p.flagBuf = append(p.flagBuf, "cache")
			if i+1 < len(f) && f[i+1][0] == '<' {
				i++
				v := bytes.TrimSuffix(f[i][1:], []byte(">"))
				p.setExtra(&r.Extra, "cache", p.str(v))
			}
		case "encap":
			i = p.encap(f, i, &r.Extra)
		case "onlink", "linkdown", "dead", "pervasive", "offload", "trap", "notify",
			"unresolved", "rt_offload", "rt_trap", "rt_offload_failed":
			p.flagBuf = append(p.flagBuf, p.str(w))
		default:
			p.other(num, f, &i, &r.Extra, &p.flagBuf)
		}
	}
	return viaFamily
}

// other keeps a keyword the caller has no field for: a known one with its
// value (metrics may put "lock" before it) in extra, an unknown one with the
// next word when that is not a keyword, else alone in flags.
func (p *parser) other(num int, f [][]byte, i *int, extra *map[string]string, flags *[]string) {
	w := f[*i]
	if !isValueKey(w) {
		if *i+1 < len(f) && !isKeyword(f[*i+1]) {
			*i++
			p.setExtra(extra, p.str(w), p.str(f[*i]))
		} else {
			*flags = append(*flags, p.str(w))
		}
		return
	}
	v, ok := p.value(num, f, i)
	if !ok {
		return
	}
	if string(v) == "lock" && *i+1 < len(f) {
		*i++
		p.setExtra(extra, p.str(w), "lock "+string(f[*i]))
		return
	}
	p.setExtra(extra, p.str(w), p.str(v))
}

// value returns the word after f[*i] and advances *i to it; a keyword at the
// end of the line (a cut line) is a warning.
func (p *parser) value(num int, f [][]byte, i *int) ([]byte, bool) {
	if *i+1 >= len(f) {
		p.diags.Warnf(num, "keyword %s at the end of the line has no value", quote(f[*i]))
		return nil, false
	}
	*i++
	return f[*i], true
}

// nexthop reads "via X dev Y weight N flags..." from f[i:], up to the next
// "nexthop" word, appends it to r and returns the index where it stopped.
func (p *parser) nexthop(num int, f [][]byte, i int, r *Route) int {
	nh := Nexthop{Line: num}
	for ; i < len(f); i++ {
		w := f[i]
		switch string(w) {
		case "nexthop":
			r.Nexthops = append(r.Nexthops, nh)
			return i
		case "\\":
		case "via":
			v, ok := p.value(num, f, &i)
			if !ok {
				break
			}
			if s := string(v); (s == "inet" || s == "inet6") && i+1 < len(f) {
				i++
				v = f[i]
			}
			if a, ok := parseAddr(v); ok {
				nh.Via = a
			} else {
				p.badValue(num, w, v, &nh.Extra)
			}
		case "dev":
			if v, ok := p.value(num, f, &i); ok {
				nh.Dev = p.str(v)
			}
		case "weight":
			if v, ok := p.value(num, f, &i); ok {
				if n, ok := tok.ParseUint(v); ok && n <= 1<<16 {
					nh.Weight = int(n)
				} else {
					p.badValue(num, w, v, &nh.Extra)
				}
			}
		case "encap":
			i = p.encap(f, i, &nh.Extra)
		case "onlink", "linkdown", "dead", "pervasive", "offload", "trap", "notify",
			"unresolved", "rt_offload", "rt_trap", "rt_offload_failed":
			nh.Flags = append(nh.Flags, p.str(w))
		default:
			p.other(num, f, &i, &nh.Extra, &nh.Flags)
		}
	}
	r.Nexthops = append(r.Nexthops, nh)
	return i
}

// encap keeps a lightweight-tunnel description ("encap mpls 100", "encap ip id
// 5 src A dst B ttl 64") as one string. Its own words overlap the route's
// (src, tos), so it ends at the first word that only a route prints.
func (p *parser) encap(f [][]byte, i int, extra *map[string]string) int {
	j := i + 1
	for j < len(f) && !encapEnd(f[j]) {
		j++
	}
	if j > i+1 {
		start, end := f[i+1], f[j-1]
		// The words lie in one line of the input, so the text between the first
		// and the last is a slice of it.
		off := cap(start) - cap(end)
		if off >= 0 && off+len(end) <= len(start[:cap(start)]) {
			p.setExtra(extra, "encap", p.str(start[:off+len(end)]))
		}
	}
	return j - 1
}

func encapEnd(w []byte) bool {
	switch string(w) {
	case "via", "dev", "table", "proto", "scope", "metric", "pref", "nexthop", "weight", "onlink", "linkdown", "expires", "mtu":
		return true
	}
	return false
}

func (p *parser) badValue(num int, key, v []byte, extra *map[string]string) {
	k := p.str(key)
	p.diags.Warnf(num, "%s value %s not understood; kept in Extra", k, quote(v))
	p.setExtra(extra, k, p.str(v))
}

func (p *parser) setExtra(m *map[string]string, k, v string) {
	if *m == nil {
		*m = make(map[string]string, 2)
	}
	(*m)[k] = v
}

func typeName(p *parser, b []byte) string {
	switch string(b) {
	case "blackhole":
		return "blackhole"
	case "unreachable":
		return "unreachable"
	case "local":
		return "local"
	case "broadcast":
		return "broadcast"
	}
	return p.str(b)
}

func knownType(b []byte) bool {
	switch string(b) {
	case "unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
		"unreachable", "prohibit", "throw", "nat", "xresolve":
		return true
	}
	return false
}

// isValueKey: keywords iproute2 prints followed by one value (metrics may put
// "lock" in between; "via" may put a family).
func isValueKey(w []byte) bool {
	switch string(w) {
	case "via", "dev", "proto", "scope", "src", "metric", "table", "mtu", "as",
		"from", "tos", "dsfield", "expires", "error", "realm", "realms", "pref",
		"nhid", "uid", "mark", "iif", "oif", "users", "used", "age", "ipid",
		"ttl-propagate", "weight", "hoplimit", "advmss", "rtt", "rttvar",
		"reordering", "window", "cwnd", "initcwnd", "initrwnd", "ssthresh",
		"rto_min", "quickack", "congctl", "features", "fastopen_no_cookie",
		"protocol", "priority", "vrf":
		return true
	}
	return false
}

func isKeyword(w []byte) bool {
	switch string(w) {
	case "nexthop", "cache", "encap", "onlink", "linkdown", "dead", "pervasive",
		"offload", "trap", "notify", "unresolved", "rt_offload", "rt_trap",
		"rt_offload_failed":
		return true
	}
	return isValueKey(w)
}

// isWord is a lowercase keyword such as a route type.
func isWord(b []byte) bool {
	for _, c := range b {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return len(b) > 0
}

// parseDst reads a destination: "default", "0/N" (no address, N bits; zeroLen
// is N, else -1), a prefix or a bare address.
func parseDst(b []byte) (pfx netip.Prefix, dflt bool, zeroLen int, ok bool) {
	if string(b) == "default" {
		return netip.Prefix{}, true, -1, true
	}
	if len(b) > 2 && b[0] == '0' && b[1] == '/' {
		if n, ok := tok.ParseUint(b[2:]); ok && n <= 128 {
			return netip.Prefix{}, false, int(n), true
		}
		return netip.Prefix{}, false, -1, false
	}
	pfx, ok = parsePrefix(b)
	return pfx, false, -1, ok
}

// parsePrefix reads "A/N" or a bare address (a host prefix). Host bits are
// kept as printed.
func parsePrefix(b []byte) (netip.Prefix, bool) {
	slash := bytes.IndexByte(b, '/')
	if slash < 0 {
		a, ok := parseAddr(b)
		if !ok {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	a, ok := parseAddr(b[:slash])
	if !ok || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	n, ok := tok.ParseUint(b[slash+1:])
	if !ok || n > uint64(a.BitLen()) {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, int(n)), true
}

// parseAddr reads an address; IPv4 is read by hand because
// netip.ParseAddr(string(b)) costs an allocation per call.
func parseAddr(b []byte) (netip.Addr, bool) {
	if bytes.IndexByte(b, ':') >= 0 {
		a, err := netip.ParseAddr(string(b))
		return a, err == nil
	}
	return tok.ParseIPv4(b)
}

// quote shows a line or word in a message, cut so that a binary file does not
// flood the report.
func quote(b []byte) string {
	const max = 80
	if len(b) > max {
		return fmt.Sprintf("%q...", string(b[:max]))
	}
	// Converted first so that b, and the line array it came from, stay off the heap.
	return fmt.Sprintf("%q", string(b))
}
