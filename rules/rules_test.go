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

// capture rules judge packet captures; until captures are summarised into facts
// they can only say "insufficient data", and they have no scenario of their own.
var needCaptures = []string{"link-tunnel-one-way", "link-ipip-blocked", "dns-queries-unanswered", "kernel-gso-ipip-drop"}

// TestMatrix checks every rule against every scenario: each rule fires on the
// scenario named after it, and no rule reports a warning or worse on a healthy
// cluster.
func TestMatrix(t *testing.T) {
	eng, err := analysis.Engine(analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bundles, err := filepath.Glob("../testdata/bundles/*.txtar")
	if err != nil || len(bundles) == 0 {
		t.Fatalf("no scenario bundles: %v", err)
	}
	for _, b := range bundles {
		name := strings.TrimSuffix(filepath.Base(b), ".txtar")
		if !strings.Contains(name, "healthy") {
			continue
		}
		t.Run("healthy/"+name, func(t *testing.T) {
			r, err := analysis.Run(eng, []string{b}, analysis.Options{})
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
			if slices.Contains(needCaptures, rule.ID) {
				t.Skip("judges packet captures; its scenario comes with the capture summariser")
			}
			scen, _ := filepath.Glob("../testdata/bundles/" + rule.ID + "*.txtar")
			if len(scen) == 0 {
				t.Fatalf("no scenario testdata/bundles/%s.txtar", rule.ID)
			}
			for _, s := range scen {
				r, err := analysis.Run(eng, []string{s}, analysis.Options{})
				if err != nil {
					t.Fatal(err)
				}
				fired := false
				for _, f := range r.Findings {
					if f.Rule == rule.ID && !f.Insufficient {
						fired = true
					}
				}
				if !fired {
					t.Errorf("%s does not fire on %s", rule.ID, s)
				}
			}
		})
	}
}
