package lab

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// labNode is one node of the lab cluster.
type labNode struct {
	name    string // Kubernetes node name and UTS hostname
	ns      string // network namespace
	uplink  string // address on eth0
	gw      string
	block   string // the node's /26 pod block
	vtep    string // vxlan.calico's address, the first of the block
	mac     string // vxlan.calico's MAC
	sendIP  string // vxlan.calico's local address (uplink unless a case moves it)
	knownIP string // the address peers know the node by (FDB, node object, felix allowlist)
	anchor  *exec.Cmd
	pid     int // the calico-node process (PID 1 of the node's PID namespace)
	env     []string
	etc     string // files overlaid on the node's /etc
}

// pod is one pod: a network namespace on a cali* veth of a node.
type pod struct {
	name, ns, node, ip, cali string
}

// cluster is one case's lab: three nodes, a router between their two subnets,
// two pods and a stand-in API server.
type cluster struct {
	t      *testing.T
	id     string // pnd-lab-PID-N, the prefix of every name
	dir    string
	router string
	nodes  []*labNode
	client *pod // on node-a, in namespace clientNS
	dnsPod *pod // CoreDNS, on node-c
	api    *apiServer
	dnsIP  string // the DNS Service IP
	dnsSvc string // the DNS Service's name
	spec   spec
	mu     sync.Mutex
	undo   []func()
}

// spec is what a case changes before the cluster is built.
type spec struct {
	dnsIP, dnsSvc string
	// secondUplink gives node-c eth1 on 192.168.30.0/24 through the router.
	secondUplink bool
	// nodeCKnownOnSecond: peers know node-c by its eth1 address (FDB, node
	// object, allowlist) and the router reaches node-c's eth1 network only.
	nodeCKnownOnSecond bool
	// nodeCSendsFromSecond: node-c's vxlan.calico sends from eth1 (autodetected
	// by can-reach=) and its route to the other subnet leaves through eth1.
	nodeCSendsFromSecond bool
	// netpols are the NetworkPolicies the API serves (networking.k8s.io/v1),
	// calicoGlobal the Calico GlobalNetworkPolicies; felix's rules for them
	// are the case's to program (felixPolicy), as felix would from them.
	netpols, calicoGlobal []obj
	// felixNFT: felix runs its nftables dataplane (FELIX_NFTABLESMODE=Enabled,
	// Calico 3.29+): table ip calico with the set cali40all-vxlan-net instead
	// of cali-INPUT and the ipset.
	felixNFT bool
}

const (
	subnetA   = "192.168.10"
	subnetC   = "192.168.20"
	subnetC2  = "192.168.30"
	podCIDR   = "10.244.0.0/16"
	apiPort   = "6443"
	clientNS  = "shop" // the client pod's namespace, labelled team=payments
	tunnelMTU = "1450"
)

func (c *cluster) node(name string) *labNode {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node %s", name)
	return nil
}

// run runs a command and fails the test on error.
func (c *cluster) run(name string, args ...string) string {
	c.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (c *cluster) ip(args ...string) { c.t.Helper(); c.run("ip", args...) }

// inNode runs a command in a namespace (network only: enough for ip, nft,
// iptables, sysctl writes).
func (c *cluster) nsRun(ns string, args ...string) string {
	c.t.Helper()
	return c.run("ip", append([]string{"netns", "exec", ns}, args...)...)
}

func (c *cluster) sysctl(ns, key, val string) {
	c.t.Helper()
	p := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	c.nsRun(ns, "sh", "-c", "echo "+val+" > "+p)
}

func (c *cluster) nftApply(ns, ruleset string) {
	c.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("nft -f in %s: %v: %s\n%s", ns, err, out, ruleset)
	}
}

func (c *cluster) addUndo(f func()) {
	c.mu.Lock()
	c.undo = append(c.undo, f)
	c.mu.Unlock()
}

// teardown kills the node processes and deletes the namespaces; it runs from
// t.Cleanup and from the signal handler, so twice is harmless.
func (c *cluster) teardown() {
	c.mu.Lock()
	undo := c.undo
	c.undo = nil
	c.mu.Unlock()
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i]()
	}
}

func newCluster(t *testing.T, reg *registry, idx int, sp spec) *cluster {
	t.Helper()
	c := &cluster{t: t, id: fmt.Sprintf("pnd-lab-%d-%d", os.Getpid(), idx), dir: t.TempDir(),
		dnsIP: sp.dnsIP, dnsSvc: sp.dnsSvc, spec: sp}
	if c.dnsIP == "" {
		c.dnsIP, c.dnsSvc = "10.96.0.10", "kube-dns"
	}
	reg.add(c)
	t.Cleanup(func() { c.teardown(); reg.remove(c) })

	c.router = c.id + "-r"
	c.nodes = []*labNode{
		{name: "node-a", uplink: subnetA + ".11", gw: subnetA + ".1", block: "10.244.0.64/26", vtep: "10.244.0.64", mac: "66:1a:9c:00:00:0a"},
		{name: "node-b", uplink: subnetA + ".12", gw: subnetA + ".1", block: "10.244.1.0/26", vtep: "10.244.1.0", mac: "66:1a:9c:00:00:0b"},
		{name: "node-c", uplink: subnetC + ".13", gw: subnetC + ".1", block: "10.244.2.128/26", vtep: "10.244.2.128", mac: "66:1a:9c:00:00:0c"},
	}
	for _, n := range c.nodes {
		n.ns = c.id + "-" + strings.TrimPrefix(n.name, "node-")
		n.sendIP, n.knownIP = n.uplink, n.uplink
	}
	nc := c.nodes[2]
	if sp.nodeCKnownOnSecond {
		nc.sendIP, nc.knownIP = subnetC2+".13", subnetC2+".13"
	}
	if sp.nodeCSendsFromSecond {
		nc.sendIP = subnetC2 + ".13"
	}
	c.client = &pod{name: "dnsclient-7f9c", ns: c.id + "-pc", node: "node-a", ip: "10.244.0.66", cali: "cali8d1e0f3a2b4"}
	c.dnsPod = &pod{name: "coredns-5d78c9869d-x2x7q", ns: c.id + "-pd", node: "node-c", ip: "10.244.2.130", cali: "cali3f5a6b7c8d9"}
	idle := &pod{name: "web-6b7f", ns: c.id + "-pb", node: "node-b", ip: "10.244.1.5", cali: "cali0a1b2c3d4e5"}

	for _, ns := range []string{c.router, c.nodes[0].ns, c.nodes[1].ns, c.nodes[2].ns, c.client.ns, c.dnsPod.ns, idle.ns} {
		c.ip("netns", "add", ns)
		ns := ns
		c.addUndo(func() { exec.Command("ip", "netns", "del", ns).Run() })
		c.ip("-n", ns, "link", "set", "lo", "up")
	}

	// The underlay: node-a and node-b on a bridge in the router, node-c on a
	// routed link of its own (and eth1 on a third when a case asks).
	r := c.router
	c.sysctl(r, "net.ipv4.ip_forward", "1")
	c.ip("-n", r, "link", "add", "br0", "type", "bridge")
	c.ip("-n", r, "addr", "add", subnetA+".1/24", "dev", "br0")
	c.ip("-n", r, "link", "set", "br0", "up")
	for i, n := range c.nodes {
		peer := fmt.Sprintf("to-%c", 'a'+i)
		c.ip("link", "add", "eth0", "netns", n.ns, "type", "veth", "peer", "name", peer, "netns", r)
		if i < 2 {
			c.ip("-n", r, "link", "set", peer, "master", "br0")
		} else {
			c.ip("-n", r, "addr", "add", subnetC+".1/24", "dev", peer)
		}
		c.ip("-n", r, "link", "set", peer, "up")
	}
	if sp.secondUplink {
		c.ip("link", "add", "eth1", "netns", nc.ns, "type", "veth", "peer", "name", "to-c2", "netns", r)
		c.ip("-n", r, "addr", "add", subnetC2+".1/24", "dev", "to-c2")
		c.ip("-n", r, "link", "set", "to-c2", "up")
		c.ip("-n", nc.ns, "addr", "add", subnetC2+".13/24", "dev", "eth1")
		c.ip("-n", nc.ns, "link", "set", "eth1", "up")
	}

	for _, n := range c.nodes {
		for _, kv := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"net.ipv4.conf.all.rp_filter", "0"}, {"net.ipv4.conf.default.rp_filter", "0"}} {
			c.sysctl(n.ns, kv[0], kv[1])
		}
		c.ip("-n", n.ns, "addr", "add", n.uplink+"/24", "dev", "eth0")
		c.ip("-n", n.ns, "link", "set", "eth0", "up")
		c.ip("-n", n.ns, "route", "add", "default", "via", n.gw, "dev", "eth0")
	}
	if sp.nodeCSendsFromSecond {
		// The route to the other subnet leaves through eth1: can-reach= found
		// eth1 because that is where the node reaches it from.
		c.ip("-n", nc.ns, "route", "add", subnetA+".0/24", "via", subnetC2+".1", "dev", "eth1")
	}

	// Calico: vxlan.calico, neighbour and FDB entries for each peer, routes to
	// the other blocks via their VTEPs (onlink), a blackhole for the own block.
	for _, n := range c.nodes {
		c.ip("-n", n.ns, "link", "add", "vxlan.calico", "address", n.mac, "mtu", tunnelMTU, "type", "vxlan", "id", "4096",
			"local", n.sendIP, "dstport", "4789", "nolearning")
		c.ip("-n", n.ns, "addr", "add", n.vtep+"/32", "dev", "vxlan.calico")
		c.ip("-n", n.ns, "link", "set", "vxlan.calico", "up")
		c.ip("-n", n.ns, "route", "add", "blackhole", n.block, "proto", "bird")
		for _, m := range c.nodes {
			if m == n {
				continue
			}
			c.ip("-n", n.ns, "neigh", "add", m.vtep, "lladdr", m.mac, "dev", "vxlan.calico", "nud", "permanent")
			c.nsRun(n.ns, "bridge", "fdb", "add", m.mac, "dev", "vxlan.calico", "dst", m.knownIP, "self", "permanent")
			c.ip("-n", n.ns, "route", "add", m.block, "via", m.vtep, "dev", "vxlan.calico", "onlink", "proto", "80")
		}
	}
	for _, p := range []*pod{c.client, c.dnsPod, idle} {
		c.addPod(p)
	}
	for _, n := range c.nodes {
		c.felix(n)
		c.kubeProxy(n, c.dnsIP, c.dnsSvc, c.dnsPod.ip)
	}
	for _, n := range c.nodes {
		c.nodeEnv(n, sp)
	}
	c.api = startAPI(c)
	for _, n := range c.nodes {
		c.startNode(n)
	}
	return c
}

// addPod wires a pod as Calico does: a veth whose host side is cali* with
// MAC ee:ee:ee:ee:ee:ee and proxy ARP answering for 169.254.1.1, a /32 route
// to the pod, and the veth MTU equal to the tunnel's.
func (c *cluster) addPod(p *pod) {
	n := c.node(p.node)
	c.ip("link", "add", p.cali, "netns", n.ns, "mtu", tunnelMTU, "type", "veth", "peer", "name", "eth0", "netns", p.ns)
	c.ip("-n", n.ns, "link", "set", p.cali, "address", "ee:ee:ee:ee:ee:ee", "up")
	c.sysctl(n.ns, "net.ipv4.conf."+p.cali+".proxy_arp", "1")
	c.sysctl(n.ns, "net.ipv4.neigh."+p.cali+".proxy_delay", "0")
	c.ip("-n", n.ns, "route", "add", p.ip, "dev", p.cali, "scope", "link")
	c.ip("-n", p.ns, "link", "set", "eth0", "mtu", tunnelMTU)
	c.ip("-n", p.ns, "addr", "add", p.ip+"/32", "dev", "eth0")
	c.ip("-n", p.ns, "link", "set", "eth0", "up")
	c.ip("-n", p.ns, "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link")
	c.ip("-n", p.ns, "route", "add", "default", "via", "169.254.1.1", "dev", "eth0")
}

// felix installs the part of felix's iptables rules the matrix exercises: the
// VXLAN allowlist (UDP 4789 accepted only from the cluster's node addresses,
// ipset cali40all-vxlan-net) and the per-workload forward chains.
func (c *cluster) felix(n *labNode) {
	if c.spec.felixNFT {
		c.felixNFT(n)
		return
	}
	c.nsRun(n.ns, "ipset", "create", "cali40all-vxlan-net", "hash:net", "family", "inet", "maxelem", "1048576")
	for _, m := range c.nodes {
		if m != n {
			c.nsRun(n.ns, "ipset", "add", "cali40all-vxlan-net", m.knownIP+"/32")
		}
	}
	rules := `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:cali-INPUT - [0:0]
:cali-FORWARD - [0:0]
:cali-from-wl-dispatch - [0:0]
:cali-to-wl-dispatch - [0:0]
-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT
-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD
-A cali-INPUT -p udp -m comment --comment "cali:J76FwxInZIsk7uKY" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT
-A cali-INPUT -p udp -m comment --comment "cali:4cgmbdWsLmozYhJh" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP
-A cali-FORWARD -i cali+ -m comment --comment "cali:X3vB2lGcBrfkYquC" -j cali-from-wl-dispatch
-A cali-FORWARD -o cali+ -m comment --comment "cali:UtJ9FnhBnFbyQMvU" -j cali-to-wl-dispatch
COMMIT
`
	cmd := exec.Command("ip", "netns", "exec", n.ns, "iptables-restore")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("iptables-restore in %s: %v: %s", n.ns, err, out)
	}
}

// felixNFT is felix's allowlist in its nftables dataplane: one table ip
// calico, chains named after their iptables table and chain
// (felix/nftables/table_layer.go), the set under its ipset name, comments
// "cali:HASH; TEXT", the matches felix renders for the VXLAN rules
// (meta l4proto udp, udp dport, ip saddr @set, fib daddr type local).
func (c *cluster) felixNFT(n *labNode) {
	var members []string
	for _, m := range c.nodes {
		if m != n {
			members = append(members, m.knownIP)
		}
	}
	c.nftApply(n.ns, `table ip calico {
	set cali40all-vxlan-net {
		type ipv4_addr
		flags interval
		elements = { `+strings.Join(members, ", ")+` }
	}
	chain filter-INPUT {
		type filter hook input priority filter; policy accept;
		counter jump filter-cali-INPUT comment "cali:Cz_u1IQiXIMmKD4c;"
	}
	chain filter-FORWARD {
		type filter hook forward priority filter; policy accept;
		counter jump filter-cali-FORWARD comment "cali:wUHhoiAYhphO9Mso;"
	}
	chain filter-cali-INPUT {
		meta l4proto udp udp dport 4789 ip saddr @cali40all-vxlan-net fib daddr type local counter accept comment "cali:J76FwxInZIsk7uKY; Allow IPv4 VXLAN packets from allowed hosts"
		meta l4proto udp udp dport 4789 fib daddr type local counter drop comment "cali:4cgmbdWsLmozYhJh; Drop IPv4 VXLAN packets from non-allowed hosts"
	}
	chain filter-cali-FORWARD {
		iifname "cali*" counter comment "cali:X3vB2lGcBrfkYquC;"
		oifname "cali*" counter comment "cali:UtJ9FnhBnFbyQMvU;"
	}
}
`)
}

// felixPolicy is one policy as felix renders it for a workload: a chain of
// rules (iptables rule specs without "-A chain") that set mark 0x10000 on
// what the policy allows or DROP what it denies.
type felixPolicy struct {
	name  string // felix's name: NAMESPACE/knp.default.NAME for a Kubernetes policy, default.NAME for a global one
	rules []string
}

// felixWorkload programs felix's per-workload chain for pod p, in the
// direction dir ("fw": from the workload, egress; "tw": to the workload,
// ingress): the policies' chains in order, a packet one of them passed
// returns to cali-FORWARD, the rest meet felix's "Drop if no policies passed
// packet" rule, whose counter the analyzer reads. Felix accepts established
// flows first; the lab leaves that rule out because the client's socket is
// older than the policy and conntrack would let it through.
func (c *cluster) felixWorkload(p *pod, dir string, pols []felixPolicy) {
	c.t.Helper()
	dispatch, match, polPrefix := "cali-from-wl-dispatch", "-i", "cali-po-_"
	if dir == "tw" {
		dispatch, match, polPrefix = "cali-to-wl-dispatch", "-o", "cali-pi-_"
	}
	wl := "cali-" + dir + "-" + p.cali
	var b strings.Builder
	fmt.Fprintf(&b, "*filter\n:%s - [0:0]\n", wl)
	for _, pol := range pols {
		fmt.Fprintf(&b, ":%s - [0:0]\n", polPrefix+felixHash(pol.name))
	}
	fmt.Fprintf(&b, "-A %s %s %s -m comment --comment \"cali:%s\" -g %s\n", dispatch, match, p.cali, felixHash(wl), wl)
	fmt.Fprintf(&b, "-A %s -m comment --comment \"cali:%s\" -j MARK --set-xmark 0x0/0x10000\n", wl, felixHash(wl+"clear"))
	for _, pol := range pols {
		chain := polPrefix + felixHash(pol.name)
		fmt.Fprintf(&b, "-A %s -m comment --comment \"cali:%s\" -m mark --mark 0x0/0x10000 -j %s\n", wl, felixHash(wl+pol.name), chain)
		fmt.Fprintf(&b, "-A %s -m comment --comment \"cali:%s\" -m comment --comment \"Return if policy accepted\" -m mark --mark 0x10000/0x10000 -j RETURN\n", wl, felixHash(wl+pol.name+"ret"))
		for i, r := range pol.rules {
			fmt.Fprintf(&b, "-A %s -m comment --comment \"cali:%s\" %s\n", chain, felixHash(fmt.Sprint(chain, i)), r)
		}
	}
	fmt.Fprintf(&b, "-A %s -m comment --comment \"cali:%s\" -m comment --comment \"Drop if no policies passed packet\" -m mark --mark 0x0/0x10000 -j DROP\nCOMMIT\n", wl, felixHash(wl+"drop"))
	cmd := exec.Command("ip", "netns", "exec", c.node(p.node).ns, "iptables-restore", "--noflush")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("iptables-restore: %v: %s\n%s", err, out, b.String())
	}
}

// felixWorkloadNFT is felixWorkload in felix's nftables dataplane: the
// workload chain filter-cali-fw-<iface> (filter-cali-tw- for dir "tw") of
// table ip calico, reached from filter-cali-FORWARD by the pod's interface
// (felix dispatches through a verdict map; one interface needs no map), its
// policies' chains filter-cali-po-/pi-<hash> whose rules (nft syntax) set the
// accept mark, and at its end "End of tier default. Drop if no policies
// passed packet". As in felixWorkload, the established-flow accept is left
// out.
func (c *cluster) felixWorkloadNFT(p *pod, dir string, pols []felixPolicy) {
	c.t.Helper()
	match, polPrefix := "iifname", "filter-cali-po-"
	if dir == "tw" {
		match, polPrefix = "oifname", "filter-cali-pi-"
	}
	wl := "filter-cali-" + dir + "-" + p.cali
	var b strings.Builder
	fmt.Fprintf(&b, "table ip calico {\n\tchain %s {\n", wl)
	fmt.Fprintf(&b, "\t\tmeta mark set meta mark & 0xfffeffff comment \"cali:%s; Start of tier default\"\n", felixHash(wl+"clear"))
	for _, pol := range pols {
		chain := polPrefix + felixHash(pol.name)
		fmt.Fprintf(&b, "\t\tmeta mark & 0x00010000 == 0x00000000 jump %s comment \"cali:%s;\"\n", chain, felixHash(wl+pol.name))
		fmt.Fprintf(&b, "\t\tmeta mark & 0x00010000 == 0x00010000 return comment \"cali:%s; Return if policy accepted\"\n", felixHash(wl+pol.name+"ret"))
	}
	fmt.Fprintf(&b, "\t\tmeta mark & 0x00010000 == 0x00000000 counter drop comment \"cali:%s; End of tier default. Drop if no policies passed packet\"\n\t}\n", felixHash(wl+"drop"))
	for _, pol := range pols {
		chain := polPrefix + felixHash(pol.name)
		fmt.Fprintf(&b, "\tchain %s {\n", chain)
		for i, r := range pol.rules {
			fmt.Fprintf(&b, "\t\t%s comment \"cali:%s;\"\n", r, felixHash(fmt.Sprint(chain, i)))
		}
		fmt.Fprintf(&b, "\t}\n")
	}
	fmt.Fprintf(&b, "}\nadd rule ip calico filter-cali-FORWARD %s \"%s\" counter goto %s comment \"cali:%s;\"\n", match, p.cali, wl, felixHash(wl))
	c.nftApply(c.node(p.node).ns, b.String())
}

// waitNFTDrops waits until a drop rule of chain (table ip calico) has counted
// a packet; the client sends every 200 ms, so a few seconds is ample.
func (c *cluster) waitNFTDrops(ns, chain string) {
	c.t.Helper()
	moved := regexp.MustCompile(`counter packets [1-9][0-9]* bytes [0-9]+ drop`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := c.nsRun(ns, "nft", "list", "chain", "ip", "calico", chain)
		if moved.MatchString(out) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no drop counted in %s within 5s:\n%s", chain, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// felixHash stands in for felix's rule and chain hashes: 16 characters of
// base64, stable for a name.
func felixHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return strings.NewReplacer("+", "A", "/", "B").Replace(base64.StdEncoding.EncodeToString(h[:]))[:16]
}

// kpHash is kube-proxy's hashAndTruncate: the first 8 characters of the
// base32 SHA-256 of the chain's full name.
func kpHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(h[:])[:8]
}

// kubeProxy programs the DNS Service the way kube-proxy's nftables mode does
// (table ip kube-proxy, the service-ips verdict map, one service chain per
// port, one endpoint chain per backend).
func (c *cluster) kubeProxy(n *labNode, dnsIP, svcName, backend string) {
	var elems, chains []string
	for _, p := range []struct{ proto, name string }{{"udp", "dns"}, {"tcp", "dns-tcp"}} {
		base := fmt.Sprintf("kube-system/%s/%s/%s", svcName, p.proto, p.name)
		svc := "service-" + kpHash(base) + "-" + base
		epBase := fmt.Sprintf("%s__%s/53", base, backend)
		ep := "endpoint-" + kpHash(epBase) + "-" + epBase
		elems = append(elems, fmt.Sprintf("%s . %s . 53 : goto %s", dnsIP, p.proto, svc))
		chains = append(chains, fmt.Sprintf(`	chain %s {
		ip daddr %s %s dport 53 ip saddr != %s jump mark-for-masquerade
		numgen random mod 1 vmap { 0 : goto %s }
	}
	chain %s {
		ip saddr %s jump mark-for-masquerade
		meta l4proto %s dnat to %s:53
	}
`, svc, dnsIP, p.proto, podCIDR, ep, ep, backend, p.proto, backend))
	}
	ruleset := fmt.Sprintf(`table ip kube-proxy {
	comment "rules for kube-proxy"
	set cluster-ips {
		type ipv4_addr
		comment "Active ClusterIPs"
		elements = { 10.96.0.1, %s }
	}
	set nodeport-ips {
		type ipv4_addr
		comment "IPs that accept NodePort traffic"
		elements = { %s }
	}
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
		elements = { %s }
	}
	map service-nodeports {
		type inet_proto . inet_service : verdict
		comment "NodePort traffic"
	}
	chain filter-prerouting {
		type filter hook prerouting priority dstnat - 10; policy accept;
		ct state new jump firewall-check
	}
	chain firewall-check {
	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain nat-output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain nat-postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump masquerading
	}
	chain masquerading {
		meta mark & 0x00004000 == 0x00000000 return
		meta mark set meta mark ^ 0x00004000
		masquerade fully-random
	}
	chain mark-for-masquerade {
		meta mark set meta mark | 0x00004000
	}
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
		ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
	}
%s}
`, dnsIP, n.uplink, strings.Join(elems, ", "), strings.Join(chains, ""))
	c.nftApply(n.ns, ruleset)
}

// startNode starts the node's calico-node process as PID 1 of a new PID, UTS
// and mount namespace inside the node's network namespace: hostname set, /etc
// overlaid with the node's kubeconfigs, /proc showing the node's processes.
// --kill-child ties it to unshare, which the parent-death signal ties to this
// test process: a killed test leaves no process behind.
func (c *cluster) startNode(n *labNode) {
	n.etc = filepath.Join(c.dir, n.name, "etc")
	ovl := filepath.Join(c.dir, n.name, "ovl")
	for _, d := range []string{filepath.Join(n.etc, "kubernetes"), ovl} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			c.t.Fatal(err)
		}
	}
	c.writeKubeconfigs(n)
	script := fmt.Sprintf(`set -e
hostname %[1]s
mount -t tmpfs pnd-lab %[2]s
mkdir %[2]s/u %[2]s/w
cp -a %[3]s/. %[2]s/u/
mount -t overlay pnd-lab -o lowerdir=/etc,upperdir=%[2]s/u,workdir=%[2]s/w /etc
exec -a calico-node sleep 86400`, n.name, ovl, n.etc)
	cmd := exec.Command("ip", "netns", "exec", n.ns, "unshare", "--uts", "--pid", "--mount", "--fork", "--mount-proc",
		"--kill-child", "--propagation", "private", "--", "bash", "-c", script)
	cmd.Env = n.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.name, err)
	}
	n.anchor = cmd
	c.addUndo(func() { cmd.Process.Kill(); cmd.Wait() })
	// calico-node is unshare's child; wait until it has exec'd.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		if f := strings.Fields(string(kids)); len(f) > 0 {
			pid, _ := strconv.Atoi(f[0])
			if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && bytes.HasPrefix(cl, []byte("calico-node\x00")) {
				n.pid = pid
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("%s: calico-node did not start: %s", n.name, stderr.String())
}

// nodeEnv is calico-node's environment on the node; IP_AUTODETECTION_METHOD
// names the address the node's interface is found by.
func (c *cluster) nodeEnv(n *labNode, sp spec) {
	canReach := "can-reach=" + c.node("node-a").uplink
	switch {
	case n.name == "node-c" && sp.nodeCSendsFromSecond:
		canReach = "can-reach=" + subnetC2 + ".1"
	case n.name == "node-c" && sp.nodeCKnownOnSecond:
		canReach = "interface=eth1"
	}
	n.env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"DATASTORE_TYPE=kubernetes",
		"NODENAME=" + n.name,
		"CALICO_NETWORKING_BACKEND=vxlan",
		"CLUSTER_TYPE=k8s,bgp",
		"IP=autodetect",
		"IP_AUTODETECTION_METHOD=" + canReach,
		"CALICO_IPV4POOL_CIDR=" + podCIDR,
		"CALICO_IPV4POOL_IPIP=Never",
		"CALICO_IPV4POOL_VXLAN=Always",
		"CALICO_IPV4POOL_BLOCK_SIZE=26",
		"FELIX_VXLANMTU=" + tunnelMTU,
		"FELIX_IPINIPMTU=1480",
		"FELIX_IPV6SUPPORT=false",
		"FELIX_HEALTHENABLED=true",
		"FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT",
		"CALICO_MANAGE_CNI=true",
		"KUBERNETES_SERVICE_HOST=10.96.0.1",
		"KUBERNETES_SERVICE_PORT=443",
		// A planted secret: the bundle must not carry it.
		"CALICO_ETCD_PASSWORD=" + plantedSecret,
	}
	if sp.felixNFT {
		n.env = append(n.env, "FELIX_NFTABLESMODE=Enabled")
	}
}

const plantedSecret = "pnd-lab-Planted-S3cret-9f8e7d"

// inNode is the argv running args inside the node: its network, UTS, mount and
// PID namespaces, as a process on the node would run.
func (n *labNode) inNode(args ...string) []string {
	return append([]string{"nsenter", "-t", strconv.Itoa(n.pid), "--net", "--uts", "--mount", "--pid", "--"}, args...)
}
