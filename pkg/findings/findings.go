// Package findings is what the rule engine concludes and what every report
// renders: one Finding per problem a rule saw on a node (or a pair of nodes),
// with the evidence a person can open and the fix the runbook gives.
//
// The JSON form is part of the report contract (podnet-report/v1): the field
// names below must not change. Ordering is part of it too, so that reports and
// CI golden files are stable: Sort is the one order every renderer uses.
package findings

import (
	"cmp"
	"slices"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// Severities, as the report contract spells them.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Stages of the runbook, in the order a support engineer walks them: a failure
// in an earlier stage explains symptoms in the later ones.
const (
	StageServiceNAT     = "service-nat"
	StageRoute          = "route"
	StageTunnelEndpoint = "tunnel-endpoint"
	StageLink           = "link"
	StageKernel         = "kernel"
)

// RuleError is the rule id of the finding the engine emits when a rule fails to
// evaluate; no rule may use it.
const RuleError = "rule-error"

// Stages returns the stages in runbook order (a fresh slice each call, so
// callers may keep or modify it).
func Stages() []string {
	return []string{StageServiceNAT, StageRoute, StageTunnelEndpoint, StageLink, StageKernel}
}

// StageIndex is the position of stage in the runbook order, or len(Stages())
// for an unknown stage so that unknown stages sort last.
func StageIndex(stage string) int {
	switch stage {
	case StageServiceNAT:
		return 0
	case StageRoute:
		return 1
	case StageTunnelEndpoint:
		return 2
	case StageLink:
		return 3
	case StageKernel:
		return 4
	}
	return 5
}

// ValidStage reports whether stage is one of Stages().
func ValidStage(stage string) bool { return StageIndex(stage) < 5 }

// SeverityRank orders severities: critical 3, warning 2, info 1, anything else
// 0. Use it for --fail-on thresholds and for sorting.
func SeverityRank(severity string) int {
	switch severity {
	case SeverityCritical:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// ValidSeverity reports whether severity is critical, warning or info.
func ValidSeverity(severity string) bool { return SeverityRank(severity) > 0 }

// Finding is one problem a rule found.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Stage    string `json:"stage"`
	// Node is where the finding shows; Peer the other node of a cross-node
	// finding.
	Node        string      `json:"node"`
	Peer        string      `json:"peer,omitempty"`
	Title       string      `json:"title"`
	Message     string      `json:"message"`
	Evidence    []facts.Ref `json:"evidence"`
	Remediation string      `json:"remediation"`

	// ConsequenceOf is the rule id of the root cause this finding follows from;
	// the root-cause pass sets it, the engine never does.
	ConsequenceOf string `json:"consequenceOf,omitempty"`
	// ConsequenceOfNode is the node of that root-cause finding ("" for a
	// cluster-wide one): the same rule may fire on several nodes, each instance
	// a problem of its own.
	ConsequenceOfNode string `json:"consequenceOfNode,omitempty"`
	// Same is the rule's `same:` value: findings of one rule with equal Same
	// are one fault seen several times (two captures, both ends of a path) and
	// Merge reports them once. Not part of the report.
	Same string `json:"-"`
	// Insufficient marks an "insufficient data" finding: the rule could not judge
	// because a source it needs was not collected, never a false "healthy".
	Insufficient bool `json:"insufficient,omitempty"`
	// NotApplicable marks a rule that does not apply here (its `notApplicable`
	// key gave the reason, e.g. Calico routes nothing in policy-only mode): not
	// a pass, not a lack of data, and nothing to fix. Message holds the reason,
	// Evidence what shows it.
	NotApplicable bool `json:"notApplicable,omitempty"`
	// RuleFile and RuleLine locate the rule (for a rule-error: the expression
	// that failed), e.g. "rules/route-next-hop-wrong.yaml", 12.
	RuleFile string `json:"ruleFile,omitempty"`
	RuleLine int    `json:"ruleLine,omitempty"`
}

// Compare is the report order: severity (most severe first), stage in runbook
// order, then rule, node, peer and message so that the order is total.
func Compare(a, b Finding) int {
	if c := cmp.Compare(SeverityRank(b.Severity), SeverityRank(a.Severity)); c != 0 {
		return c
	}
	if c := cmp.Compare(StageIndex(a.Stage), StageIndex(b.Stage)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Node, b.Node); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Peer, b.Peer); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Message, b.Message); c != 0 {
		return c
	}
	// Insufficient-data findings after real ones of the same key, and
	// not-applicable ones last.
	if a.Insufficient != b.Insufficient {
		if a.Insufficient {
			return 1
		}
		return -1
	}
	if a.NotApplicable != b.NotApplicable {
		if a.NotApplicable {
			return 1
		}
		return -1
	}
	return 0
}

// Sort puts fs in report order (see Compare). It is stable, so findings that
// compare equal keep the order the engine produced.
func Sort(fs []Finding) { slices.SortStableFunc(fs, Compare) }
