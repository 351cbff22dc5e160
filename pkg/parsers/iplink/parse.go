// Package iplink parses the interface listings of iproute2: `ip link show`,
// `ip -d link show`, `ip addr show` and `ip -d addr show` (they share the link
// block format), including their `-o` (one line per record), `-s` (statistics) and
// `-br` (brief) variants and the output of old iproute2 versions. It is how the
// analyzer sees tunl0, vxlan.calico, the uplink and the cali* veths: their state,
// MTU, tunnel parameters (VNI, VTEP address, UDP port) and addresses.
package iplink

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

type parser struct {
	res   Result
	diags diag.List
	// f is the scratch slice for lines.Fields; segs for `-o` segments.
	f    [][]byte
	segs [][]byte
	// byName maps netns+"\x00"+name to the index of the latest such link.
	byName map[string]int
	netns  string
	cur    int // index of the link being filled, -1 before the first header
	// details records links whose block had -d keys (promiscuity, minmtu, ...):
	// only those can have a kind line, which has no keyword of its own.
	details     map[int]bool
	skipNumbers bool

	firstLine int
	first     []byte
	unknown   int
}

// Parse reads `ip [-d] [-s] [-o] link show` or `ip [-d] [-o] addr show` output. A
// line it cannot read is skipped with a warning; input with no interface in it
// yields one error.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := &parser{cur: -1, byName: map[string]int{}, details: map[int]bool{}}
	if d, bad := notText(data); bad {
		p.diags = append(p.diags, d)
		return &p.res, p.diags
	}
	s := lines.New(data)
	for s.Next() {
		p.line(s.Num(), s.Bytes())
	}
	if len(p.res.Links) == 0 {
		if p.unknown > 0 {
			return &p.res, []diag.Diagnostic{{Severity: diag.Error, Line: p.firstLine,
				Msg: fmt.Sprintf("not ip link/ip addr output: no interface found (first line %s)", quote(p.first))}}
		}
		if p.firstLine == 0 {
			p.diags.Warnf(0, "empty input: ip link/ip addr always list at least lo, so the command probably failed")
		}
	}
	return &p.res, p.diags
}

// notText recognises input that is not iproute2's text output at all, so that it
// gives one error rather than a warning per line.
func notText(data []byte) (diag.Diagnostic, bool) {
	head := bytes.TrimLeft(data, " \t\r\n")
	if len(head) > 0 && (head[0] == '[' || head[0] == '{') {
		return diag.Diagnostic{Severity: diag.Error,
			Msg: "JSON output (ip -j) is not supported: collect the plain text of ip -d link show / ip addr show"}, true
	}
	if len(head) > 512 {
		head = head[:512]
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			ctl++
		}
	}
	if ctl*10 > len(head) {
		return diag.Diagnostic{Severity: diag.Error, Msg: "binary data, not ip link/ip addr output"}, true
	}
	return diag.Diagnostic{}, false
}

func (p *parser) line(num int, b []byte) {
	if len(b) == 0 || b[0] == '#' {
		// A comment or a pasted root prompt ("# ip -d link show"): not data.
		return
	}
	if p.firstLine == 0 {
		p.firstLine, p.first = num, b
	}
	indent := lines.Indent(b)
	if indent == 0 {
		p.topLine(num, b)
		return
	}
	if p.cur < 0 {
		p.warn(num, "indented line before any interface header: %s", quote(b))
		return
	}
	p.detail(num, b[indent:])
}

func (p *parser) warn(num int, format string, args ...any) {
	p.unknown++
	p.diags.Warnf(num, format, args...)
}

func (p *parser) topLine(num int, b []byte) {
	switch {
	case isDigit(b[0]) && p.header(num, b):
	case bytes.HasPrefix(b, []byte("netns:")):
		// `ip -all netns exec ip link` announces each namespace this way.
		p.netns = string(bytes.TrimSpace(b[len("netns:"):]))
		p.cur = -1
	case p.brief(num, b):
	default:
		p.warn(num, "unrecognised line: %s", quote(b))
	}
}

// header reads "N: NAME[@PARENT]: <FLAGS> key value ..." and the "N: NAME    inet
// ..." of `ip -o addr`. With -o, the rest of the record follows on the same line
// after backslashes.
func (p *parser) header(num int, b []byte) bool {
	head := b
	p.segs = p.segs[:0]
	if i := bytes.IndexByte(b, '\\'); i >= 0 {
		head = lines.TrimRight(b[:i])
		rest := b[i+1:]
		for {
			j := bytes.IndexByte(rest, '\\')
			if j < 0 {
				p.segs = append(p.segs, rest)
				break
			}
			p.segs = append(p.segs, rest[:j])
			rest = rest[j+1:]
		}
	}
	i := 0
	for i < len(head) && isDigit(head[i]) {
		i++
	}
	if i == 0 || i > 10 || i+1 >= len(head) || head[i] != ':' || (head[i+1] != ' ' && head[i+1] != '\t') {
		return false
	}
	idx, err := strconv.Atoi(string(head[:i]))
	if err != nil {
		return false
	}
	j := i + 1
	for j < len(head) && (head[j] == ' ' || head[j] == '\t') {
		j++
	}
	start := j
	for j < len(head) && head[j] != ':' && head[j] != ' ' && head[j] != '\t' {
		j++
	}
	name := head[start:j]
	if len(name) == 0 {
		return false
	}
	switch {
	case j < len(head) && head[j] == ':':
		after := head[j+1:]
		if len(after) > 0 && after[0] != ' ' && after[0] != '\t' {
			return false
		}
		p.linkHeader(num, idx, name, after)
	default:
		// `ip -o addr`: "2: eth0    inet 10.0.0.1/24 ...", no link header at all.
		after := bytes.TrimLeft(head[j:], " \t")
		if len(after) == 0 {
			return false
		}
		n, parent := splitParent(name)
		p.link(num, idx, n, parent)
		p.detail(num, after)
	}
	for _, s := range p.segs {
		if s = bytes.TrimLeft(lines.TrimRight(s), " \t"); len(s) > 0 {
			p.detail(num, s)
		}
	}
	return true
}

// splitParent splits "eth0@if32" at its last '@'. Linux allows '@' in names, but
// iproute2 appends "@PARENT" after the name, so the last one is the separator.
func splitParent(b []byte) (name, parent string) {
	if i := bytes.LastIndexByte(b, '@'); i > 0 {
		return string(b[:i]), string(b[i+1:])
	}
	return string(b), ""
}

// link makes the link called name the current one, creating it unless the same
// link (same namespace, name and index) was seen before, as when `ip link` and
// `ip addr` outputs were concatenated.
func (p *parser) link(num, idx int, name, parent string) *Link {
	key := p.netns + "\x00" + name
	if i, ok := p.byName[key]; ok {
		l := &p.res.Links[i]
		if l.Index == idx || l.Index == 0 || idx == 0 {
			if l.Index == 0 {
				l.Index = idx
			}
			if l.Parent == "" {
				l.Parent = parent
			}
			p.cur = i
			p.skipNumbers = false
			return l
		}
	}
	p.res.Links = append(p.res.Links, Link{Line: num, Index: idx, Name: name, Parent: parent, Netns: p.netns})
	p.cur = len(p.res.Links) - 1
	p.byName[key] = p.cur
	p.skipNumbers = false
	return &p.res.Links[p.cur]
}

func (p *parser) linkHeader(num, idx int, rawName, after []byte) {
	name, parent := splitParent(rawName)
	l := p.link(num, idx, name, parent)
	after = bytes.TrimLeft(after, " \t")
	if len(after) > 0 && after[0] == '<' {
		end := bytes.IndexByte(after, '>')
		if end < 0 {
			p.warn(num, "interface flags without closing '>': %s", quote(after))
			end = len(after)
		}
		// Non-nil even for "<>": known to have no flags, unlike `ip -o addr` links.
		l.Flags = make([]string, 0, 4)
		for _, fl := range bytes.Split(after[1:end], []byte{','}) {
			if len(fl) > 0 {
				l.Flags = append(l.Flags, string(fl))
			}
		}
		if end < len(after) {
			after = after[end+1:]
		} else {
			after = nil
		}
	}
	f := lines.Fields(p.f, after)
	p.f = f
	for i := 0; i < len(f); i++ {
		key := string(f[i])
		if strings.HasPrefix(key, "xdp") {
			// " xdp", " xdpgeneric/id:42": attached XDP program, no separate value.
			setAttr(l, "xdp", key)
			continue
		}
		if i+1 >= len(f) {
			if headerKeys[key] {
				p.warn(num, "%q without a value in interface header", key)
			} else {
				setAttr(l, key, "")
			}
			break
		}
		val := string(f[i+1])
		if !headerKeys[key] && headerKeys[val] {
			setAttr(l, key, "")
			continue
		}
		i++
		switch key {
		case "mtu":
			l.MTU = p.atoi(num, key, val)
		case "qlen":
			l.Qlen = p.atoi(num, key, val)
		case "qdisc":
			l.Qdisc = val
		case "master":
			l.Master = val
		case "state":
			l.State = val
		case "mode":
			l.Mode = val
		case "group":
			l.Group = val
		case "link-netnsid", "link-netns":
			l.LinkNetns = val
		default:
			setAttr(l, key, val)
		}
	}
}

// headerKeys are the header words that take a value.
var headerKeys = map[string]bool{
	"mtu": true, "qdisc": true, "master": true, "state": true, "mode": true,
	"group": true, "qlen": true, "link-netnsid": true, "link-netns": true,
	"portid": true, "switchid": true,
}

func setAttr(l *Link, k, v string) {
	if l.Attrs == nil {
		l.Attrs = map[string]string{}
	}
	l.Attrs[k] = v
}

func (p *parser) atoi(num int, key, val string) int {
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 {
		p.warn(num, "%s %q is not a number", key, val)
		return 0
	}
	return n
}

// detail reads one indented line of the current link's block.
func (p *parser) detail(num int, body []byte) {
	f := lines.Fields(p.f, body)
	p.f = f
	if len(f) == 0 {
		return
	}
	l := &p.res.Links[p.cur]
	if p.skipNumbers {
		p.skipNumbers = false
		if allNumeric(f) {
			return
		}
	}
	first := string(f[0])
	switch {
	case strings.HasPrefix(first, "link/"):
		p.linkLine(l, f)
	case first == "inet" || first == "inet6":
		p.addr(num, l, f)
	case first == "valid_lft" || first == "preferred_lft":
		p.lifetime(num, l, f)
	case first == "altname":
		for _, a := range f[1:] {
			l.AltNames = append(l.AltNames, string(a))
		}
	case first == "alias":
		l.Alias = string(bytes.TrimLeft(body[len("alias"):], " \t"))
	case first == "RX:" || first == "TX:" || first == "RX" || first == "TX":
		// -s statistics: a header line, then a line of numbers.
		p.skipNumbers = true
	case first == "vf" || strings.HasPrefix(first, "prog/"):
		l.Other = append(l.Other, string(body))
	case isDetailKey(f[0]):
		p.detailKV(l, f)
	case strings.HasSuffix(first, "_slave"):
		args, rest := splitArgs(f[1:])
		l.SlaveKind, l.SlaveArgs = first, toStrings(args)
		p.detailKV(l, rest)
	case p.details[p.cur] && l.Kind == "":
		p.kind(num, l, f)
	default:
		l.Other = append(l.Other, string(body))
	}
}

// detailKeys are the generic `-d` words, printed after the link/TYPE line and at
// the end of the kind line; true marks those printed only with -d.
var detailKeys = map[string]bool{
	"promiscuity": true, "allmulti": true, "minmtu": true, "maxmtu": true,
	"addrgenmode": true, "numtxqueues": true, "numrxqueues": true,
	"gso_max_size": true, "gso_max_segs": true, "tso_max_size": true,
	"tso_max_segs": true, "gro_max_size": true, "gso_ipv4_max_size": true,
	"gro_ipv4_max_size": true, "parentbus": true, "parentdev": true,
	"netns-immutable": true,
	"permaddr":        false, "link-netnsid": false, "link-netns": false,
	"protodown": false, "protodown_reason": false, "portname": false,
	"portid": false, "switchid": false,
}

func isDetailKey(b []byte) bool {
	_, ok := detailKeys[string(b)]
	return ok
}

// splitArgs splits a kind line after its kind word into the kind's own words and
// the generic details that follow them on the same line.
func splitArgs(f [][]byte) (args, rest [][]byte) {
	for i, w := range f {
		if isDetailKey(w) {
			return f[:i], f[i:]
		}
	}
	return f, nil
}

func toStrings(f [][]byte) []string {
	if len(f) == 0 {
		return nil
	}
	s := make([]string, len(f))
	for i, w := range f {
		s[i] = string(w)
	}
	return s
}

// linkLine reads "link/ether MAC brd MAC [permaddr MAC] [link-netnsid N]
// [promiscuity 0 ...]", "link/ipip 10.0.0.1 peer 10.0.0.2", "link/none".
func (p *parser) linkLine(l *Link, f [][]byte) {
	l.LinkType = string(f[0][len("link/"):])
	i := 1
	if i < len(f) && !isDetailKey(f[i]) && string(f[i]) != "brd" && string(f[i]) != "peer" {
		l.LinkAddr = string(f[i])
		i++
	}
	for ; i < len(f); i++ {
		switch string(f[i]) {
		case "brd", "peer":
			if i+1 < len(f) {
				if string(f[i]) == "brd" {
					l.LinkBrd = string(f[i+1])
				} else {
					l.LinkPeer = string(f[i+1])
				}
				i++
			}
			continue
		}
		p.detailKV(l, f[i:])
		break
	}
	if isMAC(l.LinkAddr) {
		l.MAC = strings.ToLower(l.LinkAddr)
	}
}

// detailKV stores "key value" pairs; a word followed by another known key has no
// value.
func (p *parser) detailKV(l *Link, f [][]byte) {
	for i := 0; i < len(f); i++ {
		key := string(f[i])
		val := ""
		if i+1 < len(f) && !isDetailKey(f[i+1]) {
			val = string(f[i+1])
			i++
		}
		if detailKeys[key] {
			p.details[p.cur] = true
		}
		switch key {
		case "permaddr":
			l.PermAddr = val
		case "link-netnsid", "link-netns":
			l.LinkNetns = val
		default:
			if l.Details == nil {
				l.Details = map[string]string{}
			}
			l.Details[key] = val
		}
	}
}

func (p *parser) kind(num int, l *Link, f [][]byte) {
	args, rest := splitArgs(f[1:])
	l.Kind, l.KindArgs, l.KindLine = string(f[0]), toStrings(args), num
	switch l.Kind {
	case "vxlan":
		l.VXLAN = p.vxlan(num, args)
	case "ipip":
		l.IPIP = p.tunnel(num, args)
	}
	p.detailKV(l, rest)
}

// vxlan reads the options iproute2's vxlan_print_opt prints:
// "id 4096 [group|remote ADDR] [local ADDR] [dev NAME] srcport 0 0 dstport 4789
// [no]learning ... ttl auto ageing 300 [no]udpcsum ...". Versions before 3.8 said
// "port MIN MAX" for the source range.
func (p *parser) vxlan(num int, args [][]byte) *VXLANInfo {
	v := &VXLANInfo{Learning: true}
	sawPort := false
	for i := 0; i < len(args); i++ {
		k := string(args[i])
		next := func() (string, bool) {
			if i+1 >= len(args) {
				p.warn(num, "vxlan %q without a value", k)
				return "", false
			}
			i++
			return string(args[i]), true
		}
		switch k {
		case "id", "vni":
			if s, ok := next(); ok {
				n, err := strconv.ParseUint(s, 10, 32)
				if err != nil {
					p.warn(num, "vxlan id %q is not a number", s)
				}
				v.ID = uint32(n)
			}
		case "group", "remote", "local":
			if s, ok := next(); ok {
				a, err := netip.ParseAddr(s)
				if err != nil {
					p.warn(num, "vxlan %s %q is not an address", k, s)
					break
				}
				switch k {
				case "group":
					v.Group = a
				case "remote":
					v.Remote = a
				default:
					v.Local = a
				}
			}
		case "dev":
			v.Dev, _ = next()
		case "srcport", "port":
			if i+2 >= len(args) {
				p.warn(num, "vxlan %s needs two numbers", k)
				i = len(args)
				break
			}
			v.SrcPortMin = p.port(num, string(args[i+1]))
			v.SrcPortMax = p.port(num, string(args[i+2]))
			i += 2
		case "dstport":
			if s, ok := next(); ok {
				v.DstPort = p.port(num, s)
				sawPort = true
			}
		case "learning":
			v.Learning = true
		case "nolearning":
			v.Learning = false
		case "udpcsum":
			v.UDPCsum = true
		case "noudpcsum":
			v.UDPCsum = false
		case "external":
			v.External = true
		case "ttl":
			v.TTL, _ = next()
		case "ageing":
			// "ageing none" is 0: entries never expire.
			if s, ok := next(); ok && s != "none" {
				v.Ageing = p.atoi(num, "vxlan ageing", s)
			}
		case "tos", "df", "flowlabel", "maxaddr", "maxaddress", "label":
			if s, ok := next(); ok {
				v.Flags = append(v.Flags, k+" "+s)
			}
		default:
			v.Flags = append(v.Flags, k)
		}
	}
	if !sawPort {
		p.diags.Addf(diag.Info, num, "vxlan line has no dstport (iproute2 before 3.8 did not print it): DstPort left 0; the kernel default is 8472")
	}
	return v
}

func (p *parser) port(num int, s string) int {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		p.warn(num, "port %q is not a number 0-65535", s)
		return 0
	}
	return int(n)
}

// tunnel reads the ipip options of link_iptnl.c:
// "[external] [any|ipip|mplsip] remote ADDR|any local ADDR|any [dev NAME] ttl
// inherit|N [tos ..] [no]pmtudisc ...".
func (p *parser) tunnel(num int, args [][]byte) *TunnelInfo {
	t := &TunnelInfo{PMTUDisc: true}
	for i := 0; i < len(args); i++ {
		k := string(args[i])
		switch k {
		case "remote", "local", "dev", "ttl", "hoplimit":
			if i+1 >= len(args) {
				p.warn(num, "ipip %q without a value", k)
				continue
			}
			i++
			s := string(args[i])
			switch k {
			case "dev":
				t.Dev = s
			case "ttl", "hoplimit":
				t.TTL = s
			default:
				var a netip.Addr
				if s != "any" {
					var err error
					if a, err = netip.ParseAddr(s); err != nil {
						p.warn(num, "ipip %s %q is not an address", k, s)
						continue
					}
					if a.IsUnspecified() {
						a = netip.Addr{}
					}
				}
				if k == "remote" {
					t.Remote = a
				} else {
					t.Local = a
				}
			}
		case "pmtudisc":
			t.PMTUDisc = true
		case "nopmtudisc":
			t.PMTUDisc = false
		case "external":
			t.External = true
		case "any", "ipip", "mplsip", "ip6ip", "ip6ip6":
			if t.Proto == "" && t.Remote == (netip.Addr{}) && t.Local == (netip.Addr{}) {
				t.Proto = k
				continue
			}
			t.Flags = append(t.Flags, k)
		default:
			t.Flags = append(t.Flags, k)
		}
	}
	return t
}

// addrFlags are the address flag words iproute2 prints (print_addrinfo); any of
// them at the end of an inet line is a flag, not a label.
var addrFlags = map[string]bool{
	"secondary": true, "temporary": true, "tentative": true, "deprecated": true,
	"home": true, "nodad": true, "optimistic": true, "mngtmpaddr": true,
	"noprefixroute": true, "autojoin": true, "dynamic": true, "dadfailed": true,
	"stable-privacy": true, "permanent": true, "primary": true,
}

// addr reads "inet 10.0.0.1/24 [peer P/N] [brd B] [any A] scope S [flags...]
// [LABEL]" and the inet6 form (no label).
func (p *parser) addr(num int, l *Link, f [][]byte) {
	a := Addr{Line: num, Family: string(f[0])}
	if len(f) < 2 {
		p.warn(num, "%s line without an address", a.Family)
		return
	}
	local, ok := parsePrefixOrAddr(f[1])
	if !ok {
		p.warn(num, "%s address %s is not an address or prefix", a.Family, quote(f[1]))
		return
	}
	a.Prefix = local
	rest := f[2:]
	for i := 0; i < len(rest); i++ {
		k := string(rest[i])
		switch k {
		case "peer", "brd", "broadcast", "any", "scope", "metric", "proto", "flags":
			if i+1 >= len(rest) {
				p.warn(num, "address %q without a value", k)
				continue
			}
			i++
			v := rest[i]
			switch k {
			case "peer":
				if pp, ok := parsePrefixOrAddr(v); ok {
					a.Peer = pp
					a.Prefix = netip.PrefixFrom(a.Prefix.Addr(), pp.Bits())
				} else {
					p.warn(num, "peer %s is not an address or prefix", quote(v))
				}
			case "brd", "broadcast", "any":
				ad, err := netip.ParseAddr(string(v))
				if err != nil {
					p.warn(num, "%s %s is not an address", k, quote(v))
					continue
				}
				if k == "any" {
					a.Anycast = ad
				} else {
					a.Broadcast = ad
				}
			case "scope":
				a.Scope = string(v)
			case "metric":
				a.Metric = p.atoi(num, "metric", string(v))
			case "proto":
				a.Proto = string(v)
			case "flags":
				// Address flags iproute2 has no name for, in hex.
				a.Flags = append(a.Flags, "flags="+string(v))
			}
		default:
			if a.Family == "inet" && i == len(rest)-1 && !addrFlags[k] {
				a.Label = k
			} else {
				a.Flags = append(a.Flags, k)
			}
		}
	}
	l.Addrs = append(l.Addrs, a)
}

func parsePrefixOrAddr(b []byte) (netip.Prefix, bool) {
	s := string(b)
	if strings.IndexByte(s, '/') >= 0 {
		pf, err := netip.ParsePrefix(s)
		return pf, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// lifetime reads "valid_lft forever preferred_lft forever" into the last address.
func (p *parser) lifetime(num int, l *Link, f [][]byte) {
	if len(l.Addrs) == 0 {
		p.warn(num, "address lifetime line without an address before it")
		return
	}
	a := &l.Addrs[len(l.Addrs)-1]
	for i := 0; i+1 < len(f); i += 2 {
		switch string(f[i]) {
		case "valid_lft":
			a.ValidLft = string(f[i+1])
		case "preferred_lft":
			a.PreferredLft = string(f[i+1])
		}
	}
}

var operStates = map[string]bool{
	"UP": true, "DOWN": true, "UNKNOWN": true, "LOWERLAYERDOWN": true,
	"DORMANT": true, "NOTPRESENT": true, "TESTING": true,
}

// brief reads `ip -br link` ("eth0  UP  52:54:00:12:34:56 <BROADCAST,...>") and
// `ip -br addr` ("eth0  UP  10.0.0.1/24 fe80::1/64") lines.
func (p *parser) brief(num int, b []byte) bool {
	f := lines.Fields(p.f, b)
	p.f = f
	if len(f) < 2 || !operStates[string(f[1])] {
		return false
	}
	name, parent := splitParent(f[0])
	l := p.link(num, 0, name, parent)
	l.State = string(f[1])
	for _, w := range f[2:] {
		s := string(w)
		switch {
		case len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>':
			l.Flags = make([]string, 0, 4)
			for _, fl := range strings.Split(s[1:len(s)-1], ",") {
				if fl != "" {
					l.Flags = append(l.Flags, fl)
				}
			}
		case isMAC(s):
			l.LinkAddr, l.MAC = s, strings.ToLower(s)
		default:
			pf, ok := parsePrefixOrAddr(w)
			if !ok {
				l.Other = append(l.Other, s)
				continue
			}
			fam := "inet6"
			if pf.Addr().Is4() {
				fam = "inet"
			}
			l.Addrs = append(l.Addrs, Addr{Line: num, Family: fam, Prefix: pf})
		}
	}
	if l.LinkType == "" && l.MAC != "" {
		l.LinkType = "ether"
		if l.HasFlag("LOOPBACK") {
			l.LinkType = "loopback"
		}
	}
	return true
}

// isMAC reports whether s is a 6-byte hardware address "xx:xx:xx:xx:xx:xx".
func isMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
			continue
		}
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allNumeric(f [][]byte) bool {
	for _, w := range f {
		if len(w) == 0 || !isDigit(w[0]) {
			return false
		}
	}
	return true
}

// quote shows a line in a diagnostic, cut to a readable length.
func quote(b []byte) string {
	const max = 80
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
