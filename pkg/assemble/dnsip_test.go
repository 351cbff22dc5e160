package assemble

import (
	"strings"
	"testing"
)

// TestNeverAFalseCriticalFromADefaultGuess (issue 8, class 2): the DNS Service
// IP comes from every source a bundle holds, most authoritative first, on
// clusters not shaped like kubeadm's (RKE2, EKS, OpenShift-style names and
// ranges); only when nothing speaks is the default used, and then it is marked
// unknown so that no rule judges on it.
func TestNeverAFalseCriticalFromADefaultGuess(t *testing.T) {
	const rke2Svc = `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Service",
"metadata":{"name":"rke2-coredns-rke2-coredns","namespace":"kube-system",
"labels":{"app.kubernetes.io/instance":"rke2-coredns","k8s-app":"kube-dns","kubernetes.io/name":"CoreDNS"}},
"spec":{"clusterIP":"10.43.0.10","clusterIPs":["10.43.0.10"],
"ports":[{"name":"udp-53","port":53,"protocol":"UDP","targetPort":53},{"name":"tcp-53","port":53,"protocol":"TCP","targetPort":53}],
"selector":{"app.kubernetes.io/instance":"rke2-coredns","k8s-app":"kube-dns"}}}]}
`
	const rke2IPT = "*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-A - [0:0]\n:KUBE-SEP-B - [0:0]\n" +
		"-A KUBE-SERVICES -d 10.43.0.10/32 -p udp -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:udp-53 cluster IP\" -m udp --dport 53 -j KUBE-SVC-A\n" +
		"-A KUBE-SERVICES -d 10.43.0.77/32 -p udp -m comment --comment \"kube-system/syslog:udp-53 cluster IP\" -m udp --dport 53 -j KUBE-SVC-C\n" +
		"-A KUBE-SVC-A -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:udp-53 -> 10.42.1.9:53\" -j KUBE-SEP-B\n" +
		"-A KUBE-SEP-B -p udp -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:udp-53\" -m udp -j DNAT --to-destination 10.42.1.9:53\nCOMMIT\n"
	const nftOtherName = "table ip kube-proxy {\n\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n" +
		"\t\telements = { 172.30.0.10 . udp . 53 : goto service-7QWNDTAV-kube-system/dns-default/udp/dns,\n" +
		"\t\t\t     172.30.0.99 . udp . 53 : goto service-KTWZ3NQA-kube-system/metrics-relay/udp/dns }\n\t}\n" +
		"\tchain service-7QWNDTAV-kube-system/dns-default/udp/dns {\n\t\tnumgen random mod 1 vmap { 0 : goto endpoint-XK2QW6E3-kube-system/dns-default/udp/dns__10.128.2.4/5353 }\n\t}\n" +
		"\tchain endpoint-XK2QW6E3-kube-system/dns-default/udp/dns__10.128.2.4/5353 {\n\t\tmeta l4proto udp dnat to 10.128.2.4:5353\n\t}\n}\n"
	const pods = `{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"dns-default-x2k9p","namespace":"kube-system"},
"spec":{"nodeName":"w1"},"status":{"phase":"Running","podIP":"10.128.2.4","conditions":[{"type":"Ready","status":"True"}]}}]}
`
	ipvs := "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n" +
		"UDP  10.100.0.53:53 rr\n  -> 192.168.7.7:53 Masq 1 0 0\nUDP  10.100.0.10:53 rr\n  -> 10.128.2.4:5353 Masq 1 0 0\n"
	tests := []struct {
		name, archive, flag, want, source, svcName string
		known                                      bool
	}{
		{name: "the Service by its label, whatever its name",
			archive: "-- s1/kube/dns-service.json --\n" + rke2Svc + "-- s1/net/iptables-save.txt --\n" + rke2IPT,
			want:    "10.43.0.10", source: "kube-service", svcName: "rke2-coredns-rke2-coredns", known: true},
		{name: "the Service by the CoreDNS Helm chart's label, the only one it carries",
			archive: "-- s1/kube/dns-service.json --\n" + strings.NewReplacer(`"k8s-app":"kube-dns","kubernetes.io/name":"CoreDNS"`, `"app.kubernetes.io/name":"coredns"`, "rke2-coredns-rke2-coredns", "coredns").Replace(rke2Svc),
			want:    "10.43.0.10", source: "kube-service", svcName: "coredns", known: true},
		{name: "the flag outranks the Service",
			archive: "-- s1/kube/dns-service.json --\n" + rke2Svc, flag: "10.43.0.20",
			want: "10.43.0.20", source: "flag", svcName: "rke2-coredns-rke2-coredns", known: true},
		{name: "the kubelet's clusterDNS",
			archive: "-- s1/host/kubelet-config.yaml --\nkind: KubeletConfiguration\nclusterDNS:\n- 172.20.0.10\n",
			want:    "172.20.0.10", source: "kubelet", known: true},
		{name: "a NodeLocal DNSCache clusterDNS is not the Service",
			archive: "-- s1/host/kubelet-config.yaml --\nkind: KubeletConfiguration\nclusterDNS:\n- 169.254.25.10\n",
			want:    DefaultDNSServiceIP, source: "default"},
		{name: "iptables comment of a Service not named kube-dns",
			archive: "-- s1/net/iptables-save.txt --\n" + rke2IPT,
			want:    "10.43.0.10", source: "iptables", svcName: "rke2-coredns-rke2-coredns", known: true},
		{name: "nftables service-ips entry whose endpoint is the CoreDNS pod",
			archive: "-- s1/net/nft-ruleset.txt --\n" + nftOtherName + "-- s1/kube/coredns-pods.json --\n" + pods,
			want:    "172.30.0.10", source: "nftables", svcName: "dns-default", known: true},
		{name: "the IPVS service whose real server is the CoreDNS pod, among two UDP/53",
			archive: "-- s1/ipvs/ipvsadm-Ln.txt --\n" + ipvs + "-- s1/kube/coredns-pods.json --\n" + pods,
			want:    "10.100.0.10", source: "ipvs", known: true},
		{name: "two IPVS UDP/53 services and nothing to tell them apart",
			archive: "-- s1/ipvs/ipvsadm-Ln.txt --\n" + ipvs,
			want:    DefaultDNSServiceIP, source: "default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := build(t, tc.archive, Options{DNSServiceIP: tc.flag})
			if c.DNSServiceIP != tc.want || c.DNSServiceIPSource != tc.source || c.DNSServiceIPKnown != tc.known || c.DNSServiceName != tc.svcName {
				t.Errorf("got %s (%s, known %v, name %q), want %s (%s, known %v, name %q); candidates %+v",
					c.DNSServiceIP, c.DNSServiceIPSource, c.DNSServiceIPKnown, c.DNSServiceName, tc.want, tc.source, tc.known, tc.svcName, c.DNSServiceIPCandidates)
			}
			if tc.known && c.DNSServiceIPSource != "flag" && c.DNSServiceIPRef.File() == "" {
				t.Errorf("no evidence for the DNS Service IP")
			}
		})
	}
}

// TestPodCIDRsAndEncapsulationFromEverySource (issue 8, class 2): pod CIDRs
// and the encapsulation come from whatever the bundles hold, each with its
// source; nothing is set from a default.
func TestPodCIDRsAndEncapsulationFromEverySource(t *testing.T) {
	vxlanAddr := "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
		"5: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UNKNOWN group default\n    link/ether 66:0e:5f:31:c7:a2 brd ff:ff:ff:ff:ff:ff\n    inet 100.72.19.0/32 scope global vxlan.calico\n"
	tests := []struct {
		name, archive, cidrs, cidrSrc, encap, encapSrc string
	}{
		{"kube-proxy's clusterCIDR, VXLAN device only", "-- m/kube/kube-proxy-config.yaml --\nkind: KubeProxyConfiguration\nclusterCIDR: 100.72.0.0/13\nmode: nftables\n-- m/net/ip-addr.txt --\n" + vxlanAddr,
			"100.72.0.0/13", "kube-proxy clusterCIDR", "vxlan", "tunnel device with an address on m"},
		{"calico-node env beats kube-proxy", "-- m/calico/calico-node-env.txt --\nCALICO_IPV4POOL_CIDR=100.72.0.0/16\nCALICO_IPV4POOL_IPIP=Always\n-- m/kube/kube-proxy-config.yaml --\nkind: KubeProxyConfiguration\nclusterCIDR: 10.0.0.0/8\n",
			"100.72.0.0/16", "calico-node CALICO_IPV4POOL_CIDR", "ipip", "calico-node env CALICO_IPV4POOL_IPIP"},
		{"nothing said: unknown, no guess", "-- m/net/ip-route.txt --\ndefault via 10.1.1.1 dev eth0\n",
			"", "", "unknown", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := build(t, tc.archive, Options{})
			if got := strings.Join(c.PodCIDRs, ","); got != tc.cidrs || c.PodCIDRsSource != tc.cidrSrc || c.Encapsulation != tc.encap || c.EncapsulationWhy != tc.encapSrc {
				t.Errorf("got %s (%s), %s (%s); want %s (%s), %s (%s)", got, c.PodCIDRsSource, c.Encapsulation, c.EncapsulationWhy, tc.cidrs, tc.cidrSrc, tc.encap, tc.encapSrc)
			}
		})
	}
}
