package rules

import (
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"gopkg.in/yaml.v3"
)

// template is a remediation with {{ CEL }} placeholders, filled from the facts
// of each finding so that its commands name this cluster's interfaces,
// addresses, pools and Calico install and can be copied as they stand.
// lits has one more element than exprs: lits[0] exprs[0] lits[1] ...
type template struct {
	lits  []string
	exprs []*expr
}

// compileTemplate splits the remediation into literals and placeholders and
// compiles each placeholder in env. A placeholder is compiled from a copy of
// the remediation in which everything else is blanked (newlines kept), so that
// CEL's positions are positions in the rule file.
func (e *Engine) compileTemplate(env *cel.Env, src *source, n *yaml.Node) (*template, []error) {
	text := n.Value
	if !strings.Contains(text, "{{") {
		return nil, nil
	}
	t := &template{}
	var errs []error
	rest, off := text, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.lits = append(t.lits, rest)
			break
		}
		j := closing(rest[i+2:])
		if j < 0 {
			line, col := src.valuePos(n, runeLen(text[:off+i]))
			errs = append(errs, src.errAt(line, col, "remediation: {{ without a closing }}"))
			return nil, errs
		}
		t.lits = append(t.lits, rest[:i])
		start, end := off+i+2, off+i+2+j
		blanked := blank(text, start, end)
		if strings.TrimSpace(text[start:end]) == "" {
			line, col := src.valuePos(n, runeLen(text[:start]))
			errs = append(errs, src.errAt(line, col, "remediation: empty {{ }} placeholder"))
		} else {
			syn := *n
			syn.Value = blanked
			x, cerrs := e.compileExpr(env, src, "remediation", &syn)
			errs = append(errs, cerrs...)
			t.exprs = append(t.exprs, x)
		}
		rest, off = rest[i+2+j+2:], end+2
	}
	if len(t.lits) != len(t.exprs)+1 && len(errs) == 0 {
		errs = append(errs, src.errNode(n, "remediation: malformed placeholders"))
	}
	return t, errs
}

// closing finds the "}}" that ends a placeholder, skipping CEL string
// literals (a JSON patch in a command holds braces), or -1.
func closing(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			return i
		}
	}
	return -1
}

// blank keeps text[start:end] and newlines, and turns every other rune into a
// space, keeping rune offsets.
func blank(text string, start, end int) string {
	var b strings.Builder
	for i, r := range text {
		switch {
		case i >= start && i < end:
			b.WriteRune(r)
		case r == '\n':
			b.WriteByte('\n')
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func runeLen(s string) int { return len([]rune(s)) }

// render fills the placeholders for one finding.
func (a *activation) render(t *template) (string, *failure) {
	var b strings.Builder
	for i, lit := range t.lits {
		b.WriteString(lit)
		if i == len(t.exprs) {
			break
		}
		v, fail := a.eval(t.exprs[i])
		if fail != nil {
			return "", fail
		}
		s, err := text(v)
		if err != nil {
			return "", &failure{t.exprs[i], err}
		}
		b.WriteString(s)
	}
	return strings.TrimSpace(b.String()), nil
}

// text spells a placeholder's value: strings as they are, numbers and booleans
// as CEL prints them, lists joined with ", ".
func text(v ref.Val) (string, error) {
	switch x := v.(type) {
	case types.String:
		return string(x), nil
	case types.Int, types.Uint, types.Double, types.Bool:
		return fmt.Sprint(x.Value()), nil
	case traits.Lister:
		var parts []string
		it := x.Iterator()
		for it.HasNext() == types.True {
			s, err := text(it.Next())
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", "), nil
	}
	return "", fmt.Errorf("placeholder evaluated to %s, want a string, number, bool or list of them", v.Type().TypeName())
}
