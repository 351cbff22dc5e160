#!/usr/bin/env python3
"""Writes the scenarios of the causes beyond the runbook's path (issue 10):
each is a healthy cluster of testdata/bundles (ipip-healthy: kubeadm names;
vxlan-healthy: other node names and addresses) with the files of one fault, or
of its healthy counterpart, added to one node's bundle."""
import json, pathlib, re

B = pathlib.Path(__file__).resolve().parent.parent / "testdata" / "bundles"

def body(name):
    text = (B / name).read_text()
    i = text.index("\n-- ")
    return text[i + 1:]

def pods(ns_node, ips, ready=True, restarts=0, waiting=None, last=None, others_ok=False):
    ips_ok_ready = True
    items = []
    for i, ip in enumerate(ips):
        if i > 0 and waiting and others_ok:
            # Only the first pod is broken; the others serve.
            ready, restarts, waiting, last = ips_ok_ready, 0, None, None
        st = {"name": "coredns", "ready": ready, "restartCount": restarts,
              "state": {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": "2026-12-06T08:00:00Z"}}}
        if last:
            st["lastState"] = {"terminated": {"reason": last, "exitCode": 1}}
        items.append({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "coredns-5dd5756b68-%s" % ["7xk2p", "q9wz4"][i], "namespace": "kube-system",
                         "labels": {"k8s-app": "kube-dns", "pod-template-hash": "5dd5756b68"}},
            "spec": {"nodeName": ns_node, "serviceAccountName": "coredns", "containers": [{"name": "coredns",
                "image": "registry.k8s.io/coredns/coredns:v1.10.1",
                "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                          {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                          {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}]}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "containerStatuses": [st]}})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4) + "\n"

NAMESPACES = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": dict({"kubernetes.io/metadata.name": n}, **extra)}}
    for n, extra in [("default", {}), ("kube-system", {}), ("shop", {"team": "payments"})]]}, indent=4) + "\n"

def netpols(*pols):
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(pols)}, indent=4) + "\n"

def np(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}

DENY_ALL = np("default-deny-all", "shop", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
ALLOW_DNS = np("allow-dns", "shop", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": "dns-tcp"}]}]})
ALLOW_WEB_HTTPS = np("web-egress", "shop", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
    "egress": [{"ports": [{"protocol": "TCP", "port": 443}]}]})

CALICO_GNP_DENY = """apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkPolicy
  metadata:
    name: default.block-udp-egress
  spec:
    order: 50
    selector: projectcalico.org/namespace not in {'kube-system', 'calico-system'}
    types:
    - Egress
    egress:
    - action: Allow
      protocol: TCP
    - action: Deny
      protocol: UDP
kind: GlobalNetworkPolicyList
metadata:
  resourceVersion: "41022"
"""

CALICO_GNP_OK = """apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkPolicy
  metadata:
    name: default.allow-dns-first
  spec:
    order: 10
    selector: all()
    types:
    - Egress
    egress:
    - action: Allow
      protocol: UDP
      destination:
        selector: k8s-app == 'kube-dns'
        namespaceSelector: projectcalico.org/name == 'kube-system'
        ports:
        - 53
    - action: Allow
      protocol: TCP
      destination:
        selector: k8s-app == 'kube-dns'
        namespaceSelector: projectcalico.org/name == 'kube-system'
        ports:
        - 53
    - action: Pass
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkPolicy
  metadata:
    name: default.block-udp-egress
  spec:
    order: 50
    selector: projectcalico.org/namespace not in {'kube-system', 'calico-system'}
    types:
    - Egress
    egress:
    - action: Allow
      protocol: TCP
    - action: Deny
      protocol: UDP
kind: GlobalNetworkPolicyList
metadata:
  resourceVersion: "41022"
"""

def corefile(fwd):
    return """apiVersion: v1
data:
  Corefile: |
    .:53 {
        errors
        health {
           lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
           pods insecure
           fallthrough in-addr.arpa ip6.arpa
           ttl 30
        }
        prometheus :9153
        forward . %s {
           max_concurrent 1000
        }
        cache 30
        loop
        reload
        loadbalance
    }
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
""" % fwd

LOOP_LOG = """==> coredns-5dd5756b68-7xk2p <==
.:53
[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908
CoreDNS-1.10.1
linux/amd64, go1.20, 055b2c3
[FATAL] plugin/loop: Loop (127.0.0.1:41293 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 3924419366315011155.6563014592929716394."
==> coredns-5dd5756b68-q9wz4 <==
.:53
[FATAL] plugin/loop: Loop (127.0.0.1:52861 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 1232398710290013611.1711016210302347917."
"""
TIMEOUT_LOG = """==> kube-system/coredns-5dd5756b68-7xk2p <==
2026-12-06T10:00:01.123456789Z .:53
2026-12-06T10:01:11.998877665Z [ERROR] plugin/errors: 2 example.com. A: read udp 172.22.19.200:47612->172.22.0.2:53: i/o timeout
2026-12-06T10:01:12.000000001Z [ERROR] plugin/errors: 2 example.com. AAAA: read udp 172.22.19.200:39171->172.22.0.2:53: i/o timeout
2026-12-06T10:01:16.000000001Z [ERROR] plugin/errors: 2 registry-1.docker.io. A: read udp 172.22.19.200:51002->172.22.0.2:53: i/o timeout
"""
HEALTHY_LOG = """==> coredns-5dd5756b68-7xk2p <==
.:53
[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908
CoreDNS-1.10.1
linux/amd64, go1.20, 055b2c3
"""
STUB_RESOLV = "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n"

DMESG_FULL_T = """[Sun Dec  6 09:58:12 2026] IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)
[Sun Dec  6 10:01:02 2026] nf_conntrack: nf_conntrack: table full, dropping packet
[Sun Dec  6 10:01:02 2026] nf_conntrack: nf_conntrack: table full, dropping packet
[Sun Dec  6 10:01:07 2026] net_ratelimit: 312 callbacks suppressed
[Sun Dec  6 10:01:07 2026] nf_conntrack: nf_conntrack: table full, dropping packet
"""
JOURNAL_FULL = """Dec 06 09:58:12 worker-2 kernel: IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)
Dec 06 10:01:02 worker-2 kernel: nf_conntrack: table full, dropping packet
Dec 06 10:01:03 worker-2 kernel: nf_conntrack: table full, dropping packet
"""
DMESG_OK = """[Sun Dec  6 09:58:12 2026] IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)
[Sun Dec  6 09:58:13 2026] IPv6: ADDRCONF(NETDEV_CHANGE): cali12ab34cd56e: link becomes ready
"""

def ct_s(insert_failed, drop, cpus=2):
    out = ""
    for c in range(cpus):
        out += "cpu=%d   \tfound=%d invalid=%d insert=0 insert_failed=%d drop=%d early_drop=0 error=0 search_restart=%d clash_resolve=%d chaintoolong=0 \n" % (
            c, 120 + c, 33, insert_failed[c], drop[c], 5, 2)
    return out

HEX_HDR = "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
def hexrow(entries, insert_failed, drop, early=0):
    vals = [entries, 0, 0x50, 0, 0x21, 0, 0, 0, 0, insert_failed, drop, early, 0, 0, 0, 0, 0]
    return " ".join("%08x" % v for v in vals) + "\n"

def drop(text, path):
    """Removes the section of path from a txtar body, so that a scenario can
    replace a file of its base."""
    m = re.search(r"^-- %s --\n" % re.escape(path), text, re.M)
    if not m:
        return text
    n = re.search(r"^-- ", text[m.end():], re.M)
    end = m.end() + n.start() if n else len(text)
    return text[:m.start()] + text[end:]

def section(text, path):
    m = re.search(r"^-- %s --\n" % re.escape(path), text, re.M)
    if not m:
        return ""
    n = re.search(r"^-- ", text[m.end():], re.M)
    return text[m.end():m.end() + n.start() if n else len(text)]

def write(name, header, base, add):
    """add: (path, content); content starting with "+" is appended to the
    base's file instead of replacing it."""
    text = body(base)
    add = [(p, section(text, p) + c[1:] if c.startswith("+") else c) for p, c in add]
    for path, _ in add:
        text = drop(text, path)
    text = header.rstrip() + "\n" + text
    for path, content in add:
        text += "-- %s --\n%s" % (path, content if content.endswith("\n") else content + "\n")
    (B / name).write_text(text)

# --- network policy denies DNS --------------------------------------------
write("network-policy-denies-dns.txtar", """network-policy-denies-dns: namespace shop has a default-deny NetworkPolicy
(ingress and egress) and nothing that allows DNS; pods labelled app=web may
only reach TCP 443. kubeadm names, Calico IPIP, IPVS.
-> network-policy-denies-dns critical: every pod in shop to the CoreDNS pods.""", "ipip-healthy.txtar", [
    ("node-a/kube/coredns-pods.json", pods("node-b", ["10.40.52.149", "10.40.52.171"])),
    ("node-a/kube/networkpolicies.json", netpols(DENY_ALL, ALLOW_WEB_HTTPS)),
    ("node-a/kube/namespaces.json", NAMESPACES),
])
write("network-policy-denies-dns-calico.txtar", """network-policy-denies-dns-calico: a Calico GlobalNetworkPolicy (order 50)
allows TCP egress and denies UDP for every namespace but kube-system: DNS over
UDP fails, TCP works. Other node names (cp-1, worker-1/2), Calico VXLAN; no
namespaces.json (namespace labels judged on the name alone).
-> network-policy-denies-dns critical for the default namespace, UDP only.""", "vxlan-healthy.txtar", [
    ("worker-2/kube/coredns-pods.json", pods("worker-1", ["172.22.19.200", "172.22.19.213"])),
    ("worker-2/calico/globalnetworkpolicies.yaml", CALICO_GNP_DENY),
    ("worker-2/kube/networkpolicies.json", netpols(np("allow-same-ns", "default", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}))),
])
write("network-policy-healthy.txtar", """A healthy cluster with policies: namespace shop denies everything by default
and allows DNS to the CoreDNS pods (UDP 53 and the named port dns-tcp); a
Calico policy of lower order allows DNS before a UDP block. No rule may report
a warning or a critical finding here.""", "ipip-healthy.txtar", [
    ("node-a/kube/coredns-pods.json", pods("node-b", ["10.40.52.149", "10.40.52.171"])),
    ("node-a/kube/networkpolicies.json", netpols(DENY_ALL, ALLOW_DNS, ALLOW_WEB_HTTPS)),
    ("node-a/kube/namespaces.json", NAMESPACES),
    ("node-a/calico/globalnetworkpolicies.yaml", CALICO_GNP_OK),
])

# --- CoreDNS itself --------------------------------------------------------
write("coredns-forward-loop.txtar", """coredns-forward-loop: the Corefile forwards to /etc/resolv.conf, the nodes
use systemd-resolved's stub (nameserver 127.0.0.53), and both CoreDNS pods
died with "[FATAL] plugin/loop: Loop ... detected": CrashLoopBackOff, not ready.
-> coredns-forward-loop critical; coredns-pods-not-ready critical (explained).""", "ipip-healthy.txtar", [
    ("node-a/kube/coredns-pods.json", pods("node-b", ["10.40.52.149", "10.40.52.171"], ready=False, restarts=14, waiting="CrashLoopBackOff", last="Error")),
    ("node-a/kube/coredns-configmap.yaml", corefile("/etc/resolv.conf")),
    ("node-a/logs/coredns.log", LOOP_LOG),
    ("node-b/dns/resolv.conf", STUB_RESOLV),
])
write("coredns-forward-loop-nolog.txtar", """coredns-forward-loop-nolog: the same loop seen from configuration alone: the
Corefile forwards to /etc/resolv.conf with the loop plugin, and the node that
runs CoreDNS (worker-1) has nameserver 127.0.0.53; no CoreDNS log was collected.
-> coredns-forward-loop warning (the loop is configured, its crash not seen).""", "vxlan-healthy.txtar", [
    ("worker-1/kube/coredns-configmap.yaml", corefile("/etc/resolv.conf")),
    ("worker-1/dns/resolv.conf", STUB_RESOLV),
])
write("coredns-upstream-timeout.txtar", """coredns-upstream-timeout: CoreDNS forwards to 172.22.0.2 and its log shows
read udp ... -> 172.22.0.2:53: i/o timeout: names outside the cluster time out.
The upstream lies inside the IP pool 172.22.0.0/16.
-> ip-pool-overlap critical, explaining coredns-upstream-timeout warning.""", "vxlan-healthy.txtar", [
    ("worker-1/kube/coredns-configmap.yaml", corefile("172.22.0.2")),
    ("worker-1/logs/coredns.log", TIMEOUT_LOG),
])
write("coredns-healthy.txtar", """A healthy cluster whose CoreDNS forwards to /etc/resolv.conf while the
nodes' resolv.conf names a real upstream (10.41.0.2); pods ready, log clean.
No rule may report a warning or a critical finding here.""", "ipip-healthy.txtar", [
    ("node-a/kube/coredns-pods.json", pods("node-b", ["10.40.52.149", "10.40.52.171"])),
    ("node-a/kube/coredns-configmap.yaml", corefile("/etc/resolv.conf")),
    ("node-a/logs/coredns.log", HEALTHY_LOG),
    ("node-b/dns/resolv.conf", "nameserver 10.41.0.2\nsearch ec2.internal\n"),
])

# --- conntrack --------------------------------------------------------------
write("conntrack-table-full.txtar", """conntrack-table-full: node-c's kernel log (dmesg -T) says
"nf_conntrack: table full, dropping packet" and nf_conntrack_count is at
nf_conntrack_max.
-> conntrack-table-full critical on node-c.""", "ipip-healthy.txtar", [
    ("node-c/host/dmesg.txt", DMESG_FULL_T),
    ("node-c/host/sysctl.txt", "+net.netfilter.nf_conntrack_count = 131072\nnet.netfilter.nf_conntrack_max = 131072\n"),
])
write("conntrack-table-full-journal.txtar", """conntrack-table-full-journal: worker-2's kernel log comes from journalctl -k
and shows the table overflowing; no sysctl in its bundle.
-> conntrack-table-full critical on worker-2.""", "vxlan-healthy.txtar", [
    ("worker-2/host/dmesg.txt", JOURNAL_FULL),
])
write("conntrack-insert-race.txtar", """conntrack-insert-race: insert_failed grows by 37 on node-a over the capture
window (conntrack -S before/after), kernel 4.15: parallel A/AAAA queries from
one socket clash in conntrack (the 5-second DNS delay).
-> conntrack-insert-race warning on node-a.""", "ipip-healthy.txtar", [
    ("node-a/counters/before/conntrack-stats.txt", ct_s([10, 3], [0, 0])),
    ("node-a/counters/after/conntrack-stats.txt", ct_s([31, 19], [0, 0])),
    ("node-a/host/uname.txt", "Linux node-a 4.15.0-213-generic #224-Ubuntu SMP Mon Jun 19 13:30:12 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n"),
])
write("conntrack-insert-race-proc.txtar", """conntrack-insert-race-proc: worker-1 has no conntrack-tools; the hex table of
/proc/net/stat/nf_conntrack before and after shows insert_failed and drop
growing. CentOS 7 kernel 3.10.
-> conntrack-insert-race warning on worker-1.""", "vxlan-healthy.txtar", [
    ("worker-1/counters/before/proc-net-stat-nf_conntrack", HEX_HDR + hexrow(0x200, 4, 0) + hexrow(0x200, 1, 0)),
    ("worker-1/counters/after/proc-net-stat-nf_conntrack", HEX_HDR + hexrow(0x210, 0x1c, 3) + hexrow(0x210, 0x0b, 1)),
    ("worker-1/host/uname.txt", "Linux worker-1 3.10.0-1160.105.1.el7.x86_64 #1 SMP Thu Dec 7 15:39:45 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n"),
])
write("conntrack-healthy.txtar", """A healthy cluster with conntrack counters before and after the capture that
do not grow, a kernel log without conntrack messages and a table far from full.
No rule may report a warning or a critical finding here.""", "ipip-healthy.txtar", [
    ("node-a/counters/before/conntrack-stats.txt", ct_s([10, 3], [0, 0])),
    ("node-a/counters/after/conntrack-stats.txt", ct_s([10, 3], [0, 0])),
    ("node-a/host/dmesg.txt", DMESG_OK),
])
write("coredns-pods-not-ready.txtar", """coredns-pods-not-ready: one of the two CoreDNS pods on worker-1 is OOMKilled
over and over (CrashLoopBackOff, not ready); the other still serves.
-> coredns-pods-not-ready warning (one pod of two).""", "vxlan-healthy.txtar", [
    ("cp-1/kube/coredns-pods.json", pods("worker-1", ["172.22.19.200", "172.22.19.213"], ready=False, restarts=23, waiting="CrashLoopBackOff", last="OOMKilled", others_ok=True)),
])

# --- NodeLocal DNSCache ------------------------------------------------------
KUBELET = """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
clusterDNS:
- %s
clusterDomain: cluster.local
resolvConf: /run/systemd/resolve/resolv.conf
"""
NODELOCAL_IFACE = """9: nodelocaldns: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default
    link/ether 5e:2c:31:0a:9b:11 brd ff:ff:ff:ff:ff:ff
    inet 169.254.20.10/32 scope global nodelocaldns
       valid_lft forever preferred_lft forever
"""
write("nodelocal-dns-broken.txtar", """nodelocal-dns-broken: the kubelet on node-a sends pods to NodeLocal DNSCache
at 169.254.20.10, but no interface of node-a holds that address: the cache is
not running there, so every pod query on node-a goes unanswered.
-> nodelocal-dns-broken critical on node-a.""", "ipip-healthy.txtar", [
    ("node-a/host/kubelet-config.yaml", KUBELET % "169.254.20.10"),
])
write("nodelocal-dns-broken-bind.txtar", """nodelocal-dns-broken-bind: kubespray's address 169.254.25.10 on worker-2; the
cache's log says it cannot bind it and cannot add its iptables rules.
-> nodelocal-dns-broken critical on worker-2.""", "vxlan-healthy.txtar", [
    ("worker-2/host/kubelet-config.yaml", KUBELET % "169.254.25.10"),
    ("worker-2/logs/node-local-dns.log", """2026/12/06 10:00:00 [INFO] Starting node-cache image: 1.22.28
2026/12/06 10:00:01 [ERROR] Error checking/adding iptables rule {raw PREROUTING [-p udp -d 169.254.25.10 --dport 53 -j NOTRACK -m comment --comment NodeLocal DNS Cache: skip conntrack]}, due to exit status 4
Listen: listen tcp 169.254.25.10:53: bind: cannot assign requested address
"""),
])
write("nodelocal-dns-healthy.txtar", """A healthy cluster with NodeLocal DNSCache on node-a: the kubelet sends pods to
169.254.20.10, which sits on the nodelocaldns interface. No rule may report a
warning or a critical finding here.""", "ipip-healthy.txtar", [
    ("node-a/host/kubelet-config.yaml", KUBELET % "169.254.20.10"),
    ("node-a/net/ip-addr.txt", "+" + NODELOCAL_IFACE),
])

# --- IP pool overlapping addresses outside the pod network -----------------
write("ip-pool-overlap.txtar", """ip-pool-overlap: CoreDNS forwards to 10.40.0.2, the resolver of the VPC,
which lies inside the IP pool 10.40.0.0/16: Calico treats it as a pod address,
natOutgoing skips it, and upstream lookups time out.
-> ip-pool-overlap critical.""", "ipip-healthy.txtar", [
    ("node-a/kube/coredns-configmap.yaml", corefile("10.40.0.2")),
])
