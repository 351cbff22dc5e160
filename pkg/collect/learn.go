package collect

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/bridgefdb"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/calico"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/envfile"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iplink"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iproute"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipvsadm"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/nft"
)

// topology is what the collector learns about the node to pick interfaces and
// addresses: uplinks, tunnel devices, the VXLAN port, peers and DNS addresses.
type topology struct {
	Uplinks    []string
	Tunnels    []string // tunl0, vxlan.calico present on the node
	Links      map[string]bool
	VXLANPorts []int
	Peers      []netip.Addr // peer node addresses
	DNSService netip.Addr
	DNSSource  string // where DNSService came from
	CoreDNS    []netip.Addr
	CanReach   []netip.Addr
	Interfaces []string // capture + ethtool interfaces
}

// defaultDNSServiceIP is kubeadm's cluster DNS Service IP, probed when neither
// the kube-dns Service nor IPVS names another.
var defaultDNSServiceIP = netip.AddrFrom4([4]byte{10, 96, 0, 10})

// tunnelNames are Calico's tunnel devices.
var tunnelNames = []string{"tunl0", "vxlan.calico", "vxlan-v6.calico"}

// learn reads the files collected so far, with the analyzer's own parsers, to
// find the uplinks, tunnels, VXLAN ports, peers and DNS addresses. Reading the
// bundle rather than the kernel keeps one truth: what is learnt is what the
// analyzer will see.
func (c *collector) learn() {
	t := &c.topo
	t.Links = map[string]bool{}
	own := map[netip.Addr]bool{}
	ownDev := map[netip.Addr]string{}
	ports := map[int]bool{}
	// The tunnels' local addresses: peers send their tunnel packets there, so
	// the interface holding one is where they arrive, whatever the routes say.
	var tunnelLocal []netip.Addr
	if b, ok := c.files.get(bundle.IPLinkPath); ok {
		r, _ := iplink.Parse(b)
		for _, l := range r.Links {
			t.Links[l.Name] = true
			if l.VXLAN != nil && l.VXLAN.DstPort > 0 {
				ports[l.VXLAN.DstPort] = true
			}
			if l.VXLAN != nil && l.VXLAN.Local.IsValid() {
				tunnelLocal = append(tunnelLocal, l.VXLAN.Local)
			}
			if l.IPIP != nil && l.IPIP.Local.IsValid() {
				tunnelLocal = append(tunnelLocal, l.IPIP.Local)
			}
		}
	}
	if b, ok := c.files.get(bundle.IPAddrPath); ok {
		r, _ := iplink.Parse(b)
		for _, l := range r.Links {
			t.Links[l.Name] = true
			for _, a := range l.Addrs {
				own[a.Prefix.Addr()] = true
				ownDev[a.Prefix.Addr()] = l.Name
			}
		}
	}
	for _, n := range tunnelNames {
		if t.Links[n] {
			t.Tunnels = append(t.Tunnels, n)
		}
	}
	isTunnel := func(dev string) bool {
		for _, n := range tunnelNames {
			if dev == n {
				return true
			}
		}
		return false
	}

	var env *envfile.Result
	if b, ok := c.files.get(bundle.CalicoEnvPath); ok {
		env, _ = envfile.Parse(b)
		if v, ok := env.Get("FELIX_VXLANPORT"); ok {
			if p, err := strconv.Atoi(strings.TrimSpace(v.Value)); err == nil && p > 0 && p < 65536 {
				ports[p] = true
			}
		}
		if v, ok := env.Get("IP_AUTODETECTION_METHOD"); ok {
			t.CanReach = append(t.CanReach, canReach(v.Value)...)
		}
	}
	if b, ok := c.files.get(bundle.CalicoFelixPath); ok {
		r, _ := calico.ParseFelixConfig(b)
		for _, fc := range r.Configs {
			if fc.VXLANPort.Set() {
				if p, err := strconv.Atoi(fc.VXLANPort.Value); err == nil && p > 0 && p < 65536 {
					ports[p] = true
				}
			}
		}
	}
	ports[4789] = true
	for p := range ports {
		t.VXLANPorts = append(t.VXLANPorts, p)
	}
	sort.Ints(t.VXLANPorts)

	peers := map[netip.Addr]bool{}
	var routes *iproute.Result
	if b, ok := c.files.get(bundle.IPRoutePath); ok {
		routes, _ = iproute.Parse(b)
		for _, r := range routes.Routes {
			if r.Default && r.Dev != "" && r.Table == "" {
				t.Uplinks = appendNew(t.Uplinks, r.Dev)
			}
			// IPIP: "10.244.1.0/26 via 192.168.20.12 dev tunl0 proto bird onlink".
			if r.Dev == "tunl0" && r.Via.IsValid() {
				peers[r.Via] = true
			}
		}
	}
	if b, ok := c.files.get(bundle.BridgeFDBPath); ok {
		r, _ := bridgefdb.Parse(b)
		for _, e := range r.Entries {
			if e.Dst.IsValid() && !e.Dst.IsUnspecified() && strings.HasPrefix(e.Dev, "vxlan") {
				peers[e.Dst] = true
			}
		}
	}
	if b, ok := c.files.get(bundle.KubeNodesPath); ok {
		for _, ip := range nodeInternalIPs(b) {
			peers[ip] = true
		}
	}
	for _, a := range c.opts.Hints.Peers {
		peers[a] = true
	}
	for a := range peers {
		if !own[a] {
			t.Peers = append(t.Peers, a)
		}
	}
	sortAddrs(t.Peers)
	if routes != nil {
		for _, p := range t.Peers {
			if r := routes.Lookup(p); r != nil && r.Dev != "" && r.Dev != "lo" && !isTunnel(r.Dev) {
				t.Uplinks = appendNew(t.Uplinks, r.Dev)
			}
		}
	}
	for _, a := range tunnelLocal {
		if dev := ownDev[a]; dev != "" && dev != "lo" && !isTunnel(dev) {
			t.Uplinks = appendNew(t.Uplinks, dev)
		}
	}

	// DNS: the kube-dns Service (or the hint of `collect cluster`, who read
	// it), else the IPVS UDP service on port 53, else the kubeadm default.
	if h := c.opts.Hints.DNSService; h.IsValid() {
		t.DNSService, t.DNSSource = h, "kube-dns Service (read by collect cluster)"
	}
	if b, ok := c.files.get(KubeDNSServicePath); ok && !t.DNSService.IsValid() {
		r, _ := kube.ParseServices(b)
		for _, s := range r.Services {
			if s.ClusterIP.IsValid() {
				t.DNSService, t.DNSSource = s.ClusterIP, "kube-dns Service"
				break
			}
		}
	}
	if !t.DNSService.IsValid() {
		if b, ok := c.files.get(bundle.IPVSPath); ok {
			r, _ := ipvsadm.Parse(b)
			for _, s := range r.Services {
				if s.Proto == "UDP" && s.Addr.Port() == 53 {
					t.DNSService, t.DNSSource = s.Addr.Addr(), "IPVS UDP service on port 53"
					break
				}
			}
		}
	}
	if !t.DNSService.IsValid() {
		if b, ok := c.files.get(bundle.NFTRulesetPath); ok {
			t.DNSService = nftDNSService(b)
			t.DNSSource = "kube-proxy nftables service-ips"
		}
	}
	if !t.DNSService.IsValid() {
		t.DNSService, t.DNSSource = defaultDNSServiceIP, "kubeadm default"
	}
	dns := map[netip.Addr]bool{}
	for _, a := range c.opts.Hints.CoreDNS {
		dns[a] = true
	}
	if b, ok := c.files.get(bundle.KubeCoreDNSPodsPath); ok {
		for _, a := range listAddrs(b) {
			dns[a] = true
		}
	}
	if len(dns) == 0 {
		if b, ok := c.files.get(bundle.KubeDNSEndpointsPath); ok {
			for _, a := range listAddrs(b) {
				dns[a] = true
			}
		}
	}
	for a := range dns {
		t.CoreDNS = append(t.CoreDNS, a)
	}
	sortAddrs(t.CoreDNS)

	if len(c.opts.Interfaces) > 0 {
		t.Interfaces = append(t.Interfaces, c.opts.Interfaces...)
	} else {
		t.Interfaces = append(append(t.Interfaces, t.Uplinks...), t.Tunnels...)
	}
	c.progress.say("uplinks %s; tunnels %s; DNS service %s (%s); CoreDNS %s; %d peer node(s)",
		orNone(t.Uplinks), orNone(t.Tunnels), t.DNSService, t.DNSSource, orNone(addrStrings(t.CoreDNS)), len(t.Peers))
}

// nftDNSService is the UDP port 53 address of kube-proxy's nftables
// service-ips map that goes to a kube-system Service (kube-dns, or a
// distribution's own name such as rke2-coredns-rke2-coredns), else none.
func nftDNSService(ruleset []byte) netip.Addr {
	r, _ := nft.Parse(ruleset)
	if r == nil {
		return netip.Addr{}
	}
	for _, s := range r.ServiceIPs() {
		if s.Proto == "udp" && s.Port == 53 && strings.Contains(s.Chain, "-kube-system/") {
			return s.Addr
		}
	}
	return netip.Addr{}
}

// canReach reads the targets of "can-reach=DEST" (an address; a host name is
// not resolved, the node's resolver being possibly what is broken).
func canReach(method string) []netip.Addr {
	var out []netip.Addr
	for _, part := range strings.Split(method, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "can-reach="); ok {
			if a, err := netip.ParseAddr(strings.TrimSpace(v)); err == nil {
				out = append(out, a)
			}
		}
	}
	return out
}

// routeGetAddrs: the can-reach target, every peer node, every CoreDNS pod and
// the DNS Service IP, as the layout asks.
func (c *collector) routeGetAddrs() []netip.Addr {
	t := &c.topo
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, list := range [][]netip.Addr{t.CanReach, {t.DNSService}, t.CoreDNS, t.Peers} {
		for _, a := range list {
			if a.IsValid() && !seen[a] && len(out) < bundle.MaxRouteGets {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func sortAddrs(a []netip.Addr) {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
}

func addrStrings(a []netip.Addr) []string {
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = x.String()
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}
