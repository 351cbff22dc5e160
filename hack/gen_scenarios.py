#!/usr/bin/env python3
"""Writes the rule pack's regression scenarios, testdata/bundles/<rule-id>*.txtar.

Each scenario is a small cluster rendered as the bundle files `collect` writes
(paths per the bundle layout), every file in the exact text the command prints,
with one fault injected. The clusters deliberately differ in node names,
underlay subnets, interface names, pod CIDRs, DNS Service IPs, kernels and
iproute2 output styles, so that no rule can be fitted to a single fixture.

usage: hack/gen_scenarios.py [OUTDIR]     (default: testdata/bundles)

Deterministic: the same script writes the same bytes. The healthy clusters
ipip-healthy / vxlan-healthy come from hack/gen-healthy-bundles.sh.
"""

import base64
import hashlib
import ipaddress
import json
import os
import sys

# --------------------------------------------------------------------------
# small helpers


def h(s, n=12):
    return hashlib.sha256(s.encode()).hexdigest()[:n]


def mac_for(seed, prefix="52:54:00"):
    d = hashlib.sha256(seed.encode()).digest()
    return prefix + ":" + ":".join("%02x" % b for b in d[:6 - len(prefix.split(":"))])


def cali_name(node, ip):
    return "cali" + h(node + ip, 11)


def eui64(m):
    b = [int(x, 16) for x in m]
    return "fe80::%x:%x:%x:%x" % (((b[0] ^ 2) << 8) | b[1], (b[2] << 8) | 0xff, 0xfe00 | b[3], (b[4] << 8) | b[5])


def addr(prefix):
    return prefix.split("/")[0]


def net_of(prefix):
    return ipaddress.ip_interface(prefix).network


def kube_hash(s):
    return base64.b32encode(hashlib.sha256(s.encode()).digest()).decode()[:16]


def mesh_name(ip):
    return "Mesh_" + ip.replace(".", "_")


# --------------------------------------------------------------------------
# the model


class Nic:
    """A host interface: a NIC, bond, bridge or VLAN device."""

    def __init__(self, name, idx, addrs=(), mtu=1500, kind="ether", master=None,
                 up=True, carrier=True, altname=None, mac=None, bus="virtio",
                 dynamic=False, addr_opts=None, qdisc=None):
        self.name, self.idx, self.addrs, self.mtu, self.kind = name, idx, list(addrs), mtu, kind
        self.master, self.up, self.carrier, self.altname = master, up, carrier, altname
        self.mac, self.bus, self.dynamic = mac, bus, dynamic
        self.addr_opts = addr_opts or {}  # prefix -> extra words ("noprefixroute")
        self.qdisc = qdisc


class Route:
    def __init__(self, dst, via=None, dev=None, proto=None, scope=None, src=None,
                 metric=None, onlink=False, typ=None, linkdown=False):
        self.dst, self.via, self.dev, self.proto, self.scope = dst, via, dev, proto, scope
        self.src, self.metric, self.onlink, self.typ = src, metric, onlink, typ
        self.linkdown = linkdown

    def net(self):
        if self.dst == "default":
            return ipaddress.ip_network("0.0.0.0/0")
        return ipaddress.ip_network(self.dst if "/" in self.dst else self.dst + "/32")


class Node:
    def __init__(self, name, ip, plen, uplink, gw, block, nics=None, kernel="ubuntu22",
                 pods=(), mtu=1500):
        self.name, self.ip, self.plen, self.uplink, self.gw = name, ip, plen, uplink, gw
        self.block = block  # "10.40.52.128/26"
        self.kernel = kernel
        self.pods = list(pods)  # local pod IPs (CoreDNS and others)
        self.nics = nics or [Nic(uplink, 2, [f"{ip}/{plen}"], mtu=mtu)]
        self.calico_ip = f"{ip}/{plen}"  # projectcalico.org/IPv4Address
        self.internal_ip = ip
        # knobs scenarios turn
        self.tunnel = True          # tunl0 / vxlan.calico exists
        self.tunnel_up = True
        self.tun_mtu = None         # default: cluster's
        self.veth_mtu = None
        self.sysctl = {}            # key -> value overrides
        self.route_edit = None      # fn(node, [Route]) -> [Route]
        self.extra_routes = []
        self.ipvs_edit = None       # fn(node, services) -> services
        self.bird = {}              # peer ip -> (state, since, info)
        self.bird_file = True
        self.env = {}               # calico-node env overrides
        self.log = None             # full calico-node log lines, else generated
        self.log_extra = []
        self.skip = set()           # bundle paths not collected
        self.extra_files = {}       # path -> text
        self.routeget_extra = []    # addresses to add to route-get.txt
        self.ethtool_extra = {}     # iface -> text
        self.vxlan_csum = False     # tx-checksum-ip-generic on vxlan.calico
        self.encap = None           # per node override: "ipip" / "vxlan" / "both"
        self.iptables = None        # fn(cluster, node) -> text
        self.rp_all = None          # rp_filter of all / default (and new links); None: cluster's
        self.rp_default = None
        self.mac_prefix = "52:54:00"
        self.ipset = None           # fn(cluster, node) -> text

    @property
    def tun_addr(self):
        return addr(self.block)

    def nic(self, name):
        for n in self.nics:
            if n.name == name:
                return n
        return None


KERNELS = {
    "ubuntu22": "5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux",
    "ubuntu20": "5.4.0-150-generic #167-Ubuntu SMP Mon May 15 17:35:05 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux",
    "ubuntu24": "6.8.0-35-generic #35-Ubuntu SMP PREEMPT_DYNAMIC Mon May 20 15:51:52 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux",
    "gcp": "6.5.0-1014-gcp #14~22.04.1-Ubuntu SMP Sat Feb 10 04:57:00 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux",
    "el7": "3.10.0-1160.el7.x86_64 #1 SMP Mon Oct 19 16:18:59 UTC 2020 x86_64 x86_64 x86_64 GNU/Linux",
    "el7u": "3.10.0-1160.108.1.el7.x86_64 #1 SMP Thu Jan 25 16:17:31 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux",
    "el8": "4.18.0-477.27.1.el8_8.x86_64 #1 SMP Wed Sep 20 15:55:39 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux",
    "el9": "5.14.0-362.8.1.el9_3.x86_64 #1 SMP PREEMPT_DYNAMIC Tue Oct 3 11:12:36 EDT 2023 x86_64 x86_64 x86_64 GNU/Linux",
    "al2023": "6.1.66-91.160.amzn2023.x86_64 #1 SMP PREEMPT_DYNAMIC Wed Dec 13 04:51:07 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux",
    "debian12": "6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux",
    "debian11": "5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64 GNU/Linux",
    "raspi": "5.15.0-1046-raspi #49-Ubuntu SMP PREEMPT Thu Jan 25 16:25:33 UTC 2024 aarch64 aarch64 aarch64 GNU/Linux",
    "flatcar": "6.1.77-flatcar #1 SMP PREEMPT_DYNAMIC Mon Feb 12 18:32:10 -00 2024 x86_64 AMD EPYC 7B13 AuthenticAMD GNU/Linux",
}


class Cluster:
    def __init__(self, title, nodes, encap, vip, svc_cidr, pod_cidr, coredns,
                 kube_on=None, proxy_mode="ipvs", crosssubnet=False):
        self.title = title          # header paragraph
        self.nodes = nodes
        self.encap = encap          # "ipip" | "vxlan"
        self.crosssubnet = crosssubnet
        self.vip = vip
        self.svc_cidr = svc_cidr
        self.pod_cidr = pod_cidr
        self.coredns = coredns      # [(ip, node name)]
        self.kube_on = kube_on      # node whose bundle holds kube/ and calico/ cluster files
        self.kube_files = {"nodes", "endpoints", "proxy", "ippools"}
        self.proxy_mode = proxy_mode  # "ipvs", "iptables", "" (ConfigMap mode: "")
        self.pool_name = "default-ipv4-ippool"
        self.block_size = 26
        self.pool_ipip = "Always" if encap == "ipip" else "Never"
        self.pool_vxlan = "Always" if encap == "vxlan" else "Never"
        if crosssubnet:
            self.pool_ipip = "CrossSubnet"
        self.felix = None           # FelixConfiguration spec dict, file only when set
        self.vxlan_proto = "80"     # proto of felix's VXLAN routes, None: not printed
        self.route_style = "modern"  # or "old" (iproute2 3.x double spaces)
        self.link_style = "modern"
        self.autodetect = "can-reach"  # default IP_AUTODETECTION_METHOD; "can-reach" = first node
        self.calico_version = "v3.27.2"
        self.tun_mtu = 1480 if encap == "ipip" else 1450
        self.veth_mtu = None        # default: tun_mtu
        self.other_services = []    # extra IPVS/iptables services [(name, port, proto, ip, [backends])]
        self.nodeport = 30443
        self.rp_all = "1"
        self.rp_default = "1"
        self.ethtool_ifaces = True
        self.with_routeget = True
        self.vxlan_neigh = True
        self.routeget_vip = False
        self.os_release = None
        self.resolv = None
        self.bird_version = "BIRD v0.3.3+birdv1.6.8 ready."
        self.coredns_names = {}

    def node(self, name):
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def svc_ip(self, k):
        return str(ipaddress.ip_network(self.svc_cidr)[k])

    def pod_node(self, ip):
        for p, n in self.coredns:
            if p == ip:
                return n
        return None


# --------------------------------------------------------------------------
# routes


def node_routes(c, n):
    """The main table of n, as Calico and the distro would have it."""
    rs = []
    up = n.nic(n.uplink)
    if n.gw:
        rs.append(Route("default", via=n.gw, dev=n.uplink, proto="static" if not up.dynamic else "dhcp",
                        src=n.ip if up.dynamic else None, metric=100 if up.dynamic else None))
    for nic in n.nics:
        for p in nic.addrs:
            iface = ipaddress.ip_interface(p)
            if iface.network.prefixlen == 32:
                continue
            rs.append(Route(str(iface.network), dev=nic.name, proto="kernel", scope="link", src=str(iface.ip),
                            metric=100 if nic.dynamic else None, linkdown=not nic.carrier))
    encap = n.encap or c.encap
    for m in c.nodes:
        if m is n:
            continue
        if encap == "vxlan":
            rs.append(Route(m.block, via=m.tun_addr, dev="vxlan.calico", proto=c.vxlan_proto, onlink=True))
        elif c.crosssubnet and net_of(n.calico_ip) == net_of(m.calico_ip):
            rs.append(Route(m.block, via=m.ip, dev=n.uplink, proto="bird"))
        else:
            rs.append(Route(m.block, via=m.ip, dev="tunl0", proto="bird", onlink=True))
    if encap == "vxlan":
        rs.append(Route(n.block, typ="blackhole", proto=c.vxlan_proto))
    else:
        rs.append(Route(n.block, typ="blackhole", proto="bird"))
    for p in n.pods:
        rs.append(Route(p, dev=cali_name(n.name, p), scope="link"))
    rs.extend(n.extra_routes)
    if n.route_edit:
        rs = n.route_edit(n, rs)
    return sort_routes(rs)


def sort_routes(rs):
    def key(r):
        net = r.net()
        return (0 if r.dst == "default" else 1, int(net.network_address), net.prefixlen, r.metric or 0)
    return sorted(rs, key=key)


def render_route(r, style):
    if style == "old":
        s = ""
        if r.typ:
            s += r.typ + " "
        s += r.dst + " "
        if r.via:
            s += "via " + r.via + " "
        if r.dev:
            s += "dev " + r.dev + " "
        if r.proto:
            s += " proto " + r.proto + " "
        if r.scope:
            s += " scope " + r.scope + " "
        if r.src:
            s += " src " + r.src + " "
        if r.metric is not None:
            s += " metric %d " % r.metric
        if r.onlink:
            s += "onlink "
        if r.linkdown:
            s += "linkdown "
        return s
    w = []
    if r.typ:
        w.append(r.typ)
    w.append(r.dst)
    if r.via:
        w += ["via", r.via]
    if r.dev:
        w += ["dev", r.dev]
    if r.proto:
        w += ["proto", r.proto]
    if r.scope:
        w += ["scope", r.scope]
    if r.src:
        w += ["src", r.src]
    if r.metric is not None:
        w += ["metric", str(r.metric)]
    if r.onlink:
        w.append("onlink")
    if r.linkdown:
        w.append("linkdown")
    return " ".join(w)


def lookup(rs, dst):
    a = ipaddress.ip_address(dst)
    best = None
    for r in rs:
        if r.typ not in (None, "blackhole"):
            continue
        net = r.net()
        if a not in net:
            continue
        if best is None or net.prefixlen > best.net().prefixlen or (
                net.prefixlen == best.net().prefixlen and (r.metric or 0) < (best.metric or 0)):
            best = r
    return best


def route_get(c, n, rs, dst):
    """What `ip route get dst` prints on n."""
    old = c.route_style == "old"
    uid = "" if old else " uid 0"
    cache = "    cache " if old else "    cache"
    vips = service_ips(c) if (c.proxy_mode == "ipvs") else []
    if dst in vips or any(addr(p) == dst for nic in n.nics for p in nic.addrs):
        return [f"local {dst} dev lo table local src {dst}{uid}", "    cache <local> " if old else "    cache <local>"]
    r = lookup(rs, dst)
    if r is None:
        return ["RTNETLINK answers: Network is unreachable"]
    if r.typ == "blackhole":
        return [f"blackhole {dst} table main{uid}" if not old else f"blackhole {dst} ", cache]
    src = r.src
    if not src:
        if r.dev == "tunl0":
            src = n.tun_addr
        elif r.dev == "vxlan.calico":
            src = n.tun_addr
        elif r.dev and r.dev.startswith("cali"):
            src = n.ip
        else:
            nic = n.nic(r.dev)
            target = ipaddress.ip_address(r.via or dst)
            src = None
            for p in nic.addrs:
                if target in net_of(p):
                    src = addr(p)
                    break
            if src is None and nic.addrs:
                src = addr(nic.addrs[0])
    s = dst
    if r.via:
        s += " via " + r.via
    s += " dev " + r.dev + " src " + src + uid
    return [s, cache]


# --------------------------------------------------------------------------
# ip link / ip addr


def link_flags(kind, up, carrier, master, noarp=False):
    if kind == "loopback":
        return "<LOOPBACK,UP,LOWER_UP>"
    f = ["NOARP"] if noarp else ["BROADCAST", "MULTICAST"]
    if kind == "bond":
        f.append("MASTER")
    if master and kind == "ether":
        f.append("SLAVE") if master.startswith("bond") else None
    if up:
        f.append("UP")
        if carrier:
            f.append("LOWER_UP")
        else:
            f.insert(0, "NO-CARRIER")
    return "<" + ",".join(f) + ">"


def nic_mac(n, nic):
    if nic.mac:
        return nic.mac
    if nic.master and n.nic(nic.master) and n.nic(nic.master).kind in ("bond", "bridge"):
        m = n.nic(nic.master)
        if m.kind == "bond":
            return nic_mac(n, m)
    if nic.name.startswith("br-") or nic.name == "docker0":
        return mac_for(n.name + nic.name, "02:42")
    if nic.kind == "bridge":
        # a bridge takes its first port's address
        for p in n.nics:
            if p.master == nic.name:
                return mac_for(n.name + p.name, n.mac_prefix)
    return mac_for(n.name + nic.name, n.mac_prefix)


def dtail(c):
    """The generic attributes `ip -d link` prints after the kind-specific ones."""
    if c.link_style == "old":
        return "addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 "
    return "addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536"


def promisc(c, p=0, mtus="minmtu 68 maxmtu 65535"):
    if c.link_style == "old":
        return f"promiscuity {p} "
    return f"promiscuity {p}  allmulti 0 {mtus}"


def detail_lines(c, linkline, kindline=None, extra=""):
    """`ip -d link` lines 2 and 3: link/TYPE + promiscuity, then the kind's own
    attributes followed by the generic ones (on the link line when no kind)."""
    if kindline is None:
        l2 = linkline + ("" if c.link_style == "old" else " ") + dtail(c) + extra
        return [l2 if c.link_style == "old" else l2.rstrip()]
    l3 = "    " + kindline + " " + dtail(c) + extra
    return [linkline if c.link_style == "old" else linkline.rstrip(), l3 if c.link_style == "old" else l3.rstrip()]


def tun_mtu(c, n):
    return n.tun_mtu or c.tun_mtu


def veth_mtu(c, n):
    return n.veth_mtu or c.veth_mtu or tun_mtu(c, n)


def ifaces(c, n):
    """Every interface of n in index order: (idx, name, kind, obj)."""
    out = [(1, "lo", "loopback", None)]
    for nic in n.nics:
        out.append((nic.idx, nic.name, nic.kind, nic))
    nxt = max(i for i, _, _, _ in out) + 1
    if c.proxy_mode == "ipvs":
        out.append((nxt, "kube-ipvs0", "dummy", None))
        nxt += 1
    encap = n.encap or c.encap
    if n.tunnel and encap in ("ipip", "both"):
        out.append((nxt, "tunl0", "ipip", None))
        nxt += 1
    if n.tunnel and encap in ("vxlan", "both"):
        out.append((nxt, "vxlan.calico", "vxlan", None))
        nxt += 1
    for k, p in enumerate(n.pods):
        out.append((nxt, cali_name(n.name, p), "veth", k))
        nxt += 1
    return sorted(out, key=lambda t: t[0])


def qdisc_of(c, nic):
    if nic.qdisc:
        return nic.qdisc
    if nic.kind in ("bond", "bridge", "vlan"):
        return "noqueue"
    if nic.bus == "pci":
        return "mq"
    return "pfifo_fast" if c.link_style == "old" else "fq_codel"


def render_link(c, n, detailed):
    old = c.link_style == "old"
    sp = " " if old else ""  # old iproute2 leaves a blank after "scope link"
    L = []
    mode = " mode DEFAULT" if detailed else ""
    for idx, name, kind, obj in ifaces(c, n):
        if kind == "loopback":
            L.append(f"{idx}: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN{mode} group default qlen 1000")
            if detailed:
                L += detail_lines(c, "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 " + promisc(c, 0, "minmtu 0 maxmtu 0"))
            else:
                L += ["    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
                      "    inet 127.0.0.1/8 scope host lo", "       valid_lft forever preferred_lft forever",
                      "    inet6 ::1/128 scope host " + sp, "       valid_lft forever preferred_lft forever"]
            continue
        if isinstance(obj, Nic):
            nic = obj
            mac = nic_mac(n, nic)
            fl = link_flags(nic.kind, nic.up, nic.carrier, nic.master)
            state = "UP" if nic.up and nic.carrier else "DOWN"
            master = f" master {nic.master}" if nic.master else ""
            ql = " qlen 1000" if nic.kind in ("ether", "bond") else ""
            L.append(f"{idx}: {nic.name}: {fl} mtu {nic.mtu} qdisc {qdisc_of(c, nic)}{master} state {state}{mode} group default{ql}")
            mk = n.nic(nic.master).kind if nic.master else None
            if detailed:
                linkline = f"    link/ether {mac} brd ff:ff:ff:ff:ff:ff " + promisc(c, 1 if mk == "bridge" else 0)
                bus = ""
                if not old and nic.kind == "ether":
                    bus = f" parentbus {nic.bus} parentdev " + (
                        "virtio%d" % (nic.idx - 2) if nic.bus == "virtio" else
                        ("fe300000.ethernet" if nic.bus == "platform" else "0000:%02x:00.%d" % (0x18 + nic.idx // 2, nic.idx % 2)))
                if nic.kind == "bond":
                    L += detail_lines(c, linkline, "bond mode 802.3ad miimon 100 updelay 0 downdelay 0 peer_notify_delay 0 use_carrier 1 arp_interval 0 arp_validate none arp_all_targets any primary_reselect always fail_over_mac none xmit_hash_policy layer3+4 resend_igmp 1 num_grat_arp 1 all_slaves_active 0 min_links 0 lp_interval 1 packets_per_slave 1 lacp_rate fast ad_select stable ad_aggregator 1 ad_num_ports 2 ad_actor_key 15 ad_partner_key 32785 ad_partner_mac 00:1c:73:4e:91:0a ad_actor_sys_prio 65535 ad_user_port_key 0 ad_actor_system 00:00:00:00:00:00 tlb_dynamic_lb 1")
                elif nic.kind == "bridge":
                    L += detail_lines(c, linkline, f"bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 vlan_protocol 802.1Q bridge_id 8000.{mac} designated_root 8000.{mac} root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 vlan_default_pvid 1 mcast_snooping 1 mcast_router 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0")
                elif mk == "bond":
                    L += detail_lines(c, linkline, f"bond_slave state ACTIVE mii_status UP link_failure_count 0 perm_hwaddr {mac_for(n.name + nic.name)} queue_id 0 prio 0 ad_aggregator_id 1 ad_actor_oper_port_state 61 ad_partner_oper_port_state 61", bus)
                elif mk == "bridge":
                    L += detail_lines(c, linkline, "bridge_slave state forwarding priority 32 cost 4 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 designated_cost 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on", bus)
                else:
                    L += detail_lines(c, linkline, None, bus)
                if nic.altname:
                    L.append(f"    altname {nic.altname}")
            else:
                L.append(f"    link/ether {mac} brd ff:ff:ff:ff:ff:ff")
                if nic.altname:
                    L.append(f"    altname {nic.altname}")
                for p in nic.addrs:
                    iface = ipaddress.ip_interface(p)
                    brd = "" if iface.network.prefixlen >= 31 else f" brd {iface.network.broadcast_address}"
                    extra = nic.addr_opts.get(p, "")
                    extra = extra + " " if extra else ""
                    if nic.dynamic:
                        L.append(f"    inet {p} metric 100{brd} scope global dynamic {extra}{nic.name}")
                        L.append("       valid_lft 2838sec preferred_lft 2838sec")
                    else:
                        L.append(f"    inet {p}{brd} scope global {extra}{nic.name}")
                        L.append("       valid_lft forever preferred_lft forever")
                if nic.up and nic.carrier and not nic.master:
                    m = mac.split(":")
                    ll = eui64(m)
                    L.append(f"    inet6 {ll}/64 scope link " + sp)
                    L.append("       valid_lft forever preferred_lft forever")
            continue
        if kind == "dummy":
            mac = mac_for(n.name + "kube-ipvs0", "9a:4f")
            L.append(f"{idx}: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN{mode} group default")
            if detailed:
                L += detail_lines(c, f"    link/ether {mac} brd ff:ff:ff:ff:ff:ff " + promisc(c, 0, "minmtu 0 maxmtu 0"), "dummy")
            else:
                L.append(f"    link/ether {mac} brd ff:ff:ff:ff:ff:ff")
                for ip in service_ips(c):
                    L.append(f"    inet {ip}/32 scope global kube-ipvs0")
                    L.append("       valid_lft forever preferred_lft forever")
            continue
        if kind == "ipip":
            L.append(f"{idx}: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu {tun_mtu(c, n)} qdisc noqueue state UNKNOWN{mode} group default qlen 1000")
            if detailed:
                L += detail_lines(c, "    link/ipip 0.0.0.0 brd 0.0.0.0 " + promisc(c, 0, "minmtu 0 maxmtu 0"),
                                  "ipip any remote any local any ttl inherit nopmtudisc")
            else:
                L.append("    link/ipip 0.0.0.0 brd 0.0.0.0")
                L.append(f"    inet {n.tun_addr}/32 brd {n.tun_addr} scope global tunl0")
                L.append("       valid_lft forever preferred_lft forever")
            continue
        if kind == "vxlan":
            vmac = mac_for(n.name + "vxlan", "66")
            up = n.tunnel_up
            fl = "<BROADCAST,MULTICAST,UP,LOWER_UP>" if up else "<BROADCAST,MULTICAST>"
            st = "UNKNOWN" if up else "DOWN"
            vmtu = 1450 if (n.encap or c.encap) == "both" else tun_mtu(c, n)
            L.append(f"{idx}: vxlan.calico: {fl} mtu {vmtu} qdisc noqueue state {st}{mode} group default")
            if detailed:
                csum = "noudpcsum" if old else "udpcsum"
                ttl = "" if old else " ttl auto"
                L += detail_lines(c, f"    link/ether {vmac} brd ff:ff:ff:ff:ff:ff " + promisc(c),
                                  f"vxlan id 4096 local {n.ip} dev {n.uplink} srcport 0 0 dstport 4789 nolearning{ttl} ageing 300 {csum} noudp6zerocsumtx noudp6zerocsumrx")
            else:
                L.append(f"    link/ether {vmac} brd ff:ff:ff:ff:ff:ff")
                L.append(f"    inet {n.tun_addr}/32 scope global vxlan.calico")
                L.append("       valid_lft forever preferred_lft forever")
                if up:
                    m = vmac.split(":")
                    ll = eui64(m)
                    L.append(f"    inet6 {ll}/64 scope link " + sp)
                    L.append("       valid_lft forever preferred_lft forever")
            continue
        if kind == "veth":
            L.append(f"{idx}: {name}@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu {veth_mtu(c, n)} qdisc noqueue state UP{mode} group default")
            if detailed:
                L += detail_lines(c, f"    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid {obj} " + promisc(c), "veth")
            else:
                L.append(f"    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid {obj}")
                L.append("    inet6 fe80::ecee:eeff:feee:eeee/64 scope link " + sp)
                L.append("       valid_lft forever preferred_lft forever")
    if not old:
        L = [l.rstrip() for l in L]
    return L


def service_ips(c):
    ips = [c.svc_ip(1), c.vip]
    for s in c.other_services:
        if s[3] not in ips:
            ips.append(s[3])
    return ips


# --------------------------------------------------------------------------
# ipvsadm


def ipvs_services(c, n):
    cp = c.nodes[0].ip
    dns = [p for p, _ in c.coredns]
    svcs = [
        dict(proto="TCP", vip=c.svc_ip(1), port=443, sched="rr", reals=[(cp, 6443, 1, 2, 0)]),
        dict(proto="TCP", vip=c.vip, port=53, sched="rr", reals=[(p, 53, 1, 0, 0) for p in dns]),
        dict(proto="TCP", vip=c.vip, port=9153, sched="rr", reals=[(p, 9153, 1, 0, 0) for p in dns]),
        dict(proto="UDP", vip=c.vip, port=53, sched="rr",
             reals=[(p, 53, 1, 0, 96 + 7 * i + len(n.name)) for i, p in enumerate(dns)]),
    ]
    for name, port, proto, ip, backends in c.other_services:
        svcs.append(dict(proto=proto.upper(), vip=ip, port=port, sched="rr", reals=[(b, bp, 1, 0, 0) for b, bp in backends]))
    # a NodePort of an ingress, as kube-proxy programs it on the node address
    if c.other_services:
        name, port, proto, ip, backends = c.other_services[0]
        svcs.append(dict(proto="TCP", vip=n.ip, port=c.nodeport, sched="rr", reals=[(b, bp, 1, 0, 0) for b, bp in backends]))
    if n.ipvs_edit:
        svcs = n.ipvs_edit(n, svcs)
    return svcs


def render_ipvs(svcs):
    L = ["IP Virtual Server version 1.2.1 (size=4096)",
         "Prot LocalAddress:Port Scheduler Flags",
         "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
    for s in svcs:
        L.append(f"{s['proto']}  {s['vip']}:{s['port']} {s['sched']}" + (f" persistent {s['persistent']}" if s.get("persistent") else ""))
        for ip, port, w, act, inact in s["reals"]:
            L.append(("  -> %-28s %-7s %-6d %-10d %-10d" % (f"{ip}:{port}", "Masq", w, act, inact)).rstrip())
    return L


# --------------------------------------------------------------------------
# iptables-save (kube-proxy iptables mode, and Calico's filter rules)


def svc_ports(c):
    """(service port name, proto, cluster IP, port, target port, backends)"""
    dns = [p for p, _ in c.coredns]
    out = [("default/kubernetes:https", "tcp", c.svc_ip(1), 443, [(c.nodes[0].ip, 6443)]),
           ("kube-system/kube-dns:dns", "udp", c.vip, 53, [(p, 53) for p in dns]),
           ("kube-system/kube-dns:dns-tcp", "tcp", c.vip, 53, [(p, 53) for p in dns]),
           ("kube-system/kube-dns:metrics", "tcp", c.vip, 9153, [(p, 9153) for p in dns])]
    for name, port, proto, ip, backends in c.other_services:
        out.append((name, proto, ip, port, backends))
    return out


def counter(seed, lo=0, hi=5000):
    v = int(h(seed, 6), 16)
    pk = lo + v % (hi - lo + 1) if hi > lo else lo
    return pk, pk * (60 + v % 40)


def iptables_save(c, n, kube_mode, with_dns=True, ipip_accept=None, ipip_drop=None, version="v1.8.7 (nf_tables)",
                  vxlan_accept=None, vxlan_drop=None):
    stamp = "Tue Jun 11 08:14:52 2024"
    tool = "iptables-save" if "nf_tables" not in version else "iptables-nft-save"
    ver = version.split(" ")[0]
    L = []

    def table(name, builtins, chains, rules):
        L.append(f"# Generated by {tool} {ver} on {stamp}")
        L.append("*" + name)
        for b, pol in builtins:
            pk, by = counter(n.name + name + b, 100, 900000)
            L.append(f":{b} {pol} [{pk}:{by}]")
        for ch in sorted(chains):
            L.append(f":{ch} - [0:0]")
        order = [b for b, _ in builtins] + sorted(chains)
        for ch in order:
            for r in rules.get(ch, []):
                L.append(r)
        L.append("COMMIT")
        L.append(f"# Completed on {stamp}")

    def cnt(seed, zero=False, hi=5000):
        if zero:
            return "[0:0]"
        pk, by = counter(n.name + seed, 0, hi)
        return f"[{pk}:{by}]"

    # nat
    nat_rules = {}
    nat_chains = {"KUBE-KUBELET-CANARY", "KUBE-MARK-MASQ", "KUBE-POSTROUTING", "KUBE-PROXY-CANARY", "KUBE-SERVICES",
                  "cali-OUTPUT", "cali-POSTROUTING", "cali-PREROUTING", "cali-fip-dnat", "cali-fip-snat", "cali-nat-outgoing"}

    def add(ch, text, seed=None, zero=False):
        nat_rules.setdefault(ch, []).append(cnt(seed or (ch + text), zero) + " -A " + ch + " " + text)

    add("PREROUTING", '-m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING')
    add("PREROUTING", '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    add("OUTPUT", '-m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT')
    add("OUTPUT", '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    add("POSTROUTING", '-m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING')
    add("POSTROUTING", '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
    add("KUBE-MARK-MASQ", "-j MARK --set-xmark 0x4000/0x4000", zero=True)
    add("KUBE-POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN")
    add("KUBE-POSTROUTING", "-j MARK --set-xmark 0x4000/0x0", zero=True)
    add("KUBE-POSTROUTING", '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully', zero=True)
    if kube_mode == "ipvs":
        nat_chains |= {"KUBE-LOAD-BALANCER", "KUBE-NODE-PORT"}
        add("KUBE-LOAD-BALANCER", "-j KUBE-MARK-MASQ", zero=True)
        add("KUBE-NODE-PORT", '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ', zero=True)
        add("KUBE-SERVICES", f'! -s {c.pod_cidr} -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ', zero=True)
        add("KUBE-SERVICES", "-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT")
        add("KUBE-SERVICES", "-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT")
    else:
        nat_chains.add("KUBE-NODEPORTS")
        for name, proto, ip, port, backends in svc_ports(c):
            if not with_dns and name.startswith("kube-system/kube-dns"):
                continue
            svc = "KUBE-SVC-" + kube_hash(name + proto)
            nat_chains.add(svc)
            add("KUBE-SERVICES", f'-d {ip}/32 -p {proto} -m comment --comment "{name} cluster IP" -m {proto} --dport {port} -j {svc}')
            add(svc, f'! -s {c.pod_cidr} -d {ip}/32 -p {proto} -m comment --comment "{name} cluster IP" -m {proto} --dport {port} -j KUBE-MARK-MASQ', zero=True)
            for k, (b, bp) in enumerate(backends):
                sep = "KUBE-SEP-" + kube_hash(name + proto + f"{b}:{bp}")
                nat_chains.add(sep)
                left = len(backends) - k
                prob = "" if left == 1 else " -m statistic --mode random --probability %.11f" % (1.0 / left)
                add(svc, f'-m comment --comment "{name} -> {b}:{bp}"{prob} -j {sep}')
                add(sep, f'-s {b}/32 -m comment --comment "{name}" -j KUBE-MARK-MASQ', zero=True)
                add(sep, f'-p {proto} -m comment --comment "{name}" -m {proto} -j DNAT --to-destination {b}:{bp}')
        add("KUBE-SERVICES", '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    add("cali-OUTPUT", '-m comment --comment "cali:GBTAv2p5CwevEyJm" -j cali-fip-dnat')
    add("cali-POSTROUTING", '-m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat')
    add("cali-POSTROUTING", '-m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing')
    tdev = "tunl0" if c.encap == "ipip" else "vxlan.calico"
    add("cali-POSTROUTING", f'-o {tdev} -m comment --comment "cali:SXWvdsbh4Mw7wOln" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully', zero=True)
    add("cali-PREROUTING", '-m comment --comment "cali:r6XmIziWUJsdOK6Z" -j cali-fip-dnat')
    add("cali-nat-outgoing", '-m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully')

    # filter
    fr = {}
    fchains = {"KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY",
               "cali-FORWARD", "cali-INPUT", "cali-OUTPUT", "cali-cidr-block", "cali-forward-check",
               "cali-from-hep-forward", "cali-from-host-endpoint", "cali-from-wl-dispatch",
               "cali-to-hep-forward", "cali-to-host-endpoint", "cali-to-wl-dispatch", "cali-wl-to-host"}

    def fadd(ch, text, zero=False, raw_cnt=None):
        fr.setdefault(ch, []).append((raw_cnt or cnt(ch + text, zero, 900000)) + " -A " + ch + " " + text)

    fadd("INPUT", '-m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT')
    if kube_mode != "ipvs":
        fchains |= {"KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS", "KUBE-SERVICES"}
        fadd("INPUT", '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL')
        fchains.add("KUBE-PROXY-FIREWALL")
        fadd("INPUT", '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS')
        fadd("INPUT", '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES')
    else:
        fchains.add("KUBE-NODE-PORT")
    fadd("INPUT", "-j KUBE-FIREWALL")
    fadd("FORWARD", '-m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD')
    fadd("FORWARD", '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD')
    if kube_mode != "ipvs":
        fadd("FORWARD", '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
        fadd("FORWARD", '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES')
    fadd("OUTPUT", '-m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT')
    if kube_mode != "ipvs":
        fadd("OUTPUT", '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    fadd("OUTPUT", "-j KUBE-FIREWALL")
    fadd("KUBE-FIREWALL", '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP', zero=True)
    fadd("KUBE-FORWARD", '-m conntrack --ctstate INVALID -j DROP', zero=True)
    fadd("KUBE-FORWARD", '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT', zero=True)
    fadd("KUBE-FORWARD", '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
    if kube_mode == "ipvs":
        fadd("KUBE-NODE-PORT", '-m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT', zero=True)
    fadd("cali-FORWARD", '-m comment --comment "cali:vjrMJCRpqwy5oRoX" -j MARK --set-xmark 0x0/0xe0000')
    fadd("cali-FORWARD", '-m comment --comment "cali:A_sPAO0mcxbT9mOV" -m mark --mark 0x0/0x10000 -j cali-from-hep-forward')
    fadd("cali-FORWARD", '-i cali+ -m comment --comment "cali:8ZoYfO5HKXWbB3pk" -j cali-from-wl-dispatch')
    fadd("cali-FORWARD", '-o cali+ -m comment --comment "cali:jdEuaPBe14V2hutn" -j cali-to-wl-dispatch')
    fadd("cali-FORWARD", '-m comment --comment "cali:12bc6HljsMKsmfr-" -j cali-to-hep-forward', zero=True)
    fadd("cali-FORWARD", '-m comment --comment "cali:NOSxoaGx8OIstr1z" -j cali-cidr-block', zero=True)
    if c.encap == "ipip":
        acc = ipip_accept or cnt("ipip-accept", hi=400000)
        drop = ipip_drop or "[0:0]"
        fadd("cali-INPUT", '-p ipencap -m comment --comment "cali:PajejrV4aFdkZojI" -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT', raw_cnt=acc)
        fadd("cali-INPUT", '-p ipencap -m comment --comment "cali:_wjq-Yrma8Ly1Svo" -m comment --comment "Drop IPIP packets from non-Calico hosts" -j DROP', raw_cnt=drop)
    else:
        fadd("cali-INPUT", '-p udp -m comment --comment "cali:J76FwxInZIsk7uKY" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT', raw_cnt=vxlan_accept)
        fadd("cali-INPUT", '-p udp -m comment --comment "cali:4cgmbdWsLmozYhJh" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP', zero=True, raw_cnt=vxlan_drop)
    fadd("cali-INPUT", '-m comment --comment "cali:ss8lEMQsXi-s6qYT" -j MARK --set-xmark 0x0/0xfff00000')
    fadd("cali-INPUT", '-m comment --comment "cali:PgIW-V0nEjwPhF_8" -j cali-forward-check')
    fadd("cali-INPUT", '-m comment --comment "cali:QMJlDwlS0OjHyfMN" -m mark ! --mark 0x0/0xfff00000 -j RETURN')
    fadd("cali-INPUT", '-i cali+ -m comment --comment "cali:nDRe73txrna-aqMs" -g cali-wl-to-host')
    fadd("cali-INPUT", '-m comment --comment "cali:iX2AYvqGXaVqwkro" -m mark --mark 0x10000/0x10000 -j ACCEPT', zero=True)
    fadd("cali-INPUT", '-m comment --comment "cali:bhpnxD5IRtBP8KW0" -j MARK --set-xmark 0x0/0xf0000')
    fadd("cali-INPUT", '-m comment --comment "cali:H5_bccAbHV0sooVy" -j cali-from-host-endpoint')
    fadd("cali-INPUT", '-m comment --comment "cali:inBL01YlfurT0dbI" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT', zero=True)
    fadd("cali-OUTPUT", '-m comment --comment "cali:Mq1_rAdXXH3YkrzW" -m mark --mark 0x10000/0x10000 -j ACCEPT')
    if c.encap == "ipip":
        fadd("cali-OUTPUT", '-p ipencap -m comment --comment "cali:4gVeMt3mRqSCE4Y9" -m comment --comment "Allow IPIP packets to other Calico hosts" -m set --match-set cali40all-hosts-net dst -m addrtype --src-type LOCAL -j ACCEPT')
    fadd("cali-from-wl-dispatch", '-m comment --comment "cali:zTj6P0TIgYvgz-md" -m comment --comment "Unknown interface" -j DROP', zero=True)
    fadd("cali-wl-to-host", '-m comment --comment "cali:Ee9Sbo10IpVujdIY" -j cali-from-wl-dispatch')
    fadd("cali-wl-to-host", '-m comment --comment "cali:nSZbcOoG1xPONxb8" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT')

    table("nat", [("PREROUTING", "ACCEPT"), ("INPUT", "ACCEPT"), ("OUTPUT", "ACCEPT"), ("POSTROUTING", "ACCEPT")], nat_chains, nat_rules)
    table("filter", [("INPUT", "ACCEPT"), ("FORWARD", "ACCEPT"), ("OUTPUT", "ACCEPT")], fchains, fr)
    return L


def ipset_list(c, n, hosts):
    def setblk(name, typ, members, hdr="family inet hashsize 1024 maxelem 1048576 bucketsize 12", rev=7, refs=1):
        out = [f"Name: {name}", f"Type: {typ}", f"Revision: {rev}",
               f"Header: {hdr} initval 0x{h(n.name + name, 8)}",
               f"Size in memory: {504 + 64 * len(members)}", f"References: {refs}",
               f"Number of entries: {len(members)}", "Members:"]
        return out + list(members)
    L = setblk("cali40masq-ipam-pools", "hash:net", [c.pod_cidr]) + [""]
    L += setblk("cali40all-ipam-pools", "hash:net", [c.pod_cidr]) + [""]
    L += setblk("cali40all-hosts-net" if c.encap == "ipip" else "cali40all-vxlan-net", "hash:net", hosts, refs=2) + [""]
    L += setblk("cali40this-host", "hash:ip", ["127.0.0.1", n.ip, "127.0.0.0"], rev=5, refs=0)
    if c.proxy_mode == "ipvs":
        mem = [f"{c.vip},udp:53", f"{c.vip},tcp:53", f"{c.vip},tcp:9153", f"{c.svc_ip(1)},tcp:443"]
        L += [""] + setblk("KUBE-CLUSTER-IP", "hash:ip,port", mem, "family inet hashsize 1024 maxelem 65536 bucketsize 12", 6, 2)
    return L


# --------------------------------------------------------------------------
# the other files


def sysctl_lines(c, n):
    ipvs = c.proxy_mode == "ipvs"
    rpd = n.rp_default or c.rp_default
    kv = {
        "net.core.netdev_max_backlog": "1000",
        "net.core.rmem_max": "212992",
        "net.core.somaxconn": "4096",
        "net.core.wmem_max": "212992",
        "net.ipv4.conf.all.accept_redirects": "0",
        "net.ipv4.conf.all.forwarding": "1",
        "net.ipv4.conf.all.rp_filter": n.rp_all or c.rp_all,
        "net.ipv4.conf.default.forwarding": "1",
        "net.ipv4.conf.default.rp_filter": rpd,
        "net.ipv4.conf.lo.forwarding": "1",
        "net.ipv4.conf.lo.rp_filter": "0",
        "net.ipv4.ip_forward": "1",
        "net.ipv4.ip_local_port_range": "32768\t60999",
        "net.ipv4.ip_no_pmtu_disc": "0",
        "net.ipv4.tcp_mtu_probing": "0",
        "net.netfilter.nf_conntrack_max": "262144",
    }
    for nic in n.nics:
        kv[f"net.ipv4.conf.{nic.name}.forwarding"] = "1"
        kv[f"net.ipv4.conf.{nic.name}.rp_filter"] = rpd
    encap = n.encap or c.encap
    if n.tunnel and encap in ("ipip", "both"):
        kv["net.ipv4.conf.tunl0.forwarding"] = "1"
        kv["net.ipv4.conf.tunl0.rp_filter"] = rpd
    if n.tunnel and encap in ("vxlan", "both"):
        kv["net.ipv4.conf.vxlan/calico.forwarding"] = "1"
        kv["net.ipv4.conf.vxlan/calico.rp_filter"] = rpd
    for p in n.pods:
        cn = cali_name(n.name, p)
        kv[f"net.ipv4.conf.{cn}.forwarding"] = "1"
        kv[f"net.ipv4.conf.{cn}.rp_filter"] = "1"
    if ipvs:
        kv["net.ipv4.conf.kube-ipvs0.forwarding"] = "1"
        kv["net.ipv4.conf.kube-ipvs0.rp_filter"] = rpd
        kv["net.ipv4.vs.conn_reuse_mode"] = "0"
        kv["net.ipv4.vs.conntrack"] = "1"
        kv["net.ipv4.vs.expire_nodest_conn"] = "1"
        kv["net.ipv4.vs.expire_quiescent_template"] = "1"
    kv.update(n.sysctl)
    return [f"{k} = {v}" for k, v in sorted(kv.items())]


def ethtool_text(iface, mode):
    if mode == "nic":
        return f"""Features for {iface}:
rx-checksumming: on [fixed]
tx-checksumming: on
	tx-checksum-ipv4: off [fixed]
	tx-checksum-ip-generic: on
	tx-checksum-ipv6: off [fixed]
	tx-checksum-fcoe-crc: off [fixed]
	tx-checksum-sctp: off [fixed]
scatter-gather: on
	tx-scatter-gather: on
	tx-scatter-gather-fraglist: off [fixed]
tcp-segmentation-offload: on
	tx-tcp-segmentation: on
	tx-tcp-ecn-segmentation: on
	tx-tcp-mangleid-segmentation: off
	tx-tcp6-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: on
large-receive-offload: off [fixed]
rx-vlan-offload: off [fixed]
tx-vlan-offload: off [fixed]
ntuple-filters: off [fixed]
receive-hashing: off [fixed]
highdma: on [fixed]
tx-gre-segmentation: off [fixed]
tx-gre-csum-segmentation: off [fixed]
tx-ipxip4-segmentation: off [fixed]
tx-ipxip6-segmentation: off [fixed]
tx-udp_tnl-segmentation: off [fixed]
tx-udp_tnl-csum-segmentation: off [fixed]
"""
    on = "on" if mode == "vxlan-on" else "off"
    return f"""Features for {iface}:
rx-checksumming: on
tx-checksumming: {on}
	tx-checksum-ipv4: off [fixed]
	tx-checksum-ip-generic: {on}
	tx-checksum-ipv6: off [fixed]
	tx-checksum-fcoe-crc: off [fixed]
	tx-checksum-sctp: off [fixed]
scatter-gather: on
	tx-scatter-gather: on
	tx-scatter-gather-fraglist: on
tcp-segmentation-offload: on
	tx-tcp-segmentation: on
	tx-tcp-ecn-segmentation: on
	tx-tcp6-segmentation: on
udp-fragmentation-offload: off [fixed]
generic-segmentation-offload: on
generic-receive-offload: on
large-receive-offload: off [fixed]
rx-vlan-offload: off [fixed]
tx-vlan-offload: on
highdma: off [fixed]
tx-udp_tnl-segmentation: off [fixed]
tx-udp_tnl-csum-segmentation: off [fixed]
"""


def autodetect_method(c, n):
    if "IP_AUTODETECTION_METHOD" in n.env:
        return n.env["IP_AUTODETECTION_METHOD"]
    if c.autodetect == "can-reach":
        return "can-reach=" + c.nodes[0].ip
    return c.autodetect


def calico_env(c, n):
    ipip = c.encap == "ipip"
    env = {
        "DATASTORE_TYPE": "kubernetes",
        "WAIT_FOR_DATASTORE": "true",
        "NODENAME": n.name,
        "CALICO_NETWORKING_BACKEND": "bird" if ipip else "vxlan",
        "CLUSTER_TYPE": "k8s,bgp",
        "IP": "autodetect",
        "IP_AUTODETECTION_METHOD": autodetect_method(c, n),
        "CALICO_IPV4POOL_IPIP": c.pool_ipip,
        "CALICO_IPV4POOL_VXLAN": c.pool_vxlan,
        "CALICO_IPV4POOL_CIDR": c.pod_cidr,
        "FELIX_IPINIPMTU": str(c.tun_mtu if ipip else 1480),
        "FELIX_VXLANMTU": str(c.tun_mtu if not ipip else 1450),
        "CALICO_DISABLE_FILE_LOGGING": "true",
        "FELIX_DEFAULTENDPOINTTOHOSTACTION": "ACCEPT",
        "FELIX_IPV6SUPPORT": "false",
        "FELIX_HEALTHENABLED": "true",
        "KUBERNETES_SERVICE_HOST": c.svc_ip(1),
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443",
        "HOME": "/root",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    }
    if not ipip:
        env["FELIX_VXLANENABLED"] = "true"
    for k, v in n.env.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return [f"{k}={v}" for k, v in env.items()]


def calico_log(c, n):
    if n.log is not None:
        return n.log
    m = autodetect_method(c, n)
    t = "2024-06-11 07:58:"
    L = [f"{t}01.114 [INFO][9] startup/startup.go 432: Early log level set to info",
         f"{t}01.118 [INFO][9] startup/utils.go 126: Using NODENAME environment for node name {n.name}",
         f"{t}01.121 [INFO][9] startup/utils.go 138: Determined node name: {n.name}",
         f"{t}01.207 [INFO][9] startup/startup.go 760: Checking datastore connection"]
    if m.startswith("can-reach="):
        L.append(f"{t}01.301 [INFO][9] startup/autodetection_methods.go 103: Using autodetected IPv4 address {n.ip}/{n.plen}, detected by connecting to {m[len('can-reach='):]}")
    elif m == "first-found" or m.startswith("skip-interface"):
        L.append(f"{t}01.301 [INFO][9] startup/autodetection_methods.go 103: Using autodetected IPv4 address on interface {n.uplink}: {n.ip}/{n.plen}")
    elif m.startswith("interface="):
        L.append(f"{t}01.301 [INFO][9] startup/autodetection_methods.go 103: Using autodetected IPv4 address {n.ip}/{n.plen} on matching interface {n.uplink}")
    elif m == "kubernetes-internal-ip":
        L.append(f'{t}01.301 [INFO][9] startup/autodetection_methods.go 155: Including CIDR information from host interface. CIDR="{n.ip}/{n.plen}"')
    L += [f"{t}01.302 [INFO][9] startup/startup.go 622: Node IPv4 changed, will check for conflicts",
          f"{t}01.488 [INFO][9] startup/startup.go 1254: CALICO_IPV4POOL_NAT_OUTGOING is true (defaulted) through environment variable",
          f"{t}02.551 [INFO][67] felix/int_dataplane.go 1121: Registering to report health.",
          f"{t}02.870 [INFO][67] felix/int_dataplane.go 1951: attempted to modprobe nf_conntrack_proto_sctp error=exit status 1 output=\"\"",
          f"{t}03.004 [INFO][67] felix/iface_monitor.go 201: Netlink address update. addr=\"{n.ip}\" exists=true ifIndex={n.nic(n.uplink).idx}"]
    L += n.log_extra
    return L


def bird_lines(c, n):
    L = [c.bird_version, "name     proto    table    state  since       info",
         "static1  Static   master   up     2024-06-11  ",
         "kernel1  Kernel   master   up     2024-06-11  ",
         "device1  Device   master   up     2024-06-11  ",
         "direct1  Direct   master   up     2024-06-11  "]
    for m in c.nodes:
        if m is n:
            continue
        peer = addr(m.calico_ip)
        st, since, info = n.bird.get(peer, ("up", "2024-06-11", "Established"))
        L.append(f"{mesh_name(peer)} BGP      master   {st:<6} {since:<11} {info}".rstrip())
    for peer, v in n.bird.items():
        if not any(addr(m.calico_ip) == peer for m in c.nodes if m is not n):
            st, since, info = v
            L.append(f"{mesh_name(peer)} BGP      master   {st:<6} {since:<11} {info}".rstrip())
    return L


def kube_nodes_json(c):
    items = []
    for m in c.nodes:
        tun_key = "projectcalico.org/IPv4IPIPTunnelAddr" if c.encap == "ipip" else "projectcalico.org/IPv4VXLANTunnelAddr"
        items.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "annotations": {
                    "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
                    "node.alpha.kubernetes.io/ttl": "0",
                    "projectcalico.org/IPv4Address": m.calico_ip,
                    tun_key: m.tun_addr,
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
                "labels": {"kubernetes.io/arch": "arm64" if m.kernel == "raspi" else "amd64",
                           "kubernetes.io/hostname": m.name, "kubernetes.io/os": "linux"},
                "name": m.name,
            },
            "spec": {"podCIDR": str(list(ipaddress.ip_network(c.pod_cidr).subnets(new_prefix=24))[c.nodes.index(m)])},
            "status": {
                "addresses": [{"address": m.internal_ip, "type": "InternalIP"}, {"address": m.name, "type": "Hostname"}],
                "conditions": [{"lastHeartbeatTime": "2024-06-11T08:10:41Z", "lastTransitionTime": "2024-05-02T10:31:09Z",
                                "message": "kubelet is posting ready status", "reason": "KubeletReady", "status": "True", "type": "Ready"}],
                "nodeInfo": {"architecture": "arm64" if m.kernel == "raspi" else "amd64",
                             "containerRuntimeVersion": "containerd://1.7.13",
                             "kernelVersion": KERNELS[m.kernel].split(" ")[0],
                             "kubeProxyVersion": "v1.29.4", "kubeletVersion": "v1.29.4", "operatingSystem": "linux"},
            },
        })
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}, indent=4, sort_keys=True)


def coredns_pod_name(c, ip):
    return c.coredns_names.get(ip, "coredns-76f75df574-" + h(ip, 5).replace("0", "x").replace("1", "k"))


def endpoints_json(c, pods):
    addrs = [{"ip": ip, "nodeName": node, "targetRef": {"kind": "Pod", "name": coredns_pod_name(c, ip), "namespace": "kube-system",
                                                         "uid": "%s-%s-4%s-8%s-%s" % (h(ip, 8), h(ip + "a", 4), h(ip + "b", 3), h(ip + "c", 3), h(ip + "d", 12))}}
             for ip, node in pods]
    return json.dumps({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2024-06-10T22:41:07Z"},
                     "creationTimestamp": "2024-05-02T10:30:52Z",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
                     "name": "kube-dns", "namespace": "kube-system", "resourceVersion": "2214733", "uid": "5d0f3c2a-9b1e-4c6d-8e7f-1a2b3c4d5e6f"},
        "subsets": [{"addresses": addrs,
                     "ports": [{"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                               {"name": "dns", "port": 53, "protocol": "UDP"},
                               {"name": "metrics", "port": 9153, "protocol": "TCP"}]}],
    }, indent=4, sort_keys=True)


def proxy_config(c):
    mode = c.proxy_mode
    return f"""apiVersion: v1
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    bindAddress: 0.0.0.0
    bindAddressHardFail: false
    clientConnection:
      acceptContentTypes: ""
      burst: 0
      contentType: ""
      kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
      qps: 0
    clusterCIDR: {c.pod_cidr}
    configSyncPeriod: 0s
    conntrack:
      maxPerCore: null
      min: null
      tcpCloseWaitTimeout: null
      tcpEstablishedTimeout: null
      udpStreamTimeout: 0s
      udpTimeout: 0s
    detectLocalMode: ""
    enableProfiling: false
    healthzBindAddress: ""
    hostnameOverride: ""
    iptables:
      localhostNodePorts: null
      masqueradeAll: false
      masqueradeBit: null
      minSyncPeriod: 0s
      syncPeriod: 0s
    ipvs:
      excludeCIDRs: null
      minSyncPeriod: 0s
      scheduler: "{'rr' if mode == 'ipvs' else ''}"
      strictARP: {'true' if mode == 'ipvs' else 'false'}
      syncPeriod: 0s
      tcpFinTimeout: 0s
      tcpTimeout: 0s
      udpTimeout: 0s
    kind: KubeProxyConfiguration
    metricsBindAddress: ""
    mode: "{mode}"
    nodePortAddresses: null
    oomScoreAdj: null
    portRange: ""
    showHiddenMetricsForProbes: ""
    winkernel:
      enableDSR: false
      forwardHealthCheckVip: false
      networkName: ""
      rootHnsEndpointName: ""
      sourceVip: ""
  kubeconfig.conf: |-
    apiVersion: v1
    kind: Config
    clusters:
    - cluster:
        certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
        server: https://{c.nodes[0].ip}:6443
      name: default
    contexts:
    - context:
        cluster: default
        namespace: default
        user: default
      name: default
    current-context: default
    users:
    - name: default
      user:
        tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
kind: ConfigMap
metadata:
  annotations:
    kubeadm.kubernetes.io/component-config.hash: sha256:{h(c.pod_cidr + mode, 64)}
  creationTimestamp: "2024-05-02T10:30:51Z"
  labels:
    app: kube-proxy
  name: kube-proxy
  namespace: kube-system
  resourceVersion: "241"
  uid: 8c3e2f1a-7b6d-4e5f-9a0b-1c2d3e4f5a6b
"""


def daemonset_yaml(c, method):
    """`kubectl -n kube-system get daemonset calico-node -o yaml`, trimmed of the
    volumes and probes a person would cut from a ticket."""
    return f"""apiVersion: apps/v1
kind: DaemonSet
metadata:
  annotations:
    deprecated.daemonset.template.generation: "3"
  creationTimestamp: "2024-05-02T10:33:02Z"
  generation: 3
  labels:
    k8s-app: calico-node
  name: calico-node
  namespace: kube-system
  resourceVersion: "2201187"
  uid: 7d1c2b3a-4e5f-4a6b-9c8d-0e1f2a3b4c5d
spec:
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      k8s-app: calico-node
  template:
    metadata:
      creationTimestamp: null
      labels:
        k8s-app: calico-node
    spec:
      containers:
      - env:
        - name: DATASTORE_TYPE
          value: kubernetes
        - name: WAIT_FOR_DATASTORE
          value: "true"
        - name: NODENAME
          valueFrom:
            fieldRef:
              apiVersion: v1
              fieldPath: spec.nodeName
        - name: CALICO_NETWORKING_BACKEND
          valueFrom:
            configMapKeyRef:
              key: calico_backend
              name: calico-config
        - name: CLUSTER_TYPE
          value: k8s,bgp
        - name: IP
          value: autodetect
        - name: IP_AUTODETECTION_METHOD
          value: {method}
        - name: CALICO_IPV4POOL_IPIP
          value: {c.pool_ipip}
        - name: CALICO_IPV4POOL_VXLAN
          value: {c.pool_vxlan}
        - name: CALICO_IPV4POOL_CIDR
          value: {c.pod_cidr}
        - name: FELIX_IPINIPMTU
          valueFrom:
            configMapKeyRef:
              key: veth_mtu
              name: calico-config
        - name: CALICO_DISABLE_FILE_LOGGING
          value: "true"
        - name: FELIX_DEFAULTENDPOINTTOHOSTACTION
          value: ACCEPT
        - name: FELIX_IPV6SUPPORT
          value: "false"
        - name: FELIX_HEALTHENABLED
          value: "true"
        envFrom:
        - configMapRef:
            name: kubernetes-services-endpoint
            optional: true
        image: docker.io/calico/node:{c.calico_version}
        imagePullPolicy: IfNotPresent
        name: calico-node
        resources:
          requests:
            cpu: 250m
        securityContext:
          privileged: true
      hostNetwork: true
      nodeSelector:
        kubernetes.io/os: linux
      priorityClassName: system-node-critical
      serviceAccountName: calico-node
  updateStrategy:
    rollingUpdate:
      maxSurge: 0
      maxUnavailable: 1
    type: RollingUpdate
status:
  currentNumberScheduled: {len(c.nodes)}
  desiredNumberScheduled: {len(c.nodes)}
  numberAvailable: {len(c.nodes)}
  numberMisscheduled: 0
  numberReady: {len(c.nodes)}
  observedGeneration: 3
  updatedNumberScheduled: {len(c.nodes)}
"""


def ippools_yaml(c):
    return f"""apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    creationTimestamp: "2024-05-02T10:33:18Z"
    name: {c.pool_name}
    resourceVersion: "1620"
    uid: {h(c.pod_cidr, 8)}-1f2e-4d3c-9b8a-{h(c.pod_cidr + 'u', 12)}
  spec:
    allowedUses:
    - Workload
    - Tunnel
    blockSize: {c.block_size}
    cidr: {c.pod_cidr}
    ipipMode: {c.pool_ipip}
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: {c.pool_vxlan}
kind: IPPoolList
metadata:
  resourceVersion: "2214802"
"""


def felix_yaml(c):
    spec = "\n".join(f"    {k}: {v}" for k, v in sorted(c.felix.items()))
    return f"""apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: FelixConfiguration
  metadata:
    creationTimestamp: "2024-05-02T10:33:18Z"
    name: default
    resourceVersion: "2209417"
    uid: 0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e
  spec:
{spec}
kind: FelixConfigurationList
metadata:
  resourceVersion: "2214802"
"""


# --------------------------------------------------------------------------
# rendering one cluster to txtar


def render(c):
    files = []  # (node, path, lines)
    for n in c.nodes:
        def put(path, lines):
            if path not in n.skip:
                if isinstance(lines, str):
                    lines = lines.rstrip("\n").split("\n")
                files.append((n.name, path, lines))
        rs = node_routes(c, n)
        put("host/hostname", [n.name])
        put("host/uname.txt", [f"Linux {n.name} {KERNELS[n.kernel]}"])
        if c.os_release:
            put("host/os-release", c.os_release)
        put("host/sysctl.txt", sysctl_lines(c, n))
        put("net/ip-addr.txt", render_link(c, n, False))
        put("net/ip-link.txt", render_link(c, n, True))
        put("net/ip-route.txt", [render_route(r, c.route_style) for r in rs])
        if c.with_routeget:
            qs = []
            for m in c.nodes:
                if m is not n:
                    qs.append(m.ip)
            for p, _ in c.coredns:
                qs.append(p)
            if c.routeget_vip:
                qs.append(c.vip)
            qs += n.routeget_extra
            L = []
            seen = set()
            for q in qs:
                if q in seen:
                    continue
                seen.add(q)
                L.append(f"# ip route get {q}")
                L += route_get(c, n, rs, q)
            put("net/route-get.txt", L)
        if c.encap == "vxlan" and c.vxlan_neigh and n.tunnel:
            L = [f"{n.gw} dev {n.uplink} lladdr {mac_for(n.name + 'gw', n.mac_prefix)} REACHABLE"] if n.gw else []
            F = [f"33:33:00:00:00:01 dev {n.uplink} self permanent", f"01:00:5e:00:00:01 dev {n.uplink} self permanent"]
            for m in c.nodes:
                if m is n or not m.tunnel:
                    continue
                vm = mac_for(m.name + "vxlan", "66")
                if net_of(n.calico_ip) == net_of(m.calico_ip):
                    L.append(f"{m.ip} dev {n.uplink} lladdr {nic_mac(m, m.nic(m.uplink))} STALE")
                L.append(f"{m.tun_addr} dev vxlan.calico lladdr {vm} PERMANENT")
                F.append(f"{vm} dev vxlan.calico dst {m.ip} self permanent")
            put("net/ip-neigh.txt", L)
            put("net/bridge-fdb.txt", F)
        if n.iptables:
            put("net/iptables-save.txt", n.iptables(c, n))
        if n.ipset:
            put("net/ipset-list.txt", n.ipset(c, n))
        if c.proxy_mode == "ipvs":
            put("ipvs/ipvsadm-Ln.txt", render_ipvs(ipvs_services(c, n)))
        if c.ethtool_ifaces:
            put(f"ethtool/{n.uplink}.txt", ethtool_text(n.uplink, "nic"))
            if c.encap == "vxlan" and n.tunnel:
                put("ethtool/vxlan.calico.txt", ethtool_text("vxlan.calico", "vxlan-on" if n.vxlan_csum else "vxlan-off"))
        for iface, text in n.ethtool_extra.items():
            put(f"ethtool/{iface}.txt", text)
        put("calico/calico-node-env.txt", calico_env(c, n))
        if c.encap == "ipip" and n.bird_file:
            put("calico/bird-protocols.txt", bird_lines(c, n))
        if c.resolv:
            put("dns/resolv.conf", c.resolv)
        put("logs/calico-node.log", calico_log(c, n))
        if c.kube_on == n.name:
            if "nodes" in c.kube_files:
                put("kube/nodes.json", kube_nodes_json(c))
            if "endpoints" in c.kube_files:
                put("kube/kube-dns-endpoints.json", endpoints_json(c, c.coredns))
            if "proxy" in c.kube_files:
                put("kube/kube-proxy-config.yaml", proxy_config(c))
            if "ippools" in c.kube_files:
                put("calico/ippools.yaml", ippools_yaml(c))
            if c.felix is not None:
                put("calico/felixconfig.yaml", felix_yaml(c))
        for path, text in n.extra_files.items():
            put(path, text)
    out = []
    for line in c.title.strip("\n").split("\n"):
        out.append(line)
    for node, path, lines in files:
        out.append(f"-- {node}/{path} --")
        out.extend(lines)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# building blocks for the scenarios


def simple_nodes(names, ips, plen, uplink, gw, blocks, kernel, mtu=1500, bus="virtio", altnames=None, dynamic=False,
                 mac_prefix="52:54:00"):
    nodes = []
    for i, (nm, ip, blk) in enumerate(zip(names, ips, blocks)):
        nic = Nic(uplink, 2, [f"{ip}/{plen}"], mtu=mtu, bus=bus, altname=(altnames[i] if altnames else None), dynamic=dynamic)
        g = gw[i] if isinstance(gw, list) else gw
        nodes.append(Node(nm, ip, plen, uplink, g, blk, nics=[nic], kernel=kernel, mtu=mtu))
        nodes[-1].mac_prefix = mac_prefix
    return nodes


def place_pods(c, others):
    """CoreDNS pods onto their nodes, plus other pods (node name -> [ip])."""
    for ip, nn in c.coredns:
        c.node(nn).pods.append(ip)
    for nn, ips in others.items():
        c.node(nn).pods.extend(ips)


def header(*paras):
    return "\n".join(paras)


# --------------------------------------------------------------------------
# the scenarios

SCEN = {}


def scenario(name):
    def deco(f):
        SCEN[name] = f
        return f
    return deco


@scenario("ipvs-dns-vip-missing")
def s_vip_missing():
    names = ["k8s-master-01", "k8s-worker-01", "k8s-worker-02", "k8s-worker-03"]
    ips = ["172.16.10.11", "172.16.10.21", "172.16.10.22", "172.16.10.23"]
    blocks = ["10.233.102.128/26", "10.233.75.0/26", "10.233.71.192/26", "10.233.97.64/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", "172.16.10.1", blocks, "el8", altnames=["ens3"] * 4)
    c = Cluster("", nodes, "ipip", "10.233.0.3", "10.233.0.0/18", "10.233.64.0/18",
                [("10.233.75.5", "k8s-worker-01"), ("10.233.71.196", "k8s-worker-02")], kube_on="k8s-master-01")
    place_pods(c, {"k8s-master-01": ["10.233.102.131"], "k8s-worker-03": ["10.233.97.70", "10.233.97.71"]})
    c.other_services = [("ingress-nginx/ingress-nginx-controller:https", 443, "tcp", "10.233.21.140", [("10.233.97.70", 443)])]

    def no_udp(n, svcs):
        return [s for s in svcs if not (s["proto"] == "UDP" and s["vip"] == c.vip and s["port"] == 53)]

    def no_metrics(n, svcs):
        return [s for s in svcs if not (s["proto"] == "TCP" and s["vip"] == c.vip and s["port"] == 9153)]
    c.node("k8s-worker-03").ipvs_edit = no_udp
    c.with_routeget = False
    c.ethtool_ifaces = False
    c.node("k8s-worker-01").ipvs_edit = no_metrics
    for n in c.nodes:
        n.mac_prefix = "fa:16:3e"
    c.os_release = ['NAME="Rocky Linux"', 'VERSION="8.8 (Green Obsidian)"', 'ID="rocky"', 'ID_LIKE="rhel centos fedora"', 'VERSION_ID="8.8"', 'PLATFORM_ID="platform:el8"', 'PRETTY_NAME="Rocky Linux 8.8 (Green Obsidian)"']
    c.title = header(
        "ipvs-dns-vip-missing: kube-proxy (IPVS) did not program every virtual service of the",
        "cluster DNS address 10.233.0.3 (kubespray-style addressing, Rocky 8, Calico IPIP).",
        "CoreDNS: 10.233.75.5 on k8s-worker-01, 10.233.71.196 on k8s-worker-02.",
        "- k8s-worker-03: ipvsadm -Ln has TCP 10.233.0.3:53 and :9153 but no UDP 10.233.0.3:53",
        "  -> ipvs-dns-vip-missing critical on k8s-worker-03.",
        "- k8s-worker-01: TCP 10.233.0.3:9153 (CoreDNS metrics) is missing, 53 UDP/TCP are there",
        "  -> ipvs-dns-vip-missing warning on k8s-worker-01.",
        "Everything else is healthy.")
    return c


@scenario("ipvs-dns-no-backends")
def s_no_backends():
    names = ["ip-10-0-1-23.ec2.internal", "ip-10-0-1-57.ec2.internal", "ip-10-0-2-140.ec2.internal"]
    ips = ["10.0.1.23", "10.0.1.57", "10.0.2.140"]
    blocks = ["192.168.45.64/26", "192.168.133.0/26", "192.168.201.192/26"]
    nodes = simple_nodes(names, ips, 24, "ens5", ["10.0.1.1", "10.0.1.1", "10.0.2.1"], blocks, "al2023", mtu=9001,
                         bus="pci", dynamic=True)
    for n in nodes:
        n.nic("ens5").qdisc = "mq"
    c = Cluster("", nodes, "ipip", "172.20.0.10", "172.20.0.0/16", "192.168.0.0/16",
                [("192.168.133.7", "ip-10-0-1-57.ec2.internal"), ("192.168.133.12", "ip-10-0-1-57.ec2.internal")],
                kube_on="ip-10-0-2-140.ec2.internal")
    c.tun_mtu = 8981
    c.autodetect = "can-reach=10.0.0.2"
    c.routeget_vip = True
    for n in nodes:
        n.routeget_extra = ["10.0.0.2"]
    place_pods(c, {"ip-10-0-1-23.ec2.internal": ["192.168.45.70"], "ip-10-0-2-140.ec2.internal": ["192.168.201.200"]})
    c.resolv = ["# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).",
                "nameserver 10.0.0.2", "search ec2.internal"]

    def empty_udp(n, svcs):
        for s in svcs:
            if s["proto"] == "UDP" and s["port"] == 53:
                s["reals"] = []
        return svcs

    def zero_tcp(n, svcs):
        for s in svcs:
            if s["proto"] == "TCP" and s["port"] == 53:
                s["reals"] = [(ip, p, 0, 0, 3) for ip, p, _, _, _ in s["reals"]]
        return svcs
    c.node("ip-10-0-1-23.ec2.internal").ipvs_edit = empty_udp
    c.node("ip-10-0-2-140.ec2.internal").ipvs_edit = zero_tcp
    for n in c.nodes:
        n.mac_prefix = "0a:5e"
    c.title = header(
        "ipvs-dns-no-backends: the DNS virtual services exist but lead nowhere. AWS-style nodes",
        "(ens5, MTU 9001, two subnets), Calico IPIP Always, DNS Service 172.20.0.10, pods 192.168.0.0/16.",
        "Both CoreDNS pods (192.168.133.7, 192.168.133.12) run on ip-10-0-1-57.ec2.internal.",
        "- ip-10-0-1-23.ec2.internal: `UDP 172.20.0.10:53 rr` has no real server at all",
        "  -> ipvs-dns-no-backends critical on ip-10-0-1-23.ec2.internal.",
        "- ip-10-0-2-140.ec2.internal: every real server of `TCP 172.20.0.10:53` has weight 0",
        "  -> ipvs-dns-no-backends critical on ip-10-0-2-140.ec2.internal.")
    return c


def bond_nodes(names, ips, blocks, kernel):
    nodes = []
    for nm, ip, blk in zip(names, ips, blocks):
        nics = [Nic("eno1", 2, [], master="bond0", bus="pci", altname="enp25s0f0"),
                Nic("eno2", 3, [], master="bond0", bus="pci", altname="enp25s0f1"),
                Nic("bond0", 4, [f"{ip}/24"], kind="bond")]
        nodes.append(Node(nm, ip, 24, "bond0", "192.168.100.1", blk, nics=nics, kernel=kernel))
    return nodes


@scenario("ipvs-dns-stale-backend")
def s_stale():
    names = ["worker-01", "worker-02", "worker-03"]
    ips = ["192.168.100.11", "192.168.100.12", "192.168.100.13"]
    blocks = ["172.16.38.192/26", "172.16.121.0/26", "172.16.77.128/26"]
    nodes = bond_nodes(names, ips, blocks, "el9")
    c = Cluster("", nodes, "ipip", "10.0.0.10", "10.0.0.0/16", "172.16.0.0/16",
                [("172.16.121.9", "worker-02"), ("172.16.77.140", "worker-03")], kube_on="worker-02")
    c.kube_files.add("pods")
    c.autodetect = "interface=bond0"
    place_pods(c, {"worker-01": ["172.16.38.197"]})

    def stale(n, svcs):
        for s in svcs:
            if s["proto"] == "UDP" and s["port"] == 53:
                s["reals"].insert(0, ("172.16.38.200", 53, 0, 0, 10))
        return svcs
    c.node("worker-01").ipvs_edit = stale
    w2 = c.node("worker-02")
    w2.skip.add("calico/calico-node-env.txt")
    w2.extra_files["calico/calico-node-daemonset.yaml"] = daemonset_yaml(c, "interface=bond0")
    c.ethtool_ifaces = False
    for n in c.nodes:
        n.mac_prefix = "3c:ec:ef"
    c.title = header(
        "ipvs-dns-stale-backend (failure mode 9): kube-dns Endpoints list two CoreDNS pods,",
        "172.16.121.9 (worker-02) and 172.16.77.140 (worker-03). On worker-01 the IPVS service",
        "UDP 10.0.0.10:53 still holds a third real server 172.16.38.200:53, weight 0 with",
        "InActConn 10: a CoreDNS pod deleted from worker-01 whose UDP entries never expired.",
        "Bare-metal nodes on bond0 (eno1+eno2, LACP), RHEL 9, Calico IPIP, pods 172.16.0.0/16.",
        "-> ipvs-dns-stale-backend warning on worker-01. Nothing else is wrong.")
    return c


@scenario("ipvs-dns-stale-backend-nokube")
def s_stale_nokube():
    names = ["prod-k8s-w1", "prod-k8s-w2", "prod-k8s-w3"]
    ips = ["10.50.8.21", "10.50.9.34", "10.50.10.47"]
    blocks = ["10.42.17.0/26", "10.42.61.0/26", "10.42.180.64/26"]
    nodes = simple_nodes(names, ips, 22, "enp1s0", ["10.50.8.1", "10.50.8.1", "10.50.8.1"], blocks, "ubuntu24")
    c = Cluster("", nodes, "vxlan", "10.43.0.10", "10.43.0.0/16", "10.42.0.0/16",
                [("10.42.61.4", "prod-k8s-w2"), ("10.42.61.9", "prod-k8s-w2")], kube_on=None)
    c.vxlan_proto = "80"
    c.autodetect = "can-reach=10.50.8.1"
    place_pods(c, {"prod-k8s-w3": ["10.42.180.66", "10.42.180.81"], "prod-k8s-w1": ["10.42.17.3"]})

    def stale(n, svcs):
        for s in svcs:
            if s["proto"] == "UDP" and s["port"] == 53:
                s["reals"].append(("10.42.180.70", 53, 0, 0, 10))
        return svcs
    c.node("prod-k8s-w1").ipvs_edit = stale
    c.title = header(
        "ipvs-dns-stale-backend, without any kube data (no kube/ files in any bundle): CoreDNS",
        "is known only from the IPVS real servers of UDP 10.43.0.10:53 and the cali* routes.",
        "10.42.61.4 and 10.42.61.9 have cali* routes on prod-k8s-w2. prod-k8s-w1's IPVS also lists",
        "10.42.180.70:53 (weight 0, InActConn 10): it lies in 10.42.180.64/26, the block of",
        "prod-k8s-w3 (blackhole ... proto 80), whose bundle has no cali* route for it: no pod",
        "has that address any more. Calico VXLAN (felix routes, proto 80), pods 10.42.0.0/16,",
        "nodes in 10.50.8.0/22 on enp1s0.",
        "-> ipvs-dns-stale-backend warning on prod-k8s-w1.")
    return c


@scenario("route-pod-block-missing")
def s_block_missing():
    names = ["k8s-cp-1", "k8s-node-1", "k8s-node-2"]
    ips = ["10.128.0.2", "10.128.0.3", "10.128.0.4"]
    blocks = ["10.244.12.0/26", "10.244.140.64/26", "10.244.201.128/26"]
    nodes = simple_nodes(names, ips, 32, "ens4", "10.128.0.1", blocks, "gcp", mtu=1460)
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.244.0.0/16",
                [("10.244.140.70", "k8s-node-1"), ("10.244.201.133", "k8s-node-2")], kube_on="k8s-cp-1")
    c.tun_mtu = 1440
    c.kube_files.add("pods")
    place_pods(c, {"k8s-cp-1": ["10.244.12.9"]})
    for n in nodes:
        # GCE: a /32 on the NIC and the subnet reached through the gateway
        n.extra_routes = [Route("10.128.0.1", dev="ens4", proto="dhcp", scope="link", src=n.ip, metric=100)]
        n.nic("ens4").dynamic = True
    cp, b = c.node("k8s-cp-1"), c.node("k8s-node-1")

    def cut(blk):
        return lambda n, rs: [r for r in rs if r.dst != blk]
    cp.route_edit = cut(b.block)
    b.route_edit = cut(cp.block)
    cp.bird = {b.ip: ("start", "07:59:12", "Active        Socket: Connection refused")}
    b.bird = {cp.ip: ("start", "07:59:14", "Active        Socket: Connection refused")}
    for n in c.nodes:
        n.mac_prefix = "42:01:0a"
    c.title = header(
        "route-pod-block-missing (failure mode 8): the BGP session between k8s-cp-1 and",
        "k8s-node-1 is down (each side: `start ... Active Socket: Connection refused`, TCP 179",
        "rejected between them), so neither has a route to the other's block.",
        "CoreDNS: 10.244.140.70 on k8s-node-1 (block 10.244.140.64/26), 10.244.201.133 on",
        "k8s-node-2. On k8s-cp-1 only the default route covers 10.244.140.70.",
        "GCE-style nodes (ens4, /32 address, MTU 1460), Calico IPIP Always, DNS 10.96.0.10.",
        "-> route-pod-block-missing critical on k8s-cp-1, peer k8s-node-1 (k8s-node-1 hosts",
        "   no CoreDNS pod of its own that it lacks a route to: it lacks k8s-cp-1's block,",
        "   which holds none).",
        "-> bgp-session-down on k8s-cp-1 (peer k8s-node-1) and on k8s-node-1 (peer k8s-cp-1).")
    return c


def br0_nodes(names, ips, blocks, kernel):
    nodes = []
    for nm, ip, blk in zip(names, ips, blocks):
        nics = [Nic("eth0", 2, [], master="br0"), Nic("br0", 3, [f"{ip}/24"], kind="bridge")]
        nodes.append(Node(nm, ip, 24, "br0", "10.41.1.254", blk, nics=nics, kernel=kernel))
    return nodes


@scenario("route-next-hop-wrong")
def s_next_hop():
    names = ["cloudpods-ctrl", "cloudpods-host-01", "cloudpods-host-02", "cloudpods-host-03"]
    ips = ["10.41.1.20", "10.41.1.21", "10.41.1.22", "10.41.1.23"]
    blocks = ["10.40.33.0/26", "10.40.52.128/26", "10.40.7.64/26", "10.40.160.192/26"]
    nodes = br0_nodes(names, ips, blocks, "el7u")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.40.0.0/16",
                [("10.40.33.7", "cloudpods-ctrl"), ("10.40.52.149", "cloudpods-host-01")], kube_on="cloudpods-ctrl")
    c.route_style = "old"
    c.link_style = "old"
    c.bird_version = "BIRD v0.3.3+birdv1.6.3 ready."
    place_pods(c, {"cloudpods-host-03": ["10.40.160.200"]})
    a = c.node("cloudpods-host-03")

    def wrong(n, rs):
        for r in rs:
            if r.dst == "10.40.52.128/26":
                r.via = "10.41.1.22"
        return rs
    a.route_edit = wrong
    c.ethtool_ifaces = False
    c.title = header(
        "route-next-hop-wrong: the runbook's example. CoreDNS 10.40.52.149 runs on",
        "cloudpods-host-01 (10.41.1.21, block 10.40.52.128/26); on cloudpods-host-03 the route is",
        "`10.40.52.128/26 via 10.41.1.22 dev tunl0 proto bird onlink`, and 10.41.1.22 is",
        "cloudpods-host-02. The other CoreDNS pod, 10.40.33.7 on cloudpods-ctrl, is routed right.",
        "CentOS 7 hosts (old iproute2 output), node address on bridge br0 (eth0 enslaved),",
        "Calico IPIP Always, pods 10.40.0.0/16, DNS 10.96.0.10.",
        "-> route-next-hop-wrong critical on cloudpods-host-03, peer cloudpods-host-01.")
    return c


@scenario("route-wrong-device")
def s_wrong_dev():
    names = ["kube-a.lab.internal", "kube-b.lab.internal", "kube-c.lab.internal"]
    ips = ["192.168.56.101", "192.168.56.102", "192.168.56.103"]
    blocks = ["10.1.203.0/26", "10.1.77.0/26", "10.1.140.192/26"]
    nodes = simple_nodes(names, ips, 24, "enp3s0", "192.168.56.1", blocks, "debian12", bus="pci")
    c = Cluster("", nodes, "ipip", "10.152.183.10", "10.152.183.0/24", "10.1.0.0/16",
                [("10.1.77.13", "kube-b.lab.internal"), ("10.1.140.200", "kube-c.lab.internal")],
                kube_on="kube-a.lab.internal")
    c.autodetect = "interface=enp3s0"
    place_pods(c, {"kube-a.lab.internal": ["10.1.203.4", "10.1.203.5"]})
    a = c.node("kube-a.lab.internal")

    def plain(n, rs):
        for r in rs:
            if r.dst == "10.1.77.0/26":
                r.dev, r.onlink = "enp3s0", False
        return rs
    a.route_edit = plain
    for n in c.nodes:
        n.mac_prefix = "1c:69:7a"
    c.title = header(
        "route-wrong-device: the IP pool says ipipMode Always, but on kube-a.lab.internal the",
        "route to CoreDNS 10.1.77.13 (block 10.1.77.0/26 of kube-b.lab.internal) is",
        "`10.1.77.0/26 via 192.168.56.102 dev enp3s0 proto bird`: plain routing, no tunl0",
        "(left over from a CrossSubnet pool). Its route to the other CoreDNS pod, 10.1.140.200",
        "on kube-c.lab.internal, goes through tunl0 as it should. Debian 12, enp3s0,",
        "pods 10.1.0.0/16, DNS 10.152.183.10.",
        "-> route-wrong-device critical on kube-a.lab.internal, peer kube-b.lab.internal.")
    return c


@scenario("tunnel-device-missing")
def s_tun_missing():
    names = ["k8s-prod-master", "k8s-prod-node1", "k8s-prod-node2"]
    ips = ["10.100.20.5", "10.100.20.6", "10.100.20.7"]
    blocks = ["10.200.91.0/26", "10.200.14.128/26", "10.200.230.64/26"]
    nodes = simple_nodes(names, ips, 24, "ens160", "10.100.20.254", blocks, "ubuntu22", bus="pci")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.200.0.0/16",
                [("10.200.91.10", "k8s-prod-master"), ("10.200.14.140", "k8s-prod-node1")], kube_on="k8s-prod-master")
    place_pods(c, {"k8s-prod-node2": ["10.200.230.70", "10.200.230.71"]})
    bad = c.node("k8s-prod-node2")
    bad.tunnel = False
    bad.route_edit = lambda n, rs: [r for r in rs if r.dev != "tunl0"]
    bad.log_extra = [
        "2024-06-11 07:58:03.551 [WARNING][67] felix/ipip_mgr.go 112: Failed to configure IPIP tunnel device, retrying... error=failed to add IPIP tunnel device: operation not supported",
        "2024-06-11 07:58:04.552 [WARNING][67] felix/ipip_mgr.go 112: Failed to configure IPIP tunnel device, retrying... error=failed to add IPIP tunnel device: operation not supported",
        "bird: Netlink: No such device",
    ]
    for n in c.nodes:
        n.mac_prefix = "00:50:56"
    c.title = header(
        "tunnel-device-missing (IPIP): k8s-prod-node2 has no tunl0 at all (the ipip module is",
        "not available; felix logs `Failed to configure IPIP tunnel device`), so BIRD cannot",
        "install its routes through tunl0: the node has no route to the other pod blocks.",
        "Pool ipipMode Always; the two other nodes have tunl0 and their routes.",
        "VMware-style nodes (ens160), Ubuntu 22.04, pods 10.200.0.0/16, DNS 10.96.0.10.",
        "-> tunnel-device-missing critical on k8s-prod-node2.")
    return c


@scenario("tunnel-device-missing-vxlan")
def s_tun_down():
    names = ["gpu-node-01", "gpu-node-02", "gpu-node-03"]
    ips = ["10.66.4.11", "10.66.4.12", "10.66.4.13"]
    blocks = ["10.10.36.0/26", "10.10.2.64/26", "10.10.118.128/26"]
    nodes = simple_nodes(names, ips, 24, "eno1", "10.66.4.1", blocks, "el9", bus="pci", altnames=["enp24s0f0"] * 3)
    c = Cluster("", nodes, "vxlan", "10.96.0.10", "10.96.0.0/12", "10.10.0.0/16",
                [("10.10.36.5", "gpu-node-01"), ("10.10.2.70", "gpu-node-02")], kube_on="gpu-node-01")
    c.vxlan_proto = None
    place_pods(c, {"gpu-node-03": ["10.10.118.130"]})
    bad = c.node("gpu-node-03")
    bad.tunnel_up = False
    bad.route_edit = lambda n, rs: [r for r in rs if r.dev != "vxlan.calico"]
    bad.log_extra = [
        "2024-06-11 07:58:05.102 [WARNING][71] felix/route_table.go 883: Failed to add route error=network is down ifaceName=\"vxlan.calico\" ifaceRegex=\"^vxlan.calico$\" ipVersion=0x4 tableIndex=0",
    ]
    for n in c.nodes:
        n.mac_prefix = "b4:96:91"
    c.title = header(
        "tunnel-device-missing, VXLAN variant: on gpu-node-03 vxlan.calico exists but is down",
        "(flags <BROADCAST,MULTICAST> without UP, state DOWN); the kernel dropped its routes",
        "through it. Pool vxlanMode Always, felix VXLAN routes without a proto (older felix),",
        "RHEL 9 on eno1, pods 10.10.0.0/16, DNS 10.96.0.10.",
        "-> tunnel-device-missing critical on gpu-node-03.")
    return c


@scenario("tunnel-mode-mismatch")
def s_mode_mismatch():
    names = ["master", "worker1", "worker2"]
    ips = ["192.168.122.10", "192.168.122.11", "192.168.122.12"]
    blocks = ["10.244.219.64/26", "10.244.235.128/26", "10.244.189.0/26"]
    nodes = simple_nodes(names, ips, 24, "enp1s0", "192.168.122.1", blocks, "ubuntu22")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.244.0.0/16",
                [("10.244.235.130", "worker1"), ("10.244.189.7", "worker2")], kube_on="master")
    c.pool_ipip, c.pool_vxlan = "Never", "Always"
    c.felix = {"bpfLogLevel": '""', "floatingIPs": "Disabled", "ipipEnabled": "true", "logSeverityScreen": "Info",
               "reportingInterval": "0s", "vxlanEnabled": "true"}
    m = c.node("master")
    m.encap = "both"
    m.route_edit = lambda n, rs: [Route(r.dst, via=c.node_by_block(r.dst).tun_addr, dev="vxlan.calico", proto="80", onlink=True)
                                  if r.dev == "tunl0" else (Route(r.dst, typ="blackhole", proto="80") if r.typ == "blackhole" else r)
                                  for r in rs]
    c.node_by_block = lambda b: [x for x in c.nodes if x.block == b][0]
    place_pods(c, {"master": ["10.244.219.70"]})
    c.title = header(
        "tunnel-mode-mismatch: a half-done switch from IPIP to VXLAN (runbook, \"Switching the",
        "tunnel protocol\"). The pool is already ipipMode Never / vxlanMode Always and",
        "FelixConfiguration has vxlanEnabled true (ipipEnabled still true). master routes",
        "every other block through vxlan.calico (proto 80); worker1 and worker2 still route",
        "through tunl0 (proto bird).",
        "libvirt VMs (enp1s0, 192.168.122.0/24), pods 10.244.0.0/16, DNS 10.96.0.10.",
        "-> tunnel-mode-mismatch critical, cluster scope (no node).")
    return c


@scenario("calico-autodetect-wrong-interface")
def s_autodetect_ff():
    names = ["dev-k8s-01", "dev-k8s-02", "dev-k8s-03"]
    ips = ["10.20.0.11", "10.20.0.12", "10.20.0.13"]
    blocks = ["192.168.14.0/26", "192.168.201.64/26", "192.168.88.192/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", "10.20.0.1", blocks, "ubuntu22")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "192.168.0.0/16",
                [("192.168.14.3", "dev-k8s-01"), ("192.168.88.200", "dev-k8s-03")], kube_on="dev-k8s-01")
    c.autodetect = "first-found"
    for n in nodes:
        n.env["IP_AUTODETECTION_METHOD"] = "first-found"
        n.bird_file = False
    b = c.node("dev-k8s-02")
    b.nics = [Nic("br-3f2a1b9c8d7e", 2, ["172.18.0.1/16"], kind="bridge"),
              Nic("docker0", 3, ["172.17.0.1/16"], kind="bridge", carrier=False),
              Nic("eth0", 4, ["10.20.0.12/24"], altname="enp0s3")]
    b.calico_ip = "172.18.0.1/16"
    place_pods(c, {"dev-k8s-02": ["192.168.201.66"]})
    b.log = [l.replace("Using autodetected IPv4 address on interface eth0: 10.20.0.12/24",
                       "Using autodetected IPv4 address on interface br-3f2a1b9c8d7e: 172.18.0.1/16") for l in calico_log(c, b)]
    c.node("dev-k8s-03").nics.append(Nic("docker0", 3, ["172.17.0.1/16"], kind="bridge", carrier=False))
    c.title = header(
        "calico-autodetect-wrong-interface (failure mode 3): IP_AUTODETECTION_METHOD=first-found.",
        "dev-k8s-02 has a docker network bridge br-3f2a1b9c8d7e (172.18.0.1/16) at ifindex 2,",
        "before eth0 (ifindex 4), so first-found picks it: calico-node logs `Using autodetected",
        "IPv4 address on interface br-3f2a1b9c8d7e: 172.18.0.1/16` and the Node annotation",
        "projectcalico.org/IPv4Address is 172.18.0.1/16. The peers' routes to its block still",
        "go via its real address 10.20.0.12 (eth0). No BIRD output was collected.",
        "Pods 192.168.0.0/16 (Calico's default pool), IPIP Always, DNS 10.96.0.10.",
        "-> calico-autodetect-wrong-interface critical on dev-k8s-02.")
    return c


@scenario("calico-autodetect-wrong-interface-canreach")
def s_autodetect_cr():
    names = ["k8s-01.example.com", "k8s-02.example.com", "k8s-03.example.com"]
    ips = ["10.61.1.11", "10.61.1.12", "10.61.1.13"]
    blocks = ["10.244.64.0/26", "10.244.130.128/26", "10.244.3.192/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", "10.61.1.1", blocks, "el8")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.244.0.0/16",
                [("10.244.64.9", "k8s-01.example.com"), ("10.244.3.200", "k8s-03.example.com")], kube_on="k8s-01.example.com")
    c.autodetect = "can-reach=10.61.0.10"
    for n in nodes:
        n.routeget_extra = ["10.61.0.10"]
    b = c.node("k8s-02.example.com")
    b.nics.append(Nic("eth1", 3, ["192.168.50.23/24"], dynamic=True))
    b.gw = None
    b.extra_routes = [Route("default", via="192.168.50.1", dev="eth1", proto="dhcp", src="192.168.50.23", metric=100)]
    b.calico_ip = "192.168.50.23/24"
    b.log = [l.replace("10.61.1.12/24, detected by", "192.168.50.23/24, detected by") for l in calico_log(c, b)]
    place_pods(c, {"k8s-02.example.com": ["10.244.130.130"]})
    for n in nodes:
        if n is not b:
            n.bird = {"192.168.50.23": ("start", "07:58:40", "Active        Socket: Connection timed out")}
    b.bird = {m.ip: ("start", "07:58:41", "Connect") for m in nodes if m is not b}
    c.title = header(
        "calico-autodetect-wrong-interface, can-reach= variant: IP_AUTODETECTION_METHOD is",
        "can-reach=10.61.0.10 (the API load balancer, in another subnet). k8s-02.example.com has",
        "a second NIC eth1 (192.168.50.23/24) holding its default route, so the route to",
        "10.61.0.10 leaves through eth1 and Calico takes 192.168.50.23 (log: `Using autodetected",
        "IPv4 address 192.168.50.23/24, detected by connecting to 10.61.0.10`; Node annotation",
        "192.168.50.23/24). The peers still route its block via its eth0 address 10.61.1.12; BGP",
        "toward 192.168.50.23 does not come up. Rocky 8, pods 10.244.0.0/16, IPIP Always.",
        "-> calico-autodetect-wrong-interface critical on k8s-02.example.com.",
        "   (bgp-session-down is expected too; not asserted here.)")
    return c


@scenario("node-ip-asymmetric")
def s_asym():
    names = ["bm-node-01", "bm-node-02", "bm-node-03"]
    ips = ["10.12.2.11", "10.12.1.15", "10.12.2.13"]
    blocks = ["10.40.8.0/26", "10.40.99.64/26", "10.40.201.128/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", ["10.12.2.1", "10.12.1.1", "10.12.2.1"], blocks, "debian11", bus="pci")
    c = Cluster("", nodes, "ipip", "10.100.0.10", "10.100.0.0/16", "10.40.0.0/16",
                [("10.40.8.5", "bm-node-01"), ("10.40.201.140", "bm-node-03")], kube_on="bm-node-01")
    c.autodetect = "kubernetes-internal-ip"
    b = c.node("bm-node-02")
    b.nics.append(Nic("eth1", 3, ["172.31.200.15/24"], bus="pci"))
    b.gw = None
    b.extra_routes = [Route("default", via="172.31.200.1", dev="eth1", proto="static")]
    b.rp_all = b.rp_default = "0"
    place_pods(c, {"bm-node-02": ["10.40.99.70"]})
    for n in c.nodes:
        n.mac_prefix = "f4:02:70"
    c.title = header(
        "node-ip-asymmetric: the runbook's \"inconsistent node routing\". bm-node-02 has eth0",
        "10.12.1.15/24 (the cluster network: its InternalIP and Calico address, what the peers",
        "route its block to) and eth1 172.31.200.15/24 with the default route. The peers",
        "(10.12.2.11, 10.12.2.13) are in another subnet, so bm-node-02's IPIP packets to them",
        "leave through eth1 with source 172.31.200.15 (see net/route-get.txt), while the peers",
        "send to 10.12.1.15. rp_filter is 0 on bm-node-02. Autodetection kubernetes-internal-ip,",
        "Debian 11, pods 10.40.0.0/16, DNS 10.100.0.10.",
        "-> node-ip-asymmetric critical on bm-node-02.")
    return c


@scenario("calico-ipip-host-not-allowed")
def s_host_not_allowed():
    names = ["k8s-infra-1", "k8s-infra-2", "k8s-infra-3"]
    ips = ["10.30.0.11", "10.30.0.12", "10.30.0.13"]
    blocks = ["10.88.4.0/26", "10.88.51.192/26", "10.88.130.64/26"]
    nodes = simple_nodes(names, ips, 24, "ens192", "10.30.0.1", blocks, "el8", bus="pci")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.88.0.0/16",
                [("10.88.51.200", "k8s-infra-2"), ("10.88.130.70", "k8s-infra-3")], kube_on="k8s-infra-1")
    c.autodetect = "interface=ens192"
    b = c.node("k8s-infra-2")
    b.nics.append(Nic("ens224", 3, ["10.30.0.112/24"], bus="pci"))
    for nic in b.nics:
        nic.dynamic = False
    # NetworkManager gives ens224 the lower metric: its connected route wins.
    b.route_edit = lambda n, rs: [
        (Route(r.dst, dev=r.dev, proto="kernel", scope="link", src=r.src, metric=100 if r.dev == "ens224" else 101)
         if r.proto == "kernel" else r) for r in rs]
    b.gw = None
    b.extra_routes = [Route("default", via="10.30.0.1", dev="ens224", proto="static", metric=100),
                      Route("default", via="10.30.0.1", dev="ens192", proto="static", metric=101)]
    place_pods(c, {"k8s-infra-1": ["10.88.4.12", "10.88.4.13"]})
    hosts = [n.ip for n in nodes]
    a = c.node("k8s-infra-1")
    a.iptables = lambda c_, n: iptables_save(c_, n, "ipvs", ipip_accept="[0:0]", ipip_drop="[48213:5399856]", version="v1.8.5 (legacy)")
    b.iptables = lambda c_, n: iptables_save(c_, n, "ipvs", ipip_accept="[51877:6102231]", ipip_drop="[0:0]", version="v1.8.5 (legacy)")
    a.ipset = b.ipset = lambda c_, n: ipset_list(c_, n, hosts)
    for n in c.nodes:
        n.mac_prefix = "00:50:56"
    c.title = header(
        "calico-ipip-host-not-allowed (failure mode 2): only two bundles, k8s-infra-1 and",
        "k8s-infra-2 (the cluster has a third node, k8s-infra-3, listed in kube/nodes.json).",
        "k8s-infra-2 has two NICs in 10.30.0.0/24: ens192 10.30.0.12 (its Calico address,",
        "IP_AUTODETECTION_METHOD=interface=ens192) and ens224 10.30.0.112, whose connected",
        "route has the lower metric, so its IPIP packets leave from 10.30.0.112. On",
        "k8s-infra-1, cali40all-hosts-net holds 10.30.0.11-13 but not 10.30.0.112; cali-INPUT",
        "`Allow IPIP packets from Calico hosts` counts [0:0] while `Drop IPIP packets from",
        "non-Calico hosts` counts [48213:5399856]. The finding sits on the receiving node.",
        "-> calico-ipip-host-not-allowed critical on k8s-infra-1, peer k8s-infra-2.")
    c.drop_bundles = ["k8s-infra-3"]
    return c


@scenario("calico-ipip-host-not-allowed-vxlan")
def s_host_not_allowed_vxlan():
    names = ["edge-w1", "edge-w2", "edge-w3"]
    ips = ["172.22.4.21", "172.22.4.22", "172.22.4.23"]
    blocks = ["10.42.5.0/26", "10.42.33.64/26", "10.42.77.0/26"]
    nodes = simple_nodes(names, ips, 24, "enp1s0", "172.22.4.1", blocks, "ubuntu22")
    c = Cluster("", nodes, "vxlan", "10.43.0.10", "10.43.0.0/16", "10.42.0.0/16",
                [("10.42.77.10", "edge-w3")], kube_on="edge-w2", proxy_mode="iptables")
    place_pods(c, {"edge-w1": ["10.42.5.9"]})
    a = c.node("edge-w1")
    # edge-w1's felix stopped following the datastore before edge-w3 joined:
    # its allowlist lacks edge-w3; the other nodes list every node.
    a.iptables = lambda c_, n: iptables_save(c_, n, "iptables", vxlan_accept="[20417:2899214]", vxlan_drop="[3391:407012]")
    a.ipset = lambda c_, n: ipset_list(c_, n, ips[:2])
    for n in c.nodes[1:]:
        n.iptables = lambda c_, n: iptables_save(c_, n, "iptables")
        n.ipset = lambda c_, n: ipset_list(c_, n, ips)
    c.title = header(
        "calico-ipip-host-not-allowed, VXLAN: three Ubuntu nodes on 172.22.4.0/24 (enp1s0), pods",
        "10.42.0.0/16 over VXLAN Always, DNS 10.43.0.10 (CoreDNS on edge-w3). On edge-w1 the",
        "ipset cali40all-vxlan-net holds 172.22.4.21 and 172.22.4.22 but not edge-w3's",
        "172.22.4.23 (edge-w1's felix no longer follows the datastore); cali-INPUT's `Drop IPv4",
        "VXLAN packets from non-allowed hosts` counts [3391:407012]. edge-w2 and edge-w3 list",
        "all three nodes.",
        "-> calico-ipip-host-not-allowed critical on edge-w1, peer edge-w3.")
    return c


def mtu_nodes(names, ips, blocks, uplink, mtu, kernel, gw):
    return simple_nodes(names, ips, 24, uplink, gw, blocks, kernel, mtu=mtu)


@scenario("mtu-tunnel-overhead")
def s_mtu_ipip():
    names = ["ostack-master-0", "ostack-worker-0", "ostack-worker-1"]
    ips = ["192.168.10.15", "192.168.10.27", "192.168.10.38"]
    blocks = ["10.36.120.0/26", "10.36.7.64/26", "10.36.244.192/26"]
    nodes = mtu_nodes(names, ips, blocks, "ens3", 1450, "ubuntu22", "192.168.10.1")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.36.0.0/16",
                [("10.36.7.70", "ostack-worker-0"), ("10.36.244.200", "ostack-worker-1")], kube_on="ostack-master-0")
    c.tun_mtu = 1480
    place_pods(c, {"ostack-master-0": ["10.36.120.9"]})
    for n in c.nodes:
        n.mac_prefix = "fa:16:3e"
    c.title = header(
        "mtu-tunnel-overhead (failure mode 7), IPIP: OpenStack VMs whose ens3 has MTU 1450 (the",
        "cloud's own VXLAN underlay), but tunl0 and every cali* veth are at 1480, Calico's",
        "default for a 1500-byte underlay. IPIP needs 20 bytes: at most 1430 fits.",
        "Pods 10.36.0.0/16, DNS 10.96.0.10.",
        "-> mtu-tunnel-overhead warning on ostack-master-0, ostack-worker-0, ostack-worker-1",
        "   (one finding per node).")
    return c


@scenario("mtu-tunnel-overhead-vxlan")
def s_mtu_vxlan():
    names = ["node01", "node02", "node03"]
    ips = ["10.9.1.101", "10.9.1.102", "10.9.1.103"]
    blocks = ["10.128.44.0/26", "10.129.3.128/26", "10.130.250.64/26"]
    nodes = mtu_nodes(names, ips, blocks, "eth0", 1500, "flatcar", "10.9.1.254")
    c = Cluster("", nodes, "vxlan", "172.30.0.10", "172.30.0.0/16", "10.128.0.0/14",
                [("10.129.3.140", "node02"), ("10.130.250.70", "node03")], kube_on="node01")
    c.tun_mtu = 1500
    c.vxlan_proto = "80"
    place_pods(c, {"node01": ["10.128.44.8"]})
    c.title = header(
        "mtu-tunnel-overhead, VXLAN: eth0 MTU 1500, but vxlan.calico and the cali* veths are",
        "also at 1500 (veth_mtu set to the underlay's MTU). VXLAN needs 50 bytes: at most 1450.",
        "Flatcar nodes, pods 10.128.0.0/14, DNS 172.30.0.10, felix routes proto 80.",
        "-> mtu-tunnel-overhead warning on node01, node02, node03 (one finding per node).")
    return c


@scenario("sysctl-rp-filter-loose")
def s_rpf_loose():
    names = ["ubuntu-k8s-1", "ubuntu-k8s-2", "ubuntu-k8s-3"]
    ips = ["10.0.10.31", "10.0.10.32", "10.0.10.33"]
    blocks = ["10.244.81.0/26", "10.244.156.64/26", "10.244.17.192/26"]
    nodes = simple_nodes(names, ips, 24, "ens18", "10.0.10.1", blocks, "ubuntu20")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.244.0.0/16",
                [("10.244.81.5", "ubuntu-k8s-1"), ("10.244.156.70", "ubuntu-k8s-2")], kube_on="ubuntu-k8s-1")
    c.calico_version = "v3.11.3"
    bad = c.node("ubuntu-k8s-3")
    bad.rp_all = bad.rp_default = "2"
    bad.route_edit = lambda n, rs: [r for r in rs if r.dev != "tunl0"]
    bad.bird_file = False
    bad.log_extra = [
        "2024-06-11 07:58:03.012 [INFO][67] felix/int_dataplane.go 1032: Checking kernel's RPF setting",
        "2024-06-11 07:58:03.014 [FATAL][67] felix/int_dataplane.go 1035: Kernel's RPF check is set to 'loose'.  This would allow endpoints to spoof their IP address.  Calico requires net.ipv4.conf.all.rp_filter to be set to 0 or 1. If you require loose RPF and you are not concerned about spoofing, this check can be disabled by setting the IgnoreLooseRPF configuration parameter to 'true'.",
    ]
    for n in nodes:
        if n is not bad:
            n.bird = {bad.ip: ("start", "07:58:02", "Active        Socket: Connection refused")}
            n.route_edit = (lambda blk: (lambda n_, rs: [r for r in rs if r.dst != blk]))(bad.block)
    place_pods(c, {"ubuntu-k8s-3": ["10.244.17.200"]})
    for n in c.nodes:
        n.mac_prefix = "bc:24:11"
    c.os_release = ['NAME="Ubuntu"', 'VERSION="20.04.6 LTS (Focal Fossa)"', 'ID=ubuntu', 'ID_LIKE=debian', 'PRETTY_NAME="Ubuntu 20.04.6 LTS"', 'VERSION_ID="20.04"', 'VERSION_CODENAME=focal', 'UBUNTU_CODENAME=focal']
    c.title = header(
        "sysctl-rp-filter-loose (failure mode 4): ubuntu-k8s-3 was added later and kept",
        "Ubuntu 20.04's net.ipv4.conf.all.rp_filter = 2 (10-network-security.conf). FELIX_IGNORELOOSERPF",
        "is not set, so felix exits (`[FATAL] ... Kernel's RPF check is set to 'loose'`),",
        "calico-node restarts in a loop: no BIRD, no routes to the other blocks on",
        "ubuntu-k8s-3, and the peers' sessions to it are Active. The other nodes have",
        "rp_filter 1. Proxmox VMs (ens18), Calico v3.11, pods 10.244.0.0/16, DNS 10.96.0.10.",
        "-> sysctl-rp-filter-loose critical on ubuntu-k8s-3.")
    return c


@scenario("sysctl-rp-filter-strict-asymmetric")
def s_rpf_strict():
    names = ["hpc-node-1", "hpc-node-2", "hpc-node-3"]
    ips = ["10.51.8.11", "10.51.4.22", "10.51.8.13"]
    blocks = ["10.32.16.0/26", "10.32.77.128/26", "10.32.140.64/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", ["10.51.8.1", None, "10.51.8.1"], blocks, "el9", bus="pci")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.32.0.0/16",
                [("10.32.16.9", "hpc-node-1"), ("10.32.140.70", "hpc-node-3")], kube_on="hpc-node-1")
    c.autodetect = "can-reach=10.51.8.11"
    c.rp_all, c.rp_default = "1", "1"
    b = c.node("hpc-node-2")
    b.uplink = "eth1"
    b.nics = [Nic("eth0", 2, ["10.50.0.22/24"], bus="pci"), Nic("eth1", 3, ["10.51.4.22/24"], bus="pci")]
    b.extra_routes = [Route("default", via="10.50.0.1", dev="eth0", proto="static"),
                      Route("10.51.8.0/24", via="10.50.0.1", dev="eth0", proto="static", src="10.51.4.22")]
    b.routeget_extra = []
    place_pods(c, {"hpc-node-2": ["10.32.77.130"]})
    for n in c.nodes:
        n.mac_prefix = "b8:ca:3a"
    c.title = header(
        "sysctl-rp-filter-strict-asymmetric: hpc-node-2 has eth0 10.50.0.22/24 (management,",
        "default route) and eth1 10.51.4.22/24, the address the peers route its block to (and",
        "its Calico address). The peers sit in 10.51.8.0/24; hpc-node-2 reaches them by",
        "`10.51.8.0/24 via 10.50.0.1 dev eth0 proto static src 10.51.4.22`: it sends from the",
        "right address, but the peers' IPIP packets arrive on eth1 while the route back to",
        "their source addresses leaves through eth0, and rp_filter is 1 (strict) on all, eth0",
        "and eth1. RHEL 9, pods 10.32.0.0/16, DNS 10.96.0.10.",
        "-> sysctl-rp-filter-strict-asymmetric warning on hpc-node-2.")
    return c


@scenario("sysctl-ip-forward-off")
def s_fwd_off():
    names = ["edge-01", "edge-02", "edge-03"]
    ips = ["172.24.0.21", "172.24.0.22", "172.24.0.23"]
    blocks = ["10.244.5.0/26", "10.244.98.192/26", "10.244.177.64/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", "172.24.0.1", blocks, "raspi", bus="platform")
    for n in nodes:
        n.nic("eth0").bus = "platform"
    c = Cluster("", nodes, "vxlan", "10.96.0.10", "10.96.0.0/12", "10.244.0.0/16",
                [("10.244.5.4", "edge-01"), ("10.244.177.70", "edge-03")], kube_on="edge-01")
    c.vxlan_proto = None
    bad = c.node("edge-02")
    bad.sysctl = {"net.ipv4.ip_forward": "0", "net.ipv4.conf.all.forwarding": "0", "net.ipv4.conf.default.forwarding": "0"}
    place_pods(c, {"edge-02": ["10.244.98.200", "10.244.98.201"]})
    for n in c.nodes:
        n.mac_prefix = "dc:a6:32"
    c.os_release = ['PRETTY_NAME="Ubuntu 22.04.4 LTS"', 'NAME="Ubuntu"', 'VERSION_ID="22.04"', 'VERSION="22.04.4 LTS (Jammy Jellyfish)"', 'VERSION_CODENAME=jammy', 'ID=ubuntu', 'ID_LIKE=debian']
    c.title = header(
        "sysctl-ip-forward-off: edge-02 rebooted with net.ipv4.ip_forward = 0 (and",
        "net.ipv4.conf.all.forwarding = 0) from a hardening profile; its pods cannot reach",
        "anything off the node. Raspberry Pi nodes (aarch64), Calico VXLAN, routes without",
        "proto, pods 10.244.0.0/16, DNS 10.96.0.10.",
        "-> sysctl-ip-forward-off critical on edge-02.")
    return c


@scenario("kernel-vxlan-csum-offload")
def s_csum():
    names = ["c7-k8s-01", "c7-k8s-02", "c7-k8s-03"]
    ips = ["10.8.0.31", "10.8.0.32", "10.8.0.33"]
    blocks = ["172.30.112.0/26", "172.30.9.64/26", "172.30.201.128/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", "10.8.0.1", blocks, "el7")
    c = Cluster("", nodes, "vxlan", "10.254.0.2", "10.254.0.0/16", "172.30.0.0/16",
                [("172.30.112.5", "c7-k8s-01"), ("172.30.9.70", "c7-k8s-02")], kube_on="c7-k8s-01")
    c.route_style = "old"
    c.link_style = "old"
    c.vxlan_proto = None
    c.calico_version = "v3.15.5"
    c.node("c7-k8s-01").vxlan_csum = True
    c.node("c7-k8s-02").vxlan_csum = True
    place_pods(c, {"c7-k8s-03": ["172.30.201.130"]})
    c.os_release = ['NAME="CentOS Linux"', 'VERSION="7 (Core)"', 'ID="centos"', 'ID_LIKE="rhel fedora"', 'VERSION_ID="7"', 'PRETTY_NAME="CentOS Linux 7 (Core)"', 'ANSI_COLOR="0;31"', 'CPE_NAME="cpe:/o:centos:centos:7"']
    c.title = header(
        "kernel-vxlan-csum-offload (failure mode 5): CentOS 7 nodes, kernel",
        "3.10.0-1160.el7.x86_64, Calico VXLAN. On c7-k8s-01 and c7-k8s-02 `ethtool -k",
        "vxlan.calico` shows tx-checksum-ip-generic: on (the 63-second ClusterIP delays);",
        "on c7-k8s-03 it was already turned off with ethtool -K. Old iproute2 output,",
        "pods 172.30.0.0/16, DNS 10.254.0.2.",
        "-> kernel-vxlan-csum-offload warning on c7-k8s-01 and on c7-k8s-02.")
    return c


@scenario("bgp-session-down")
def s_bgp():
    names = ["rack1-node1", "rack1-node2", "rack2-node1"]
    ips = ["10.3.1.11", "10.3.1.12", "10.3.1.21"]
    blocks = ["100.64.12.0/26", "100.64.77.64/26", "100.64.140.128/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", "10.3.1.1", blocks, "ubuntu22")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "100.64.0.0/16",
                [("100.64.12.5", "rack1-node1"), ("100.64.140.140", "rack2-node1")], kube_on="rack1-node1")
    place_pods(c, {"rack1-node2": ["100.64.77.70"]})
    c.node("rack1-node1").bird = {"10.3.1.21": ("start", "08:02:33", "Connect")}
    c.node("rack2-node1").bird = {"10.3.1.11": ("start", "08:02:31", "Active        Socket: Connection reset by peer")}
    c.with_routeget = False
    for n in c.nodes:
        n.mac_prefix = "00:25:90"
    c.title = header(
        "bgp-session-down: the BIRD mesh session between rack1-node1 and rack2-node1 is not",
        "Established (rack1-node1: `start ... Connect`; rack2-node1: `start ... Active Socket:",
        "Connection reset by peer`). Every route is still present (graceful restart keeps them",
        "for now), so nothing else fails yet. Pods 100.64.0.0/16, DNS 10.96.0.10, IPIP.",
        "-> bgp-session-down warning on rack1-node1 (peer rack2-node1) and on rack2-node1",
        "   (peer rack1-node1).")
    return c


@scenario("kube-proxy-dns-rules-missing")
def s_kp_rules():
    names = ["k8s-ctl", "k8s-wrk-a", "k8s-wrk-b"]
    ips = ["10.77.0.10", "10.77.0.20", "10.77.0.30"]
    blocks = ["10.244.70.0/26", "10.244.133.128/26", "10.244.210.64/26"]
    nodes = simple_nodes(names, ips, 24, "ens33", "10.77.0.2", blocks, "ubuntu22", bus="pci")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "10.244.0.0/16",
                [("10.244.70.3", "k8s-ctl"), ("10.244.133.130", "k8s-wrk-a")], kube_on="k8s-ctl", proxy_mode="")
    c.other_services = [("default/web:http", 80, "tcp", "10.103.41.7", [("10.244.210.70", 8080), ("10.244.133.140", 8080)])]
    c.routeget_vip = True
    place_pods(c, {"k8s-wrk-b": ["10.244.210.70"], "k8s-wrk-a": ["10.244.133.140"]})
    hosts = [n.ip for n in nodes]
    for n in nodes:
        n.iptables = (lambda bad: (lambda c_, n_: iptables_save(c_, n_, "iptables", with_dns=not bad)))(n.name == "k8s-wrk-b")
        n.ipset = lambda c_, n_: ipset_list(c_, n_, hosts)
    for n in c.nodes:
        n.mac_prefix = "00:0c:29"
    c.title = header(
        "kube-proxy-dns-rules-missing: kube-proxy in iptables mode (its ConfigMap says mode: \"\",",
        "which is iptables on Linux; no IPVS anywhere). k8s-ctl and k8s-wrk-a have the full NAT",
        "rules for 10.96.0.10 (KUBE-SERVICES -> KUBE-SVC-TCOU7JCQXEZGVUNU / ERIFXISQEP7F7OF4 /",
        "JD5MR3NA4I4DYORP -> KUBE-SEP-* DNAT). k8s-wrk-b's iptables-save has KUBE-SERVICES rules",
        "for the API and default/web but none for 10.96.0.10: its kube-proxy stopped syncing.",
        "VMware Workstation NAT (ens33), IPIP, pods 10.244.0.0/16.",
        "-> kube-proxy-dns-rules-missing critical on k8s-wrk-b.")
    return c


@scenario("ipip-crosssubnet-healthy")
def s_cross():
    names = ["az1-node-1", "az1-node-2", "az2-node-1", "az2-node-2"]
    ips = ["10.10.1.11", "10.10.1.12", "10.10.2.11", "10.10.2.12"]
    blocks = ["192.168.30.0/26", "192.168.120.64/26", "192.168.5.128/26", "192.168.222.192/26"]
    nodes = simple_nodes(names, ips, 24, "eth0", ["10.10.1.1", "10.10.1.1", "10.10.2.1", "10.10.2.1"], blocks, "ubuntu24")
    c = Cluster("", nodes, "ipip", "10.96.0.10", "10.96.0.0/12", "192.168.0.0/16",
                [("192.168.120.70", "az1-node-2"), ("192.168.5.130", "az2-node-1")], kube_on="az1-node-1", crosssubnet=True)
    c.autodetect = "kubernetes-internal-ip"
    c.kube_files.add("pods")
    place_pods(c, {"az1-node-1": ["192.168.30.4"], "az2-node-2": ["192.168.222.200"]})
    hosts = [n.ip for n in nodes]
    for n in nodes:
        n.iptables = lambda c_, n_: iptables_save(c_, n_, "ipvs")
        n.ipset = lambda c_, n_: ipset_list(c_, n_, hosts)
    c.felix = {"bpfLogLevel": '""', "floatingIPs": "Disabled", "logSeverityScreen": "Info", "reportingInterval": "0s"}
    c.title = header(
        "A healthy Calico cluster whose pool is ipipMode CrossSubnet: peers in the node's own",
        "subnet are routed plainly (`via PEER dev eth0 proto bird`), peers in the other subnet",
        "through tunl0 (`via PEER dev tunl0 proto bird onlink`). Two subnets, 10.10.1.0/24 and",
        "10.10.2.0/24, two nodes each; CoreDNS 192.168.120.70 on az1-node-2 and 192.168.5.130 on",
        "az2-node-1. kube-proxy IPVS, DNS 10.96.0.10, pods 192.168.0.0/16.",
        "No rule may report a warning or a critical finding here.")
    return c


@scenario("healthy-iptables-mode")
def s_iptables_healthy():
    names = ["ip-172-31-5-10.us-west-2.compute.internal", "ip-172-31-5-77.us-west-2.compute.internal",
             "ip-172-31-9-200.us-west-2.compute.internal"]
    ips = ["172.31.5.10", "172.31.5.77", "172.31.9.200"]
    blocks = ["10.244.19.0/26", "10.244.87.128/26", "10.244.162.64/26"]
    nodes = simple_nodes(names, ips, 20, "eth0", "172.31.0.1", blocks, "ubuntu22", mtu=9001, bus="pci", dynamic=True)
    c = Cluster("", nodes, "vxlan", "10.96.0.10", "10.96.0.0/12", "10.244.0.0/16",
                [("10.244.87.130", names[1]), ("10.244.162.70", names[2])], kube_on=names[0], proxy_mode="iptables")
    c.tun_mtu = 8951
    c.vxlan_proto = "80"
    c.routeget_vip = True
    c.kube_files.add("pods")
    c.other_services = [("monitoring/grafana:http", 3000, "tcp", "10.108.19.44", [("10.244.19.8", 3000)])]
    place_pods(c, {names[0]: ["10.244.19.8"]})
    hosts = [n.ip for n in nodes]
    for n in nodes:
        n.iptables = lambda c_, n_: iptables_save(c_, n_, "iptables")
        n.ipset = lambda c_, n_: ipset_list(c_, n_, hosts)
    for n in c.nodes:
        n.mac_prefix = "02:4f"
    c.title = header(
        "A healthy Calico VXLAN cluster with kube-proxy in iptables mode: no IPVS table on any",
        "node, every node has the full NAT rules for the DNS Service 10.96.0.10",
        "(KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-* DNAT to both CoreDNS pods). AWS-style",
        "nodes (eth0 MTU 9001, vxlan.calico 8951), pods 10.244.0.0/16, felix routes proto 80.",
        "No rule may report a warning or a critical finding here.")
    return c


# --------------------------------------------------------------------------


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "testdata", "bundles")
    os.makedirs(out, exist_ok=True)
    for name, f in SCEN.items():
        c = f()
        drop = getattr(c, "drop_bundles", [])
        if drop:
            text = render(c)
            # drop whole bundles after rendering, so kube data still lists them
            parts = text.split("\n-- ")
            head, secs = parts[0], parts[1:]
            secs = [s for s in secs if not any(s.startswith(d + "/") for d in drop)]
            text = head + "".join("\n-- " + s for s in secs)
            if not text.endswith("\n"):
                text += "\n"
        else:
            text = render(c)
        with open(os.path.join(out, name + ".txtar"), "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
