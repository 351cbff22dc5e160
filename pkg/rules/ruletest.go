package rules

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// Rule tests, promtool style: a file rules/<id>_test.yaml lists scenarios
// (bundles to analyze) and the findings expected from them, so that rule
// authors test a rule without writing Go:
//
//	tests:
//	  - name: fires on node-a when the DNS VIP is missing
//	    bundles: [testdata/bundles/ipvs-dns-vip-missing.txtar]   # or bundle: one path
//	    args: {dnsServiceIP: ""}                                 # optional, passed to the builder
//	    want:
//	      - {rule: ipvs-dns-vip-missing, node: node-a, severity: critical}
//	  - name: quiet on a healthy cluster
//	    bundle: testdata/bundles/ipip-healthy.txtar
//	    want: []
//
// The findings compared are those of the rule the file is named after, of the
// rules named in want, and rule-error findings; with `allRules: true`, all of
// them. Each want entry matches one finding by rule, node, peer (empty: none),
// severity (empty: any), insufficient and notApplicable (default false); the comparison is
// of multisets, so two findings of one rule on one node need two entries.

// TestFile is one rule-test file; Name is how results refer to it.
type TestFile struct {
	Name string
	Data []byte
}

// TestFilesFS reads the *_test.yaml files at the top of fsys, named
// dirLabel/file.
func TestFilesFS(fsys fs.FS, dirLabel string) ([]TestFile, error) {
	names, err := fs.Glob(fsys, "*_test.yaml")
	if err != nil {
		return nil, err
	}
	var out []TestFile
	for _, n := range names {
		data, err := readRuleFile(fsys, n)
		if err != nil {
			return nil, err
		}
		label := n
		if dirLabel != "" {
			label = path.Join(dirLabel, n)
		}
		out = append(out, TestFile{Name: label, Data: data})
	}
	return out, nil
}

// ReadTestFiles reads rule-test files from disk, for `analyze rules test
// FILE...`.
func ReadTestFiles(paths ...string) ([]TestFile, error) {
	out := make([]TestFile, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, TestFile{Name: filepath.ToSlash(p), Data: data})
	}
	return out, nil
}

// BuildFunc turns the bundles of a test case (paths joined to the base
// directory) and its args into the cluster model: the facts builder, or a
// stub in tests.
type BuildFunc func(bundles []string, args map[string]string) (*facts.Cluster, error)

// TestResult is the outcome of one test case.
type TestResult struct {
	File string // test file name
	Line int    // line of the case in it
	Name string // the case's name
	// Err: the case could not run (a bad test file, a bundle that does not
	// build, a want naming an unknown rule).
	Err error
	// Diff lists missing and unexpected findings; "" when they matched.
	Diff string
}

// Passed reports whether the case ran and its findings matched.
func (r TestResult) Passed() bool { return r.Err == nil && r.Diff == "" }

// WantFinding is one expected finding.
type WantFinding struct {
	Rule          string
	Node          string
	Peer          string
	Severity      string
	Insufficient  bool
	NotApplicable bool
}

func (w WantFinding) String() string {
	parts := []string{"rule: " + w.Rule}
	if w.Node != "" {
		parts = append(parts, "node: "+w.Node)
	}
	if w.Peer != "" {
		parts = append(parts, "peer: "+w.Peer)
	}
	if w.Severity != "" {
		parts = append(parts, "severity: "+w.Severity)
	}
	if w.Insufficient {
		parts = append(parts, "insufficient: true")
	}
	if w.NotApplicable {
		parts = append(parts, "notApplicable: true")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (w WantFinding) matches(f findings.Finding) bool {
	return w.Rule == f.Rule && w.Node == f.Node && w.Peer == f.Peer &&
		(w.Severity == "" || w.Severity == f.Severity) && w.Insufficient == f.Insufficient &&
		w.NotApplicable == f.NotApplicable
}

type testCase struct {
	name     string
	line     int
	bundles  []string
	args     map[string]string
	want     []WantFinding
	allRules bool
}

// RunTests runs the cases of files whose name (or "<id>/<name>") matches run
// (nil: all). Bundle paths in the files are relative to baseDir.
func RunTests(eng *Engine, files []TestFile, baseDir string, build BuildFunc, run *regexp.Regexp) []TestResult {
	var out []TestResult
	for _, tf := range files {
		id := strings.TrimSuffix(path.Base(tf.Name), "_test.yaml")
		cases, errs := parseTestFile(tf)
		if len(errs) > 0 {
			for _, err := range errs {
				out = append(out, TestResult{File: tf.Name, Err: err})
			}
			continue
		}
		for _, tc := range cases {
			if run != nil && !run.MatchString(tc.name) && !run.MatchString(id+"/"+tc.name) {
				continue
			}
			res := TestResult{File: tf.Name, Line: tc.line, Name: tc.name}
			res.Diff, res.Err = runCase(eng, id, tc, baseDir, build)
			out = append(out, res)
		}
	}
	return out
}

func runCase(eng *Engine, id string, tc testCase, baseDir string, build BuildFunc) (diff string, err error) {
	compared := map[string]bool{findings.RuleError: true}
	if eng.Rule(id) != nil {
		compared[id] = true
	}
	for _, w := range tc.want {
		if w.Rule != findings.RuleError && eng.Rule(w.Rule) == nil {
			return "", fmt.Errorf("want names rule %q, which is not loaded", w.Rule)
		}
		compared[w.Rule] = true
	}
	paths := make([]string, len(tc.bundles))
	for i, b := range tc.bundles {
		paths[i] = testBundlePath(baseDir, b)
	}
	c, err := build(paths, tc.args)
	if err != nil {
		return "", fmt.Errorf("building facts from %s: %w", strings.Join(tc.bundles, ", "), err)
	}
	var got []findings.Finding
	for _, f := range eng.Eval(c) {
		if tc.allRules || compared[f.Rule] {
			got = append(got, f)
		}
	}
	used := make([]bool, len(got))
	var missing []string
	for _, w := range tc.want {
		found := false
		for i, f := range got {
			if !used[i] && w.matches(f) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, "  - "+w.String())
		}
	}
	var unexpected []string
	for i, f := range got {
		if used[i] {
			continue
		}
		w := WantFinding{Rule: f.Rule, Node: f.Node, Peer: f.Peer, Severity: f.Severity, Insufficient: f.Insufficient, NotApplicable: f.NotApplicable}
		unexpected = append(unexpected, "  - "+w.String()+"  # "+f.Message)
	}
	if len(missing) == 0 && len(unexpected) == 0 {
		return "", nil
	}
	var b strings.Builder
	if len(missing) > 0 {
		b.WriteString("missing findings:\n" + strings.Join(missing, "\n") + "\n")
	}
	if len(unexpected) > 0 {
		b.WriteString("unexpected findings:\n" + strings.Join(unexpected, "\n") + "\n")
	}
	return b.String(), nil
}

func parseTestFile(tf TestFile) ([]testCase, []error) {
	src := newSource(tf.Name, tf.Data)
	root, errs := parseYAML(src, tf.Data)
	if root == nil {
		return nil, errs
	}
	var list *yaml.Node
	errs = append(errs, eachField(src, root, "test file", []string{"tests"}, func(_ string, _, v *yaml.Node) { list = v })...)
	if list == nil {
		if len(errs) == 0 {
			errs = append(errs, src.errNode(resolve(root), "missing required key %q", "tests"))
		}
		return nil, errs
	}
	if list.Kind != yaml.SequenceNode {
		return nil, append(errs, src.errNode(list, "tests must be a list"))
	}
	var cases []testCase
	names := map[string]int{}
	for _, item := range list.Content {
		item = resolve(item)
		tc := testCase{line: item.Line}
		var hasWant, hasBundle bool
		errs = append(errs, eachField(src, item, "test", []string{"name", "bundle", "bundles", "args", "want", "allRules"}, func(key string, k, v *yaml.Node) {
			switch key {
			case "name":
				s, err := scalar(src, key, v)
				if err != nil {
					errs = append(errs, err)
				}
				tc.name = s
			case "bundle", "bundles":
				if hasBundle {
					errs = append(errs, src.errNode(k, "give bundle or bundles, not both"))
					return
				}
				hasBundle = true
				if key == "bundle" {
					s, err := scalar(src, key, v)
					if err != nil {
						errs = append(errs, err)
					}
					tc.bundles = []string{s}
					return
				}
				items, err := stringList(src, key, v)
				if err != nil {
					errs = append(errs, err)
				}
				for _, it := range items {
					tc.bundles = append(tc.bundles, it.Value)
				}
			case "args":
				if v.Kind != yaml.MappingNode {
					errs = append(errs, src.errNode(v, "args must be a mapping of strings"))
					return
				}
				tc.args = map[string]string{}
				for i := 0; i+1 < len(v.Content); i += 2 {
					val := resolve(v.Content[i+1])
					s, err := scalar(src, v.Content[i].Value, val)
					if err != nil {
						errs = append(errs, err)
					}
					tc.args[v.Content[i].Value] = s
				}
			case "allRules":
				if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
					errs = append(errs, src.errNode(v, "allRules must be true or false"))
					return
				}
				tc.allRules = v.Value == "true"
			case "want":
				hasWant = true
				if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
					return
				}
				if v.Kind != yaml.SequenceNode {
					errs = append(errs, src.errNode(v, "want must be a list"))
					return
				}
				for _, wn := range v.Content {
					w, werrs := parseWant(src, resolve(wn))
					errs = append(errs, werrs...)
					tc.want = append(tc.want, w)
				}
			}
		})...)
		if resolve(item).Kind != yaml.MappingNode {
			continue
		}
		if tc.name == "" {
			errs = append(errs, src.errNode(item, "test without a name"))
		} else if prev, dup := names[tc.name]; dup {
			errs = append(errs, src.errNode(item, "test name %q repeated (first at line %d)", tc.name, prev))
		} else {
			names[tc.name] = item.Line
		}
		if !hasBundle || len(tc.bundles) == 0 {
			errs = append(errs, src.errNode(item, "test %q has no bundle", tc.name))
		}
		if !hasWant {
			errs = append(errs, src.errNode(item, "test %q has no want (write want: [] for a quiet scenario)", tc.name))
		}
		cases = append(cases, tc)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cases, nil
}

func parseWant(src *source, n *yaml.Node) (WantFinding, []error) {
	var w WantFinding
	var errs []error
	errs = append(errs, eachField(src, n, "want", []string{"rule", "node", "peer", "severity", "insufficient", "notApplicable"}, func(key string, _, v *yaml.Node) {
		s, err := scalar(src, key, v)
		if err != nil {
			errs = append(errs, err)
			return
		}
		switch key {
		case "rule":
			w.Rule = s
		case "node":
			w.Node = s
		case "peer":
			w.Peer = s
		case "severity":
			if !findings.ValidSeverity(s) {
				errs = append(errs, src.errNode(v, "severity %q is not one of critical, warning, info", s))
			}
			w.Severity = s
		case "insufficient", "notApplicable":
			if s != "true" && s != "false" {
				errs = append(errs, src.errNode(v, "%s must be true or false", key))
			}
			if key == "insufficient" {
				w.Insufficient = s == "true"
			} else {
				w.NotApplicable = s == "true"
			}
		}
	})...)
	if n.Kind == yaml.MappingNode && w.Rule == "" {
		errs = append(errs, src.errNode(n, "want entry without a rule"))
	}
	return w, errs
}

// testBundlePath resolves a test case's bundle: an absolute path as given, a
// relative one from baseDir.
func testBundlePath(baseDir, b string) string {
	p := filepath.FromSlash(b)
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(baseDir, p)
}
