// Package netpol evaluates network policy for one flow the way the dataplane
// does: Kubernetes NetworkPolicies (isolation when any policy selects the pod for
// a direction, allows unioned) and Calico NetworkPolicies and
// GlobalNetworkPolicies (tiers, order, Allow/Deny/Pass/Log, end-of-tier deny).
// Kubernetes policies take part as Calico renders them: in the default tier at
// order 1000, with Allow rules only, which gives the same verdicts as the
// Kubernetes semantics alone when no Calico policy exists.
//
// The verdict names the policy and the rule (or the tier's implicit deny) that
// decided, so a report can say which policy blocks DNS and what to add.
package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/calico"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
)

// Direction of a policy evaluation.
type Direction string

// The two directions.
const (
	Egress  Direction = "Egress"
	Ingress Direction = "Ingress"
)

// Endpoint is one side of a flow.
type Endpoint struct {
	// Pod is true for a workload endpoint (a pod on the pod network); false for
	// a host-network address or anything outside the cluster.
	Pod            bool
	Name           string // for messages: "shop/web-1", "NodeLocal DNS 169.254.20.10"
	Namespace      string
	Labels         map[string]string
	NSLabels       map[string]string
	ServiceAccount string
	IP             netip.Addr
	Ports          []kube.ContainerPort
	// Service is "namespace/name" of the Service the flow was addressed to
	// (Calico's services match), "" when addressed directly.
	Service string
}

// Flow is one connection attempt.
type Flow struct {
	Src, Dst Endpoint
	Proto    string // "UDP", "TCP"
	Port     int
}

// Policy kinds in verdicts.
const (
	KindK8s         = "NetworkPolicy"
	KindCalico      = "Calico NetworkPolicy"
	KindCalicoGloba = "Calico GlobalNetworkPolicy"
)

// Verdict is the outcome of one direction.
type Verdict struct {
	Allowed bool
	// Policy decided it (the Deny rule's policy, or for an end-of-tier deny the
	// first policy of the tier that selected the endpoint); "" when no policy
	// selects the endpoint for the direction.
	Policy     string
	Kind       string
	Tier       string
	PolicyLine int
	Source     string // which input the policy came from: "kube" or "calico"
	RuleLine   int    // the deciding rule, 0 for the implicit deny
	Why        string
	// Selecting lists every policy that selects the endpoint for the direction.
	Selecting []string
}

// Set is the policies of a cluster.
type Set struct {
	pols []policy
	// NSLabels are the labels of each namespace (namespaces.json).
	NSLabels map[string]map[string]string
}

type policy struct {
	kind, name, namespace, tier, source string
	order                               float64
	hasOrder                            bool
	line                                int
	types                               map[Direction]bool
	applies                             func(ep Endpoint) bool
	// synth builds labels of a pod the policy selects (client candidates).
	synth func() map[string]string
	rules map[Direction][]rule
}

type rule struct {
	line   int
	action string
	match  func(f Flow) bool
}

func (p *policy) ref() string {
	if p.namespace != "" {
		return p.namespace + "/" + p.name
	}
	return p.name
}

// New builds the set from the parsed policies (any may be nil).
func New(k8s *kube.NetworkPolicies, cal []*calico.Policies, ns *kube.Namespaces) *Set {
	s := &Set{NSLabels: map[string]map[string]string{}}
	if ns != nil {
		for _, n := range ns.Namespaces {
			s.NSLabels[n.Name] = n.Labels
		}
	}
	if k8s != nil {
		for i := range k8s.Policies {
			s.pols = append(s.pols, fromK8s(k8s.Policies[i]))
		}
	}
	for _, c := range cal {
		if c == nil {
			continue
		}
		for i := range c.Policies {
			p := c.Policies[i]
			if p.DoNotTrack || p.PreDNAT {
				continue // host endpoints only
			}
			s.pols = append(s.pols, fromCalico(p))
		}
	}
	sort.SliceStable(s.pols, func(i, j int) bool {
		a, b := s.pols[i], s.pols[j]
		if a.tier != b.tier {
			return tierLess(a.tier, b.tier)
		}
		if a.hasOrder != b.hasOrder {
			return a.hasOrder
		}
		if a.order != b.order {
			return a.order < b.order
		}
		return a.ref() < b.ref()
	})
	return s
}

// tierLess orders tiers without their Tier objects: named tiers by name, the
// default tier last (its order is the highest of the built-in ones).
func tierLess(a, b string) bool {
	if (a == "default") != (b == "default") {
		return b == "default"
	}
	return a < b
}

// Empty reports whether the set holds no policy.
func (s *Set) Empty() bool { return len(s.pols) == 0 }

// Evaluate judges one direction of f: Egress on the source's policies,
// Ingress on the destination's.
func (s *Set) Evaluate(f Flow, d Direction) Verdict {
	ep := f.Src
	if d == Ingress {
		ep = f.Dst
	}
	var v Verdict
	if !ep.Pod {
		v.Allowed, v.Why = true, "not a pod: pod policies do not apply"
		return v
	}
	i := 0
	for i < len(s.pols) {
		tier := s.pols[i].tier
		j := i
		for j < len(s.pols) && s.pols[j].tier == tier {
			j++
		}
		var first *policy
		passed := false
	tierLoop:
		for k := i; k < j; k++ {
			p := &s.pols[k]
			if !p.types[d] || !p.applies(ep) {
				continue
			}
			v.Selecting = append(v.Selecting, p.ref())
			if first == nil {
				first = p
			}
			for _, r := range p.rules[d] {
				if !r.match(f) {
					continue
				}
				switch r.action {
				case "Allow":
					v.fill(p, r.line)
					v.Allowed, v.Why = true, fmt.Sprintf("allowed by %s %s", p.kind, p.ref())
					return v
				case "Deny":
					v.fill(p, r.line)
					v.Why = fmt.Sprintf("denied by the Deny rule at line %d of %s %s", r.line, p.kind, p.ref())
					return v
				case "Pass":
					passed = true
					break tierLoop
				}
			}
		}
		if first != nil && !passed {
			v.fill(first, 0)
			v.Why = fmt.Sprintf("%s: selected by %s for %s and no rule allows it", denyWording(first), strings.Join(v.Selecting, ", "), strings.ToLower(string(d)))
			return v
		}
		i = j
	}
	v.Allowed = true
	if len(v.Selecting) == 0 {
		v.Why = fmt.Sprintf("no policy selects %s for %s", ep.Name, strings.ToLower(string(d)))
	} else {
		v.Why = "every tier passed: the namespace's profile allows it"
	}
	return v
}

func denyWording(p *policy) string {
	if p.source == "kube" {
		return "default deny"
	}
	return fmt.Sprintf("end-of-tier deny of tier %q", p.tier)
}

func (v *Verdict) fill(p *policy, line int) {
	v.Policy, v.Kind, v.Tier, v.PolicyLine, v.Source, v.RuleLine = p.ref(), p.kind, p.tier, p.line, p.source, line
}

// withNS adds the namespace pseudo-label Kubernetes sets on every namespace
// since 1.21 when the dump lacks it, and Calico's projectcalico.org/name.
func nsLabels(ep Endpoint) map[string]string {
	out := map[string]string{"projectcalico.org/name": ep.Namespace}
	if _, ok := ep.NSLabels["kubernetes.io/metadata.name"]; !ok && ep.Namespace != "" {
		out["kubernetes.io/metadata.name"] = ep.Namespace
	}
	for k, v := range ep.NSLabels {
		out[k] = v
	}
	return out
}

// calicoLabels are the labels Calico's selectors see on a workload endpoint.
func calicoLabels(ep Endpoint) map[string]string {
	out := map[string]string{
		"projectcalico.org/namespace":    ep.Namespace,
		"projectcalico.org/orchestrator": "k8s",
	}
	if ep.ServiceAccount != "" {
		out["projectcalico.org/serviceaccount"] = ep.ServiceAccount
	}
	for k, v := range ep.NSLabels {
		out["pcns."+k] = v
	}
	for k, v := range ep.Labels {
		out[k] = v
	}
	return out
}

func fromK8s(np kube.NetworkPolicy) policy {
	p := policy{kind: KindK8s, name: np.Name, namespace: np.Namespace, tier: "default", order: 1000, hasOrder: true, line: np.Line, source: "kube",
		types: map[Direction]bool{}, rules: map[Direction][]rule{}}
	for _, t := range np.PolicyTypes {
		p.types[Direction(t)] = true
	}
	sel, ns := np.PodSelector, np.Namespace
	p.synth = func() map[string]string { return synthK8s(sel) }
	p.applies = func(ep Endpoint) bool { return ep.Namespace == ns && sel.Matches(ep.Labels) }
	for _, r := range np.Ingress {
		r := r
		p.rules[Ingress] = append(p.rules[Ingress], rule{line: r.Line, action: "Allow", match: func(f Flow) bool {
			return k8sPorts(r.Ports, f) && k8sPeers(r.Peers, f.Src, ns)
		}})
	}
	for _, r := range np.Egress {
		r := r
		p.rules[Egress] = append(p.rules[Egress], rule{line: r.Line, action: "Allow", match: func(f Flow) bool {
			return k8sPorts(r.Ports, f) && k8sPeers(r.Peers, f.Dst, ns)
		}})
	}
	return p
}

func k8sPorts(ports []kube.NetPolPort, f Flow) bool {
	if len(ports) == 0 {
		return true
	}
	for _, pp := range ports {
		if pp.Protocol != f.Proto {
			continue
		}
		if pp.Port == "" {
			return true
		}
		if n, err := strconv.Atoi(pp.Port); err == nil {
			hi := n
			if pp.EndPort >= n {
				hi = pp.EndPort
			}
			if f.Port >= n && f.Port <= hi {
				return true
			}
			continue
		}
		// A named port is resolved on the destination pod.
		if namedPort(f.Dst, pp.Port, f.Proto) == f.Port && f.Port != 0 {
			return true
		}
	}
	return false
}

func namedPort(ep Endpoint, name, proto string) int {
	if !ep.Pod {
		return 0
	}
	for _, cp := range ep.Ports {
		if cp.Name == name && strings.EqualFold(cp.Protocol, proto) {
			return cp.Port
		}
	}
	return 0
}

func k8sPeers(peers []kube.NetPolPeer, ep Endpoint, policyNS string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, pe := range peers {
		if pe.IPBlock != nil {
			if ep.IP.IsValid() && pe.IPBlock.Contains(ep.IP) {
				return true
			}
			continue
		}
		if !ep.Pod {
			continue
		}
		if pe.NamespaceSelector.Set {
			if !pe.NamespaceSelector.Matches(nsLabels(ep)) {
				continue
			}
		} else if ep.Namespace != policyNS {
			continue
		}
		if pe.PodSelector.Set && !pe.PodSelector.Matches(ep.Labels) {
			continue
		}
		return true
	}
	return false
}

func fromCalico(cp calico.Policy) policy {
	kind := KindCalico
	if cp.Kind == calico.KindGlobalNetworkPolicy {
		kind = KindCalicoGloba
	}
	p := policy{kind: kind, name: cp.Name, namespace: cp.Namespace, tier: cp.Tier, order: cp.Order, hasOrder: cp.HasOrder, line: cp.Line, source: "calico",
		types: map[Direction]bool{}, rules: map[Direction][]rule{}}
	for _, t := range cp.Types {
		p.types[Direction(t)] = true
	}
	global := cp.Kind == calico.KindGlobalNetworkPolicy
	p.synth = func() map[string]string { return synthCalico(cp.Selector) }
	p.applies = func(ep Endpoint) bool {
		if !global && ep.Namespace != cp.Namespace {
			return false
		}
		if global && !cp.NamespaceSelector.Matches(nsLabels(ep)) {
			return false
		}
		return cp.Selector.Matches(calicoLabels(ep))
	}
	for d, rs := range map[Direction][]calico.Rule{Ingress: cp.Ingress, Egress: cp.Egress} {
		for _, r := range rs {
			r := r
			p.rules[d] = append(p.rules[d], rule{line: r.Line, action: r.Action, match: func(f Flow) bool {
				if r.Protocol != "" && r.Protocol != f.Proto {
					return false
				}
				if r.NotProtocol != "" && r.NotProtocol == f.Proto {
					return false
				}
				return entity(r.Source, f.Src, f, false, cp) && entity(r.Destination, f.Dst, f, true, cp)
			}})
		}
	}
	return p
}

func entity(e calico.Entity, ep Endpoint, f Flow, isDst bool, cp calico.Policy) bool {
	if len(e.Nets) > 0 && !inAny(e.Nets, ep.IP) {
		return false
	}
	if len(e.NotNets) > 0 && inAny(e.NotNets, ep.IP) {
		return false
	}
	inScope := func() bool {
		if !ep.Pod {
			return false
		}
		if e.HasNSSelector {
			return e.NamespaceSelector.Matches(nsLabels(ep))
		}
		return cp.Kind == calico.KindGlobalNetworkPolicy || ep.Namespace == cp.Namespace
	}
	if e.HasSelector || e.HasNSSelector {
		if !inScope() {
			return false
		}
		if e.HasSelector && !e.Selector.Matches(calicoLabels(ep)) {
			return false
		}
	}
	if e.HasNotSel && ep.Pod && e.NotSelector.Matches(calicoLabels(ep)) {
		return false
	}
	if e.ServiceName != "" {
		if ep.Service != e.ServiceNamespace+"/"+e.ServiceName {
			return false
		}
	}
	if isDst {
		if len(e.Ports) > 0 && !portIn(e.Ports, ep, f) {
			return false
		}
		if len(e.NotPorts) > 0 && portIn(e.NotPorts, ep, f) {
			return false
		}
	} else {
		// Source ports of a client are ephemeral: a rule that restricts them is
		// judged on the flow's own (unknown, 0) source port.
		if len(e.Ports) > 0 {
			return false
		}
	}
	return true
}

func portIn(rs []calico.PortRange, ep Endpoint, f Flow) bool {
	for _, r := range rs {
		if r.Name != "" {
			if p := namedPort(ep, r.Name, f.Proto); p != 0 && p == f.Port {
				return true
			}
			continue
		}
		if r.Matches(f.Port, "") {
			return true
		}
	}
	return false
}

func inAny(ps []netip.Prefix, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
