package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunReportsTheHealthyClusterAsHealthy(t *testing.T) {
	eng, err := Engine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(eng, []string{filepath.Join("..", "..", "testdata", "bundles", "ipip-healthy.txtar")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.RootCause != nil {
		t.Errorf("root cause %+v on a healthy cluster", r.RootCause)
	}
	if got := len(r.Nodes); got != 3 {
		t.Errorf("%d nodes, want 3", got)
	}
	if r.Cluster.Encapsulation != "ipip" || r.Cluster.DNSServiceIP != "10.96.0.10" {
		t.Errorf("cluster %+v", r.Cluster)
	}
}

func TestEngineRejectsABadRuleFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad-rule.yaml"), []byte("id: bad-rule\ntitle: Bad\nstage: route\nseverity: critical\nscope: node\nmatch: nod.name == ''\nmessage: \"'x'\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Engine(Options{RuleDirs: []string{dir}})
	if err == nil {
		t.Fatal("no error for an undeclared reference")
	}
	if want := "bad-rule.yaml:6:8: match: undeclared reference to 'nod'"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

// BenchmarkRun is the whole analysis of a 3-node bundle set: open, parse,
// assemble, evaluate every rule, build the report.
func BenchmarkRun(b *testing.B) {
	eng, err := Engine(Options{})
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{filepath.Join("..", "..", "testdata", "bundles", "ipip-healthy.txtar")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(eng, paths, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngine is compiling the rule pack (once per process).
func BenchmarkEngine(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Engine(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
