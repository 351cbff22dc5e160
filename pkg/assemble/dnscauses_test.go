package assemble

import (
	"reflect"
	"testing"
)

func TestDNSCauses(t *testing.T) {
	const archive = `-- n1/host/dmesg.txt --
[Sun Dec  6 10:01:02 2026] nf_conntrack: nf_conntrack: table full, dropping packet
-- n1/counters/before/proc-net-stat-nf_conntrack --
entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
00000138  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000004 00000000 00000000 00000000  00000000 00000000 00000000 00000000
00000138  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000000 00000000 00000000  00000000 00000000 00000000 00000000
-- n1/counters/after/proc-net-stat-nf_conntrack --
entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
00000140  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 0000000c 00000000 00000000 00000000  00000000 00000000 00000000 00000000
00000140  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000003 00000002 00000000 00000000  00000000 00000000 00000000 00000000
-- n1/host/kubelet-config.yaml --
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
clusterDNS:
- 169.254.20.10
-- n1/net/ip-addr.txt --
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 10.20.0.5/16 brd 10.20.255.255 scope global eth0
       valid_lft forever preferred_lft forever
-- n1/calico/calico-node-env.txt --
CALICO_NETWORKING_BACKEND=none
FELIX_INTERFACEPREFIX=eni
-- n1/calico/ippools.yaml --
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 10.20.0.0/16
  ipipMode: Never
  vxlanMode: Never
  natOutgoing: true
-- n1/kube/coredns-configmap.yaml --
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  Corefile: |
    .:53 {
        forward . /etc/resolv.conf
        loop
    }
-- n1/logs/coredns.log --
==> coredns-abc <==
[FATAL] plugin/loop: Loop (127.0.0.1:41293 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 1.2."
-- n1/kube/coredns-pods.json --
{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"coredns-abc","namespace":"kube-system","labels":{"k8s-app":"kube-dns"}},
"spec":{"nodeName":"n1","containers":[{"name":"coredns","ports":[{"name":"dns","containerPort":53,"protocol":"UDP"}]}]},
"status":{"phase":"Running","podIP":"10.20.7.7","conditions":[{"type":"Ready","status":"False"}],
"containerStatuses":[{"name":"coredns","ready":false,"restartCount":7,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"reason":"Error"}}}]}}]}
-- n1/kube/networkpolicies.json --
{"kind":"List","items":[{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny","namespace":"shop"},
"spec":{"podSelector":{},"policyTypes":["Egress"]}}]}
`
	c := build(t, archive, Options{})
	n := node(t, c, "n1")
	if !n.KernelLog.Known || n.KernelLog.ConntrackFull != 1 || n.KernelLog.ConntrackFullRef.Line != 1 {
		t.Errorf("kernel log %+v", n.KernelLog)
	}
	if n.ConntrackGrowth["insert_failed"] != 10 || n.ConntrackGrowth["drop"] != 2 || n.ConntrackSource != "" {
		t.Errorf("conntrack growth %v source %q", n.ConntrackGrowth, n.ConntrackSource)
	}
	nl := n.NodeLocalDNS
	if nl.Addr != "169.254.20.10" || nl.AddrRef.Line != 4 || !nl.IfaceKnown || nl.OnIface || nl.RulesKnown {
		t.Errorf("nodelocal %+v", nl)
	}
	if !c.CalicoPolicyOnly || c.CalicoPolicyOnlyRef.Line != 1 {
		t.Errorf("policy only %v %+v", c.CalicoPolicyOnly, c.CalicoPolicyOnlyRef)
	}
	if len(c.PoolOverlaps) != 1 || c.PoolOverlaps[0].Addr != "10.20.0.5" {
		t.Errorf("overlaps %+v", c.PoolOverlaps)
	}
	cf := c.CoreDNSConfig
	if !cf.Known || !cf.Loop || len(cf.Forwards) != 1 || !cf.Forwards[0].ToResolvConf || cf.Forwards[0].Ref.Line != 9 {
		t.Errorf("corefile %+v", cf)
	}
	if len(c.CoreDNSLog.Loops) != 1 || c.CoreDNSLog.Loops[0].Ref.Line != 2 {
		t.Errorf("log %+v", c.CoreDNSLog)
	}
	if len(c.CoreDNSPodStates) != 1 || c.CoreDNSPodStates[0].Restarts != 7 || c.CoreDNSPodStates[0].Reason != "CrashLoopBackOff" || c.CoreDNSPodStates[0].LastReason != "Error" {
		t.Errorf("pods %+v", c.CoreDNSPodStates)
	}
	p := c.Policies
	if !p.Checked || p.Count != 1 || len(p.Denials) != 2 {
		t.Fatalf("policies %+v", p)
	}
	var targets []string
	for _, d := range p.Denials {
		targets = append(targets, d.Target)
		if d.Policy != "shop/deny" || d.Ref.File() != "kube/networkpolicies.json" || d.Ref.Line != 1 || d.Scope != "namespace" {
			t.Errorf("denial %+v", d)
		}
	}
	if !reflect.DeepEqual(targets, []string{"CoreDNS pod coredns-abc (10.20.7.7)", "NodeLocal DNS 169.254.20.10"}) {
		t.Errorf("targets %q", targets)
	}
}
