package calico

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Policy kinds.
const (
	KindNetworkPolicy       = "NetworkPolicy"
	KindGlobalNetworkPolicy = "GlobalNetworkPolicy"
)

// Policies is the result of ParsePolicies: Calico NetworkPolicies and
// GlobalNetworkPolicies.
type Policies struct {
	Policies []Policy
}

// Summary is one line for `analyze inspect`.
func (r *Policies) Summary() string {
	np, gnp := 0, 0
	for _, p := range r.Policies {
		if p.Kind == KindGlobalNetworkPolicy {
			gnp++
		} else {
			np++
		}
	}
	return fmt.Sprintf("%d NetworkPolicies, %d GlobalNetworkPolicies", np, gnp)
}

// Policy is one Calico policy (projectcalico.org/v3 as calicoctl prints it, or
// the crd.projectcalico.org/v1 object kubectl shows).
type Policy struct {
	Kind      string // NetworkPolicy or GlobalNetworkPolicy
	Name      string
	Namespace string // "" for a GlobalNetworkPolicy
	Line      int
	// Tier is "default" when the policy does not name one.
	Tier string
	// Order: policies with a lower order apply first; HasOrder false is
	// "infinite", after every ordered policy.
	Order     float64
	HasOrder  bool
	OrderLine int
	Selector  Selector
	// NamespaceSelector (GlobalNetworkPolicy only) narrows the endpoints the
	// policy applies to; an empty one is no restriction.
	NamespaceSelector Selector
	SelectorLine      int
	// Types as written, or defaulted as Calico does: Ingress when there are
	// ingress rules or no rules at all, Egress when there are egress rules.
	Types          []string
	Ingress        []Rule
	Egress         []Rule
	DoNotTrack     bool
	PreDNAT        bool
	ApplyOnForward bool
}

// Affects reports whether the policy applies to direction ("Ingress"/"Egress").
func (p Policy) Affects(direction string) bool {
	for _, t := range p.Types {
		if t == direction {
			return true
		}
	}
	return false
}

// Ref names the policy the way calicoctl does ("kube-system/allow-dns",
// "deny-all" for a global one).
func (p Policy) Ref() string {
	if p.Namespace != "" {
		return p.Namespace + "/" + p.Name
	}
	return p.Name
}

// Rule is one ingress or egress rule.
type Rule struct {
	Line        int
	Action      string // Allow, Deny, Pass, Log
	Protocol    string // "TCP", "UDP", "ICMP", a number, "" any
	NotProtocol string
	Source      Entity
	Destination Entity
}

// Entity is a rule's source or destination match. Empty fields do not restrict.
type Entity struct {
	Nets, NotNets []netip.Prefix
	Selector      Selector
	NotSelector   Selector
	HasSelector   bool
	HasNotSel     bool
	// NamespaceSelector, when set, makes Selector match endpoints of the
	// namespaces it selects (instead of the policy's own namespace).
	NamespaceSelector Selector
	HasNSSelector     bool
	Ports, NotPorts   []PortRange
	// ServiceName/ServiceNamespace: destination.services, matching a
	// Kubernetes Service's cluster IP and its endpoints.
	ServiceName, ServiceNamespace string
}

// PortRange is one entry of ports: a number, "lo:hi", or a named port.
type PortRange struct {
	Lo, Hi int
	Name   string
}

// Matches reports whether port (or the named port name) is in the range.
func (r PortRange) Matches(port int, name string) bool {
	if r.Name != "" {
		return name != "" && r.Name == name
	}
	return port >= r.Lo && port <= r.Hi
}

// ParsePolicies reads `calicoctl get networkpolicy -A -o yaml`,
// `calicoctl get globalnetworkpolicy -o yaml`, their CRD objects, Lists and
// multi-document files. Kubernetes NetworkPolicies in the file are skipped.
func ParsePolicies(data []byte) (*Policies, []diag.Diagnostic) {
	var ds diag.List
	res := &Policies{}
	docs := yamlnode.Load(data, &ds)
	itemKind := yamlnode.ItemKind(docs)
	objs, lists := yamlnode.Objects(docs)
	var other []string
	for _, o := range objs {
		kind := yamlnode.Str(yamlnode.Get(o, "kind"))
		if kind == "" {
			kind = itemKind
		}
		av := yamlnode.Str(yamlnode.Get(o, "apiVersion"))
		switch {
		case kind == KindGlobalNetworkPolicy || kind == "StagedGlobalNetworkPolicy":
		case kind == KindNetworkPolicy && strings.Contains(av, "projectcalico.org"):
		case kind == KindNetworkPolicy:
			ds.Warnf(yamlnode.ObjectLine(o), "a Kubernetes NetworkPolicy (%s) in the Calico policy file: skipped", av)
			continue
		default:
			other = append(other, kind)
			continue
		}
		if strings.HasPrefix(kind, "Staged") {
			// Staged policies are previews: they do not enforce.
			continue
		}
		res.Policies = append(res.Policies, readPolicy(o, kind, &ds))
	}
	if len(objs) == 0 && lists == 0 {
		if sev, ok := diag.Max(ds); !ok || sev != diag.Error {
			ds.Addf(diag.Error, 0, "no Calico NetworkPolicy or GlobalNetworkPolicy found")
		}
	} else if len(res.Policies) == 0 && len(other) > 0 {
		ds.Addf(diag.Error, 0, "no Calico policy found (the input holds %s)", strings.Join(other, ", "))
	}
	return res, ds
}

func readPolicy(o *yaml.Node, kind string, ds *diag.List) Policy {
	md, spec := yamlnode.Get(o, "metadata"), yamlnode.Get(o, "spec")
	p := Policy{
		Kind: kind, Line: yamlnode.ObjectLine(o),
		Name:      yamlnode.Str(yamlnode.Get(md, "name")),
		Namespace: yamlnode.Str(yamlnode.Get(md, "namespace")),
		Tier:      yamlnode.Str(yamlnode.Get(spec, "tier")),
	}
	if kind == KindGlobalNetworkPolicy {
		p.Namespace = ""
	}
	if p.Tier == "" {
		p.Tier = "default"
	}
	if k, v := yamlnode.Lookup(spec, "order"); v != nil && yamlnode.Str(v) != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(yamlnode.Str(v)), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			ds.Warnf(k.Line, "order %q is not a number: treated as unset", yamlnode.Str(v))
		} else {
			p.Order, p.HasOrder, p.OrderLine = f, true, k.Line
		}
	}
	k, v := yamlnode.Lookup(spec, "selector")
	p.Selector = selector(k, v, ds)
	p.SelectorLine = yamlnode.Line(k)
	if p.SelectorLine == 0 {
		p.SelectorLine = p.Line
	}
	k, v = yamlnode.Lookup(spec, "namespaceSelector")
	p.NamespaceSelector = selector(k, v, ds)
	p.DoNotTrack, _ = yamlnode.Bool(yamlnode.Get(spec, "doNotTrack"))
	p.PreDNAT, _ = yamlnode.Bool(yamlnode.Get(spec, "preDNAT"))
	p.ApplyOnForward, _ = yamlnode.Bool(yamlnode.Get(spec, "applyOnForward"))
	for _, r := range yamlnode.Seq(yamlnode.Get(spec, "ingress")) {
		p.Ingress = append(p.Ingress, readRule(r, ds))
	}
	for _, r := range yamlnode.Seq(yamlnode.Get(spec, "egress")) {
		p.Egress = append(p.Egress, readRule(r, ds))
	}
	if tv := yamlnode.Get(spec, "types"); tv != nil {
		for _, t := range yamlnode.Seq(tv) {
			switch s := yamlnode.Str(t); s {
			case "Ingress", "Egress":
				p.Types = append(p.Types, s)
			default:
				ds.Warnf(yamlnode.Line(t), "unknown policy type %q", s)
			}
		}
	} else {
		if len(p.Ingress) > 0 || len(p.Egress) == 0 {
			p.Types = append(p.Types, "Ingress")
		}
		if len(p.Egress) > 0 {
			p.Types = append(p.Types, "Egress")
		}
	}
	return p
}

func selector(k, v *yaml.Node, ds *diag.List) Selector {
	if v == nil || !yamlnode.IsScalar(v) {
		return Selector{}
	}
	s, err := ParseSelector(yamlnode.Str(v))
	if err != nil {
		ds.Warnf(yamlnode.Line(k), "selector %q: %v: treated as selecting nothing", clip(yamlnode.Str(v)), err)
		return Selector{root: notNode{allNode{}}, text: yamlnode.Str(v)}
	}
	return s
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func readRule(n *yaml.Node, ds *diag.List) Rule {
	r := Rule{Line: yamlnode.Line(n), Action: yamlnode.Str(yamlnode.Get(n, "action"))}
	switch strings.ToLower(r.Action) {
	case "allow":
		r.Action = "Allow"
	case "deny":
		r.Action = "Deny"
	case "pass", "next-tier":
		r.Action = "Pass"
	case "log":
		r.Action = "Log"
	default:
		ds.Warnf(r.Line, "rule action %q is not Allow, Deny, Pass or Log", r.Action)
	}
	r.Protocol = protocol(yamlnode.Str(yamlnode.Get(n, "protocol")))
	r.NotProtocol = protocol(yamlnode.Str(yamlnode.Get(n, "notProtocol")))
	r.Source = readEntity(yamlnode.Get(n, "source"), ds)
	r.Destination = readEntity(yamlnode.Get(n, "destination"), ds)
	return r
}

func protocol(s string) string {
	switch strings.ToLower(s) {
	case "tcp", "6":
		return "TCP"
	case "udp", "17":
		return "UDP"
	case "sctp", "132":
		return "SCTP"
	}
	return strings.ToUpper(s)
}

func readEntity(n *yaml.Node, ds *diag.List) Entity {
	var e Entity
	if n == nil {
		return e
	}
	nets := func(key string) []netip.Prefix {
		var out []netip.Prefix
		vals := yamlnode.Seq(yamlnode.Get(n, key))
		if single := yamlnode.Get(n, strings.TrimSuffix(key, "s")); single != nil && yamlnode.IsScalar(single) {
			vals = append(vals, single) // v1's net / notNet
		}
		for _, v := range vals {
			s := strings.TrimSpace(yamlnode.Str(v))
			p, err := netip.ParsePrefix(s)
			if err != nil {
				if a, err2 := netip.ParseAddr(s); err2 == nil {
					p = netip.PrefixFrom(a, a.BitLen())
				} else {
					ds.Warnf(yamlnode.Line(v), "%s entry %q is not a CIDR", key, s)
					continue
				}
			}
			out = append(out, p.Masked())
		}
		return out
	}
	e.Nets, e.NotNets = nets("nets"), nets("notNets")
	if k, v := yamlnode.Lookup(n, "selector"); v != nil {
		e.Selector, e.HasSelector = selector(k, v, ds), true
	}
	if k, v := yamlnode.Lookup(n, "notSelector"); v != nil {
		e.NotSelector, e.HasNotSel = selector(k, v, ds), true
	}
	if k, v := yamlnode.Lookup(n, "namespaceSelector"); v != nil {
		e.NamespaceSelector, e.HasNSSelector = selector(k, v, ds), true
	}
	e.Ports, e.NotPorts = ports(yamlnode.Get(n, "ports"), ds), ports(yamlnode.Get(n, "notPorts"), ds)
	if s := yamlnode.Get(n, "services"); s != nil {
		e.ServiceName = yamlnode.Str(yamlnode.Get(s, "name"))
		e.ServiceNamespace = yamlnode.Str(yamlnode.Get(s, "namespace"))
	}
	return e
}

func ports(n *yaml.Node, ds *diag.List) []PortRange {
	var out []PortRange
	for _, v := range yamlnode.Seq(n) {
		s := strings.TrimSpace(yamlnode.Str(v))
		lo, hi, isRange := strings.Cut(s, ":")
		a, errA := strconv.Atoi(lo)
		switch {
		case !isRange && errA == nil && a >= 0 && a <= 65535:
			out = append(out, PortRange{Lo: a, Hi: a})
		case isRange:
			b, errB := strconv.Atoi(hi)
			if errA != nil || errB != nil || a < 0 || b > 65535 || a > b {
				ds.Warnf(yamlnode.Line(v), "port range %q is not valid", s)
				continue
			}
			out = append(out, PortRange{Lo: a, Hi: b})
		case s != "":
			out = append(out, PortRange{Name: s})
		}
	}
	return out
}
