#!/usr/bin/env python3
"""Writes testdata/bundles/kube-proxy-dns-endpoints-wrong-nftables.txtar (issue 10,
class 8): a kubespray-shaped cluster (DNS Service kube-system/coredns at 10.233.0.3,
pods 10.233.64.0/18, Calico IPIP from the manifest, Debian 12 on ens18) with
kube-proxy 1.31 in nftables mode, as `nft list ruleset` prints its table.
  kspray-node1: service-ips sends DNS to 10.233.75.9 (current) and 10.233.102.131
                (a CoreDNS pod replaced since): warning, one of two endpoints gone.
  kspray-node2: the DNS Service sits in no-endpoint-services (goto reject-chain):
                kube-proxy there believes it has no endpoint: critical.
Run from the repository root: python3 hack/gen_nft_endpoints_scenario.py
"""
import json

DNS = "10.233.0.3"
NODES = [("kspray-node1", "172.18.8.101", "10.233.75.0/26", "10.233.75.0", "10.233.75.9", "cali8d1f3b2a0c4"),
         ("kspray-node2", "172.18.8.102", "10.233.102.128/26", "10.233.102.128", "10.233.102.140", "cali5e02a9d7b61")]
out = []
def f(node, path, text):
    out.append(f"-- {node}/{path} --\n" + text.rstrip("\n") + "\n")

def table(name, endpoints):
    lines = ["table ip kube-proxy {", '\tcomment "rules for kube-proxy"',
             "\tset cluster-ips {", "\t\ttype ipv4_addr", '\t\tcomment "Active ClusterIPs"', f"\t\telements = {{ 10.233.0.1, {DNS} }}", "\t}", "",
             "\tmap no-endpoint-services {", "\t\ttype ipv4_addr . inet_proto . inet_service : verdict",
             '\t\tcomment "vmap to drop or reject packets to services with no endpoints"']
    if not endpoints:
        lines.append(f'\t\telements = {{ {DNS} . tcp . 53 comment "kube-system/coredns:dns-tcp" : goto reject-chain,')
        lines.append(f'\t\t\t     {DNS} . udp . 53 comment "kube-system/coredns:dns" : goto reject-chain }}')
    lines += ["\t}", "", "\tmap service-ips {", "\t\ttype ipv4_addr . inet_proto . inet_service : verdict",
              '\t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"']
    elems = ["10.233.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https"]
    if endpoints:
        elems += [f"{DNS} . tcp . 53 : goto service-5PWJ3HSA-kube-system/coredns/tcp/dns-tcp",
                  f"{DNS} . udp . 53 : goto service-LKRHM6FE-kube-system/coredns/udp/dns"]
    lines.append("\t\telements = { " + ",\n\t\t\t     ".join(elems) + " }")
    lines += ["\t}", "", "\tchain reject-chain {", '\t\tcomment "helper for @no-endpoint-services / @no-endpoint-nodeports"', "\t\treject", "\t}", "",
              "\tchain service-endpoints-check {", "\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services", "\t}", "",
              "\tchain services {", "\t\tip daddr . meta l4proto . th dport vmap @service-ips", "\t}", "",
              "\tchain mark-for-masquerade {", "\t\tmeta mark set meta mark | 0x00004000", "\t}"]
    if endpoints:
        for proto, port, h in (("udp", "dns", "LKRHM6FE"), ("tcp", "dns-tcp", "5PWJ3HSA")):
            chains = [(f"endpoint-{h[:4]}{i:04d}-kube-system/coredns/{proto}/{port}__{ip}/53", ip) for i, ip in enumerate(endpoints)]
            vm = ", ".join(f"{i} : goto {c}" for i, (c, ip) in enumerate(chains))
            lines += ["", f"\tchain service-{h}-kube-system/coredns/{proto}/{port} {{",
                      f"\t\tip daddr {DNS} {proto} dport 53 ip saddr != 10.233.64.0/18 jump mark-for-masquerade",
                      f"\t\tnumgen random mod {len(chains)} vmap {{ {vm} }}", "\t}"]
            for c, ip in chains:
                lines += ["", f"\tchain {c} {{", f"\t\tip saddr {ip} jump mark-for-masquerade", f"\t\tmeta l4proto {proto} dnat to {ip}:53", "\t}"]
    lines.append("}")
    return "\n".join(lines)

for idx, (name, ip, block, tun, pod, cali) in enumerate(NODES):
    other = NODES[1 - idx]
    f(name, "host/hostname", name)
    f(name, "host/uname.txt", f"Linux {name} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux")
    f(name, "net/ip-addr.txt", f"""1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: ens18: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP group default qlen 1000
    link/ether bc:24:11:5a:0e:{idx+1:02x} brd ff:ff:ff:ff:ff:ff
    altname enp0s18
    inet {ip}/24 brd 172.18.8.255 scope global ens18
       valid_lft forever preferred_lft forever
3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0
    inet {tun}/32 scope global tunl0
       valid_lft forever preferred_lft forever
7: {cali}@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1480 qdisc noqueue state UP group default qlen 1000
    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-4b1c0e2d""")
    f(name, "net/ip-route.txt", f"""default via 172.18.8.1 dev ens18 onlink
blackhole {block} proto bird
{pod} dev {cali} scope link
{other[2]} via {other[1]} dev tunl0 proto bird onlink
172.18.8.0/24 dev ens18 proto kernel scope link src {ip}""")
    f(name, "net/nft-ruleset.txt", table(name, ["10.233.75.9", "10.233.102.131"] if idx == 0 else []))
    if idx:
        continue
    labels = {"k8s-app": "kube-dns", "kubernetes.io/name": "coredns", "addonmanager.kubernetes.io/mode": "Reconcile"}
    f(name, "kube/dns-service.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
         "spec": {"clusterIP": DNS, "clusterIPs": [DNS], "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}],
                  "selector": {"k8s-app": "kube-dns"}, "type": "ClusterIP"}}]}, indent=2))
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "coredns-5c54f84c97-" + sfx, "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
             "spec": {"nodeName": n}, "status": {"phase": "Running", "podIP": p, "conditions": [{"type": "Ready", "status": "True"}]}}
            for (n, p, sfx) in (("kspray-node1", "10.233.75.9", "x7b2q"), ("kspray-node2", "10.233.102.140", "m9wzd"))]
    f(name, "kube/coredns-pods.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}, indent=2))
    f(name, "kube/kube-proxy-config.yaml", """apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-proxy
  namespace: kube-system
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    clusterCIDR: 10.233.64.0/18
    mode: nftables
""")
    f(name, "calico/ippools.yaml", """apiVersion: projectcalico.org/v3
kind: IPPoolList
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    name: default-pool
  spec:
    blockSize: 26
    cidr: 10.233.64.0/18
    ipipMode: Always
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Never
""")

header = __doc__.split("Run from")[0].replace("Writes testdata/bundles/kube-proxy-dns-endpoints-wrong-nftables.txtar (issue 10,\nclass 8)", "kube-proxy-dns-endpoints-wrong (issue 10, class 8)")
header += """-> kube-proxy-dns-endpoints-wrong warning on kspray-node1, critical on kspray-node2.
Written by hack/gen_nft_endpoints_scenario.py.
"""
with open("testdata/bundles/kube-proxy-dns-endpoints-wrong-nftables.txtar", "w") as fh:
    fh.write(header + "".join(out))
