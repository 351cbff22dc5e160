// Package kube parses the Kubernetes objects a bundle holds, as kubectl prints
// them with -o json or -o yaml (one object or a List):
//
//   - `kubectl get nodes -o json` (ParseNodes): node addresses, pod CIDRs and the
//     projectcalico.org/* annotations Calico writes (node IP, tunnel addresses);
//   - `kubectl -n kube-system get endpoints kube-dns -o json`, or its EndpointSlices
//     (ParseEndpoints): which CoreDNS pods the DNS Service sends to;
//   - `kubectl -n kube-system get pods -l k8s-app=kube-dns -o json` (ParsePods);
//   - `kubectl -n kube-system get svc kube-dns -o json` (ParseServices);
//   - `kubectl -n kube-system get configmap kube-proxy -o yaml`, or a bare
//     KubeProxyConfiguration (ParseKubeProxyConfig): the proxy mode and IPVS
//     settings.
//
// Every value keeps its line, so findings can cite e.g. the node annotation that
// holds a wrong tunnel address.
package kube

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Field is one scalar value as written (numbers and booleans in their text form)
// and its line. The zero Field is "absent".
type Field struct {
	Value string
	Line  int
}

// Set reports whether the field was present in the input.
func (f Field) Set() bool { return f.Line > 0 }

// Bool reads the value as true/false; ok is false when absent or not a boolean.
func (f Field) Bool() (v, ok bool) { return yamlnode.ParseBool(f.Value) }

// Int reads the value as a decimal integer; ok is false when absent or not one.
func (f Field) Int() (int, bool) {
	v, err := strconv.Atoi(strings.TrimSpace(f.Value))
	return v, err == nil
}

// Condition is one entry of status.conditions (node or pod).
type Condition struct {
	Type, Status, Reason, Message string
	Line                          int // line of the type key
}

func readConditions(n *yaml.Node) []Condition {
	var out []Condition
	for _, c := range yamlnode.Seq(n) {
		out = append(out, Condition{
			Type:    yamlnode.Str(yamlnode.Get(c, "type")),
			Status:  yamlnode.Str(yamlnode.Get(c, "status")),
			Reason:  yamlnode.Str(yamlnode.Get(c, "reason")),
			Message: yamlnode.Str(yamlnode.Get(c, "message")),
			Line:    yamlnode.KeyLine(c, "type"),
		})
	}
	return out
}

func findCondition(cs []Condition, typ string) (Condition, bool) {
	for _, c := range cs {
		if c.Type == typ {
			return c, true
		}
	}
	return Condition{}, false
}

// objectsOf loads data and returns the objects of kind (ignoring case; several
// kinds may be given). lists counts the List wrappers seen.
func objectsOf(data []byte, ds *diag.List, kinds ...string) (objs, others []*yaml.Node, lists int) {
	docs := yamlnode.Load(data, ds)
	all, lists := yamlnode.Objects(docs)
	// The API server's own lists (GET /api/v1/nodes, what collect writes)
	// carry no kind on their items, unlike kubectl's output: an item without
	// one is of its list's kind (NodeList holds Nodes).
	var listKind map[*yaml.Node]string
	for _, d := range docs {
		d = yamlnode.Resolve(d)
		if d == nil || d.Kind != yaml.MappingNode {
			continue
		}
		if lk, ok := strings.CutSuffix(yamlnode.Str(yamlnode.Get(d, "kind")), "List"); ok && lk != "" {
			for _, it := range yamlnode.Seq(yamlnode.Get(d, "items")) {
				if listKind == nil {
					listKind = map[*yaml.Node]string{}
				}
				listKind[it] = lk
			}
		}
	}
	for _, o := range all {
		k := yamlnode.Str(yamlnode.Get(o, "kind"))
		if k == "" {
			k = listKind[o]
		}
		matched := false
		for _, want := range kinds {
			if strings.EqualFold(k, want) {
				matched = true
				break
			}
		}
		if matched {
			objs = append(objs, o)
		} else {
			others = append(others, o)
		}
	}
	return objs, others, lists
}

// notFound records that the input holds nothing of the kind a parser reads, as an
// error: the analyzer must treat the fact as unknown, not as empty. Nothing is
// added when Load already reported the input as unreadable.
func notFound(ds *diag.List, what string, others []*yaml.Node) {
	if sev, ok := diag.Max(*ds); ok && sev == diag.Error {
		return
	}
	var kinds []string
	seen := map[string]bool{}
	for _, o := range others {
		k := yamlnode.Str(yamlnode.Get(o, "kind"))
		if k == "" {
			k = "(no kind)"
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	holds := "no API object"
	if len(kinds) > 0 {
		holds = strings.Join(kinds, ", ")
	}
	ds.Addf(diag.Error, 0, "no %s found (the input holds %s)", what, holds)
}

// addr parses an IP scalar; an empty value is absent, a bad one is reported.
func addr(k, v *yaml.Node, what string, ds *diag.List) netip.Addr {
	s := strings.TrimSpace(yamlnode.Str(v))
	if s == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ds.Warnf(lineOf(k, v), "%s %q is not an IP address", what, s)
		return netip.Addr{}
	}
	return a
}

// prefix parses a CIDR scalar without masking it: "10.0.0.11/24" keeps the
// address, which is what Calico's node annotation means.
func prefix(k, v *yaml.Node, what string, ds *diag.List) netip.Prefix {
	s := strings.TrimSpace(yamlnode.Str(v))
	if s == "" {
		return netip.Prefix{}
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		ds.Warnf(lineOf(k, v), "%s %q is not a CIDR", what, s)
		return netip.Prefix{}
	}
	return p
}

func lineOf(k, v *yaml.Node) int {
	if k != nil {
		return k.Line
	}
	return yamlnode.Line(v)
}

// meta reads metadata.name and metadata.namespace.
func meta(o *yaml.Node) (name, namespace string) {
	m := yamlnode.Get(o, "metadata")
	return yamlnode.Str(yamlnode.Get(m, "name")), yamlnode.Str(yamlnode.Get(m, "namespace"))
}
