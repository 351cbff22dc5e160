package findings

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

func TestSortOrdersBySeverityStageRuleNodePeer(t *testing.T) {
	want := []Finding{
		{Rule: "ipvs-dns-vip-missing", Severity: SeverityCritical, Stage: StageServiceNAT, Node: "node-a"},
		{Rule: "route-next-hop-wrong", Severity: SeverityCritical, Stage: StageRoute, Node: "node-a", Peer: "node-b"},
		{Rule: "route-next-hop-wrong", Severity: SeverityCritical, Stage: StageRoute, Node: "node-a", Peer: "node-c"},
		{Rule: "route-next-hop-wrong", Severity: SeverityCritical, Stage: StageRoute, Node: "node-b"},
		{Rule: "kernel-gso-ipip-drop", Severity: SeverityCritical, Stage: StageKernel, Node: "node-a"},
		{Rule: "a-rule", Severity: SeverityCritical, Stage: "unknown-stage", Node: "node-a"},
		{Rule: "tunnel-mode-mismatch", Severity: SeverityWarning, Stage: StageTunnelEndpoint, Message: "a"},
		{Rule: "tunnel-mode-mismatch", Severity: SeverityWarning, Stage: StageTunnelEndpoint, Message: "b"},
		{Rule: "dns-queries-unanswered", Severity: SeverityInfo, Stage: StageLink, Node: "node-a", Message: "m"},
		{Rule: "dns-queries-unanswered", Severity: SeverityInfo, Stage: StageLink, Node: "node-a", Message: "m", Insufficient: true},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		got := slices.Clone(want)
		r.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		Sort(got)
		if !slices.EqualFunc(got, want, func(a, b Finding) bool { return Compare(a, b) == 0 && a.Message == b.Message && a.Rule == b.Rule }) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
	}
}

func TestSeverityRank(t *testing.T) {
	tests := []struct {
		sev  string
		want int
	}{{"critical", 3}, {"warning", 2}, {"info", 1}, {"", 0}, {"CRITICAL", 0}}
	for _, tc := range tests {
		if got := SeverityRank(tc.sev); got != tc.want {
			t.Errorf("SeverityRank(%q) = %d, want %d", tc.sev, got, tc.want)
		}
	}
}

func TestStagesAreInRunbookOrderAndIndexed(t *testing.T) {
	st := Stages()
	want := []string{"service-nat", "route", "tunnel-endpoint", "link", "kernel"}
	if !slices.Equal(st, want) {
		t.Fatalf("Stages() = %v", st)
	}
	for i, s := range st {
		if StageIndex(s) != i || !ValidStage(s) {
			t.Errorf("StageIndex(%q) = %d, want %d", s, StageIndex(s), i)
		}
	}
	st[0] = "changed"
	if Stages()[0] != StageServiceNAT {
		t.Error("Stages() returns shared state")
	}
	if ValidStage("routes") {
		t.Error(`ValidStage("routes")`)
	}
}

func TestJSONFollowsTheReportContract(t *testing.T) {
	f := Finding{
		Rule: "route-next-hop-wrong", Severity: "critical", Stage: "route", Node: "node-a",
		Title: "T", Message: "M", Evidence: []facts.Ref{facts.NewRef("node-a", "net/ip-route.txt", 12, "x")},
		Remediation: "R",
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rule":"route-next-hop-wrong","severity":"critical","stage":"route","node":"node-a","title":"T","message":"M","evidence":[{"node":"node-a","file":"net/ip-route.txt","line":12,"text":"x"}],"remediation":"R"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	f.Peer, f.ConsequenceOf, f.Insufficient, f.RuleFile, f.RuleLine = "node-b", "ipvs-dns-vip-missing", true, "rules/x.yaml", 3
	b, _ = json.Marshal(f)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"peer", "consequenceOf", "insufficient", "ruleFile", "ruleLine"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
}
