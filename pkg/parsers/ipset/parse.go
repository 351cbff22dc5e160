// Package ipset parses `ipset list` output (and `ipset save` / `ipset list -o save`,
// which print the same sets as create/add commands).
//
// Calico keeps the addresses of all its hosts in cali40all-hosts-net (IPIP) and
// cali40all-vxlan-net (VXLAN); Felix accepts tunnel packets only from those. When a
// node's outer source address is missing from the set, its tunnel packets are dropped
// as coming from a "non-Calico host". kube-proxy in IPVS mode keeps its Service
// addresses in KUBE-CLUSTER-IP.
package ipset

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Member is one entry of a set.
type Member struct {
	Line int
	// Value is the entry as printed: "10.0.0.11", "10.0.0.0/24", "10.96.0.10,udp:53".
	Value string
	// Prefix is the address part of Value (before the first comma); a single address
	// is a host prefix. Zero when the entry has no address (ports, MACs, set names).
	Prefix netip.Prefix
	// Timeout is the remaining lifetime in seconds, -1 when the set has no timeouts.
	Timeout        int
	Packets, Bytes uint64
	Comment        string
	NoMatch        bool // an exception inside a hash:net set
	// Options is the rest of the line after Value, as printed.
	Options string
}

// Set is one set and its members.
type Set struct {
	Line     int
	Name     string
	Type     string // "hash:net", "hash:ip,port", "list:set", ...
	Revision int
	Family   string // "inet" or "inet6" from the header; "" for sets without family
	Header   string // the Header: line as printed
	// SizeInMemory and References are -1 when not printed (ipset save has neither).
	SizeInMemory int
	References   int
	// NumEntries is the declared count (-1 when the ipset version does not print it).
	NumEntries int
	Members    []Member
	// Terse is true when the listing had no Members: section (`ipset list -t`).
	Terse bool
}

// Result is every set of the file, in order.
type Result struct {
	Sets []Set
}

// Get returns the set of that name, or nil.
func (r *Result) Get(name string) *Set {
	for i := range r.Sets {
		if r.Sets[i].Name == name {
			return &r.Sets[i]
		}
	}
	return nil
}

// Complete reports whether every declared entry was read, so that a missing address
// means "not in the set" rather than "not in the part of the listing we have".
func (s *Set) Complete() bool {
	return !s.Terse && (s.NumEntries < 0 || s.NumEntries == len(s.Members))
}

// Contains reports whether addr matches the address part of a member, the way the
// kernel matches hash:net sets: the most specific containing entry decides, and a
// nomatch entry excludes.
func (s *Set) Contains(addr netip.Addr) bool {
	addr = addr.Unmap()
	best := -1
	match := false
	for i := range s.Members {
		p := s.Members[i].Prefix
		if !p.IsValid() || !p.Contains(addr) || p.Bits() <= best {
			continue
		}
		best = p.Bits()
		match = !s.Members[i].NoMatch
	}
	return match
}

// Parse reads ipset list (or save) output.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := parser{res: &Result{}}
	sc := lines.New(data)
	for sc.Next() {
		p.line(sc.Num(), sc.Bytes())
	}
	p.finish()
	if len(p.res.Sets) == 0 && p.unknown > 0 {
		return p.res, []diag.Diagnostic{{Severity: diag.Error, Msg: "not ipset list output: no \"Name:\" or \"create\" line"}}
	}
	return p.res, p.diags
}

type parser struct {
	res       *Result
	diags     diag.List
	cur       *Set // set being read from `ipset list`
	inMembers bool
	unknown   int
	fields    [][]byte
}

func (p *parser) finish() {
	if p.cur == nil {
		return
	}
	s := p.cur
	if !s.Terse && s.NumEntries >= 0 && s.NumEntries != len(s.Members) {
		p.diags.Warnf(s.Line, "set %s declares %d entries but lists %d; the listing may be cut", s.Name, s.NumEntries, len(s.Members))
	}
	p.cur = nil
	p.inMembers = false
}

func (p *parser) line(num int, b []byte) {
	if len(b) == 0 {
		p.inMembers = false
		return
	}
	if p.inMembers && p.cur != nil && !hasPrefix(b, "Name: ") {
		if m, ok := parseMember(num, string(trimLeft(b))); ok {
			p.cur.Members = append(p.cur.Members, m)
		} else {
			p.diags.Warnf(num, "unreadable member %q", clip(b))
		}
		return
	}
	s := string(trimLeft(b))
	key, val, hasColon := strings.Cut(s, ":")
	val = strings.TrimSpace(val)
	if hasColon {
		switch key {
		case "Name":
			p.finish()
			p.res.Sets = append(p.res.Sets, newSet(num, val))
			p.cur = &p.res.Sets[len(p.res.Sets)-1]
			p.cur.Terse = true // until a Members: line
			return
		}
		if p.cur != nil {
			p.header(num, key, val)
			return
		}
	}
	switch {
	case strings.HasPrefix(s, "create "):
		p.finish()
		p.create(num, s)
	case strings.HasPrefix(s, "add "):
		p.add(num, s)
	default:
		p.unknown++
		p.diags.Warnf(num, "unrecognised line %q", clip(b))
	}
}

func newSet(line int, name string) Set {
	return Set{Line: line, Name: name, SizeInMemory: -1, References: -1, NumEntries: -1}
}

func (p *parser) header(num int, key, val string) {
	s := p.cur
	atoi := func() int {
		n, err := strconv.Atoi(val)
		if err != nil {
			p.diags.Warnf(num, "set %s: %s is not a number: %q", s.Name, key, clip([]byte(val)))
			return -1
		}
		return n
	}
	switch key {
	case "Type":
		s.Type = val
	case "Revision":
		s.Revision = atoi()
	case "Header":
		s.Header = val
		s.Family = family(val)
	case "Size in memory":
		s.SizeInMemory = atoi()
	case "References":
		s.References = atoi()
	case "Number of entries":
		s.NumEntries = atoi()
	case "Members":
		p.inMembers = true
		s.Terse = false
	default:
		// Newer ipset releases add header lines; they carry nothing we use.
	}
}

func family(header string) string {
	f := strings.Fields(header)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "family" {
			return f[i+1]
		}
	}
	return ""
}

// create reads `create NAME TYPE [options]` from ipset save.
func (p *parser) create(num int, s string) {
	f := strings.Fields(s)
	if len(f) < 3 {
		p.unknown++
		p.diags.Warnf(num, "create line without name and type")
		return
	}
	set := newSet(num, f[1])
	set.Type = f[2]
	set.Header = strings.Join(f[3:], " ")
	set.Family = family(set.Header)
	p.res.Sets = append(p.res.Sets, set)
}

// add reads `add NAME MEMBER [options]` from ipset save; the set is normally the
// last one created, but any earlier one is found too.
func (p *parser) add(num int, s string) {
	rest := strings.TrimSpace(s[len("add "):])
	name, member, _ := strings.Cut(rest, " ")
	var set *Set
	if n := len(p.res.Sets); n > 0 && p.res.Sets[n-1].Name == name {
		set = &p.res.Sets[n-1]
	} else {
		set = p.res.Get(name)
	}
	if set == nil {
		p.diags.Warnf(num, "add to set %q that was not created", clip([]byte(name)))
		return
	}
	m, ok := parseMember(num, strings.TrimSpace(member))
	if !ok {
		p.diags.Warnf(num, "unreadable member %q", clip([]byte(member)))
		return
	}
	set.Members = append(set.Members, m)
}

func parseMember(num int, s string) (Member, bool) {
	m := Member{Line: num, Timeout: -1}
	value, opts, _ := strings.Cut(s, " ")
	if value == "" {
		return m, false
	}
	m.Value = value
	m.Options = strings.TrimSpace(opts)
	addr := value
	if i := strings.IndexByte(addr, ','); i >= 0 {
		addr = addr[:i]
	}
	if pf, err := netip.ParsePrefix(addr); err == nil {
		m.Prefix = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits())
		if pf.Addr().Is4In6() {
			m.Prefix = netip.Prefix{}
		}
	} else if a, err := netip.ParseAddr(addr); err == nil && a.Zone() == "" {
		m.Prefix = netip.PrefixFrom(a, a.BitLen())
	}
	o := m.Options
	for o != "" {
		var key string
		key, o = next(o)
		switch key {
		case "nomatch":
			m.NoMatch = true
		case "timeout", "packets", "bytes":
			var v string
			v, o = next(o)
			n, err := strconv.ParseUint(v, 10, 63)
			if err != nil {
				continue
			}
			switch key {
			case "timeout":
				if n <= 1<<31 {
					m.Timeout = int(n)
				}
			case "packets":
				m.Packets = n
			case "bytes":
				m.Bytes = n
			}
		case "comment":
			o = strings.TrimLeft(o, " ")
			if strings.HasPrefix(o, "\"") {
				end := strings.IndexByte(o[1:], '"')
				if end < 0 {
					m.Comment, o = o[1:], ""
				} else {
					m.Comment, o = o[1:1+end], o[2+end:]
				}
			} else {
				m.Comment, o = next(o)
			}
		}
	}
	return m, true
}

// next splits off the first blank-separated word of s.
func next(s string) (string, string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

func trimLeft(b []byte) []byte { return b[lines.Indent(b):] }

func clip(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	members := 0
	for i := range r.Sets {
		members += len(r.Sets[i].Members)
	}
	s := fmt.Sprintf("%d sets, %d members", len(r.Sets), members)
	var cali []string
	for _, name := range [...]string{"cali40all-hosts-net", "cali40all-vxlan-net"} {
		if set := r.Get(name); set != nil {
			cali = append(cali, fmt.Sprintf("%s: %d", name, len(set.Members)))
		}
	}
	if len(cali) > 0 {
		s += " (" + strings.Join(cali, ", ") + ")"
	}
	return s
}
