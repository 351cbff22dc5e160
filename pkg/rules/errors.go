package rules

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Error is a problem in a rule file or a rule-test file, located in it: Line
// and Col are 1-based and point into the YAML file, at the offending token of a
// CEL expression when there is one. Source is that line of the file.
type Error struct {
	File   string
	Line   int
	Col    int
	Msg    string
	Source string
}

// Error formats the error as `rules/x.yaml:12:8: message`, followed by the
// line and a caret under the column, the way cel-go policy errors read.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Source != "" && e.Col > 0 {
		src := strings.ReplaceAll(e.Source, "\t", " ")
		b.WriteString("\n | ")
		b.WriteString(src)
		b.WriteString("\n | ")
		n := 0
		for range src {
			if n == e.Col-1 {
				break
			}
			b.WriteByte('.')
			n++
		}
		b.WriteByte('^')
	}
	return b.String()
}

// source is one YAML file as it was read, for positions and snippets.
type source struct {
	label string
	lines []string
}

func newSource(label string, data []byte) *source {
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return &source{label: label, lines: lines}
}

// errAt returns an Error at a 1-based line and column of the file.
func (s *source) errAt(line, col int, format string, args ...any) *Error {
	e := &Error{File: s.label, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	if line >= 1 && line <= len(s.lines) {
		e.Source = s.lines[line-1]
	}
	return e
}

// errNode returns an Error at a YAML node.
func (s *source) errNode(n *yaml.Node, format string, args ...any) *Error {
	if n == nil {
		return s.errAt(0, 0, format, args...)
	}
	return s.errAt(n.Line, n.Column, format, args...)
}

// yamlErr turns a yaml.v3 error ("yaml: line 4: did not find expected key")
// into an Error on that line.
func (s *source) yamlErr(err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil {
				return s.errAt(line, s.yamlCol(line, tail), "%s", tail)
			}
		}
	}
	return s.errAt(0, 0, "%s", msg)
}

// yamlCol points at the likely offending character of a line yaml.v3 names
// without a column: the ':' of a mapping value where none is allowed, a tab
// or a character no token starts with, else the line's first token. 0 when
// the line is blank or unknown.
func (s *source) yamlCol(line int, msg string) int {
	if line < 1 || line > len(s.lines) {
		return 0
	}
	text := s.lines[line-1]
	at := func(i int) int { return utf8.RuneCountInString(text[:i]) + 1 }
	switch {
	case strings.Contains(msg, "mapping values are not allowed"):
		if i := strings.Index(text, ": "); i >= 0 {
			return at(i)
		}
		if strings.HasSuffix(text, ":") {
			return at(len(text) - 1)
		}
	case strings.Contains(msg, "cannot start any token"), strings.Contains(msg, "tab"):
		if i := strings.IndexAny(text, "\t@`"); i >= 0 {
			return at(i)
		}
	}
	if i := strings.IndexFunc(text, func(r rune) bool { return r != ' ' && r != '\t' }); i >= 0 {
		return at(i)
	}
	return 0
}

// exprPos maps a position inside a CEL expression (1-based line, 0-based
// column in code points, as cel-go reports them) to the 1-based line and
// column in the YAML file of the scalar n that holds the expression.
//
// A literal block scalar (|) maps line N of the expression to the Nth line
// after the indicator, shifted by the block's indentation. Other styles may
// fold lines or hold escapes, so the expression is walked rune by rune against
// the raw text.
func (s *source) exprPos(n *yaml.Node, line, col int) (int, int) {
	if n == nil {
		return 0, 0
	}
	return s.valuePos(n, exprOffset(n.Value, line, col))
}

// exprOffset is the rune offset in text of a CEL position (1-based line,
// 0-based column in code points).
func exprOffset(text string, line, col int) int {
	off, l := 0, 1
	for _, r := range text {
		if l == line {
			break
		}
		off++
		if r == '\n' {
			l++
		}
	}
	return off + max(col, 0)
}

// valuePos maps the rune offset off of n.Value to a position in the file.
func (s *source) valuePos(n *yaml.Node, off int) (int, int) {
	value := []rune(n.Value)
	if off > len(value) {
		off = len(value)
	}
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	rawL, rawC := n.Line-1, n.Column-1 // 0-based
	indent := 0
	switch {
	case block:
		rawL, rawC = n.Line, 0
		indent = s.blockIndent(n.Line)
		rawC = indent
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		rawC++
	}
	if block && n.Style&yaml.LiteralStyle != 0 {
		// Exact: value line k is raw line n.Line+1+k, shifted by the indentation.
		k, c := 0, 0
		for _, r := range value[:off] {
			if r == '\n' {
				k, c = k+1, 0
				continue
			}
			c++
		}
		return n.Line + 1 + k, indent + c + 1
	}
	line := func(i int) []rune {
		if i < 0 || i >= len(s.lines) {
			return nil
		}
		return []rune(s.lines[i])
	}
	skipIndent := func() {
		raw := line(rawL)
		if block {
			rawC = min(indent, len(raw))
			return
		}
		for rawC < len(raw) && (raw[rawC] == ' ' || raw[rawC] == '\t') {
			rawC++
		}
	}
	double := n.Style&yaml.DoubleQuotedStyle != 0
	single := n.Style&yaml.SingleQuotedStyle != 0
	for i := 0; i < off; i++ {
		v := value[i]
		for {
			if rawL >= len(s.lines) {
				return len(s.lines), 1
			}
			raw := line(rawL)
			if rawC >= len(raw) {
				// The raw line break: it produced v if v is a newline or the space
				// of a folded line.
				matched := v == '\n' || v == ' '
				rawL, rawC = rawL+1, 0
				skipIndent()
				if matched {
					break
				}
				continue
			}
			r := raw[rawC]
			if double && r == '\\' {
				if rawC+1 >= len(raw) { // escaped line break: joins lines
					rawL, rawC = rawL+1, 0
					skipIndent()
					continue
				}
				rawC += escapeLen(raw[rawC+1])
				break
			}
			if single && r == '\'' && rawC+1 < len(raw) && raw[rawC+1] == '\'' {
				rawC += 2
				break
			}
			rawC++
			if r == v {
				break
			}
		}
	}
	// Land on the rune that produced value[off].
	if raw := line(rawL); rawC >= len(raw) && off < len(value) {
		rawL, rawC = rawL+1, 0
		skipIndent()
	}
	return rawL + 1, rawC + 1
}

// blockIndent is the indentation of the first non-blank line after the block
// scalar indicator on 1-based line hdr.
func (s *source) blockIndent(hdr int) int {
	for i := hdr; i < len(s.lines); i++ {
		l := s.lines[i]
		t := strings.TrimLeft(l, " ")
		if t == "" {
			continue
		}
		return utf8.RuneCountInString(l[:len(l)-len(t)])
	}
	return 0
}

// escapeLen is the raw length of a double-quoted escape whose letter is c.
func escapeLen(c rune) int {
	switch c {
	case 'x':
		return 4
	case 'u':
		return 6
	case 'U':
		return 10
	}
	return 2
}
