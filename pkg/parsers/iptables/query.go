package iptables

import (
	"net/netip"
	"sort"
	"strings"
)

// tableMatches lets `iptables -S` input (no table headers, Table "") answer queries
// about any table.
func tableMatches(have, want string) bool {
	return have == want || have == ""
}

// RulesIn returns the rules of one chain, in file order.
func (r *Result) RulesIn(table, chain string) []Rule {
	var out []Rule
	for i := range r.Rules {
		if r.Rules[i].Chain == chain && tableMatches(r.Rules[i].Table, table) {
			out = append(out, r.Rules[i])
		}
	}
	return out
}

// Chain looks up a declared chain.
func (r *Result) Chain(table, name string) (Chain, bool) {
	for _, c := range r.Chains {
		if c.Name == name && tableMatches(c.Table, table) {
			return c, true
		}
	}
	return Chain{}, false
}

// HasKubeProxyRules reports whether kube-proxy's own chains are present (kubelet also
// creates KUBE-FIREWALL and KUBE-MARK-DROP, which say nothing about kube-proxy).
// In IPVS mode kube-proxy still writes KUBE-SERVICES, so this is true there too.
func (r *Result) HasKubeProxyRules() bool {
	is := func(name string) bool {
		switch name {
		case "KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-PROXY-CANARY", "KUBE-POSTROUTING", "KUBE-LOAD-BALANCER", "KUBE-NODE-PORT":
			return true
		}
		for _, p := range [...]string{"KUBE-SVC-", "KUBE-SEP-", "KUBE-EXT-", "KUBE-SVL-", "KUBE-FW-", "KUBE-XLB-"} {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	for _, c := range r.Chains {
		if is(c.Name) {
			return true
		}
	}
	for i := range r.Rules {
		if is(r.Rules[i].Chain) {
			return true
		}
	}
	return false
}

// HasCalicoRules reports whether Felix has programmed any cali- chain.
func (r *Result) HasCalicoRules() bool {
	if r.CalicoChains > 0 {
		return true
	}
	for i := range r.Rules {
		if strings.HasPrefix(r.Rules[i].Chain, "cali-") {
			return true
		}
	}
	return false
}

// serviceChain reports chains kube-proxy (iptables mode) creates per Service or
// endpoint, which ServiceRules follows from KUBE-SERVICES.
func serviceChain(name string) bool {
	for _, p := range [...]string{"KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-XLB-", "KUBE-SEP-"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ServiceRules returns kube-proxy's NAT rules for a Service IP: the rules of
// KUBE-SERVICES whose destination is ip (as a host prefix), then every rule of the
// per-Service and per-endpoint chains they lead to (KUBE-SVC-*, KUBE-SEP-* and the
// newer KUBE-EXT-/KUBE-SVL-/KUBE-FW- chains), in file order. Older kube-proxy put the
// masquerade rule in KUBE-SERVICES, newer ones in KUBE-SVC-*; both are returned.
func (r *Result) ServiceRules(ip netip.Addr) []Rule {
	if !ip.IsValid() {
		return nil
	}
	host := netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
	byChain := map[string][]int{}
	for i := range r.Rules {
		rl := &r.Rules[i]
		if tableMatches(rl.Table, "nat") && serviceChain(rl.Chain) {
			byChain[rl.Chain] = append(byChain[rl.Chain], i)
		}
	}
	picked := map[int]bool{}
	seen := map[string]bool{}
	var queue []string
	follow := func(rl *Rule) {
		for _, c := range [...]string{rl.Target, rl.Goto} {
			if serviceChain(c) && !seen[c] {
				seen[c] = true
				queue = append(queue, c)
			}
		}
	}
	for i := range r.Rules {
		rl := &r.Rules[i]
		if rl.Chain != "KUBE-SERVICES" || !tableMatches(rl.Table, "nat") || rl.DstPrefix != host {
			continue
		}
		picked[i] = true
		follow(rl)
	}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, i := range byChain[c] {
			picked[i] = true
			follow(&r.Rules[i])
		}
	}
	if len(picked) == 0 {
		return nil
	}
	idx := make([]int, 0, len(picked))
	for i := range picked {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]Rule, len(idx))
	for k, i := range idx {
		out[k] = r.Rules[i]
	}
	return out
}

// Backend is where kube-proxy's iptables rules send a Service's traffic: one
// `-j DNAT --to-destination ADDR:PORT` rule of a KUBE-SEP- chain.
type Backend struct {
	Line           int
	Chain          string // KUBE-SEP-...
	Protocol       string
	Dest           netip.AddrPort
	Packets, Bytes uint64
}

// ServiceBackends lists the DNAT destinations reachable from ServiceRules(ip).
func (r *Result) ServiceBackends(ip netip.Addr) []Backend {
	var out []Backend
	for _, rl := range r.ServiceRules(ip) {
		if rl.Target != "DNAT" {
			continue
		}
		for k := 0; k+1 < len(rl.TargetArgs); k++ {
			if rl.TargetArgs[k] != "--to-destination" {
				continue
			}
			ap, err := netip.ParseAddrPort(rl.TargetArgs[k+1])
			if err != nil {
				// `--to-destination 10.0.0.1` without a port keeps the original one.
				a, err2 := netip.ParseAddr(rl.TargetArgs[k+1])
				if err2 != nil {
					continue
				}
				ap = netip.AddrPortFrom(a, 0)
			}
			out = append(out, Backend{Line: rl.Line, Chain: rl.Chain, Protocol: rl.Protocol, Dest: ap, Packets: rl.Packets, Bytes: rl.Bytes})
		}
	}
	return out
}

// TunnelRule is a cali-INPUT rule about tunnel packets from other hosts.
type TunnelRule struct {
	Rule
	Kind string // "ipip" or "vxlan"
	// Action is the verdict: ACCEPT, DROP, or "goto CHAIN" / another target.
	Action string
	// Set is the ipset of allowed hosts the rule matches on ("" if none); the ACCEPT
	// rule matches cali40all-hosts-net (IPIP) or cali40all-vxlan-net (VXLAN).
	Set string
}

// CalicoIPIPRules returns Felix's cali-INPUT rules for IP-in-IP (protocol ipencap,
// i.e. 4; "ipip" in /etc/protocols is 94 and is not it) and for VXLAN (UDP to the
// VXLAN port, or matching the cali40all-vxlan-net set), with their counters. A rising
// DROP counter means tunnel packets come from an address Calico does not know as a
// host; an ACCEPT counter at 0 means none arrive.
func (r *Result) CalicoIPIPRules() []TunnelRule {
	var out []TunnelRule
	for i := range r.Rules {
		rl := &r.Rules[i]
		if rl.Chain != "cali-INPUT" || !tableMatches(rl.Table, "filter") {
			continue
		}
		kind := ""
		switch strings.ToLower(rl.Protocol) {
		case "ipencap", "4":
			kind = "ipip"
		case "udp", "17":
			if isVXLANRule(rl) {
				kind = "vxlan"
			}
		}
		if kind == "" {
			continue
		}
		t := TunnelRule{Rule: *rl, Kind: kind, Action: rl.Target}
		if rl.Goto != "" {
			t.Action = "goto " + rl.Goto
		}
		for _, ms := range rl.MatchSets {
			if !ms.Negated && strings.HasPrefix(ms.Name, "cali") {
				t.Set = ms.Name
				break
			}
		}
		out = append(out, t)
	}
	return out
}

func isVXLANRule(rl *Rule) bool {
	for _, ms := range rl.MatchSets {
		if strings.Contains(ms.Name, "vxlan") {
			return true
		}
	}
	for _, c := range rl.Comments {
		if strings.Contains(strings.ToLower(c), "vxlan") {
			return true
		}
	}
	return rl.DPort == "4789"
}
