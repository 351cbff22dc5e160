#!/usr/bin/env python3
"""Writes testdata/bundles/route-wrong-device-single-node.txtar (issue 8, class 3):
the bundle of ONE node of a five-node cluster (AWS-style names, ens5, Ubuntu
22.04 AWS kernel, Calico VXLAN Always in 172.24.0.0/16, kube-proxy in nftables
mode). kube/nodes.json gives every peer's VXLAN tunnel address, hence its block;
the node's routes are judged for all of them:
  ip-10-0-3-45   172.24.130.192/26 via its tunnel address on vxlan.calico: right (CoreDNS 172.24.130.200)
  ip-10-0-5-201  172.24.77.64/26 via 10.0.5.201 dev ens5: wrong device (CoreDNS 172.24.77.80: critical)
  ip-10-0-14-9   172.24.201.0/26: no route (no CoreDNS there: warning)
  ip-10-0-7-33   172.24.58.128/26 via 172.24.58.190, an address no node owns (warning)
Run from the repository root: python3 hack/gen_route_blocks_scenario.py
"""
import json

SELF = ("ip-10-0-3-17.eu-west-1.compute.internal", "10.0.3.17", "172.24.9.0")
PEERS = [
    ("ip-10-0-3-45.eu-west-1.compute.internal", "10.0.3.45", "172.24.130.192"),
    ("ip-10-0-5-201.eu-west-1.compute.internal", "10.0.5.201", "172.24.77.64"),
    ("ip-10-0-14-9.eu-west-1.compute.internal", "10.0.14.9", "172.24.201.0"),
    ("ip-10-0-7-33.eu-west-1.compute.internal", "10.0.7.33", "172.24.58.128"),
]
CORE = [("172.24.130.200", "coredns-76f75df574-8kq2v", PEERS[0][0]), ("172.24.77.80", "coredns-76f75df574-tw5mc", PEERS[1][0])]
DNS = "10.100.0.10"
n = SELF[0]
out = []
def f(path, text):
    out.append(f"-- {n}/{path} --\n" + text.rstrip("\n") + "\n")

f("host/hostname", n)
f("host/uname.txt", "Linux ip-10-0-3-17 6.5.0-1014-aws #14~22.04.1-Ubuntu SMP Thu Feb 15 15:27:06 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux")
f("host/sysctl.txt", "net.ipv4.conf.all.rp_filter = 1\nnet.ipv4.conf.default.rp_filter = 1\nnet.ipv4.conf.ens5.rp_filter = 1\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.all.forwarding = 1")
f("net/ip-link.txt", """1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535
2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether 06:1c:4e:2a:9b:31 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 128 maxmtu 9216 addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 parentbus pci parentdev 0000:00:05.0
    altname enp0s5
4: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UNKNOWN mode DEFAULT group default
    link/ether 66:0e:5f:31:c7:a2 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535
    vxlan id 4096 local 10.0.3.17 dev ens5 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535""")
f("net/ip-addr.txt", """1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000
    link/ether 06:1c:4e:2a:9b:31 brd ff:ff:ff:ff:ff:ff
    altname enp0s5
    inet 10.0.3.17/20 metric 100 brd 10.0.15.255 scope global dynamic ens5
       valid_lft 2843sec preferred_lft 2843sec
4: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UNKNOWN group default
    link/ether 66:0e:5f:31:c7:a2 brd ff:ff:ff:ff:ff:ff
    inet 172.24.9.0/32 scope global vxlan.calico
       valid_lft forever preferred_lft forever""")
f("net/ip-route.txt", """default via 10.0.0.1 dev ens5 proto dhcp src 10.0.3.17 metric 100
10.0.0.0/20 dev ens5 proto kernel scope link src 10.0.3.17 metric 100
10.0.0.1 dev ens5 proto dhcp scope link src 10.0.3.17 metric 100
10.0.0.2 dev ens5 proto dhcp scope link src 10.0.3.17 metric 100
172.24.9.0/26 proto 80 blackhole
172.24.58.128/26 via 172.24.58.190 dev vxlan.calico proto 80 onlink
172.24.77.64/26 via 10.0.5.201 dev ens5 proto 80
172.24.130.192/26 via 172.24.130.192 dev vxlan.calico proto 80 onlink""".replace("172.24.9.0/26 proto 80 blackhole", "blackhole 172.24.9.0/26 proto 80"))
f("calico/ippools.yaml", """apiVersion: projectcalico.org/v3
kind: IPPoolList
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    name: default-ipv4-ippool
  spec:
    blockSize: 26
    cidr: 172.24.0.0/16
    ipipMode: Never
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Always
""")
items = []
for (name, ip, tun) in [SELF] + PEERS:
    items.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name,
        "annotations": {"projectcalico.org/IPv4Address": ip + "/20", "projectcalico.org/IPv4VXLANTunnelAddr": tun},
        "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "eu-west-1a"}},
        "spec": {"providerID": "aws:///eu-west-1a/i-0" + ip.replace(".", "")},
        "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                   "conditions": [{"type": "Ready", "status": "True"}]}})
f("kube/nodes.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2))
pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pn, "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
         "spec": {"nodeName": node}, "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}}
        for (ip, pn, node) in CORE]
f("kube/coredns-pods.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}, indent=2))
f("kube/kube-proxy-config.yaml", """apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-proxy
  namespace: kube-system
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    clusterCIDR: 172.24.0.0/16
    mode: nftables
""")
eps = []
for i, (ip, pn, node) in enumerate(CORE):
    eps.append((f"endpoint-{['Q7ZKD2LM','H3XW9PTA'][i]}-kube-system/kube-dns/udp/dns__{ip}/53", ip))
f("net/nft-ruleset.txt", "\n".join([
    "table ip kube-proxy {",
    '\tcomment "rules for kube-proxy"',
    "\tmap service-ips {",
    "\t\ttype ipv4_addr . inet_proto . inet_service : verdict",
    '\t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"',
    "\t\telements = { 10.100.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https,",
    f"\t\t\t     {DNS} . udp . 53 : goto service-FY5PMXPG-kube-system/kube-dns/udp/dns,",
    f"\t\t\t     {DNS} . tcp . 53 : goto service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp }}",
    "\t}",
    "\tchain nat-prerouting {",
    "\t\ttype nat hook prerouting priority dstnat; policy accept;",
    "\t\tjump services",
    "\t}",
    "\tchain services {",
    "\t\tip daddr . meta l4proto . th dport vmap @service-ips",
    "\t}",
    "\tchain service-FY5PMXPG-kube-system/kube-dns/udp/dns {",
    f"\t\tip daddr {DNS} udp dport 53 ip saddr != 172.24.0.0/16 jump mark-for-masquerade",
    "\t\tnumgen random mod 2 vmap { 0 : goto " + eps[0][0] + ", 1 : goto " + eps[1][0] + " }",
    "\t}",
] + sum([[f"\tchain {c} {{", f"\t\tip saddr {ip} jump mark-for-masquerade", f"\t\tmeta l4proto udp dnat to {ip}:53", "\t}"] for (c, ip) in eps], []) + [
    "\tchain mark-for-masquerade {",
    "\t\tmeta mark set meta mark | 0x00004000",
    "\t}",
    "}"]))

header = __doc__.split("Run from")[0].replace("Writes testdata/bundles/route-wrong-device-single-node.txtar (issue 8, class 3):\n", "route-wrong-device (issue 8, class 3, routes judged for every remote pod block):\n")
header += """-> route-wrong-device critical (CoreDNS path), route-pod-block-missing warning,
   route-next-hop-wrong warning, all on ip-10-0-3-17.
Written by hack/gen_route_blocks_scenario.py.
"""
with open("testdata/bundles/route-wrong-device-single-node.txtar", "w") as fh:
    fh.write(header + "".join(out))
