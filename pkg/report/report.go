// Package report turns findings into the root-cause report of
// ../shared/spec/report-and-rules.md and renders it for a terminal, for a
// ticket (Markdown) and for machines (JSON). The JSON shape is the contract;
// the other formats render the same data.
package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
	"github.com/podnetdiag/podnetdiag/pkg/version"
)

// Schema is the report's schema id.
const Schema = "podnet-report/v1"

// Stage statuses.
const (
	StatusPass    = "pass"
	StatusFail    = "fail"
	StatusWarn    = "warn"
	StatusUnknown = "unknown"
	// StatusNotApplicable: every check of the stage said it does not apply
	// here (Calico's route and tunnel checks when a cloud CNI routes the
	// pods). Nothing was judged, so it is not "pass"; nothing is missing
	// either, so it is not "unknown".
	StatusNotApplicable = "not-applicable"
)

// Report is the analysis of one set of bundles.
type Report struct {
	// The order of the keys is the order a reader needs: the verdict first.
	Schema    string     `json:"schema"`
	RootCause *RootCause `json:"rootCause"`
	Stages    []Stage    `json:"stages"`
	// FindingGroups lists each problem once with the nodes it shows on; the
	// JSON renderer fills it from Findings (after any Filter).
	FindingGroups []Group            `json:"findingGroups"`
	Findings      []findings.Finding `json:"findings"`
	Cluster       Cluster            `json:"cluster"`
	Nodes         []Node             `json:"nodes"`

	// Beyond the contract's keys (added, none removed): what the other
	// formats show, so that a machine reading the JSON knows as much.
	Tool        *version.Info `json:"tool,omitempty"`
	AnalyzedAt  string        `json:"analyzedAt,omitempty"`
	Inputs      []Source      `json:"inputs"`
	DataQuality DataQuality   `json:"dataQuality"`
	// Filter is set when the findings listed are a selection.
	Filter *Filter `json:"filter,omitempty"`

	// Data quality, for the renderers (the JSON carries them in DataQuality).
	Diagnostics []diag.Diagnostic `json:"-"`
	Warnings    []string          `json:"-"`
	// Facts is the model the findings come from, for renderers that draw it.
	Facts *facts.Cluster `json:"-"`
}

// Source is one bundle file the report judged.
type Source struct {
	Node   string `json:"node"`
	File   string `json:"file"`
	SHA256 string `json:"sha256,omitempty"` // empty for a directory
}

// DataQuality is what could not be read as it should: bundle warnings and
// the parsers' diagnostics (file names prefixed with the node).
type DataQuality struct {
	Warnings    []string          `json:"warnings"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
}

// Cluster is the cluster summary of the contract.
type Cluster struct {
	DNSServiceIP  string   `json:"dnsServiceIP"`
	PodCIDRs      []string `json:"podCIDRs"`
	Encapsulation string   `json:"encapsulation"`
	// Where each came from ("" unknown): a report never hides that a value
	// is inferred, nor from what.
	DNSServiceIPSource  string `json:"dnsServiceIPSource,omitempty"`
	PodCIDRsSource      string `json:"podCIDRsSource,omitempty"`
	EncapsulationSource string `json:"encapsulationSource,omitempty"`
}

// Node is one bundle's node.
type Node struct {
	Name   string   `json:"name"`
	Bundle string   `json:"bundle"`
	IPs    []string `json:"ips"`
}

// Stage is one step of the runbook and how it went.
type Stage struct {
	Stage   string `json:"stage"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	// NotChecked says, per rule that could not judge, where and why: a check
	// without data did not pass.
	NotChecked []NotChecked `json:"notChecked,omitempty"`
	// NotApplicable says, per rule that does not apply, where, why and what
	// shows it: neither a pass nor a lack of data.
	NotApplicable []NotApplicable `json:"notApplicable,omitempty"`
}

// NotApplicable is one reason a rule does not apply, the nodes it concerns
// ("" for the cluster as a whole) and the evidence.
type NotApplicable struct {
	Rule     string      `json:"rule"`
	Nodes    []string    `json:"nodes"`
	Reason   string      `json:"reason"`
	Evidence []facts.Ref `json:"evidence"`
}

// NotChecked is one reason a rule could not judge, and the nodes it applies to.
type NotChecked struct {
	Rule   string   `json:"rule"`
	Nodes  []string `json:"nodes"`
	Reason string   `json:"reason"`
}

// RootCause names the finding that explains the symptom.
type RootCause struct {
	Rule        string `json:"rule"`
	Node        string `json:"node"`
	Explanation string `json:"explanation"`
	// Added to the contract's keys: the root finding's grading and evidence.
	Severity string      `json:"severity,omitempty"`
	Stage    string      `json:"stage,omitempty"`
	Evidence []facts.Ref `json:"evidence,omitempty"`
}

// RuleInfo is what the report needs to know of each rule that ran.
type RuleInfo struct {
	ID       string
	Stage    string
	Explains []string
}

// Input is everything Build needs.
type Input struct {
	Facts       *facts.Cluster
	Findings    []findings.Finding
	Rules       []RuleInfo
	Diagnostics []diag.Diagnostic
	Warnings    []string
	Sources     []Source
}

// Build assembles the report: stage statuses, root cause, consequences.
func Build(in Input) *Report {
	c := in.Facts
	r := &Report{
		Schema: Schema,
		Cluster: Cluster{
			DNSServiceIP: c.DNSServiceIP, PodCIDRs: nonNil(c.PodCIDRs), Encapsulation: c.Encapsulation,
			DNSServiceIPSource: c.DNSServiceIPSource, PodCIDRsSource: c.PodCIDRsSource, EncapsulationSource: c.EncapsulationWhy,
		},
		Findings:    findings.Merge(in.Findings),
		Diagnostics: in.Diagnostics,
		Warnings:    in.Warnings,
		Facts:       c,
		Inputs:      append([]Source{}, in.Sources...),
		DataQuality: DataQuality{
			Warnings:    append([]string{}, in.Warnings...),
			Diagnostics: append([]diag.Diagnostic{}, in.Diagnostics...),
		},
	}
	if r.Cluster.Encapsulation == "" {
		r.Cluster.Encapsulation = facts.EncapUnknown
	}
	for _, n := range c.Nodes {
		r.Nodes = append(r.Nodes, Node{Name: n.Name, Bundle: n.Bundle, IPs: nonNil(n.IPs)})
	}
	if r.Nodes == nil {
		r.Nodes = []Node{}
	}
	if r.Findings == nil {
		r.Findings = []findings.Finding{}
	}
	for i := range r.Findings {
		if r.Findings[i].Evidence == nil {
			r.Findings[i].Evidence = []facts.Ref{}
		}
	}
	explains := map[string][]string{}
	for _, ri := range in.Rules {
		explains[ri.ID] = ri.Explains
	}
	r.RootCause = rootCause(r.Findings, explains)
	findings.Sort(r.Findings)
	for _, f := range r.Findings {
		if isRoot(f, r.RootCause) {
			r.RootCause.Severity, r.RootCause.Stage, r.RootCause.Evidence = f.Severity, f.Stage, f.Evidence
			break
		}
	}
	var names []string
	for _, n := range c.Nodes {
		names = append(names, n.Name)
	}
	r.Stages = stages(r.Findings, in.Rules, names)
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rootCause picks the finding that explains the symptom; the explains graph
// alone (findings.LinkCauses) says which findings are its consequences. Among
// the findings nothing explains the earliest runbook stage wins, then the most
// severe, then rule and node order; the rest are other, independent problems.
func rootCause(fs []findings.Finding, explains map[string][]string) *RootCause {
	cands := findings.LinkCauses(fs, explains)
	if len(cands) == 0 {
		return nil
	}
	sort.SliceStable(cands, func(a, b int) bool {
		x, y := fs[cands[a]], fs[cands[b]]
		if sx, sy := findings.StageIndex(x.Stage), findings.StageIndex(y.Stage); sx != sy {
			return sx < sy
		}
		return findings.Compare(x, y) < 0
	})
	root := fs[cands[0]]
	var conseq []string
	for _, f := range fs {
		if f.ConsequenceOf == root.Rule && f.ConsequenceOfNode == root.Node {
			conseq = append(conseq, fmt.Sprintf("%s on %s", f.Rule, orCluster(f.Node)))
		}
	}
	expl := fmt.Sprintf("%s: %s", root.Title, root.Message)
	if root.Node != "" {
		expl = fmt.Sprintf("On %s, %s", root.Node, lowerFirst(expl))
	}
	if len(conseq) > 0 {
		sort.Strings(conseq)
		conseq = dedup(conseq)
		expl += fmt.Sprintf(". It explains %d other finding(s): %s", len(conseq), strings.Join(conseq, ", "))
	}
	if others := len(cands) - 1; others > 0 {
		expl += fmt.Sprintf(". %d other independent problem(s) follow in the report", others)
	}
	return &RootCause{Rule: root.Rule, Node: root.Node, Explanation: expl + "."}
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func orCluster(node string) string {
	if node == "" {
		return "the cluster"
	}
	return node
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// stages says, per runbook stage, whether its checks passed, failed, could not
// be made, did not apply, and which. nodes are the nodes analysed: a rule
// that does not apply on some of them still passed on the others.
func stages(fs []findings.Finding, rules []RuleInfo, nodes []string) []Stage {
	var out []Stage
	for _, st := range findings.Stages() {
		var ids []string
		for _, ri := range rules {
			if ri.Stage == st {
				ids = append(ids, ri.ID)
			}
		}
		sort.Strings(ids)
		failed, warned, insufficient := map[string]bool{}, map[string]bool{}, map[string]bool{}
		naNodes := map[string]map[string]bool{} // rule -> nodes it does not apply on ("" all)
		var notChecked []NotChecked
		var notApplicable []NotApplicable
		for _, f := range fs {
			if f.Stage != st {
				continue
			}
			switch {
			case f.NotApplicable:
				if naNodes[f.Rule] == nil {
					naNodes[f.Rule] = map[string]bool{}
				}
				naNodes[f.Rule][f.Node] = true
				notApplicable = addNotApplicable(notApplicable, f)
			case f.Insufficient || f.Rule == findings.RuleError:
				// A rule that failed to evaluate did not pass either.
				insufficient[ruleOfError(f)] = true
				notChecked = addNotChecked(notChecked, f)
			case f.Severity == findings.SeverityCritical:
				failed[f.Rule] = true
			case f.Severity == findings.SeverityWarning:
				warned[f.Rule] = true
			}
		}
		var passed, unknown, na []string
		for _, id := range ids {
			switch {
			case failed[id] || warned[id]:
			case insufficient[id]:
				unknown = append(unknown, id)
			case appliesNowhere(naNodes[id], nodes):
				na = append(na, id)
			default:
				passed = append(passed, id)
			}
		}
		s := Stage{Stage: st, NotChecked: notChecked, NotApplicable: notApplicable}
		var parts []string
		switch {
		case len(failed) > 0:
			s.Status = StatusFail
		case len(warned) > 0:
			s.Status = StatusWarn
		case len(na) > 0 && len(na) == len(ids):
			s.Status = StatusNotApplicable
		case len(passed) == 0 && len(ids) > 0:
			s.Status = StatusUnknown
		case len(ids) == 0:
			s.Status = StatusUnknown
			parts = append(parts, "no check for this stage")
		default:
			s.Status = StatusPass
		}
		if len(failed) > 0 {
			parts = append(parts, "failed: "+strings.Join(keys(failed), ", "))
		}
		if len(warned) > 0 {
			parts = append(parts, "warnings: "+strings.Join(keys(warned), ", "))
		}
		if len(passed) > 0 {
			parts = append(parts, "passed: "+strings.Join(passed, ", "))
		}
		if len(unknown) > 0 {
			parts = append(parts, "not checked for lack of data: "+strings.Join(unknown, ", "))
		}
		if len(na) > 0 {
			part := "not applicable: " + strings.Join(na, ", ")
			if why := oneReason(notApplicable, na); why != "" {
				part += " (" + why + ")"
			}
			parts = append(parts, part)
		}
		s.Summary = strings.Join(parts, "; ")
		out = append(out, s)
	}
	return out
}

// appliesNowhere says whether a rule's not-applicable findings cover every
// node analysed (or the cluster as a whole).
func appliesNowhere(na map[string]bool, nodes []string) bool {
	if len(na) == 0 {
		return false
	}
	if na[""] {
		return true
	}
	for _, n := range nodes {
		if !na[n] {
			return false
		}
	}
	return true
}

// oneReason is the reason the rules ids do not apply when it is the same for
// all of them, else "".
func oneReason(na []NotApplicable, ids []string) string {
	why := ""
	for _, x := range na {
		if !slices.Contains(ids, x.Rule) {
			continue
		}
		if why != "" && x.Reason != why {
			return ""
		}
		why = x.Reason
	}
	return why
}

func addNotApplicable(na []NotApplicable, f findings.Finding) []NotApplicable {
	reason := strings.TrimPrefix(f.Message, "not applicable: ")
	for i := range na {
		if na[i].Rule == f.Rule && na[i].Reason == reason {
			if !slices.Contains(na[i].Nodes, f.Node) {
				na[i].Nodes = append(na[i].Nodes, f.Node)
			}
			for _, e := range f.Evidence {
				if !slices.ContainsFunc(na[i].Evidence, e.Equal) {
					na[i].Evidence = append(na[i].Evidence, e)
				}
			}
			return na
		}
	}
	return append(na, NotApplicable{Rule: f.Rule, Nodes: []string{f.Node}, Reason: reason, Evidence: append([]facts.Ref{}, f.Evidence...)})
}

func addNotChecked(nc []NotChecked, f findings.Finding) []NotChecked {
	reason := strings.TrimPrefix(f.Message, "insufficient data: ")
	rule := ruleOfError(f)
	for i := range nc {
		if nc[i].Rule == rule && nc[i].Reason == reason {
			if !slices.Contains(nc[i].Nodes, f.Node) {
				nc[i].Nodes = append(nc[i].Nodes, f.Node)
			}
			return nc
		}
	}
	return append(nc, NotChecked{Rule: rule, Nodes: []string{f.Node}, Reason: reason})
}

// ruleOfError names the rule a rule-error finding is about ("rule X failed
// ..."), or rule-error itself.
func ruleOfError(f findings.Finding) string {
	if f.Rule != findings.RuleError {
		return f.Rule
	}
	if rest, ok := strings.CutPrefix(f.Message, "rule "); ok {
		if id, _, ok := strings.Cut(rest, " "); ok {
			return id
		}
	}
	return f.Rule
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
