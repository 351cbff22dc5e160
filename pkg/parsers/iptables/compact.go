package iptables

import "strings"

// Compact returns a copy of r holding only the rules keep accepts, for a
// caller that has read what it needs of the whole dump and keeps a part for
// later: every chain, generator and count, and the kept rules with their
// parsed fields. Its strings are copies (one per distinct value), so that the
// dump's text, which the parse's strings share, can be let go. The raw tokens
// (Rule.Args), which every parsed field was read from, are not kept.
func (r *Result) Compact(keep func(*Rule) bool) *Result {
	if r == nil {
		return nil
	}
	c := &Result{LegacyWarningLine: r.LegacyWarningLine, KubeChains: r.KubeChains, CalicoChains: r.CalicoChains}
	strs := map[string]string{}
	str := func(s string) string {
		if s == "" {
			return ""
		}
		v, ok := strs[s]
		if !ok {
			v = strings.Clone(s)
			strs[v] = v
		}
		return v
	}
	list := func(ss []string) []string {
		if ss == nil {
			return nil
		}
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = str(s)
		}
		return out
	}
	c.Tables = list(r.Tables)
	for _, g := range r.Generators {
		c.Generators = append(c.Generators, Generator{Line: g.Line, Program: str(g.Program), Version: str(g.Version), Mode: str(g.Mode)})
	}
	c.Chains = make([]Chain, len(r.Chains))
	for i, ch := range r.Chains {
		c.Chains[i] = Chain{Line: ch.Line, Table: str(ch.Table), Name: str(ch.Name), Policy: str(ch.Policy), Packets: ch.Packets, Bytes: ch.Bytes}
	}
	n := 0
	for i := range r.Rules {
		if keep(&r.Rules[i]) {
			n++
		}
	}
	c.Rules = make([]Rule, 0, n)
	for i := range r.Rules {
		rl := &r.Rules[i]
		if !keep(rl) {
			continue
		}
		k := Rule{
			Line: rl.Line, Table: str(rl.Table), Chain: str(rl.Chain),
			HasCounters: rl.HasCounters, Packets: rl.Packets, Bytes: rl.Bytes,
			Protocol: str(rl.Protocol), Src: str(rl.Src), Dst: str(rl.Dst), SrcPrefix: rl.SrcPrefix, DstPrefix: rl.DstPrefix,
			InIface: str(rl.InIface), OutIface: str(rl.OutIface), DPort: str(rl.DPort), Comments: list(rl.Comments),
			Target: str(rl.Target), TargetArgs: list(rl.TargetArgs), Goto: str(rl.Goto),
		}
		for _, m := range rl.MatchSets {
			k.MatchSets = append(k.MatchSets, MatchSet{Name: str(m.Name), Dir: str(m.Dir), Negated: m.Negated})
		}
		c.Rules = append(c.Rules, k)
	}
	return c
}

// IsServiceChain reports whether name is one of kube-proxy's per-Service or
// per-endpoint NAT chains (KUBE-SVC-, KUBE-SEP-, ...), which ServiceRules
// follows from KUBE-SERVICES.
func IsServiceChain(name string) bool { return serviceChain(name) }
