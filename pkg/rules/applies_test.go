package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// naRule is a rule of the given scope that does not apply when Calico runs
// in policy-only mode, and otherwise fires on every node (or pair) whose name
// is not "quiet".
func naRule(scope, na string) string {
	match := "node.name != 'quiet'"
	if scope == ScopeCluster {
		match = "true"
	}
	return `id: na-probe
title: Probe
stage: route
severity: critical
scope: ` + scope + `
needs: [routes]
notApplicable:` + na + `
match: "` + match + `"
message: "'fired'"
remediation: x
`
}

const naMapping = `
  reason: "cluster.calicoPolicyOnly ? 'Calico enforces policy only: ' + cluster.calicoPolicyOnlyWhy : ''"
  evidence: "[cluster.calicoPolicyOnlyRef]"`

func loadNA(t *testing.T, rule string) *Engine {
	t.Helper()
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := e.LoadFS(fstest.MapFS{"na-probe.yaml": {Data: []byte(rule)}}, "t"); len(errs) > 0 {
		t.Fatal(errs)
	}
	return e
}

// verdicts spells findings as node>peer:verdict: message [evidence files].
func verdicts(fs []findings.Finding) []string {
	var out []string
	for _, f := range fs {
		v := f.Severity
		switch {
		case f.NotApplicable:
			v = "n/a"
		case f.Insufficient:
			v = "not checked"
		}
		var ev []string
		for _, r := range f.Evidence {
			ev = append(ev, fmt.Sprintf("%s:%s:%d", r.Node(), r.File(), r.Line))
		}
		out = append(out, fmt.Sprintf("%s>%s:%s: %s %v", f.Node, f.Peer, v, f.Message, ev))
	}
	slices.Sort(out)
	return out
}

// TestNotApplicable: a rule whose notApplicable reason is non-empty yields one
// info finding marked NotApplicable per node (pair scope: per node, not per
// pair; cluster scope: once), with the reason and evidence, before needs are
// checked; with an empty reason the rule runs as before.
func TestNotApplicable(t *testing.T) {
	policyOnly := func(c *facts.Cluster) {
		c.CalicoPolicyOnly = true
		c.CalicoPolicyOnlyWhy = "CALICO_NETWORKING_BACKEND=none"
		c.CalicoPolicyOnlyRef = facts.NewRef("eks-1", "calico/calico-node-env.txt", 4, "")
	}
	cluster := func(mod func(*facts.Cluster)) *facts.Cluster {
		c := &facts.Cluster{Nodes: []facts.Node{
			{Name: "eks-1", Has: map[string]bool{"routes": true}},
			{Name: "eks-2", Has: map[string]bool{}}, // no routes: needs would say "not checked"
		}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	const na = "n/a: not applicable: Calico enforces policy only: CALICO_NETWORKING_BACKEND=none [eks-1:calico/calico-node-env.txt:4]"
	tests := []struct {
		name, scope, na string
		mod             func(*facts.Cluster)
		want            []string
	}{
		{"node scope, policy-only: n/a on every node, even one lacking the rule's needs", ScopeNode, naMapping, policyOnly,
			[]string{"eks-1>:" + na, "eks-2>:" + na}},
		{"node scope, Calico routes: the rule runs as before", ScopeNode, naMapping, nil,
			[]string{"eks-1>:critical: fired []", "eks-2>:not checked: insufficient data: needs routes, not in this node's bundle []"}},
		{"pair scope: once per node, with no peer", ScopePair, naMapping, policyOnly,
			[]string{"eks-1>:" + na, "eks-2>:" + na}},
		{"cluster scope: once, for the cluster", ScopeCluster, naMapping, policyOnly,
			[]string{">:" + na}},
		{"cluster scope, Calico routes: the rule runs", ScopeCluster, naMapping, nil,
			[]string{">:critical: fired []"}},
		{"scalar form: the reason alone, no evidence", ScopeNode,
			` "cluster.calicoPolicyOnly ? 'policy only' : ''"`, policyOnly,
			[]string{"eks-1>:n/a: not applicable: policy only []", "eks-2>:n/a: not applicable: policy only []"}},
		{"node-dependent reason: n/a on one node, judged on the other", ScopeNode,
			` "node.name == 'eks-2' ? 'no Calico on this node' : ''"`, nil,
			[]string{"eks-1>:critical: fired []", "eks-2>:n/a: not applicable: no Calico on this node []"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := loadNA(t, naRule(tc.scope, tc.na))
			fs := e.Eval(cluster(tc.mod))
			for _, f := range fs {
				if f.NotApplicable && (f.Severity != findings.SeverityInfo || findings.Actionable(f) || f.Insufficient || f.Remediation != "") {
					t.Errorf("not-applicable finding %+v: want info, not actionable, no remediation", f)
				}
			}
			if got := verdicts(fs); !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestNotApplicableRuntimeErrorIsARuleError(t *testing.T) {
	e := loadNA(t, naRule(ScopeNode, ` "node.calico.env['MISSING'].value"`))
	fs := e.Eval(&facts.Cluster{Nodes: []facts.Node{{Name: "n1", Has: map[string]bool{"routes": true}}}})
	if len(fs) != 1 || fs[0].Rule != findings.RuleError || !strings.Contains(fs[0].Message, "notApplicable") {
		t.Fatalf("got %+v, want one rule-error naming notApplicable", fs)
	}
}

func TestNotApplicableLoadErrors(t *testing.T) {
	tests := []struct{ name, scope, na, want string }{
		{"reason not a string", ScopeNode, ` "cluster.calicoPolicyOnly"`, "notApplicable must evaluate to string, got bool"},
		{"evidence not refs", ScopeNode, "\n  reason: \"''\"\n  evidence: \"['x']\"", "notApplicable.evidence must evaluate to list(facts.Ref), got list(string)"},
		{"mapping without reason", ScopeNode, "\n  evidence: \"[cluster.calicoPolicyOnlyRef]\"", "notApplicable needs a reason"},
		{"misspelled key", ScopeNode, "\n  reson: \"''\"", `unknown key "reson" in notApplicable; did you mean "reason"?`},
		{"peer is not bound: it judges the node", ScopePair, ` "peer.name"`, "notApplicable: undeclared reference to 'peer'"},
		{"node is not bound in cluster scope", ScopeCluster, ` "node.name"`, "notApplicable: undeclared reference to 'node'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			errs := e.LoadFS(fstest.MapFS{"na-probe.yaml": {Data: []byte(naRule(tc.scope, tc.na))}}, "t")
			if !strings.Contains(fmt.Sprint(errs), tc.want) {
				t.Errorf("errors %v\nwant one containing %q", errs, tc.want)
			}
		})
	}
}
