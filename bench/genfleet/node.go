package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// The node's own files, each in its command's text format.

// nextHop is where node i's route to node p's block goes: p's address (IPIP)
// or p's VXLAN tunnel address, except on the faulty node, whose route to the
// first CoreDNS node's block goes to the second CoreDNS node (a stale BGP
// route after the block moved).
func (nb *nodeBundle) nextHop(p int) uint32 {
	cl := nb.cl
	if cl.c.Fault == FaultRouteNextHop && nb.i == cl.c.FaultNode && p == cl.coreDNS[0] {
		p = cl.coreDNS[1]
	}
	if cl.c.Encap == "vxlan" {
		return cl.block(p)
	}
	return cl.nodeIP(p)
}

func (nb *nodeBundle) sysctl() []byte {
	cl := nb.cl
	var b bytes.Buffer
	for _, kv := range sysctlCore {
		b.WriteString(kv + "\n")
	}
	ifaces := []string{"all", "default", "eth0", "kube-ipvs0", "lo", cl.tunnelDev()}
	for _, k := range cl.pods(nb.i) {
		ifaces = append(ifaces, caliName(nb.i, k))
	}
	sort.Strings(ifaces)
	for _, ifc := range ifaces {
		for _, kv := range sysctlConf {
			k, v, _ := strings.Cut(kv, " = ")
			switch {
			case k == "rp_filter" && ifc == "lo":
				v = "0"
			case k == "proxy_arp" && strings.HasPrefix(ifc, "cali"):
				v = "1" // Calico answers ARP for the pod's gateway
			}
			fmt.Fprintf(&b, "net.ipv4.conf.%s.%s = %s\n", ifc, k, v)
		}
	}
	for _, kv := range sysctlTail {
		b.WriteString(kv + "\n")
	}
	return b.Bytes()
}

func (nb *nodeBundle) ipLink() []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	b.WriteString("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
		"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536\n")
	fmt.Fprintf(&b, "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n"+
		"    link/ether %s brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 parentbus virtio parentdev virtio0\n"+
		"    altname enp0s3\n", cl.mac(i))
	b.WriteString("3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default\n" +
		"    link/ether 9a:4f:1c:d2:35:08 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 0 maxmtu 0\n" +
		"    dummy addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536\n")
	if cl.c.Encap == "ipip" {
		b.WriteString("4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
			"    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0\n" +
			"    ipip any remote any local any ttl inherit nopmtudisc addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536\n")
	} else {
		fmt.Fprintf(&b, "4: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default\n"+
			"    link/ether %s brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535\n"+
			"    vxlan id 4096 local %s dev eth0 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536\n",
			cl.vxlanMAC(i), ip4(cl.nodeIP(i)))
	}
	for n, k := range cl.pods(i) {
		fmt.Fprintf(&b, "%d: %s@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu %d qdisc noqueue state UP mode DEFAULT group default\n"+
			"    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid %d promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535\n"+
			"    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536\n",
			5+n, caliName(i, k), cl.tunnelMTU(), n)
	}
	return b.Bytes()
}

func (nb *nodeBundle) ipAddr() []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	b.WriteString("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n" +
		"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
		"    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n" +
		"    inet6 ::1/128 scope host\n       valid_lft forever preferred_lft forever\n")
	fmt.Fprintf(&b, "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n"+
		"    link/ether %s brd ff:ff:ff:ff:ff:ff\n    altname enp0s3\n"+
		"    inet %s/16 brd 10.20.255.255 scope global eth0\n       valid_lft forever preferred_lft forever\n",
		cl.mac(i), ip4(cl.nodeIP(i)))
	// kube-proxy in IPVS mode binds every ClusterIP to kube-ipvs0.
	b.WriteString("3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default\n" +
		"    link/ether 9a:4f:1c:d2:35:08 brd ff:ff:ff:ff:ff:ff\n")
	for _, v := range cl.vips {
		fmt.Fprintf(&b, "    inet %s/32 scope global kube-ipvs0\n       valid_lft forever preferred_lft forever\n", ip4(v))
	}
	if cl.c.Encap == "ipip" {
		fmt.Fprintf(&b, "4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000\n"+
			"    link/ipip 0.0.0.0 brd 0.0.0.0\n"+
			"    inet %s/32 brd %s scope global tunl0\n       valid_lft forever preferred_lft forever\n", ip4(cl.block(i)), ip4(cl.block(i)))
	} else {
		fmt.Fprintf(&b, "4: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default\n"+
			"    link/ether %s brd ff:ff:ff:ff:ff:ff\n"+
			"    inet %s/32 scope global vxlan.calico\n       valid_lft forever preferred_lft forever\n", cl.vxlanMAC(i), ip4(cl.block(i)))
	}
	for n, k := range cl.pods(i) {
		fmt.Fprintf(&b, "%d: %s@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu %d qdisc noqueue state UP group default\n"+
			"    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid %d\n", 5+n, caliName(i, k), cl.tunnelMTU(), n)
	}
	return b.Bytes()
}

// ipRoute is `ip route show`: the default route, the node subnet, the own
// block (blackhole) and pods, and one route per peer's block, in the kernel's
// order (by destination).
func (nb *nodeBundle) ipRoute() []byte {
	cl, i := nb.cl, nb.i
	type route struct {
		dst  uint32
		plen int
		line string
	}
	var rs []route
	proto := "proto bird"
	if cl.c.Encap == "vxlan" {
		proto = "proto 80"
	}
	rs = append(rs, route{nodeNet, 16, fmt.Sprintf("10.20.0.0/16 dev eth0 proto kernel scope link src %s", ip4(cl.nodeIP(i)))})
	rs = append(rs, route{cl.block(i), 26, fmt.Sprintf("blackhole %s/26 %s", ip4(cl.block(i)), proto)})
	for _, k := range cl.pods(i) {
		rs = append(rs, route{cl.podIP(i, k), 32, fmt.Sprintf("%s dev %s scope link", ip4(cl.podIP(i, k)), caliName(i, k))})
	}
	for p := 0; p < cl.c.Nodes; p++ {
		if p == i {
			continue
		}
		line := fmt.Sprintf("%s/26 via %s dev tunl0 proto bird onlink", ip4(cl.block(p)), ip4(nb.nextHop(p)))
		if cl.c.Encap == "vxlan" {
			line = fmt.Sprintf("%s/26 via %s dev vxlan.calico onlink", ip4(cl.block(p)), ip4(nb.nextHop(p)))
		}
		rs = append(rs, route{cl.block(p), 26, line})
	}
	sort.Slice(rs, func(a, b int) bool {
		if rs[a].dst != rs[b].dst {
			return rs[a].dst < rs[b].dst
		}
		return rs[a].plen < rs[b].plen
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "default via %s dev eth0 proto static\n", ip4(gateway))
	for _, r := range rs {
		b.WriteString(r.line + "\n")
	}
	return b.Bytes()
}

// ipRouteAll adds the local table: one local route per ClusterIP (kube-ipvs0).
func (nb *nodeBundle) ipRouteAll(main []byte) []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	b.Write(main)
	self := ip4(cl.nodeIP(i))
	own := ip4(cl.block(i))
	b.WriteString("local 10.20.0.0 dev eth0 table local proto kernel scope host src " + self + "\n")
	fmt.Fprintf(&b, "local %s dev eth0 table local proto kernel scope host src %s\n", self, self)
	fmt.Fprintf(&b, "broadcast 10.20.255.255 dev eth0 table local proto kernel scope link src %s\n", self)
	fmt.Fprintf(&b, "local %s dev %s table local proto kernel scope host src %s\n", own, cl.tunnelDev(), own)
	for _, v := range cl.vips {
		fmt.Fprintf(&b, "local %s dev kube-ipvs0 table local proto kernel scope host src %s\n", ip4(v), ip4(v))
	}
	b.WriteString("local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1\n" +
		"local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1\n" +
		"broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1\n")
	return b.Bytes()
}

func (nb *nodeBundle) ipNeigh() []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s dev eth0 lladdr 52:54:00:00:00:01 REACHABLE\n", ip4(gateway))
	for _, p := range cl.capturePeers(i) {
		fmt.Fprintf(&b, "%s dev eth0 lladdr %s REACHABLE\n", ip4(cl.nodeIP(p)), cl.mac(p))
	}
	if cl.c.Encap == "vxlan" {
		// felix programs a permanent entry per peer's VTEP.
		for p := 0; p < cl.c.Nodes; p++ {
			if p != i {
				fmt.Fprintf(&b, "%s dev vxlan.calico lladdr %s PERMANENT\n", ip4(cl.block(p)), cl.vxlanMAC(p))
			}
		}
	}
	for n, k := range cl.pods(i) {
		if n%3 == 0 {
			fmt.Fprintf(&b, "%s dev %s lladdr 0a:58:%02x:%02x:%02x:%02x STALE\n", ip4(cl.podIP(i, k)), caliName(i, k), 10, 64, i&0xff, k)
		}
	}
	return b.Bytes()
}

func (nb *nodeBundle) bridgeFDB() []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	b.WriteString("33:33:00:00:00:01 dev eth0 self permanent\n01:00:5e:00:00:01 dev eth0 self permanent\n33:33:ff:8a:11:20 dev eth0 self permanent\n")
	if cl.c.Encap == "vxlan" {
		for p := 0; p < cl.c.Nodes; p++ {
			if p != i {
				fmt.Fprintf(&b, "%s dev vxlan.calico dst %s self permanent\n", cl.vxlanMAC(p), ip4(cl.nodeIP(p)))
			}
		}
	}
	return b.Bytes()
}

// routeGet is what collect asks `ip route get` for, in its order and up to
// its bound (bundle.MaxRouteGets): the DNS Service IP, every CoreDNS pod,
// then peer nodes.
func (nb *nodeBundle) routeGet() []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	self := ip4(cl.nodeIP(i))
	fmt.Fprintf(&b, "# ip route get %s\nlocal %s dev lo table local src %s uid 0\n    cache <local>\n", dnsVIP, dnsVIP, dnsVIP)
	n := 1
	for _, c := range cl.coreDNS {
		pod := ip4(cl.podIP(c, corePodK))
		n++
		if c == i {
			fmt.Fprintf(&b, "# ip route get %s\n%s dev %s src %s uid 0\n    cache\n", pod, pod, caliName(i, corePodK), self)
			continue
		}
		fmt.Fprintf(&b, "# ip route get %s\n%s via %s dev %s src %s uid 0\n    cache\n", pod, pod, ip4(nb.nextHop(c)), cl.tunnelDev(), ip4(cl.block(i)))
	}
	for p := 0; p < cl.c.Nodes && n < bundle.MaxRouteGets; p++ {
		if p != i {
			n++
			fmt.Fprintf(&b, "# ip route get %s\n%s dev eth0 src %s uid 0\n    cache\n", ip4(cl.nodeIP(p)), ip4(cl.nodeIP(p)), self)
		}
	}
	return b.Bytes()
}

// iptables is `iptables-save -c` of an IPVS-mode kube-proxy and felix: the
// kube-proxy chains match ipsets, felix has a pair of chains per workload
// endpoint and a dispatch entry for each. after > 0 raises the counters.
func (nb *nodeBundle) iptables(after int) []byte {
	cl, i := nb.cl, nb.i
	cnt := func(salt, k int) string {
		h := hash("ipt", salt*1000+k, i)
		p := h%900000 + uint64(after)*(h%97)
		return fmt.Sprintf("[%d:%d]", p, p*(60+h%900))
	}
	var b bytes.Buffer
	stamp := "Wed May  1 10:00:00 2024"
	pods := cl.pods(i)
	b.WriteString("# Generated by iptables-save v1.8.7 on " + stamp + "\n*mangle\n")
	for n, c := range []string{"PREROUTING ACCEPT", "INPUT ACCEPT", "FORWARD ACCEPT", "OUTPUT ACCEPT", "POSTROUTING ACCEPT"} {
		fmt.Fprintf(&b, ":%s %s\n", c, cnt(1, n))
	}
	b.WriteString(":KUBE-IPTABLES-HINT - [0:0]\n:KUBE-KUBELET-CANARY - [0:0]\n:KUBE-PROXY-CANARY - [0:0]\n:cali-PREROUTING - [0:0]\n:cali-from-host-endpoint - [0:0]\n")
	fmt.Fprintf(&b, "%s -A PREROUTING -m comment --comment \"cali:6gwbT8clXdHdC1b1\" -j cali-PREROUTING\n", cnt(2, 0))
	fmt.Fprintf(&b, "%s -A cali-PREROUTING -m comment --comment \"cali:6BJqBjBC7crtA-7-\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n", cnt(2, 1))
	fmt.Fprintf(&b, "%s -A cali-PREROUTING -m comment --comment \"cali:KX7AGNd6rMcDUai6\" -m mark --mark 0x10000/0x10000 -j ACCEPT\n", cnt(2, 2))
	fmt.Fprintf(&b, "%s -A cali-PREROUTING -m comment --comment \"cali:wNH7KsA3ILKJBsY9\" -j cali-from-host-endpoint\n", cnt(2, 3))
	b.WriteString("COMMIT\n# Completed on " + stamp + "\n")

	b.WriteString("# Generated by iptables-save v1.8.7 on " + stamp + "\n*nat\n")
	for n, c := range []string{"PREROUTING ACCEPT", "INPUT ACCEPT", "OUTPUT ACCEPT", "POSTROUTING ACCEPT"} {
		fmt.Fprintf(&b, ":%s %s\n", c, cnt(3, n))
	}
	b.WriteString(":KUBE-KUBELET-CANARY - [0:0]\n:KUBE-LOAD-BALANCER - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-PROXY-CANARY - [0:0]\n:KUBE-SERVICES - [0:0]\n:cali-OUTPUT - [0:0]\n:cali-POSTROUTING - [0:0]\n:cali-PREROUTING - [0:0]\n:cali-fip-dnat - [0:0]\n:cali-fip-snat - [0:0]\n:cali-nat-outgoing - [0:0]\n")
	for n, r := range []string{
		`-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING`,
		`-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
		`-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT`,
		`-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
		`-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING`,
		`-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING`,
		`-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ`,
		`-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000`,
		`-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ`,
		`-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE`,
		`-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN`,
		`-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0`,
		`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
		`-A KUBE-SERVICES ! -s ` + poolCIDR + ` -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ`,
		`-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT`,
		`-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT`,
		`-A cali-OUTPUT -m comment --comment "cali:GBTAv2p5CwevEyJm" -j cali-fip-dnat`,
		`-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat`,
		`-A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing`,
		`-A cali-POSTROUTING -o ` + cl.tunnelDev() + ` -m comment --comment "cali:SXWvdsbh4Mw7wOln" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully`,
		`-A cali-PREROUTING -m comment --comment "cali:r6XmIziWUJsdOK6Z" -j cali-fip-dnat`,
		`-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully`,
	} {
		fmt.Fprintf(&b, "%s %s\n", cnt(4, n), r)
	}
	b.WriteString("COMMIT\n# Completed on " + stamp + "\n")

	b.WriteString("# Generated by iptables-save v1.8.7 on " + stamp + "\n*filter\n")
	for n, c := range []string{"INPUT ACCEPT", "FORWARD ACCEPT", "OUTPUT ACCEPT"} {
		fmt.Fprintf(&b, ":%s %s\n", c, cnt(5, n))
	}
	b.WriteString(":KUBE-FIREWALL - [0:0]\n:KUBE-FORWARD - [0:0]\n:KUBE-KUBELET-CANARY - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-PROXY-CANARY - [0:0]\n" +
		":cali-FORWARD - [0:0]\n:cali-INPUT - [0:0]\n:cali-OUTPUT - [0:0]\n:cali-cidr-block - [0:0]\n:cali-forward-check - [0:0]\n:cali-forward-endpoint-mark - [0:0]\n" +
		":cali-from-endpoint-mark - [0:0]\n:cali-from-hep-forward - [0:0]\n:cali-from-host-endpoint - [0:0]\n:cali-from-wl-dispatch - [0:0]\n" +
		":cali-to-hep-forward - [0:0]\n:cali-to-host-endpoint - [0:0]\n:cali-to-wl-dispatch - [0:0]\n:cali-wl-to-host - [0:0]\n")
	for _, k := range pods {
		suf := caliName(i, k)[4:]
		fmt.Fprintf(&b, ":cali-fw-cali%s - [0:0]\n:cali-tw-cali%s - [0:0]\n:cali-pri-_%s - [0:0]\n:cali-pro-_%s - [0:0]\n", suf, suf, suf[:9], suf[:9])
	}
	n := 0
	rule := func(r string) {
		fmt.Fprintf(&b, "%s %s\n", cnt(6, n), r)
		n++
	}
	for _, r := range []string{
		`-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT`,
		`-A INPUT -j KUBE-FIREWALL`,
		`-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD`,
		`-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD`,
		`-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT`,
		`-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000`,
		`-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT`,
		`-A OUTPUT -j KUBE-FIREWALL`,
		`-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
		`-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP`,
		`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT`,
		`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
		`-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT`,
		`-A cali-FORWARD -m comment --comment "cali:vjrMJCRpqwy5oRoX" -j MARK --set-xmark 0x0/0xe0000`,
		`-A cali-FORWARD -m comment --comment "cali:A_sPAO0mcxbT9mOV" -m mark --mark 0x0/0x10000 -j cali-from-hep-forward`,
		`-A cali-FORWARD -i cali+ -m comment --comment "cali:8ZoYfO5HKXWbB3pk" -j cali-from-wl-dispatch`,
		`-A cali-FORWARD -o cali+ -m comment --comment "cali:jdEuaPBe14V2hutn" -j cali-to-wl-dispatch`,
		`-A cali-FORWARD -m comment --comment "cali:12bc6HljsMKsmfr-" -j cali-to-hep-forward`,
		`-A cali-FORWARD -m comment --comment "cali:NOSxoaGx8OIstr1z" -j cali-cidr-block`,
	} {
		rule(r)
	}
	if cl.c.Encap == "ipip" {
		rule(`-A cali-INPUT -p ipencap -m comment --comment "cali:PajejrV4aFdkZojI" -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT`)
		fmt.Fprintf(&b, "[0:0] -A cali-INPUT -p ipencap -m comment --comment \"cali:_wjq-Yrma8Ly1Svo\" -m comment --comment \"Drop IPIP packets from non-Calico hosts\" -j DROP\n")
	} else {
		rule(`-A cali-INPUT -p udp -m comment --comment "cali:J76FwxInZIsk7uKY" -m comment --comment "Allow VXLAN packets from trusted hosts" -m set --match-set cali40all-vxlan-net src -m udp --dport 4789 -m addrtype --dst-type LOCAL -j ACCEPT`)
		fmt.Fprintf(&b, "[0:0] -A cali-INPUT -p udp -m comment --comment \"cali:4cgmbdWsLmozYhJh\" -m comment --comment \"Drop VXLAN packets from non-allowed hosts\" -m udp --dport 4789 -m addrtype --dst-type LOCAL -j DROP\n")
	}
	for _, r := range []string{
		`-A cali-INPUT -m comment --comment "cali:ss8lEMQsXi-s6qYT" -j MARK --set-xmark 0x0/0xfff00000`,
		`-A cali-INPUT -m comment --comment "cali:PgIW-V0nEjwPhF_8" -j cali-forward-check`,
		`-A cali-INPUT -m comment --comment "cali:QMJlDwlS0OjHyfMN" -m mark ! --mark 0x0/0xfff00000 -j RETURN`,
		`-A cali-INPUT -i cali+ -m comment --comment "cali:nDRe73txrna-aqMs" -g cali-wl-to-host`,
		`-A cali-INPUT -m comment --comment "cali:iX2AYvqGXaVqwkro" -m mark --mark 0x10000/0x10000 -j ACCEPT`,
		`-A cali-INPUT -m comment --comment "cali:bhpnxD5IRtBP8KW0" -j MARK --set-xmark 0x0/0xf0000`,
		`-A cali-INPUT -m comment --comment "cali:H5_bccAbHV0sooVy" -j cali-from-host-endpoint`,
		`-A cali-INPUT -m comment --comment "cali:inBL01YlfurT0dbI" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT`,
		`-A cali-OUTPUT -m comment --comment "cali:Mq1_rAdXXH3YkrzW" -m mark --mark 0x10000/0x10000 -j ACCEPT`,
		`-A cali-OUTPUT -o cali+ -m comment --comment "cali:69FkRTJDvD5Vu6Vl" -j RETURN`,
		`-A cali-forward-check -m comment --comment "cali:Pbldlb4FaULvpdD8" -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
		`-A cali-forward-check -p tcp -m comment --comment "cali:ZD-6UxuUtGW-xtzg" -m comment --comment "To kubernetes NodePort service" -m multiport --dports 30000:32767 -m set --match-set cali40this-host dst -g cali-set-endpoint-mark`,
		`-A cali-forward-check -m comment --comment "cali:5z_OBKPSMHTCbeso" -m comment --comment "To kubernetes service" -m set ! --match-set cali40this-host dst -j cali-set-endpoint-mark`,
		`-A cali-wl-to-host -m comment --comment "cali:Ee9Sbo10IpVujdIY" -j cali-from-wl-dispatch`,
		`-A cali-wl-to-host -m comment --comment "cali:nSZbcOoG1xPONxb8" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT`,
	} {
		rule(r)
	}
	// Dispatch: one jump per workload interface each way, then the endpoint
	// chains with their policy and profile jumps.
	for _, k := range pods {
		c := caliName(i, k)
		rule(fmt.Sprintf(`-A cali-from-wl-dispatch -i %s -m comment --comment "cali:%s" -g cali-fw-%s`, c, cmt(i, k, 1), c))
	}
	fmt.Fprintf(&b, "[0:0] -A cali-from-wl-dispatch -m comment --comment \"cali:zTj6P0TIgYvgz-md\" -m comment --comment \"Unknown interface\" -j DROP\n")
	for _, k := range pods {
		c := caliName(i, k)
		rule(fmt.Sprintf(`-A cali-to-wl-dispatch -o %s -m comment --comment "cali:%s" -g cali-tw-%s`, c, cmt(i, k, 2), c))
	}
	fmt.Fprintf(&b, "[0:0] -A cali-to-wl-dispatch -m comment --comment \"cali:7KNphB1nNHw80nIO\" -m comment --comment \"Unknown interface\" -j DROP\n")
	for _, k := range pods {
		c, suf := caliName(i, k), caliName(i, k)[4:]
		for _, dir := range []struct{ ch, pol, prof string }{{"fw", "po", "pro"}, {"tw", "pi", "pri"}} {
			ch := "cali-" + dir.ch + "-" + c
			rule(fmt.Sprintf(`-A %s -m comment --comment "cali:%s" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, ch, cmt(i, k, 3)))
			rule(fmt.Sprintf(`-A %s -m comment --comment "cali:%s" -m conntrack --ctstate INVALID -j DROP`, ch, cmt(i, k, 4)))
			rule(fmt.Sprintf(`-A %s -m comment --comment "cali:%s" -j MARK --set-xmark 0x0/0x10000`, ch, cmt(i, k, 5)))
			if dir.ch == "fw" {
				rule(fmt.Sprintf(`-A %s -p udp -m comment --comment "cali:%s" -m comment --comment "Drop VXLAN encapped packets originating in workloads" -m multiport --dports 4789 -j DROP`, ch, cmt(i, k, 6)))
				rule(fmt.Sprintf(`-A %s -p ipencap -m comment --comment "cali:%s" -m comment --comment "Drop IPinIP encapped packets originating in workloads" -j DROP`, ch, cmt(i, k, 7)))
			}
			rule(fmt.Sprintf(`-A %s -m comment --comment "cali:%s" -j cali-%s-_%s`, ch, cmt(i, k, 8), dir.prof, suf[:9]))
			rule(fmt.Sprintf(`-A %s -m comment --comment "cali:%s" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`, ch, cmt(i, k, 9)))
			fmt.Fprintf(&b, "[0:0] -A %s -m comment --comment \"cali:%s\" -m comment --comment \"Drop if no profiles matched\" -j DROP\n", ch, cmt(i, k, 10))
		}
		rule(fmt.Sprintf(`-A cali-pri-_%s -m comment --comment "cali:%s" -m comment --comment "Profile ksa.default.default ingress" -j MARK --set-xmark 0x10000/0x10000`, suf[:9], cmt(i, k, 11)))
		rule(fmt.Sprintf(`-A cali-pro-_%s -m comment --comment "cali:%s" -m comment --comment "Profile ksa.default.default egress" -j MARK --set-xmark 0x10000/0x10000`, suf[:9], cmt(i, k, 12)))
	}
	b.WriteString("COMMIT\n# Completed on " + stamp + "\n")

	b.WriteString("# Generated by iptables-save v1.8.7 on " + stamp + "\n*raw\n")
	for n, c := range []string{"PREROUTING ACCEPT", "OUTPUT ACCEPT"} {
		fmt.Fprintf(&b, ":%s %s\n", c, cnt(7, n))
	}
	b.WriteString(":cali-OUTPUT - [0:0]\n:cali-PREROUTING - [0:0]\n:cali-from-host-endpoint - [0:0]\n:cali-rpf-skip - [0:0]\n:cali-to-host-endpoint - [0:0]\n")
	for n, r := range []string{
		`-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING`,
		`-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT`,
		`-A cali-OUTPUT -m comment --comment "cali:njdnLwYeGqBJyMxW" -j MARK --set-xmark 0x0/0xf0000`,
		`-A cali-OUTPUT -m comment --comment "cali:rz86uTUcEZAfFsh7" -j cali-to-host-endpoint`,
		`-A cali-OUTPUT -m comment --comment "cali:pN0F5zD0b8yf9W1Z" -m mark --mark 0x10000/0x10000 -j ACCEPT`,
		`-A cali-PREROUTING -m comment --comment "cali:XFX5xbM8B9qR10JG" -j MARK --set-xmark 0x0/0xf0000`,
		`-A cali-PREROUTING -i cali+ -m comment --comment "cali:EWMPb0zVROM-woQp" -j MARK --set-xmark 0x40000/0x40000`,
		`-A cali-PREROUTING -m comment --comment "cali:PWuxTAIaFCtsg5Qa" -m mark --mark 0x40000/0x40000 -j cali-rpf-skip`,
		`-A cali-PREROUTING -m comment --comment "cali:fSSbGND7dgyemWU7" -m mark --mark 0x40000/0x40000 -m rpfilter --validmark --invert -j DROP`,
		`-A cali-PREROUTING -m comment --comment "cali:ImU0-4Rl2WoOI9Ou" -m mark --mark 0x0/0x40000 -j cali-from-host-endpoint`,
		`-A cali-PREROUTING -m comment --comment "cali:lV4V2MPoMBf0hl9T" -m mark --mark 0x10000/0x10000 -j ACCEPT`,
	} {
		fmt.Fprintf(&b, "%s %s\n", cnt(8, n), r)
	}
	b.WriteString("COMMIT\n# Completed on " + stamp + "\n")
	return b.Bytes()
}

// cmt is a felix rule hash ("cali:XXXXXXXXXXXXXXXX"): 16 characters of base64.
func cmt(i, k, salt int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	h := hash("cmt", i*100+k, salt)
	var s [16]byte
	for j := range s {
		s[j] = alpha[h&63]
		h = h>>6 | h<<58
		if j == 9 {
			h ^= 0x9e3779b97f4a7c15
		}
	}
	return string(s[:])
}

// ipsets is `ipset list`: Calico's sets (every node's address in
// cali40all-hosts-net) and kube-proxy's (every ClusterIP and port).
func (nb *nodeBundle) ipsets() []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	set := func(name, typ string, refs int, members []string) {
		fmt.Fprintf(&b, "Name: %s\nType: %s\nRevision: 7\nHeader: family inet hashsize %d maxelem 1048576 bucketsize 12 initval 0x%08x\nSize in memory: %d\nReferences: %d\nNumber of entries: %d\nMembers:\n",
			name, typ, max(1024, 1<<bitsFor(len(members))), uint32(hash(name, i, 0)), 400+len(members)*40, refs, len(members))
		for _, m := range members {
			b.WriteString(m + "\n")
		}
		b.WriteString("\n")
	}
	set("cali40masq-ipam-pools", "hash:net", 1, []string{poolCIDR})
	set("cali40all-ipam-pools", "hash:net", 1, []string{poolCIDR})
	hosts := make([]string, cl.c.Nodes)
	for p := range hosts {
		hosts[p] = ip4(cl.nodeIP(p))
	}
	if cl.c.Encap == "ipip" {
		set("cali40all-hosts-net", "hash:net", 2, hosts)
	} else {
		set("cali40all-vxlan-net", "hash:net", 1, hosts)
	}
	set("cali40this-host", "hash:ip", 2, []string{"127.0.0.1", ip4(cl.nodeIP(i)), "127.0.0.0", ip4(cl.block(i))})
	var cip []string
	for _, s := range nb.cl.svcs {
		proto := "tcp"
		if s.Protocol == 17 {
			proto = "udp"
		}
		cip = append(cip, fmt.Sprintf("%s,%s:%d", s.Addr, proto, s.Port))
	}
	set("KUBE-CLUSTER-IP", "hash:ip,port", 2, cip)
	set("KUBE-LOOP-BACK", "hash:ip,port,ip", 1, nil)
	set("KUBE-NODE-PORT-TCP", "bitmap:port", 1, nil)
	set("KUBE-HEALTH-CHECK-NODE-PORT", "bitmap:port", 1, nil)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func bitsFor(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	return b
}

func (nb *nodeBundle) conntrack(after int) []byte {
	var b bytes.Buffer
	for cpu := 0; cpu < 4; cpu++ {
		h := hash("ct", nb.i, cpu)
		fmt.Fprintf(&b, "cpu=%-7d found=%d invalid=%d insert=0 insert_failed=0 drop=0 early_drop=0 error=%d search_restart=%d clash_resolve=%d chaintoolong=0\n",
			cpu, h%40, h%900+uint64(after)*3, h%3, h%5000+uint64(after), h%11)
	}
	return b.Bytes()
}

func (nb *nodeBundle) calicoEnv() []byte {
	cl, i := nb.cl, nb.i
	ipip, vx, backend := "Always", "Never", "bird"
	if cl.c.Encap == "vxlan" {
		ipip, vx, backend = "Never", "Always", "vxlan"
	}
	return []byte("DATASTORE_TYPE=kubernetes\nWAIT_FOR_DATASTORE=true\nNODENAME=" + cl.names[i] + "\n" +
		"CALICO_NETWORKING_BACKEND=" + backend + "\nCLUSTER_TYPE=k8s,bgp\nIP=autodetect\n" +
		"IP_AUTODETECTION_METHOD=kubernetes-internal-ip\nCALICO_IPV4POOL_IPIP=" + ipip + "\nCALICO_IPV4POOL_VXLAN=" + vx + "\n" +
		"FELIX_IPINIPMTU=1480\nFELIX_VXLANMTU=1450\nFELIX_WIREGUARDMTU=1440\nCALICO_IPV4POOL_CIDR=" + poolCIDR + "\n" +
		"CALICO_IPV4POOL_BLOCK_SIZE=26\nCALICO_DISABLE_FILE_LOGGING=true\nFELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT\n" +
		"FELIX_IPV6SUPPORT=false\nFELIX_HEALTHENABLED=true\nKUBERNETES_SERVICE_HOST=10.96.0.1\nKUBERNETES_SERVICE_PORT=443\n")
}

// bird is `birdcl show protocols` of a full BGP mesh: a session per peer.
func (nb *nodeBundle) bird() []byte {
	cl, i := nb.cl, nb.i
	var b bytes.Buffer
	b.WriteString("BIRD 1.6.8 ready.\nname     proto    table    state  since       info\n" +
		"static1  Static   master   up     2024-04-02\nkernel1  Kernel   master   up     2024-04-02\n" +
		"device1  Device   master   up     2024-04-02\ndirect1  Direct   master   up     2024-04-02\n")
	for p := 0; p < cl.c.Nodes; p++ {
		if p != i {
			fmt.Fprintf(&b, "Mesh_%s BGP      master   up     2024-04-02  Established\n", strings.ReplaceAll(ip4(cl.nodeIP(p)), ".", "_"))
		}
	}
	return b.Bytes()
}

func (nb *nodeBundle) calicoLog() []byte {
	cl, i := nb.cl, nb.i
	self := ip4(cl.nodeIP(i))
	var b bytes.Buffer
	fmt.Fprintf(&b, "2024-04-02 08:11:02.114 [INFO][9] startup/startup.go 432: Early log level set to info\n"+
		"2024-04-02 08:11:02.118 [INFO][9] startup/utils.go 126: Using NODENAME environment for node name %s\n"+
		"2024-04-02 08:11:02.301 [INFO][9] startup/autodetection_methods.go 103: Using autodetected IPv4 address %s/16, detected by kubernetes-internal-ip\n"+
		"2024-04-02 08:11:02.302 [INFO][9] startup/startup.go 622: Node IPv4 changed, will check for conflicts\n"+
		"2024-04-02 08:11:03.551 [INFO][67] felix/int_dataplane.go 1121: Registering to report health.\n", cl.names[i], self)
	for k := 0; k < 40; k++ {
		fmt.Fprintf(&b, "2024-05-01 09:%02d:%02d.%03d [INFO][67] felix/summary.go 100: Summarising 11 dataplane reconciliation loops over 1m2.3s: avg=%dms longest=%dms (resync-nat-v4)\n",
			20+k, k%60, (k*37)%1000, 3+k%5, 20+k%17)
	}
	return b.Bytes()
}

func (nb *nodeBundle) kubeProxyLog() []byte {
	return []byte("I0402 08:10:41.120343       1 server_others.go:218] \"Using ipvs Proxier\"\n" +
		"I0402 08:10:41.121002       1 proxier.go:371] \"IPVS scheduler not specified, use rr by default\"\n" +
		"I0402 08:10:41.122811       1 server.go:846] \"Version info\" version=\"v1.28.6\"\n" +
		"I0402 08:10:41.131115       1 config.go:188] \"Starting service config controller\"\n" +
		"I0402 08:10:41.131140       1 config.go:97] \"Starting endpoint slice config controller\"\n" +
		"I0402 08:10:41.231871       1 shared_informer.go:318] Caches are synced for service config\n" +
		"I0402 08:10:41.231904       1 shared_informer.go:318] Caches are synced for endpoint slice config\n")
}

func ethtoolK(ifc string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Features for %s:\n", ifc)
	for _, l := range ethtoolFeatures {
		if ifc != "eth0" {
			// Virtual devices: most offloads fixed.
			l = strings.Replace(l, ": on", ": off", 1)
			if !strings.HasSuffix(l, "[fixed]") {
				l += " [fixed]"
			}
			if strings.HasPrefix(strings.TrimSpace(l), "generic-") || strings.Contains(l, "tx-checksum-ip-generic") {
				l = strings.Replace(strings.TrimSuffix(l, " [fixed]"), ": off", ": on", 1)
			}
		}
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

func ethtoolS(after int) []byte {
	var b bytes.Buffer
	b.WriteString("NIC statistics:\n")
	for q := 0; q < 2; q++ {
		base := uint64(98765432 + q*1000 + after*4321)
		fmt.Fprintf(&b, "     rx_queue_%d_packets: %d\n     rx_queue_%d_bytes: %d\n     rx_queue_%d_drops: 0\n     rx_queue_%d_xdp_packets: 0\n",
			q, base, q, base*700, q, q)
		fmt.Fprintf(&b, "     tx_queue_%d_packets: %d\n     tx_queue_%d_bytes: %d\n     tx_queue_%d_xdp_tx: 0\n     tx_queue_%d_kicks: %d\n",
			q, base-1234, q, base*650, q, q, base/9)
	}
	return b.Bytes()
}

func procSNMP(after int) []byte {
	a := uint64(after) * 1000
	return []byte(fmt.Sprintf("Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates\n"+
		"Ip: 1 64 %d 0 0 %d 0 0 %d %d 12 0 0 0 0 0 0 0 0\n"+
		"Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n"+
		"Icmp: 1203 0 0 1190 0 0 0 0 13 0 0 0 0 0 1220 0 1207 0 0 0 0 0 13 0 0 0 0\n"+
		"IcmpMsg: InType3 InType8 OutType0 OutType3\nIcmpMsg: 1190 13 13 1207\n"+
		"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"+
		"Tcp: 1 200 120000 -1 %d 88122 1032 4021 87 %d %d 1203 0 5113 0\n"+
		"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"+
		"Udp: %d 1207 0 %d 0 0 0 0 0\n"+
		"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"+
		"UdpLite: 0 0 0 0 0 0 0 0 0\n",
		81234567+a, 40123456+a, 41011111+a, 39876543+a, 912345+a/10, 20123456+a, 19876543+a, 3456789+a, 3456001+a))
}

var sysctlCore = []string{
	"net.core.bpf_jit_enable = 1", "net.core.busy_poll = 0", "net.core.busy_read = 0", "net.core.default_qdisc = fq_codel",
	"net.core.dev_weight = 64", "net.core.netdev_budget = 300", "net.core.netdev_budget_usecs = 2000",
	"net.core.netdev_max_backlog = 1000", "net.core.optmem_max = 20480", "net.core.rmem_default = 212992",
	"net.core.rmem_max = 212992", "net.core.somaxconn = 4096", "net.core.wmem_default = 212992", "net.core.wmem_max = 212992",
	"net.ipv4.icmp_echo_ignore_all = 0", "net.ipv4.icmp_ratelimit = 1000", "net.ipv4.ip_default_ttl = 64",
	"net.ipv4.ip_forward = 1", "net.ipv4.ip_local_port_range = 32768\t60999", "net.ipv4.ip_no_pmtu_disc = 0",
	"net.ipv4.ip_nonlocal_bind = 0", "net.ipv4.neigh.default.gc_thresh1 = 128", "net.ipv4.neigh.default.gc_thresh2 = 512",
	"net.ipv4.neigh.default.gc_thresh3 = 1024", "net.ipv4.tcp_congestion_control = cubic", "net.ipv4.tcp_fin_timeout = 60",
	"net.ipv4.tcp_keepalive_time = 7200", "net.ipv4.tcp_max_syn_backlog = 1024", "net.ipv4.tcp_mtu_probing = 0",
	"net.ipv4.tcp_rmem = 4096\t131072\t6291456", "net.ipv4.tcp_syncookies = 1", "net.ipv4.tcp_tw_reuse = 2",
	"net.ipv4.tcp_wmem = 4096\t16384\t4194304", "net.ipv4.udp_mem = 763788\t1018387\t1527576",
}

var sysctlConf = []string{
	"accept_local = 0", "accept_redirects = 1", "accept_source_route = 0", "arp_accept = 0", "arp_announce = 0",
	"arp_filter = 0", "arp_ignore = 0", "arp_notify = 0", "bootp_relay = 0", "disable_policy = 0", "disable_xfrm = 0",
	"drop_gratuitous_arp = 0", "drop_unicast_in_l2_multicast = 0", "forwarding = 1", "log_martians = 0", "mc_forwarding = 0",
	"medium_id = 0", "promote_secondaries = 1", "proxy_arp = 0", "proxy_arp_pvlan = 0", "route_localnet = 0",
	"rp_filter = 1", "secure_redirects = 1", "send_redirects = 1", "shared_media = 1", "src_valid_mark = 0", "tag = 0",
}

var sysctlTail = []string{
	"net.ipv4.vs.am_droprate = 10", "net.ipv4.vs.conn_reuse_mode = 0", "net.ipv4.vs.conntrack = 1",
	"net.ipv4.vs.expire_nodest_conn = 1", "net.ipv4.vs.expire_quiescent_template = 1", "net.ipv4.vs.sloppy_tcp = 0",
	"net.netfilter.nf_conntrack_buckets = 65536", "net.netfilter.nf_conntrack_count = 4211", "net.netfilter.nf_conntrack_max = 262144",
	"net.netfilter.nf_conntrack_tcp_be_liberal = 0", "net.netfilter.nf_conntrack_tcp_timeout_established = 86400",
	"net.netfilter.nf_conntrack_udp_timeout = 30", "net.netfilter.nf_conntrack_udp_timeout_stream = 120",
}

var ethtoolFeatures = []string{
	"rx-checksumming: on [fixed]", "tx-checksumming: on", "\ttx-checksum-ipv4: off [fixed]", "\ttx-checksum-ip-generic: on",
	"\ttx-checksum-ipv6: off [fixed]", "\ttx-checksum-fcoe-crc: off [fixed]", "\ttx-checksum-sctp: off [fixed]",
	"scatter-gather: on", "\ttx-scatter-gather: on", "\ttx-scatter-gather-fraglist: off [fixed]",
	"tcp-segmentation-offload: on", "\ttx-tcp-segmentation: on", "\ttx-tcp-ecn-segmentation: on", "\ttx-tcp-mangleid-segmentation: off",
	"\ttx-tcp6-segmentation: on", "generic-segmentation-offload: on", "generic-receive-offload: on", "large-receive-offload: off [fixed]",
	"rx-vlan-offload: off [fixed]", "tx-vlan-offload: off [fixed]", "ntuple-filters: off [fixed]", "receive-hashing: off [fixed]",
	"highdma: on [fixed]", "rx-vlan-filter: on [fixed]", "vlan-challenged: off [fixed]", "tx-lockless: off [fixed]",
	"netns-local: off [fixed]", "tx-gso-robust: on [fixed]", "tx-fcoe-segmentation: off [fixed]", "tx-gre-segmentation: off [fixed]",
	"tx-gre-csum-segmentation: off [fixed]", "tx-ipxip4-segmentation: off [fixed]", "tx-ipxip6-segmentation: off [fixed]",
	"tx-udp_tnl-segmentation: off [fixed]", "tx-udp_tnl-csum-segmentation: off [fixed]", "tx-gso-partial: off [fixed]",
	"tx-tunnel-remcsum-segmentation: off [fixed]", "tx-sctp-segmentation: off [fixed]", "tx-esp-segmentation: off [fixed]",
	"tx-udp-segmentation: off [fixed]", "tx-gso-list: off [fixed]", "fcoe-mtu: off [fixed]", "tx-nocache-copy: off",
	"loopback: off [fixed]", "rx-fcs: off [fixed]", "rx-all: off [fixed]", "tx-vlan-stag-hw-insert: off [fixed]",
	"rx-vlan-stag-hw-parse: off [fixed]", "rx-vlan-stag-filter: off [fixed]", "l2-fwd-offload: off [fixed]",
	"hw-tc-offload: off [fixed]", "esp-hw-offload: off [fixed]", "esp-tx-csum-hw-offload: off [fixed]",
	"rx-udp_tunnel-port-offload: off [fixed]", "tls-hw-tx-offload: off [fixed]", "tls-hw-rx-offload: off [fixed]",
	"rx-gro-hw: off [fixed]", "tls-hw-record: off [fixed]", "rx-gro-list: off", "macsec-hw-offload: off [fixed]",
	"rx-udp-gro-forwarding: off", "hsr-tag-ins-offload: off [fixed]", "hsr-tag-rm-offload: off [fixed]",
	"hsr-fwd-offload: off [fixed]", "hsr-dup-offload: off [fixed]",
}

const osRelease = `PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
`

var procConntrack = []byte("entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n" +
	"00001073  00000002 00000000 00000000 0000012a 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 000003e1\n" +
	"00001073  00000001 00000000 00000000 000000f3 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 000003a2\n")

const dmesg = `[Tue Apr  2 08:09:58 2024] Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 (Ubuntu 5.15.0-91.101-generic 5.15.131)
[Tue Apr  2 08:09:58 2024] Command line: BOOT_IMAGE=/vmlinuz-5.15.0-91-generic root=/dev/vda1 ro console=ttyS0
[Tue Apr  2 08:10:02 2024] virtio_net virtio0 enp0s3: renamed from eth0
[Tue Apr  2 08:10:31 2024] IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)
[Tue Apr  2 08:10:31 2024] IPVS: Connection hash table configured (size=4096, memory=64Kbytes)
[Tue Apr  2 08:10:31 2024] IPVS: ipvs loaded.
[Tue Apr  2 08:10:31 2024] IPVS: [rr] scheduler registered.
[Tue Apr  2 08:10:40 2024] ipip: IPv4 and MPLS over IPv4 tunneling driver
[Tue Apr  2 08:10:44 2024] IPv6: ADDRCONF(NETDEV_CHANGE): cali7a1e0c44b9f: link becomes ready
[Tue Apr  2 08:10:52 2024] Initializing XFRM netlink socket
`

const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: unix:///var/run/containerd/containerd.sock
kind: KubeletConfiguration
maxPods: 110
resolvConf: /run/systemd/resolve/resolv.conf
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
`

const procNetstat = "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops\n" +
	"TcpExt: 0 0 0 12 0 0 0 0 0 0 81234 0 0 0 0 412345 12 1203 0 0\n" +
	"IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps\n" +
	"IpExt: 0 0 12 4 1203 0 81234567890 71234567890 1440 560 120300 0 0 81234567 0 0 0 0\n"
