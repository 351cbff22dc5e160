#!/usr/bin/env python3
"""Writes three scenarios of Calico's nftables dataplane (FelixConfiguration
nftablesMode: Enabled, FELIX_NFTABLESMODE=Enabled; Calico 3.29 and later) with
kube-proxy in nftables mode:

  testdata/bundles/calico-ipip-host-not-allowed-nftables.txtar
  testdata/bundles/network-policy-denies-dns-nftables.txtar
  testdata/bundles/vxlan-nftables-healthy.txtar

The cluster is that of calico-ipip-host-not-allowed-vxlan.txtar (three Ubuntu
nodes edge-w1..3 on 172.22.4.0/24, pods 10.42.0.0/16 over VXLAN, DNS
10.43.0.10, CoreDNS 10.42.77.10 on edge-w3), read from that file and turned
into the nftables form: felix's rules and sets live in `table ip calico` of
net/nft-ruleset.txt instead of iptables-save and ipset list, and kube-proxy's
in `table ip kube-proxy`. The names are felix's (felix/dataplane/linux/
int_dataplane.go: nftables.NewTable("calico", 4, ...); felix/nftables/
table_layer.go: chains namespaced "filter-cali-INPUT"; sets keep their ipset
names; rule comments "cali:HASH; TEXT" as felix/generictables renders them)
and the rule text is what nft 1.0.9 prints for felix's matches (checked by
loading such a table into a scratch namespace: pkg/parsers/nft/testdata/
felix-nftables-mode.txt). iptables-save then lists nothing of felix's or
kube-proxy's, ipset list nothing at all: both files are left out.

Run from the repository root: python3 hack/gen_felix_nft_scenarios.py
"""
import json
import re

BASE = "testdata/bundles/calico-ipip-host-not-allowed-vxlan.txtar"
DNS, COREDNS = "10.43.0.10", "10.42.77.10"
NODES = {"edge-w1": "172.22.4.21", "edge-w2": "172.22.4.22", "edge-w3": "172.22.4.23"}
# Each node's pod interface and pod address, from the base bundle's routes.
PODS = {"edge-w1": ("cali444aad00854", "10.42.5.9")}


def read_txtar(path):
    text = open(path).read()
    parts = re.split(r"^-- (.+) --\n", text, flags=re.M)
    return parts[0], [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]


def ipset_members(body, name):
    m = re.search(r"^Name: " + re.escape(name) + r"\n(.*?)(?:\n\n|\Z)", body, flags=re.S | re.M)
    if not m:
        return []
    return m.group(1).split("Members:\n", 1)[1].split()


def iptables_counter(body, comment):
    m = re.search(r"^\[(\d+):(\d+)\] .*--comment \"" + re.escape(comment) + "\"", body, flags=re.M)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def elements(items):
    return "{ " + ",\n\t\t\t     ".join(", ".join(items[i:i + 2]) for i in range(0, len(items), 2)) + " }"


def calico_table(node, vxlan_members, counters, policy_drop):
    """felix's table ip calico as nft list ruleset prints it."""
    va, vd = counters
    lines = ["table ip calico {"]
    for name, typ, flags, members in (
            ("cali40this-host", "ipv4_addr", "", ["127.0.0.0", "127.0.0.1", NODES[node]]),
            ("cali40all-ipam-pools", "ipv4_addr", "interval", ["10.42.0.0/16"]),
            ("cali40masq-ipam-pools", "ipv4_addr", "interval", ["10.42.0.0/16"]),
            ("cali40all-vxlan-net", "ipv4_addr", "interval", vxlan_members)):
        lines += [f"\tset {name} {{", f"\t\ttype {typ}"] + ([f"\t\tflags {flags}"] if flags else []) + \
                 [f"\t\telements = {elements(members)}", "\t}", ""]
    dispatch = []
    if node in PODS:
        dispatch = [f'\t\telements = {{ "{PODS[node][0]}" : goto filter-cali-fw-{PODS[node][0]} }}']
    lines += ["\tmap filter-cali-from-wl-dispatch {", "\t\ttype ifname : verdict"] + dispatch + ["\t}", "",
              "\tchain filter-INPUT {", "\t\ttype filter hook input priority filter; policy accept;",
              '\t\tcounter packets 502140 bytes 48707580 jump filter-cali-INPUT comment "cali:Cz_u1IQiXIMmKD4c;"', "\t}", "",
              "\tchain filter-FORWARD {", "\t\ttype filter hook forward priority filter; policy accept;",
              '\t\tcounter packets 550896 bytes 41868096 jump filter-cali-FORWARD comment "cali:wUHhoiAYhphO9Mso;"', "\t}", "",
              "\tchain filter-cali-INPUT {",
              f'\t\tudp dport 4789 ip saddr @cali40all-vxlan-net fib daddr type local counter packets {va[0]} bytes {va[1]} accept comment "cali:J76FwxInZIsk7uKY; Allow IPv4 VXLAN packets from allowed hosts"',
              f'\t\tudp dport 4789 fib daddr type local counter packets {vd[0]} bytes {vd[1]} drop comment "cali:4cgmbdWsLmozYhJh; Drop IPv4 VXLAN packets from non-allowed hosts"',
              '\t\tiifname "cali*" counter packets 8904 bytes 792456 goto filter-cali-wl-to-host comment "cali:nDRe73txrna-aqMs;"',
              '\t\tmeta mark & 0x00010000 == 0x00010000 counter packets 0 bytes 0 accept comment "cali:iX2AYvqGXaVqwkro;"', "\t}", "",
              "\tchain filter-cali-FORWARD {",
              '\t\tiifname "cali*" counter packets 667359 bytes 44045694 jump filter-cali-from-wl-dispatch comment "cali:8ZoYfO5HKXWbB3pk;"',
              '\t\toifname "cali*" counter packets 262597 bytes 25734506 jump filter-cali-to-wl-dispatch comment "cali:jdEuaPBe14V2hutn;"', "\t}", "",
              "\tchain filter-cali-from-wl-dispatch {",
              '\t\tiifname vmap @filter-cali-from-wl-dispatch comment "cali:zTj6P0TIgYvgz-md;"',
              '\t\tcounter packets 0 bytes 0 drop comment "cali:1fGV3lETX0hE8Y4o; Unknown interface"', "\t}", "",
              "\tchain filter-cali-wl-to-host {",
              '\t\tcounter packets 480649 bytes 36048675 jump filter-cali-from-wl-dispatch comment "cali:Ee9Sbo10IpVujdIY;"',
              '\t\tcounter packets 267316 bytes 25662336 accept comment "cali:nSZbcOoG1xPONxb8; Configured DefaultEndpointToHostAction"', "\t}"]
    if node in PODS:
        iface = PODS[node][0]
        lines += ["", f"\tchain filter-cali-fw-{iface} {{",
                  '\t\tct state established,related counter packets 20114 bytes 1810260 accept comment "cali:5tLgyqVmwW0hVYJd;"',
                  '\t\tct state invalid counter packets 0 bytes 0 drop comment "cali:Q8Yh1S3WVqYfNm7o;"',
                  '\t\tmeta mark set meta mark & 0xfffcffff counter packets 1204 bytes 92531 comment "cali:uSl3KkXF3YH1Zb9Z; Start of tier default"']
        if policy_drop is not None:
            lines += ['\t\tmeta mark & 0x00020000 == 0x00000000 counter packets 1204 bytes 92531 jump filter-cali-po-_v0rSP0Ys2ydwQ2iV3Nt comment "cali:6Zp8nZ7uDhEOnO9M;"',
                      '\t\tmeta mark & 0x00010000 == 0x00010000 counter packets 792 bytes 62313 return comment "cali:Ue0fDL3cpwSt2X4u; Return if policy accepted"',
                      f'\t\tmeta mark & 0x00020000 == 0x00000000 counter packets {policy_drop[0]} bytes {policy_drop[1]} drop comment "cali:uT2y0rUzJ0mZxD0E; End of tier default. Drop if no policies passed packet"']
        lines += ['\t\tcounter packets 0 bytes 0 jump filter-cali-pro-kns.shop comment "cali:rJdP1Ypc7k0dQo9X;"',
                  '\t\tmeta mark & 0x00010000 == 0x00010000 counter packets 0 bytes 0 return comment "cali:Y4Gz6xLVu3VbP1zB; Return if profile accepted"',
                  '\t\tcounter packets 0 bytes 0 drop comment "cali:xZPWvE7oG3aR2kqJ; Drop if no profiles matched"', "\t}"]
        if policy_drop is not None:
            lines += ["", "\tchain filter-cali-po-_v0rSP0Ys2ydwQ2iV3Nt {",
                      '\t\tmeta l4proto tcp tcp dport 443 counter packets 792 bytes 62313 meta mark set meta mark | 0x00010000 comment "cali:zH3bMk0pT4iDnJ8e; Policy shop/knp.default.web-egress-https egress"',
                      '\t\tmeta mark & 0x00010000 == 0x00010000 counter packets 792 bytes 62313 return comment "cali:3oB0a2gUEhH8Jq1r;"', "\t}"]
        lines += ["", "\tchain filter-cali-pro-kns.shop {",
                  '\t\tcounter packets 0 bytes 0 meta mark set meta mark | 0x00010000 comment "cali:9Jx3wQ2fB7nGv1yT;"',
                  '\t\tmeta mark & 0x00010000 == 0x00010000 counter packets 0 bytes 0 return comment "cali:k2QxP0Jm4fR8Ls5D;"', "\t}"]
    lines.append("}")
    return "\n".join(lines)


def kube_proxy_table():
    """kube-proxy 1.31's table ip kube-proxy with the DNS Service (two ports)."""
    lines = ["table ip kube-proxy {", '\tcomment "rules for kube-proxy"',
             "\tset cluster-ips {", "\t\ttype ipv4_addr", '\t\tcomment "Active ClusterIPs"', f"\t\telements = {{ 10.43.0.1, {DNS} }}", "\t}", "",
             "\tmap no-endpoint-services {", "\t\ttype ipv4_addr . inet_proto . inet_service : verdict",
             '\t\tcomment "vmap to drop or reject packets to services with no endpoints"', "\t}", "",
             "\tmap service-ips {", "\t\ttype ipv4_addr . inet_proto . inet_service : verdict",
             '\t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"',
             "\t\telements = { 10.43.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https,",
             f"\t\t\t     {DNS} . tcp . 53 : goto service-FY5PMXPG-kube-system/kube-dns/tcp/dns-tcp,",
             f"\t\t\t     {DNS} . udp . 53 : goto service-ULMVA6XW-kube-system/kube-dns/udp/dns }}", "\t}", "",
             "\tchain services {", "\t\tip daddr . meta l4proto . th dport vmap @service-ips", "\t}", "",
             "\tchain mark-for-masquerade {", "\t\tmeta mark set meta mark | 0x00004000", "\t}"]
    for proto, port, h in (("udp", "dns", "ULMVA6XW"), ("tcp", "dns-tcp", "FY5PMXPG")):
        ep = f"endpoint-{h[:4]}ABCD-kube-system/kube-dns/{proto}/{port}__{COREDNS}/53"
        lines += ["", f"\tchain service-{h}-kube-system/kube-dns/{proto}/{port} {{",
                  f"\t\tip daddr {DNS} {proto} dport 53 ip saddr != 10.42.0.0/16 jump mark-for-masquerade",
                  f"\t\tnumgen random mod 1 vmap {{ 0 : goto {ep} }}", "\t}",
                  "", f"\tchain {ep} {{", f"\t\tip saddr {COREDNS} jump mark-for-masquerade",
                  f"\t\tmeta l4proto {proto} dnat to {COREDNS}:53", "\t}"]
    lines.append("}")
    return "\n".join(lines)


NETPOL = {"kind": "List", "apiVersion": "v1", "items": [
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
     "metadata": {"name": "default-deny-egress", "namespace": "shop"},
     "spec": {"podSelector": {}, "policyTypes": ["Egress"]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
     "metadata": {"name": "web-egress-https", "namespace": "shop"},
     "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"protocol": "TCP", "port": 443}]}]}}]}

COREDNS_PODS = {"kind": "PodList", "apiVersion": "v1", "items": [
    {"kind": "Pod", "metadata": {"name": "coredns-6f9c8d7b5-x2kqp", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
     "spec": {"nodeName": "edge-w3", "containers": [{"name": "coredns", "ports": [
         {"name": "dns", "containerPort": 53, "protocol": "UDP"}, {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}]}]},
     "status": {"phase": "Running", "podIP": COREDNS, "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "coredns", "ready": True, "restartCount": 0, "state": {"running": {}}}]}}]}


def scenario(out, header, allowlist, policy_drop):
    _, files = read_txtar(BASE)
    iptables = {n: b for (p, b) in files for n in NODES if p == f"{n}/net/iptables-save.txt"}
    ipsets = {n: b for (p, b) in files for n in NODES if p == f"{n}/net/ipset-list.txt"}
    parts = [header.strip() + "\n"]
    done = set()
    for path, body in files:
        node = path.split("/", 1)[0]
        if path.endswith(("/net/iptables-save.txt", "/net/ipset-list.txt")):
            continue
        if path.endswith("/calico/calico-node-env.txt"):
            body = body.rstrip("\n") + "\nFELIX_NFTABLESMODE=Enabled\n"
        if path.endswith("/kube/kube-proxy-config.yaml"):
            body = body.replace('mode: "iptables"', 'mode: "nftables"')
        parts.append(f"-- {path} --\n{body}")
        # The ruleset goes after the node's net/ files, where the base had
        # iptables-save.
        if path.endswith("/net/bridge-fdb.txt") and node not in done:
            done.add(node)
            counters = (iptables_counter(iptables[node], "Allow IPv4 VXLAN packets from allowed hosts"),
                        iptables_counter(iptables[node], "Drop IPv4 VXLAN packets from non-allowed hosts"))
            members = allowlist(node, ipset_members(ipsets[node], "cali40all-vxlan-net"))
            if members == sorted(NODES.values()) and node == "edge-w1":
                counters = (counters[0], (0, 0))  # nothing dropped where every node is listed
            ruleset = calico_table(node, members, counters, policy_drop if node == "edge-w1" else None) + "\n" + kube_proxy_table()
            parts.append(f"-- {node}/net/nft-ruleset.txt --\n{ruleset}\n")
    if policy_drop is not None:
        parts.append("-- edge-w2/kube/networkpolicies.json --\n" + json.dumps(NETPOL, indent=2) + "\n")
        parts.append("-- edge-w2/kube/coredns-pods.json --\n" + json.dumps(COREDNS_PODS, indent=2) + "\n")
    open(out, "w").write("".join(parts))


def as_base(node, members):
    return members


def complete(node, members):
    return sorted(NODES.values())


scenario("testdata/bundles/calico-ipip-host-not-allowed-nftables.txtar", """
calico-ipip-host-not-allowed, felix in nftables mode (FELIX_NFTABLESMODE=Enabled,
Calico 3.29+) and kube-proxy in nftables mode; the cluster of
calico-ipip-host-not-allowed-vxlan (hack/gen_felix_nft_scenarios.py). On edge-w1
the nftables set cali40all-vxlan-net of table ip calico holds 172.22.4.21 and
172.22.4.22 but not edge-w3's 172.22.4.23; filter-cali-INPUT's `Drop IPv4 VXLAN
packets from non-allowed hosts` counts 3391 packets. No iptables-save (felix and
kube-proxy program nftables), no ipset list (felix uses nftables sets).
-> calico-ipip-host-not-allowed critical on edge-w1, peer edge-w3, naming the
   nftables set and citing its line in net/nft-ruleset.txt.
""", as_base, None)

scenario("testdata/bundles/network-policy-denies-dns-nftables.txtar", """
network-policy-denies-dns, felix in nftables mode (FELIX_NFTABLESMODE=Enabled,
Calico 3.29+) and kube-proxy in nftables mode; the cluster of
calico-ipip-host-not-allowed-vxlan with every node in every allowlist
(hack/gen_felix_nft_scenarios.py). Namespace shop has default-deny-egress and
web-egress-https (TCP 443 only): its pods cannot send DNS. edge-w1 runs a shop pod
(cali444aad00854); felix's chain filter-cali-fw-cali444aad00854 in table ip
calico ends with "End of tier default. Drop if no policies passed packet",
counting 412 packets.
-> network-policy-denies-dns critical, corroborated by felix's nftables drop
   counter on edge-w1 (net/nft-ruleset.txt).
""", complete, (412, 31724))

scenario("testdata/bundles/vxlan-nftables-healthy.txtar", """
Healthy: felix in nftables mode (FELIX_NFTABLESMODE=Enabled, Calico 3.29+) and
kube-proxy in nftables mode; the cluster of calico-ipip-host-not-allowed-vxlan
with every node in every nftables set cali40all-vxlan-net
(hack/gen_felix_nft_scenarios.py).
-> nothing at warning or above.
""", complete, None)
