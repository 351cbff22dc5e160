// Package corefile reads CoreDNS's configuration as a bundle holds it
// (kube/coredns-configmap.yaml): `kubectl -n kube-system get configmap coredns
// -o yaml|json` (or a List holding it), or a bare Corefile. It keeps the server
// blocks, their plugins with arguments and sub-blocks, each with its line in the
// file, so rules can cite the `forward . /etc/resolv.conf` that makes CoreDNS
// loop through a node's systemd-resolved stub.
package corefile

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Directive is one line of a plugin's block (e.g. `max_concurrent 1000`).
type Directive struct {
	Name string
	Args []string
	Line int
}

// Plugin is one plugin line of a server block, with its own block if any.
type Plugin struct {
	Name  string
	Args  []string
	Line  int
	Block []Directive
}

// Server is one server block: `.:53 { ... }`.
type Server struct {
	Keys    []string // ".:53", "cluster.local:53", "dns://.:53"
	Line    int
	Plugins []Plugin
}

// Forward is one forward (or the older proxy) plugin: where a zone goes upstream.
type Forward struct {
	Server string // the server block's first key
	Plugin string // "forward" or "proxy"
	From   string
	// To are the upstreams as written: addresses, "dns://1.1.1.1", "tls://...",
	// or "/etc/resolv.conf" (the nameservers of the file, in the CoreDNS pod:
	// the node's own file under dnsPolicy Default).
	To   []string
	Line int
}

// Result is the Corefile.
type Result struct {
	// Source is "configmap" or "corefile" (a bare file).
	Source string
	// ConfigMap is the ConfigMap's name, "" for a bare file.
	ConfigMap string
	Servers   []Server
}

// Summary is one line for `analyze inspect`.
func (r *Result) Summary() string {
	fw := r.Forwards()
	var to []string
	for _, f := range fw {
		to = append(to, strings.Join(f.To, " "))
	}
	return fmt.Sprintf("%d server blocks, forward to [%s]", len(r.Servers), strings.Join(to, "; "))
}

// Forwards lists every forward and proxy plugin.
func (r *Result) Forwards() []Forward {
	var out []Forward
	for _, s := range r.Servers {
		key := ""
		if len(s.Keys) > 0 {
			key = s.Keys[0]
		}
		for _, p := range s.Plugins {
			if (p.Name != "forward" && p.Name != "proxy") || len(p.Args) == 0 {
				continue
			}
			out = append(out, Forward{Server: key, Plugin: p.Name, From: p.Args[0], To: p.Args[1:], Line: p.Line})
		}
	}
	return out
}

// Has reports whether any server block loads plugin name, and the first such line.
func (r *Result) Has(name string) (int, bool) {
	for _, s := range r.Servers {
		for _, p := range s.Plugins {
			if p.Name == name {
				return p.Line, true
			}
		}
	}
	return 0, false
}

// Parse reads a ConfigMap holding a Corefile, or a Corefile.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	var ds diag.List
	r := &Result{Source: "corefile"}
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not a Corefile or ConfigMap")
		return r, ds
	}
	if !looksLikeObject(data) {
		parseCorefile(r, data, func(i int) int { return i }, &ds)
		return r, ds
	}
	r.Source = "configmap"
	objs, _ := yamlnode.Objects(yamlnode.Load(data, &ds))
	for _, o := range objs {
		if !strings.EqualFold(yamlnode.Str(yamlnode.Get(o, "kind")), "ConfigMap") {
			continue
		}
		k, v := yamlnode.Lookup(yamlnode.Get(o, "data"), "Corefile")
		if v == nil || !yamlnode.IsScalar(v) {
			continue
		}
		if r.ConfigMap != "" {
			ds.Addf(diag.Info, k.Line, "a second ConfigMap with a Corefile: only the first is read")
			continue
		}
		r.ConfigMap = yamlnode.Str(yamlnode.Path(o, "metadata", "name"))
		if r.ConfigMap == "" {
			r.ConfigMap = "(unnamed)"
		}
		base := v.Line
		lineOf := func(int) int { return base }
		if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			// A block scalar starts on the line after its indicator.
			lineOf = func(i int) int { return base + i }
		}
		parseCorefile(r, []byte(v.Value), lineOf, &ds)
	}
	clampLines(ds, data)
	if r.ConfigMap == "" {
		if sev, ok := diag.Max(ds); !ok || sev != diag.Error {
			ds.Addf(diag.Error, 0, "no ConfigMap with a Corefile key found")
		}
	}
	return r, ds
}

// looksLikeObject tells a Kubernetes object (YAML or JSON) from a bare Corefile:
// a Corefile never starts with a JSON brace on its own nor with a YAML key of an
// object.
func looksLikeObject(data []byte) bool {
	sc := lines.New(data)
	for sc.Next() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		if l[0] == '{' || l[0] == '[' || bytes.Equal(l, []byte("---")) {
			return true
		}
		for _, k := range []string{"apiVersion:", "kind:", "data:", "metadata:", "items:"} {
			if bytes.HasPrefix(l, []byte(k)) {
				return true
			}
		}
		return false
	}
	return false
}

// parseCorefile reads Caddyfile syntax: server keys, then `{`, one plugin per
// line, plugin blocks in braces. lineOf maps a 1-based line of text to the
// file's line.
func parseCorefile(r *Result, text []byte, lineOf func(int) int, ds *diag.List) {
	depth := 0
	var keys []string
	keyLine := 0
	var srv *Server
	var plug *Plugin
	sc := lines.New(text)
	for sc.Next() {
		n := lineOf(sc.Num())
		toks := tokenize(sc.Text())
		var words []string
		flush := func() {
			if len(words) == 0 {
				return
			}
			switch depth {
			case 0:
				if keyLine == 0 {
					keyLine = n
				}
				keys = append(keys, words...)
			case 1:
				if srv != nil {
					srv.Plugins = append(srv.Plugins, Plugin{Name: words[0], Args: words[1:], Line: n})
					plug = &srv.Plugins[len(srv.Plugins)-1]
				}
			case 2:
				if plug != nil {
					plug.Block = append(plug.Block, Directive{Name: words[0], Args: words[1:], Line: n})
				}
			}
			words = nil
		}
		for _, t := range toks {
			switch t {
			case "{":
				opensPlugin := depth == 1 && len(words) > 0
				flush()
				if depth == 0 {
					if len(keys) == 0 {
						ds.Warnf(n, "a block without server keys")
					}
					r.Servers = append(r.Servers, Server{Keys: keys, Line: keyLine})
					srv = &r.Servers[len(r.Servers)-1]
					plug, keys, keyLine = nil, nil, 0
				} else if depth == 1 && !opensPlugin {
					plug = nil
				}
				depth++
			case "}":
				flush()
				if depth == 0 {
					ds.Warnf(n, "unbalanced '}'")
					continue
				}
				depth--
				if depth == 0 {
					srv, plug = nil, nil
				}
			default:
				words = append(words, t)
			}
		}
		flush()
	}
	if depth != 0 {
		ds.Warnf(lineOf(sc.Num()), "the Corefile ends inside a block (missing '}')")
	}
	if len(keys) > 0 {
		ds.Warnf(keyLine, "server keys %q without a block", strings.Join(keys, " "))
	}
	if len(r.Servers) == 0 {
		ds.Addf(diag.Error, 0, "the Corefile holds no server block")
	}
}

// tokenize splits a line into words and braces, dropping a # comment. Quoted
// words keep their spaces; environment references "{$VAR}" are words.
func tokenize(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	emit := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '"' {
				inQuote = false
				out = append(out, cur.String())
				cur.Reset()
			} else {
				cur.WriteByte(c)
			}
		case c == '"':
			emit()
			inQuote = true
		case c == '#' && cur.Len() == 0:
			emit()
			return out
		case c == ' ' || c == '\t' || c == '\r':
			emit()
		case c == '{' && i+1 < len(s) && s[i+1] == '$':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				cur.WriteString(s[i:])
				i = len(s)
				continue
			}
			cur.WriteString(s[i : i+j+1])
			i += j
		case c == '{' || c == '}':
			emit()
			out = append(out, string(c))
		default:
			cur.WriteByte(c)
		}
	}
	emit()
	return out
}

// clampLines keeps diagnostic lines inside the file: yaml.v3 names the line after
// the last one for an unexpected end of input.
func clampLines(ds diag.List, data []byte) {
	last := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		last++
	}
	for i := range ds {
		if ds[i].Line > last {
			ds[i].Line = last
		}
	}
}
