package assemble

import (
	"fmt"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

// calicoAbsent recognises a cluster without Calico (a cloud CNI alone: the
// AWS VPC CNI, Azure CNI, Cilium, flannel), where Calico's route and tunnel
// rules have nothing to check and would misread the cloud's routing (a pod
// in another subnet reached through the default gateway is no missing pod
// block). It needs, on every node, evidence that Calico is not there, not
// merely files that were not collected:
//   - collect's manifest recording that it looked for the calico-node
//     process and found none (calico/calico-node-env.txt skipped); or
//   - an iptables-save without a single cali- chain, and either felix's
//     nftables table absent from a collected nft ruleset or an interface
//     list without a Calico interface (felix in nftables mode leaves
//     iptables empty, but its pods still sit on cali* interfaces);
//
// and no bundle showing Calico anywhere (its env, DaemonSet, pools, felix
// configuration, BIRD, log, cali- chains or table, a cali* or vxlan.calico
// interface, a tunnel address or Calico routes, Calico annotations on the
// Node objects). The Calico API objects answering 404 are quoted as well,
// never used alone: Calico with an etcd datastore has no CRDs either.
//
// Each node's bundle must also show the host's network namespace (kube-proxy's
// rules or IPVS services, or a CNI's host-side interface): collect run in a
// pod of its own sees no calico-node process, no cali- chain and no Calico
// interface on a Calico node too.
func (b *builder) calicoAbsent() {
	c := b.c
	if c.CalicoPolicyOnly || len(b.nodes) == 0 || b.calicoSign() {
		return
	}
	var noProcess, noChains []string
	var refs []facts.Ref
	for i, ln := range b.nodes {
		n := &c.Nodes[i]
		if !hostView(n) {
			return
		}
		switch {
		case manifestSkipped(ln, bundle.CalicoEnvPath, "no calico-node process"):
			noProcess = append(noProcess, n.Name)
			refs = append(refs, facts.NewRef(n.Name, bundle.ManifestPath, 0, "calico/calico-node-env.txt skipped: no calico-node process on this node"))
		case n.Has[facts.HasIPTables] && !n.IPTables.HasCalicoChains &&
			((n.Has[facts.HasNFT] && !n.NFT.HasCalicoTable) || n.Has[facts.HasLinks]):
			noChains = append(noChains, n.Name)
			refs = append(refs, refAt(ln, bundle.IPTablesSavePath, 1))
		default:
			return
		}
	}
	var why []string
	if len(noProcess) > 0 {
		why = append(why, "no calico-node process on "+nodeList(noProcess, len(b.nodes))+" (collect's manifest.json)")
	}
	if len(noChains) > 0 {
		why = append(why, "no cali- chain in the iptables-save of "+nodeList(noChains, len(b.nodes)))
	}
	if api := b.calicoAPINotFound(); api != "" {
		why = append(why, api)
	}
	why = append(why, "no bundle shows Calico")
	c.CalicoAbsent, c.CalicoAbsentWhy, c.CalicoAbsentRefs = true, strings.Join(why, "; "), refs
}

// nodeList names the nodes, or says all of them.
func nodeList(names []string, of int) string {
	if len(names) == of && of > 1 {
		return "any node"
	}
	return strings.Join(names, ", ")
}

// manifestSkipped: collect recorded path as skipped with an error holding
// reason (it looked, and what it looks for was not there).
func manifestSkipped(n *load.Node, path, reason string) bool {
	if n.Bundle == nil || n.Bundle.Manifest == nil {
		return false
	}
	it, ok := n.Bundle.Manifest.Lookup(path)
	return ok && it.Status == bundle.StatusSkipped && strings.Contains(it.Error, reason)
}

// calicoAPINotFound says which of Calico's API objects every URL answered 404
// for, as recorded in a manifest ("" when none did).
func (b *builder) calicoAPINotFound() string {
	for _, src := range b.sources {
		var gone []string
		for _, o := range []struct{ path, what string }{
			{bundle.CalicoDaemonSetPath, "calico-node DaemonSet"},
			{bundle.CalicoIPPoolsPath, "IPPool"},
			{bundle.CalicoFelixPath, "FelixConfiguration"},
		} {
			if manifestSkipped(src, o.path, "not found") {
				gone = append(gone, o.what)
			}
		}
		if len(gone) > 0 {
			return fmt.Sprintf("the API has no %s (404)", orList(gone))
		}
	}
	return ""
}

// calicoSign: some bundle shows Calico, whatever it does.
func (b *builder) calicoSign() bool {
	if b.calicoPresent() || b.calicoRoutes() != "" {
		return true
	}
	for _, src := range b.sources {
		if src.DaemonSet != nil || src.Pools != nil || src.Felix != nil || src.CalicoEnv != nil {
			return true
		}
	}
	for _, n := range b.c.Nodes {
		if n.Has[facts.HasBird] || n.Has[facts.HasCalicoLog] || n.Calico.EnvSource != "" {
			return true
		}
		for _, l := range n.Links {
			if strings.HasPrefix(l.Name, "cali") || strings.HasPrefix(l.Name, "vxlan.calico") || strings.HasPrefix(l.Name, "vxlan-v6.calico") {
				return true
			}
		}
	}
	for _, k := range b.c.KubeNodes {
		if k.CalicoIP != "" || k.TunnelAddr != "" {
			return true
		}
	}
	return false
}

// orList joins words as "a, b or c".
func orList(w []string) string {
	if len(w) < 2 {
		return strings.Join(w, "")
	}
	return strings.Join(w[:len(w)-1], ", ") + " or " + w[len(w)-1]
}

// hostInterfaces are name prefixes of interfaces only a node's own network
// namespace has: pod interfaces and devices of the common CNIs, kube-proxy's
// IPVS dummy, docker's bridge.
var hostInterfaces = []string{"eni", "azv", "gke", "veth", "lxc", "cni", "cbr0", "flannel.", "cilium_", "weave", "kube-ipvs0", "docker0", "vxlan", "genev"}

// hostView: the bundle shows the node's own network namespace (kube-proxy's
// iptables or nftables rules, IPVS services, or an interface only a host
// has), not the namespace of a pod collect happened to run in.
func hostView(n *facts.Node) bool {
	if n.IPTables.HasKubeChains || n.NFT.HasKubeProxyTable || len(n.IPVS) > 0 {
		return true
	}
	for _, l := range n.Links {
		for _, p := range hostInterfaces {
			if strings.HasPrefix(l.Name, p) {
				return true
			}
		}
	}
	return false
}
