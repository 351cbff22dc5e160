//go:build linux

package nativenet

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/bridgefdb"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ethtool"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iplink"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipneigh"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iproute"
	"github.com/vishvananda/netns"
)

// These tests build a Calico-like node in fresh network namespaces and check
// that each renderer's output parses to what the real command prints there.
// They need root and iproute2; they skip otherwise.

var nsSeq atomic.Int32

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2's ip is not installed")
	}
}

// run runs a command and fails the test on error.
func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// try runs a command that may be unsupported by the kernel; it reports
// whether it worked.
func try(args ...string) bool {
	return exec.Command(args[0], args[1:]...).Run() == nil
}

// output is a command's stdout and stderr, whatever its exit status (ip route
// get prints its error and fails).
func output(args ...string) string {
	out, _ := exec.Command(args[0], args[1:]...).CombinedOutput()
	return string(out)
}

type calicoNode struct {
	node, peer, pod string
	h               *Handle
	dummy           string // name of the no-option device created, "" if none
}

// newCalicoNode creates the node namespace (uplink eth0 10.41.1.20/24 to a
// peer namespace, vxlan.calico, a cali* pod veth, Calico's routes, a
// permanent VTEP neighbour and FDB entry) and a Handle on it.
func newCalicoNode(t *testing.T) *calicoNode {
	t.Helper()
	requireRoot(t)
	id := fmt.Sprintf("pndt%d-%d", os.Getpid()%100000, nsSeq.Add(1))
	c := &calicoNode{node: id + "-node", peer: id + "-peer", pod: id + "-pod"}
	for _, ns := range []string{c.node, c.peer, c.pod} {
		run(t, "ip", "netns", "add", ns)
		ns := ns
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	n := func(args ...string) { run(t, append([]string{"ip", "-n", c.node}, args...)...) }
	n("link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", c.peer)
	n("addr", "add", "10.41.1.20/24", "dev", "eth0")
	n("addr", "add", "10.41.1.30/24", "dev", "eth0", "label", "eth0:1")
	n("addr", "add", "2001:db8::20/64", "dev", "eth0", "nodad")
	n("link", "set", "eth0", "up")
	try("ip", "-n", c.node, "link", "property", "add", "dev", "eth0", "altname", "uplink0")
	n("link", "set", "eth0", "alias", "uplink to the LAN")
	run(t, "ip", "-n", c.peer, "addr", "add", "10.41.1.21/24", "dev", "eth0")
	run(t, "ip", "-n", c.peer, "link", "set", "eth0", "up")
	n("link", "add", "vxlan.calico", "type", "vxlan", "id", "4096", "local", "10.41.1.20", "dev", "eth0",
		"dstport", "4789", "nolearning")
	n("link", "set", "vxlan.calico", "mtu", "1450", "address", "66:ab:cd:ef:01:01", "up")
	n("addr", "add", "10.40.33.0/32", "dev", "vxlan.calico")
	n("link", "add", "cali12345abcdef", "type", "veth", "peer", "name", "eth0", "netns", c.pod)
	n("link", "set", "cali12345abcdef", "up")
	for _, kind := range []string{"dummy", "ifb"} {
		if try("ip", "-n", c.node, "link", "add", "kube-ipvs0", "type", kind) {
			c.dummy = kind
			n("addr", "add", "10.96.0.10/32", "dev", "kube-ipvs0")
			break
		}
	}
	if try("ip", "-n", c.node, "link", "add", "br0", "type", "bridge") {
		n("link", "add", "vport", "type", "veth", "peer", "name", "vport-p")
		n("link", "set", "vport", "master", "br0")
	}
	try("ip", "-n", c.node, "link", "add", "mv0", "link", "eth0", "type", "macvlan", "mode", "bridge")
	try("ip", "-n", c.node, "tuntap", "add", "dev", "tap0", "mode", "tap")
	n("route", "add", "default", "via", "10.41.1.1", "dev", "eth0", "onlink")
	n("route", "add", "10.40.52.128/26", "via", "10.40.52.128", "dev", "vxlan.calico", "onlink", "proto", "80")
	n("route", "add", "blackhole", "10.40.33.0/26", "proto", "bird")
	n("route", "add", "10.40.33.5", "dev", "cali12345abcdef", "scope", "link")
	n("route", "add", "192.0.2.0/24", "proto", "static", "metric", "100",
		"nexthop", "via", "10.41.1.21", "dev", "eth0", "weight", "1",
		"nexthop", "via", "10.41.1.22", "dev", "eth0", "weight", "2")
	n("route", "add", "10.50.0.0/16", "via", "10.41.1.21", "mtu", "lock", "1400", "advmss", "1360")
	n("route", "add", "unreachable", "10.52.0.0/16")
	n("route", "add", "10.51.0.0/16", "via", "10.41.1.21", "table", "100", "realm", "7")
	n("neigh", "add", "10.40.52.128", "lladdr", "66:ab:cd:ef:01:02", "dev", "vxlan.calico", "nud", "permanent")
	n("neigh", "add", "10.41.1.1", "lladdr", "52:54:00:00:00:01", "dev", "eth0", "nud", "reachable")
	n("neigh", "add", "10.41.1.50", "lladdr", "52:54:00:00:00:50", "dev", "eth0", "nud", "stale", "router")
	n("neigh", "add", "10.41.1.51", "lladdr", "52:54:00:00:00:51", "dev", "eth0", "nud", "noarp")
	run(t, "bridge", "-n", c.node, "fdb", "add", "66:ab:cd:ef:01:02", "dev", "vxlan.calico", "dst", "10.41.1.21", "self", "permanent")
	run(t, "bridge", "-n", c.node, "fdb", "add", "00:00:00:00:00:00", "dev", "vxlan.calico", "dst", "10.41.1.22", "port", "8472", "vni", "77", "self", "permanent")
	n("rule", "add", "fwmark", "0x1/0x1", "lookup", "100", "pref", "100")
	n("rule", "add", "not", "from", "10.0.0.0/8", "iif", "eth0", "lookup", "main", "pref", "101")
	n("rule", "add", "ipproto", "udp", "dport", "53", "blackhole", "pref", "102")

	ns, err := netns.GetFromName(c.node)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	c.h, err = NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.h.Close)
	return c
}

// exactIproute2 reports whether the installed iproute2 is the version the
// renderers spell out (6.1), so that byte-for-byte equality can be required.
func exactIproute2(t *testing.T) bool {
	return strings.Contains(output("ip", "-V"), "iproute2-6.1.")
}

// compareText requires the same text as the command when the installed
// version is the reference one, and otherwise only logs the difference.
func compareText(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	msg := fmt.Sprintf("%s differs from the command's output:\n--- command\n%s--- rendered\n%s", what, want, got)
	if exactIproute2(t) {
		t.Error(msg)
	} else {
		t.Log(msg)
	}
}

func TestKernelRoutesMatchIPRoute(t *testing.T) {
	c := newCalicoNode(t)
	got, err := IPRoute(c.h)
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "-n", c.node, "route", "show")
	compareText(t, "ip route", string(got), want)
	g, ds := iproute.Parse(got)
	noWarnings(t, "rendered routes", ds)
	w, _ := iproute.Parse([]byte(want))
	if len(g.Routes) != len(w.Routes) || len(g.Routes) < 8 {
		t.Fatalf("%d routes rendered, %d printed by ip", len(g.Routes), len(w.Routes))
	}
	for i := range w.Routes {
		if a, b := routeKey(&g.Routes[i]), routeKey(&w.Routes[i]); a != b {
			t.Errorf("route %d:\n rendered %s\n ip       %s", i, a, b)
		}
	}
	vx := g.Lookup(netip.MustParseAddr("10.40.52.130"))
	if vx == nil || vx.Dev != "vxlan.calico" || vx.Proto != "80" || !vx.Has("onlink") {
		t.Errorf("route to the remote pod block = %+v", vx)
	}
}

func routeKey(r *iproute.Route) string {
	var nh []string
	for _, n := range r.Nexthops {
		nh = append(nh, fmt.Sprintf("%s/%s/%d/%v", n.Via, n.Dev, n.Weight, n.Flags))
	}
	return fmt.Sprintf("type=%s dst=%s via=%s dev=%s proto=%s scope=%s src=%s metric=%d table=%s flags=%v mtu=%d/%v nh=%v extra=%v",
		r.Type, r.Dst, r.Via, r.Dev, r.Proto, r.Scope, r.Src, r.Metric, r.Table, r.Flags, r.MTU, r.MTULock, nh, r.Extra)
}

func TestKernelAllTablesMatchIPRouteTableAll(t *testing.T) {
	c := newCalicoNode(t)
	got, err := IPRouteAll(c.h)
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "-n", c.node, "route", "show", "table", "all")
	compareText(t, "ip route show table all", string(got), want)
	g, ds := iproute.Parse(got)
	noWarnings(t, "rendered routes", ds)
	w, _ := iproute.Parse([]byte(want))
	if len(g.Routes) != len(w.Routes) {
		t.Fatalf("%d routes rendered, %d printed by ip", len(g.Routes), len(w.Routes))
	}
	local := 0
	for i := range w.Routes {
		if a, b := routeKey(&g.Routes[i]), routeKey(&w.Routes[i]); a != b {
			t.Errorf("route %d:\n rendered %s\n ip       %s", i, a, b)
		}
		if g.Routes[i].Table == "local" {
			local++
		}
	}
	if local == 0 {
		t.Error("no local-table route rendered")
	}
}

func TestKernelRouteGetMatchesIPRouteGet(t *testing.T) {
	c := newCalicoNode(t)
	addrs := []netip.Addr{netip.MustParseAddr("10.40.52.130"), netip.MustParseAddr("10.40.33.0"),
		netip.MustParseAddr("10.41.1.255"), netip.MustParseAddr("10.40.33.5"), netip.MustParseAddr("10.52.0.1")}
	got, err := RouteGet(c.h, addrs)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, a := range addrs {
		fmt.Fprintf(&want, "# ip route get %s\n", a)
		want.WriteString(output("ip", "-n", c.node, "route", "get", a.String()))
	}
	compareText(t, "ip route get", string(got), want.String())
	g, ds := iproute.ParseRouteGet(got)
	noWarnings(t, "rendered route get", ds)
	w, _ := iproute.ParseRouteGet([]byte(want.String()))
	if len(g.Gets) != len(addrs) || len(w.Gets) != len(addrs) {
		t.Fatalf("%d answers rendered, %d printed", len(g.Gets), len(w.Gets))
	}
	for i := range w.Gets {
		gg, ww := g.Gets[i], w.Gets[i]
		if gg.Query != ww.Query || gg.Err != ww.Err || (gg.Route == nil) != (ww.Route == nil) {
			t.Errorf("answer %d: rendered %+v, ip %+v", i, gg, ww)
			continue
		}
		if gg.Route != nil && routeKey(gg.Route) != routeKey(ww.Route) {
			t.Errorf("answer %d:\n rendered %s\n ip       %s", i, routeKey(gg.Route), routeKey(ww.Route))
		}
	}
	if a := g.Find(netip.MustParseAddr("10.40.52.130")); a == nil || a.Route == nil || a.Route.Dev != "vxlan.calico" ||
		a.Route.Src != netip.MustParseAddr("10.40.33.0") {
		t.Errorf("answer for the remote pod = %+v", a)
	}
	if a := g.Find(netip.MustParseAddr("10.52.0.1")); a == nil || a.Err == "" {
		t.Errorf("unreachable address answered %+v", a)
	}
}

func TestKernelRulesMatchIPRule(t *testing.T) {
	c := newCalicoNode(t)
	got, err := IPRule(c.h)
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "-n", c.node, "rule", "show")
	compareText(t, "ip rule", string(got), want)
	g, ds := iproute.ParseRules(got)
	noWarnings(t, "rendered rules", ds)
	w, _ := iproute.ParseRules([]byte(want))
	if !reflect.DeepEqual(g.Rules, w.Rules) || len(g.Rules) != 6 {
		t.Errorf("rules:\n rendered %+v\n ip       %+v", g.Rules, w.Rules)
	}
}

func TestKernelNeighboursMatchIPNeigh(t *testing.T) {
	c := newCalicoNode(t)
	got, err := IPNeigh(c.h)
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "-n", c.node, "neigh", "show")
	compareText(t, "ip neigh", string(got), want)
	g, ds := ipneigh.Parse(got)
	noWarnings(t, "rendered neighbours", ds)
	w, _ := ipneigh.Parse([]byte(want))
	if !reflect.DeepEqual(g.Neighs, w.Neighs) {
		t.Errorf("neighbours:\n rendered %+v\n ip       %+v", g.Neighs, w.Neighs)
	}
	if n := g.Lookup(netip.MustParseAddr("10.40.52.128"), "vxlan.calico"); n == nil || !n.HasState("PERMANENT") {
		t.Errorf("VTEP neighbour = %+v", n)
	}
	if n := g.Lookup(netip.MustParseAddr("10.41.1.51"), ""); n != nil {
		t.Errorf("NOARP entry listed: %+v", n)
	}
}

func TestKernelFDBMatchesBridgeFDB(t *testing.T) {
	c := newCalicoNode(t)
	if _, err := exec.LookPath("bridge"); err != nil {
		t.Skip("iproute2's bridge is not installed")
	}
	got, err := BridgeFDB(c.h)
	if err != nil {
		t.Fatal(err)
	}
	want := output("bridge", "-n", c.node, "fdb", "show")
	compareText(t, "bridge fdb", string(got), want)
	g, ds := bridgefdb.Parse(got)
	noWarnings(t, "rendered fdb", ds)
	w, _ := bridgefdb.Parse([]byte(want))
	if !reflect.DeepEqual(g.Entries, w.Entries) {
		t.Errorf("fdb:\n rendered %+v\n bridge   %+v", g.Entries, w.Entries)
	}
	if vt := g.VTEPs("vxlan.calico"); vt["66:ab:cd:ef:01:02"] != netip.MustParseAddr("10.41.1.21") {
		t.Errorf("VTEPs = %v", vt)
	}
}

// linkKey is what the analyzer reads of a link.
func linkKey(l *iplink.Link) string {
	var addrs []string
	for _, a := range l.Addrs {
		addrs = append(addrs, fmt.Sprintf("%s %s peer=%s brd=%s scope=%s label=%s flags=%v lft=%s/%s",
			a.Family, a.Prefix, a.Peer, a.Broadcast, a.Scope, a.Label, a.Flags, a.ValidLft, a.PreferredLft))
	}
	return fmt.Sprintf("%d %s@%s flags=%v mtu=%d qdisc=%s master=%s state=%s mode=%s group=%s qlen=%d "+
		"type=%s addr=%s brd=%s mac=%s netns=%s kind=%s args=%v slave=%s %v vxlan=%+v ipip=%+v alt=%v alias=%q addrs=%v details=%v",
		l.Index, l.Name, l.Parent, l.Flags, l.MTU, l.Qdisc, l.Master, l.State, l.Mode, l.Group, l.Qlen,
		l.LinkType, l.LinkAddr, l.LinkBrd, l.MAC, l.LinkNetns, l.Kind, l.KindArgs, l.SlaveKind, l.SlaveArgs,
		l.VXLAN, l.IPIP, l.AltNames, l.Alias, addrs, l.Details)
}

func compareLinks(t *testing.T, got, want []byte) *iplink.Result {
	t.Helper()
	g, ds := iplink.Parse(got)
	noWarnings(t, "rendered links", ds)
	w, _ := iplink.Parse(want)
	if len(g.Links) != len(w.Links) {
		t.Fatalf("%d links rendered, %d printed", len(g.Links), len(w.Links))
	}
	for i := range w.Links {
		if a, b := linkKey(&g.Links[i]), linkKey(&w.Links[i]); a != b {
			t.Errorf("link %d:\n rendered %s\n ip       %s", i, a, b)
		}
	}
	return g
}

func TestKernelLinksMatchIPDLinkShow(t *testing.T) {
	c := newCalicoNode(t)
	got, err := IPLinkDetails(c.h)
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "-n", c.node, "-d", "link", "show")
	compareText(t, "ip -d link", string(got), want)
	g := compareLinks(t, got, []byte(want))
	vx := g.ByName("vxlan.calico")
	if vx == nil || vx.VXLAN == nil || vx.VXLAN.ID != 4096 || vx.VXLAN.DstPort != 4789 || vx.VXLAN.Learning ||
		vx.VXLAN.Local != netip.MustParseAddr("10.41.1.20") || vx.VXLAN.Dev != "eth0" || vx.MTU != 1450 {
		t.Errorf("vxlan.calico = %+v", vx)
	}
	if eth := g.ByName("eth0"); eth == nil || eth.Kind != "veth" || eth.LinkNetns != c.peer || eth.Alias != "uplink to the LAN" {
		t.Errorf("eth0 = %+v", eth)
	}
	if c.dummy != "" {
		if d := g.ByName("kube-ipvs0"); d == nil || d.Kind != c.dummy {
			t.Errorf("kube-ipvs0 = %+v", d)
		}
	}
}

func TestKernelAddressesMatchIPAddrShow(t *testing.T) {
	c := newCalicoNode(t)
	got, err := IPAddr(c.h)
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "-n", c.node, "addr", "show")
	compareText(t, "ip addr", string(got), want)
	g := compareLinks(t, got, []byte(want))
	eth := g.ByName("eth0")
	if eth == nil || len(eth.Addrs) < 3 || eth.Addrs[0].Prefix != netip.MustParsePrefix("10.41.1.20/24") ||
		eth.Addrs[1].Label != "eth0:1" {
		t.Errorf("eth0 = %+v", eth)
	}
}

func TestKernelEthtoolMatchesEthtool(t *testing.T) {
	c := newCalicoNode(t)
	if _, err := exec.LookPath("ethtool"); err != nil {
		t.Skip("ethtool is not installed")
	}
	for _, ifc := range []string{"vxlan.calico", "eth0", "cali12345abcdef", "lo"} {
		got, err := EthtoolFeatures(c.h, ifc)
		if err != nil {
			t.Fatal(err)
		}
		want := output("ip", "netns", "exec", c.node, "ethtool", "-k", ifc)
		if string(got) != want {
			t.Errorf("ethtool -k %s differs:\n--- ethtool\n%s--- rendered\n%s", ifc, want, got)
		}
		g, ds := ethtool.ParseFeatures(got)
		noWarnings(t, "rendered features", ds)
		w, _ := ethtool.ParseFeatures([]byte(want))
		if !reflect.DeepEqual(g, w) {
			t.Errorf("ethtool -k %s parses differently", ifc)
		}
	}
	got, err := EthtoolStats(c.h, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "netns", "exec", c.node, "ethtool", "-S", "eth0")
	g, ds := ethtool.ParseStats(got)
	noWarnings(t, "rendered stats", ds)
	w, _ := ethtool.ParseStats([]byte(want))
	if len(g.Counters) == 0 || len(g.Counters) != len(w.Counters) {
		t.Fatalf("%d counters rendered, %d printed", len(g.Counters), len(w.Counters))
	}
	for i := range w.Counters {
		if g.Counters[i].Name != w.Counters[i].Name {
			t.Errorf("counter %d: %s, ethtool %s", i, g.Counters[i].Name, w.Counters[i].Name)
		}
	}
	if _, err := EthtoolStats(c.h, "vxlan.calico"); err == nil || !strings.Contains(err.Error(), ErrNoStats.Error()) {
		t.Errorf("vxlan stats error = %v, want %v", err, ErrNoStats)
	}
	if _, err := EthtoolFeatures(c.h, "nosuchdev0"); err == nil {
		t.Error("features of a missing device did not fail")
	}
}

func TestKernelSysctlMatchesSysctl(t *testing.T) {
	c := newCalicoNode(t)
	if _, err := exec.LookPath("sysctl"); err != nil {
		t.Skip("sysctl is not installed")
	}
	got, _, err := SysctlAt(c.h, SysctlRoot)
	if err != nil {
		t.Fatal(err)
	}
	want := output("ip", "netns", "exec", c.node, "sysctl", "-a")
	keep := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "net.ipv4.conf.") || strings.HasPrefix(l, "net.core.") && !strings.Contains(l, "netdev_rss_key") ||
				strings.HasPrefix(l, "net.ipv4.ip_forward ") || strings.HasPrefix(l, "net.ipv4.neigh.") {
				out = append(out, l)
			}
		}
		return out
	}
	g, w := keep(string(got)), keep(want)
	if len(g) < 50 || !reflect.DeepEqual(g, w) {
		t.Errorf("sysctl lines differ (%d rendered, %d printed):\n%s", len(g), len(w), lineDiff(w, g))
	}
	if !strings.Contains(string(got), "net.ipv4.conf.vxlan/calico.rp_filter = ") {
		t.Error("vxlan.calico's key is not spelled with a slash")
	}
}

func lineDiff(want, got []string) string {
	set := map[string]int{}
	for _, l := range want {
		set[l]++
	}
	for _, l := range got {
		set[l]--
	}
	var b strings.Builder
	for l, n := range set {
		if n > 0 {
			fmt.Fprintf(&b, "- %s\n", l)
		} else if n < 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

func TestHandleOnTheCallersNamespaceWorks(t *testing.T) {
	requireRoot(t)
	h, err := NewHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	out, err := IPLinkDetails(h)
	if err != nil || !strings.Contains(string(out), ": lo: ") {
		t.Errorf("IPLinkDetails = %q, %v", out, err)
	}
	h.Close()
	if _, err := IPRoute(h); err == nil {
		t.Error("a closed handle still answers")
	}
}

func TestLinkNetnsNamesComeFromTheRunDirectory(t *testing.T) {
	c := newCalicoNode(t)
	names := c.h.netnsNames()
	found := false
	for _, n := range names {
		if n == c.peer {
			found = true
		}
	}
	if !found {
		t.Errorf("peer namespace %s not among %v (from %s)", c.peer, names, filepath.Clean(NetnsRunDir))
	}
}
