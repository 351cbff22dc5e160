package obfuscate

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/podnetdiag/podnetdiag/pkg/analysis"
	"github.com/podnetdiag/podnetdiag/pkg/report"
)

// obfuscateTxtar obfuscates a multi-node scenario the way collect obfuscates
// each node's bundle with one shared key: host names of every node are
// registered, every section and the description are rewritten, and node
// folders are renamed.
func obfuscateTxtar(o *Obfuscator, ar *txtar.Archive) *txtar.Archive {
	byNode := map[string]map[string][]byte{}
	for _, f := range ar.Files {
		node, rest, ok := strings.Cut(f.Name, "/")
		if !ok {
			continue
		}
		if byNode[node] == nil {
			byNode[node] = map[string][]byte{}
		}
		byNode[node][rest] = f.Data
	}
	for node, files := range byNode {
		o.AddHostnames(node)
		o.AddHostnames(HostnamesIn(files)...)
	}
	out := &txtar.Archive{Comment: o.Text(ar.Comment)}
	for _, f := range ar.Files {
		node, rest, ok := strings.Cut(f.Name, "/")
		name := f.Name
		if ok {
			name = o.Hostname(node) + "/" + rest
		}
		out.Files = append(out.Files, txtar.File{Name: name, Data: o.Text(f.Data)})
	}
	return out
}

// outcome is what must not change: each finding's rule, severity, node and
// peer (mapped), and whether it is an "insufficient data" finding.
// Messages are compared too, with the original's rewritten by the same
// obfuscator: a rule must say the same thing about the fake addresses.
func outcome(r *report.Report, node func(string) string, text func(string) string) []string {
	var out []string
	for _, f := range r.Findings {
		n, p, msg := node(f.Node), node(f.Peer), text(f.Message)
		// One fault seen from both ends is one finding told from the end
		// that sorts first by name, which obfuscation changes: compare the
		// two ends as a pair and the two sightings as a set.
		if first, rest, ok := strings.Cut(msg, " (also seen from "); ok && p != "" {
			if n > p {
				n, p = p, n
			}
			_, otherMsg, _ := strings.Cut(strings.TrimSuffix(rest, ")"), ": ")
			pair := []string{first, otherMsg}
			sort.Strings(pair)
			msg = strings.Join(pair, " | ")
		}
		out = append(out, fmt.Sprintf("%s %s node=%s peer=%s insufficient=%v: %s", f.Rule, f.Severity, n, p, f.Insufficient, msg))
	}
	// The root cause's rule, not its node: among nodes with the same problem
	// the report picks by name order, which obfuscation changes.
	if rc := r.RootCause; rc != nil {
		out = append(out, "root cause "+rc.Rule)
	}
	sort.Strings(out)
	return out
}

func TestTheAnalyzerFindsTheSameOnObfuscatedScenarios(t *testing.T) {
	scenarios, _ := filepath.Glob("../../testdata/bundles/*.txtar")
	if len(scenarios) == 0 {
		t.Skip("no scenario under testdata/bundles")
	}
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := Key{7, 7, 7}
	for _, sc := range scenarios {
		t.Run(filepath.Base(sc), func(t *testing.T) {
			data, err := os.ReadFile(sc)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := analysis.Run(eng, []string{sc}, analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			o := New(key)
			obf := obfuscateTxtar(o, txtar.Parse(data))
			path := filepath.Join(t.TempDir(), filepath.Base(sc))
			if err := os.WriteFile(path, txtar.Format(obf), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := analysis.Run(eng, []string{path}, analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			mapNode := func(n string) string {
				if n == "" {
					return ""
				}
				return o.Hostname(n)
			}
			same := func(s string) string { return s }
			want := outcome(orig, mapNode, func(s string) string { return string(o.Text([]byte(s))) })
			have := outcome(got, same, same)
			if strings.Join(want, "\n") != strings.Join(have, "\n") {
				t.Errorf("findings differ\noriginal (nodes mapped):\n  %s\nobfuscated:\n  %s", strings.Join(want, "\n  "), strings.Join(have, "\n  "))
			}
			// Nothing of the real addressing is left: no node name, no address
			// outside the kept ranges.
			for _, f := range obf.Files {
				for real := range o.Mapping().Hostnames {
					if containsWord(string(f.Data), real) {
						t.Errorf("%s still names %q", f.Name, real)
					}
				}
				for real := range o.Mapping().Addresses {
					if containsWord(string(f.Data), real) && !keptNetwork(o, string(f.Data), real) {
						t.Errorf("%s still holds %s", f.Name, real)
					}
				}
			}
		})
	}
}

// containsWord finds s not embedded in a longer word, address or name.
func containsWord(text, s string) bool {
	for i := 0; ; {
		k := strings.Index(text[i:], s)
		if k < 0 {
			return false
		}
		a, b := i+k, i+k+len(s)
		before := a == 0 || !isHostByte(text[a-1]) && text[a-1] != '.' && text[a-1] != ':'
		after := b == len(text) || !isHostByte(text[b]) && !(text[b] == '.' && b+1 < len(text) && isDigit(text[b+1])) && text[b] != ':'
		if text[b-1] == ':' || b < len(text) && text[b] == ':' && strings.Contains(s, ":") {
			after = b == len(text) || !isHex(text[b])
		}
		if before && after {
			return true
		}
		i = a + 1
	}
}

// keptNetwork: every occurrence of addr is a network address "addr/N" whose
// prefix maps onto itself (10.0.0.0/8, 192.168.0.0/16: the private ranges map
// onto themselves, so their network address legitimately stays).
func keptNetwork(o *Obfuscator, text, addr string) bool {
	for i := 0; ; {
		k := strings.Index(text[i:], addr)
		if k < 0 {
			return true
		}
		e := i + k + len(addr)
		j := e
		if j < len(text) && text[j] == '/' {
			j++
			for j < len(text) && isDigit(text[j]) {
				j++
			}
		}
		if j == e+1 || j == e {
			if containsWord(text[i+k:min(len(text), e+1)], addr) {
				return false
			}
		} else if p, err := netip.ParsePrefix(text[i+k : j]); err != nil || o.Prefix(p) != p {
			return false
		}
		i = i + k + 1
	}
}
