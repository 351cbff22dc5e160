package rules

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"gopkg.in/yaml.v3"

	"github.com/podnetdiag/podnetdiag/pkg/celext"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// Scopes: what a rule is evaluated for.
const (
	// ScopeNode binds `node` to each node in turn.
	ScopeNode = "node"
	// ScopePair binds `node` and `peer` to each ordered pair of distinct nodes.
	ScopePair = "pair"
	// ScopeCluster evaluates the rule once, with only `cluster` bound.
	ScopeCluster = "cluster"
)

// NeedsKeys are the keys a rule may list under `needs:`, the source kinds of
// facts.Node.Has.
func NeedsKeys() []string {
	return []string{
		facts.HasIPVS, facts.HasRoutes, facts.HasLinks, facts.HasAddrs, facts.HasEthtool,
		facts.HasSysctl, facts.HasCalicoEnv, facts.HasCalicoLog, facts.HasBird, facts.HasIPTables,
		facts.HasNFT, facts.HasIPSet, facts.HasKernel, facts.HasKubeNodes, facts.HasKubeDNS,
		facts.HasKubeProxy, facts.HasPools, facts.HasFelix, facts.HasRouteGet, facts.HasNeigh,
		facts.HasFDB, facts.HasConntrack, facts.HasCapture, facts.HasResolv,
	}
}

// ruleKeys are the keys of a rule file, in the order the docs list them.
var ruleKeys = []string{
	"id", "title", "stage", "severity", "severityExpr", "scope", "pairs", "whenNoPairs", "notApplicable", "needs", "foreach",
	"whenEmpty", "variables", "match", "message", "evidence", "peer", "same", "insufficient", "explains", "remediation",
}

var (
	idPattern  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	varPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Rule is one compiled rule file.
type Rule struct {
	ID       string
	Title    string
	Stage    string
	Severity string // the default; severityExpr may override it per match
	Scope    string
	Needs    []string
	// Explains lists rule ids whose findings on the same node (or its peer)
	// follow from this rule's: the root-cause pass marks them consequences.
	Explains    []string
	Remediation string
	// File is the file as labelled when loaded ("rules/x.yaml"), Line the line
	// of its `id:` key.
	File string
	Line int

	// pairs (pair scope) lists, per node, the peers worth binding; nil
	// binds every ordered pair.
	pairs *expr
	// whenNoPairs (with pairs) says why a node pairs names no peer for is
	// "not checked" rather than passed.
	whenNoPairs  *expr
	foreach      *expr
	vars         []*expr
	varIndex     map[string]int // "variables.NAME" -> index in vars
	match        *expr
	message      *expr
	severityExpr *expr
	evidence     *expr
	peer         *expr
	same         *expr
	remediation  *template
	insufficient *expr
	whenEmpty    *expr
	// notApplicable (applies.go) says when the rule has no question to answer.
	notApplicable *notApplicable
}

// expr is one compiled CEL expression of a rule, with what is needed to point
// back into the YAML file.
type expr struct {
	key  string // "match", "variables.r", ...
	node *yaml.Node
	src  *source
	ast  *cel.Ast
	prg  cel.Program
	out  *cel.Type
	// tracked: the program counts its cost as it runs (cost.go) and stops
	// at Options.CostLimit. An expression whose worst case is known at
	// compile time to be at most staticCostMax runs untracked, and costs
	// its worst case against the rule's budget.
	tracked   bool
	staticMax uint64
}

// staticCostMax is the largest worst-case cost (cel-go's static estimate) of
// an expression that runs without runtime cost tracking: tracking every
// operation took more than half of the evaluation time of large clusters,
// and an expression bounded by this needs no watching. Comparisons of
// fields with constants, boolean logic and arithmetic are; anything that
// iterates over the facts' lists or reads their strings' whole length is
// not, as the facts' sizes are not known in advance.
const staticCostMax = 10_000

// unknownSizes is the cost estimator of rule expressions: no size of the
// facts is known in advance (a bundle may hold anything up to its file
// limits), and function costs are cel-go's own and its extensions'.
type unknownSizes struct{}

func (unknownSizes) EstimateSize(checker.AstNode) *checker.SizeEstimate { return nil }
func (unknownSizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// pos is the file position of a CEL location (1-based line, 0-based column).
func (x *expr) pos(line, col int) (int, int) {
	if line < 1 {
		line, col = 1, 0
	}
	return x.src.exprPos(x.node, line, col)
}

// compileRule parses and compiles one rule file. wantID is the file's base
// name without .yaml.
func (e *Engine) compileRule(label, wantID string, data []byte) (*Rule, []error) {
	src := newSource(label, data)
	root, errs := parseYAML(src, data)
	if root == nil {
		return nil, errs
	}
	fields := map[string]*yaml.Node{}
	keyNodes := map[string]*yaml.Node{}
	errs = append(errs, eachField(src, root, "rule", ruleKeys, func(key string, k, v *yaml.Node) {
		fields[key] = v
		keyNodes[key] = k
	})...)
	if resolve(root).Kind != yaml.MappingNode {
		return nil, errs
	}
	r := &Rule{File: label, Line: 1}
	if k := keyNodes["id"]; k != nil {
		r.Line = k.Line
	}
	str := func(key string, required bool) (string, *yaml.Node) {
		v := fields[key]
		if v == nil {
			if required {
				errs = append(errs, src.errNode(resolve(root), "missing required key %q", key))
			}
			return "", nil
		}
		s, err := scalar(src, key, v)
		if err != nil {
			errs = append(errs, err)
			return "", nil
		}
		if required && strings.TrimSpace(s) == "" {
			errs = append(errs, src.errNode(v, "%s is empty", key))
		}
		return s, v
	}

	var n *yaml.Node
	if r.ID, n = str("id", true); n != nil && r.ID != "" {
		switch {
		case !idPattern.MatchString(r.ID):
			errs = append(errs, src.errNode(n, "id %q is not kebab-case (a-z, 0-9, single dashes)", r.ID))
		case r.ID == findings.RuleError:
			errs = append(errs, src.errNode(n, "id %q is reserved for rule evaluation errors", r.ID))
		case r.ID != wantID:
			errs = append(errs, src.errNode(n, "id %q does not match the file name %q (want id: %s)", r.ID, path.Base(label), wantID))
		}
	}
	if r.Title, n = str("title", true); n != nil && strings.HasSuffix(strings.TrimSpace(r.Title), ".") {
		errs = append(errs, src.errNode(n, "title ends with a period; titles are sentence case with no period"))
	}
	r.Title = strings.TrimSpace(r.Title)
	if r.Stage, n = str("stage", true); n != nil && r.Stage != "" && !findings.ValidStage(r.Stage) {
		errs = append(errs, src.errNode(n, "stage %q is not one of %s", r.Stage, strings.Join(findings.Stages(), ", ")))
	}
	if r.Severity, n = str("severity", true); n != nil && r.Severity != "" && !findings.ValidSeverity(r.Severity) {
		errs = append(errs, src.errNode(n, "severity %q is not one of critical, warning, info", r.Severity))
	}
	if r.Scope, n = str("scope", true); n != nil && r.Scope != "" && r.Scope != ScopeNode && r.Scope != ScopePair && r.Scope != ScopeCluster {
		errs = append(errs, src.errNode(n, "scope %q is not one of node, pair, cluster", r.Scope))
	}
	r.Remediation, _ = str("remediation", true)
	r.Remediation = strings.TrimSpace(r.Remediation)
	if v := fields["needs"]; v != nil {
		items, err := stringList(src, "needs", v)
		if err != nil {
			errs = append(errs, err)
		}
		known := NeedsKeys()
		for _, it := range items {
			if !contains(known, it.Value) {
				msg := fmt.Sprintf("needs: unknown source %q", it.Value)
				if s := suggest(it.Value, known); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				errs = append(errs, src.errNode(it, "%s", msg))
				continue
			}
			if contains(r.Needs, it.Value) {
				errs = append(errs, src.errNode(it, "needs: %q listed twice", it.Value))
				continue
			}
			r.Needs = append(r.Needs, it.Value)
		}
	}

	if v := fields["explains"]; v != nil {
		items, err := stringList(src, "explains", v)
		if err != nil {
			errs = append(errs, err)
		}
		for _, it := range items {
			if !idPattern.MatchString(it.Value) {
				errs = append(errs, src.errNode(it, "explains: %q is not a rule id", it.Value))
				continue
			}
			r.Explains = append(r.Explains, it.Value)
		}
	}

	// Expressions. With an invalid scope, compile as pair scope so that every
	// variable is declared and only the scope itself is reported.
	env := e.pairEnv
	switch r.Scope {
	case ScopeNode:
		env = e.nodeEnv
	case ScopeCluster:
		env = e.base
	}
	compile := func(key string, v *yaml.Node, env *cel.Env) *expr {
		if v == nil {
			return nil
		}
		s, err := scalar(src, key, v)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if strings.TrimSpace(s) == "" {
			errs = append(errs, src.errNode(v, "%s is empty", key))
			return nil
		}
		x, cerrs := e.compileExpr(env, src, key, v)
		errs = append(errs, cerrs...)
		return x
	}

	if v := fields["notApplicable"]; v != nil {
		// Judged per node (or for the cluster), before needs: no peer.
		naEnv := e.nodeEnv
		if r.Scope == ScopeCluster {
			naEnv = e.base
		}
		na, naErrs := e.compileNotApplicable(naEnv, src, v)
		errs = append(errs, naErrs...)
		r.notApplicable = na
	}
	if v := fields["pairs"]; v != nil {
		// Judged per node, like notApplicable: cluster and node, no peer. A
		// fleet of N nodes has N² ordered pairs, of which a pair rule usually
		// has something to say about a few per node (the tunnels a capture
		// saw, the peers missing from an ipset): naming them keeps the
		// analysis linear in the nodes.
		if r.Scope != ScopePair {
			errs = append(errs, src.errNode(v, "pairs is for scope: pair (the rule's scope is %s)", r.Scope))
		}
		x := compile("pairs", v, e.nodeEnv)
		if x != nil && x.out.Kind() != types.DynKind &&
			(x.out.Kind() != types.ListKind || !(cel.StringType.IsExactType(x.out.Parameters()[0]) || x.out.Parameters()[0].Kind() == types.DynKind)) {
			errs = append(errs, x.typeErr("list(string)"))
		}
		r.pairs = x
	}
	if v := fields["whenNoPairs"]; v != nil {
		// Like whenEmpty for foreach: a node with no peer to pair is a
		// verdict only when the data pairs comes from shows there is none.
		if fields["pairs"] == nil {
			errs = append(errs, src.errNode(v, "whenNoPairs needs pairs"))
		}
		x := compile("whenNoPairs", v, e.nodeEnv)
		if x != nil && x.out.Kind() != types.DynKind && !cel.StringType.IsExactType(x.out) {
			errs = append(errs, x.typeErr("string"))
		}
		r.whenNoPairs = x
	}
	if fields["whenEmpty"] != nil && fields["foreach"] == nil {
		errs = append(errs, src.errNode(fields["whenEmpty"], "whenEmpty needs a foreach"))
	}
	// whenEmpty sees what foreach sees, without item: it judges the list.
	r.whenEmpty = compile("whenEmpty", fields["whenEmpty"], env)
	we := r.whenEmpty
	if we != nil && we.out.Kind() != types.DynKind && !cel.StringType.IsExactType(we.out) {
		errs = append(errs, we.typeErr("string"))
	}
	if x := compile("foreach", fields["foreach"], env); x != nil {
		r.foreach = x
		itemType := cel.DynType
		switch x.out.Kind() {
		case types.ListKind:
			itemType = x.out.Parameters()[0]
		case types.DynKind:
		default:
			errs = append(errs, x.typeErr("a list"))
		}
		env = e.extend(env, &errs, src, fields["foreach"], cel.Variable("item", itemType))
	}
	if v := fields["variables"]; v != nil {
		r.varIndex = map[string]int{}
		if v.Kind != yaml.SequenceNode {
			errs = append(errs, src.errNode(v, "variables must be a list of {name, expr}"))
		} else if len(v.Content) > MaxVariables {
			// Each variable is compiled and evaluated for every node (and item):
			// the bound keeps a rule's total CEL cost per node at most
			// (MaxVariables + its other expressions) x Options.CostLimit.
			errs = append(errs, src.errNode(v, "%d variables; a rule may have at most %d", len(v.Content), MaxVariables))
		} else {
			for _, item := range v.Content {
				var nameNode, exprNode *yaml.Node
				errs = append(errs, eachField(src, item, "variable", []string{"name", "expr"}, func(key string, _, v *yaml.Node) {
					if key == "name" {
						nameNode = v
					} else {
						exprNode = v
					}
				})...)
				if resolve(item).Kind != yaml.MappingNode {
					continue
				}
				if nameNode == nil || exprNode == nil {
					errs = append(errs, src.errNode(resolve(item), "a variable needs both name and expr"))
					continue
				}
				name, err := scalar(src, "name", nameNode)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				full := "variables." + name
				if !varPattern.MatchString(name) {
					errs = append(errs, src.errNode(nameNode, "variable name %q is not an identifier", name))
					continue
				}
				if _, dup := r.varIndex[full]; dup {
					errs = append(errs, src.errNode(nameNode, "variable %q defined twice", name))
					continue
				}
				x := compile(full, exprNode, env)
				if x == nil {
					// Declare it anyway so that later uses do not pile up errors.
					env = e.extend(env, &errs, src, nameNode, cel.Variable(full, cel.DynType))
					continue
				}
				r.varIndex[full] = len(r.vars)
				r.vars = append(r.vars, x)
				env = e.extend(env, &errs, src, nameNode, cel.Variable(full, x.out))
			}
		}
	}
	if fields["match"] == nil {
		errs = append(errs, src.errNode(resolve(root), "missing required key %q", "match"))
	}
	if fields["message"] == nil {
		errs = append(errs, src.errNode(resolve(root), "missing required key %q", "message"))
	}
	r.match = compile("match", fields["match"], env)
	r.message = compile("message", fields["message"], env)
	if v := fields["remediation"]; v != nil && v.Kind == yaml.ScalarNode {
		t, terrs := e.compileTemplate(env, src, v)
		errs = append(errs, terrs...)
		r.remediation = t
	}
	r.severityExpr = compile("severityExpr", fields["severityExpr"], env)
	r.evidence = compile("evidence", fields["evidence"], env)
	r.peer = compile("peer", fields["peer"], env)
	r.same = compile("same", fields["same"], env)
	r.insufficient = compile("insufficient", fields["insufficient"], env)

	check := func(x *expr, what string, want ...*cel.Type) {
		if x == nil || x.out.Kind() == types.DynKind {
			return
		}
		for _, w := range want {
			if w.IsExactType(x.out) {
				return
			}
		}
		errs = append(errs, x.typeErr(what))
	}
	check(r.match, "bool", cel.BoolType)
	check(r.message, "string", cel.StringType)
	check(r.severityExpr, "string", cel.StringType)
	check(r.peer, "string", cel.StringType)
	check(r.same, "string", cel.StringType)
	check(r.insufficient, "bool or string", cel.BoolType, cel.StringType)
	if err := refListTypeErr(r.evidence); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// refListTypeErr checks at load time that an evidence expression can yield
// list(facts.Ref), so that a wrong type is a file:line:col error, not a
// rule-error finding on every node. A dyn result is checked when evaluated.
func refListTypeErr(x *expr) error {
	if x == nil || x.out.Kind() == types.DynKind {
		return nil
	}
	ok := x.out.Kind() == types.ListKind
	if ok {
		el := x.out.Parameters()[0]
		ok = el.Kind() == types.DynKind || el.IsExactType(celext.RefType)
	}
	if !ok {
		return x.typeErr("list(facts.Ref)")
	}
	return nil
}

// compileExpr compiles one expression and maps its issues into the file.
func (e *Engine) compileExpr(env *cel.Env, src *source, key string, n *yaml.Node) (*expr, []error) {
	x := &expr{key: key, node: n, src: src}
	ast, iss := env.Compile(n.Value)
	if iss != nil && iss.Err() != nil {
		var errs []error
		for _, ce := range iss.Errors() {
			line, col := x.pos(ce.Location.Line(), ce.Location.Column())
			msg := strings.TrimSuffix(ce.Message, " (in container '')")
			if msg == "undeclared reference to 'variables'" {
				// The checker names only the first part of "variables.x".
				name := identAt([]rune(n.Value), exprOffset(n.Value, ce.Location.Line(), ce.Location.Column()))
				msg = fmt.Sprintf("undeclared reference to '%s' (variables come from the variables: list; each may use only those listed before it)", name)
			}
			errs = append(errs, src.errAt(line, col, "%s: %s", key, msg))
		}
		return nil, errs
	}
	popts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize), cel.InterruptCheckFrequency(e.opts.InterruptCheckFrequency)}
	x.tracked = true
	if est, err := env.EstimateCost(ast, unknownSizes{}); err == nil && est.Max <= min(staticCostMax, e.opts.CostLimit) {
		x.tracked, x.staticMax = false, est.Max
	} else {
		popts = append(popts, cel.CustomDecoratorV2(costDecorator))
	}
	prg, err := env.Program(ast, popts...)
	if err != nil {
		return nil, []error{src.errNode(n, "%s: %v", key, err)}
	}
	x.ast, x.prg, x.out = ast, prg, ast.OutputType()
	return x, nil
}

func (x *expr) typeErr(want string) error {
	line, col := x.pos(1, 0)
	return x.src.errAt(line, col, "%s must evaluate to %s, got %s", x.key, want, typeName(x.out))
}

// typeName spells a CEL type as rule authors write it.
func typeName(t *cel.Type) string {
	return t.String()
}

// extend adds declarations to a rule's environment.
func (e *Engine) extend(env *cel.Env, errs *[]error, src *source, at *yaml.Node, opts ...cel.EnvOption) *cel.Env {
	next, err := env.Extend(opts...)
	if err != nil {
		*errs = append(*errs, src.errNode(at, "%v", err))
		return env
	}
	return next
}

// identAt reads a dotted identifier ("variables.b") starting at offset off.
func identAt(text []rune, off int) string {
	end := off
	for end < len(text) {
		r := text[end]
		if r != '.' && r != '_' && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') && !('0' <= r && r <= '9') {
			break
		}
		end++
	}
	if off >= end {
		return "variables"
	}
	return string(text[off:end])
}

// MaxVariables bounds the variables of one rule; the pack's rules use a few.
const MaxVariables = 64
