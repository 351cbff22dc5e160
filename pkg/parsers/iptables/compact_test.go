package iptables

import (
	"net/netip"
	"reflect"
	"testing"
)

// A compacted dump answers the queries on the rules it kept as the whole
// dump does, holds no other rule, and keeps every chain; only the raw tokens
// go.
func TestCompactKeepsWhatItIsAsked(t *testing.T) {
	kubeNAT := func(r *Rule) bool {
		return r.Table == "nat" && (r.Chain == "KUBE-SERVICES" || IsServiceChain(r.Chain))
	}
	for _, tc := range []struct {
		fixture string
		keep    func(*Rule) bool
		ip      string
		kept    int // rules kept: the cases are not vacuous
	}{
		{"kube-proxy-iptables-vxlan-nft.txt", kubeNAT, "10.96.0.10", 22},
		{"calico-ipip-ipvs-legacy.txt", kubeNAT, "10.96.0.10", 0},
		{"kube-proxy-iptables-vxlan-nft.txt", func(*Rule) bool { return true }, "10.96.0.10", 0},
		{"kube-proxy-iptables-vxlan-nft.txt", func(*Rule) bool { return false }, "10.96.0.10", 0},
	} {
		full, _ := Parse(readFixture(t, tc.fixture))
		c := full.Compact(tc.keep)
		ip := netip.MustParseAddr(tc.ip)
		var want []Rule
		for _, r := range full.Rules {
			if tc.keep(&r) {
				r.Args = nil
				want = append(want, r)
			}
		}
		if tc.kept > 0 && len(c.Rules) != tc.kept {
			t.Errorf("%s: kept %d rules, the fixture has %d such", tc.fixture, len(c.Rules), tc.kept)
		}
		if len(c.Rules) != len(want) || (len(want) > 0 && !reflect.DeepEqual(c.Rules, want)) {
			t.Errorf("%s: kept %d rules, want %d (equal but for Args)", tc.fixture, len(c.Rules), len(want))
		}
		if !reflect.DeepEqual(c.Chains, full.Chains) || !reflect.DeepEqual(c.Tables, full.Tables) || !reflect.DeepEqual(c.Generators, full.Generators) ||
			c.KubeChains != full.KubeChains || c.CalicoChains != full.CalicoChains || c.LegacyWarningLine != full.LegacyWarningLine {
			t.Errorf("%s: chains, tables, generators or counts differ", tc.fixture)
		}
		if tc.keep(&Rule{Table: "nat", Chain: "KUBE-SERVICES"}) {
			strip := func(rs []Rule) []Rule {
				for i := range rs {
					rs[i].Args = nil
				}
				return rs
			}
			if got, w := c.ServiceRules(ip), strip(full.ServiceRules(ip)); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: ServiceRules %+v, want %+v", tc.fixture, got, w)
			}
			if got, w := c.ServiceBackends(ip), full.ServiceBackends(ip); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: ServiceBackends %+v, want %+v", tc.fixture, got, w)
			}
		}
	}
}
