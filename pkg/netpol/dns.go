package netpol

import (
	"fmt"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/calico"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
)

// Scopes of a denial.
const (
	// ScopeNamespace: no pod of the namespace can reach the target, whatever
	// its labels (every label combination the policies care about is denied).
	ScopeNamespace = "namespace"
	// ScopePods: pods carrying the named labels are denied, and no other
	// policy of the namespace would allow them with more labels.
	ScopePods = "pods"
)

// Denial is one DNS flow the policies block.
type Denial struct {
	Direction Direction
	Scope     string
	Namespace string // the client pods' namespace
	// Client describes the client pods: "every pod in shop", "pods in shop
	// labelled app=web".
	Client string
	Target Endpoint
	Protos []string // "UDP", "TCP"
	Verdict
	// Fix is the one rule to add, as YAML in the deciding policy's own kind.
	Fix string
}

// CheckDNS judges client pod → target on UDP and TCP 53 for every namespace in
// namespaces: egress at the client and, for pod targets, ingress at the target.
// Clients are built from the labels the policies select on: a pod with none
// of them, and one per policy selector. A denial is reported only when no other
// combination of those labels would be allowed, so a pod's unknown extra labels
// cannot turn a report into a false alarm.
func (s *Set) CheckDNS(namespaces []string, targets []Endpoint) []Denial {
	var out []Denial
	for _, ns := range namespaces {
		cands := s.candidates(ns)
		for _, tgt := range targets {
			dirs := []Direction{Egress}
			if tgt.Pod {
				dirs = append(dirs, Ingress)
			}
			for _, d := range dirs {
				out = append(out, s.checkOne(ns, cands, tgt, d)...)
			}
		}
	}
	return out
}

func (s *Set) client(ns string, labels map[string]string) Endpoint {
	return Endpoint{Pod: true, Namespace: ns, Labels: labels, NSLabels: s.NSLabels[ns], Name: describe(ns, labels)}
}

func describe(ns string, labels map[string]string) string {
	if len(labels) == 0 {
		return "every pod in " + ns
	}
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return fmt.Sprintf("pods in %s labelled %s", ns, strings.Join(kv, ","))
}

func (s *Set) checkOne(ns string, cands []map[string]string, tgt Endpoint, d Direction) []Denial {
	type res struct {
		denied []string
		v      Verdict
	}
	eval := func(labels map[string]string) res {
		var r res
		for _, proto := range []string{"UDP", "TCP"} {
			v := s.Evaluate(Flow{Src: s.client(ns, labels), Dst: tgt, Proto: proto, Port: 53}, d)
			if !v.Allowed {
				if r.denied == nil {
					r.v = v
				}
				r.denied = append(r.denied, proto)
			}
		}
		return r
	}
	results := make([]res, len(cands))
	all := true
	for i, c := range cands {
		results[i] = eval(c)
		if len(results[i].denied) == 0 {
			all = false
		}
	}
	robust := func(i int) bool {
		for j := range cands {
			if j == i {
				continue
			}
			m := merge(cands[i], cands[j])
			if len(eval(m).denied) < len(results[i].denied) {
				return false
			}
		}
		return true
	}
	if all {
		for i := range cands {
			if !robust(i) {
				all = false
				break
			}
		}
	}
	if all {
		r := results[0]
		return []Denial{s.denial(d, ScopeNamespace, ns, "every pod in "+ns, tgt, r.denied, r.v)}
	}
	var out []Denial
	for i, c := range cands {
		if len(results[i].denied) == 0 || len(c) == 0 || !robust(i) {
			continue
		}
		out = append(out, s.denial(d, ScopePods, ns, describe(ns, c), tgt, results[i].denied, results[i].v))
	}
	return out
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range b {
		out[k] = v
	}
	for k, v := range a {
		out[k] = v
	}
	return out
}

// candidates are the label sets of client pods worth judging in ns.
func (s *Set) candidates(ns string) []map[string]string {
	out := []map[string]string{{}}
	seen := map[string]bool{"": true}
	add := func(l map[string]string) {
		key := describe("", l)
		if len(l) == 0 || seen[key] {
			return
		}
		seen[key] = true
		out = append(out, l)
	}
	for _, p := range s.pols {
		if p.synth == nil {
			continue
		}
		l := p.synth()
		if p.applies(s.client(ns, l)) {
			add(l)
		}
	}
	return out
}

// synthK8s builds labels a selector selects: matchLabels, the first value of
// each In, a value for each Exists.
func synthK8s(sel kube.LabelSelector) map[string]string {
	out := map[string]string{}
	for k, v := range sel.MatchLabels {
		out[k] = v
	}
	for _, r := range sel.MatchExpressions {
		switch r.Operator {
		case "In":
			if len(r.Values) > 0 {
				out[r.Key] = r.Values[0]
			}
		case "Exists":
			if _, ok := out[r.Key]; !ok {
				out[r.Key] = "x"
			}
		}
	}
	return out
}

func synthCalico(sel calico.Selector) map[string]string {
	out := map[string]string{}
	for k, v := range sel.Equalities() {
		if !strings.HasPrefix(k, "projectcalico.org/") && !strings.HasPrefix(k, "pcns.") {
			out[k] = v
		}
	}
	return out
}

func (s *Set) denial(d Direction, scope, ns, client string, tgt Endpoint, protos []string, v Verdict) Denial {
	return Denial{Direction: d, Scope: scope, Namespace: ns, Client: client, Target: tgt, Protos: protos, Verdict: v, Fix: fix(d, tgt, protos, v)}
}

// fix words the one rule to add to the deciding policy.
func fix(d Direction, tgt Endpoint, protos []string, v Verdict) string {
	where := fmt.Sprintf("to %s %s", v.Kind, v.Policy)
	if v.RuleLine > 0 {
		where = fmt.Sprintf("to %s %s, before its Deny rule at line %d,", v.Kind, v.Policy, v.RuleLine)
	}
	if v.Source == "kube" {
		var ports []string
		for _, p := range protos {
			ports = append(ports, fmt.Sprintf("{protocol: %s, port: 53}", p))
		}
		portList := "[" + strings.Join(ports, ", ") + "]"
		if d == Ingress {
			return fmt.Sprintf("add %s the ingress rule {from: [{namespaceSelector: {}}], ports: %s}", where, portList)
		}
		peer := fmt.Sprintf("{ipBlock: {cidr: %s/32}}", tgt.IP)
		if tgt.Pod {
			peer = fmt.Sprintf("{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}, podSelector: {matchLabels: {%s}}}", tgt.Namespace, podLabel(tgt))
		}
		return fmt.Sprintf("add %s the egress rule {to: [%s], ports: %s}", where, peer, portList)
	}
	var rules []string
	for _, p := range protos {
		if d == Ingress {
			rules = append(rules, fmt.Sprintf("{action: Allow, protocol: %s, destination: {ports: [53]}}", p))
			continue
		}
		dst := fmt.Sprintf("nets: [%s/32], ports: [53]", tgt.IP)
		if tgt.Pod {
			k, val, _ := strings.Cut(podLabel(tgt), ": ")
			dst = fmt.Sprintf("namespaceSelector: \"projectcalico.org/name == '%s'\", selector: \"%s == '%s'\", ports: [53]", tgt.Namespace, k, val)
		}
		rules = append(rules, fmt.Sprintf("{action: Allow, protocol: %s, destination: {%s}}", p, dst))
	}
	return fmt.Sprintf("add %s the %s rule %s", where, strings.ToLower(string(d)), strings.Join(rules, " and "))
}

// podLabel is the label that names CoreDNS pods: k8s-app when present (every
// distribution's CoreDNS carries k8s-app=kube-dns), else the first label.
func podLabel(ep Endpoint) string {
	if v, ok := ep.Labels["k8s-app"]; ok {
		return "k8s-app: " + v
	}
	keys := make([]string, 0, len(ep.Labels))
	for k := range ep.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "k8s-app: kube-dns"
	}
	return keys[0] + ": " + ep.Labels[keys[0]]
}
