#!/usr/bin/env python3
"""Writes the scenarios of Calico in policy-only mode beside a cloud CNI
(issue 10, item 7): the cloud routes the pods (pod interfaces eni*/azv* with a
host route each, remote pods through the VPC's default gateway or subnet), no
tunl0 address, no vxlan.calico, no Calico pod blocks, no BIRD. Calico only
enforces policy. Route and tunnel rules must say "not applicable"; a real
fault (a NetworkPolicy denying DNS) must still be the root cause.

    python3 hack/gen_policyonly_scenarios.py
"""
import json, pathlib

B = pathlib.Path(__file__).resolve().parent.parent / "testdata" / "bundles"


def sysctl(uplinks, pods, rpf_uplink=1, ct=None):
    keys = {"net.core.somaxconn": "4096", "net.ipv4.conf.all.forwarding": "1", "net.ipv4.conf.all.rp_filter": "1",
            "net.ipv4.conf.default.rp_filter": "1", "net.ipv4.conf.lo.rp_filter": "0", "net.ipv4.ip_forward": "1",
            "net.ipv4.ip_local_port_range": "32768\t60999", "net.netfilter.nf_conntrack_max": "262144"}
    if ct:
        keys["net.netfilter.nf_conntrack_count"], keys["net.netfilter.nf_conntrack_max"] = ct
    for u in uplinks:
        keys["net.ipv4.conf.%s.forwarding" % u] = "1"
        keys["net.ipv4.conf.%s.rp_filter" % u] = str(rpf_uplink)
    for p in pods:
        keys["net.ipv4.conf.%s.rp_filter" % p] = "1"
    return "".join("%s = %s\n" % (k, keys[k]) for k in sorted(keys))


def mac(i, j):
    return "02:%02x:4e:5c:%02x:%02x" % (0x4f + i, 0xb0 + j, 0x10 + j)


def links(n, detail):
    """ip addr (detail=False) or ip -d link (detail=True) of the node."""
    out = ["1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN %sgroup default qlen 1000" % ("mode DEFAULT " if detail else ""),
           "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00" + (" promiscuity 0 minmtu 0 maxmtu 0 addrgenmode eui64" if detail else "")]
    if not detail:
        out.append("    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever")
    idx = 2
    for j, (name, addr, plen, mtu) in enumerate(n["uplinks"]):
        out.append("%d: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu %d qdisc mq state UP %sgroup default qlen 1000" % (idx, name, mtu, "mode DEFAULT " if detail else ""))
        out.append("    link/ether %s brd ff:ff:ff:ff:ff:ff" % mac(n["i"], j) + (" promiscuity 0 minmtu 68 maxmtu 9216 addrgenmode eui64 parentbus pci" if detail else ""))
        if not detail:
            out.append("    inet %s/%d brd %s scope global dynamic %s\n       valid_lft 3412sec preferred_lft 3412sec" % (addr, plen, n["brd"][j], name))
        idx += 1
    for addr_text, link_text in n.get("extra_links", []):
        out.append((link_text if detail else addr_text) % idx)
        idx += 1
    for j, (name, ip) in enumerate(n["pods"]):
        out.append("%d: %s@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu %d qdisc noqueue %sstate UP %sgroup default" % (
            idx, name, n.get("podmtu", n["uplinks"][0][3]), ("master %s " % n["podmaster"]) if n.get("podmaster") else "", "mode DEFAULT " if detail else ""))
        out.append("    link/ether %s brd ff:ff:ff:ff:ff:ff link-netns cni-%08x-1c2d-4e5f-8a9b-%012x" % ("be:21:9c:%02x:%02x:%02x" % (n["i"], j, 0x40 + j), 0x5a1b0000 + 16 * n["i"] + j, 0xc0ffee + j)
                   + (" promiscuity 0 minmtu 68 maxmtu 65535\n    veth addrgenmode eui64 numtxqueues 1 numrxqueues 1" if detail else ""))
        if not detail:
            out.append("    inet6 fe80::bc21:9cff:fe%02x:%02x%02x/64 scope link\n       valid_lft forever preferred_lft forever" % (n["i"], j, 0x40 + j))
        idx += 1
    return "\n".join(out) + "\n"


def routes(n):
    out = list(n["routes"])
    for name, ip in n["pods"]:
        if n["podroute"]:
            out.append(n["podroute"] % (ip, name))
    return "\n".join(out) + "\n"


def route_get(n, c):
    """ip route get for every peer address, every CoreDNS pod and the DNS IP."""
    out = []
    for m in c["nodes"]:
        if m is n:
            continue
        out.append("# ip route get %s\n%s\n    cache" % (m["uplinks"][0][1], n["rget"](m["uplinks"][0][1])))
    for ip, host in c["coredns"]:
        if host == n["name"]:
            dev = n.get("localdev") or [p for p in n["pods"] if p[1] == ip][0][0]
            out.append("# ip route get %s\n%s dev %s src %s uid 0\n    cache" % (ip, ip, dev, n.get("localsrc") or n["uplinks"][0][1]))
        else:
            out.append("# ip route get %s\n%s\n    cache" % (ip, n["rget"](ip)))
    out.append("# ip route get %s\n%s\n    cache" % (c["dns"], n["rget"](c["dns"])))
    return "\n".join(out) + "\n"


def iptables(n, c):
    """kube-proxy in iptables mode for the DNS Service, and felix's chains
    policing the cloud CNI's pod interfaces (-i eni+ / azv+)."""
    pfx = c["prefix"]
    sep = ["KUBE-SEP-%s%02d" % (x, i) for i, x in enumerate(["IIFWRRVVOSKUU2X", "7IZPFMW3C2RGJUO"])]
    dns, ns = c["dns"], "kube-system/kube-dns"
    nat = ["*nat", ":PREROUTING ACCEPT [635656:44495920]", ":INPUT ACCEPT [159604:10374260]", ":OUTPUT ACCEPT [432984:28576944]",
           ":POSTROUTING ACCEPT [523585:41363215]", ":KUBE-MARK-MASQ - [0:0]", ":KUBE-POSTROUTING - [0:0]", ":KUBE-SERVICES - [0:0]",
           ":KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]", ":KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]"]
    nat += [":%s - [0:0]" % s for s in sep] + [":%s-TCP - [0:0]" % s for s in sep]
    nat += [":cali-PREROUTING - [0:0]", ":cali-POSTROUTING - [0:0]", ":cali-OUTPUT - [0:0]", ":cali-fip-dnat - [0:0]", ":cali-fip-snat - [0:0]", ":cali-nat-outgoing - [0:0]"]
    nat += ['[2761:242968] -A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING',
            '[551:54549] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '[4162:362094] -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '[4819:419253] -A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING',
            '[890:55180] -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
            '[0:0] -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
            '[0:0] -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
            '[4688:328160] -A KUBE-SERVICES -d %s/32 -p udp -m comment --comment "%s:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU' % (dns, ns),
            '[3437:340263] -A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment "%s:dns-tcp cluster IP" -m tcp --dport 53 -j KUBE-SVC-ERIFXISQEP7F7OF4' % (dns, ns)]
    for i, (ip, _) in enumerate(c["coredns"]):
        prob = ' -m statistic --mode random --probability 0.50000000000' if i == 0 else ''
        nat.append('[3729:261030] -A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "%s:dns -> %s:53"%s -j %s' % (ns, ip, prob, sep[i]))
        nat.append('[332:20584] -A KUBE-SVC-ERIFXISQEP7F7OF4 -m comment --comment "%s:dns-tcp -> %s:53"%s -j %s-TCP' % (ns, ip, prob, sep[i]))
        nat.append('[3162:278256] -A %s -p udp -m comment --comment "%s:dns" -m udp -j DNAT --to-destination %s:53' % (sep[i], ns, ip))
        nat.append('[2114:202944] -A %s-TCP -p tcp -m comment --comment "%s:dns-tcp" -m tcp -j DNAT --to-destination %s:53' % (sep[i], ns, ip))
    nat += ['[765:75735] -A cali-PREROUTING -m comment --comment "cali:r6XmIziWUJsdOK6Z" -j cali-fip-dnat',
            '[3761:368578] -A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat',
            '[4679:439826] -A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing', "COMMIT"]
    flt = ["*filter", ":INPUT ACCEPT [870506:59194408]", ":FORWARD ACCEPT [561782:47751470]", ":OUTPUT ACCEPT [25329:2456913]",
           ":KUBE-FORWARD - [0:0]", ":KUBE-SERVICES - [0:0]", ":cali-FORWARD - [0:0]", ":cali-INPUT - [0:0]", ":cali-OUTPUT - [0:0]",
           ":cali-from-wl-dispatch - [0:0]", ":cali-to-wl-dispatch - [0:0]", ":cali-wl-to-host - [0:0]",
           '[819666:51638958] -A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT',
           '[501512:32598280] -A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
           '[123677:8162682] -A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
           '[605312:36318720] -A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT',
           '[871638:63629574] -A cali-FORWARD -i %s+ -m comment --comment "cali:8ZoYfO5HKXWbB3pk" -j cali-from-wl-dispatch' % pfx,
           '[288336:23931888] -A cali-FORWARD -o %s+ -m comment --comment "cali:jdEuaPBe14V2hutn" -j cali-to-wl-dispatch' % pfx,
           '[526110:50506560] -A cali-INPUT -i %s+ -m comment --comment "cali:nDRe73txrna-aqMs" -g cali-wl-to-host' % pfx,
           '[0:0] -A cali-from-wl-dispatch -m comment --comment "cali:zTj6P0TIgYvgz-md" -m comment --comment "Unknown interface" -j DROP',
           '[786644:54278436] -A cali-wl-to-host -m comment --comment "cali:nSZbcOoG1xPONxb8" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT',
           "COMMIT"]
    if not c.get("calico", True):
        # No Calico: kube-proxy's chains and the CNI's own (c["chains"]:
        # table -> (chain declarations, rules)), no cali- chain at all.
        def strip(table, lines):
            kept = [l for l in lines if "cali" not in l]
            decl, rules = c["chains"](n)[table]
            n_decl = max(i for i, l in enumerate(kept) if l.startswith(":")) + 1
            return kept[:n_decl] + decl + kept[n_decl:-1] + rules + ["COMMIT"]
        nat, flt = strip("nat", nat), strip("filter", flt)
    stamp = "# Generated by iptables-nft-save v1.8.8 on Sun Dec  6 10:02:11 2026"
    return "\n".join([stamp] + nat + ["# Completed on Sun Dec  6 10:02:11 2026", stamp] + flt + ["# Completed on Sun Dec  6 10:02:11 2026"]) + "\n"


def nodes_json(c):
    items = []
    for n in c["nodes"]:
        items.append({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": n["name"], "labels": dict({"kubernetes.io/hostname": n["name"], "kubernetes.io/os": "linux"}, **c["nodelabels"]),
                         "annotations": dict({"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}, **n.get("annotations", {}))},
            "spec": {"providerID": c["provider"] % n["name"]},
            "status": {"addresses": [{"type": "InternalIP", "address": n["uplinks"][0][1]}, {"type": "Hostname", "address": n["name"]}],
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                       "nodeInfo": {"kernelVersion": n["kernel"], "kubeletVersion": c["kubelet"], "containerRuntimeVersion": "containerd://1.7.11"}}})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4) + "\n"


def coredns_pods(c):
    items = []
    for i, (ip, host) in enumerate(c["coredns"]):
        items.append({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "coredns-%s-%s" % (c["rs"], ["x7vkq", "m2n8d"][i]), "namespace": "kube-system",
                         "labels": {"k8s-app": "kube-dns", "pod-template-hash": c["rs"]}},
            "spec": {"nodeName": host, "containers": [{"name": "coredns", "image": c["corednsImage"],
                "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"}, {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                          {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}]}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": [m for m in c["nodes"] if m["name"] == host][0]["uplinks"][0][1],
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "coredns", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": "2026-12-06T07:12:40Z"}}}]}})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4) + "\n"


def dns_service(c):
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}},
        "spec": {"clusterIP": c["dns"], "clusterIPs": [c["dns"]], "selector": {"k8s-app": "kube-dns"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53}, {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}}]}, indent=4) + "\n"


KUBE_PROXY = """apiVersion: v1
data:
  config: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    clientConnection:
      kubeconfig: /var/lib/kube-proxy/kubeconfig
    clusterCIDR: "%s"
    mode: "iptables"
    iptables:
      masqueradeAll: false
      syncPeriod: 30s
kind: ConfigMap
metadata:
  name: kube-proxy-config
  namespace: kube-system
"""

DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: calico-node
  namespace: %s
  ownerReferences:
  - apiVersion: operator.tigera.io/v1
    blockOwnerDeletion: true
    controller: true
    kind: Installation
    name: default
spec:
  selector:
    matchLabels:
      k8s-app: calico-node
  template:
    metadata:
      labels:
        k8s-app: calico-node
    spec:
      containers:
      - name: calico-node
        image: mcr.microsoft.com/oss/calico/node:v3.26.3
        env:
%s
"""


# What collect records when it looked for Calico and found none: no
# calico-node process on the node, no BIRD socket, and the API answering 404
# for calico-node's DaemonSet and Calico's resources (every URL tried).
NO_CALICO_ITEMS = [
    ("calico/bird-protocols.txt", "file", "unix:/var/run/calico/bird.ctl show protocols",
     "no BIRD control socket (/var/run/calico/bird.ctl): not a Calico BGP node, or calico-node is not running"),
    ("calico/calico-node-env.txt", "file", "/proc/PID/environ of calico-node", "no calico-node process on this node"),
    ("logs/calico-node.log", "file", "/var/log/containers/calico-node*_calico-node-*.log (tail)",
     "no calico-node container log under /var/log/containers or /var/log/pods"),
]
NO_CALICO_API = [
    ("calico/calico-node-daemonset.yaml", ["/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node", "/apis/apps/v1/namespaces/calico-system/daemonsets/calico-node"]),
    ("calico/ippools.yaml", ["/apis/crd.projectcalico.org/v1/ippools", "/apis/projectcalico.org/v3/ippools"]),
    ("calico/felixconfig.yaml", ["/apis/crd.projectcalico.org/v1/felixconfigurations", "/apis/projectcalico.org/v3/felixconfigurations"]),
    ("calico/networkpolicies.yaml", ["/apis/crd.projectcalico.org/v1/networkpolicies", "/apis/projectcalico.org/v3/networkpolicies"]),
    ("calico/globalnetworkpolicies.yaml", ["/apis/crd.projectcalico.org/v1/globalnetworkpolicies", "/apis/projectcalico.org/v3/globalnetworkpolicies"]),
]


def manifest(n, c, paths):
    """collect's manifest.json: the files written (ok) and the Calico sources
    it tried and found absent (skipped)."""
    items = [{"path": pth, "source": "file", "status": "ok", "durationMs": 1} for pth in paths]
    for pth, src, cmd, err in NO_CALICO_ITEMS:
        items.append({"path": pth, "source": src, "command": cmd, "status": "skipped", "error": err, "durationMs": 0})
    if n is c["nodes"][0]:
        for pth, urls in NO_CALICO_API:
            err = "not found: " + "; ".join("%s via /var/lib/kubelet/kubeconfig: HTTP 404: %s not found" % (u, u) for u in urls)
            items.append({"path": pth, "source": "kubectl", "command": "GET " + urls[0], "status": "skipped", "error": err, "durationMs": 38})
    items.sort(key=lambda i: i["path"])
    return json.dumps({"schema": "podnet-bundle/v1", "node": n["name"], "collectedAt": "2026-12-06T10:02:11Z",
                       "collector": {"name": "podnetdiag-collect", "version": "v0.9.0"}, "items": items}, indent=2) + "\n"


def write(name, header, c, extra=()):
    parts = [header.rstrip() + "\n"]
    for n in c["nodes"]:
        p = n["name"] + "/"
        files = [
            ("host/hostname", n["name"] + "\n"),
            ("host/uname.txt", "Linux %s %s x86_64 x86_64 x86_64 GNU/Linux\n" % (n["name"], n["uname"])),
            ("host/sysctl.txt", sysctl([u[0] for u in n["uplinks"]], [pd[0] for pd in n["pods"]], n.get("rpf", 1), n.get("ct"))),
            ("net/ip-addr.txt", links(n, False)),
            ("net/ip-link.txt", links(n, True)),
            ("net/ip-route.txt", routes(n)),
            ("net/route-get.txt", route_get(n, c)),
            ("net/iptables-save.txt", iptables(n, c)),
            ("kube/kube-proxy-config.yaml", KUBE_PROXY % c["clusterCIDR"]),
            ("dns/resolv.conf", c["resolv"]),
        ]
        if c["env"]:
            files.append(("calico/calico-node-env.txt", "".join("%s=%s\n" % kv for kv in c["env"])))
        for path, content in n.get("files", []):
            files.append((path, content))
        if n is c["nodes"][0]:
            files += [("kube/nodes.json", nodes_json(c)), ("kube/coredns-pods.json", coredns_pods(c)), ("kube/dns-service.json", dns_service(c))]
            if c.get("daemonset"):
                files.append(("calico/calico-node-daemonset.yaml", c["daemonset"]))
        files += [(x[0][len(p):], x[1]) for x in extra if x[0].startswith(p)]
        if c.get("manifest"):
            files.insert(0, ("manifest.json", manifest(n, c, [f[0] for f in files])))
        for path, content in files:
            parts.append("-- %s%s --\n%s" % (p, path, content))
    (B / name).write_text("".join(parts))


# --- AWS: EKS, AWS VPC CNI, Calico policy-only from the manifest -----------
# Three nodes in three availability zones' subnets: a pod on another node is
# reached through the VPC's default gateway, which Calico's route rules would
# read as "no route to the pod block".
def eks_node(i, name, ip, sub, gw, pods, second=None):
    uplinks = [("ens5", ip, 20, 9001)]
    brd = [sub.rsplit(".", 2)[0] + ".%d.255" % (int(sub.split(".")[2]) + 15)]
    rts = ["default via %s dev ens5 proto dhcp src %s metric 512" % (gw, ip),
           "%s/20 dev ens5 proto kernel scope link src %s metric 512" % (sub, ip),
           "%s dev ens5 proto dhcp scope link src %s metric 512" % (gw, ip)]
    if second:
        uplinks.append(("ens6", second, 20, 9001))
        brd.append(brd[0])
        rts.append("%s/20 dev ens6 proto kernel scope link src %s metric 1024" % (sub, second))
    return {"i": i, "name": name, "uplinks": uplinks, "brd": brd, "routes": rts, "pods": pods,
            "podroute": "%s dev %s scope link",
            "rget": lambda dst, ip=ip, gw=gw, sub=sub: ("%s dev ens5 src %s uid 0" % (dst, ip)) if dst.startswith(sub.rsplit(".", 2)[0] + ".%s." % sub.split(".")[2]) else "%s via %s dev ens5 src %s uid 0" % (dst, gw, ip),
            "uname": "6.1.61-85.141.amzn2023.x86_64 #1 SMP PREEMPT_DYNAMIC Wed Nov  8 00:39:18 UTC 2023", "kernel": "6.1.61-85.141.amzn2023.x86_64", "rpf": 1}

EKS_NODES = [
    eks_node(0, "ip-10-0-5-17.eu-west-1.compute.internal", "10.0.5.17", "10.0.0.0", "10.0.0.1",
             [("eni3a8f2c1b7d4", "10.0.9.23"), ("eni91c0e7d2a5f", "10.0.12.140")], second="10.0.7.201"),
    eks_node(1, "ip-10-0-21-88.eu-west-1.compute.internal", "10.0.21.88", "10.0.16.0", "10.0.16.1",
             [("enib41d7f0c9e2", "10.0.19.66"), ("eni6e2a0c81d3b", "10.0.28.5")]),
    eks_node(2, "ip-10-0-40-3.eu-west-1.compute.internal", "10.0.40.3", "10.0.32.0", "10.0.32.1",
             [("eni0f5c3d9a7b1", "10.0.44.12")]),
]
EKS = {
    "nodes": EKS_NODES, "prefix": "eni", "dns": "172.20.0.10", "clusterCIDR": "10.0.0.0/16",
    "coredns": [("10.0.19.66", EKS_NODES[1]["name"]), ("10.0.44.12", EKS_NODES[2]["name"])],
    "rs": "5b8f7d6c9", "corednsImage": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.10.1-eksbuild.6",
    "nodelabels": {"topology.kubernetes.io/region": "eu-west-1", "eks.amazonaws.com/nodegroup": "general"},
    "provider": "aws:///eu-west-1a/i-0%s", "kubelet": "v1.28.3-eks-4f4795d",
    "resolv": "search eu-west-1.compute.internal\nnameserver 10.0.0.2\n",
    # The calico-node env of Calico's manifest for the AWS VPC CNI.
    "env": [("DATASTORE_TYPE", "kubernetes"), ("WAIT_FOR_DATASTORE", "true"), ("NODENAME", "ip-10-0-5-17.eu-west-1.compute.internal"),
            ("CALICO_NETWORKING_BACKEND", "none"), ("CLUSTER_TYPE", "k8s,ecs"), ("IP", ""), ("FELIX_DEFAULTENDPOINTTOHOSTACTION", "ACCEPT"),
            ("FELIX_IPTABLESMANGLEALLOWACTION", "Return"), ("FELIX_IPV6SUPPORT", "false"), ("FELIX_LOGSEVERITYSCREEN", "info"),
            ("FELIX_PROMETHEUSMETRICSENABLED", "true"), ("FELIX_INTERFACEPREFIX", "eni"), ("FELIX_HEALTHENABLED", "true")],
}
for n in EKS_NODES:
    n["provider_id"] = n["name"]

# --- Azure: AKS, Azure CNI with a pod subnet, Calico from the tigera operator --
# Pods come from a subnet of their own (10.225.0.0/16) beside the nodes'
# (10.224.0.0/16): a pod on another node is reached through the default
# gateway. The operator renders calico-node in calico-system; the env is read
# from its DaemonSet on one node and from the container on the others.
def aks_node(i, pods):
    name = "aks-nodepool1-38504112-vmss00000%d" % i
    ip = "10.224.0.%d" % (4 + i)
    return {"i": i, "name": name, "uplinks": [("eth0", ip, 16, 1500)], "brd": ["10.224.255.255"],
            "routes": ["default via 10.224.0.1 dev eth0 proto dhcp src %s metric 100" % ip,
                       "10.224.0.0/16 dev eth0 proto kernel scope link src %s metric 100" % ip,
                       "168.63.129.16 via 10.224.0.1 dev eth0 proto dhcp src %s metric 100" % ip,
                       "169.254.169.254 via 10.224.0.1 dev eth0 proto dhcp src %s metric 100" % ip],
            "pods": pods, "podroute": "%s dev %s proto static scope link",
            "rget": lambda dst, ip=ip: ("%s dev eth0 src %s uid 0" % (dst, ip)) if dst.startswith("10.224.") else "%s via 10.224.0.1 dev eth0 src %s uid 0" % (dst, ip),
            "uname": "5.15.0-1052-azure #60-Ubuntu SMP Mon Nov 20 18:26:21 UTC 2023", "kernel": "5.15.0-1052-azure"}

AKS_NODES = [aks_node(0, [("azv5f1d0e6c2a1", "10.225.0.31"), ("azv0c9e2b7a4f3", "10.225.0.47")]),
             aks_node(1, [("azv8d3b1e5c0a7", "10.225.1.12")]),
             aks_node(2, [("azv2e7f4a9d1c6", "10.225.2.9"), ("azv71b0c3e8d5f", "10.225.2.26")])]
AKS_ENV = [("DATASTORE_TYPE", "kubernetes"), ("WAIT_FOR_DATASTORE", "true"), ("CLUSTER_TYPE", "k8s,operator,aks"),
           ("CALICO_DISABLE_FILE_LOGGING", "false"), ("FELIX_DEFAULTENDPOINTTOHOSTACTION", "ACCEPT"),
           ("CALICO_NETWORKING_BACKEND", "none"), ("FELIX_INTERFACEPREFIX", "azv"), ("FELIX_IPTABLESBACKEND", "auto"),
           ("FELIX_IPV6SUPPORT", "false"), ("FELIX_HEALTHENABLED", "true"), ("NODENAME", "aks-nodepool1-38504112-vmss000000"),
           ("IP", "autodetect"), ("IP_AUTODETECTION_METHOD", "first-found")]
AKS = {
    "nodes": AKS_NODES, "prefix": "azv", "dns": "10.0.0.10", "clusterCIDR": "10.225.0.0/16",
    "coredns": [("10.225.1.12", AKS_NODES[1]["name"]), ("10.225.2.26", AKS_NODES[2]["name"])],
    "rs": "789789675", "corednsImage": "mcr.microsoft.com/oss/kubernetes/coredns:v1.9.4-hotfix.20231027",
    "nodelabels": {"kubernetes.azure.com/role": "agent", "kubernetes.azure.com/network-policy": "calico", "kubernetes.azure.com/agentpool": "nodepool1"},
    "provider": "azure:///subscriptions/0f8a9b1c/resourceGroups/mc_rg_aks1_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-38504112-vmss/virtualMachines/%s",
    "kubelet": "v1.27.7", "resolv": "nameserver 168.63.129.16\nsearch x4kf2ls1aqzezfbhfkq4gkh2vg.ax.internal.cloudapp.net\n",
    "env": AKS_ENV,
    "daemonset": DAEMONSET % ("calico-system", "\n".join("        - name: %s\n          value: \"%s\"" % kv for kv in AKS_ENV)),
}

write("policy-only-aws-healthy.txtar", """A healthy EKS cluster: the AWS VPC CNI routes the pods (one eni* interface and
host route per pod, nodes in three availability zones' subnets, remote pods
through the VPC's default gateway; ens5 MTU 9001, a second ENI ens6 on the
first node), and Calico only enforces policy (its manifest for the VPC CNI:
CALICO_NETWORKING_BACKEND=none, FELIX_INTERFACEPREFIX=eni). No tunl0 address,
no vxlan.calico, no IP pool, no BIRD; kube-proxy in iptables mode, DNS Service
172.20.0.10. The route and tunnel rules do not apply and say so; no rule may
report a warning or a critical finding here.
(hack/gen_policyonly_scenarios.py)""", EKS)

write("policy-only-azure-healthy.txtar", """A healthy AKS cluster: Azure CNI with a pod subnet (10.225.0.0/16 beside the
nodes' 10.224.0.0/16) routes the pods (azv* interfaces with a static host route
each), and the tigera operator runs Calico for network policy only
(Installation cni type AzureVNET: calico-node in calico-system with
CALICO_NETWORKING_BACKEND=none, FELIX_INTERFACEPREFIX=azv). No tunnel, no IP
pool; kube-proxy in iptables mode, DNS Service 10.0.0.10. The route and tunnel
rules do not apply and say so; no rule may report a warning or a critical
finding here.
(hack/gen_policyonly_scenarios.py)""", AKS)

# --- GKE: Calico network policy on GKE's dataplane, env not collected -------
# Pods get alias IPs from a /24 per node (10.48.0.0/14) on gke* interfaces;
# GCE routes them, so a pod on another node is reached through the default
# gateway. calico-node's env was not collected (its container could not be
# read): the cluster is recognised from felix's cali- chains policing gke+
# interfaces and the pod interfaces themselves.
def gke_node(i, suffix, pods):
    name = "gke-prod-default-pool-7c1e4a2b-%s" % suffix
    ip = "10.128.0.%d" % (12 + i)
    return {"i": i, "name": name, "uplinks": [("eth0", ip, 32, 1460)], "brd": [ip],
            "routes": ["default via 10.128.0.1 dev eth0 proto dhcp src %s metric 100" % ip,
                       "10.128.0.1 dev eth0 proto dhcp scope link src %s metric 100" % ip,
                       "169.254.123.0/24 dev docker0 proto kernel scope link src 169.254.123.1 linkdown"],
            "pods": pods, "podroute": "%s dev %s scope link",
            "rget": lambda dst, ip=ip: "%s via 10.128.0.1 dev eth0 src %s uid 0" % (dst, ip),
            "uname": "5.15.133+ #1 SMP Sat Dec 30 11:18:04 UTC 2023", "kernel": "5.15.133+"}

GKE_NODES = [gke_node(0, "9xk2", [("gke3b1c2d4e5f6", "10.48.0.7")]),
             gke_node(1, "q4mz", [("gke8a0d6c2e4b1", "10.48.1.4"), ("gke1f7e3a9c5d2", "10.48.1.9")]),
             gke_node(2, "w7tn", [("gke6c4b2a0e8f3", "10.48.2.12")])]
GKE = {
    "nodes": GKE_NODES, "prefix": "gke", "dns": "10.52.0.10", "clusterCIDR": "10.48.0.0/14",
    "coredns": [("10.48.1.4", GKE_NODES[1]["name"]), ("10.48.2.12", GKE_NODES[2]["name"])],
    "rs": "6f7b5c9d8", "corednsImage": "gke.gcr.io/k8s-dns-kube-dns:1.22.28-gke.0",
    "nodelabels": {"cloud.google.com/gke-nodepool": "default-pool", "projectcalico.org/ds-ready": "true"},
    "provider": "gce://prod-project/us-central1-a/%s", "kubelet": "v1.27.8-gke.1067004",
    "resolv": "nameserver 169.254.169.254\nsearch us-central1-a.c.prod-project.internal c.prod-project.internal google.internal\n",
    "env": [],
}
write("policy-only-gke-healthy.txtar", """A healthy GKE cluster with Calico network policy: GKE's dataplane routes the
pods (alias IPs from a /24 per node, gke* interfaces with a host route each,
remote pods through the VPC's default gateway; eth0 /32, MTU 1460). calico-node's
environment was not collected; felix's cali- chains police gke+ interfaces and
no node has a cali* interface, which is what says Calico only enforces policy.
kube-proxy in iptables mode, DNS Service 10.52.0.10. The route and tunnel rules
do not apply and say so, with the pod route as evidence; no rule may report a
warning or a critical finding here.
(hack/gen_policyonly_scenarios.py)""", GKE)

NETPOLS = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "checkout"},
     "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-payments-api", "namespace": "checkout"},
     "spec": {"podSelector": {"matchLabels": {"app": "checkout"}}, "policyTypes": ["Egress"],
              "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 8443}]}]}}]}, indent=4) + "\n"
NAMESPACES = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
    for n in ["default", "kube-system", "checkout"]]}, indent=4) + "\n"
first = EKS_NODES[0]["name"] + "/"
write("network-policy-denies-dns-policy-only.txtar", """network-policy-denies-dns-policy-only: the EKS cluster of
policy-only-aws-healthy (AWS VPC CNI, Calico for policy only), where namespace
checkout denies all egress by default and only allows TCP 8443 into the VPC:
its pods' DNS queries are dropped by Calico's policy. The route and tunnel rules
do not apply; the policy is the root cause.
-> network-policy-denies-dns critical; route and tunnel rules not applicable.
(hack/gen_policyonly_scenarios.py)""", EKS, extra=[
    (first + "kube/networkpolicies.json", NETPOLS),
    (first + "kube/namespaces.json", NAMESPACES),
])


# --- No Calico at all: a cloud CNI or flannel alone ------------------------
# Calico's route and tunnel rules must say "not applicable" with the evidence
# that Calico is not installed (collect's manifest: no calico-node process,
# the API without Calico's objects; or iptables-save without a cali- chain and
# no Calico interface), never flag the cloud's routing; the generic rules
# (DNS, kube-proxy, conntrack, sysctl, NetworkPolicy) still judge.
import copy


def aws_chains(n):
    ip = n["uplinks"][0][1]
    return {"nat": ([":AWS-CONNMARK-CHAIN-0 - [0:0]", ":AWS-SNAT-CHAIN-0 - [0:0]"],
                    ['[1771:131254] -A PREROUTING -i eni+ -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0',
                     '[1771:131254] -A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0',
                     '[1523:112702] -A AWS-SNAT-CHAIN-0 -d 10.0.0.0/16 -m comment --comment "AWS SNAT CHAIN" -j RETURN',
                     '[248:18552] -A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source %s --random-fully' % ip,
                     '[310:22940] -A AWS-CONNMARK-CHAIN-0 -d 10.0.0.0/16 -m comment --comment "AWS CONNMARK CHAIN, VPC CIDR" -j RETURN']),
            "filter": ([], [])}


EKS_NO_CALICO = dict(EKS, env=[], calico=False, manifest=True, chains=aws_chains)
write("no-calico-aws-vpc-cni-healthy.txtar", """A healthy EKS cluster on the AWS VPC CNI alone, without Calico: pods on eni*
interfaces with a host route each, nodes in three availability zones' subnets,
remote pods through the VPC's default gateway (which Calico's route rules would
read as "no route to the pod block"). collect's manifest records that it found
no calico-node process on any node and that the API has no calico-node
DaemonSet, IP pool or FelixConfiguration (404); iptables-save holds kube-proxy's
and the VPC CNI's chains, no cali- chain. Calico's route and tunnel rules are
not applicable and say so, with that evidence; no rule may report a warning or
a critical finding here.
(hack/gen_policyonly_scenarios.py)""", EKS_NO_CALICO)

EKS_CT_NODES = copy.deepcopy(EKS_NODES)
EKS_CT_NODES[1]["ct"] = ("262144", "262144")
write("conntrack-table-full-no-calico.txtar", """conntrack-table-full-no-calico: the EKS cluster of
no-calico-aws-vpc-cni-healthy (AWS VPC CNI alone, no Calico), where the conntrack
table of ip-10-0-21-88 (which hosts a CoreDNS pod) is full: its kernel log says
"nf_conntrack: table full, dropping packet" and nf_conntrack_count is at
nf_conntrack_max, so DNS queries to it are dropped. Calico's route and tunnel
rules are not applicable; the full table is the root cause.
-> conntrack-table-full critical on ip-10-0-21-88.eu-west-1.compute.internal.
(hack/gen_policyonly_scenarios.py)""", dict(EKS_NO_CALICO, nodes=EKS_CT_NODES), extra=[
    (EKS_CT_NODES[1]["name"] + "/host/dmesg.txt",
     "[Sun Dec  6 09:58:12 2026] ena 0000:00:05.0 ens5: Link is up\n"
     "[Sun Dec  6 10:01:02 2026] nf_conntrack: nf_conntrack: table full, dropping packet\n"
     "[Sun Dec  6 10:01:02 2026] nf_conntrack: nf_conntrack: table full, dropping packet\n"
     "[Sun Dec  6 10:01:07 2026] net_ratelimit: 1204 callbacks suppressed\n"
     "[Sun Dec  6 10:01:07 2026] nf_conntrack: nf_conntrack: table full, dropping packet\n"),
])


# Flannel VXLAN (kubeadm, three nodes on one L2 subnet): pods on veth* in the
# cni0 bridge, a /24 per node, other nodes' /24 via flannel.1 onlink (VXLAN
# on UDP 8472). A hand-made bundle: no manifest, so the evidence is
# iptables-save without a cali- chain and no Calico interface.
def flannel_node(i, name, pods):
    ip = "192.168.56.%d" % (11 + i)
    rts = ["default via 192.168.56.1 dev eth0 proto dhcp src %s metric 100" % ip,
           "10.244.%d.0/24 dev cni0 proto kernel scope link src 10.244.%d.1" % (i, i)]
    rts += ["10.244.%d.0/24 via 10.244.%d.0 dev flannel.1 onlink" % (j, j) for j in range(3) if j != i]
    rts += ["192.168.56.0/24 dev eth0 proto kernel scope link src %s metric 100" % ip]
    fl_mac = "6e:3a:%02x:9c:51:0d" % (0x10 + i)
    br_mac = "a2:0c:%02x:47:be:19" % (0x20 + i)
    extra = [
        ("%%d: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default \n    link/ether %s brd ff:ff:ff:ff:ff:ff\n"
         "    inet 10.244.%d.0/32 scope global flannel.1\n       valid_lft forever preferred_lft forever" % (fl_mac, i),
         "%%d: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default \n"
         "    link/ether %s brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 \n"
         "    vxlan id 1 local %s dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1" % (fl_mac, ip)),
        ("%%d: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n"
         "    inet 10.244.%d.1/24 brd 10.244.%d.255 scope global cni0\n       valid_lft forever preferred_lft forever" % (br_mac, i, i),
         "%%d: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n"
         "    link/ether %s brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 \n"
         "    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 addrgenmode eui64 numtxqueues 1 numrxqueues 1" % br_mac),
    ]
    def rget(dst, i=i, ip=ip):
        if dst.startswith("10.244."):
            j = int(dst.split(".")[2])
            return "%s via 10.244.%d.0 dev flannel.1 src 10.244.%d.0 uid 0" % (dst, j, i)
        if dst.startswith("192.168.56."):
            return "%s dev eth0 src %s uid 0" % (dst, ip)
        return "%s via 192.168.56.1 dev eth0 src %s uid 0" % (dst, ip)
    return {"i": i, "name": name, "uplinks": [("eth0", ip, 24, 1500)], "brd": ["192.168.56.255"], "routes": rts,
            "pods": pods, "podroute": None, "podmaster": "cni0", "podmtu": 1450, "extra_links": extra,
            "localdev": "cni0", "localsrc": "10.244.%d.1" % i, "rget": rget,
            "annotations": {"flannel.alpha.coreos.com/backend-type": "vxlan", "flannel.alpha.coreos.com/kube-subnet-manager": "true",
                            "flannel.alpha.coreos.com/public-ip": ip,
                            "flannel.alpha.coreos.com/backend-data": "{\"VNI\":1,\"VtepMAC\":\"%s\"}" % fl_mac},
            "uname": "5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023", "kernel": "5.15.0-91-generic"}


def flannel_chains(n):
    i = n["i"]
    return {"nat": ([":FLANNEL-POSTRTG - [0:0]"],
                    ['[2013:151228] -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
                     '[0:0] -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
                     '[812:60481] -A FLANNEL-POSTRTG -s 10.244.%d.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN' % i,
                     '[0:0] -A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.%d.0/24 -m comment --comment "flanneld masq" -j RETURN' % i,
                     '[41:2460] -A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully']),
            "filter": ([":FLANNEL-FWD - [0:0]"],
                       ['[388112:31049011] -A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
                        '[201431:16114480] -A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
                        '[186681:14934531] -A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT'])}


FL_NODES = [flannel_node(0, "k8s-cp-1", [("veth5c2e81a0", "10.244.0.7")]),
            flannel_node(1, "k8s-worker-1", [("veth0d93b7f4", "10.244.1.3"), ("veth7a41c6e2", "10.244.1.9")]),
            flannel_node(2, "k8s-worker-2", [("veth3e6f0b95", "10.244.2.4")])]
FLANNEL = {
    "nodes": FL_NODES, "prefix": "veth", "dns": "10.96.0.10", "clusterCIDR": "10.244.0.0/16",
    "coredns": [("10.244.1.3", FL_NODES[1]["name"]), ("10.244.2.4", FL_NODES[2]["name"])],
    "rs": "5d78c9869d", "corednsImage": "registry.k8s.io/coredns/coredns:v1.10.1",
    "nodelabels": {"node-role.kubernetes.io/worker": ""}, "provider": "kubeadm://%s", "kubelet": "v1.28.4",
    "resolv": "nameserver 192.168.56.1\nsearch lab.example.internal\n",
    "env": [], "calico": False, "chains": flannel_chains,
}
write("no-calico-flannel-vxlan-healthy.txtar", """A healthy kubeadm cluster on flannel's VXLAN backend, without Calico: pods on
veth* interfaces in the cni0 bridge, a /24 per node (10.244.N.0/24), the other
nodes' /24 via flannel.1 onlink (VXLAN on UDP 8472, MTU 1450). The bundles were
gathered by hand (no manifest): iptables-save holds kube-proxy's and flannel's
chains and no cali- chain, and no node has a Calico interface (cali*, tunl0
address, vxlan.calico). Calico's route and tunnel rules are not applicable and
say so; no rule may report a warning or a critical finding here.
(hack/gen_policyonly_scenarios.py)""", FLANNEL)

first = EKS_NODES[0]["name"] + "/"
write("network-policy-denies-dns-no-calico.txtar", """network-policy-denies-dns-no-calico: the EKS cluster of
no-calico-aws-vpc-cni-healthy (AWS VPC CNI alone, whose network policy agent
enforces Kubernetes NetworkPolicy; no Calico), where namespace checkout denies
all egress by default and only allows TCP 8443 into the VPC: its pods' DNS
queries are dropped. Calico's route and tunnel rules are not applicable; the
policy is the root cause.
-> network-policy-denies-dns critical; Calico's rules not applicable.
(hack/gen_policyonly_scenarios.py)""", EKS_NO_CALICO, extra=[
    (first + "kube/networkpolicies.json", NETPOLS),
    (first + "kube/namespaces.json", NAMESPACES),
])
