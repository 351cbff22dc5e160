package assemble

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// cloudCNIs are the pod interface prefixes of the CNIs that route pods
// themselves when Calico only enforces policy beside them: the AWS VPC CNI
// (eni<hash>), Azure CNI (azv<hash>) and GKE's dataplane (gke<hash>). They are
// also the values the tigera operator gives FELIX_INTERFACEPREFIX for
// Installation.spec.cni.type AmazonVPC, AzureVNET and GKE.
var cloudCNIs = []struct{ prefix, name string }{
	{"eni", "the AWS VPC CNI"},
	{"azv", "Azure CNI"},
	{"gke", "GKE's dataplane"},
}

func cloudCNIByPrefix(prefix string) string {
	for _, c := range cloudCNIs {
		if prefix == c.prefix {
			return c.name
		}
	}
	return ""
}

// policyOnly recognises Calico installed for policy only beside another CNI
// that routes the pods, from three signals, strongest first:
//   - calico-node's CALICO_NETWORKING_BACKEND=none (no BIRD, no felix routes:
//     the policy-only manifests and the operator's AmazonVPC/AzureVNET/GKE
//     installs; canal, Calico beside flannel, too);
//   - FELIX_INTERFACEPREFIX naming only cloud CNI prefixes (eni, azv, gke):
//     felix polices the cloud CNI's pod interfaces instead of its own cali*;
//   - the bundles themselves: where some bundle shows Calico (its env, pools,
//     felix configuration or cali- iptables chains), pods sit on eni*/azv*/gke*
//     interfaces with host routes, and no node has a cali* pod interface.
//
// It is never a default: any node that shows Calico routing pods (a tunnel
// address on tunl0 or vxlan.calico, its own pod blocks, routes through a
// tunnel or from BIRD, an established BGP session, a cali* interface) keeps
// the route and tunnel rules running, and CalicoPolicyOnlyDoubt says why.
func (b *builder) policyOnly() {
	c := b.c
	why, ref, cni := "", facts.Ref{}, ""
	for _, n := range c.Nodes {
		if v, ok := n.Calico.Env["CALICO_NETWORKING_BACKEND"]; ok && strings.EqualFold(strings.TrimSpace(v.Value), "none") {
			why, ref = "calico-node has CALICO_NETWORKING_BACKEND=none", v.Ref
			break
		}
	}
	// A backend named bird or vxlan says Calico routes pods, whatever felix
	// polices: the interface signals then stay unused (unclear is not
	// policy-only).
	if why == "" && !b.backendSet() {
		for _, n := range c.Nodes {
			v, ok := n.Calico.Env["FELIX_INTERFACEPREFIX"]
			if !ok || !onlyCloudPrefixes(v.Value) {
				continue
			}
			why, ref = fmt.Sprintf("felix polices the cloud CNI's pod interfaces (FELIX_INTERFACEPREFIX=%s)", strings.TrimSpace(v.Value)), v.Ref
			break
		}
	}
	podIface, podRef := b.cloudPodInterfaces()
	if podIface != "" {
		cni = cloudCNIByPrefix(podIface[:3])
	}
	if why == "" && podIface != "" && b.calicoPresent() && !b.backendSet() {
		why, ref = fmt.Sprintf("pods sit on %s* interfaces of %s (%s) and no node has a cali* one", podIface[:3], cni, podIface), podRef
	}
	if why == "" {
		return
	}
	if doubt := b.calicoRoutes(); doubt != "" {
		c.CalicoPolicyOnlyDoubt = "not taken for policy-only mode (" + why + "), because " + doubt
		return
	}
	if cni != "" && !strings.Contains(why, cni) {
		why += "; " + cni + " routes the pods (" + podIface[:3] + "* interfaces)"
	} else if cni == "" && b.hasLink("flannel.1") {
		why += "; flannel routes the pods (flannel.1: canal)"
	}
	c.CalicoPolicyOnly, c.CalicoPolicyOnlyWhy, c.CalicoPolicyOnlyRef = true, why, ref
	c.CloudCNI = cni
}

// onlyCloudPrefixes: a FELIX_INTERFACEPREFIX list whose every entry is a cloud
// CNI's (OpenStack's "tap" or Calico's "cali" are Calico networking).
func onlyCloudPrefixes(list string) bool {
	n := 0
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if cloudCNIByPrefix(p) == "" {
			return false
		}
		n++
	}
	return n > 0
}

// cloudPodInterfaces finds a pod interface of a cloud CNI: a route to a
// single address through an eni*/azv*/gke* link (how those CNIs plumb each
// pod). It returns the interface and the route's line, or "".
func (b *builder) cloudPodInterfaces() (string, facts.Ref) {
	for _, n := range b.c.Nodes {
		for _, r := range n.Routes {
			p, err := netip.ParsePrefix(r.Dst)
			if err != nil || !p.IsSingleIP() || r.Via != "" || len(r.Dev) <= 3 || cloudCNIByPrefix(r.Dev[:3]) == "" {
				continue
			}
			return r.Dev, r.Ref
		}
	}
	return "", facts.Ref{}
}

// calicoPresent: some bundle shows Calico at all.
func (b *builder) calicoPresent() bool {
	for _, n := range b.c.Nodes {
		if n.Has[facts.HasCalicoEnv] || n.Has[facts.HasPools] || n.Has[facts.HasFelix] || n.IPTables.HasCalicoChains || n.NFT.HasCalicoTable {
			return true
		}
	}
	return false
}

// backendSet: some calico-node names its networking backend (bird, vxlan):
// then the env, not the interfaces, says whether Calico routes pods.
func (b *builder) backendSet() bool {
	for _, n := range b.c.Nodes {
		if v, ok := n.Calico.Env["CALICO_NETWORKING_BACKEND"]; ok && strings.TrimSpace(v.Value) != "" {
			return true
		}
	}
	return false
}

func (b *builder) hasLink(name string) bool {
	for _, n := range b.c.Nodes {
		for _, l := range n.Links {
			if l.Name == name {
				return true
			}
		}
	}
	return false
}

// calicoRoutes says which node shows Calico routing pods, and how, or "".
func (b *builder) calicoRoutes() string {
	for _, n := range b.c.Nodes {
		switch {
		case n.TunnelAddr != "":
			return fmt.Sprintf("%s has the tunnel address %s on %s", n.Name, n.TunnelAddr, n.TunnelDevice)
		case len(n.PodBlocks) > 0:
			return fmt.Sprintf("%s routes its own Calico pod block %s", n.Name, n.PodBlocks[0])
		case n.Encapsulation != "" && n.Encapsulation != facts.EncapUnknown:
			return fmt.Sprintf("%s routes pod blocks of other nodes (%s, %s:%d)", n.Name, n.Encapsulation, n.EncapRef.File(), n.EncapRef.Line)
		}
		for _, p := range n.BGPPeers {
			if p.Established {
				return fmt.Sprintf("%s has an established BGP session %s", n.Name, p.Name)
			}
		}
		for _, l := range n.Links {
			if strings.HasPrefix(l.Name, "cali") {
				return fmt.Sprintf("%s has the Calico pod interface %s", n.Name, l.Name)
			}
		}
	}
	return ""
}
