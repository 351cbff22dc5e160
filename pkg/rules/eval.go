package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// evalState is one Eval call: the cluster and its nodes adapted to CEL once.
type evalState struct {
	ctx     context.Context
	c       *facts.Cluster
	cluster ref.Val
	nodes   []ref.Val
	// costBudget is Options.RuleCostBudget, costLimit Options.CostLimit.
	costBudget, costLimit uint64
	// all is every node index, in order; byName maps a node name to its
	// indexes (names are unique but for bundles given twice). Both are
	// built on first use by a pair rule.
	all    []int
	byName map[string][]int
}

// allPeers is every node index: a pair rule without pairs binds them all.
func (st *evalState) allPeers() []int {
	if st.all == nil {
		st.all = make([]int, len(st.c.Nodes))
		for i := range st.all {
			st.all[i] = i
		}
	}
	return st.all
}

// namedPeers evaluates a pair rule's pairs on node i: the indexes of the
// peers it names, sorted and without duplicates, so that the pairs are
// bound in the order of the loop over every pair; names no node has are
// ignored. A failure is a rule-error finding for node i.
func (st *evalState) namedPeers(r *Rule, i int, bud *budget) (peers []int, errf *findings.Finding) {
	b := binding{node: st.nodes[i], nodeName: st.c.Nodes[i].Name}
	defer func() {
		if p := recover(); p != nil {
			f := st.ruleError(r, b, r.pairs, fmt.Errorf("panic: %v", p))
			peers, errf = nil, &f
		}
	}()
	if st.byName == nil {
		st.byName = make(map[string][]int, len(st.c.Nodes))
		for j := range st.c.Nodes {
			st.byName[st.c.Nodes[j].Name] = append(st.byName[st.c.Nodes[j].Name], j)
		}
	}
	a := &activation{st: st, r: r, b: b, bud: bud}
	v, fail := a.eval(r.pairs)
	if fail != nil {
		f := st.ruleError(r, b, fail.x, fail.err)
		return nil, &f
	}
	list, isList := v.(traits.Lister)
	if !isList {
		f := st.ruleError(r, b, r.pairs, fmt.Errorf("evaluated to %s, not a list", v.Type().TypeName()))
		return nil, &f
	}
	it := list.Iterator()
	for it.HasNext() == types.True {
		el := it.Next()
		name, isStr := el.(types.String)
		if !isStr {
			f := st.ruleError(r, b, r.pairs, fmt.Errorf("element is %s, want string (a node name)", el.Type().TypeName()))
			return nil, &f
		}
		peers = append(peers, st.byName[string(name)]...)
	}
	slices.Sort(peers)
	return slices.Compact(peers), nil
}

// hasOther reports whether peers holds a node other than i.
func hasOther(peers []int, i int) bool {
	for _, j := range peers {
		if j != i {
			return true
		}
	}
	return false
}

// noPairsFinding evaluates r's whenNoPairs on node i, which pairs paired with
// no other node: a non-empty reason is one "not checked" finding for the
// node (no peer), as whenEmpty gives for an empty foreach. A failure is a
// rule-error finding.
func (st *evalState) noPairsFinding(r *Rule, i int, bud *budget) (f findings.Finding, ok bool) {
	b := binding{node: st.nodes[i], nodeName: st.c.Nodes[i].Name}
	defer func() {
		if p := recover(); p != nil {
			f, ok = st.ruleError(r, b, r.whenNoPairs, fmt.Errorf("panic: %v", p)), true
		}
	}()
	a := &activation{st: st, r: r, b: b, bud: bud}
	why, fail := a.evalString(r.whenNoPairs)
	if fail != nil {
		return st.ruleError(r, b, fail.x, fail.err), true
	}
	if why == "" {
		return f, false
	}
	return findings.Finding{
		Rule: r.ID, Severity: findings.SeverityInfo, Stage: r.Stage,
		Node: b.nodeName, Title: r.Title,
		Message:      "insufficient data: " + why,
		Evidence:     []facts.Ref{},
		Remediation:  "Collect the missing data so that this check can run.",
		Insufficient: true,
		RuleFile:     r.File, RuleLine: r.Line,
	}, true
}

// binding is what a rule is evaluated for: nothing (cluster scope), a node, or
// an ordered pair of nodes.
type binding struct {
	node, peer         ref.Val
	nodeName, peerName string
}

// failure is an expression that failed at run time.
type failure struct {
	x   *expr
	err error
}

func (st *evalState) evalRule(r *Rule, out []findings.Finding) []findings.Finding {
	c := st.c
	switch r.Scope {
	case ScopeNode:
		for i := range c.Nodes {
			n := &c.Nodes[i]
			b := binding{node: st.nodes[i], nodeName: n.Name}
			if f, na := st.notApplicableFinding(r, b); na {
				out = append(out, f)
				continue
			}
			if miss := missingNeeds(r, n); len(miss) > 0 {
				out = append(out, insufficientNeeds(r, n.Name, miss))
				continue
			}
			out = st.evalBinding(r, b, st.newBudget(), out)
		}
	case ScopePair:
		ok := make([]bool, len(c.Nodes))
		for i := range c.Nodes {
			n := &c.Nodes[i]
			// One not-applicable or insufficient-data finding per node, not
			// one per pair it is part of.
			if f, na := st.notApplicableFinding(r, binding{node: st.nodes[i], nodeName: n.Name}); na {
				out = append(out, f)
				continue
			}
			if miss := missingNeeds(r, n); len(miss) > 0 {
				out = append(out, insufficientNeeds(r, n.Name, miss))
				continue
			}
			ok[i] = true
		}
		for i := range c.Nodes {
			if !ok[i] {
				continue
			}
			// One budget per node, shared by its peers: a pair rule
			// costs at most the budget per node, not per pair.
			bud := st.newBudget()
			peers := st.allPeers()
			if r.pairs != nil {
				var f *findings.Finding
				peers, f = st.namedPeers(r, i, bud)
				if f != nil {
					out = append(out, *f)
					continue
				}
				if r.whenNoPairs != nil && !hasOther(peers, i) {
					if f, ok := st.noPairsFinding(r, i, bud); ok {
						out = append(out, f)
					}
					continue
				}
			}
			for k, j := range peers {
				if i == j || !ok[j] {
					continue
				}
				out = st.evalBinding(r, binding{
					node: st.nodes[i], nodeName: c.Nodes[i].Name,
					peer: st.nodes[j], peerName: c.Nodes[j].Name,
				}, bud, out)
				if bud.over() && k < len(peers)-1 {
					// The node's other pairs are not checked: said
					// once, unless the pair that used it up said so.
					if !bud.reported {
						out = append(out, st.ruleError(r, binding{node: st.nodes[i], nodeName: c.Nodes[i].Name}, nil, bud.err()))
					}
					break
				}
			}
		}
	default: // ScopeCluster
		if f, na := st.notApplicableFinding(r, binding{}); na {
			return append(out, f)
		}
		// A cluster rule can judge when some node has each source it needs.
		var miss []string
		for _, need := range r.Needs {
			found := false
			for i := range c.Nodes {
				if c.Nodes[i].Has[need] {
					found = true
					break
				}
			}
			if !found {
				miss = append(miss, need)
			}
		}
		if len(miss) > 0 {
			return append(out, insufficientNeeds(r, "", miss))
		}
		out = st.evalBinding(r, binding{}, st.newBudget(), out)
	}
	return out
}

// budget is the CEL cost a rule may still spend on one node.
type budget struct {
	limit, spent uint64
	reported     bool // an evaluation failed for it: a rule error says so
}

func (b *budget) err() error {
	b.reported = true
	return &errBudget{b.limit, b.spent}
}

func (st *evalState) newBudget() *budget { return &budget{limit: st.costBudget} }

func (b *budget) over() bool { return b != nil && b.spent >= b.limit }

// errBudget is the failure of an evaluation the budget did not allow.
type errBudget struct{ limit, spent uint64 }

func (e *errBudget) Error() string {
	return fmt.Sprintf("CEL cost budget of %d per rule and node used up (%d spent): not checked further on this node", e.limit, e.spent)
}

func missingNeeds(r *Rule, n *facts.Node) []string {
	var miss []string
	for _, need := range r.Needs {
		if !n.Has[need] {
			miss = append(miss, need)
		}
	}
	return miss
}

func insufficientNeeds(r *Rule, node string, miss []string) findings.Finding {
	where := "this node's bundle"
	if node == "" {
		where = "any bundle"
	}
	return findings.Finding{
		Rule: r.ID, Severity: findings.SeverityInfo, Stage: r.Stage, Node: node,
		Title:        r.Title,
		Message:      fmt.Sprintf("insufficient data: needs %s, not in %s", strings.Join(miss, ", "), where),
		Evidence:     []facts.Ref{},
		Remediation:  "Collect the bundle again with the missing sources (" + strings.Join(miss, ", ") + ") so that this check can run.",
		Insufficient: true,
		RuleFile:     r.File, RuleLine: r.Line,
	}
}

// evalBinding evaluates a rule for one binding, once per foreach item. A
// failure (or a panic) ends this binding with a rule-error finding; findings of
// earlier items are kept.
func (st *evalState) evalBinding(r *Rule, b binding, bud *budget, out []findings.Finding) (res []findings.Finding) {
	defer func() {
		if p := recover(); p != nil {
			res = append(out, st.ruleError(r, b, nil, fmt.Errorf("panic: %v", p)))
		}
	}()
	a := &activation{st: st, r: r, b: b, bud: bud}
	if len(r.vars) > 0 {
		a.vals = make([]ref.Val, len(r.vars))
		a.state = make([]uint8, len(r.vars))
	}
	if r.foreach == nil {
		f, ok, fail := a.evalItem()
		if fail != nil {
			return append(out, st.ruleError(r, b, fail.x, fail.err))
		}
		if ok {
			out = append(out, f)
		}
		return out
	}
	v, fail := a.eval(r.foreach)
	if fail != nil {
		return append(out, st.ruleError(r, b, fail.x, fail.err))
	}
	list, isList := v.(traits.Lister)
	if !isList {
		return append(out, st.ruleError(r, b, r.foreach, fmt.Errorf("evaluated to %s, not a list", v.Type().TypeName())))
	}
	if list.Size() == types.IntZero && r.whenEmpty != nil {
		// Nothing to iterate is a verdict only when the data the list comes
		// from is there: "no CoreDNS pod known" is not "every route fine".
		why, fail := a.evalString(r.whenEmpty)
		if fail != nil {
			return append(out, st.ruleError(r, b, fail.x, fail.err))
		}
		if why != "" {
			return append(out, findings.Finding{
				Rule: r.ID, Severity: findings.SeverityInfo, Stage: r.Stage,
				Node: b.nodeName, Peer: b.peerName, Title: r.Title,
				Message:      "insufficient data: " + why,
				Evidence:     []facts.Ref{},
				Remediation:  "Collect the missing data so that this check can run.",
				Insufficient: true,
				RuleFile:     r.File, RuleLine: r.Line,
			})
		}
		return out
	}
	it := list.Iterator()
	for it.HasNext() == types.True {
		a.setItem(it.Next())
		f, ok, fail := a.evalItem()
		if fail != nil {
			return append(out, st.ruleError(r, b, fail.x, fail.err))
		}
		if ok {
			out = append(out, f)
		}
	}
	return out
}

// evalItem evaluates insufficient, match and, on a match, the finding's parts.
func (a *activation) evalItem() (findings.Finding, bool, *failure) {
	r := a.r
	f := findings.Finding{
		Rule: r.ID, Severity: r.Severity, Stage: r.Stage,
		Node: a.b.nodeName, Peer: a.b.peerName,
		Title: r.Title, Remediation: r.Remediation,
		Evidence: []facts.Ref{},
		RuleFile: r.File, RuleLine: r.Line,
	}
	if r.insufficient != nil {
		v, fail := a.eval(r.insufficient)
		if fail != nil {
			return f, false, fail
		}
		why := ""
		switch v := v.(type) {
		case types.Bool:
			if v {
				why = "cannot judge (" + strings.Join(strings.Fields(r.insufficient.node.Value), " ") + ")"
			}
		case types.String:
			why = string(v)
		default:
			return f, false, &failure{r.insufficient, fmt.Errorf("evaluated to %s, want bool or string", v.Type().TypeName())}
		}
		if why != "" {
			if fail := a.setPeer(&f); fail != nil {
				return f, false, fail
			}
			f.Severity = findings.SeverityInfo
			f.Insufficient = true
			f.Message = "insufficient data: " + why
			f.Remediation = "Collect the missing data so that this check can run."
			return f, true, nil
		}
	}
	v, fail := a.eval(r.match)
	if fail != nil {
		return f, false, fail
	}
	matched, isBool := v.(types.Bool)
	if !isBool {
		return f, false, &failure{r.match, fmt.Errorf("evaluated to %s, want bool", v.Type().TypeName())}
	}
	if !matched {
		return f, false, nil
	}
	if r.severityExpr != nil {
		s, fail := a.evalString(r.severityExpr)
		if fail != nil {
			return f, false, fail
		}
		if !findings.ValidSeverity(s) {
			return f, false, &failure{r.severityExpr, fmt.Errorf("evaluated to %q, want critical, warning or info", s)}
		}
		f.Severity = s
	}
	msg, fail := a.evalString(r.message)
	if fail != nil {
		return f, false, fail
	}
	f.Message = msg
	if r.evidence != nil {
		ev, fail := a.eval(r.evidence)
		if fail != nil {
			return f, false, fail
		}
		refs, err := toRefs(ev, f.Node)
		if err != nil {
			return f, false, &failure{r.evidence, err}
		}
		f.Evidence = refs
	}
	if fail := a.setPeer(&f); fail != nil {
		return f, false, fail
	}
	if r.remediation != nil {
		rem, fail := a.render(r.remediation)
		if fail != nil {
			return f, false, fail
		}
		f.Remediation = rem
	}
	if r.same != nil {
		same, fail := a.evalString(r.same)
		if fail != nil {
			return f, false, fail
		}
		f.Same = same
	}
	return f, true, nil
}

func (a *activation) setPeer(f *findings.Finding) *failure {
	if a.r.peer == nil {
		return nil
	}
	p, fail := a.evalString(a.r.peer)
	if fail != nil {
		return fail
	}
	f.Peer = p
	return nil
}

// toRefs converts an evidence list; refs without a file are dropped (a route
// that was not found has no evidence) and refs without a node are on the
// finding's node.
func toRefs(v ref.Val, node string) ([]facts.Ref, error) {
	list, ok := v.(traits.Lister)
	if !ok {
		return nil, fmt.Errorf("evaluated to %s, want a list of facts.Ref", v.Type().TypeName())
	}
	refs := []facts.Ref{}
	it := list.Iterator()
	for it.HasNext() == types.True {
		el := it.Next()
		var r facts.Ref
		switch x := el.Value().(type) {
		case facts.Ref:
			r = x
		case *facts.Ref:
			if x != nil {
				r = *x
			}
		default:
			return nil, fmt.Errorf("evidence element is %s, want facts.Ref", el.Type().TypeName())
		}
		if r.File() == "" {
			continue
		}
		if r.Node() == "" {
			r = r.WithNode(node)
		}
		refs = append(refs, r)
	}
	return refs, nil
}

func (a *activation) evalString(x *expr) (string, *failure) {
	v, fail := a.eval(x)
	if fail != nil {
		return "", fail
	}
	s, ok := v.(types.String)
	if !ok {
		return "", &failure{x, fmt.Errorf("evaluated to %s, want string", v.Type().TypeName())}
	}
	return string(s), nil
}

// eval runs one expression. When it fails because a variable it reads failed,
// the failure names the variable's expression, where the fix is.
func (a *activation) eval(x *expr) (ref.Val, *failure) {
	v, err := a.run(x)
	if err != nil {
		if a.varFail != nil && a.varFail.err.Error() == err.Error() {
			return nil, a.varFail
		}
		return nil, &failure{x, err}
	}
	return v, nil
}

// run evaluates x; ContextEval only when the context can be cancelled, as
// setting up the interrupt check costs a tenth of a typical evaluation. Its
// cost is charged to the budget: what a tracked program counted (cost.go),
// or an untracked one's static worst case. A tracked program's limit is
// Options.CostLimit or what is left of the budget, whichever is less; a
// variable evaluated inside another expression may go past the budget by
// what that expression had spent so far.
func (a *activation) run(x *expr) (ref.Val, error) {
	if a.bud.over() {
		return nil, a.bud.err()
	}
	var units, limit uint64
	var isBudget bool
	if x.tracked {
		units, limit, isBudget = a.units, a.limit, a.limitIsBudget
		a.units, a.limit, a.limitIsBudget = 0, a.st.costLimit, false
		if a.bud != nil && a.bud.limit-a.bud.spent < a.limit {
			a.limit, a.limitIsBudget = a.bud.limit-a.bud.spent, true
		}
	}
	var v ref.Val
	var err error
	if a.st.ctx.Done() == nil {
		v, _, err = x.prg.Eval(a)
	} else {
		v, _, err = x.prg.ContextEval(a.st.ctx, a)
	}
	cost := x.staticMax
	if x.tracked {
		cost = a.units
		a.units, a.limit, a.limitIsBudget = units, limit, isBudget
	}
	if a.bud != nil {
		a.bud.spent += cost
	}
	return v, err
}

// ruleError is the finding for a rule that failed: which rule, where in its
// file, on which node, and the CEL error.
func (st *evalState) ruleError(r *Rule, b binding, x *expr, err error) findings.Finding {
	line, col := r.Line, 0
	key := ""
	if x != nil {
		key = x.key + ": "
		line, col = x.pos(1, 0)
		var te *types.Err
		if errors.As(err, &te) && te.NodeID() != 0 && x.ast != nil {
			loc := x.ast.NativeRep().SourceInfo().GetStartLocation(te.NodeID())
			if loc.Line() >= 1 {
				line, col = x.pos(loc.Line(), loc.Column())
			}
		}
	}
	where := fmt.Sprintf("%s:%d", r.File, line)
	if col > 0 {
		where += fmt.Sprintf(":%d", col)
	}
	on := ""
	switch {
	case b.peerName != "":
		on = fmt.Sprintf(" on %s (peer %s)", b.nodeName, b.peerName)
	case b.nodeName != "":
		on = " on " + b.nodeName
	}
	return findings.Finding{
		Rule: findings.RuleError, Severity: findings.SeverityWarning, Stage: r.Stage,
		Node: b.nodeName, Peer: b.peerName,
		Title:       "A rule could not be evaluated",
		Message:     fmt.Sprintf("rule %s failed%s at %s: %s%v", r.ID, on, where, key, err),
		Evidence:    []facts.Ref{},
		Remediation: "The check " + r.ID + " did not run here, so its absence from the report proves nothing. Fix the rule, or report the bundle if the facts have an unexpected shape.",
		RuleFile:    r.File, RuleLine: line,
	}
}

// activation resolves the names a rule's expressions use. Variables are
// evaluated lazily, on first use, once per item: a variable that only makes
// sense when the match's first condition holds is never evaluated otherwise.
type activation struct {
	st  *evalState
	r   *Rule
	b   binding
	bud *budget // nil: not counted (notApplicable, one evaluation per node)
	// units counts the cost of the tracked evaluation running, limit is
	// its limit; limitIsBudget when the limit is the budget's rest.
	units, limit  uint64
	limitIsBudget bool
	item          ref.Val
	hasItem       bool
	vals          []ref.Val
	state         []uint8 // 0 not evaluated, 1 evaluating, 2 done
	varFail       *failure
}

var _ interpreter.Activation = (*activation)(nil)

func (a *activation) setItem(v ref.Val) {
	a.item, a.hasItem = v, true
	clear(a.state)
	clear(a.vals)
	a.varFail = nil
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "cluster":
		return a.st.cluster, true
	case "node":
		return a.b.node, a.b.node != nil
	case "peer":
		return a.b.peer, a.b.peer != nil
	case "item":
		return a.item, a.hasItem
	}
	i, ok := a.r.varIndex[name]
	if !ok {
		return nil, false
	}
	switch a.state[i] {
	case 2:
		return a.vals[i], true
	case 1:
		// Cannot happen: a variable only sees the ones before it.
		return types.NewErr("%s refers to itself", name), true
	}
	a.state[i] = 1
	x := a.r.vars[i]
	v, err := a.run(x)
	if err != nil {
		if a.varFail == nil {
			a.varFail = &failure{x, err}
		}
		var te *types.Err
		if errors.As(err, &te) {
			v = te
		} else {
			v = types.WrapErr(err)
		}
	}
	a.vals[i], a.state[i] = v, 2
	return v, true
}

func (a *activation) Parent() interpreter.Activation { return nil }
