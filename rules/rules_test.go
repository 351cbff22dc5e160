package rules_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/analysis"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
	pkgrules "github.com/podnetdiag/podnetdiag/pkg/rules"
	pack "github.com/podnetdiag/podnetdiag/rules"
)

var run = func() *regexp.Regexp {
	if v := os.Getenv("RULES_RUN"); v != "" {
		return regexp.MustCompile(v)
	}
	return nil
}()

// TestRuleFiles runs every rules/<id>_test.yaml through the whole analyzer, as
// `analyze rules test` does.
func TestRuleFiles(t *testing.T) {
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := pkgrules.TestFilesFS(pack.FS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no rule test files")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pkgrules.RunTests(eng, files, root, analysis.BuildFunc(analysis.Options{}), run) {
		t.Run(strings.TrimSuffix(filepath.Base(r.File), "_test.yaml")+"/"+r.Name, func(t *testing.T) {
			if r.Err != nil {
				t.Fatalf("%s:%d: %v", r.File, r.Line, r.Err)
			}
			if !r.Passed() {
				t.Errorf("%s:%d:\n%s", r.File, r.Line, r.Diff)
			}
		})
	}
}

// scenarios lists testdata/bundles: each .txtar file, and each folder whose
// sub-folders are one node's bundle each (scenarios with captures), by name.
func scenarios(t *testing.T) map[string][]string {
	t.Helper()
	ents, err := os.ReadDir("../testdata/bundles")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range ents {
		p := filepath.Join("../testdata/bundles", e.Name())
		switch {
		case strings.HasSuffix(e.Name(), ".txtar"):
			out[strings.TrimSuffix(e.Name(), ".txtar")] = []string{p}
		case e.IsDir():
			nodes, err := os.ReadDir(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range nodes {
				if n.IsDir() {
					out[e.Name()] = append(out[e.Name()], filepath.Join(p, n.Name()))
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no scenario bundles")
	}
	return out
}

// TestMatrix checks every rule against every scenario: each rule fires on the
// scenario named after it, and no rule reports a warning or worse on a healthy
// cluster.
func TestMatrix(t *testing.T) {
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scen := scenarios(t)
	names := make([]string, 0, len(scen))
	for name := range scen {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !strings.Contains(name, "healthy") {
			continue
		}
		t.Run("healthy/"+name, func(t *testing.T) {
			r, err := analysis.Run(eng, scen[name], analysis.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range r.Findings {
				if f.Insufficient || f.Severity == findings.SeverityInfo {
					continue
				}
				t.Errorf("%s on %s: %s: %s", f.Rule, f.Node, f.Severity, f.Message)
			}
			if r.RootCause != nil {
				t.Errorf("root cause %s on a healthy cluster", r.RootCause.Rule)
			}
		})
	}
	for _, rule := range eng.Rules() {
		t.Run("fires/"+rule.ID, func(t *testing.T) {
			var mine []string
			for _, name := range names {
				if name == rule.ID || strings.HasPrefix(name, rule.ID+"-") {
					mine = append(mine, name)
				}
			}
			if len(mine) == 0 {
				t.Fatalf("no scenario testdata/bundles/%s(.txtar)", rule.ID)
			}
			for _, name := range mine {
				r, err := analysis.Run(eng, scen[name], analysis.Options{})
				if err != nil {
					t.Fatal(err)
				}
				fired := false
				for _, f := range r.Findings {
					if f.Rule == rule.ID && !f.Insufficient && !f.NotApplicable {
						fired = true
					}
				}
				if !fired {
					t.Errorf("%s does not fire on %s", rule.ID, name)
				}
			}
		})
	}
}
