package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// Group is one problem as a reader should see it: the findings of one rule
// with one message (one cause) on every node where it shows, once, with the
// list of nodes ("on 48 of 50 nodes"). It is how every format lists findings;
// the JSON carries both the groups and the contract's flat list.
type Group struct {
	Rule          string   `json:"rule"`
	Severity      string   `json:"severity"`
	Stage         string   `json:"stage"`
	Title         string   `json:"title"`
	Message       string   `json:"message"`
	Nodes         []string `json:"nodes"` // "" stands for the cluster as a whole
	Of            int      `json:"of"`    // nodes analysed
	Peer          string   `json:"peer,omitempty"`
	ConsequenceOf string   `json:"consequenceOf,omitempty"`
	// ConsequenceOfNode is the node of the finding it follows from.
	ConsequenceOfNode string      `json:"consequenceOfNode,omitempty"`
	Insufficient      bool        `json:"insufficient,omitempty"`
	NotApplicable     bool        `json:"notApplicable,omitempty"`
	Evidence          []facts.Ref `json:"evidence"`
	Remediation       string      `json:"remediation"`
	// RootCause marks the group that holds the root-cause finding.
	RootCause bool `json:"rootCause,omitempty"`
}

// Where says on which nodes the group shows, for a sentence.
func (g Group) Where() string {
	if len(g.Nodes) == 1 {
		return orCluster(g.Nodes[0])
	}
	if g.Of > 0 && len(g.Nodes) == g.Of {
		return fmt.Sprintf("all %d nodes: %s", g.Of, strings.Join(g.Nodes, ", "))
	}
	if g.Of > 0 {
		return fmt.Sprintf("%d of %d nodes: %s", len(g.Nodes), g.Of, strings.Join(g.Nodes, ", "))
	}
	return strings.Join(g.Nodes, ", ")
}

// Groups folds fs (in report order) into groups, keeping the order of each
// group's first finding. of is the number of nodes analysed.
func Groups(fs []findings.Finding, of int, root *RootCause) []Group {
	type key struct {
		rule, sev, stage, msg, peer, conseq, conseqNode string
		insufficient, notApplicable                     bool
	}
	index := map[key]int{}
	var out []Group
	for _, f := range fs {
		k := key{f.Rule, f.Severity, f.Stage, f.Message, f.Peer, f.ConsequenceOf, f.ConsequenceOfNode, f.Insufficient, f.NotApplicable}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Group{
				Rule: f.Rule, Severity: f.Severity, Stage: f.Stage, Title: f.Title, Message: f.Message,
				Of: of, Peer: f.Peer, ConsequenceOf: f.ConsequenceOf, ConsequenceOfNode: f.ConsequenceOfNode, Insufficient: f.Insufficient,
				NotApplicable: f.NotApplicable, Evidence: []facts.Ref{}, Remediation: f.Remediation,
			})
		}
		g := &out[i]
		if !slices.Contains(g.Nodes, f.Node) {
			g.Nodes = append(g.Nodes, f.Node)
		}
		for _, e := range f.Evidence {
			if !slices.ContainsFunc(g.Evidence, e.Equal) {
				g.Evidence = append(g.Evidence, e)
			}
		}
		if isRoot(f, root) {
			g.RootCause = true
		}
	}
	return out
}

// isRoot says whether f is the root-cause finding.
func isRoot(f findings.Finding, root *RootCause) bool {
	return root != nil && f.Rule == root.Rule && f.Node == root.Node && f.ConsequenceOf == "" && findings.Actionable(f)
}

// Filter narrows what a report lists, for a reader who asked for one node,
// some rules or a minimum severity. The root cause, the stages and the data
// quality stay: they are the verdict on the whole input.
type Filter struct {
	Nodes       []string
	Rules       []string
	MinSeverity string
}

func (f Filter) empty() bool {
	return len(f.Nodes) == 0 && len(f.Rules) == 0 && f.MinSeverity == ""
}

// Apply returns a copy of r listing only the findings f lets through.
func (f Filter) Apply(r *Report) *Report {
	if f.empty() {
		return r
	}
	out := *r
	out.Findings = []findings.Finding{}
	min := findings.SeverityRank(f.MinSeverity)
	for _, x := range r.Findings {
		if len(f.Nodes) > 0 && !slices.Contains(f.Nodes, x.Node) && (x.Peer == "" || !slices.Contains(f.Nodes, x.Peer)) {
			continue
		}
		if len(f.Rules) > 0 && !slices.Contains(f.Rules, x.Rule) {
			continue
		}
		if findings.SeverityRank(x.Severity) < min {
			continue
		}
		out.Findings = append(out.Findings, x)
	}
	ff := f
	out.Filter = &ff
	return &out
}
