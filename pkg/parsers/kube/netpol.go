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

// LabelSelector is a metav1.LabelSelector. Set tells a selector that is present
// (even `{}`, which selects everything) from one that is missing.
type LabelSelector struct {
	Set              bool
	Line             int
	MatchLabels      map[string]string
	MatchExpressions []LabelRequirement
}

// LabelRequirement is one matchExpressions entry.
type LabelRequirement struct {
	Key, Operator string // In, NotIn, Exists, DoesNotExist
	Values        []string
	Line          int
}

// Matches reports whether labels satisfy the selector (all terms ANDed). A
// missing selector matches nothing, as the API's conversion does.
func (s LabelSelector) Matches(labels map[string]string) bool {
	if !s.Set {
		return false
	}
	for k, v := range s.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, r := range s.MatchExpressions {
		v, ok := labels[r.Key]
		switch r.Operator {
		case "In":
			if !ok || !contains(r.Values, v) {
				return false
			}
		case "NotIn":
			if ok && contains(r.Values, v) {
				return false
			}
		case "Exists":
			if !ok {
				return false
			}
		case "DoesNotExist":
			if ok {
				return false
			}
		default:
			return false // the API rejects other operators
		}
	}
	return true
}

// Empty is `{}`: every pod (or namespace).
func (s LabelSelector) Empty() bool {
	return s.Set && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// String renders the selector the way kubectl describe does ("app=web,tier in (a,b)").
func (s LabelSelector) String() string {
	if !s.Set {
		return "<none>"
	}
	var parts []string
	for _, k := range sortedKeys(s.MatchLabels) {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	for _, r := range s.MatchExpressions {
		switch r.Operator {
		case "Exists":
			parts = append(parts, r.Key)
		case "DoesNotExist":
			parts = append(parts, "!"+r.Key)
		default:
			parts = append(parts, fmt.Sprintf("%s %s (%s)", r.Key, strings.ToLower(r.Operator), strings.Join(r.Values, ",")))
		}
	}
	if len(parts) == 0 {
		return "<all>"
	}
	return strings.Join(parts, ",")
}

func contains(xs []string, v string) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// IPBlock is a peer's ipBlock.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

// Contains reports whether a is in the block and in none of its exceptions.
func (b IPBlock) Contains(a netip.Addr) bool {
	if !b.CIDR.IsValid() || !b.CIDR.Contains(a) {
		return false
	}
	for _, e := range b.Except {
		if e.Contains(a) {
			return false
		}
	}
	return true
}

// NetPolPeer is one from/to entry.
type NetPolPeer struct {
	Line              int
	PodSelector       LabelSelector
	NamespaceSelector LabelSelector
	IPBlock           *IPBlock
}

// NetPolPort is one ports entry. Port is "" for all ports, a number, or a
// named port; EndPort is 0 unless a range is given.
type NetPolPort struct {
	Line     int
	Protocol string // TCP (the default), UDP, SCTP
	Port     string
	EndPort  int
}

// NetPolRule is one ingress or egress rule. An empty or missing peer list
// matches every peer; an empty or missing port list matches every port.
type NetPolRule struct {
	Line  int
	Peers []NetPolPeer
	Ports []NetPolPort
}

// NetworkPolicy is one networking.k8s.io/v1 NetworkPolicy.
type NetworkPolicy struct {
	Name, Namespace string
	Line            int
	PodSelector     LabelSelector
	// PolicyTypes as written, or defaulted as the API server does: Ingress
	// always, Egress when the policy has egress rules.
	PolicyTypes     []string
	PolicyTypesLine int
	Ingress         []NetPolRule
	Egress          []NetPolRule
}

// Affects reports whether the policy applies to direction ("Ingress"/"Egress").
func (p NetworkPolicy) Affects(direction string) bool { return contains(p.PolicyTypes, direction) }

// NetworkPolicies is the result of ParseNetworkPolicies.
type NetworkPolicies struct {
	Policies []NetworkPolicy
}

// Summary is one line for `analyze inspect`.
func (r *NetworkPolicies) Summary() string {
	eg := 0
	for _, p := range r.Policies {
		if p.Affects("Egress") {
			eg++
		}
	}
	return fmt.Sprintf("%d NetworkPolicies (%d with egress)", len(r.Policies), eg)
}

// ParseNetworkPolicies reads `kubectl get networkpolicies -A -o json|yaml`.
func ParseNetworkPolicies(data []byte) (*NetworkPolicies, []diag.Diagnostic) {
	var ds diag.List
	res := &NetworkPolicies{}
	objs, others, lists := objectsOf(data, &ds, "NetworkPolicy")
	for _, o := range objs {
		if av := yamlnode.Str(yamlnode.Get(o, "apiVersion")); strings.Contains(av, "projectcalico.org") {
			ds.Warnf(yamlnode.ObjectLine(o), "a Calico NetworkPolicy (%s) in the Kubernetes policy file: skipped", av)
			continue
		}
		res.Policies = append(res.Policies, readNetPol(o, &ds))
	}
	if len(objs) == 0 && lists == 0 {
		notFound(&ds, "NetworkPolicy", others)
	}
	return res, ds
}

func readNetPol(o *yaml.Node, ds *diag.List) NetworkPolicy {
	name, ns := meta(o)
	spec := yamlnode.Get(o, "spec")
	p := NetworkPolicy{Name: name, Namespace: ns, Line: yamlnode.ObjectLine(o)}
	if ns == "" {
		ds.Warnf(p.Line, "NetworkPolicy %s has no namespace", name)
	}
	k, v := yamlnode.Lookup(spec, "podSelector")
	p.PodSelector = readSelector(k, v, ds)
	if !p.PodSelector.Set {
		// podSelector is required; the API server stores {} for an omitted one.
		p.PodSelector = LabelSelector{Set: true, Line: p.Line}
	}
	for _, it := range yamlnode.Seq(yamlnode.Get(spec, "ingress")) {
		p.Ingress = append(p.Ingress, readNetPolRule(it, "from", ds))
	}
	for _, it := range yamlnode.Seq(yamlnode.Get(spec, "egress")) {
		p.Egress = append(p.Egress, readNetPolRule(it, "to", ds))
	}
	tk, tv := yamlnode.Lookup(spec, "policyTypes")
	if tk != nil {
		p.PolicyTypesLine = tk.Line
		for _, t := range yamlnode.Seq(tv) {
			s := yamlnode.Str(t)
			switch s {
			case "Ingress", "Egress":
				p.PolicyTypes = append(p.PolicyTypes, s)
			default:
				ds.Warnf(yamlnode.Line(t), "unknown policy type %q", s)
			}
		}
	} else {
		p.PolicyTypes = []string{"Ingress"}
		if len(p.Egress) > 0 {
			p.PolicyTypes = append(p.PolicyTypes, "Egress")
		}
	}
	return p
}

func readNetPolRule(n *yaml.Node, peersKey string, ds *diag.List) NetPolRule {
	r := NetPolRule{Line: yamlnode.Line(n)}
	for _, pe := range yamlnode.Seq(yamlnode.Get(n, peersKey)) {
		peer := NetPolPeer{Line: yamlnode.Line(pe)}
		k, v := yamlnode.Lookup(pe, "podSelector")
		peer.PodSelector = readSelector(k, v, ds)
		k, v = yamlnode.Lookup(pe, "namespaceSelector")
		peer.NamespaceSelector = readSelector(k, v, ds)
		if b := yamlnode.Get(pe, "ipBlock"); b != nil {
			ck, cv := yamlnode.Lookup(b, "cidr")
			blk := &IPBlock{CIDR: maskedPrefix(ck, cv, "ipBlock cidr", ds)}
			for _, e := range yamlnode.Seq(yamlnode.Get(b, "except")) {
				if ep := maskedPrefix(nil, e, "ipBlock except", ds); ep.IsValid() {
					blk.Except = append(blk.Except, ep)
				}
			}
			peer.IPBlock = blk
		}
		if !peer.PodSelector.Set && !peer.NamespaceSelector.Set && peer.IPBlock == nil {
			ds.Warnf(peer.Line, "a %s peer with no selector and no ipBlock (the API rejects it)", peersKey)
		}
		r.Peers = append(r.Peers, peer)
	}
	for _, pn := range yamlnode.Seq(yamlnode.Get(n, "ports")) {
		pp := NetPolPort{Line: yamlnode.Line(pn), Protocol: strings.ToUpper(yamlnode.Str(yamlnode.Get(pn, "protocol"))), Port: yamlnode.Str(yamlnode.Get(pn, "port"))}
		if pp.Protocol == "" {
			pp.Protocol = "TCP"
		}
		if e, ok := yamlnode.Int(yamlnode.Get(pn, "endPort")); ok && e > 0 && e < 65536 {
			pp.EndPort = int(e)
		}
		r.Ports = append(r.Ports, pp)
	}
	return r
}

func maskedPrefix(k, v *yaml.Node, what string, ds *diag.List) netip.Prefix {
	p := prefix(k, v, what, ds)
	if p.IsValid() {
		p = p.Masked()
	}
	return p
}

func readSelector(k, v *yaml.Node, ds *diag.List) LabelSelector {
	if k == nil || v == nil || (v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")) {
		return LabelSelector{}
	}
	s := LabelSelector{Set: true, Line: k.Line, MatchLabels: yamlnode.StringMap(yamlnode.Get(v, "matchLabels"))}
	for _, e := range yamlnode.Seq(yamlnode.Get(v, "matchExpressions")) {
		r := LabelRequirement{Key: yamlnode.Str(yamlnode.Get(e, "key")), Operator: yamlnode.Str(yamlnode.Get(e, "operator")), Line: yamlnode.Line(e)}
		for _, x := range yamlnode.Seq(yamlnode.Get(e, "values")) {
			r.Values = append(r.Values, yamlnode.Str(x))
		}
		switch r.Operator {
		case "In", "NotIn", "Exists", "DoesNotExist":
		default:
			ds.Warnf(r.Line, "unknown selector operator %q: the selector matches nothing", r.Operator)
		}
		s.MatchExpressions = append(s.MatchExpressions, r)
	}
	return s
}

// Namespace is one Namespace object: its labels feed namespace selectors.
type Namespace struct {
	Name   string
	Line   int
	Labels map[string]string
}

// Namespaces is the result of ParseNamespaces.
type Namespaces struct {
	Namespaces []Namespace
}

// Get returns the namespace called name.
func (r *Namespaces) Get(name string) (Namespace, bool) {
	for _, n := range r.Namespaces {
		if n.Name == name {
			return n, true
		}
	}
	return Namespace{}, false
}

// Summary is one line for `analyze inspect`.
func (r *Namespaces) Summary() string { return fmt.Sprintf("%d namespaces", len(r.Namespaces)) }

// ParseNamespaces reads `kubectl get namespaces -o json|yaml`.
func ParseNamespaces(data []byte) (*Namespaces, []diag.Diagnostic) {
	var ds diag.List
	res := &Namespaces{}
	objs, others, lists := objectsOf(data, &ds, "Namespace")
	for _, o := range objs {
		name, _ := meta(o)
		res.Namespaces = append(res.Namespaces, Namespace{Name: name, Line: yamlnode.ObjectLine(o), Labels: yamlnode.StringMap(yamlnode.Path(o, "metadata", "labels"))})
	}
	if len(objs) == 0 && lists == 0 {
		notFound(&ds, "Namespace", others)
	}
	return res, ds
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
