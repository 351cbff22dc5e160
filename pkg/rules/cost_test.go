package rules

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/cel-go/cel"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
	rulepack "github.com/podnetdiag/podnetdiag/rules"
)

// nodeRule is a node-scope rule file of one match expression.
func nodeRule(id, match string, extra ...string) []byte {
	return []byte("id: " + id + "\ntitle: T\nstage: link\nseverity: info\nscope: node\nremediation: r\nmessage: \"'m'\"\nmatch: " +
		strconvQuote(match) + "\n" + strings.Join(extra, ""))
}

// TestStaticallyBoundedExpressionsRunUntracked: an expression whose
// worst-case cost cel-go bounds at compile time runs without runtime cost
// tracking, and the bound holds: evaluated with tracking on every node of
// the test cluster, it never costs more than its estimate. Anything iterating
// over the facts' lists or reading a fact string's whole length stays
// tracked.
func TestStaticallyBoundedExpressionsRunUntracked(t *testing.T) {
	tests := []struct {
		match   string
		tracked bool
	}{
		{"node.kubeProxyMode == 'ipvs'", false},
		{"node.encapsulation != 'ipip' && size(node.routes) > 2 || !has(node.sysctl)", false},
		{"size(node.ips) == 1 && node.ips[0] == '10.0.0.11'", false},
		{"'a,b'.split(',').size() == 2", false},
		{"node.name == peerName(node)", true}, // two strings of unknown size
		{"node.routes.exists(r, r.dst == '0.0.0.0/0')", true},
		{"node.links.all(l, l.mtu > 1000)", true},
		{"node.name.contains('a')", true},
		{"node.name.matches('^node-[a-z]$')", true},
	}
	for _, tc := range tests {
		t.Run(tc.match, func(t *testing.T) {
			e := newEngine(t, Options{})
			match := strings.ReplaceAll(tc.match, "peerName(node)", "node.kubeProxyMode")
			if errs := e.LoadFS(fstest.MapFS{"x.yaml": {Data: nodeRule("x", match)}}, "rules"); errs != nil {
				t.Fatal(errs)
			}
			x := e.Rules()[0].match
			if x.tracked != tc.tracked {
				t.Errorf("tracked %v, want %v (static max %d)", x.tracked, tc.tracked, x.staticMax)
			}
			if x.tracked {
				return
			}
			prg, err := e.nodeEnv.Program(x.ast, cel.CostTracking(nil))
			if err != nil {
				t.Fatal(err)
			}
			c := testCluster()
			for i := range c.Nodes {
				_, det, err := prg.Eval(map[string]any{"cluster": c, "node": &c.Nodes[i]})
				if err != nil {
					t.Fatal(err)
				}
				if got := *det.ActualCost(); got > x.staticMax {
					t.Errorf("%s: actual cost %d over the static bound %d", c.Nodes[i].Name, got, x.staticMax)
				}
			}
		})
	}
	// The pack: some expressions run untracked, or this is for nothing.
	e := newEngine(t, Options{})
	if errs := e.LoadFS(rulepack.FS, "rules"); errs != nil {
		t.Fatal(errs)
	}
	var all, untracked int
	for _, r := range e.Rules() {
		for _, x := range append([]*expr{r.match, r.message, r.foreach, r.insufficient, r.severityExpr, r.peer, r.evidence, r.same, r.whenEmpty}, r.vars...) {
			if x != nil {
				all++
				if !x.tracked {
					untracked++
				}
			}
		}
	}
	t.Logf("rule pack: %d of %d expressions run without cost tracking", untracked, all)
	if untracked == 0 {
		t.Error("no expression of the pack runs untracked")
	}
}

var spentRE = regexp.MustCompile(`CEL cost budget of (\d+) per rule and node used up \((\d+) spent\)`)

// TestMemoryBoundedOnHostileRules (issue 11, memory bounded by design; issue
// 12, the CEL cost checked per rule): rule files built to run unbounded stop
// with a clear error, the hostile rule is "not checked" where it stopped, and
// the other rules still judge. A foreach whose every item stays under the
// per-evaluation limit is stopped by the budget per rule and node, at most
// one evaluation past it; a pair rule's budget is shared by the node's peers.
func TestMemoryBoundedOnHostileRules(t *testing.T) {
	bigNode := func(name string, routes int) facts.Node {
		n := facts.Node{Name: name, Has: map[string]bool{"routes": true}}
		for i := range routes {
			n.Routes = append(n.Routes, facts.Route{Dst: fmt.Sprintf("10.%d.%d.0/24", i/256, i%256), Via: "10.0.0.1", Dev: "eth0"})
		}
		return n
	}
	var tenK strings.Builder
	tenK.WriteString("variables:\n")
	for i := range 10000 {
		fmt.Fprintf(&tenK, "  - name: v%d\n    expr: node.routes.size() + %d\n", i, i)
	}
	var doubling strings.Builder
	doubling.WriteString("variables:\n  - name: s0\n    expr: \"'xxxxxxxxxxxxxxxx'\"\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&doubling, "  - name: s%d\n    expr: variables.s%d + variables.s%d\n", i, i-1, i-1)
	}
	tests := []struct {
		name     string
		opts     Options
		rule     []byte
		scope    string
		nodes    int
		routes   int
		loadErr  string // the rule file is refused at load
		evalErr  string // each rule error finding says
		errors   int    // rule error findings
		maxSpent uint64 // the budget's, when it is what stopped the rule
	}{
		{name: "10k variables", rule: nodeRule("hostile", "variables.v9999 > 0", tenK.String()), nodes: 1, loadErr: "10000 variables; a rule may have at most 64"},
		{name: "foreach over a huge list, each item under the limit", rule: nodeRule("hostile", "node.routes.exists(r, r.dst == item.via)", "foreach: node.routes\n"),
			nodes: 2, routes: 20000, evalErr: "CEL cost budget of 10000000 per rule and node used up", errors: 2, maxSpent: DefaultRuleCostBudget + DefaultCostLimit},
		{name: "deep foreach", rule: nodeRule("hostile", "size(item) > 0", "foreach: node.routes.map(r, node.routes.map(s, s.dst + r.dst))\n"),
			nodes: 1, routes: 20000, evalErr: "foreach: operation cancelled: actual cost limit exceeded", errors: 1},
		{name: "string blowup", rule: nodeRule("hostile", "size(variables.s39) > 0", doubling.String()),
			nodes: 1, evalErr: "operation cancelled: actual cost limit exceeded", errors: 1},
		{name: "pair rule: one budget per node across its peers", opts: Options{RuleCostBudget: 100_000},
			rule:  []byte(strings.Replace(string(nodeRule("hostile", "node.routes.exists(r, r.dst == peer.name)")), "scope: node", "scope: pair", 1)),
			nodes: 20, routes: 3000, evalErr: "CEL cost budget of 100000 per rule and node used up", errors: 20, maxSpent: 100_000 + DefaultCostLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, tc.opts)
			errs := e.LoadFS(fstest.MapFS{"hostile.yaml": {Data: tc.rule}, "cheap.yaml": {Data: nodeRule("cheap", "true")}}, "rules")
			if tc.loadErr != "" {
				if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), tc.loadErr) || len(e.Rules()) != 0 {
					t.Fatalf("load errors %v, want %q", errs, tc.loadErr)
				}
				return
			}
			if errs != nil {
				t.Fatal(errs)
			}
			c := &facts.Cluster{}
			for i := range tc.nodes {
				c.Nodes = append(c.Nodes, bigNode(fmt.Sprintf("n%02d", i), tc.routes))
			}
			fs := e.Eval(c)
			var ruleErrs, cheap int
			for _, f := range fs {
				switch f.Rule {
				case findings.RuleError:
					ruleErrs++
					if !strings.Contains(f.Message, "rule hostile failed on n") || !strings.Contains(f.Message, tc.evalErr) {
						t.Errorf("rule error %q, want %q", f.Message, tc.evalErr)
					}
					if m := spentRE.FindStringSubmatch(f.Message); m != nil {
						if spent, _ := strconv.ParseUint(m[2], 10, 64); spent > tc.maxSpent {
							t.Errorf("spent %d, more than %d", spent, tc.maxSpent)
						}
					} else if tc.maxSpent > 0 {
						t.Errorf("no amount spent in %q", f.Message)
					}
				case "cheap":
					cheap++
				}
			}
			if ruleErrs != tc.errors || cheap != tc.nodes {
				t.Errorf("%d rule errors (want %d), %d findings of the cheap rule (want %d): %v", ruleErrs, tc.errors, cheap, tc.nodes, keys(fs)[:min(len(fs), 8)])
			}
		})
	}
}

// errAfter is a context whose Err turns non-nil at its n-th call: a
// cancellation at a known point, without timing.
type errAfter struct {
	context.Context
	n, calls int
}

func (c *errAfter) Done() <-chan struct{} { return make(chan struct{}) }
func (c *errAfter) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// TestCancellationStopsATrackedEvaluation: a tracked evaluation checks the
// context as it counts its cost (cel-go's own interrupt checks do not reach
// the comprehensions it wraps), so a long one stops when the run is
// cancelled, as a rule error.
func TestCancellationStopsATrackedEvaluation(t *testing.T) {
	e := newEngine(t, Options{CostLimit: 1 << 40, RuleCostBudget: 1 << 40})
	if errs := e.LoadFS(fstest.MapFS{"long.yaml": {Data: nodeRule("long", "node.routes.all(r, node.routes.exists(s, s.dst == r.dst))")}}, "rules"); errs != nil {
		t.Fatal(errs)
	}
	n := facts.Node{Name: "big"}
	for i := range 5000 {
		n.Routes = append(n.Routes, facts.Route{Dst: fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)})
	}
	ctx := &errAfter{Context: context.Background(), n: 5}
	fs := e.EvalContext(ctx, &facts.Cluster{Nodes: []facts.Node{n}})
	if len(fs) != 1 || fs[0].Rule != findings.RuleError || !strings.Contains(fs[0].Message, "operation interrupted") {
		t.Fatalf("got %v", fs)
	}
	if ctx.calls > 10 {
		t.Errorf("the context was checked %d times: the evaluation ran on", ctx.calls)
	}
}
