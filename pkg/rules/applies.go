package rules

import (
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"gopkg.in/yaml.v3"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// notApplicable is a rule's `notApplicable` key: when the rule does not apply
// to a node (or, in cluster scope, to the cluster) at all, the reason and what
// shows it. A route rule on a cluster where Calico routes nothing (policy-only
// mode beside a cloud CNI) neither passes nor lacks data: it has no question
// to answer, and the report says so instead of "pass" or "not checked".
//
// The key is either a CEL string (the reason, "" when the rule applies) or a
// mapping {reason: CEL string, evidence: CEL list(facts.Ref)}. Both see
// cluster and, in node and pair scope, node; never peer, item or variables:
// they judge whether the rule applies at all, before needs and foreach.
type notApplicable struct {
	reason   *expr
	evidence *expr
}

// compileNotApplicable compiles the key's value v in env (the scope's
// environment without peer).
func (e *Engine) compileNotApplicable(env *cel.Env, src *source, v *yaml.Node) (*notApplicable, []error) {
	var errs []error
	compile := func(key string, n *yaml.Node) *expr {
		s, err := scalar(src, key, n)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if strings.TrimSpace(s) == "" {
			errs = append(errs, src.errNode(n, "%s is empty", key))
			return nil
		}
		x, cerrs := e.compileExpr(env, src, key, n)
		errs = append(errs, cerrs...)
		return x
	}
	na := &notApplicable{}
	switch resolve(v).Kind {
	case yaml.MappingNode:
		var reason, evidence *yaml.Node
		errs = append(errs, eachField(src, v, "notApplicable", []string{"reason", "evidence"}, func(key string, _, val *yaml.Node) {
			if key == "reason" {
				reason = val
			} else {
				evidence = val
			}
		})...)
		if reason == nil {
			errs = append(errs, src.errNode(resolve(v), "notApplicable needs a reason"))
		} else {
			na.reason = compile("notApplicable.reason", reason)
		}
		if evidence != nil {
			na.evidence = compile("notApplicable.evidence", evidence)
		}
	default:
		na.reason = compile("notApplicable", v)
	}
	if x := na.reason; x != nil && x.out.Kind() != types.DynKind && !cel.StringType.IsExactType(x.out) {
		errs = append(errs, x.typeErr("string"))
	}
	if err := refListTypeErr(na.evidence); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return na, nil
}

// notApplicableFinding evaluates r's notApplicable key for b (peer ignored).
// ok is true when the rule does not apply: f is then the finding that says
// why. A failure is a rule-error finding, returned with ok true too, so that
// the rule does not run where whether it applies is unknown.
func (st *evalState) notApplicableFinding(r *Rule, b binding) (f findings.Finding, ok bool) {
	if r.notApplicable == nil || r.notApplicable.reason == nil {
		return findings.Finding{}, false
	}
	b.peer, b.peerName = nil, ""
	a := &activation{st: st, r: r, b: b}
	why, fail := a.evalString(r.notApplicable.reason)
	if fail != nil {
		return st.ruleError(r, b, fail.x, fail.err), true
	}
	if why == "" {
		return findings.Finding{}, false
	}
	f = findings.Finding{
		Rule: r.ID, Severity: findings.SeverityInfo, Stage: r.Stage,
		Node: b.nodeName, Title: r.Title,
		Message:       NotApplicablePrefix + why,
		Evidence:      []facts.Ref{},
		NotApplicable: true,
		RuleFile:      r.File, RuleLine: r.Line,
	}
	if x := r.notApplicable.evidence; x != nil {
		v, fail := a.eval(x)
		if fail != nil {
			return st.ruleError(r, b, fail.x, fail.err), true
		}
		refs, err := toRefs(v, b.nodeName)
		if err != nil {
			return st.ruleError(r, b, x, err), true
		}
		f.Evidence = refs
	}
	return f, true
}

// NotApplicablePrefix starts the message of a not-applicable finding; the
// rest is the rule's reason.
const NotApplicablePrefix = "not applicable: "
