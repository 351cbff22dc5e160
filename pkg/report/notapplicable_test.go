package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

func na(rule, stage, node, reason string) findings.Finding {
	return findings.Finding{Rule: rule, Stage: stage, Severity: findings.SeverityInfo, Node: node, Title: "T " + rule,
		Message: "not applicable: " + reason, NotApplicable: true,
		Evidence: []facts.Ref{facts.NewRef("eks-1", "calico/calico-node-env.txt", 4, "CALICO_NETWORKING_BACKEND=none")}}
}

// TestStagesSayWhatDoesNotApply: a stage whose every rule does not apply is
// "not-applicable", never "pass"; one with a rule that passed somewhere, or
// failed, keeps that verdict and lists the others as not applicable.
func TestStagesSayWhatDoesNotApply(t *testing.T) {
	const why = "Calico enforces policy only"
	rules := []RuleInfo{
		{ID: "ipvs-dns-vip-missing", Stage: "service-nat"},
		{ID: "route-pod-block-missing", Stage: "route"}, {ID: "bgp-session-down", Stage: "route"},
		{ID: "tunnel-device-missing", Stage: "tunnel-endpoint"}, {ID: "node-ip-asymmetric", Stage: "tunnel-endpoint"},
		{ID: "mtu-tunnel-overhead", Stage: "link"}, {ID: "dns-queries-unanswered", Stage: "link"},
		{ID: "kernel-gso-ipip-drop", Stage: "kernel"}, {ID: "sysctl-ip-forward-off", Stage: "kernel"},
	}
	in := []findings.Finding{
		na("route-pod-block-missing", "route", "eks-1", why), na("route-pod-block-missing", "route", "eks-2", why),
		na("bgp-session-down", "route", "eks-1", why), na("bgp-session-down", "route", "eks-2", why),
		// Not applicable on one node only: judged (and passed) on the other.
		na("tunnel-device-missing", "tunnel-endpoint", "eks-1", why),
		na("node-ip-asymmetric", "tunnel-endpoint", "eks-1", why), na("node-ip-asymmetric", "tunnel-endpoint", "eks-2", why),
		na("mtu-tunnel-overhead", "link", "eks-1", why), na("mtu-tunnel-overhead", "link", "eks-2", why),
		{Rule: "dns-queries-unanswered", Stage: "link", Severity: "info", Insufficient: true, Node: "eks-1", Message: "insufficient data: no capture"},
		{Rule: "dns-queries-unanswered", Stage: "link", Severity: "info", Insufficient: true, Node: "eks-2", Message: "insufficient data: no capture"},
		na("kernel-gso-ipip-drop", "kernel", "", "no IP-in-IP"),
		f("sysctl-ip-forward-off", "kernel", "critical", "eks-2", ""),
	}
	c := &facts.Cluster{Nodes: []facts.Node{{Name: "eks-1"}, {Name: "eks-2"}}}
	r := Build(Input{Facts: c, Findings: in, Rules: rules})
	want := map[string][2]string{
		"service-nat":     {StatusPass, "passed: ipvs-dns-vip-missing"},
		"route":           {StatusNotApplicable, "not applicable: bgp-session-down, route-pod-block-missing (" + why + ")"},
		"tunnel-endpoint": {StatusPass, "passed: tunnel-device-missing; not applicable: node-ip-asymmetric (" + why + ")"},
		"link":            {StatusUnknown, "not checked for lack of data: dns-queries-unanswered; not applicable: mtu-tunnel-overhead (" + why + ")"},
		"kernel":          {StatusFail, "failed: sysctl-ip-forward-off; not applicable: kernel-gso-ipip-drop (no IP-in-IP)"},
	}
	for _, s := range r.Stages {
		w := want[s.Stage]
		if s.Status != w[0] || s.Summary != w[1] {
			t.Errorf("%s: %s %q\n  want %s %q", s.Stage, s.Status, s.Summary, w[0], w[1])
		}
	}
	route := r.Stages[1]
	if len(route.NotApplicable) != 2 || route.NotApplicable[0].Reason != why ||
		strings.Join(route.NotApplicable[0].Nodes, ",") != "eks-1,eks-2" || len(route.NotApplicable[0].Evidence) != 1 {
		t.Errorf("route stage notApplicable %+v", route.NotApplicable)
	}
	if r.RootCause == nil || r.RootCause.Rule != "sysctl-ip-forward-off" {
		t.Errorf("root cause %+v: not-applicable findings must not take it", r.RootCause)
	}

	var text, md, js strings.Builder
	if err := Text(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		out  string
		want []string
	}{
		"text": {text.String(), []string{
			"n/a   route ", "Not applicable (neither passed nor failed: nothing to check)",
			"everywhere: " + why + "\n    bgp-session-down, route-pod-block-missing, node-ip-asymmetric, mtu-tunnel-overhead\n    > eks-1:calico/calico-node-env.txt:4: CALICO_NETWORKING_BACKEND=none",
			"on eks-1: " + why + "\n    tunnel-device-missing\n",
			"everywhere: no IP-in-IP\n    kernel-gso-ipip-drop",
		}},
		"markdown": {md.String(), []string{"| route | not-applicable |", "### Not applicable", "`bgp-session-down`, `route-pod-block-missing`"}},
		"json":     {js.String(), []string{`"status": "not-applicable"`, `"notApplicable": [`, `"notApplicable": true`}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.out, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, tc.out)
			}
		}
		if strings.Contains(tc.out, "Not checked, or for information") && !strings.Contains(tc.out, "dns-queries-unanswered") {
			t.Errorf("%s lists not-applicable rules as not checked", name)
		}
	}
	if strings.Contains(text.String(), "route-pod-block-missing on") {
		t.Errorf("text lists a not-applicable rule among the not-checked ones:\n%s", text.String())
	}
	var back Report
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil {
		t.Fatal(err)
	}
}

// TestNoFaultSaysWhatDidNotApply: a healthy policy-only cluster reads "No
// fault found", and says how many checks did not apply.
func TestNoFaultSaysWhatDidNotApply(t *testing.T) {
	rules := []RuleInfo{{ID: "route-pod-block-missing", Stage: "route"}, {ID: "ipvs-dns-vip-missing", Stage: "service-nat"}}
	c := &facts.Cluster{Nodes: []facts.Node{{Name: "eks-1"}}}
	r := Build(Input{Facts: c, Findings: []findings.Finding{na("route-pod-block-missing", "route", "eks-1", "policy only")}, Rules: rules})
	var text, md strings.Builder
	_ = Text(&text, r, TextOptions{})
	_ = Markdown(&md, r)
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		if !strings.Contains(out, "1 check(s) do not apply here") || strings.Contains(out, "could not be made") {
			t.Errorf("%s:\n%s", name, out)
		}
	}
}
