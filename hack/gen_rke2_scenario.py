#!/usr/bin/env python3
"""Writes testdata/bundles/rke2-vxlan-healthy.txtar: a healthy three-node RKE2
cluster shaped unlike the kubeadm scenarios (issue 8): the DNS Service is
kube-system/rke2-coredns-rke2-coredns at 10.43.0.10, pods 10.42.0.0/16, Calico
installed by the tigera operator (calico-system) with VXLAN Always, kube-proxy in
iptables mode with no kube-proxy ConfigMap, Rocky Linux 9 on enp1s0, the kubelet's
config as RKE2 writes it. Run from the repository root:
    python3 hack/gen_rke2_scenario.py
"""
import json

NODES = [
    # name, address, mac suffix, block, tunnel addr, vtep mac
    ("rke2-srv-01", "192.168.122.21", "21", "10.42.88.0/26", "10.42.88.0", "66:3a:1e:0c:88:00"),
    ("rke2-agt-01", "192.168.122.22", "22", "10.42.201.64/26", "10.42.201.64", "66:91:4b:7d:c9:40"),
    ("rke2-agt-02", "192.168.122.23", "23", "10.42.37.128/26", "10.42.37.128", "66:d4:02:5a:25:80"),
]
# CoreDNS pods: ip, pod name, node, cali iface
COREDNS = [
    ("10.42.201.70", "rke2-coredns-rke2-coredns-6b795db654-7qzrx", "rke2-agt-01", "cali4f1e2c0d9ab"),
    ("10.42.88.5", "rke2-coredns-rke2-coredns-6b795db654-mw8vd", "rke2-srv-01", "cali0b7d93e1f25"),
]
DNS = "10.43.0.10"
KERNEL = "5.14.0-427.13.1.el9_4.x86_64"
IFACE = "enp1s0"

out = []
def f(node, path, text):
    out.append(f"-- {node}/{path} --\n" + text.rstrip("\n") + "\n")

def pods_on(node):
    return [p for p in COREDNS if p[2] == node]

for idx, (name, ip, mac, block, tun, vtep) in enumerate(NODES):
    f(name, "host/hostname", name)
    f(name, "host/uname.txt", f"Linux {name} {KERNEL} #1 SMP PREEMPT_DYNAMIC Wed May 1 19:11:28 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux")
    f(name, "host/os-release", 'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"')
    f(name, "host/sysctl.txt", "\n".join([
        "net.core.somaxconn = 4096",
        "net.ipv4.conf.all.forwarding = 1",
        "net.ipv4.conf.all.rp_filter = 0",
        "net.ipv4.conf.default.rp_filter = 0",
        f"net.ipv4.conf.{IFACE}.rp_filter = 0",
        "net.ipv4.conf.lo.rp_filter = 0",
        "net.ipv4.conf.vxlan/calico.rp_filter = 0",
        "net.ipv4.ip_forward = 1",
        "net.netfilter.nf_conntrack_count = 1873",
        "net.netfilter.nf_conntrack_max = 262144",
    ]))
    f(name, "host/kubelet-config.yaml", f"""address: 0.0.0.0
apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 2m0s
    enabled: true
  x509:
    clientCAFile: /var/lib/rancher/rke2/agent/client-ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS:
- {DNS}
clusterDomain: cluster.local
evictionHard:
  imagefs.available: 5%
  nodefs.available: 5%
kind: KubeletConfiguration
resolvConf: /etc/resolv.conf
serializeImagePulls: false
staticPodPath: /var/lib/rancher/rke2/agent/pod-manifests
tlsCertFile: /var/lib/rancher/rke2/agent/serving-kubelet.crt
tlsPrivateKeyFile: /var/lib/rancher/rke2/agent/serving-kubelet.key""")
    link = [
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000",
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536",
        f"2: {IFACE}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000",
        f"    link/ether 52:54:00:6e:41:{mac} brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 addrgenmode none numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 parentbus virtio parentdev virtio1",
        f"6: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default",
        f"    link/ether {vtep} brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535",
        f"    vxlan id 4096 local {ip} dev {IFACE} srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536",
    ]
    addr = [
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000",
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
        "    inet 127.0.0.1/8 scope host lo",
        "       valid_lft forever preferred_lft forever",
        f"2: {IFACE}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000",
        f"    link/ether 52:54:00:6e:41:{mac} brd ff:ff:ff:ff:ff:ff",
        f"    inet {ip}/24 brd 192.168.122.255 scope global noprefixroute {IFACE}",
        "       valid_lft forever preferred_lft forever",
        "6: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default",
        f"    link/ether {vtep} brd ff:ff:ff:ff:ff:ff",
        f"    inet {tun}/32 scope global vxlan.calico",
        "       valid_lft forever preferred_lft forever",
    ]
    routes = [f"default via 192.168.122.1 dev {IFACE} proto static metric 100"]
    routes.append(f"blackhole {block} proto 80")
    for n, (pip, pname, pnode, cali) in enumerate(pods_on(name)):
        i = 7 + n
        link += [f"{i}: {cali}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default",
                 f"    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-0c5e{i}a1 promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535",
                 "    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536"]
        addr += [f"{i}: {cali}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default",
                 f"    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-0c5e{i}a1"]
        routes.append(f"{pip} dev {cali} scope link")
    for (oname, oip, _, oblock, otun, ovtep) in NODES:
        if oname != name:
            routes.append(f"{oblock} via {otun} dev vxlan.calico onlink")
    routes.append(f"192.168.122.0/24 dev {IFACE} proto kernel scope link src {ip} metric 100")
    f(name, "net/ip-link.txt", "\n".join(link))
    f(name, "net/ip-addr.txt", "\n".join(addr))
    f(name, "net/ip-route.txt", "\n".join(routes))
    rg = []
    for (oname, oip, _, oblock, otun, ovtep) in NODES:
        if oname != name:
            rg += [f"# ip route get {oip}", f"{oip} dev {IFACE} src {ip} uid 0", "    cache"]
    for (pip, pname, pnode, cali) in COREDNS:
        if pnode == name:
            rg += [f"# ip route get {pip}", f"{pip} dev {cali} src {ip} uid 0", "    cache"]
        else:
            otun = [n for n in NODES if n[0] == pnode][0][4]
            rg += [f"# ip route get {pip}", f"{pip} via {otun} dev vxlan.calico src {tun} uid 0", "    cache"]
    rg += [f"# ip route get {DNS}", f"{DNS} via 192.168.122.1 dev {IFACE} src {ip} uid 0", "    cache"]
    f(name, "net/route-get.txt", "\n".join(rg))
    neigh = ["192.168.122.1 dev %s lladdr 52:54:00:6e:41:01 REACHABLE" % IFACE]
    fdb = ["33:33:00:00:00:01 dev %s self permanent" % IFACE]
    for (oname, oip, omac, oblock, otun, ovtep) in NODES:
        if oname != name:
            neigh.append(f"{oip} dev {IFACE} lladdr 52:54:00:6e:41:{omac} REACHABLE")
            neigh.append(f"{otun} dev vxlan.calico lladdr {ovtep} PERMANENT")
            fdb.append(f"{ovtep} dev vxlan.calico dst {oip} self permanent")
    f(name, "net/ip-neigh.txt", "\n".join(neigh))
    f(name, "net/bridge-fdb.txt", "\n".join(fdb))
    # kube-proxy iptables mode, as kube-proxy v1.30 writes it.
    ipt = ["# Generated by iptables-save v1.8.10 (nf_tables) on Thu Jun 13 09:42:17 2024",
           "*nat",
           ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]",
           ":KUBE-MARK-MASQ - [0:0]", ":KUBE-NODEPORTS - [0:0]", ":KUBE-POSTROUTING - [0:0]", ":KUBE-SERVICES - [0:0]",
           ":KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]", ":KUBE-SEP-WXWGHGKZOCNYRYI7 - [0:0]",
           ":KUBE-SVC-Z4ANX4TU7QNM2WWE - [0:0]", ":KUBE-SVC-TMEBFLIJ5HVGDLQN - [0:0]"]
    seps = {}
    for j, (pip, pname, pnode, cali) in enumerate(COREDNS):
        for proto in ("udp", "tcp"):
            seps[(pip, proto)] = "KUBE-SEP-%s%02d%s" % ("RKEDNS", j, proto.upper()) + "X" * 5
            ipt.append(f":{seps[(pip, proto)]} - [0:0]")
    ipt += [
        "[1204:72240] -A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        "[3311:198660] -A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        "[3400:204000] -A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING",
        "[0:0] -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
        "[3400:204000] -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "[12:720] -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
        "[12:720] -A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully",
        "[0:0] -A KUBE-SERVICES -d 10.43.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y",
        f"[0:0] -A KUBE-SERVICES -d {DNS}/32 -p udp -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:udp-53 cluster IP\" -m udp --dport 53 -j KUBE-SVC-Z4ANX4TU7QNM2WWE",
        f"[0:0] -A KUBE-SERVICES -d {DNS}/32 -p tcp -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:tcp-53 cluster IP\" -m tcp --dport 53 -j KUBE-SVC-TMEBFLIJ5HVGDLQN",
        "[40:2400] -A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS",
        "[0:0] -A KUBE-SVC-NPX46M4PTMTKRN6Y ! -s 10.42.0.0/16 -d 10.43.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-MARK-MASQ",
        "[0:0] -A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment \"default/kubernetes:https -> 192.168.122.21:6443\" -j KUBE-SEP-WXWGHGKZOCNYRYI7",
        "[0:0] -A KUBE-SEP-WXWGHGKZOCNYRYI7 -s 192.168.122.21/32 -m comment --comment \"default/kubernetes:https\" -j KUBE-MARK-MASQ",
        "[0:0] -A KUBE-SEP-WXWGHGKZOCNYRYI7 -p tcp -m comment --comment \"default/kubernetes:https\" -m tcp -j DNAT --to-destination 192.168.122.21:6443",
    ]
    for svc, proto, port in (("KUBE-SVC-Z4ANX4TU7QNM2WWE", "udp", "udp-53"), ("KUBE-SVC-TMEBFLIJ5HVGDLQN", "tcp", "tcp-53")):
        ipt.append(f"[0:0] -A {svc} ! -s 10.42.0.0/16 -d {DNS}/32 -p {proto} -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:{port} cluster IP\" -m {proto} --dport 53 -j KUBE-MARK-MASQ")
        for j, (pip, pname, pnode, cali) in enumerate(COREDNS):
            stat = " -m statistic --mode random --probability 0.50000000000" if j == 0 else ""
            ipt.append(f"[0:0] -A {svc} -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:{port} -> {pip}:53\"{stat} -j {seps[(pip, proto)]}")
    for j, (pip, pname, pnode, cali) in enumerate(COREDNS):
        for proto, port in (("udp", "udp-53"), ("tcp", "tcp-53")):
            s = seps[(pip, proto)]
            ipt.append(f"[0:0] -A {s} -s {pip}/32 -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:{port}\" -j KUBE-MARK-MASQ")
            ipt.append(f"[0:0] -A {s} -p {proto} -m comment --comment \"kube-system/rke2-coredns-rke2-coredns:{port}\" -m {proto} -j DNAT --to-destination {pip}:53")
    ipt += ["COMMIT", "# Completed on Thu Jun 13 09:42:17 2024"]
    f(name, "net/iptables-save.txt", "\n".join(ipt))
    f(name, f"ethtool/{IFACE}.txt", """Features for %s:
rx-checksumming: on [fixed]
tx-checksumming: on
	tx-checksum-ipv4: off [fixed]
	tx-checksum-ip-generic: on
	tx-checksum-ipv6: off [fixed]
scatter-gather: on
	tx-scatter-gather: on
tcp-segmentation-offload: on
	tx-tcp-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: on
large-receive-offload: off [fixed]
tx-gre-segmentation: off [fixed]
tx-ipxip4-segmentation: off [fixed]
tx-udp_tnl-segmentation: off [fixed]""" % IFACE)
    f(name, "ethtool/vxlan.calico.txt", """Features for vxlan.calico:
rx-checksumming: on
tx-checksumming: off
	tx-checksum-ipv4: off [fixed]
	tx-checksum-ip-generic: off
scatter-gather: on
generic-segmentation-offload: on
generic-receive-offload: on""")
    f(name, "dns/resolv.conf", "# Generated by NetworkManager\nsearch lab.example.net\nnameserver 192.168.122.1")

    if idx != 0:
        continue
    # Cluster-wide objects, in the server's bundle only.
    items = []
    for (oname, oip, _, oblock, otun, ovtep) in NODES:
        items.append({"apiVersion": "v1", "kind": "Node", "metadata": {
            "annotations": {"projectcalico.org/IPv4Address": oip + "/24", "projectcalico.org/IPv4VXLANTunnelAddr": otun,
                            "rke2.io/node-args": "[\"agent\"]"},
            "labels": {"kubernetes.io/hostname": oname, "kubernetes.io/os": "linux"}, "name": oname},
            "spec": {"podCIDR": "10.42.%d.0/24" % NODES.index((oname, oip, _, oblock, otun, ovtep)), "providerID": "rke2://" + oname},
            "status": {"addresses": [{"address": oip, "type": "InternalIP"}, {"address": oname, "type": "Hostname"}],
                       "conditions": [{"status": "True", "type": "Ready", "reason": "KubeletReady"}],
                       "nodeInfo": {"kernelVersion": KERNEL, "kubeletVersion": "v1.30.2+rke2r1", "osImage": "Rocky Linux 9.4 (Blue Onyx)"}}})
    f(name, "kube/nodes.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}, indent=4))
    labels = {"app.kubernetes.io/instance": "rke2-coredns", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "rke2-coredns",
              "helm.sh/chart": "rke2-coredns-1.29.002", "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "rke2-coredns-rke2-coredns", "namespace": "kube-system", "labels": labels},
           "spec": {"clusterIP": DNS, "clusterIPs": [DNS], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                    "ports": [{"name": "udp-53", "port": 53, "protocol": "UDP", "targetPort": 53}, {"name": "tcp-53", "port": 53, "protocol": "TCP", "targetPort": 53}],
                    "selector": {"app.kubernetes.io/instance": "rke2-coredns", "app.kubernetes.io/name": "rke2-coredns", "k8s-app": "kube-dns"},
                    "sessionAffinity": "None", "type": "ClusterIP"}}
    f(name, "kube/dns-service.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": [svc], "metadata": {"resourceVersion": ""}}, indent=4))
    addrs = [{"ip": pip, "nodeName": pnode, "targetRef": {"kind": "Pod", "name": pname, "namespace": "kube-system"}} for (pip, pname, pnode, cali) in COREDNS]
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "rke2-coredns-rke2-coredns", "namespace": "kube-system", "labels": labels},
          "subsets": [{"addresses": addrs, "ports": [{"name": "udp-53", "port": 53, "protocol": "UDP"}, {"name": "tcp-53", "port": 53, "protocol": "TCP"}]}]}
    f(name, "kube/kube-dns-endpoints.json", json.dumps(ep, indent=4))
    pods = []
    for (pip, pname, pnode, cali) in COREDNS:
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pname, "namespace": "kube-system", "labels": {"k8s-app": "kube-dns", "app.kubernetes.io/instance": "rke2-coredns"}},
                     "spec": {"nodeName": pnode, "dnsPolicy": "Default"},
                     "status": {"phase": "Running", "hostIP": [n[1] for n in NODES if n[0] == pnode][0], "podIP": pip, "podIPs": [{"ip": pip}],
                                "conditions": [{"type": "Ready", "status": "True"}],
                                "containerStatuses": [{"name": "coredns", "image": "docker.io/rancher/hardened-coredns:v1.11.1-build20240305", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": "2024-06-12T07:01:44Z"}}}]}})
    f(name, "kube/coredns-pods.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": pods, "metadata": {"resourceVersion": ""}}, indent=4))
    f(name, "calico/ippools.yaml", """apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    creationTimestamp: "2024-06-12T06:58:13Z"
    name: default-ipv4-ippool
    resourceVersion: "1021"
    uid: 2d8c6a0e-57b1-4f0c-9a43-7f0b2d1ce6a3
  spec:
    allowedUses:
    - Workload
    - Tunnel
    blockSize: 26
    cidr: 10.42.0.0/16
    ipipMode: Never
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Always
kind: IPPoolList
metadata:
  resourceVersion: "88412"
""")
    f(name, "calico/calico-node-daemonset.yaml", """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: calico-node
  namespace: calico-system
  ownerReferences:
  - apiVersion: operator.tigera.io/v1
    blockOwnerDeletion: true
    controller: true
    kind: Installation
    name: default
    uid: 0e6f5c3a-2b71-4c1e-8d7d-5a8b8c0f1e44
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
        image: docker.io/rancher/mirrored-calico-node:v3.27.3
        env:
        - name: DATASTORE_TYPE
          value: kubernetes
        - name: WAIT_FOR_DATASTORE
          value: "true"
        - name: CLUSTER_TYPE
          value: k8s,operator
        - name: CALICO_DISABLE_FILE_LOGGING
          value: "false"
        - name: FELIX_DEFAULTENDPOINTTOHOSTACTION
          value: ACCEPT
        - name: FELIX_HEALTHENABLED
          value: "true"
        - name: NODENAME
          valueFrom:
            fieldRef:
              apiVersion: v1
              fieldPath: spec.nodeName
        - name: CALICO_NETWORKING_BACKEND
          value: vxlan
        - name: IP
          value: autodetect
        - name: IP_AUTODETECTION_METHOD
          value: first-found
        - name: IP6
          value: none
        - name: FELIX_IPV6SUPPORT
          value: "false"
""")

header = """A healthy RKE2 cluster of three nodes (issue 8): the DNS Service is
kube-system/rke2-coredns-rke2-coredns at 10.43.0.10 (the Service by its label
k8s-app=kube-dns, the kubelet's clusterDNS and kube-proxy's iptables comments all
say so), pods 10.42.0.0/16 in /26 blocks, Calico v3.27 installed by the tigera
operator (calico-system) with VXLAN Always, kube-proxy in iptables mode without a
kube-proxy ConfigMap, Rocky Linux 9.4 on enp1s0. CoreDNS runs on rke2-agt-01 and
rke2-srv-01. No rule may report a warning or a critical finding here.
Written by hack/gen_rke2_scenario.py.
"""
with open("testdata/bundles/rke2-vxlan-healthy.txtar", "w") as fh:
    fh.write(header + "".join(out))

# Two single-node variants of rke2-agt-02 whose kube-proxy lost the DNS Service's
# rules. Without anything naming the DNS Service IP, the rule must say "not
# checked", not report kubeadm's 10.96.0.10 missing; with the kubelet's
# clusterDNS in the bundle, the missing rules are a real finding.
def agt02(with_kubelet):
    keep = []
    for sec in out:
        head = sec.split("\n", 1)[0]
        if not head.startswith("-- rke2-agt-02/"):
            continue
        if "host/kubelet-config.yaml" in head and not with_kubelet:
            continue
        if "net/iptables-save.txt" in head:
            sec = "\n".join(l for l in sec.split("\n") if "rke2-coredns" not in l and "RKEDNS" not in l)
        keep.append(sec)
    return "".join(keep)

with open("testdata/bundles/dns-ip-unknown-rke2-agent.txtar", "w") as fh:
    fh.write("""Not a fault scenario of its own: the bundle of rke2-agt-02 alone (RKE2, kube-proxy in
iptables mode, DNS Service 10.43.0.10), whose kube-proxy lost the rules of the DNS
Service; no file names the DNS Service IP (no kube data, no kubelet config).
-> kube-proxy-dns-rules-missing is not checked (insufficient) on rke2-agt-02: kubeadm's
   10.96.0.10 is only a guess, and no critical may be built on it.
Written by hack/gen_rke2_scenario.py.
""" + agt02(False))
with open("testdata/bundles/kube-proxy-dns-rules-missing-rke2-kubelet.txtar", "w") as fh:
    fh.write("""kube-proxy-dns-rules-missing: as dns-ip-unknown-rke2-agent, with the
kubelet's configuration in the bundle: its clusterDNS names 10.43.0.10.
-> kube-proxy-dns-rules-missing critical on rke2-agt-02 for 10.43.0.10.
Written by hack/gen_rke2_scenario.py.
""" + agt02(True))

# kube-proxy-dns-endpoints-wrong, iptables shape: rke2-agt-02's kube-proxy stopped
# syncing after CoreDNS pod 10.42.201.70 was replaced; its rules still DNAT half
# of the DNS traffic to the old pod's address 10.42.201.99.
def stale_agt02():
    res = []
    for sec in out:
        if sec.startswith("-- rke2-agt-02/net/iptables-save.txt --"):
            sec = sec.replace("10.42.201.70", "10.42.201.99")
        res.append(sec)
    return "".join(res)

with open("testdata/bundles/kube-proxy-dns-endpoints-wrong-iptables.txtar", "w") as fh:
    fh.write("""kube-proxy-dns-endpoints-wrong (issue 10, class 8; iptables shape): the RKE2 cluster
of rke2-vxlan-healthy, but rke2-agt-02's kube-proxy stopped syncing after the CoreDNS
pod on rke2-agt-01 was replaced: its KUBE-SEP chains still DNAT to the old pod
address 10.42.201.99 instead of 10.42.201.70 (the other endpoint is right).
-> kube-proxy-dns-endpoints-wrong warning on rke2-agt-02 (1 of 2 CoreDNS addresses gone).
Written by hack/gen_rke2_scenario.py.
""" + stale_agt02())
