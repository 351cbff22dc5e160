package assemble

import (
	"slices"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

// build parses an inline txtar scenario ("-- node/path --" sections) the way
// the analyzer does and returns the cluster model.
func build(t *testing.T, archive string, opts Options) *facts.Cluster {
	t.Helper()
	bs, err := bundle.ParseTxtar([]byte(strings.TrimLeft(archive, "\n")), "test.txtar")
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*load.Node
	for _, b := range bs {
		n, err := load.Load(b)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	return Build(nodes, opts)
}

func node(t *testing.T, c *facts.Cluster, name string) *facts.Node {
	t.Helper()
	for i := range c.Nodes {
		if c.Nodes[i].Name == name {
			return &c.Nodes[i]
		}
	}
	t.Fatalf("no node %s", name)
	return nil
}

// addr is `ip addr` output for one uplink plus optional extra links.
func addr(links ...string) string {
	out := "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n" +
		"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
		"    inet 127.0.0.1/8 scope host lo\n"
	for i, l := range links {
		f := strings.SplitN(l, " ", 2) // "NAME PREFIX"
		out += strings.Join([]string{
			itoa(i+2) + ": " + f[0] + ": <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000",
			"    link/ether 52:54:00:00:00:0" + itoa(i+2) + " brd ff:ff:ff:ff:ff:ff",
			"    inet " + f[1] + " scope global " + f[0],
			"",
		}, "\n")
	}
	return out
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestAutodetectionMethodsResolveAsCalicoDoes(t *testing.T) {
	links := addr("br-3f2a1b9c8d7e 172.18.0.1/16", "docker0 172.17.0.1/16", "eth0 10.0.0.11/24", "eth1 192.168.50.11/24")
	routes := "default via 192.168.50.1 dev eth1\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11\n" +
		"10.61.0.0/16 via 192.168.50.1 dev eth1 src 192.168.50.11\n10.99.0.0/16 via 10.0.0.1 dev eth0 src 192.168.50.11\n192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.11\n"
	nodes := `{"kind":"List","items":[{"kind":"Node","metadata":{"name":"n1"},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.11"}]}}]}`
	tests := []struct {
		method, wantIface, wantIP string
	}{
		{"first-found", "br-3f2a1b9c8d7e", "172.18.0.1"}, // br-* is not in Calico's exclusions; docker* is
		{"interface=eth.*", "eth0", "10.0.0.11"},
		{"interface=nomatch,eth1", "eth1", "192.168.50.11"},
		{"skip-interface=br-.*", "eth0", "10.0.0.11"},
		{"cidr=192.168.0.0/16", "eth1", "192.168.50.11"},
		{"can-reach=10.61.0.10", "eth1", "192.168.50.11"},
		{"can-reach=10.0.0.99", "eth0", "10.0.0.11"},
		{"can-reach=10.99.0.1", "eth1", "192.168.50.11"}, // the interface holding the source, not the route's device
		{"kubernetes-internal-ip", "eth0", "10.0.0.11"},
		{"can-reach=www.example.com", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			c := build(t, `
-- n1/net/ip-addr.txt --
`+links+`-- n1/net/ip-route.txt --
`+routes+`-- n1/calico/calico-node-env.txt --
IP=autodetect
IP_AUTODETECTION_METHOD=`+tc.method+`
-- n1/kube/nodes.json --
`+nodes+"\n", Options{})
			cal := node(t, c, "n1").Calico
			if cal.AutodetectIface != tc.wantIface || cal.AutodetectIP != tc.wantIP {
				t.Errorf("got %s %s (%s), want %s %s", cal.AutodetectIface, cal.AutodetectIP, cal.AutodetectWhy, tc.wantIface, tc.wantIP)
			}
		})
	}
}

func TestDNSServiceIPInference(t *testing.T) {
	ipvs := func(vip string) string {
		return "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n" +
			"UDP  " + vip + ":53 rr\n  -> 10.244.1.5:53 Masq 1 0 0\n"
	}
	tests := []struct {
		name, archive, flag, want, source string
	}{
		{"the flag wins", "-- a/ipvs/ipvsadm-Ln.txt --\n" + ipvs("10.233.0.3"), "10.0.0.10", "10.0.0.10", "flag"},
		{"the only IPVS UDP/53 service", "-- a/ipvs/ipvsadm-Ln.txt --\n" + ipvs("10.233.0.3"), "", "10.233.0.3", "ipvs-udp53"},
		{"kube-proxy's iptables comment", "-- a/net/iptables-save.txt --\n*nat\n:KUBE-SERVICES - [0:0]\n" +
			"-A KUBE-SERVICES -d 172.30.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\nCOMMIT\n", "", "172.30.0.10", "iptables"},
		{"kubeadm's default when nothing says", "-- a/net/ip-route.txt --\ndefault via 10.0.0.1 dev eth0\n", "", DefaultDNSServiceIP, "default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := build(t, tc.archive, Options{DNSServiceIP: tc.flag})
			if c.DNSServiceIP != tc.want || c.DNSServiceIPSource != tc.source {
				t.Errorf("got %s (%s), want %s (%s)", c.DNSServiceIP, c.DNSServiceIPSource, tc.want, tc.source)
			}
		})
	}
}

// Three nodes; b hosts CoreDNS (10.40.52.149, from IPVS only). a routes b's block
// via c's address: the wrong route must not make c's address b's peer-facing one.
const wrongRoute = `
-- a/net/ip-addr.txt --
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    inet 10.41.1.20/24 scope global eth0
-- a/net/ip-route.txt --
default via 10.41.1.1 dev eth0
blackhole 10.40.33.0/26 proto bird
10.40.52.128/26 via 10.41.1.22 dev tunl0 proto bird onlink
10.40.7.64/26 via 10.41.1.22 dev tunl0 proto bird onlink
10.41.1.0/24 dev eth0 proto kernel scope link src 10.41.1.20
-- a/ipvs/ipvsadm-Ln.txt --
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
UDP  10.96.0.10:53 rr
  -> 10.40.52.149:53              Masq    1      0          0
  -> 10.40.7.99:53                Masq    0      0          10
-- b/net/ip-addr.txt --
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    inet 10.41.1.21/24 scope global eth0
-- b/net/ip-route.txt --
default via 10.41.1.1 dev eth0
10.40.33.0/26 via 10.41.1.20 dev tunl0 proto bird onlink
blackhole 10.40.52.128/26 proto bird
10.40.52.149 dev cali0f3b2a1c9d8 scope link
10.40.7.64/26 via 10.41.1.22 dev tunl0 proto bird onlink
10.41.1.0/24 dev eth0 proto kernel scope link src 10.41.1.21
-- c/net/ip-addr.txt --
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    inet 10.41.1.22/24 scope global eth0
-- c/net/ip-route.txt --
default via 10.41.1.1 dev eth0
10.40.33.0/26 via 10.41.1.20 dev tunl0 proto bird onlink
10.40.52.128/26 via 10.41.1.21 dev tunl0 proto bird onlink
blackhole 10.40.7.64/26 proto bird
10.41.1.0/24 dev eth0 proto kernel scope link src 10.41.1.22
`

func TestPeerFacingPrefersTheNodesOwnAddress(t *testing.T) {
	c := build(t, wrongRoute, Options{})
	b := node(t, c, "b")
	if b.PeerFacingIP != "10.41.1.21" || b.PeerFacingSource != "routes" {
		t.Errorf("b peer-facing %s (%s), want 10.41.1.21 from routes", b.PeerFacingIP, b.PeerFacingSource)
	}
	if b.SendIP != "10.41.1.21" || b.SendIface != "eth0" {
		t.Errorf("b sends from %s %s, want 10.41.1.21 eth0", b.SendIP, b.SendIface)
	}
}

func TestCoreDNSFromIPVSIsLocatedAndStaleOnesFound(t *testing.T) {
	c := build(t, wrongRoute, Options{})
	if c.DNSServiceIP != "10.96.0.10" || c.Encapsulation != facts.EncapIPIP {
		t.Fatalf("dns %s encap %s", c.DNSServiceIP, c.Encapsulation)
	}
	got := map[string]facts.CoreDNSPod{}
	for _, p := range c.CoreDNS {
		got[p.IP] = p
	}
	if p := got["10.40.52.149"]; p.Node != "b" || p.NodeSource != "route" || !p.Current {
		t.Errorf("10.40.52.149: %+v, want current on b from its cali route", p)
	}
	// 10.40.7.99 lies in c's block, and c has no route to such a pod: gone.
	if p := got["10.40.7.99"]; p.Node != "c" || p.Current || p.StaleWhy == "" {
		t.Errorf("10.40.7.99: %+v, want stale, in c's block", p)
	}
}

func TestEncapsulationMixedWhenNodesDisagree(t *testing.T) {
	mixed := strings.Replace(wrongRoute, "10.40.33.0/26 via 10.41.1.20 dev tunl0 proto bird onlink\nblackhole 10.40.52.128/26",
		"10.40.33.0/26 via 10.40.33.0 dev vxlan.calico onlink\nblackhole 10.40.52.128/26", 1)
	c := build(t, mixed, Options{})
	if c.Encapsulation != facts.EncapMixed {
		t.Errorf("encapsulation %s (%s), want mixed", c.Encapsulation, c.EncapsulationWhy)
	}
	if b := node(t, c, "b"); b.Encapsulation != facts.EncapMixed {
		t.Errorf("b's encapsulation %s, want mixed (tunl0 and vxlan.calico routes)", b.Encapsulation)
	}
}

func TestSharedAddressesNameNoNode(t *testing.T) {
	c := build(t, `
-- a/net/ip-addr.txt --
`+addr("docker0 172.17.0.1/16", "eth0 10.0.0.11/24")+`-- b/net/ip-addr.txt --
`+addr("docker0 172.17.0.1/16", "eth0 10.0.0.12/24"), Options{})
	for _, n := range c.Nodes {
		if len(n.IPs) != 1 || strings.HasPrefix(n.IPs[0], "172.17.") {
			t.Errorf("%s IPs %v, want its eth0 address only", n.Name, n.IPs)
		}
	}
}

// A link's addresses come from one file, cited by line: ip addr's; those of
// ip-link.txt (where it is `ip -d addr`) only for a link ip addr gives none.
func TestLinkAddressesComeFromOneFile(t *testing.T) {
	linkOut := func(prefix string) string {
		return "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n" +
			"    link/ether 52:54:00:00:00:02 brd ff:ff:ff:ff:ff:ff promiscuity 0\n" +
			"    inet " + prefix + " scope global eth0\n"
	}
	for _, tc := range []struct {
		name      string
		files     string
		wantAddrs []string
		wantFile  string
		wantLine  int32
	}{
		{"ip addr alone", "-- a/net/ip-addr.txt --\n" + addr("eth0 10.0.0.11/24"), []string{"10.0.0.11/24"}, "net/ip-addr.txt", 6},
		{"ip -d link with addresses alone", "-- a/net/ip-link.txt --\n" + linkOut("10.0.0.12/24"), []string{"10.0.0.12/24"}, "net/ip-link.txt", 3},
		{"both: ip addr's", "-- a/net/ip-link.txt --\n" + linkOut("10.0.0.12/24") + "-- a/net/ip-addr.txt --\n" + addr("eth0 10.0.0.11/24"),
			[]string{"10.0.0.11/24"}, "net/ip-addr.txt", 6},
		{"ip -d link without addresses", "-- a/net/ip-link.txt --\n" + strings.Join(strings.Split(linkOut("x"), "\n")[:2], "\n") + "\n", nil, "", 0},
	} {
		c := build(t, tc.files, Options{})
		var eth0 *facts.Link
		for i := range node(t, c, "a").Links {
			if l := &node(t, c, "a").Links[i]; l.Name == "eth0" {
				eth0 = l
			}
		}
		if eth0 == nil {
			t.Errorf("%s: no eth0", tc.name)
			continue
		}
		if !slices.Equal(eth0.Addrs, tc.wantAddrs) || eth0.AddrFile != tc.wantFile || len(eth0.AddrLines) != len(tc.wantAddrs) {
			t.Errorf("%s: addrs %v from %q lines %v, want %v from %q", tc.name, eth0.Addrs, eth0.AddrFile, eth0.AddrLines, tc.wantAddrs, tc.wantFile)
			continue
		}
		if len(tc.wantAddrs) > 0 && eth0.AddrLines[0] != tc.wantLine {
			t.Errorf("%s: line %d, want %d", tc.name, eth0.AddrLines[0], tc.wantLine)
		}
	}
}
