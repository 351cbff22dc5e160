package rules

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"

	"github.com/podnetdiag/podnetdiag/pkg/celext"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// Defaults of Options.
const (
	// DefaultCostLimit bounds one evaluation of one expression. Evaluating a
	// typical rule on one node costs well under 1e4; the limit only stops
	// runaway comprehensions (a loop over every route of every node of every
	// node).
	DefaultCostLimit uint64 = 1_000_000
	// DefaultRuleCostBudget bounds the CEL cost of one rule on one node: of
	// all its expressions, variables and foreach items there (for a pair
	// rule, over all the node's peers; for a cluster rule, its one
	// evaluation). The costliest rules of the pack spend about 1,100 per
	// node of a 100-node cluster and 5,500 of a 500-node one (pair rules
	// grow with the number of peers): the budget leaves them room for
	// clusters far beyond Kubernetes' 5,000 nodes, and stops a foreach over
	// a huge list whose every item stays under CostLimit, which would
	// otherwise run for hours. A rule that reaches it is "not checked" on
	// that node, with a rule-error finding saying so.
	DefaultRuleCostBudget uint64 = 10_000_000
	// DefaultInterruptCheckFrequency is how many comprehension iterations run
	// between checks of the context.
	DefaultInterruptCheckFrequency uint = 100
)

// Options tune an Engine; the zero value means the defaults.
type Options struct {
	// CostLimit is the CEL cost budget of one evaluation of one expression
	// (foreach, a variable, match, ...), for one node or pair and one item.
	// Cost is counted in cost.go's units (one per operation, one per ten
	// bytes of each string produced), or, for an expression cel-go bounds
	// statically, is its static worst case.
	CostLimit uint64
	// InterruptCheckFrequency: comprehension iterations between context checks.
	InterruptCheckFrequency uint
	// RuleCostBudget is the CEL cost one rule may spend on one node (see
	// DefaultRuleCostBudget). It is checked before each evaluation, so a
	// rule stops at most one evaluation (CostLimit) past it.
	RuleCostBudget uint64
}

// Engine holds the compiled rules. Build it with New, add rules with LoadFS
// or LoadDir, then Eval; Eval may run concurrently once loading is done.
type Engine struct {
	opts    Options
	base    *cel.Env // cluster scope
	nodeEnv *cel.Env // + node
	pairEnv *cel.Env // + node, peer
	adapter types.Adapter
	rules   []*Rule // by id
}

// New builds the CEL environment every rule is compiled in: the facts model as
// CEL types (JSON field names), the celext network library, cel-go's string,
// list, set, bind and two-variable comprehension extensions and optional
// values; `cluster` is always declared, `node` and `peer` by scope.
func New(opts Options) (*Engine, error) {
	if opts.CostLimit == 0 {
		opts.CostLimit = DefaultCostLimit
	}
	if opts.RuleCostBudget == 0 {
		opts.RuleCostBudget = DefaultRuleCostBudget
	}
	if opts.InterruptCheckFrequency == 0 {
		opts.InterruptCheckFrequency = DefaultInterruptCheckFrequency
	}
	base, err := cel.NewEnv(
		celext.Lib(),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
		ext.Bindings(),
		ext.TwoVarComprehensions(),
		cel.OptionalTypes(),
		cel.EagerlyValidateDeclarations(true),
		cel.Variable("cluster", celext.ClusterType),
	)
	if err != nil {
		return nil, fmt.Errorf("rules: building the CEL environment: %w", err)
	}
	nodeEnv, err := base.Extend(cel.Variable("node", celext.NodeType))
	if err != nil {
		return nil, fmt.Errorf("rules: building the CEL environment: %w", err)
	}
	pairEnv, err := nodeEnv.Extend(cel.Variable("peer", celext.NodeType))
	if err != nil {
		return nil, fmt.Errorf("rules: building the CEL environment: %w", err)
	}
	return &Engine{opts: opts, base: base, nodeEnv: nodeEnv, pairEnv: pairEnv, adapter: base.CELTypeAdapter()}, nil
}

// LoadFS loads every *.yaml file at the top of fsys except *_test.yaml (rule
// tests). dirLabel prefixes file names in errors and findings ("rules" gives
// "rules/x.yaml:3:8: ..."). It returns every problem found; if there is any,
// no rule of fsys is added. A rule id already loaded is an error.
func (e *Engine) LoadFS(fsys fs.FS, dirLabel string) []error {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return []error{fmt.Errorf("%s: %w", dirLabel, err)}
	}
	var errs []error
	var loaded []*Rule
	for _, name := range names {
		if strings.HasSuffix(name, "_test.yaml") {
			continue
		}
		label := name
		if dirLabel != "" {
			label = strings.TrimSuffix(dirLabel, "/") + "/" + name
		}
		data, err := readRuleFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
			continue
		}
		r, rerrs := e.compileRule(label, strings.TrimSuffix(name, ".yaml"), data)
		errs = append(errs, rerrs...)
		if r != nil {
			loaded = append(loaded, r)
		}
	}
	seen := map[string]*Rule{}
	for _, r := range e.rules {
		seen[r.ID] = r
	}
	for _, r := range loaded {
		if prev, dup := seen[r.ID]; dup {
			errs = append(errs, &Error{File: r.File, Line: r.Line,
				Msg: fmt.Sprintf("duplicate rule id %q (already loaded from %s)", r.ID, prev.File)})
			continue
		}
		seen[r.ID] = r
	}
	if len(errs) > 0 {
		return errs
	}
	e.rules = append(e.rules, loaded...)
	slices.SortFunc(e.rules, func(a, b *Rule) int { return cmp.Compare(a.ID, b.ID) })
	return nil
}

// LoadDir loads the rule files of a directory (see LoadFS), for --rules DIR.
func (e *Engine) LoadDir(dir string) []error {
	st, err := os.Stat(dir)
	if err != nil {
		return []error{err}
	}
	if !st.IsDir() {
		return []error{fmt.Errorf("%s: not a directory", dir)}
	}
	return e.LoadFS(os.DirFS(dir), filepath.ToSlash(filepath.Clean(dir)))
}

// Rules returns the loaded rules by id.
func (e *Engine) Rules() []*Rule { return slices.Clone(e.rules) }

// Rule returns the rule with that id, nil if none.
func (e *Engine) Rule(id string) *Rule {
	i, ok := slices.BinarySearchFunc(e.rules, id, func(r *Rule, id string) int { return cmp.Compare(r.ID, id) })
	if !ok {
		return nil
	}
	return e.rules[i]
}

// Eval runs every rule on the cluster and returns the findings in report
// order (findings.Sort).
func (e *Engine) Eval(c *facts.Cluster) []findings.Finding {
	return e.EvalContext(context.Background(), c)
}

// EvalContext is Eval with a context: once ctx is done, the expressions still
// running stop at their next interrupt check and the rules not yet run are
// reported as rule errors.
func (e *Engine) EvalContext(ctx context.Context, c *facts.Cluster) []findings.Finding {
	if c == nil {
		c = &facts.Cluster{}
	}
	st := &evalState{ctx: ctx, cluster: e.adapter.NativeToValue(c), c: c, costBudget: e.opts.RuleCostBudget, costLimit: e.opts.CostLimit}
	for i := range c.Nodes {
		st.nodes = append(st.nodes, e.adapter.NativeToValue(&c.Nodes[i]))
	}
	var out []findings.Finding
	for _, r := range e.rules {
		if err := ctx.Err(); err != nil {
			out = append(out, st.ruleError(r, binding{}, nil, fmt.Errorf("not evaluated: %w", context.Cause(ctx))))
			continue
		}
		out = st.evalRule(r, out)
	}
	out = dedupe(out)
	findings.Sort(out)
	return out
}

// dedupe drops findings identical in what a reader sees (two foreach items may
// lead to the same conclusion).
func dedupe(fs []findings.Finding) []findings.Finding {
	type key struct {
		rule, sev, node, peer, msg  string
		insufficient, notApplicable bool
	}
	seen := make(map[key]bool, len(fs))
	out := fs[:0]
	for _, f := range fs {
		k := key{f.Rule, f.Severity, f.Node, f.Peer, f.Message, f.Insufficient, f.NotApplicable}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}

// MaxRuleFileSize bounds one rule or rule-test file: the largest rule of the
// pack is a few KiB; a bigger file is not a rule, and parsing it costs memory.
const MaxRuleFileSize = 1 << 20

// readRuleFile reads a rule file, refusing one over MaxRuleFileSize before
// reading it.
func readRuleFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxRuleFileSize {
		return nil, fmt.Errorf("%d bytes: larger than the %d bytes a rule file may have", fi.Size(), MaxRuleFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxRuleFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRuleFileSize {
		return nil, fmt.Errorf("larger than the %d bytes a rule file may have", MaxRuleFileSize)
	}
	return data, nil
}
