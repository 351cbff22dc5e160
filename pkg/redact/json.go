package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// JSON redacts a Kubernetes object or list read as JSON and returns it
// re-indented. What it removes:
//   - the value of every field whose name looks like a secret (SecretName), at any
//     depth, except the "key" of a selector, taint or toleration (a label key);
//   - the value of env entries {"name": N, "value": V} whose N looks like a secret
//     (a DaemonSet's CALICO_* / FELIX_* variables);
//   - every value of data/stringData of a Secret;
//   - credentials by shape in any string (PEM, JWT, bearer, URL password), and
//     secret-like "name: value" lines in multi-line strings (a kubeconfig kept in
//     a ConfigMap) and JSON kept in strings (last-applied-configuration).
//
// Keys in Redaction.Key are paths such as "items[0].spec.template.spec.
// containers[0].env[ETCD_KEY]". Invalid JSON is an error: the caller must not
// write unredacted text it could not read.
func JSON(file string, data []byte) ([]byte, []bundle.Redaction, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("redact %s: %w", file, err)
	}
	v, reds := Value(file, "", v)
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("redact %s: %w", file, err)
	}
	return append(out, '\n'), reds, nil
}

// Value redacts a decoded JSON value (objects as map[string]any, numbers as
// json.Number or float64) the way JSON does, in place, and returns it. Keys
// in the redactions start with prefix ("items[3]"): the collector redacts a
// list one item at a time, as it streams.
func Value(file, prefix string, v any) (any, []bundle.Redaction) {
	r := &recorder{file: file}
	v = r.walk(prefix, "", v, nil)
	return v, r.out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// walk returns v with secrets replaced. name is the field v sits under, parent
// the object holding it (for sibling checks).
func (r *recorder) walk(path, name string, v any, parent map[string]any) any {
	switch t := v.(type) {
	case map[string]any:
		secretObj := isSecretKind(t)
		// {"name": "FOO_PASSWORD", "value": "..."}: env entries and similar pairs.
		if n, ok := t["name"].(string); ok && SecretName(n) {
			if val, ok := t["value"]; ok && redactable(val) {
				t["value"] = Marker
				r.add(trimIndex(path)+"["+n+"]", ReasonName)
			}
		}
		for k, child := range t {
			p := join(path, k)
			switch {
			case secretObj && (k == "data" || k == "stringData"):
				if m, ok := child.(map[string]any); ok {
					for dk, dv := range m {
						if redactable(dv) {
							m[dk] = Marker
							r.add(p+"."+dk, ReasonSecret)
						}
					}
					continue
				}
			case SecretName(k) && !labelKey(k, t):
				if redactable(child) {
					t[k] = Marker
					r.add(p, ReasonName)
					continue
				}
				// Objects and lists under a secret-like name: every scalar in them.
				t[k] = r.all(p, child)
				continue
			}
			t[k] = r.walk(p, k, child, t)
		}
		return t
	case []any:
		for i, e := range t {
			// An argument list: ["--bgp-password", "x"] holds the secret in
			// the element after the flag.
			if i > 0 {
				if f, ok := t[i-1].(string); ok && secretFlag(f) && redactable(e) {
					t[i] = Marker
					r.add(path+"["+strconv.Itoa(i)+"]"+"("+f+")", ReasonName)
					continue
				}
			}
			t[i] = r.walk(path+"["+strconv.Itoa(i)+"]", name, e, parent)
		}
		return t
	case string:
		return r.str(path, t)
	}
	return v
}

// all redacts every scalar under a secret-like field, keeping the structure.
func (r *recorder) all(path string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = r.all(join(path, k), c)
		}
		return t
	case []any:
		for i, c := range t {
			t[i] = r.all(path+"["+strconv.Itoa(i)+"]", c)
		}
		return t
	}
	if redactable(v) {
		r.add(path, ReasonName)
		return Marker
	}
	return v
}

// str checks a string that is not under a secret-like name: JSON kept in a
// string is redacted as JSON, multi-line text line by line, any string by shape.
func (r *recorder) str(path, s string) string {
	trim := strings.TrimSpace(s)
	if len(trim) > 1 && (trim[0] == '{' || trim[0] == '[') {
		dec := json.NewDecoder(strings.NewReader(trim))
		dec.UseNumber()
		var inner any
		if dec.Decode(&inner) == nil && !dec.More() {
			before := len(r.out)
			inner = r.walk(path, "", inner, nil)
			if len(r.out) == before {
				return s
			}
			b, err := json.Marshal(inner)
			if err != nil {
				return Marker
			}
			return string(b)
		}
	}
	if strings.Contains(s, "\n") {
		return r.embedded(path, s)
	}
	if SecretValue(s) {
		s = string(r.text(path, []byte(s)))
	}
	if strings.ContainsAny(s, "=:-") {
		s = string(r.lines([]byte(s)))
	}
	return s
}

// secretFlag: "--bgp-password" or "-token", a flag with no value of its own
// whose name looks like a secret.
func secretFlag(s string) bool {
	if !strings.HasPrefix(s, "-") || strings.ContainsAny(s, "= \t") {
		return false
	}
	return SecretName(strings.TrimLeft(s, "-"))
}

// redactable: strings and numbers carry secrets; booleans, null and empty
// strings do not ("automountServiceAccountToken": false stays).
func redactable(v any) bool {
	switch t := v.(type) {
	case string:
		return t != "" && t != Marker
	case json.Number:
		return true
	}
	return false
}

// labelKey: the "key" of a label selector requirement, taint or toleration names
// a label, not a secret.
func labelKey(k string, obj map[string]any) bool {
	if k != "key" {
		return false
	}
	_, op := obj["operator"]
	_, eff := obj["effect"]
	return op || eff
}

func isSecretKind(m map[string]any) bool {
	k, _ := m["kind"].(string)
	return k == "Secret"
}

// trimIndex drops a trailing "[3]": an env entry is better named by its variable.
func trimIndex(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	return path
}
