package rules

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// TestRemediationFittedToTheCluster (issue 8, class 6): a remediation is a
// template filled from the facts of each finding, so that its commands name
// this cluster's interfaces, addresses and Calico install.
func TestRemediationFittedToTheCluster(t *testing.T) {
	rule := `id: uplink-probe
title: Probe
stage: kernel
severity: warning
scope: node
match: "true"
message: "'m'"
remediation: |
  On {{ node.name }}:
    ethtool -K {{ node.uplink }} gso off
    tcpdump -ni {{ node.uplink }} '{{ cluster.encapsulation == 'vxlan' ? 'udp port 4789' : 'ip proto 4' }}'
  {{ cluster.calicoInstall == 'operator'
       ? "kubectl patch installation default --type=merge -p '{\"spec\":{\"calicoNetwork\":{\"mtu\":" + string(node.links.filter(l, l.name == node.uplink)[0].mtu - 50) + "}}}'"
       : 'kubectl -n ' + cluster.calicoNamespace + ' set env daemonset/calico-node FELIX_VXLANMTU=' + string(node.links.filter(l, l.name == node.uplink)[0].mtu - 50) }}
  Addresses: {{ node.ips }}
`
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := e.LoadFS(fstest.MapFS{"uplink-probe.yaml": {Data: []byte(rule)}}, "t"); len(errs) > 0 {
		t.Fatal(errs)
	}
	node := facts.Node{Name: "metal-17", Uplink: "enp65s0f1", IPs: []string{"10.88.4.17", "10.99.0.17"},
		Links: []facts.Link{{Name: "enp65s0f1", MTU: 9000}}, Has: map[string]bool{}}
	tests := []struct {
		name  string
		c     facts.Cluster
		want  []string
		never string
	}{
		{"operator install, VXLAN", facts.Cluster{Encapsulation: "vxlan", CalicoInstall: "operator", CalicoNamespace: "calico-system"},
			[]string{"On metal-17:", "ethtool -K enp65s0f1 gso off", "tcpdump -ni enp65s0f1 'udp port 4789'",
				`kubectl patch installation default --type=merge -p '{"spec":{"calicoNetwork":{"mtu":8950}}}'`, "Addresses: 10.88.4.17, 10.99.0.17"},
			"ip proto 4"},
		{"manifest install, IPIP", facts.Cluster{Encapsulation: "ipip", CalicoInstall: "manifest", CalicoNamespace: "kube-system"},
			[]string{"tcpdump -ni enp65s0f1 'ip proto 4'", "kubectl -n kube-system set env daemonset/calico-node FELIX_VXLANMTU=8950"},
			"udp port 4789"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.Nodes = []facts.Node{node}
			fs := e.Eval(&c)
			if len(fs) != 1 {
				t.Fatalf("findings %+v", fs)
			}
			rem := fs[0].Remediation
			for _, w := range tc.want {
				if !strings.Contains(rem, w) {
					t.Errorf("remediation lacks %q:\n%s", w, rem)
				}
			}
			if strings.Contains(rem, tc.never) || strings.Contains(rem, "{{") {
				t.Errorf("remediation holds %q or an unfilled placeholder:\n%s", tc.never, rem)
			}
		})
	}
}

func TestRemediationTemplateErrorsPointIntoTheFile(t *testing.T) {
	tests := []struct{ body, want string }{
		{"remediation: |\n  run\n    ethtool -K {{ node.uplnk }} gso off\n", "t/bad.yaml:10:23: remediation: undefined field 'uplnk'"},
		{"remediation: |\n  run {{ node.name\n", "t/bad.yaml:9:7: remediation: {{ without a closing }}"},
		{"remediation: \"x {{ }} y\"\n", "t/bad.yaml:8:19: remediation: empty {{ }} placeholder"},
	}
	for _, tc := range tests {
		rule := "id: bad\ntitle: Bad\nstage: kernel\nseverity: warning\nscope: node\nmatch: \"true\"\nmessage: \"'m'\"\n" + tc.body
		e, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		errs := e.LoadFS(fstest.MapFS{"bad.yaml": {Data: []byte(rule)}}, "t")
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("errors %v, want one starting %q", errs, tc.want)
		}
	}
}
