// Package nft parses `nft list ruleset` (also `nft -a list ruleset` and `nft list
// table ...`): tables, chains, rules with their counters, and named sets and maps.
//
// kube-proxy in nftables mode keeps its Service addresses in the verdict map
// service-ips of table ip kube-proxy (ip6 kube-proxy for IPv6); ServiceIPs reads it.
// The tables iptables-nft writes (KUBE-*, cali-* chains) show up here too, flagged by
// nft's "managed by iptables-nft" warning.
package nft

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Table is `table FAMILY NAME {`.
type Table struct {
	Line   int
	Family string // ip, ip6, inet, arp, bridge, netdev
	Name   string
	// IptablesNFT is set when nft warned that iptables-nft manages the table.
	IptablesNFT bool
}

// Chain is `chain NAME {` with its base-chain header when it has one.
type Chain struct {
	Line          int
	Family, Table string
	Name          string
	Type, Hook    string // "filter", "input"; "" for regular chains
	Priority      string // as printed: "filter", "dstnat", "-100"
	Policy        string // "accept", "drop"; "" for regular chains
}

// Rule is one statement line of a chain.
type Rule struct {
	Line          int
	Family, Table string
	Chain         string
	Text          string // the rule without its "# handle N" comment
	// Comment is the text of the rule's `comment "..."`, unquoted.
	Comment    string
	HasCounter bool
	Packets    uint64
	Bytes      uint64
}

// Element is one element of a named set or map, as printed.
type Element struct {
	Line int
	Text string // "10.96.0.10 . udp . 53 : goto service-...", "10.96.0.1"
}

// Set is a named set or map.
type Set struct {
	Line          int
	Family, Table string
	Name          string
	Map           bool
	Type          string // "ipv4_addr . inet_proto . inet_service : verdict"
	Elements      []Element
}

// Result is the ruleset.
type Result struct {
	Tables []Table
	Chains []Chain
	Rules  []Rule
	Sets   []Set
}

// Parse reads nft list ruleset output.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := parser{res: &Result{}}
	sc := lines.New(data)
	for sc.Next() {
		p.line(sc.Num(), string(trimLeft(sc.Bytes())))
	}
	for i := len(p.stack) - 1; i >= 0; i-- {
		p.diags.Warnf(p.stack[i].line, "%s block not closed; the output may be cut", p.stack[i].kind)
	}
	if p.elems != nil {
		p.diags.Warnf(p.elemLine, "elements list not closed; the output may be cut")
	}
	r := p.res
	if len(r.Tables) == 0 && p.unknown > 0 {
		msg := "not nft list ruleset output: no table"
		if p.json {
			msg = "nft JSON output (nft -j) is not read; collect `nft list ruleset`"
		}
		return r, []diag.Diagnostic{{Severity: diag.Error, Msg: msg}}
	}
	return r, p.diags
}

type block struct {
	kind string // "table", "chain", "set", "map", "other"
	line int
	idx  int // index into Tables, Chains or Sets
}

type parser struct {
	res     *Result
	diags   diag.List
	stack   []block
	unknown int
	json    bool
	// pending holds a rule whose anonymous set or map continues on later lines.
	pending     string
	pendingLine int
	// elems is non-nil while reading a multi-line `elements = { ... }`.
	elems    *Set
	elemLine int
	elemBuf  string
}

func (p *parser) top() *block {
	if len(p.stack) == 0 {
		return nil
	}
	return &p.stack[len(p.stack)-1]
}

func (p *parser) line(num int, s string) {
	if p.elems != nil {
		p.elementLine(num, s)
		return
	}
	if s == "" {
		return
	}
	if s[0] == '#' {
		p.comment(s)
		return
	}
	s = stripComment(s)
	if s == "" {
		return
	}
	if p.pending != "" {
		p.pending += " " + s
		if braceDepth(p.pending) <= 0 {
			p.addRule(p.pendingLine, p.pending)
			p.pending = ""
		}
		return
	}
	if s == "}" {
		if len(p.stack) == 0 {
			p.unknown++
			p.diags.Warnf(num, "closing brace without an open block")
			return
		}
		p.stack = p.stack[:len(p.stack)-1]
		return
	}
	t := p.top()
	switch {
	case t == nil:
		p.topLevel(num, s)
	case t.kind == "table":
		p.inTable(num, s)
	case t.kind == "chain":
		p.inChain(num, s)
	case t.kind == "set" || t.kind == "map":
		p.inSet(num, s)
	default:
		if strings.HasSuffix(s, "{") {
			p.stack = append(p.stack, block{kind: "other", line: num})
		}
	}
}

// comment notes iptables-nft's "# Warning: table ip nat is managed by iptables-nft,
// do not touch!", which nft prints next to the table.
func (p *parser) comment(s string) {
	const w = "# Warning: table "
	if !strings.HasPrefix(s, w) || !strings.Contains(s, "iptables-nft") {
		return
	}
	f := strings.Fields(s[len(w):])
	if len(f) < 2 {
		return
	}
	fam, name := f[0], f[1]
	for i := range p.res.Tables {
		if p.res.Tables[i].Family == fam && p.res.Tables[i].Name == name {
			p.res.Tables[i].IptablesNFT = true
			return
		}
	}
	// The warning can precede the table; remember it on a placeholder that the
	// table line fills in.
	p.res.Tables = append(p.res.Tables, Table{Family: fam, Name: name, IptablesNFT: true})
}

func (p *parser) topLevel(num int, s string) {
	f := strings.Fields(s)
	if len(f) >= 3 && f[0] == "table" && f[len(f)-1] == "{" {
		fam, name := "ip", ""
		if len(f) == 3 { // `table NAME {` defaults to family ip
			name = unquote(f[1])
		} else {
			fam, name = f[1], unquote(f[2])
		}
		idx := -1
		for i := range p.res.Tables {
			if t := &p.res.Tables[i]; t.Line == 0 && t.Family == fam && t.Name == name {
				t.Line, idx = num, i
				break
			}
		}
		if idx < 0 {
			p.res.Tables = append(p.res.Tables, Table{Line: num, Family: fam, Name: name})
			idx = len(p.res.Tables) - 1
		}
		p.stack = append(p.stack, block{kind: "table", line: num, idx: idx})
		return
	}
	if strings.HasPrefix(s, "{\"nftables\"") || strings.HasPrefix(s, "{ \"nftables\"") {
		p.json = true
	}
	p.unknown++
	p.diags.Warnf(num, "unrecognised line outside a table: %q", clip(s))
}

func (p *parser) table() *Table {
	for i := len(p.stack) - 1; i >= 0; i-- {
		if p.stack[i].kind == "table" {
			return &p.res.Tables[p.stack[i].idx]
		}
	}
	return &Table{}
}

func (p *parser) inTable(num int, s string) {
	f := strings.Fields(s)
	if len(f) >= 2 && f[len(f)-1] == "{" {
		t := p.table()
		switch f[0] {
		case "chain":
			p.res.Chains = append(p.res.Chains, Chain{Line: num, Family: t.Family, Table: t.Name, Name: unquote(f[1])})
			p.stack = append(p.stack, block{kind: "chain", line: num, idx: len(p.res.Chains) - 1})
			return
		case "set", "map":
			p.res.Sets = append(p.res.Sets, Set{Line: num, Family: t.Family, Table: t.Name, Name: unquote(f[1]), Map: f[0] == "map"})
			p.stack = append(p.stack, block{kind: f[0], line: num, idx: len(p.res.Sets) - 1})
			return
		default: // flowtable, counter, quota, ct helper, limit, secmark, synproxy
			p.stack = append(p.stack, block{kind: "other", line: num})
			return
		}
	}
	switch f[0] {
	case "comment", "flags":
		return
	}
	p.diags.Warnf(num, "unrecognised line in table: %q", clip(s))
}

func (p *parser) inChain(num int, s string) {
	c := &p.res.Chains[p.top().idx]
	switch {
	case strings.HasPrefix(s, "type ") && strings.Contains(s, " hook "):
		// "type filter hook input priority filter; policy accept;"
		for _, part := range strings.Split(s, ";") {
			f := strings.Fields(part)
			for i := 0; i+1 < len(f); i++ {
				switch f[i] {
				case "type":
					c.Type = f[i+1]
				case "hook":
					c.Hook = f[i+1]
				case "priority":
					c.Priority = strings.Join(f[i+1:], " ")
				case "policy":
					c.Policy = f[i+1]
				}
			}
		}
		return
	case strings.HasPrefix(s, "policy "):
		c.Policy = strings.TrimSuffix(strings.TrimSpace(s[len("policy "):]), ";")
		return
	case strings.HasPrefix(s, "comment \""), strings.HasPrefix(s, "devices = "):
		return
	}
	if braceDepth(s) > 0 {
		p.pending, p.pendingLine = s, num
		return
	}
	p.addRule(num, s)
}

func (p *parser) addRule(num int, s string) {
	t := p.table()
	chain := ""
	for i := len(p.stack) - 1; i >= 0; i-- {
		if p.stack[i].kind == "chain" {
			chain = p.res.Chains[p.stack[i].idx].Name
			break
		}
	}
	r := Rule{Line: num, Family: t.Family, Table: t.Name, Chain: chain, Text: s, Comment: ruleComment(s)}
	f := strings.Fields(s)
	for i := 0; i+4 < len(f); i++ {
		if f[i] == "counter" && f[i+1] == "packets" && f[i+3] == "bytes" {
			pk, err1 := strconv.ParseUint(f[i+2], 10, 64)
			by, err2 := strconv.ParseUint(f[i+4], 10, 64)
			if err1 == nil && err2 == nil {
				r.HasCounter, r.Packets, r.Bytes = true, pk, by
			} else {
				p.diags.Warnf(num, "unreadable counter in rule")
			}
			break
		}
	}
	p.res.Rules = append(p.res.Rules, r)
}

func (p *parser) inSet(num int, s string) {
	set := &p.res.Sets[p.top().idx]
	switch {
	case strings.HasPrefix(s, "type "):
		set.Type = strings.TrimSpace(s[len("type "):])
	case strings.HasPrefix(s, "typeof "):
		set.Type = strings.TrimSpace(s[len("typeof "):])
	case strings.HasPrefix(s, "elements = {"):
		p.elems, p.elemLine, p.elemBuf = set, num, ""
		p.elementLine(num, strings.TrimPrefix(s, "elements = {"))
	default:
		// flags, comment, size, timeout, gc-interval, policy, auto-merge, counter
	}
}

// elementLine consumes one line of an elements list. nft prints one or more
// comma-separated elements per line and closes the list with " }"; an element not
// followed by a comma continues on the next line.
func (p *parser) elementLine(num int, s string) {
	s = strings.TrimSpace(stripComment(s))
	closed := false
	if i := strings.LastIndexByte(s, '}'); i >= 0 && braceDepth(s) < 0 {
		s, closed = strings.TrimSpace(s[:i]), true
	}
	if p.elemBuf == "" {
		p.elemLine = num
	}
	text := s
	if p.elemBuf != "" {
		text = p.elemBuf + " " + s
	}
	parts := splitTop(text)
	if !closed && !strings.HasSuffix(text, ",") {
		p.elemBuf = strings.TrimSpace(parts[len(parts)-1])
		parts = parts[:len(parts)-1]
	} else {
		p.elemBuf = ""
	}
	for i, e := range parts {
		line := num
		if i == 0 {
			line = p.elemLine
		}
		if e = strings.TrimSpace(e); e != "" {
			p.elems.Elements = append(p.elems.Elements, Element{Line: line, Text: e})
		}
	}
	if p.elemBuf != "" && len(parts) > 0 {
		p.elemLine = num
	}
	if closed {
		p.elems = nil
	}
}

// splitTop splits on commas that are not inside braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// braceDepth counts { minus } outside double quotes.
func braceDepth(s string) int {
	d, inq := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inq = !inq
		case '{':
			if !inq {
				d++
			}
		case '}':
			if !inq {
				d--
			}
		}
	}
	return d
}

// stripComment drops a trailing "# handle 12" (nft -a) or other comment outside quotes.
func stripComment(s string) string {
	inq := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inq = !inq
		case '#':
			if !inq {
				return strings.TrimRight(s[:i], " \t")
			}
		}
	}
	return s
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func trimLeft(b []byte) []byte { return b[lines.Indent(b):] }

func clip(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// ServiceIP is one entry of kube-proxy's service-ips verdict map.
type ServiceIP struct {
	Line  int
	Addr  netip.Addr
	Proto string // "tcp", "udp", "sctp"
	Port  uint16
	// Chain is the chain the verdict goes to: "service-FY5PMXPG-kube-system/kube-dns/udp/dns".
	Chain string
}

// ServiceIPs reads the service-ips map of the kube-proxy tables (ip and ip6).
func (r *Result) ServiceIPs() []ServiceIP { return r.serviceMap("service-ips") }

// NoEndpointServices reads the no-endpoint-services map: the Service
// addresses kube-proxy rejects or drops because the Service has no endpoint
// (`10.96.0.10 . udp . 53 comment "kube-system/kube-dns:dns" : goto
// reject-chain`); Chain is then the verdict's target.
func (r *Result) NoEndpointServices() []ServiceIP { return r.serviceMap("no-endpoint-services") }

func (r *Result) serviceMap(name string) []ServiceIP {
	var out []ServiceIP
	for i := range r.Sets {
		s := &r.Sets[i]
		if s.Table != "kube-proxy" || s.Name != name || (s.Family != "ip" && s.Family != "ip6") {
			continue
		}
		for _, e := range s.Elements {
			key, verdict, _ := strings.Cut(e.Text, " : ")
			// An element may carry its own comment: `10.96.0.10 . udp . 53 comment "..."`.
			if i := strings.Index(key, " comment "); i >= 0 {
				key = key[:i]
			}
			k := strings.Split(key, " . ")
			if len(k) != 3 {
				continue
			}
			a, err := netip.ParseAddr(strings.TrimSpace(k[0]))
			if err != nil {
				continue
			}
			sip := ServiceIP{Line: e.Line, Addr: a, Proto: strings.TrimSpace(k[1]), Port: port(strings.TrimSpace(k[2]))}
			if f := strings.Fields(verdict); len(f) == 2 && (f[0] == "goto" || f[0] == "jump") {
				sip.Chain = unquote(f[1])
			} else if len(f) == 1 {
				sip.Chain = f[0] // drop, reject
			}
			out = append(out, sip)
		}
	}
	return out
}

// Endpoint is one backend of a kube-proxy nftables service chain: the
// `dnat to ADDR:PORT` of an endpoint-* chain the service chain jumps to.
type Endpoint struct {
	Line  int // the dnat rule
	Chain string
	Dest  netip.AddrPort
}

// ServiceEndpoints lists the backends a kube-proxy service chain sends to
// (its numgen vmap or single goto to endpoint-* chains, each with a dnat rule).
func (r *Result) ServiceEndpoints(family, serviceChain string) []Endpoint {
	targets := map[string]bool{}
	for _, rl := range r.RulesIn(family, "kube-proxy", serviceChain) {
		f := strings.Fields(strings.NewReplacer("{", " ", "}", " ", ",", " ").Replace(rl.Text))
		for i := 0; i+1 < len(f); i++ {
			if (f[i] == "goto" || f[i] == "jump") && strings.HasPrefix(unquote(f[i+1]), "endpoint-") {
				targets[unquote(f[i+1])] = true
			}
		}
	}
	var out []Endpoint
	for _, rl := range r.Rules {
		if rl.Family != family || rl.Table != "kube-proxy" || !targets[rl.Chain] {
			continue
		}
		f := strings.Fields(rl.Text)
		for i := 0; i+2 < len(f); i++ {
			if f[i] != "dnat" {
				continue
			}
			j := i + 1
			if f[j] == "ip" || f[j] == "ip6" {
				j++
			}
			if j+1 >= len(f) || f[j] != "to" {
				continue
			}
			ap, err := netip.ParseAddrPort(f[j+1])
			if err != nil {
				a, err2 := netip.ParseAddr(strings.Trim(f[j+1], "[]"))
				if err2 != nil {
					continue
				}
				ap = netip.AddrPortFrom(a, 0)
			}
			out = append(out, Endpoint{Line: rl.Line, Chain: rl.Chain, Dest: ap})
			break
		}
	}
	return out
}

// ServiceName reads "kube-system/kube-dns/udp/dns" out of a service chain's
// name "service-FY5PMXPG-kube-system/kube-dns/udp/dns": namespace, name,
// protocol and port name; ok is false for another shape.
func ServiceName(chain string) (ns, name, proto, portName string, ok bool) {
	rest, found := strings.CutPrefix(chain, "service-")
	if !found {
		return "", "", "", "", false
	}
	_, rest, found = strings.Cut(rest, "-")
	if !found {
		return "", "", "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 {
		return "", "", "", "", false
	}
	return parts[0], parts[1], parts[2], parts[3], true
}

// port reads a numeric port, or the few service names nft prints with -S.
func port(s string) uint16 {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n)
	}
	switch s {
	case "domain":
		return 53
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// RulesIn returns the rules of one chain.
func (r *Result) RulesIn(family, table, chain string) []Rule {
	var out []Rule
	for _, rl := range r.Rules {
		if rl.Family == family && rl.Table == table && rl.Chain == chain {
			out = append(out, rl)
		}
	}
	return out
}

// HasKubeProxyTable reports whether kube-proxy's nftables mode has programmed rules.
func (r *Result) HasKubeProxyTable() bool {
	for _, t := range r.Tables {
		if t.Name == "kube-proxy" && t.Line > 0 {
			return true
		}
	}
	return false
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	counted, ipt := 0, 0
	for i := range r.Rules {
		if r.Rules[i].HasCounter {
			counted++
		}
	}
	for _, t := range r.Tables {
		if t.IptablesNFT {
			ipt++
		}
	}
	s := fmt.Sprintf("%d tables (%d from iptables-nft), %d chains, %d rules (%d with counters), %d sets/maps", len(r.Tables), ipt, len(r.Chains), len(r.Rules), counted, len(r.Sets))
	if sips := r.ServiceIPs(); len(sips) > 0 {
		s += fmt.Sprintf(", %d kube-proxy service IPs", len(sips))
	}
	return s
}
