// Package calico parses the Calico configuration a bundle holds, as kubectl and
// calicoctl print it:
//
//   - `kubectl -n kube-system get daemonset calico-node -o yaml` (or -o json, or the
//     manifest it was installed from): the calico-node container's environment,
//     which sets the default pool's encapsulation and Felix's tunnel MTUs
//     (ParseDaemonSet);
//   - `calicoctl get ippool -o yaml` or `kubectl get ippools.crd.projectcalico.org
//     -o yaml`, and the old calicoctl v1 `ipPool` form (ParseIPPools);
//   - `calicoctl get felixconfiguration -o yaml` and its CRD form (ParseFelixConfig);
//   - the `NAME=value` environment dump of the running calico-node container
//     (ParseEnv).
//
// Every value keeps its line, so a finding can cite the manifest line that sets
// e.g. CALICO_IPV4POOL_IPIP.
package calico

import (
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Field is one scalar value as written in the file (numbers and booleans in
// their text form) and its line. The zero Field is "absent".
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

// field makes a Field of a scalar node; non-scalars are absent.
func field(key, val *yaml.Node) Field {
	if !yamlnode.IsScalar(val) {
		return Field{}
	}
	line := val.Line
	if key != nil {
		line = key.Line
	}
	return Field{Value: val.Value, Line: line}
}

// scalarFields keeps every scalar entry of a mapping, and lists of scalars joined
// by commas (the form Calico uses for e.g. failsafe ports written as strings), so
// rules can read any field this package has no typed member for.
func scalarFields(m *yaml.Node) map[string]Field {
	ps := yamlnode.Pairs(m)
	out := make(map[string]Field, len(ps))
	for _, p := range ps {
		switch {
		case yamlnode.IsScalar(p.Value):
			out[p.Key.Value] = Field{Value: p.Value.Value, Line: p.Key.Line}
		case p.Value != nil && p.Value.Kind == yaml.SequenceNode:
			var parts []string
			for _, it := range yamlnode.Seq(p.Value) {
				if !yamlnode.IsScalar(it) {
					parts = nil
					break
				}
				parts = append(parts, it.Value)
			}
			if parts != nil {
				out[p.Key.Value] = Field{Value: strings.Join(parts, ","), Line: p.Key.Line}
			}
		}
	}
	return out
}

// lookupFold finds key in fields ignoring case: Felix itself matches its config
// names case-insensitively, and hand-written files spell them ipipMtu or IPIPMTU.
func lookupFold(fields map[string]Field, key string) (Field, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	// Two spellings of one name: the later line wins, whatever the map order.
	var best Field
	found := false
	for k, f := range fields {
		if strings.EqualFold(k, key) && (!found || f.Line > best.Line) {
			best, found = f, true
		}
	}
	return best, found
}

// kindIs compares an object's kind ignoring case (calicoctl v1 wrote "ipPool").
func kindIs(obj *yaml.Node, kind string) bool {
	return strings.EqualFold(yamlnode.Str(yamlnode.Get(obj, "kind")), kind)
}

// kindsOf lists the distinct kinds among objs, for "found X, not Y" messages.
func kindsOf(objs []*yaml.Node) string {
	var kinds []string
	seen := map[string]bool{}
	for _, o := range objs {
		k := yamlnode.Str(yamlnode.Get(o, "kind"))
		if k == "" {
			k = "(no kind)"
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return "no API object"
	}
	return strings.Join(kinds, ", ")
}

// notFound records that the input holds nothing of the kind a parser reads, as an
// error: the analyzer must treat the fact as unknown, not as empty. It adds nothing
// when Load already reported the input as unreadable.
func notFound(ds *diag.List, what string, objs []*yaml.Node) {
	if sev, ok := diag.Max(*ds); ok && sev == diag.Error {
		return
	}
	ds.Addf(diag.Error, 0, "no %s found (the input holds %s)", what, kindsOf(objs))
}
