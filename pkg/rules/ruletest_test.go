package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	rulepack "github.com/podnetdiag/podnetdiag/rules"
)

// buildJSON stands in for the facts builder: each "bundle" is a JSON file of a
// facts.Cluster; the dnsServiceIP arg overrides the DNS Service IP.
func buildJSON(paths []string, args map[string]string) (*facts.Cluster, error) {
	var c facts.Cluster
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, err
		}
	}
	if v, ok := args["dnsServiceIP"]; ok {
		c.DNSServiceIP, c.DNSServiceIPKnown = v, v != ""
	}
	return &c, nil
}

func packEngine(t *testing.T) *Engine {
	t.Helper()
	e := newEngine(t, Options{})
	if errs := e.LoadFS(rulepack.FS, "rules"); errs != nil {
		t.Fatal(errs)
	}
	return e
}

func TestRunTestsReportsPassesAndReadableFailures(t *testing.T) {
	files, err := ReadTestFiles("testdata/ruletests/ipvs-dns-vip-missing_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := RunTests(packEngine(t), files, ".", buildJSON, nil)
	if len(res) != 3 {
		t.Fatalf("got %d results, want 3: %+v", len(res), res)
	}
	for _, r := range res[:2] {
		if !r.Passed() {
			t.Errorf("%s (line %d) failed: %v\n%s", r.Name, r.Line, r.Err, r.Diff)
		}
	}
	wantDiff := `missing findings:
  - {rule: ipvs-dns-vip-missing, node: node-b, severity: critical}
unexpected findings:
  - {rule: ipvs-dns-vip-missing, node: node-a, severity: critical}  # no IPVS virtual service for UDP 10.96.0.10:53 (2 virtual services in the table)
`
	if r := res[2]; r.Passed() || r.Err != nil || r.Diff != wantDiff || r.Line != 17 {
		t.Errorf("failing case: line %d, err %v, diff\n%s\nwant line 17, diff\n%s", r.Line, r.Err, r.Diff, wantDiff)
	}
}

func TestRunTestsFilter(t *testing.T) {
	files, err := ReadTestFiles("testdata/ruletests/ipvs-dns-vip-missing_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := RunTests(packEngine(t), files, ".", buildJSON, regexp.MustCompile(`^ipvs-dns-vip-missing/insufficient`))
	if len(res) != 1 || res[0].Name != "insufficient data without a DNS Service IP" || !res[0].Passed() {
		t.Errorf("got %+v", res)
	}
}

func TestRunTestsErrors(t *testing.T) {
	files, err := ReadTestFiles("testdata/ruletests/broken_test.yaml", "testdata/ruletests/unknown_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := RunTests(packEngine(t), files, ".", buildJSON, nil)
	var got []string
	for _, r := range res {
		if r.Err == nil {
			t.Errorf("%s: no error", r.Name)
			continue
		}
		msg, _, _ := strings.Cut(r.Err.Error(), "\n")
		got = append(got, msg)
	}
	want := []string{
		`testdata/ruletests/broken_test.yaml:4:5: unknown key "wnat" in test; did you mean "want"?`,
		`testdata/ruletests/broken_test.yaml:2:5: test "a case with a typo" has no want (write want: [] for a quiet scenario)`,
		`want names rule "no-such-rule", which is not loaded`,
		`building facts from testdata/clusters/missing.json: open testdata/clusters/missing.json: no such file or directory`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTestFilesFSFindsOnlyTestFiles(t *testing.T) {
	files, err := TestFilesFS(os.DirFS("testdata/ruletests"), "testdata/ruletests")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	want := "testdata/ruletests/broken_test.yaml testdata/ruletests/ipvs-dns-vip-missing_test.yaml testdata/ruletests/unknown_test.yaml"
	if strings.Join(names, " ") != want {
		t.Errorf("got %v", names)
	}
}

// TestRulesTestTakesAnAbsoluteBundlePath: an absolute bundle path is used as
// given, not joined onto the base folder (it was read as base+/abs/path).
func TestRulesTestTakesAnAbsoluteBundlePath(t *testing.T) {
	abs, err := filepath.Abs("testdata/clusters/ipvs-udp-missing.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "abs_test.yaml")
	body := "tests:\n  - name: absolute\n    bundle: " + filepath.ToSlash(abs) + "\n    want:\n      - {rule: ipvs-dns-vip-missing, node: node-a, severity: critical}\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := ReadTestFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	// The base folder is elsewhere: a join would name a file that is not there.
	res := RunTests(packEngine(t), files, t.TempDir(), buildJSON, nil)
	if len(res) != 1 || !res[0].Passed() {
		t.Errorf("got %+v", res)
	}
}
