package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// loadOne loads testdata/bad/<file> alone, labelled rules/<file>.
func loadOne(t *testing.T, file string) []error {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "bad", file))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Options{})
	errs := e.LoadFS(fstest.MapFS{file: {Data: data}}, "rules")
	if len(e.Rules()) != 0 {
		t.Errorf("a file with errors was loaded")
	}
	return errs
}

func TestLoadFailure(t *testing.T) {
	tests := []struct {
		file   string
		errMsg string
	}{
		{"syntax.yaml", `rules/syntax.yaml:7:21: match: Syntax error: token recognition error at: '= '
 | match: node.name == = 'x'
 | ....................^`},
		{"undeclared.yaml", `rules/undeclared.yaml:9:5: match: undeclared reference to 'nod'
 |     nod.name == 'node-a'
 | ....^`},
		{"misspelled-field.yaml", `rules/misspelled-field.yaml:7:17: match: undefined field 'routess'
 | match: size(node.routess) > 0
 | ................^`},
		{"match-not-bool.yaml", `rules/match-not-bool.yaml:7:8: match must evaluate to bool, got string`},
		{"message-not-string.yaml", `rules/message-not-string.yaml:8:10: message must evaluate to string, got int`},
		{"unknown-key.yaml", `rules/unknown-key.yaml:7:1: unknown key "matc" in rule; did you mean "match"?
 | matc: "true"
 | ^`},
		{"bad-severity.yaml", `rules/bad-severity.yaml:4:11: severity "urgent" is not one of critical, warning, info`},
		{"bad-stage.yaml", `rules/bad-stage.yaml:3:8: stage "routing" is not one of service-nat, route, tunnel-endpoint, link, kernel`},
		{"bad-scope.yaml", `rules/bad-scope.yaml:5:8: scope "nodes" is not one of node, pair, cluster`},
		{"id-mismatch.yaml", `rules/id-mismatch.yaml:1:5: id "some-other-id" does not match the file name "id-mismatch.yaml" (want id: id-mismatch)`},
		{"not-kebab.yaml", `rules/not-kebab.yaml:1:5: id "Not_Kebab" is not kebab-case (a-z, 0-9, single dashes)`},
		{"missing-match.yaml", `rules/missing-match.yaml:1:1: missing required key "match"`},
		{"bad-needs.yaml", `rules/bad-needs.yaml:7:15: needs: unknown source "route"; did you mean "routes"?`},
		{"needs-not-list.yaml", `rules/needs-not-list.yaml:6:8: needs must be a list`},
		{"item-without-foreach.yaml", `rules/item-without-foreach.yaml:7:8: match: undeclared reference to 'item'`},
		{"peer-in-node-scope.yaml", `rules/peer-in-node-scope.yaml:7:8: match: undeclared reference to 'peer'`},
		{"evidence-not-refs.yaml", `rules/evidence-not-refs.yaml:9:12: evidence must evaluate to list(facts.Ref), got list(string)`},
		{"foreach-not-list.yaml", `rules/foreach-not-list.yaml:7:10: foreach must evaluate to a list, got string`},
		{"foreach-item-typed.yaml", `rules/foreach-item-typed.yaml:8:12: match: undefined field 'address'`},
		{"variable-order.yaml", `rules/variable-order.yaml:8:11: variables.a: undeclared reference to 'variables.b' (variables come from the variables: list; each may use only those listed before it)`},
		{"variable-typed.yaml", `rules/variable-typed.yaml:9:19: match: undefined field 'vai'`},
		{"double-quoted.yaml", `rules/double-quoted.yaml:6:35: match: undeclared reference to 'nod'
 | match: "node.name == \"a\\tb\" && nod.name == ''"
 | ..................................^`},
		{"folded.yaml", `rules/folded.yaml:8:3: match: undeclared reference to 'nod'
 |   nod.name == ''
 | ..^`},
		{"plain-multiline.yaml", `rules/plain-multiline.yaml:7:3: match: undeclared reference to 'nod'`},
		{"title-period.yaml", `rules/title-period.yaml:2:8: title ends with a period; titles are sentence case with no period`},
		{"yaml-syntax.yaml", `rules/yaml-syntax.yaml:4:11: mapping values are not allowed in this context
 |   severity: info
 | ..........^`},
		{"two-documents.yaml", `rules/two-documents.yaml:9:1: a second YAML document; a file holds one`},
		{"repeated-key.yaml", `rules/repeated-key.yaml:7:1: rule: key "match" repeated (first at line 6)`},
		{"empty.yaml", `rules/empty.yaml: empty file`},
		{"yaml-tag.yaml", `rules/yaml-tag.yaml:6:8: match starts with "!node.has.ipvs", which YAML reads as a tag; quote the expression`},
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%d files in testdata/bad, %d cases: every bad file needs a case", len(files), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			errs := loadOne(t, tc.file)
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			got := errs[0].Error()
			// Without a caret line in the case, compare the first line only.
			if !strings.Contains(tc.errMsg, "\n") {
				got, _, _ = strings.Cut(got, "\n")
			}
			if got != tc.errMsg {
				t.Errorf("got\n%s\nwant\n%s", got, tc.errMsg)
			}
		})
	}
}

func TestLoadReportsEveryErrorOfEveryFile(t *testing.T) {
	e := newEngine(t, Options{})
	fsys := fstest.MapFS{}
	for _, f := range []string{"syntax.yaml", "bad-severity.yaml", "undeclared.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "bad", f))
		if err != nil {
			t.Fatal(err)
		}
		fsys[f] = &fstest.MapFile{Data: data}
	}
	// A second problem in one file is reported too.
	fsys["two.yaml"] = &fstest.MapFile{Data: []byte("id: two\ntitle: T\nstage: x\nseverity: y\nscope: node\nmatch: nod\nmessage: \"'m'\"\nremediation: r\n")}
	errs := e.LoadFS(fsys, "rules")
	if len(errs) != 6 {
		t.Errorf("got %d errors, want 6:\n%v", len(errs), errs)
	}
}

// TestYAMLSyntaxErrorsHaveColumnAndCaret: every kind of YAML syntax error
// yaml.v3 reports with a line only still gets a column and a caret under the
// offending character, as the README promises.
func TestYAMLSyntaxErrorsHaveColumnAndCaret(t *testing.T) {
	tests := []struct {
		name, data string
		line, col  int
	}{
		{"value after a mapping", "id: a\ntitle: T\n  stage: route\n", 3, 8},
		{"tab indentation", "id: a\ntitle: T\nx:\n\tstage: route\n", 4, 1},
		{"token start", "id: a\ntitle: @x\n", 2, 8},
		{"unclosed quote", "id: a\ntitle: \"T\nstage: route\n", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource("rules/a.yaml", []byte(tt.data))
			_, errs := parseYAML(src, []byte(tt.data))
			if len(errs) != 1 {
				t.Fatalf("errors: %v", errs)
			}
			var e *Error
			if !errors.As(errs[0], &e) {
				t.Fatalf("not an *Error: %v", errs[0])
			}
			if tt.line == 0 {
				// yaml.v3 names the line where the scalar started or ended;
				// wherever it is, a column and caret come with it.
				if e.Line > 0 && (e.Col == 0 || !strings.Contains(e.Error(), "^")) {
					t.Errorf("no column or caret: %s", e)
				}
				return
			}
			if e.Line != tt.line || e.Col != tt.col || !strings.Contains(e.Error(), "\n | ") || !strings.HasSuffix(e.Error(), "^") {
				t.Errorf("got %s, want line %d col %d with a caret", e, tt.line, tt.col)
			}
		})
	}
}
