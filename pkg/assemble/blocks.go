package assemble

import (
	"net/netip"
	"sort"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// blocks lists every pod block some source ties to a node, so that the route
// rules judge each node's routes to all other nodes' blocks, not only to the
// CoreDNS pods'. Sources, most authoritative first: the owner's own routes
// (blackhole for each block it holds), the tunnel address Calico annotates on
// each Node object (it lies in one of that node's blocks; one node's bundle
// with kube/nodes.json thus knows every peer's block), the CoreDNS pods' nodes.
func (b *builder) blocks() {
	c := b.c
	byCIDR := map[string]int{}
	add := func(p netip.Prefix, node, ip, source string, sizeKnown bool, ref facts.Ref) {
		p = p.Masked()
		if i, ok := byCIDR[p.String()]; ok {
			if c.Blocks[i].Node == "" && node != "" {
				c.Blocks[i].Node, c.Blocks[i].Source = node, source
			}
			return
		}
		// A block inside a block already listed (a /26 guessed around an
		// address of a known /24) is that block.
		for i := range c.Blocks {
			if bp, err := netip.ParsePrefix(c.Blocks[i].CIDR); err == nil && bp.Contains(p.Addr()) && bp.Bits() <= p.Bits() {
				if c.Blocks[i].Node == "" && node != "" {
					c.Blocks[i].Node, c.Blocks[i].Source = node, source
				}
				return
			}
		}
		if ip == "" {
			ip = p.Addr().String()
		}
		byCIDR[p.String()] = len(c.Blocks)
		c.Blocks = append(c.Blocks, facts.PodBlock{CIDR: p.String(), Node: node, IP: ip, Source: source, BlockSizeKnown: sizeKnown, CoreDNS: []string{}, Ref: ref})
	}
	for _, n := range c.Nodes {
		for _, blk := range n.PodBlocks {
			p, err := netip.ParsePrefix(blk)
			if err != nil {
				continue
			}
			ref := facts.Ref{}
			for _, r := range n.Routes {
				if r.Dst == blk || r.Type == "unicast" && r.Dev != "" && prefixContains(p, r.Dst) {
					ref = r.Ref
					break
				}
			}
			add(p, n.Name, "", "routes", true, ref)
		}
	}
	for _, k := range c.KubeNodes {
		a, err := netip.ParseAddr(k.TunnelAddr)
		if err != nil || !a.Is4() {
			continue
		}
		bits, known := b.blockBitsKnown(a)
		p, _ := a.Prefix(bits)
		add(p, k.Name, a.String(), "annotation", known, k.Ref)
	}
	for _, pod := range c.CoreDNS {
		a, err := netip.ParseAddr(pod.IP)
		if err != nil || !pod.Current || !a.Is4() {
			continue
		}
		bits, known := b.blockBitsKnown(a)
		p, _ := a.Prefix(bits)
		ref := facts.Ref{}
		if len(pod.Refs) > 0 {
			ref = pod.Refs[0]
		}
		add(p, pod.Node, pod.IP, "coredns", known, ref)
	}
	// CoreDNS pods: their blocks are on the DNS path, and the route rules
	// look the pod's own address up.
	for i := range c.Blocks {
		blk := &c.Blocks[i]
		bp, err := netip.ParsePrefix(blk.CIDR)
		if err != nil {
			continue
		}
		for _, pod := range c.CoreDNS {
			if a, err := netip.ParseAddr(pod.IP); err == nil && pod.Current && bp.Contains(a) {
				if len(blk.CoreDNS) == 0 {
					blk.IP = pod.IP
				}
				blk.CoreDNS = append(blk.CoreDNS, pod.IP)
			}
		}
	}
	sort.SliceStable(c.Blocks, func(i, j int) bool { return c.Blocks[i].CIDR < c.Blocks[j].CIDR })
}

// blockBitsKnown is blockBits, and whether a pool said so.
func (b *builder) blockBitsKnown(a netip.Addr) (int, bool) {
	for _, p := range b.c.Pools {
		if pp, err := netip.ParsePrefix(p.CIDR); err == nil && pp.Contains(a) && p.BlockSize > 0 {
			return p.BlockSize, true
		}
	}
	return b.blockBits(a), false
}

func prefixContains(p netip.Prefix, s string) bool {
	q, err := netip.ParsePrefix(s)
	return err == nil && p.Contains(q.Addr()) && q.Bits() >= p.Bits()
}
