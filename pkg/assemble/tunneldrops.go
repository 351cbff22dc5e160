package assemble

import (
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iptables"
)

// tunnelDrops counts what felix's cali-INPUT DROP rules for IP-in-IP and
// VXLAN dropped. One iptables-save -c is a total since felix last programmed
// the rule, usually 0 or stale in a short capture; the counters read before
// and after the capture window say what was dropped while the collector
// watched, so they are preferred where both were read.
func tunnelDrops(n *load.Node, f *facts.IPTables) {
	f.IPIPDropped = tunnelDropCount(n, "ipip")
	f.VXLANDropped = tunnelDropCount(n, "vxlan")
}

// dropKey names a DROP rule across two iptables-save runs: the line numbers
// differ when other chains change, the rule's place among its kind does not.
func dropKey(r iptables.TunnelRule, seen map[string]int) string {
	k := r.Chain + "\x00" + strings.Join(r.Comments, "\x00")
	seen[k]++
	return k + "\x00" + strconv.Itoa(seen[k])
}

func dropRules(t *iptables.Result, kind string) (keys []string, rules map[string]iptables.TunnelRule) {
	rules = map[string]iptables.TunnelRule{}
	seen := map[string]int{}
	for _, r := range t.CalicoIPIPRules() {
		if r.Kind != kind || r.Action != "DROP" || !r.HasCounters {
			continue
		}
		k := dropKey(r, seen)
		keys = append(keys, k)
		rules[k] = r
	}
	return keys, rules
}

func tunnelDropCount(n *load.Node, kind string) facts.TunnelDrops {
	out := facts.TunnelDrops{Packets: -1}
	if n.Before.IPTables != nil && n.After.IPTables != nil {
		bKeys, before := dropRules(n.Before.IPTables, kind)
		aKeys, after := dropRules(n.After.IPTables, kind)
		total, best, bestKey, reset := 0, -1, "", false
		for _, k := range aKeys {
			b, ok := before[k]
			if !ok || after[k].Packets < b.Packets {
				// Felix reprogrammed the rule during the window (its
				// counters start again at 0): no delta to take.
				reset = true
				break
			}
			d := int(after[k].Packets - b.Packets)
			total += d
			if d > best {
				best, bestKey = d, k
			}
		}
		if !reset && len(aKeys) > 0 && len(aKeys) == len(bKeys) {
			ap, bp := bundle.CountersAfterDir+"/iptables-save.txt", bundle.CountersBeforeDir+"/iptables-save.txt"
			out.Packets, out.Source = total, "window"
			out.Refs = []facts.Ref{refAt(n, bp, before[bestKey].Line), refAt(n, ap, after[bestKey].Line)}
			return out
		}
		out.Note = "counters/before and counters/after do not hold the same DROP rules"
		if reset {
			out.Note = "the DROP rule's counters went down between counters/before and counters/after (felix reprogrammed it)"
		}
	}
	if n.IPTables == nil {
		return out
	}
	keys, rules := dropRules(n.IPTables, kind)
	if len(keys) == 0 {
		return out
	}
	out.Packets, out.Source = 0, "snapshot"
	best := -1
	for _, k := range keys {
		p := int(rules[k].Packets)
		out.Packets += p
		if p > best {
			best = p
			out.Refs = []facts.Ref{refAt(n, bundle.IPTablesSavePath, rules[k].Line)}
		}
	}
	if out.Note == "" {
		out.Note = "no iptables-save -c before and after the capture window"
	}
	return out
}
