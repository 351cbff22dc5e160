package rules

import (
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// TestExprPosFindsTheTokenInTheFile: for each scalar style, the position of
// the token XX inside the decoded expression maps to where XX stands in the
// file.
func TestExprPosFindsTheTokenInTheFile(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{name: "plain scalar", doc: "match: a && XX\n"},
		{name: "plain scalar folded over lines", doc: "match: a &&\n    b &&\n   XX\n"},
		{name: "single-quoted with doubled quotes", doc: "match: 'x == ''it''''s'' && XX'\n"},
		{name: "double-quoted with escapes", doc: "match: \"x == \\\"é\\u00e9\\\" && XX\"\n"},
		{name: "double-quoted with an escaped line break", doc: "match: \"a &&\\\n   b && XX\"\n"},
		{name: "double-quoted folded over lines", doc: "match: \"a &&\n   b && XX\"\n"},
		{name: "literal block", doc: "match: |\n  a &&\n    b &&\n  c && XX\n"},
		{name: "literal block after non-ASCII text", doc: "match: |\n  'é' + 'ü' + XX\n"},
		{name: "folded block", doc: "match: >-\n  a &&\n  b && XX\n"},
		{name: "literal block in a list item", doc: "variables:\n  - name: r\n    expr: |\n      a +\n        XX\n"},
		{name: "flow mapping", doc: "variables: [{name: r, expr: \"a + XX\"}]\n"},
		{name: "CRLF line endings", doc: "match: |\r\n  a &&\r\n  XX\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.doc), &doc); err != nil {
				t.Fatal(err)
			}
			n := findScalarWith(&doc, "XX")
			if n == nil {
				t.Fatalf("no scalar holds XX")
			}
			src := newSource("f.yaml", []byte(tc.doc))
			off := utf8.RuneCountInString(n.Value[:strings.Index(n.Value, "XX")])
			gotL, gotC := src.valuePos(n, off)
			wantL, wantC := 0, 0
			for i, l := range src.lines {
				if j := strings.Index(l, "XX"); j >= 0 {
					wantL, wantC = i+1, utf8.RuneCountInString(l[:j])+1
				}
			}
			if gotL != wantL || gotC != wantC {
				t.Errorf("value %q: got %d:%d, want %d:%d", n.Value, gotL, gotC, wantL, wantC)
			}
		})
	}
}

func findScalarWith(n *yaml.Node, s string) *yaml.Node {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, s) {
		return n
	}
	for _, c := range n.Content {
		if f := findScalarWith(c, s); f != nil {
			return f
		}
	}
	return nil
}

func TestErrorFormatting(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{name: "file only", err: Error{File: "rules/x.yaml", Msg: "empty file"}, want: "rules/x.yaml: empty file"},
		{name: "line without column", err: Error{File: "rules/x.yaml", Line: 4, Msg: "m", Source: "abc"}, want: "rules/x.yaml:4: m"},
		{name: "caret under the column, tabs shown as spaces", err: Error{File: "f", Line: 2, Col: 3, Msg: "m", Source: "\tab"},
			want: "f:2:3: m\n |  ab\n | ..^"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
