package rules_test

import (
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/analysis"
)

// TestTunnelDropCountsSayTheirWindow: calico-ipip-host-not-allowed quotes
// felix's drop counter over the capture window where the bundle has counters
// before and after it (and cites both lines), else the one snapshot's total,
// saying so.
func TestTunnelDropCountsSayTheirWindow(t *testing.T) {
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scen := scenarios(t)
	tests := []struct {
		scenario, node string
		says           []string
		cites          []string // files among the evidence
		notSays        []string
	}{
		{
			// net/iptables-save.txt reads [0:0], counters/before [1:148],
			// counters/after [29:4264].
			scenario: "calico-ipip-host-not-allowed-lab", node: "node-a",
			says:    []string{"dropped 28 packets during the capture window"},
			cites:   []string{"counters/before/iptables-save.txt", "counters/after/iptables-save.txt"},
			notSays: []string{"since felix programmed it"},
		},
		{
			scenario: "calico-ipip-host-not-allowed-vxlan", node: "edge-w1",
			says:    []string{"has dropped 3391 packets since felix programmed it", "no iptables-save -c before and after the capture window"},
			notSays: []string{"during the capture window"},
		},
		{
			// Felix in nftables mode: the set and the drop rule are in table
			// ip calico, read once.
			scenario: "calico-ipip-host-not-allowed-nftables", node: "edge-w1",
			says:    []string{"nftables set cali40all-vxlan-net", "has dropped 3391 packets since felix programmed it", "table ip calico"},
			cites:   []string{"net/nft-ruleset.txt"},
			notSays: []string{"during the capture window", "ipset"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			r, err := analysis.Run(eng, scen[tt.scenario], analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range r.Findings {
				if f.Rule != "calico-ipip-host-not-allowed" || f.Node != tt.node {
					continue
				}
				found = true
				for _, s := range tt.says {
					if !strings.Contains(f.Message, s) {
						t.Errorf("message %q lacks %q", f.Message, s)
					}
				}
				for _, s := range tt.notSays {
					if strings.Contains(f.Message, s) {
						t.Errorf("message %q says %q", f.Message, s)
					}
				}
				for _, file := range tt.cites {
					cited := false
					for _, e := range f.Evidence {
						cited = cited || e.File() == file && e.Line > 0
					}
					if !cited {
						t.Errorf("evidence %+v does not cite a line of %s", f.Evidence, file)
					}
				}
			}
			if !found {
				t.Fatalf("no calico-ipip-host-not-allowed finding on %s", tt.node)
			}
		})
	}
}

// TestPolicyDropsFromFelixNFTables: in felix's nftables mode the counter of
// "End of tier default. Drop if no policies passed packet" in table ip calico
// corroborates network-policy-denies-dns, cited by its line.
func TestPolicyDropsFromFelixNFTables(t *testing.T) {
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := analysis.Run(eng, scenarios(t)["network-policy-denies-dns-nftables"], analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range r.Findings {
		if f.Rule != "network-policy-denies-dns" {
			continue
		}
		found = true
		if !strings.Contains(f.Message, "counted drops (edge-w1: 412)") {
			t.Errorf("message %q lacks felix's nftables drop count", f.Message)
		}
		cited := false
		for _, e := range f.Evidence {
			cited = cited || e.Node() == "edge-w1" && e.File() == "net/nft-ruleset.txt" && strings.Contains(e.Text, "Drop if no policies passed packet")
		}
		if !cited {
			t.Errorf("evidence %+v does not cite felix's nftables drop rule", f.Evidence)
		}
	}
	if !found {
		t.Fatal("no network-policy-denies-dns finding")
	}
}

// TestArrivalDropsCiteTheHostFirewall: where the receiver's own firewall
// (the lab's nftables table, not felix's) drops VXLAN, link-tunnel-dropped-on-
// arrival names and cites that rule; where felix's allowlist drops it, no
// host rule is named.
func TestArrivalDropsCiteTheHostFirewall(t *testing.T) {
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scen := scenarios(t)
	for _, tt := range []struct {
		scenario string
		says     string // "" when no host rule may be named
		cites    string
	}{
		{"link-tunnel-dropped-on-arrival-lab", "table inet pnd-lab-hostfw chain input", "net/nft-ruleset.txt"},
		{"calico-ipip-host-not-allowed-lab", "", ""},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			r, err := analysis.Run(eng, scen[tt.scenario], analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range r.Findings {
				if f.Rule != "link-tunnel-dropped-on-arrival" || f.Node != "node-a" {
					continue
				}
				found = true
				named := strings.Contains(f.Message, "outside felix's rules")
				if tt.says == "" && named || tt.says != "" && !strings.Contains(f.Message, tt.says) {
					t.Errorf("message %q; want host rule %q", f.Message, tt.says)
				}
				cited := false
				for _, e := range f.Evidence {
					cited = cited || e.File() == tt.cites && strings.Contains(e.Text, "4789")
				}
				if tt.cites != "" && !cited {
					t.Errorf("evidence %+v does not cite the host rule in %s", f.Evidence, tt.cites)
				}
			}
			if !found {
				t.Fatal("no link-tunnel-dropped-on-arrival finding on node-a")
			}
		})
	}
}
