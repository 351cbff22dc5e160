package findings

import (
	"fmt"
	"slices"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// Path is what a finding concerns: a node, an ordered pair of nodes (Peer set),
// or the whole cluster (Node empty).
func path(f Finding) (string, string) { return f.Node, f.Peer }

// SamePath says whether two findings concern the same path, the condition for
// one to be the consequence of the other: a cluster-wide finding concerns every
// path; two pair findings the same two nodes (either direction); a node finding
// and a pair finding share a path when the node is one end of the pair; two
// node findings the same node. Two faults on one node's two paths to different
// peers are not on the same path.
func SamePath(a, b Finding) bool {
	an, ap := path(a)
	bn, bp := path(b)
	switch {
	case an == "" || bn == "":
		return true
	case ap != "" && bp != "":
		return an == bn && ap == bp || an == bp && ap == bn
	case ap == "" && bp == "":
		return an == bn
	case ap == "":
		return an == bn || an == bp
	default:
		return bn == an || bn == ap
	}
}

// Reach is the transitive closure of the rules' explains lists: Reach(g)[a][b]
// when rule a explains rule b directly or through other rules.
func Reach(explains map[string][]string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for a := range explains {
		seen := map[string]bool{}
		stack := slices.Clone(explains[a])
		for len(stack) > 0 {
			b := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[b] {
				continue
			}
			seen[b] = true
			stack = append(stack, explains[b]...)
		}
		out[a] = seen
	}
	return out
}

// Actionable says whether a finding says something is wrong (not a lack of
// data, not a failing rule, not mere information).
func Actionable(f Finding) bool {
	return !f.Insufficient && !f.NotApplicable && f.Rule != RuleError && SeverityRank(f.Severity) >= SeverityRank(SeverityWarning)
}

// LinkCauses marks, among the actionable findings, each one that another
// explains (its rule reaches the other's through the explains graph, and they
// concern the same path) as a consequence of the finding at the top of that
// chain, and returns the indexes of the findings nothing explains: the
// independent problems, in the order of fs. Nothing but the graph makes a
// consequence: a later runbook stage, a shared node or a shared peer do not.
func LinkCauses(fs []Finding, explains map[string][]string) []int {
	reach := Reach(explains)
	var idx []int
	for i := range fs {
		fs[i].ConsequenceOf, fs[i].ConsequenceOfNode = "", ""
		if Actionable(fs[i]) {
			idx = append(idx, i)
		}
	}
	// by[j] are the findings that explain finding j.
	by := map[int][]int{}
	for _, i := range idx {
		for _, j := range idx {
			if i != j && fs[i].Rule != fs[j].Rule && reach[fs[i].Rule][fs[j].Rule] && SamePath(fs[i], fs[j]) {
				by[j] = append(by[j], i)
			}
		}
	}
	// The top of the chain above j: an explainer nothing explains, else (a
	// cycle of explanations) j stands on its own.
	var top func(j int, seen map[int]bool) int
	top = func(j int, seen map[int]bool) int {
		if len(by[j]) == 0 {
			return j
		}
		seen[j] = true
		for _, i := range by[j] {
			if !seen[i] {
				if t := top(i, seen); t >= 0 && len(by[t]) == 0 {
					return t
				}
			}
		}
		return -1
	}
	var roots []int
	for _, j := range idx {
		t := top(j, map[int]bool{})
		if t < 0 || t == j {
			roots = append(roots, j)
			continue
		}
		fs[j].ConsequenceOf, fs[j].ConsequenceOfNode = fs[t].Rule, fs[t].Node
	}
	return roots
}

// Merge reports once the findings that are one fault seen several times: of
// one rule with the same non-empty Same value (the rule's `same:`, e.g. the
// DNS server two captures saw unanswered, or the BGP session seen from both of
// its ends). The first keeps its place; it gains the others' evidence, and its
// message says where else the fault was seen.
func Merge(fs []Finding) []Finding {
	first := map[string]int{}
	also := map[int][]string{}
	out := fs[:0:0]
	for _, f := range fs {
		if f.Same == "" || f.Insufficient || f.NotApplicable {
			out = append(out, f)
			continue
		}
		key := f.Rule + "\x00" + f.Same
		i, ok := first[key]
		if !ok {
			first[key] = len(out)
			out = append(out, f)
			continue
		}
		m := &out[i]
		if len(also[i]) == 0 {
			m.Evidence = slices.Clone(m.Evidence) // never append into the caller's array
		}
		for _, r := range f.Evidence {
			if !slices.ContainsFunc(m.Evidence, r.Equal) {
				m.Evidence = append(m.Evidence, r)
			}
		}
		if SeverityRank(f.Severity) > SeverityRank(m.Severity) {
			m.Severity = f.Severity
		}
		where := f.Node
		if f.Node == m.Node && f.Peer == m.Peer {
			where = "another capture"
			if len(f.Evidence) > 0 {
				where = evidenceFile(f.Evidence[0])
			}
		}
		if f.Message != m.Message {
			where += ": " + f.Message
		}
		also[i] = append(also[i], where)
	}
	for i, w := range also {
		out[i].Message += fmt.Sprintf(" (also seen from %s)", strings.Join(w, "; "))
	}
	return out
}

func evidenceFile(r facts.Ref) string {
	if r.Node() != "" {
		return r.Node() + ":" + r.File()
	}
	return r.File()
}
