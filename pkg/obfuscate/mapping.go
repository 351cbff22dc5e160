package obfuscate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// MappingSchema names the format of the mapping file.
const MappingSchema = "podnetdiag-obfuscation/v1"

// Mapping is the file written next to an obfuscated bundle (never inside it): the
// key, to obfuscate the other nodes of the cluster alike, and the table of what
// was replaced, to read the analyzer's report in real terms. Keep it private: it
// undoes the obfuscation.
type Mapping struct {
	Schema string `json:"schema"`
	Key    string `json:"key"`
	Note   string `json:"note"`
	// Addresses and Hostnames map real to fake.
	Addresses map[string]string `json:"addresses"`
	Hostnames map[string]string `json:"hostnames"`
	// Kept lists names seen but deliberately not replaced, with the reason.
	Kept map[string]string `json:"kept,omitempty"`
}

// Mapping returns what o replaced so far.
func (o *Obfuscator) Mapping() *Mapping {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := &Mapping{
		Schema:    MappingSchema,
		Key:       o.key.String(),
		Note:      "Private: this file undoes the obfuscation. Reuse it with collect --obfuscate --obfuscate-key FILE on the other nodes of the cluster so that their bundles map alike.",
		Addresses: map[string]string{},
		Hostnames: map[string]string{},
	}
	for real, fake := range o.addrs {
		if real != fake {
			m.Addresses[real.String()] = fake.String()
		}
	}
	for real, fake := range o.hosts {
		m.Hostnames[real] = fake
	}
	if len(o.kept) > 0 {
		m.Kept = map[string]string{}
		for k, v := range o.kept {
			m.Kept[k] = v
		}
	}
	return m
}

// Marshal renders the mapping as indented JSON (keys sorted).
func (m *Mapping) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// LoadMapping reads a mapping file of an earlier run and returns an Obfuscator
// with its key and host names, so that a second node's bundle maps alike (and
// host names only the first node knew are still replaced).
func LoadMapping(data []byte) (*Obfuscator, error) {
	var m Mapping
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("obfuscation mapping: %w", err)
	}
	if m.Schema != MappingSchema {
		return nil, fmt.Errorf("obfuscation mapping: schema %q, want %q", m.Schema, MappingSchema)
	}
	k, err := ParseKey(m.Key)
	if err != nil {
		return nil, err
	}
	o := New(k)
	names := make([]string, 0, len(m.Hostnames))
	for n := range m.Hostnames {
		names = append(names, n)
	}
	sort.Strings(names)
	o.AddHostnames(names...)
	return o, nil
}

// HostnamesIn finds the host names a bundle names itself and its peers by:
// host/hostname, the host field of host/uname.txt, the manifest's node, the
// calico-node NODENAME/HOSTNAME, node names and Hostname/InternalDNS/ExternalDNS
// addresses of kube/nodes.json, and nodeName fields of the kube-dns endpoints
// and CoreDNS pods. files maps bundle-relative paths to contents.
func HostnamesIn(files map[string][]byte) []string {
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" {
			seen[s] = true
		}
	}
	if b, ok := files["host/hostname"]; ok {
		add(firstLine(b))
	}
	if b, ok := files["host/uname.txt"]; ok {
		if f := strings.Fields(firstLine(b)); len(f) > 1 {
			add(f[1])
		}
	}
	if b, ok := files["manifest.json"]; ok {
		var m struct {
			Node string `json:"node"`
		}
		if json.Unmarshal(b, &m) == nil {
			add(m.Node)
		}
	}
	if b, ok := files["calico/calico-node-env.txt"]; ok {
		for _, ln := range strings.Split(string(b), "\n") {
			name, val, ok := strings.Cut(strings.TrimSpace(ln), "=")
			if ok && (name == "NODENAME" || name == "HOSTNAME" || name == "KUBERNETES_NODE_NAME") {
				add(strings.Trim(val, `"'`))
			}
		}
	}
	for _, p := range []string{"kube/nodes.json", "kube/kube-dns-endpoints.json", "kube/coredns-pods.json"} {
		if b, ok := files[p]; ok {
			var v any
			if json.Unmarshal(b, &v) == nil {
				walkNames(v, "", add)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		if _, err := netip.ParseAddr(s); err == nil {
			continue
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// walkNames reports node names in Kubernetes JSON: metadata.name of Node objects,
// nodeName fields, and addresses of type Hostname/InternalDNS/ExternalDNS.
func walkNames(v any, parentKey string, add func(string)) {
	switch t := v.(type) {
	case map[string]any:
		if k, _ := t["kind"].(string); k == "Node" {
			if md, ok := t["metadata"].(map[string]any); ok {
				if n, ok := md["name"].(string); ok {
					add(n)
				}
			}
		}
		if typ, ok := t["type"].(string); ok && (typ == "Hostname" || typ == "InternalDNS" || typ == "ExternalDNS") {
			if a, ok := t["address"].(string); ok {
				add(a)
			}
		}
		for k, c := range t {
			if k == "nodeName" {
				if s, ok := c.(string); ok {
					add(s)
				}
			}
			walkNames(c, k, add)
		}
	case []any:
		for _, c := range t {
			walkNames(c, parentKey, add)
		}
	}
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

// IsText tells the files Text may rewrite from binary ones (captures), which it
// must not touch: no NUL byte in the first 8 KiB.
func IsText(data []byte) bool {
	head := data
	if len(head) > 8<<10 {
		head = head[:8<<10]
	}
	return bytes.IndexByte(head, 0) < 0
}

// Files obfuscates a bundle's files in place: it registers the host names found
// in them (HostnamesIn), then rewrites every text file. It returns the paths of
// the binary files it left out of files, which the caller must not ship
// (obfuscation covers text only).
func (o *Obfuscator) Files(files map[string][]byte) (dropped []string) {
	o.AddHostnames(HostnamesIn(files)...)
	for p, b := range files {
		if !IsText(b) {
			delete(files, p)
			dropped = append(dropped, p)
			continue
		}
		files[p] = o.Text(b)
	}
	sort.Strings(dropped)
	return dropped
}
