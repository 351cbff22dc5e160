package assemble

import (
	"strings"
	"testing"
)

// TestCalicoAbsent: a cluster is taken to run without Calico only on
// evidence on every node (collect's record of looking for calico-node, or an
// iptables-save without a cali- chain beside an interface list or nft
// ruleset), never from files that were not collected, and never where any
// bundle shows Calico.
func TestCalicoAbsent(t *testing.T) {
	manifest := func(node, envStatus, envErr string) string {
		return "-- " + node + `/manifest.json --
{"schema": "podnet-bundle/v1", "node": "` + node + `", "collectedAt": "2026-12-06T10:02:11Z",
 "collector": {"name": "podnetdiag-collect", "version": "v0.9.0"},
 "items": [
  {"path": "calico/calico-node-env.txt", "source": "file", "status": "` + envStatus + `", "error": "` + envErr + `", "durationMs": 0},
  {"path": "calico/ippools.yaml", "source": "kubectl", "status": "skipped", "error": "not found: /apis/crd.projectcalico.org/v1/ippools via kubeconfig: HTTP 404", "durationMs": 3}
 ]}
`
	}
	iptables := func(node string, calico bool) string {
		s := "-- " + node + "/net/iptables-save.txt --\n*filter\n:INPUT ACCEPT [0:0]\n:KUBE-FORWARD - [0:0]\n:KUBE-SERVICES - [0:0]\n"
		if calico {
			s += ":cali-INPUT - [0:0]\n[10:600] -A INPUT -m comment --comment \"cali:Cz_u1IQiXIMmKD4c\" -j cali-INPUT\n"
		}
		return s + "[5:300] -A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\nCOMMIT\n"
	}
	addr := func(node, extra string) string {
		return "-- " + node + `/net/ip-addr.txt --
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 192.168.56.11/24 brd 192.168.56.255 scope global eth0
` + extra
	}
	// What collect sees from a pod of its own on a Calico node: no
	// calico-node process, an empty iptables, the pod's eth0 alone.
	podView := func(node string) string {
		return manifest(node, "skipped", "no calico-node process on this node") +
			"-- " + node + "/net/iptables-save.txt --\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n" +
			"-- " + node + "/net/ip-route.txt --\ndefault via 169.254.1.1 dev eth0\n169.254.1.1 dev eth0 scope link\n"
	}
	routes := func(node string) string {
		return "-- " + node + "/net/ip-route.txt --\ndefault via 192.168.56.1 dev eth0\n10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink\n"
	}
	const caliLink = "7: cali12ab34cd56e@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default\n    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid 0\n"
	const noProc = "no calico-node process on this node"
	// A pod interface of the AWS VPC CNI: the bundle shows the host's namespace.
	const eniLink = "3: eni3a8f2c1b7d4@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc noqueue state UP group default\n    link/ether be:21:9c:00:00:40 brd ff:ff:ff:ff:ff:ff link-netns cni-1\n"
	tests := []struct {
		name    string
		archive string
		want    bool
		whyHas  []string
		refs    int
	}{
		{"manifest: no calico-node process on both nodes, API 404",
			manifest("a", "skipped", noProc) + addr("a", eniLink) + manifest("b", "skipped", noProc) + addr("b", eniLink),
			true, []string{"no calico-node process on any node (collect's manifest.json)", "the API has no IPPool (404)"}, 2},
		{"iptables without cali- chains and interfaces without Calico's (hand-made bundles)",
			iptables("a", false) + addr("a", "") + iptables("b", false) + addr("b", ""),
			true, []string{"no cali- chain in the iptables-save of any node"}, 2},
		{"one node by manifest, the other by iptables",
			manifest("a", "skipped", noProc) + addr("a", eniLink) + iptables("b", false) + addr("b", ""),
			true, []string{"no calico-node process on a (collect's manifest.json)", "no cali- chain in the iptables-save of b"}, 2},
		{"collect ran in a pod of its own (no host network namespace): no evidence",
			podView("a") + addr("a", "") + podView("b") + addr("b", ""), false, nil, 0},
		{"nothing collected but routes: absence of files is no evidence", routes("a") + routes("b"), false, nil, 0},
		{"iptables without cali- chains but no interface list or nft ruleset (felix's nftables mode not ruled out)",
			iptables("a", false) + routes("a"), false, nil, 0},
		{"one node without evidence keeps the rules running",
			manifest("a", "skipped", noProc) + addr("a", eniLink) + routes("b"), false, nil, 0},
		{"the API answering 404 alone is not enough (Calico on etcd has no CRDs)",
			manifest("a", "error", "permission denied") + addr("a", eniLink), false, nil, 0},
		{"a cali- chain on one node: Calico is there",
			iptables("a", false) + addr("a", "") + iptables("b", true) + addr("b", ""), false, nil, 0},
		{"a cali* interface on one node: Calico is there",
			manifest("a", "skipped", noProc) + addr("a", eniLink) + manifest("b", "skipped", noProc) + addr("b", eniLink+caliLink), false, nil, 0},
		{"calico-node's env collected: Calico is there",
			manifest("a", "skipped", noProc) + addr("a", eniLink) + manifest("b", "ok", "") + addr("b", eniLink) + iptables("b", false) +
				"-- b/calico/calico-node-env.txt --\nCALICO_NETWORKING_BACKEND=bird\n", false, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := build(t, tc.archive, Options{})
			if c.CalicoAbsent != tc.want {
				t.Fatalf("CalicoAbsent = %v (%q), want %v", c.CalicoAbsent, c.CalicoAbsentWhy, tc.want)
			}
			for _, w := range tc.whyHas {
				if !strings.Contains(c.CalicoAbsentWhy, w) {
					t.Errorf("why %q lacks %q", c.CalicoAbsentWhy, w)
				}
			}
			if len(c.CalicoAbsentRefs) != tc.refs {
				t.Errorf("refs %+v, want %d", c.CalicoAbsentRefs, tc.refs)
			}
			for _, r := range c.CalicoAbsentRefs {
				if r.Node() == "" || r.File() == "" {
					t.Errorf("ref %+v lacks its node or file", r)
				}
			}
		})
	}
}
