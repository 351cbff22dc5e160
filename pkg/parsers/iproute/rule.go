package iproute

import (
	"bytes"
	"fmt"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/tok"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Rule is one policy-routing rule of `ip rule show`
// ("32766:	from all lookup main").
type Rule struct {
	Line     int
	Priority int
	// Not is the "not" that inverts the selector.
	Not bool
	// From and To are the selectors; the zero Prefix means "all" (or absent).
	From, To netip.Prefix
	// Table is the table looked up, as printed: local, main, default, a number
	// or a name from rt_tables ("[l3mdev-table]" for VRF rules).
	Table string
	// FWMark is "0x1" or "0x4000/0x4000" as printed.
	FWMark   string
	IIF, OIF string
	// Action is lookup, goto, nop, blackhole, unreachable, prohibit, or
	// masquerade/map-to on old kernels; lookup when the line names a table only.
	Action string
	// Flags: "iif-detached", "oif-detached", "unresolved" (a goto whose target is
	// missing) and unknown words without a value.
	Flags []string
	// Extra keeps the other selectors and options as printed: tos, uidrange,
	// ipproto, sport, dport, tun_id, suppress_prefixlength, suppress_ifgroup,
	// realms, goto (the target), map-to, proto, and unknown keywords.
	Extra map[string]string
}

// RuleResult is the rule list of one `ip rule show` file.
type RuleResult struct {
	Rules []Rule
}

// Summary is e.g. "4 rules (tables: local, 100, main, default; 1 with fwmark)".
func (r *RuleResult) Summary() string {
	var tables []string
	seen := map[string]bool{}
	marks := 0
	for _, rl := range r.Rules {
		if rl.Table != "" && !seen[rl.Table] {
			seen[rl.Table] = true
			tables = append(tables, rl.Table)
		}
		if rl.FWMark != "" {
			marks++
		}
	}
	var parts []string
	if len(tables) > 0 {
		parts = append(parts, "tables: "+strings.Join(tables, ", "))
	}
	if marks > 0 {
		parts = append(parts, fmt.Sprintf("%d with fwmark", marks))
	}
	s := plural(len(r.Rules), "rule", "rules")
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	return s
}

// ParseRules reads `ip rule show` / `ip -6 rule show` output.
func ParseRules(data []byte) (*RuleResult, []diag.Diagnostic) {
	p := newParser(data)
	res := &RuleResult{}
	var fieldBuf [64][]byte
	fields := fieldBuf[:0]
	s := lines.New(data)
	for s.Next() {
		b := s.Bytes()
		t := b[lines.Indent(b):]
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		num := s.Num()
		p.nonBlank(num, t)
		f := lines.Fields(fields, t)
		fields = f
		var r Rule
		if p.rule(num, f, &r) {
			res.Rules = append(res.Rules, r)
		}
	}
	if len(res.Rules) == 0 {
		p.notTheFormat("ip rule show")
	}
	return res, p.diags
}

func (p *parser) rule(num int, f [][]byte, r *Rule) bool {
	r.Line = num
	i := 0
	if w := f[0]; w[len(w)-1] == ':' {
		n, ok := tok.ParseUint(w[:len(w)-1])
		if !ok || n > 1<<32-1 {
			p.skipped = true
			p.diags.Warnf(num, "rule priority %s is not a number; line skipped", quote(w))
			return false
		}
		r.Priority = int(n)
		i = 1
	} else if s := string(w); s != "from" && s != "not" && s != "to" {
		// iproute2 always prints "PRIO:" then the selector; anything else is
		// not a rule.
		p.skipped = true
		p.diags.Warnf(num, "line is not a rule (PRIORITY: from ...): %s; skipped", quote(bytes.Join(f, []byte(" "))))
		return false
	}
	p.routeLike = true
	for ; i < len(f); i++ {
		w := f[i]
		key := string(w)
		switch key {
		case "not":
			r.Not = true
			continue
		case "nop", "blackhole", "unreachable", "prohibit", "masquerade", "throw":
			r.Action = p.str(w)
			continue
		case "[detached]":
			// Printed after the interface it applies to.
			switch {
			case i >= 2 && string(f[i-2]) == "iif":
				r.Flags = append(r.Flags, "iif-detached")
			case i >= 2 && string(f[i-2]) == "oif":
				r.Flags = append(r.Flags, "oif-detached")
			default:
				r.Flags = append(r.Flags, "detached")
			}
			continue
		case "[unresolved]":
			r.Flags = append(r.Flags, "unresolved")
			continue
		}
		if !isRuleValueKey(key) {
			if i+1 < len(f) && !isRuleKeyword(string(f[i+1])) {
				p.setExtra(&r.Extra, p.str(w), p.str(f[i+1]))
				i++
			} else {
				r.Flags = append(r.Flags, p.str(w))
			}
			continue
		}
		if i+1 >= len(f) {
			p.diags.Warnf(num, "keyword %s at the end of the line has no value", quote(w))
			continue
		}
		i++
		v := f[i]
		switch key {
		case "from", "to":
			dst := &r.From
			if key == "to" {
				dst = &r.To
			}
			if string(v) == "all" {
				continue
			}
			pfx, dflt, zeroLen, ok := parseDst(v)
			switch {
			case ok && dflt:
				// not printed by ip rule, but equivalent to all
			case ok && zeroLen >= 0:
				// "from 0/8": a prefix length without an address (IPv4 unless
				// the length says otherwise).
				if zeroLen > 32 {
					*dst = netip.PrefixFrom(netip.IPv6Unspecified(), zeroLen)
				} else {
					*dst = netip.PrefixFrom(netip.IPv4Unspecified(), zeroLen)
				}
			case ok:
				*dst = pfx
			default:
				p.badValue(num, w, v, &r.Extra)
			}
		case "lookup", "table":
			r.Table = p.str(v)
			if r.Action == "" {
				r.Action = "lookup"
			}
		case "fwmark":
			r.FWMark = p.str(v)
		case "iif":
			r.IIF = p.str(v)
		case "oif":
			r.OIF = p.str(v)
		case "goto":
			r.Action = "goto"
			p.setExtra(&r.Extra, "goto", p.str(v))
		case "map-to":
			r.Action = "map-to"
			p.setExtra(&r.Extra, "map-to", p.str(v))
		case "protocol":
			p.setExtra(&r.Extra, "proto", p.str(v))
		default:
			p.setExtra(&r.Extra, p.str(w), p.str(v))
		}
	}
	return true
}

func isRuleValueKey(w string) bool {
	switch w {
	case "from", "to", "lookup", "table", "fwmark", "iif", "oif", "goto", "map-to",
		"tos", "dsfield", "uidrange", "ipproto", "sport", "dport", "tun_id",
		"suppress_prefixlength", "suppress_ifgroup", "realms", "proto",
		"protocol", "priority", "pref", "dscp", "flowlabel":
		return true
	}
	return false
}

func isRuleKeyword(w string) bool {
	switch w {
	case "not", "nop", "blackhole", "unreachable", "prohibit", "masquerade", "throw", "[detached]", "[unresolved]":
		return true
	}
	return isRuleValueKey(w)
}
