package kube

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Calico's node annotations.
const (
	AnnotCalicoIPv4          = "projectcalico.org/IPv4Address"
	AnnotCalicoIPv6          = "projectcalico.org/IPv6Address"
	AnnotCalicoIPIPTunnel    = "projectcalico.org/IPv4IPIPTunnelAddr"
	AnnotCalicoVXLANTunnel   = "projectcalico.org/IPv4VXLANTunnelAddr"
	AnnotCalicoVXLANMAC      = "projectcalico.org/IPv4VXLANTunnelMACAddr"
	AnnotCalicoVXLANTunnelV6 = "projectcalico.org/IPv6VXLANTunnelAddr"
)

// Nodes is the result of ParseNodes.
type Nodes struct {
	Nodes []Node
}

// Node is one Node object.
type Node struct {
	Name      string
	Line      int // line of metadata.name
	Addresses []NodeAddress
	// PodCIDR is spec.podCIDR; PodCIDRs spec.podCIDRs (both families when dual
	// stack). With calico-ipam they are not where Calico allocates pod addresses.
	PodCIDR     netip.Prefix
	PodCIDRs    []netip.Prefix
	PodCIDRLine int
	// CalicoAnnotations holds every projectcalico.org/ annotation by its full key.
	CalicoAnnotations map[string]Field
	// The Calico annotations parsed: the node address and prefix Calico chose
	// (autodetected or from IP=), and its tunnel devices' addresses.
	CalicoIPv4          netip.Prefix
	CalicoIPv6          netip.Prefix
	IPIPTunnelAddr      netip.Addr
	VXLANTunnelAddr     netip.Addr
	VXLANTunnelMAC      string
	VXLANTunnelAddrIPv6 netip.Addr
	Labels              map[string]string
	// Roles are the X of node-role.kubernetes.io/X labels, sorted.
	Roles         []string
	Unschedulable bool
	Conditions    []Condition
	// From status.nodeInfo.
	KubeletVersion, KubeProxyVersion, KernelVersion, OSImage, ContainerRuntimeVersion string
}

// NodeAddress is one status.addresses entry.
type NodeAddress struct {
	Type    string // InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS
	Address string
	IP      netip.Addr // set for the IP types
	Line    int
}

// InternalIP returns the first InternalIP address (kubelet lists the primary
// family first), or the zero Addr.
func (n *Node) InternalIP() netip.Addr {
	for _, a := range n.Addresses {
		if a.Type == "InternalIP" && a.IP.IsValid() {
			return a.IP
		}
	}
	return netip.Addr{}
}

// Ready returns the Ready condition's status ("True", "False", "Unknown") and
// its line; "" and 0 when the node has no Ready condition.
func (n *Node) Ready() (string, int) {
	c, _ := findCondition(n.Conditions, "Ready")
	return c.Status, c.Line
}

// Summary is one line for `analyze inspect`.
func (r *Nodes) Summary() string {
	ready, calico := 0, 0
	for i := range r.Nodes {
		if s, _ := r.Nodes[i].Ready(); s == "True" {
			ready++
		}
		if r.Nodes[i].CalicoIPv4.IsValid() || r.Nodes[i].CalicoIPv6.IsValid() {
			calico++
		}
	}
	return fmt.Sprintf("%d nodes (%d Ready), %d with a Calico address", len(r.Nodes), ready, calico)
}

// ParseNodes reads `kubectl get nodes -o json|yaml` (a List, or one Node).
func ParseNodes(data []byte) (*Nodes, []diag.Diagnostic) {
	var ds diag.List
	res := &Nodes{}
	objs, others, lists := objectsOf(data, &ds, "Node")
	for _, o := range objs {
		res.Nodes = append(res.Nodes, readNode(o, &ds))
	}
	if len(objs) == 0 && lists == 0 {
		notFound(&ds, "Node", others)
	}
	return res, ds
}

func readNode(o *yaml.Node, ds *diag.List) Node {
	name, _ := meta(o)
	n := Node{Name: name, Line: yamlnode.ObjectLine(o)}
	md, spec, status := yamlnode.Get(o, "metadata"), yamlnode.Get(o, "spec"), yamlnode.Get(o, "status")

	for _, p := range yamlnode.Pairs(yamlnode.Get(md, "annotations")) {
		key := p.Key.Value
		if !strings.HasPrefix(key, "projectcalico.org/") || !yamlnode.IsScalar(p.Value) {
			continue
		}
		if n.CalicoAnnotations == nil {
			n.CalicoAnnotations = map[string]Field{}
		}
		n.CalicoAnnotations[key] = Field{Value: p.Value.Value, Line: p.Key.Line}
		switch key {
		case AnnotCalicoIPv4:
			n.CalicoIPv4 = prefix(p.Key, p.Value, key, ds)
		case AnnotCalicoIPv6:
			n.CalicoIPv6 = prefix(p.Key, p.Value, key, ds)
		case AnnotCalicoIPIPTunnel:
			n.IPIPTunnelAddr = addr(p.Key, p.Value, key, ds)
		case AnnotCalicoVXLANTunnel:
			n.VXLANTunnelAddr = addr(p.Key, p.Value, key, ds)
		case AnnotCalicoVXLANTunnelV6:
			n.VXLANTunnelAddrIPv6 = addr(p.Key, p.Value, key, ds)
		case AnnotCalicoVXLANMAC:
			n.VXLANTunnelMAC = p.Value.Value
		}
	}
	n.Labels = yamlnode.StringMap(yamlnode.Get(md, "labels"))
	for k := range n.Labels {
		if role, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && role != "" {
			n.Roles = append(n.Roles, role)
		}
	}
	sort.Strings(n.Roles)

	if k, v := yamlnode.Lookup(spec, "podCIDR"); k != nil {
		n.PodCIDR = prefix(k, v, "podCIDR", ds)
		n.PodCIDRLine = k.Line
	}
	if k, v := yamlnode.Lookup(spec, "podCIDRs"); k != nil {
		for _, it := range yamlnode.Seq(v) {
			if p := prefix(nil, it, "podCIDRs entry", ds); p.IsValid() {
				n.PodCIDRs = append(n.PodCIDRs, p)
			}
		}
		if n.PodCIDRLine == 0 {
			n.PodCIDRLine = k.Line
		}
	}
	n.Unschedulable, _ = yamlnode.Bool(yamlnode.Get(spec, "unschedulable"))

	for _, a := range yamlnode.Seq(yamlnode.Get(status, "addresses")) {
		ka, va := yamlnode.Lookup(a, "address")
		na := NodeAddress{
			Type:    yamlnode.Str(yamlnode.Get(a, "type")),
			Address: yamlnode.Str(va),
			Line:    lineOf(ka, a),
		}
		if strings.HasSuffix(na.Type, "IP") {
			na.IP = addr(ka, va, "node address", ds)
		}
		n.Addresses = append(n.Addresses, na)
	}
	n.Conditions = readConditions(yamlnode.Get(status, "conditions"))
	info := yamlnode.Get(status, "nodeInfo")
	n.KubeletVersion = yamlnode.Str(yamlnode.Get(info, "kubeletVersion"))
	n.KubeProxyVersion = yamlnode.Str(yamlnode.Get(info, "kubeProxyVersion"))
	n.KernelVersion = yamlnode.Str(yamlnode.Get(info, "kernelVersion"))
	n.OSImage = yamlnode.Str(yamlnode.Get(info, "osImage"))
	n.ContainerRuntimeVersion = yamlnode.Str(yamlnode.Get(info, "containerRuntimeVersion"))
	if n.Name == "" {
		ds.Warnf(n.Line, "Node without a name")
	}
	return n
}
