// Package assemble builds the one cluster model (pkg/facts) from the parsed
// bundles of several nodes. It is where a support engineer's hand work is
// written down: which IP is the DNS Service, where each CoreDNS pod lives, what
// encapsulation the cluster uses, which address peers route to a node by and
// which one the node really sends from. Every inference keeps its evidence, and
// what cannot be inferred stays empty rather than guessed.
package assemble

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/celext"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iptables"
)

// DefaultDNSServiceIP is kubeadm's cluster DNS address, used when no bundle
// says otherwise.
const DefaultDNSServiceIP = "10.96.0.10"

// Options steer the inference.
type Options struct {
	// DNSServiceIP overrides the cluster DNS Service IP (--dns-service-ip).
	DNSServiceIP string
	// Built holds node facts built ahead with NodeFacts (while the other
	// bundles were still being parsed), by node: Build takes them instead
	// of building them again from parse results the node may have shed.
	Built map[*load.Node]facts.Node
}

// NodeFacts builds what one node's own bundle says (its links, addresses,
// routes, IPVS table, ...), the part of the model that needs no other node:
// a caller may build it as soon as the node is parsed, then let go of the
// parse results only it reads (load.Node.ShedNodeOnly), and pass it to Build
// in Options.Built.
func NodeFacts(n *load.Node) facts.Node {
	return nodeFacts(n)
}

// Build joins the nodes into one cluster model.
func Build(nodes []*load.Node, opts Options) *facts.Cluster {
	c := &facts.Cluster{}
	// The cluster/ folder of `collect cluster` holds cluster-wide objects and
	// no node: it is read first wherever those objects are looked up, and
	// never becomes a node.
	var own, shared []*load.Node
	for _, n := range nodes {
		if n.ClusterScope() {
			shared = append(shared, n)
			continue
		}
		own = append(own, n)
		if f, ok := opts.Built[n]; ok {
			c.Nodes = append(c.Nodes, f)
			continue
		}
		c.Nodes = append(c.Nodes, nodeFacts(n))
	}
	b := &builder{c: c, nodes: own, sources: append(shared, own...)}
	b.sharedDaemonSet()
	b.dropSharedIPs()
	b.kubeNodes()
	b.pools()
	b.felix()
	b.calicoInstall()
	b.podBlocks()
	b.dnsServiceIP(opts.DNSServiceIP)
	b.dnsServices()
	b.coreDNS()
	b.blocks()
	b.encapsulation()
	b.kubeProxy()
	b.iptables()
	b.nft()
	b.peerFacing()
	b.sendAddress()
	b.autodetect()
	b.captures()
	b.dnsCauses()
	// The routes are final: index them for the rules' routeGet.
	for i := range c.Nodes {
		c.Nodes[i].RouteLookup = celext.NewRouteIndex(&c.Nodes[i])
	}
	// So are the nodes' addresses, pod blocks and the KubeNodes: index them
	// for nodeNamed, nodeOwningIP, nodeOwningPodIP and kubeNodesNamed.
	c.Lookup = celext.NewClusterIndex(c)
	return c
}

type builder struct {
	c *facts.Cluster
	// nodes are the node bundles, index for index with c.Nodes; sources are
	// where cluster-wide objects are looked up: the cluster/ folder first,
	// then the nodes.
	nodes   []*load.Node
	sources []*load.Node
	// owners and facing index the nodes' addresses for owner (built on first
	// use, once the addresses are final).
	owners map[netip.Addr]string
	facing map[string]string
}

// sharedDaemonSet gives nodes whose bundle holds neither calico-node's
// environment nor the DaemonSet the DaemonSet another bundle holds: it is one
// object for the whole cluster.
func (b *builder) sharedDaemonSet() {
	for _, src := range b.sources {
		if src.DaemonSet == nil {
			continue
		}
		for i := range b.c.Nodes {
			if b.c.Nodes[i].Calico.EnvSource == "" {
				daemonSetEnv(src, &b.c.Nodes[i])
			}
		}
		return
	}
}

// dropSharedIPs removes from the nodes' own addresses those that several nodes
// carry (docker0's 172.17.0.1, a keepalived VIP): they name no node.
func (b *builder) dropSharedIPs() {
	count := map[string]int{}
	for _, n := range b.c.Nodes {
		for _, ip := range n.IPs {
			count[ip]++
		}
	}
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		kept := n.IPs[:0]
		for _, ip := range n.IPs {
			if count[ip] == 1 {
				kept = append(kept, ip)
			}
		}
		n.IPs = kept
	}
}

// kubeNodes takes the Node objects from the first bundle that has them and
// gives each node its InternalIP.
func (b *builder) kubeNodes() {
	for _, n := range b.sources {
		if n.KubeNodes == nil {
			continue
		}
		for _, kn := range n.KubeNodes.Nodes {
			k := facts.KubeNode{Name: kn.Name, Ref: refAt(n, bundle.KubeNodesPath, kn.Line)}
			for _, a := range kn.Addresses {
				if a.IP.IsValid() {
					k.Addresses = append(k.Addresses, a.IP.String())
					if a.Type == "InternalIP" && k.InternalIP == "" && a.IP.Is4() {
						k.InternalIP = a.IP.String()
					}
				}
			}
			if kn.CalicoIPv4.IsValid() {
				k.CalicoIP = kn.CalicoIPv4.String()
			}
			switch {
			case kn.IPIPTunnelAddr.IsValid():
				k.TunnelAddr = kn.IPIPTunnelAddr.String()
			case kn.VXLANTunnelAddr.IsValid():
				k.TunnelAddr = kn.VXLANTunnelAddr.String()
			}
			for _, cond := range kn.Conditions {
				if cond.Type == "Ready" {
					k.Ready = cond.Status == "True"
				}
			}
			b.c.KubeNodes = append(b.c.KubeNodes, k)
		}
		break
	}
	if len(b.c.KubeNodes) == 0 {
		return
	}
	for i := range b.c.Nodes {
		b.c.Nodes[i].Has[facts.HasKubeNodes] = true
		for _, k := range b.c.KubeNodes {
			if k.Name == b.c.Nodes[i].Name {
				b.c.Nodes[i].InternalIP = k.InternalIP
			}
		}
	}
}

func (b *builder) pools() {
	seen := map[string]bool{}
	for _, n := range b.sources {
		if n.Pools == nil {
			continue
		}
		for _, p := range n.Pools.Pools {
			if seen[p.Name+p.CIDR.String()] {
				continue
			}
			seen[p.Name+p.CIDR.String()] = true
			fp := facts.Pool{
				Name: p.Name, BlockSize: p.BlockSize, IPIPMode: p.IPIPMode, VXLANMode: p.VXLANMode,
				Encapsulation: p.Encapsulation(), Disabled: p.Disabled, Ref: refAt(n, bundle.CalicoIPPoolsPath, p.Line),
			}
			if p.CIDR.IsValid() {
				fp.CIDR = p.CIDR.String()
			}
			b.c.Pools = append(b.c.Pools, fp)
		}
	}
	for _, p := range b.c.Pools {
		if !p.Disabled && p.CIDR != "" {
			b.c.PodCIDRs = append(b.c.PodCIDRs, p.CIDR)
			b.c.PodCIDRsSource = "IP pools"
		}
	}
	if len(b.c.Pools) > 0 {
		for i := range b.c.Nodes {
			b.c.Nodes[i].Has[facts.HasPools] = true
		}
	}
	if len(b.c.PodCIDRs) > 0 {
		return
	}
	// Without pools: the pool CIDR calico-node was installed with, else
	// kube-proxy's clusterCIDR.
	add := func(s string) {
		if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			p = p.Masked()
			for _, have := range b.c.PodCIDRs {
				if have == p.String() {
					return
				}
			}
			b.c.PodCIDRs = append(b.c.PodCIDRs, p.String())
		}
	}
	for _, n := range b.c.Nodes {
		if v, ok := n.Calico.Env["CALICO_IPV4POOL_CIDR"]; ok {
			add(v.Value)
		}
	}
	if len(b.c.PodCIDRs) > 0 {
		b.c.PodCIDRsSource = "calico-node CALICO_IPV4POOL_CIDR"
		return
	}
	for _, n := range b.sources {
		if n.KubeProxy != nil {
			for _, p := range n.KubeProxy.ClusterCIDRs {
				add(p.String())
			}
		}
	}
	if len(b.c.PodCIDRs) > 0 {
		b.c.PodCIDRsSource = "kube-proxy clusterCIDR"
	}
}

func (b *builder) felix() {
	for _, n := range b.sources {
		if n.Felix == nil {
			continue
		}
		for _, fc := range n.Felix.Configs {
			if fc.Name != "default" {
				continue
			}
			b.c.FelixIPIPEnabled = fc.IPIPEnabled.Value
			b.c.FelixVXLANEnabled = fc.VXLANEnabled.Value
			b.c.FelixRef = refAt(n, bundle.CalicoFelixPath, fc.Line)
		}
		for i := range b.c.Nodes {
			b.c.Nodes[i].Has[facts.HasFelix] = true
		}
		return
	}
}

// blockBits is the pod block size of the pool holding a, 26 (Calico's default)
// when unknown.
func (b *builder) blockBits(a netip.Addr) int {
	for _, p := range b.c.Pools {
		if pp, err := netip.ParsePrefix(p.CIDR); err == nil && pp.Contains(a) && p.BlockSize > 0 {
			return p.BlockSize
		}
	}
	if a.Is6() {
		return 122
	}
	return 26
}

// inPodCIDR says whether a falls in a known pod CIDR; unknown CIDRs say yes.
func (b *builder) inPodCIDR(p netip.Prefix) bool {
	if len(b.c.PodCIDRs) == 0 {
		return true
	}
	for _, s := range b.c.PodCIDRs {
		if pc, err := netip.ParsePrefix(s); err == nil && pc.Contains(p.Addr()) && p.Bits() >= pc.Bits() {
			return true
		}
	}
	return false
}

// podBlocks finds the blocks each node owns: Calico installs a blackhole route
// for every block it holds (BIRD: proto bird; felix: proto 80), and a /32 route
// to a cali* device for every local pod.
func (b *builder) podBlocks() {
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		seen := map[string]bool{}
		for _, r := range n.Routes {
			p, err := netip.ParsePrefix(r.Dst)
			if err != nil || r.Type != "blackhole" || p.Bits() == 0 || !p.Addr().Is4() {
				continue
			}
			if len(b.c.PodCIDRs) == 0 && r.Proto != "bird" && r.Proto != "80" {
				continue
			}
			if !b.inPodCIDR(p) || seen[p.String()] {
				continue
			}
			seen[p.String()] = true
			n.PodBlocks = append(n.PodBlocks, p.String())
		}
		for _, r := range n.Routes {
			p, err := netip.ParsePrefix(r.Dst)
			if err != nil || !strings.HasPrefix(r.Dev, "cali") || !p.IsSingleIP() || !p.Addr().Is4() || !b.inPodCIDR(p) {
				continue
			}
			covered := false
			for _, blk := range n.PodBlocks {
				if bp, _ := netip.ParsePrefix(blk); bp.Contains(p.Addr()) {
					covered = true
					break
				}
			}
			if !covered {
				blk, _ := p.Addr().Prefix(b.blockBits(p.Addr()))
				n.PodBlocks = append(n.PodBlocks, blk.String())
			}
		}
		if n.TunnelAddr != "" && len(n.PodBlocks) == 0 {
			if a, err := netip.ParseAddr(n.TunnelAddr); err == nil {
				blk, _ := a.Prefix(b.blockBits(a))
				n.PodBlocks = append(n.PodBlocks, blk.String())
			}
		}
		sort.Strings(n.PodBlocks)
	}
}

func (b *builder) dnsServices() {
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		for _, s := range n.IPVS {
			if s.VIP == b.c.DNSServiceIP {
				n.DNSServices = append(n.DNSServices, ipvsService(b.nodes[i], s))
			}
		}
	}
}

// coreDNS lists the CoreDNS pods: from kube data when any bundle has it, else
// from the real servers of the DNS Service in IPVS; then finds each pod's node.
func (b *builder) coreDNS() {
	c := b.c
	byIP := map[string]int{}
	add := func(ip, name, node, source string, ready bool, ref facts.Ref) {
		if i, ok := byIP[ip]; ok {
			p := &c.CoreDNS[i]
			if p.Name == "" {
				p.Name = name
			}
			if p.Node == "" && node != "" {
				p.Node, p.NodeSource = node, "kube"
			}
			p.Ready = p.Ready || ready
			p.Refs = append(p.Refs, ref)
			return
		}
		p := facts.CoreDNSPod{IP: ip, Name: name, Source: source, Ready: ready, Current: true, Refs: []facts.Ref{ref}}
		if node != "" {
			p.Node, p.NodeSource = node, "kube"
		}
		byIP[ip] = len(c.CoreDNS)
		c.CoreDNS = append(c.CoreDNS, p)
	}
	kube := false
	for _, n := range b.sources {
		if n.Endpoints != nil {
			for _, e := range n.Endpoints.Items {
				if !isDNSEndpoints(e, c.DNSServiceName, len(n.Endpoints.Items)) && !strings.HasPrefix(e.Name, "kube-dns-") {
					continue
				}
				kube = true
				for _, a := range e.Addresses {
					if a.IP.IsValid() {
						add(a.IP.String(), a.TargetName, a.NodeName, "endpoints", a.Ready, refAt(n, bundle.KubeDNSEndpointsPath, a.Line))
					}
				}
			}
		}
		if n.Pods != nil {
			for _, p := range n.Pods.Pods {
				if !p.PodIP.IsValid() || p.Phase == "Succeeded" || p.Phase == "Failed" {
					continue
				}
				kube = true
				line := p.PodIPLine
				if line == 0 {
					line = p.Line
				}
				add(p.PodIP.String(), p.Name, p.NodeName, "pods", p.Ready, refAt(n, bundle.KubeCoreDNSPodsPath, line))
			}
		}
		if kube {
			break // one bundle's kube data is the cluster's
		}
	}
	if kube {
		for i := range c.Nodes {
			c.Nodes[i].Has[facts.HasKubeDNS] = true
		}
	}
	// Real servers of the DNS Service: backends kube data does not list are stale.
	for _, n := range c.Nodes {
		for _, s := range n.DNSServices {
			for _, r := range s.Reals {
				if _, ok := byIP[r.IP]; ok || r.IP == "" {
					if ok {
						p := &c.CoreDNS[byIP[r.IP]]
						if len(p.Refs) < 8 {
							p.Refs = append(p.Refs, r.Ref)
						}
					}
					continue
				}
				add(r.IP, "", "", "ipvs", false, r.Ref)
				if kube {
					p := &c.CoreDNS[byIP[r.IP]]
					p.Current = false
					p.StaleWhy = "not a kube-dns endpoint nor a running CoreDNS pod"
				}
			}
		}
	}
	c.CoreDNSKnown = len(c.CoreDNS) > 0
	// Where does each pod live? kube says so; else the node with a cali* route to
	// it; else the node owning its block, which then proves a pod gone.
	for i := range c.CoreDNS {
		p := &c.CoreDNS[i]
		if p.Node != "" {
			continue
		}
		a, err := netip.ParseAddr(p.IP)
		if err != nil {
			continue
		}
		for _, n := range c.Nodes {
			for _, r := range n.Routes {
				if strings.HasPrefix(r.Dev, "cali") && r.Dst == netip.PrefixFrom(a, a.BitLen()).String() {
					p.Node, p.NodeSource = n.Name, "route"
				}
			}
		}
		if p.Node != "" {
			continue
		}
		for _, n := range c.Nodes {
			for _, blk := range n.PodBlocks {
				if bp, err := netip.ParsePrefix(blk); err == nil && bp.Contains(a) {
					p.Node, p.NodeSource = n.Name, "block"
					if n.Has[facts.HasRoutes] && !kube {
						p.Current = false
						p.StaleWhy = fmt.Sprintf("%s owns block %s but has no route to a pod with this address", n.Name, blk)
					}
				}
			}
		}
	}
	sort.SliceStable(c.CoreDNS, func(i, j int) bool { return c.CoreDNS[i].IP < c.CoreDNS[j].IP })
}

// encapsulation works out what each node's routes to other pod blocks use and
// what the cluster is configured for; disagreement is "mixed".
func (b *builder) encapsulation() {
	c := b.c
	nodeModes := map[string][]string{}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		own := map[string]bool{}
		for _, blk := range n.PodBlocks {
			own[blk] = true
		}
		seen := map[string]bool{}
		for _, r := range n.Routes {
			p, err := netip.ParsePrefix(r.Dst)
			if err != nil || r.Default || r.Type != "unicast" || own[r.Dst] || !p.Addr().Is4() || p.Bits() == 32 && strings.HasPrefix(r.Dev, "cali") {
				continue
			}
			mode := ""
			switch {
			case r.Dev == devIPIP:
				mode = facts.EncapIPIP
			case r.Dev == devVXLAN:
				mode = facts.EncapVXLAN
			case r.Via != "" && len(c.PodCIDRs) > 0 && b.inPodCIDR(p) && (r.Proto == "bird" || r.Proto == "80"):
				mode = facts.EncapNone
			}
			if mode == "" || len(c.PodCIDRs) > 0 && !b.inPodCIDR(p) {
				continue
			}
			if !seen[mode] {
				seen[mode] = true
				if n.EncapRef.File() == "" {
					n.EncapRef = r.Ref
				}
			}
		}
		switch {
		case seen[facts.EncapIPIP] && seen[facts.EncapVXLAN]:
			n.Encapsulation = facts.EncapMixed
		case seen[facts.EncapIPIP]:
			n.Encapsulation = facts.EncapIPIP
		case seen[facts.EncapVXLAN]:
			n.Encapsulation = facts.EncapVXLAN
		case seen[facts.EncapNone]:
			n.Encapsulation = facts.EncapNone
		default:
			n.Encapsulation = facts.EncapUnknown
		}
		if n.Encapsulation != facts.EncapUnknown {
			nodeModes[n.Encapsulation] = append(nodeModes[n.Encapsulation], n.Name)
		}
		if n.TunnelDevice == "" || n.Encapsulation == facts.EncapVXLAN && n.TunnelDevice != devVXLAN {
			switch n.Encapsulation {
			case facts.EncapIPIP:
				n.TunnelDevice = devIPIP
			case facts.EncapVXLAN:
				n.TunnelDevice = devVXLAN
			}
			n.TunnelAddr = linkAddr(n.Links, n.TunnelDevice)
		}
	}

	poolModes := map[string]bool{}
	for _, p := range c.Pools {
		pp, err := netip.ParsePrefix(p.CIDR)
		if p.Disabled || err != nil || !pp.Addr().Is4() || p.Encapsulation == "" {
			continue
		}
		poolModes[p.Encapsulation] = true
	}
	tunnels := func(m map[string][]string) []string {
		var out []string
		for _, k := range []string{facts.EncapIPIP, facts.EncapVXLAN, facts.EncapMixed} {
			if len(m[k]) > 0 {
				out = append(out, k)
			}
		}
		return out
	}
	nodeTunnels := tunnels(nodeModes)
	describe := func() string {
		var parts []string
		for _, k := range []string{facts.EncapIPIP, facts.EncapVXLAN, facts.EncapMixed, facts.EncapNone} {
			if len(nodeModes[k]) > 0 {
				parts = append(parts, fmt.Sprintf("%s on %s", k, strings.Join(nodeModes[k], ", ")))
			}
		}
		return strings.Join(parts, "; ")
	}
	switch {
	case len(nodeTunnels) > 1 || len(nodeModes[facts.EncapMixed]) > 0:
		c.Encapsulation = facts.EncapMixed
		c.EncapsulationWhy = "routes disagree: " + describe()
	case len(poolModes) > 1:
		c.Encapsulation = facts.EncapMixed
		c.EncapsulationWhy = "IP pools use different encapsulations"
	case len(poolModes) == 1:
		for m := range poolModes {
			c.Encapsulation = m
		}
		c.EncapsulationWhy = "IP pool"
		if len(nodeTunnels) == 1 && nodeTunnels[0] != c.Encapsulation && c.Encapsulation != facts.EncapNone {
			c.EncapsulationWhy = fmt.Sprintf("IP pool says %s but routes use %s", c.Encapsulation, describe())
			c.Encapsulation = facts.EncapMixed
		}
	case len(nodeTunnels) == 1:
		c.Encapsulation = nodeTunnels[0]
		c.EncapsulationWhy = "routes: " + describe()
	case len(nodeModes[facts.EncapNone]) > 0:
		c.Encapsulation = facts.EncapNone
		c.EncapsulationWhy = "routes: " + describe()
	default:
		c.Encapsulation = facts.EncapUnknown
		for _, n := range c.Nodes {
			ipip, vx := n.Calico.Env["CALICO_IPV4POOL_IPIP"].Value, n.Calico.Env["CALICO_IPV4POOL_VXLAN"].Value
			switch {
			case isOn(ipip) && !isOn(vx):
				c.Encapsulation, c.EncapsulationWhy = facts.EncapIPIP, "calico-node env CALICO_IPV4POOL_IPIP"
			case isOn(vx) && !isOn(ipip):
				c.Encapsulation, c.EncapsulationWhy = facts.EncapVXLAN, "calico-node env CALICO_IPV4POOL_VXLAN"
			default:
				continue
			}
			break
		}
		if c.Encapsulation == facts.EncapUnknown {
			b.encapsulationFromDevices()
		}
	}
}

// encapsulationFromDevices is the last source: the tunnel devices Calico
// gives an address (tunl0 for IPIP, vxlan.calico for VXLAN) on every node that
// has links, with felix's own switches when the FelixConfiguration says so.
func (b *builder) encapsulationFromDevices() {
	c := b.c
	seen := map[string][]string{}
	withLinks := 0
	for _, n := range c.Nodes {
		if len(n.Links) == 0 {
			continue
		}
		withLinks++
		for dev, enc := range map[string]string{devIPIP: facts.EncapIPIP, devVXLAN: facts.EncapVXLAN} {
			if linkAddr(n.Links, dev) != "" {
				seen[enc] = append(seen[enc], n.Name)
			}
		}
	}
	felixSays := func(enc string) bool {
		switch enc {
		case facts.EncapIPIP:
			return c.FelixIPIPEnabled != "false" && c.FelixVXLANEnabled != "true"
		default:
			return c.FelixVXLANEnabled != "false" && c.FelixIPIPEnabled != "true"
		}
	}
	for _, enc := range []string{facts.EncapIPIP, facts.EncapVXLAN} {
		other := facts.EncapVXLAN
		if enc == facts.EncapVXLAN {
			other = facts.EncapIPIP
		}
		if withLinks > 0 && len(seen[enc]) == withLinks && len(seen[other]) == 0 && felixSays(enc) {
			c.Encapsulation = enc
			c.EncapsulationWhy = "tunnel device with an address on " + strings.Join(seen[enc], ", ")
			return
		}
	}
}

func isOn(mode string) bool {
	m := strings.ToLower(strings.TrimSpace(mode))
	return m == "always" || m == "crosssubnet" || m == "cross-subnet"
}

func linkAddr(links []facts.Link, name string) string {
	for _, l := range links {
		if l.Name != name {
			continue
		}
		for _, a := range l.Addrs {
			if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
				return p.Addr().String()
			}
		}
	}
	return ""
}

func (b *builder) kubeProxy() {
	var mode, source string
	var ref facts.Ref
	for _, n := range b.sources {
		if n.KubeProxy != nil {
			mode, source = n.KubeProxy.Mode, "configmap"
			if !n.KubeProxy.ModeSet || mode == "" {
				mode = "iptables" // kube-proxy's default on Linux
			}
			ref = refAt(n, bundle.KubeProxyConfigPath, n.KubeProxy.ModeLine)
			break
		}
	}
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		if mode != "" {
			n.KubeProxyMode, n.KubeProxyModeSource, n.KubeProxyModeRef = mode, source, ref
			n.Has[facts.HasKubeProxy] = true
			continue
		}
		// Without the ConfigMap, IPVS services on the node mean IPVS mode.
		if len(n.IPVS) > 0 {
			n.KubeProxyMode, n.KubeProxyModeSource = "ipvs", "inferred-ipvs"
			n.KubeProxyModeRef = refAt(b.nodes[i], bundle.IPVSPath, int(n.IPVS[0].Line))
		}
	}
}

func (b *builder) iptables() {
	for i, ln := range b.nodes {
		n := &b.c.Nodes[i]
		t := ln.IPTables
		if t == nil {
			continue
		}
		if a, err := netip.ParseAddr(b.c.DNSServiceIP); err == nil {
			for _, r := range t.ServiceRules(a) {
				n.IPTables.DNSServiceRules = append(n.IPTables.DNSServiceRules, ruleFact(ln, r.Chain, r.Target, int(r.Packets), int(r.Bytes), strings.Join(r.Comments, "; "), r.Line))
			}
			for _, be := range t.ServiceBackends(a) {
				if be.Dest.Port() == 9153 { // CoreDNS metrics, not name resolution
					continue
				}
				n.IPTables.DNSBackends = append(n.IPTables.DNSBackends, facts.ProxyEndpoint{Proto: be.Protocol, Port: 53,
					IP: be.Dest.Addr().String(), DestPort: int(be.Dest.Port()), Ref: refAt(ln, bundle.IPTablesSavePath, be.Line)})
			}
			host := netip.PrefixFrom(a, a.BitLen())
			for _, chain := range noEndpointChains {
				for _, r := range t.RulesIn("filter", chain) {
					if r.DstPrefix == host && r.Target == "REJECT" && r.DPort == "53" && strings.Contains(strings.Join(r.Comments, " "), "has no endpoints") {
						n.IPTables.DNSNoEndpoints = append(n.IPTables.DNSNoEndpoints, refAt(ln, bundle.IPTablesSavePath, r.Line))
					}
				}
			}
		}
		if !n.Has[facts.HasKubeProxy] && n.KubeProxyMode == "" && n.IPTables.HasKubeChains {
			n.KubeProxyMode, n.KubeProxyModeSource = "iptables", "inferred-iptables"
		}
	}
}

// noEndpointChains are where kube-proxy rejects a Service without endpoints.
var noEndpointChains = [...]string{"KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"}

// iptablesNodeFacts is the part of the iptables facts that needs no other
// node and no cluster DNS address: built with the node's own facts, so that
// only what Build reads of the dump is kept (ShedNode).
func iptablesNodeFacts(ln *load.Node, f *facts.IPTables) {
	t := ln.IPTables
	if t == nil {
		return
	}
	f.HasKubeChains = t.HasKubeProxyRules()
	f.HasCalicoChains = t.HasCalicoRules()
	for _, r := range t.CalicoIPIPRules() {
		accept, drop := &f.IPIPAccept, &f.IPIPDrop
		if r.Kind == "vxlan" {
			accept, drop = &f.VXLANAccept, &f.VXLANDrop
		}
		fr := ruleFact(ln, r.Chain, r.Target, int(r.Packets), int(r.Bytes), strings.Join(r.Comments, "; "), r.Line)
		switch r.Action {
		case "ACCEPT":
			*accept = append(*accept, fr)
		case "DROP":
			*drop = append(*drop, fr)
		}
	}
	if ch, ok := t.Chain("filter", "FORWARD"); ok {
		f.ForwardPolicy = ln.Intern(ch.Policy)
	}
}

// keptForBuild says which iptables-save rules Build still reads once the
// node's own facts are built: kube-proxy's NAT rules for Services (the DNS
// Service IP is known only once every bundle is read), its rejects of
// Services without endpoints, and the raw table's NOTRACK rules (judged
// against the DNS and CoreDNS addresses). Felix's chains, the bulk of a
// Calico node's dump, are read by then.
func keptForBuild(r *iptables.Rule) bool {
	switch {
	case r.Table == "raw":
		return true
	case r.Chain == noEndpointChains[0] || r.Chain == noEndpointChains[1]:
		return r.Table == "" || r.Table == "nat" || r.Table == "filter"
	case iptables.IsServiceChain(r.Chain):
		return r.Table == "" || r.Table == "nat"
	}
	return false
}

// ShedNode lets go of what only n's own facts read, once NodeFacts(n) is
// built: load.Node.ShedNodeOnly, and the iptables-save rules Build does not
// read (keptForBuild).
func ShedNode(n *load.Node) {
	n.IPTables = n.IPTables.Compact(keptForBuild)
	n.ShedNodeOnly()
}

// calicoSets reads felix's ipsets of node addresses (the part of the
// iptables facts that needs no other node, built with the node's own facts
// so that the ipset parse can be let go early): only where iptables-save
// was read, as felix's iptables rules are what use them.
func calicoSets(ln *load.Node, f *facts.IPTables) {
	if ln.IPTables == nil || ln.IPSet == nil {
		return
	}
	if s := ln.IPSet.Get("cali40all-hosts-net"); s != nil {
		f.SetsFrom = "ipset"
		f.AllHostsNetKnown = s.Complete()
		// A node's set names every node: sized once, not grown by doubling.
		if len(s.Members) > 0 {
			f.AllHostsNet, f.AllHostsNetIPs = make([]string, 0, len(s.Members)), make(map[string]bool, len(s.Members))
		}
		for _, m := range s.Members {
			addSetMember(ln, &f.AllHostsNet, &f.AllHostsNetIPs, &f.AllHostsNetNets, m.Value)
		}
	}
	if s := ln.IPSet.Get("cali40all-vxlan-net"); s != nil {
		f.SetsFrom = "ipset"
		f.AllVXLANNetKnown = s.Complete()
		if len(s.Members) > 0 {
			f.AllVXLANNet, f.AllVXLANNetIPs = make([]string, 0, len(s.Members)), make(map[string]bool, len(s.Members))
		}
		for _, m := range s.Members {
			addSetMember(ln, &f.AllVXLANNet, &f.AllVXLANNetIPs, &f.AllVXLANNetNets, m.Value)
		}
	}
}

func (b *builder) nft() {
	a, err := netip.ParseAddr(b.c.DNSServiceIP)
	for i, ln := range b.nodes {
		if ln.NFT == nil {
			continue
		}
		n := &b.c.Nodes[i]
		n.NFT.HasKubeProxyTable = ln.NFT.HasKubeProxyTable()
		felixNFT(ln, n)
		if err != nil {
			continue
		}
		for _, s := range ln.NFT.ServiceIPs() {
			if s.Addr != a {
				continue
			}
			n.NFT.DNSServiceEntries = append(n.NFT.DNSServiceEntries, refAt(ln, bundle.NFTRulesetPath, s.Line))
			if s.Port != 53 {
				continue
			}
			fam := "ip"
			if a.Is6() {
				fam = "ip6"
			}
			for _, ep := range ln.NFT.ServiceEndpoints(fam, s.Chain) {
				n.NFT.DNSEndpoints = append(n.NFT.DNSEndpoints, facts.ProxyEndpoint{Proto: s.Proto, Port: int(s.Port),
					IP: ep.Dest.Addr().String(), DestPort: int(ep.Dest.Port()), Ref: refAt(ln, bundle.NFTRulesetPath, ep.Line)})
			}
		}
		for _, s := range ln.NFT.NoEndpointServices() {
			if s.Addr == a && s.Port == 53 {
				n.NFT.DNSNoEndpoints = append(n.NFT.DNSNoEndpoints, refAt(ln, bundle.NFTRulesetPath, s.Line))
			}
		}
		if !n.Has[facts.HasKubeProxy] && n.KubeProxyMode == "" && n.NFT.HasKubeProxyTable {
			n.KubeProxyMode, n.KubeProxyModeSource = "nftables", "inferred-nftables"
		}
	}
}

func ruleFact(n *load.Node, chain, target string, pkts, bytes int, comment string, line int) facts.Rule {
	return facts.Rule{Chain: n.Intern(chain), Target: n.Intern(target), Packets: pkts, Bytes: bytes, Comment: n.Intern(comment), Ref: refAt(n, bundle.IPTablesSavePath, line)}
}

// addSetMember lists and indexes one member of a hash:net ipset (cali40all-hosts-net,
// cali40all-vxlan-net): a single address (bare or a host prefix, as ipset
// prints hash:net entries) goes into the set ips, for a lookup instead of a
// scan of the whole ipset for every peer; a wider network into nets.
func addSetMember(ln *load.Node, list *[]string, ips *map[string]bool, nets *[]string, m string) {
	// Every node's set names every node: one string per member for the run.
	m = ln.Intern(m)
	*list = append(*list, m)
	if *ips == nil {
		*ips = map[string]bool{}
	}
	if !strings.Contains(m, "/") {
		(*ips)[m] = true
		return
	}
	if p, err := netip.ParsePrefix(m); err == nil && p.IsSingleIP() {
		(*ips)[ln.AddrString(p.Addr())] = true
		return
	}
	*nets = append(*nets, m)
}
