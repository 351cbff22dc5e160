package celext

import (
	"net/netip"
	"slices"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// ClusterIndex answers NodeNamed, NodeOwningIP, NodeOwningPodIP and
// KubeNodesNamed for one cluster without scanning it (facts.ClusterLookup).
// A route rule asks them for every block of every node: on a fleet of 1,000
// nodes a scan per question made the rules cubic in the nodes.
//
// It holds indexes into the cluster's slices, never pointers into them, so
// that it answers for a copy of the cluster (CEL may hand a lookup one) as
// for the cluster itself; it is only valid while the nodes, their addresses
// and pod blocks, and the KubeNodes stay as they were when it was built.
type ClusterIndex struct {
	nodeByName map[string]int
	// ipOwner maps each address a node has (NodeHasIP) to the first node
	// that has it.
	ipOwner map[netip.Addr]int
	// blocks4/blocks6 map each masked pod block to the first node listing
	// it; bits4/bits6 are the prefix lengths present, longest first.
	blocks4, blocks6 map[netip.Prefix]int
	bits4, bits6     []int
	kubeByName       map[string][]int
}

var _ facts.ClusterLookup = (*ClusterIndex)(nil)

// NewClusterIndex indexes c as it is now: build it once the model is final.
func NewClusterIndex(c *facts.Cluster) *ClusterIndex {
	x := &ClusterIndex{
		nodeByName: make(map[string]int, len(c.Nodes)),
		ipOwner:    map[netip.Addr]int{},
		blocks4:    map[netip.Prefix]int{},
		blocks6:    map[netip.Prefix]int{},
		kubeByName: make(map[string][]int, len(c.KubeNodes)),
	}
	owns := func(a netip.Addr, i int) {
		if _, ok := x.ipOwner[a]; !ok {
			x.ipOwner[a] = i
		}
	}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		if _, ok := x.nodeByName[n.Name]; !ok {
			x.nodeByName[n.Name] = i
		}
		// The addresses NodeHasIP reads, parsed the way it parses them:
		// IPs and link addresses may carry a length, the InternalIP may
		// not.
		for _, s := range n.IPs {
			if a, err := AddrOf(s); err == nil {
				owns(a, i)
			}
		}
		if n.InternalIP != "" {
			if a, err := ParseAddr(n.InternalIP); err == nil {
				owns(a, i)
			}
		}
		for j := range n.Links {
			for _, s := range n.Links[j].Addrs {
				if a, err := AddrOf(s); err == nil {
					owns(a, i)
				}
			}
		}
		for _, s := range n.PodBlocks {
			p, err := PrefixOf(s)
			if err != nil {
				continue
			}
			m, bits := x.blocks6, &x.bits6
			if p.Addr().Is4() {
				m, bits = x.blocks4, &x.bits4
			}
			// Two blocks of one length that both contain an address are
			// the same block: the first node listing it wins the tie.
			if _, ok := m[p]; !ok {
				m[p] = i
				if !slices.Contains(*bits, p.Bits()) {
					*bits = append(*bits, p.Bits())
				}
			}
		}
	}
	slices.SortFunc(x.bits4, func(a, b int) int { return b - a })
	slices.SortFunc(x.bits6, func(a, b int) int { return b - a })
	for i := range c.KubeNodes {
		name := c.KubeNodes[i].Name
		x.kubeByName[name] = append(x.kubeByName[name], i)
	}
	return x
}

// NodeIndex is NodeNamed's node as an index into the cluster's nodes.
func (x *ClusterIndex) NodeIndex(name string) int {
	if i, ok := x.nodeByName[name]; ok {
		return i
	}
	return -1
}

// IPOwnerIndex is NodeOwningIP's node as an index into the cluster's nodes.
func (x *ClusterIndex) IPOwnerIndex(a netip.Addr) int {
	if !a.IsValid() {
		return -1
	}
	if i, ok := x.ipOwner[a.WithZone("").Unmap()]; ok {
		return i
	}
	return -1
}

// PodIPOwnerIndex is NodeOwningPodIP's node as an index into the cluster's
// nodes: the blocks of each length present are probed from the longest.
func (x *ClusterIndex) PodIPOwnerIndex(a netip.Addr) int {
	if !a.IsValid() {
		return -1
	}
	a = a.WithZone("").Unmap()
	m, bits := x.blocks6, x.bits6
	if a.Is4() {
		m, bits = x.blocks4, x.bits4
	}
	for _, b := range bits {
		if i, ok := m[netip.PrefixFrom(a, b).Masked()]; ok {
			return i
		}
	}
	return -1
}

// KubeNodeIndexes are KubeNodesNamed's KubeNodes as indexes into the
// cluster's KubeNodes. The caller must not modify the slice.
func (x *ClusterIndex) KubeNodeIndexes(name string) []int {
	return x.kubeByName[name]
}
