package calico

import (
	"fmt"
	"strings"
)

// Selector is a parsed Calico selector expression: all(), global(), has(k),
// k == "v", k != "v", k in {"a","b"}, k not in {...}, k contains "s",
// k starts with "s", k ends with "s", !, &&, || and
// parentheses. The empty expression selects everything.
type Selector struct {
	root node
	text string
}

type node interface {
	match(labels map[string]string) bool
}

type (
	allNode struct{}
	hasNode struct{ key string }
	notNode struct{ x node }
	andNode struct{ a, b node }
	orNode  struct{ a, b node }
	cmpNode struct{ key, op, val string }
	inNode  struct {
		key string
		set map[string]bool
		not bool
	}
)

func (allNode) match(map[string]string) bool { return true }
func (n hasNode) match(l map[string]string) bool {
	_, ok := l[n.key]
	return ok
}
func (n notNode) match(l map[string]string) bool { return !n.x.match(l) }
func (n andNode) match(l map[string]string) bool { return n.a.match(l) && n.b.match(l) }
func (n orNode) match(l map[string]string) bool  { return n.a.match(l) || n.b.match(l) }
func (n cmpNode) match(l map[string]string) bool {
	v, ok := l[n.key]
	switch n.op {
	case "==":
		return ok && v == n.val
	case "!=":
		return !ok || v != n.val
	case "contains":
		return ok && strings.Contains(v, n.val)
	case "starts with":
		return ok && strings.HasPrefix(v, n.val)
	case "ends with":
		return ok && strings.HasSuffix(v, n.val)
	}
	return false
}
func (n inNode) match(l map[string]string) bool {
	v, ok := l[n.key]
	in := ok && n.set[v]
	if n.not {
		return !in
	}
	return in
}

// Matches reports whether labels satisfy the selector.
func (s Selector) Matches(labels map[string]string) bool {
	if s.root == nil {
		return true
	}
	return s.root.match(labels)
}

// String is the expression as written.
func (s Selector) String() string {
	if strings.TrimSpace(s.text) == "" {
		return "all()"
	}
	return s.text
}

// Equalities returns the label values the selector requires outright (k == "v"
// and has(k) ANDed at the top level): enough to build a pod it selects.
func (s Selector) Equalities() map[string]string {
	out := map[string]string{}
	var walk func(n node)
	walk = func(n node) {
		switch x := n.(type) {
		case andNode:
			walk(x.a)
			walk(x.b)
		case cmpNode:
			if x.op == "==" {
				out[x.key] = x.val
			}
		case hasNode:
			if _, ok := out[x.key]; !ok {
				out[x.key] = "x"
			}
		case inNode:
			if !x.not {
				for v := range x.set {
					out[x.key] = v
					break
				}
			}
		}
	}
	if s.root != nil {
		walk(s.root)
	}
	return out
}

// ParseSelector parses a Calico selector expression.
func ParseSelector(text string) (Selector, error) {
	p := &selParser{s: text}
	p.skip()
	if p.i >= len(p.s) {
		return Selector{text: text}, nil
	}
	n, err := p.or(0)
	if err != nil {
		return Selector{}, err
	}
	p.skip()
	if p.i < len(p.s) {
		return Selector{}, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.i)
	}
	return Selector{root: n, text: text}, nil
}

type selParser struct {
	s string
	i int
}

const maxSelectorDepth = 64

func (p *selParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *selParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

// accept consumes tok (after spaces) when it is next; word operators need a
// boundary after them.
func (p *selParser) accept(tok string) bool {
	p.skip()
	if !strings.HasPrefix(p.s[p.i:], tok) {
		return false
	}
	end := p.i + len(tok)
	if isWordChar(tok[len(tok)-1]) && end < len(p.s) && isWordChar(p.s[end]) {
		return false
	}
	p.i = end
	return true
}

func isWordChar(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == '/' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *selParser) or(depth int) (node, error) {
	a, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.accept("||") {
		b, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		a = orNode{a, b}
	}
	return a, nil
}

func (p *selParser) and(depth int) (node, error) {
	a, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.accept("&&") {
		b, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		a = andNode{a, b}
	}
	return a, nil
}

func (p *selParser) unary(depth int) (node, error) {
	if depth > maxSelectorDepth {
		return nil, fmt.Errorf("selector nested deeper than %d", maxSelectorDepth)
	}
	if p.accept("!") {
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	if p.accept("(") {
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, fmt.Errorf("missing ')' at offset %d", p.i)
		}
		return x, nil
	}
	if p.accept("all()") || p.accept("global()") {
		return allNode{}, nil
	}
	if p.accept("has(") {
		k := p.word()
		if k == "" || !p.accept(")") {
			return nil, fmt.Errorf("bad has() at offset %d", p.i)
		}
		return hasNode{k}, nil
	}
	k := p.word()
	if k == "" {
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("unexpected end of selector")
		}
		return nil, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.i)
	}
	for _, op := range []string{"==", "!=", "contains", "starts with", "ends with"} {
		if p.accept(op) {
			v, err := p.str()
			if err != nil {
				return nil, err
			}
			return cmpNode{k, op, v}, nil
		}
	}
	not := p.accept("not")
	if p.accept("in") {
		set, err := p.set()
		if err != nil {
			return nil, err
		}
		return inNode{k, set, not}, nil
	}
	return nil, fmt.Errorf("expected an operator after %q at offset %d", k, p.i)
}

func (p *selParser) word() string {
	p.skip()
	start := p.i
	for p.i < len(p.s) && isWordChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *selParser) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\'') {
		return "", fmt.Errorf("expected a quoted string at offset %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at offset %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *selParser) set() (map[string]bool, error) {
	if !p.accept("{") {
		return nil, fmt.Errorf("expected '{' at offset %d", p.i)
	}
	set := map[string]bool{}
	if p.accept("}") {
		return set, nil
	}
	for {
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		set[v] = true
		if p.accept("}") {
			return set, nil
		}
		if !p.accept(",") {
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
	}
}
