package nft

import (
	"strings"
)

// Felix's nftables dataplane (FelixConfiguration nftablesMode: Enabled,
// FELIX_NFTABLESMODE=Enabled; Calico 3.29 and later) programs one table per
// family, `table ip calico` (`ip6 calico` for IPv6), in place of its iptables
// chains and ipsets (felix/dataplane/linux/int_dataplane.go:
// nftables.NewTable("calico", ...)). The chains of its former iptables tables
// live there under the table's name ("filter-cali-INPUT",
// "filter-cali-fw-caliXXX"; felix/nftables/table_layer.go namespaceName), its
// IP sets keep their ipset names ("cali40all-hosts-net",
// "cali40all-vxlan-net"; a colon becomes "-"), and each rule carries the
// comment "cali:HASH; TEXT" (felix/generictables: the rule hash, then the
// rule's comments, such as "Drop IPIP packets from non-Calico hosts").

// CalicoTable is the name of felix's nftables table.
const CalicoTable = "calico"

// HasCalicoTable reports whether felix's nftables table is in the ruleset.
func (r *Result) HasCalicoTable() bool {
	for _, t := range r.Tables {
		if t.Name == CalicoTable && (t.Family == "ip" || t.Family == "ip6") {
			return true
		}
	}
	return false
}

// CalicoSet returns the named set of table ip calico, or nil.
func (r *Result) CalicoSet(name string) *Set {
	for i := range r.Sets {
		s := &r.Sets[i]
		if s.Family == "ip" && s.Table == CalicoTable && s.Name == name && !s.Map {
			return s
		}
	}
	return nil
}

// TunnelRule is one of felix's filter-cali-INPUT rules for IP-in-IP or VXLAN.
type TunnelRule struct {
	Rule
	Kind string // "ipip" or "vxlan"
	// Action is the verdict as printed: "accept", "drop", "return",
	// "goto CHAIN", "jump CHAIN".
	Action string
	// Set is the calico set the rule matches the source on ("" if none).
	Set string
}

// CalicoTunnelRules returns felix's filter-cali-INPUT rules of table ip
// calico that match IP-in-IP (meta l4proto ipencap, i.e. 4) or VXLAN (UDP to
// the VXLAN port, or the cali40all-vxlan-net set), with their counters: the
// nftables form of iptables' cali-INPUT tunnel rules.
func (r *Result) CalicoTunnelRules() []TunnelRule {
	var out []TunnelRule
	for _, rl := range r.Rules {
		if rl.Family != "ip" || rl.Table != CalicoTable || rl.Chain != "filter-cali-INPUT" {
			continue
		}
		f := strings.Fields(matchPart(rl.Text))
		kind, set := "", ""
		for i, w := range f {
			if strings.HasPrefix(w, "@cali") && i > 0 && f[i-1] == "saddr" {
				set = w[1:]
			}
			if i+2 < len(f) && (f[i] == "meta" && f[i+1] == "l4proto" || f[i] == "ip" && f[i+1] == "protocol") &&
				(f[i+2] == "ipencap" || f[i+2] == "4") {
				kind = "ipip"
			}
		}
		if kind == "" && hasUDPDport(f) && (strings.Contains(rl.Text, "4789") || strings.Contains(set, "vxlan") ||
			strings.Contains(strings.ToLower(rl.Comment), "vxlan")) {
			kind = "vxlan"
		}
		if kind == "" {
			continue
		}
		out = append(out, TunnelRule{Rule: rl, Kind: kind, Action: rl.Verdict(), Set: set})
	}
	return out
}

func hasUDPDport(f []string) bool {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "udp" && f[i+1] == "dport" {
			return true
		}
	}
	return false
}

// PolicyDropComment ends the comment felix puts on the rule that drops what
// no policy passed ("Drop if no policies passed packet"; since Calico 3.28 or
// so "End of tier default. Drop if no policies passed packet").
const PolicyDropComment = "Drop if no policies passed packet"

// CalicoPolicyDrops returns felix's rules of table ip calico that drop
// packets no policy passed, with their counters.
func (r *Result) CalicoPolicyDrops() []Rule {
	var out []Rule
	for _, rl := range r.Rules {
		if rl.Table != CalicoTable || (rl.Family != "ip" && rl.Family != "ip6") {
			continue
		}
		if strings.HasSuffix(rl.Comment, PolicyDropComment) && rl.Verdict() == "drop" {
			out = append(out, rl)
		}
	}
	return out
}

// matchPart is a rule's text before its trailing comment.
func matchPart(text string) string {
	if i := commentStart(text); i >= 0 {
		return strings.TrimSpace(text[:i])
	}
	return text
}

// commentStart finds ` comment "` outside quotes, or -1.
func commentStart(s string) int {
	inq := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			inq = !inq
		case !inq && strings.HasPrefix(s[i:], "comment \"") && (i == 0 || s[i-1] == ' '):
			return i
		}
	}
	return -1
}

// ruleComment is the text of a rule's trailing `comment "..."`.
func ruleComment(s string) string {
	i := commentStart(s)
	if i < 0 {
		return ""
	}
	c := strings.TrimSpace(s[i+len("comment "):])
	return unquote(c)
}

// Verdict is the rule's verdict statement as printed ("accept", "drop",
// "reject", "return", "goto CHAIN", "jump CHAIN"), "" for a rule without one
// (a counter, a mark, a vmap).
func (r Rule) Verdict() string {
	f := strings.Fields(matchPart(r.Text))
	for i := len(f) - 1; i >= 0; i-- {
		switch f[i] {
		case "accept", "drop", "return", "continue", "queue":
			return f[i]
		case "reject":
			return "reject"
		case "goto", "jump":
			if i+1 < len(f) {
				return f[i] + " " + f[i+1]
			}
		}
	}
	return ""
}
