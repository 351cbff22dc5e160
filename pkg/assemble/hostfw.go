package assemble

import (
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/nft"
)

// vxlanPort is the VXLAN port Calico and the Linux default use.
const vxlanPort = "4789"

// hostTunnelDrops finds the node's own firewall rules (not felix's, not
// kube-proxy's) that drop or reject arriving VXLAN or IP-in-IP: the cause of
// link-tunnel-dropped-on-arrival when felix's allowlist is not. A rule is
// cited, not evaluated: whether it matches the peer's address is for the
// reader of its line.
func hostTunnelDrops(n *load.Node, f *facts.Node) {
	if r := n.NFT; r != nil {
		hooked := map[string]bool{}
		for _, c := range r.Chains {
			if c.Hook == "input" || c.Hook == "prerouting" {
				hooked[c.Family+" "+c.Table+" "+c.Name] = true
			}
		}
		for _, rl := range r.Rules {
			if rl.Table == nft.CalicoTable || rl.Table == "kube-proxy" || !hooked[rl.Family+" "+rl.Table+" "+rl.Chain] ||
				strings.HasPrefix(rl.Chain, "cali-") || strings.HasPrefix(rl.Chain, "KUBE-") {
				continue
			}
			if v := rl.Verdict(); v != "drop" && v != "reject" {
				continue
			}
			kind := nftTunnelKind(rl.Text)
			if kind == "" {
				continue
			}
			pk := -1
			if rl.HasCounter {
				pk = int(rl.Packets)
			}
			f.HostTunnelDrops = append(f.HostTunnelDrops, facts.FirewallRule{Kind: kind,
				Where: "table " + rl.Family + " " + rl.Table + " chain " + rl.Chain, Packets: pk,
				Ref: refAt(n, bundle.NFTRulesetPath, rl.Line)})
		}
	}
	if t := n.IPTables; t != nil {
		for _, rl := range t.RulesIn("filter", "INPUT") {
			if rl.Target != "DROP" && rl.Target != "REJECT" {
				continue
			}
			kind := ""
			switch strings.ToLower(rl.Protocol) {
			case "ipencap", "4":
				kind = "ipip"
			case "udp", "17":
				for _, p := range strings.Split(rl.DPort, ",") {
					if p == vxlanPort {
						kind = "vxlan"
					}
				}
			}
			if kind == "" {
				continue
			}
			pk := -1
			if rl.HasCounters {
				pk = int(rl.Packets)
			}
			f.HostTunnelDrops = append(f.HostTunnelDrops, facts.FirewallRule{Kind: kind, Where: "iptables filter INPUT",
				Packets: pk, Ref: refAt(n, bundle.IPTablesSavePath, rl.Line)})
		}
	}
}

// nftTunnelKind says whether an nftables rule matches VXLAN (UDP to the
// VXLAN port, alone or in a set of ports) or IP-in-IP.
func nftTunnelKind(text string) string {
	f := strings.Fields(text)
	for i := 0; i+2 < len(f); i++ {
		switch {
		case (f[i] == "meta" && f[i+1] == "l4proto" || f[i] == "ip" && f[i+1] == "protocol") && (f[i+2] == "ipencap" || f[i+2] == "4"):
			return "ipip"
		case f[i] == "udp" && f[i+1] == "dport":
			ports := f[i+2]
			if ports == "{" {
				for j := i + 3; j < len(f) && f[j] != "}"; j++ {
					if strings.TrimSuffix(f[j], ",") == vxlanPort {
						return "vxlan"
					}
				}
			} else if ports == vxlanPort {
				return "vxlan"
			}
		}
	}
	return ""
}
