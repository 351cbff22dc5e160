package report

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/podnetdiag/podnetdiag/pkg/diag"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

func f(rule, stage, sev, node, peer string) findings.Finding {
	return findings.Finding{Rule: rule, Stage: stage, Severity: sev, Node: node, Peer: peer, Title: "T " + rule, Message: "m"}
}

func TestRootCause(t *testing.T) {
	rules := []RuleInfo{
		{ID: "ipvs-dns-vip-missing", Stage: "service-nat", Explains: []string{"dns-queries-unanswered"}},
		{ID: "mtu-tunnel-overhead", Stage: "link"},
		{ID: "route-pod-block-missing", Stage: "route"},
		{ID: "bgp-session-down", Stage: "route", Explains: []string{"route-pod-block-missing"}},
		{ID: "sysctl-rp-filter-loose", Stage: "kernel", Explains: []string{"route-pod-block-missing", "bgp-session-down"}},
		{ID: "dns-queries-unanswered", Stage: "link"},
	}
	tests := []struct {
		name      string
		in        []findings.Finding
		wantRule  string
		wantNode  string
		wantConsq map[string]string // rule@node -> consequenceOf
	}{
		{name: "nothing wrong gives no root cause",
			in: []findings.Finding{{Rule: "route-pod-block-missing", Stage: "route", Severity: "info", Insufficient: true, Node: "a"}}},
		{name: "a later stage on the same node is no consequence without an explains edge (issue 8, class 4)",
			in:       []findings.Finding{f("mtu-tunnel-overhead", "link", "critical", "a", ""), f("ipvs-dns-vip-missing", "service-nat", "critical", "a", "")},
			wantRule: "ipvs-dns-vip-missing", wantNode: "a",
			wantConsq: map[string]string{"mtu-tunnel-overhead@a": ""}},
		{name: "the earliest stage wins and what it explains on that node follows from it",
			in:       []findings.Finding{f("dns-queries-unanswered", "link", "critical", "a", ""), f("ipvs-dns-vip-missing", "service-nat", "critical", "a", ""), f("dns-queries-unanswered", "link", "critical", "b", "")},
			wantRule: "ipvs-dns-vip-missing", wantNode: "a",
			wantConsq: map[string]string{"dns-queries-unanswered@a": "ipvs-dns-vip-missing", "dns-queries-unanswered@b": ""}},
		{name: "a rule that explains another outranks it whatever the stage",
			in:       []findings.Finding{f("route-pod-block-missing", "route", "critical", "c", "a"), f("sysctl-rp-filter-loose", "kernel", "critical", "c", "")},
			wantRule: "sysctl-rp-filter-loose", wantNode: "c",
			wantConsq: map[string]string{"route-pod-block-missing@c": "sysctl-rp-filter-loose"}},
		{name: "a warning that explains a critical finding is its cause",
			in:       []findings.Finding{f("route-pod-block-missing", "route", "critical", "a", "b"), f("bgp-session-down", "route", "warning", "b", "a")},
			wantRule: "bgp-session-down", wantNode: "b",
			wantConsq: map[string]string{"route-pod-block-missing@a": "bgp-session-down"}},
		{name: "rule errors and insufficient data are never the root cause",
			in:       []findings.Finding{{Rule: findings.RuleError, Stage: "service-nat", Severity: "warning", Node: "a"}, f("route-pod-block-missing", "route", "critical", "a", "b")},
			wantRule: "route-pod-block-missing", wantNode: "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(Input{Facts: &facts.Cluster{}, Findings: tc.in, Rules: rules})
			if tc.wantRule == "" {
				if r.RootCause != nil {
					t.Errorf("root cause %+v, want none", r.RootCause)
				}
				return
			}
			if r.RootCause == nil || r.RootCause.Rule != tc.wantRule || r.RootCause.Node != tc.wantNode {
				t.Fatalf("root cause %+v, want %s on %s", r.RootCause, tc.wantRule, tc.wantNode)
			}
			for _, got := range r.Findings {
				if want, ok := tc.wantConsq[got.Rule+"@"+got.Node]; ok && got.ConsequenceOf != want {
					t.Errorf("%s on %s: consequence of %q, want %q", got.Rule, got.Node, got.ConsequenceOf, want)
				}
			}
		})
	}
}

func TestStagesSayWhatPassedFailedAndWasNotChecked(t *testing.T) {
	rules := []RuleInfo{{ID: "a-rule", Stage: "route"}, {ID: "b-rule", Stage: "route"}, {ID: "c-rule", Stage: "route"}, {ID: "d-rule", Stage: "link"}}
	in := []findings.Finding{
		f("a-rule", "route", "critical", "n", ""),
		{Rule: "c-rule", Stage: "route", Severity: "info", Insufficient: true, Node: "n"},
		{Rule: "d-rule", Stage: "link", Severity: "info", Insufficient: true, Node: "n"},
	}
	r := Build(Input{Facts: &facts.Cluster{}, Findings: in, Rules: rules})
	want := map[string][2]string{
		"service-nat": {StatusUnknown, "no check for this stage"},
		"route":       {StatusFail, "failed: a-rule; passed: b-rule; not checked for lack of data: c-rule"},
		"link":        {StatusUnknown, "not checked for lack of data: d-rule"},
	}
	for _, s := range r.Stages {
		w, ok := want[s.Stage]
		if !ok {
			continue
		}
		if s.Status != w[0] || s.Summary != w[1] {
			t.Errorf("%s: %s %q, want %s %q", s.Stage, s.Status, s.Summary, w[0], w[1])
		}
	}
}

func TestRenderersShowEvidenceAndFix(t *testing.T) {
	fd := f("route-next-hop-wrong", "route", "critical", "a", "b")
	fd.Evidence = []facts.Ref{facts.NewRef("a", "net/ip-route.txt", 4, "10.40.52.128/26 via 10.41.1.22 dev tunl0 proto bird onlink")}
	fd.Remediation = "restart calico-node"
	r := Build(Input{Facts: &facts.Cluster{DNSServiceIP: "10.96.0.10"}, Findings: []findings.Finding{fd}, Rules: []RuleInfo{{ID: fd.Rule, Stage: "route"}}})
	var text, md strings.Builder
	if err := Text(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"a:net/ip-route.txt:4: 10.40.52.128/26 via 10.41.1.22", "restart calico-node", "route-next-hop-wrong"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if strings.Contains(out, "\x1b[") {
			t.Errorf("%s has colour codes without a terminal", name)
		}
	}
}

// TestTerminalEscapes: every string a bundle can put into a report (node and
// file names, evidence, messages, warnings, diagnostics) reaches a terminal
// and Markdown with its control characters escaped; our own colours stay.
func TestTerminalEscapes(t *testing.T) {
	evil := "w\x1b]2;x\x07\x1b[2K\rok\u202e\u0085\xff`"
	fs := []findings.Finding{{
		Rule: "route-pod-block-missing", Stage: "route", Severity: "critical", Node: "n" + evil, Peer: "p" + evil,
		Title: "t", Message: "m" + evil, Remediation: "ip route | grep " + evil + "\nline two",
		Evidence: []facts.Ref{facts.NewRef("n"+evil, "net/"+evil+".txt", 3, "```\n"+evil)},
	}}
	r := Build(Input{
		Facts:       &facts.Cluster{Nodes: []facts.Node{{Name: "n" + evil}}, DNSServiceIP: "10.9.0.10" + evil},
		Findings:    fs,
		Rules:       []RuleInfo{{ID: "route-pod-block-missing", Stage: "route"}},
		Diagnostics: []diag.Diagnostic{{Severity: diag.Warning, File: "n:" + evil, Line: 2, Msg: evil}},
		Warnings:    []string{"bundle " + evil},
	})
	for _, tc := range []struct {
		name   string
		render func(*strings.Builder) error
		colour bool
	}{
		{"text", func(b *strings.Builder) error { return Text(b, r, TextOptions{}) }, false},
		{"text with colours", func(b *strings.Builder) error { return Text(b, r, TextOptions{Color: true}) }, true},
		{"markdown", func(b *strings.Builder) error { return Markdown(b, r) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if tc.colour {
				// Our SGR sequences are the only escapes left.
				for _, sgr := range []string{"\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[1m", "\x1b[0m"} {
					out = strings.ReplaceAll(out, sgr, "")
				}
			}
			if !utf8.ValidString(out) {
				t.Errorf("output is not valid UTF-8")
			}
			for _, r := range out {
				if r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e) {
					t.Fatalf("raw %U in output:\n%s", r, out)
				}
			}
			if !strings.Contains(out, `\x1b]2;x\x07\x1b[2K\rok\u202e\u0085\xff`) {
				t.Errorf("hostile text not shown escaped:\n%s", out)
			}
		})
	}
	var b strings.Builder
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Findings []findings.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Findings[0].Evidence[0].Text; got != strings.ToValidUTF8("```\n"+evil, "\ufffd") {
		t.Errorf("JSON evidence %q, want the text exactly", got)
	}
}
