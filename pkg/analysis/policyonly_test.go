package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyOnlySignalAgainstCalicoRoutesIsAWarning: a healthy IPIP cluster
// whose calico-node env claims CALICO_NETWORKING_BACKEND=none is not taken for
// policy-only mode (its nodes show tunnel addresses and BIRD routes); the
// route checks run, and the report's data quality says why the claim was set
// aside.
func TestPolicyOnlySignalAgainstCalicoRoutesIsAWarning(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bundles", "ipip-healthy.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "CALICO_NETWORKING_BACKEND=bird", "CALICO_NETWORKING_BACKEND=none", 1)
	if text == string(data) {
		t.Fatal("the scenario has no CALICO_NETWORKING_BACKEND=bird to replace")
	}
	p := filepath.Join(t.TempDir(), "claims-policy-only.txtar")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := Engine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(eng, []string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Facts.CalicoPolicyOnly {
		t.Fatalf("taken for policy-only: %s", r.Facts.CalicoPolicyOnlyWhy)
	}
	for _, f := range r.Findings {
		if f.NotApplicable {
			t.Errorf("%s on %s not applicable on a cluster Calico routes", f.Rule, f.Node)
		}
	}
	for _, s := range r.Stages {
		if s.Stage == "route" && s.Status != "pass" {
			t.Errorf("route stage %s (%s), want pass", s.Status, s.Summary)
		}
	}
	found := false
	for _, w := range r.DataQuality.Warnings {
		found = found || strings.Contains(w, "not taken for policy-only mode (calico-node has CALICO_NETWORKING_BACKEND=none), because")
	}
	if !found {
		t.Errorf("no data-quality warning about the policy-only claim: %q", r.DataQuality.Warnings)
	}
}
