package assemble

import (
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

// nftCountersNote says why felix's nftables counters are a snapshot: the
// collector reads counters before and after the capture window with
// iptables-save -c, which does not list felix's nftables table.
const nftCountersNote = "felix programs nftables (table ip calico), whose counters the collector reads once, not before and after the capture window"

// felixNFT reads felix's nftables dataplane (table ip calico; Calico 3.29+
// with nftablesMode Enabled): its filter-cali-INPUT tunnel rules and its
// sets cali40all-hosts-net and cali40all-vxlan-net fill the facts that
// cali-INPUT and the ipsets fill in iptables mode, where iptables and ipset
// did not (a node moving between modes may still show both; felix's
// iptables rules then win, as felix cleans up the mode it left).
func felixNFT(ln *load.Node, n *facts.Node) {
	r := ln.NFT
	if r == nil || !r.HasCalicoTable() {
		return
	}
	n.NFT.HasCalicoTable = true
	it := &n.IPTables
	fromIPTables := len(it.IPIPAccept)+len(it.IPIPDrop)+len(it.VXLANAccept)+len(it.VXLANDrop) > 0
	if !fromIPTables {
		for _, t := range r.CalicoTunnelRules() {
			accept, drop := &it.IPIPAccept, &it.IPIPDrop
			if t.Kind == "vxlan" {
				accept, drop = &it.VXLANAccept, &it.VXLANDrop
			}
			fr := facts.Rule{Chain: t.Chain, Target: strings.ToUpper(t.Action), Packets: int(t.Packets), Bytes: int(t.Bytes),
				Comment: t.Comment, Ref: refAt(ln, bundle.NFTRulesetPath, t.Line)}
			switch t.Action {
			case "accept":
				*accept = append(*accept, fr)
			case "drop":
				*drop = append(*drop, fr)
			}
		}
		it.IPIPDropped = nftTunnelDrops(ln, it.IPIPDrop, it.IPIPDropped)
		it.VXLANDropped = nftTunnelDrops(ln, it.VXLANDrop, it.VXLANDropped)
	}
	if !it.AllHostsNetKnown {
		if s := r.CalicoSet("cali40all-hosts-net"); s != nil {
			it.AllHostsNet, it.AllHostsNetIPs, it.AllHostsNetNets = nil, nil, nil
			for _, e := range s.Elements {
				addSetMember(ln, &it.AllHostsNet, &it.AllHostsNetIPs, &it.AllHostsNetNets, setElement(e.Text))
			}
			it.AllHostsNetKnown, it.AllHostsNetRef, it.SetsFrom = true, refAt(ln, bundle.NFTRulesetPath, s.Line), "nftables"
		}
	}
	if !it.AllVXLANNetKnown {
		if s := r.CalicoSet("cali40all-vxlan-net"); s != nil {
			it.AllVXLANNet, it.AllVXLANNetIPs, it.AllVXLANNetNets = nil, nil, nil
			for _, e := range s.Elements {
				addSetMember(ln, &it.AllVXLANNet, &it.AllVXLANNetIPs, &it.AllVXLANNetNets, setElement(e.Text))
			}
			it.AllVXLANNetKnown, it.AllVXLANNetRef, it.SetsFrom = true, refAt(ln, bundle.NFTRulesetPath, s.Line), "nftables"
		}
	}
}

// setElement is an element as a member: its first word (an element may be
// followed by "timeout 1m" or a comment).
func setElement(text string) string {
	if f := strings.Fields(text); len(f) > 0 {
		return f[0]
	}
	return text
}

// nftTunnelDrops is the snapshot total of felix's nftables DROP rules for one
// encapsulation, where iptables gave none.
func nftTunnelDrops(ln *load.Node, drops []facts.Rule, prev facts.TunnelDrops) facts.TunnelDrops {
	if prev.Source != "" || len(drops) == 0 {
		return prev
	}
	out := facts.TunnelDrops{Source: "snapshot", Note: nftCountersNote}
	best := -1
	for _, d := range drops {
		out.Packets += d.Packets
		if d.Packets > best {
			best, out.Refs = d.Packets, []facts.Ref{d.Ref}
		}
	}
	return out
}

// nftPolicyDrops sums felix's nftables "Drop if no policies passed packet"
// rules; ok is false when the ruleset has none.
func nftPolicyDrops(ln *load.Node) (total int, ref facts.Ref, ok bool) {
	if ln.NFT == nil {
		return 0, facts.Ref{}, false
	}
	best := -1
	for _, r := range ln.NFT.CalicoPolicyDrops() {
		ok = true
		total += int(r.Packets)
		if int(r.Packets) > best {
			best, ref = int(r.Packets), refAt(ln, bundle.NFTRulesetPath, r.Line)
		}
	}
	return total, ref, ok
}
