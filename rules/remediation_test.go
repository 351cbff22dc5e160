package rules_test

import (
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/analysis"
)

// TestRemediationsNameThisCluster: the remediations of sysctl-rp-filter-loose,
// bgp-session-down and tunnel-mode-mismatch name the node, peer, pools and
// the commands of the way Calico is installed (the operator reverts edits to
// the calico-node DaemonSet, so its clusters get Installation or
// FelixConfiguration commands instead), never a generic placeholder.
func TestRemediationsNameThisCluster(t *testing.T) {
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scenario, rule, node string
		operator             bool
		want, never          []string
	}{
		{"sysctl-rp-filter-loose", "sysctl-rp-filter-loose", "ubuntu-k8s-3", false,
			[]string{"felix on ubuntu-k8s-3 refuses", "kubectl -n kube-system set env daemonset/calico-node FELIX_IGNORELOOSERPF=true",
				"kubectl -n kube-system delete pod -l k8s-app=calico-node --field-selector spec.nodeName=ubuntu-k8s-3"},
			[]string{"felixconfiguration"}},
		{"sysctl-rp-filter-loose", "sysctl-rp-filter-loose", "ubuntu-k8s-3", true,
			[]string{`kubectl patch felixconfiguration default --type=merge -p '{"spec":{"ignoreLooseRPF":true}}'`,
				"kubectl -n calico-system delete pod -l k8s-app=calico-node --field-selector spec.nodeName=ubuntu-k8s-3"},
			[]string{"set env daemonset"}},
		{"bgp-session-down", "bgp-session-down", "rack1-node1", false,
			[]string{"BIRD on rack1-node1 has no working session with 10.3.1.21 (rack2-node1)", "nc -zv -w 3 10.3.1.21 179",
				"calicoctl get node rack2-node1 -o yaml", "--field-selector spec.nodeName=rack1-node1 -o name) -c calico-node -- birdcl"},
			nil},
		{"tunnel-mode-mismatch", "tunnel-mode-mismatch", "", false,
			[]string{"IP-in-IP (tunl0) on worker1, worker2; VXLAN (vxlan.calico) on master", "The IP pools say vxlan",
				`calicoctl patch ippool default-ipv4-ippool -p '{"spec":{"ipipMode":"Never","vxlanMode":"Always"}}'`,
				"--field-selector spec.nodeName=worker1", "--field-selector spec.nodeName=worker2"},
			[]string{"spec.nodeName=master", "kubectl edit installation"}},
		{"tunnel-mode-mismatch", "tunnel-mode-mismatch", "", true,
			[]string{"kubectl edit installation default   # spec.calicoNetwork.ipPools[*].encapsulation: VXLAN", "kubectl -n calico-system delete pod"},
			[]string{"calicoctl patch ippool"}},
	}
	for _, tc := range tests {
		name := tc.scenario + "/manifest"
		if tc.operator {
			name = tc.scenario + "/operator"
		}
		t.Run(name, func(t *testing.T) {
			c, _, _, err := analysis.Facts([]string{"../testdata/bundles/" + tc.scenario + ".txtar"}, analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.operator {
				c.CalicoInstall, c.CalicoNamespace = "operator", "calico-system"
			}
			var rem string
			for _, f := range eng.Eval(c) {
				if f.Rule == tc.rule && f.Node == tc.node && !f.Insufficient {
					rem = f.Remediation
				}
			}
			if rem == "" {
				t.Fatalf("no %s finding on %q", tc.rule, tc.node)
			}
			for _, w := range tc.want {
				if !strings.Contains(rem, w) {
					t.Errorf("remediation lacks %q:\n%s", w, rem)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(rem, n) {
					t.Errorf("remediation holds %q:\n%s", n, rem)
				}
			}
			if strings.Contains(rem, "{{") {
				t.Errorf("unfilled placeholder:\n%s", rem)
			}
		})
	}
}
