package analyze

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// reshaped returns a scenario unlike the shipped ones: the healthy VXLAN
// cluster with other node names, underlay, pod and Service addresses and
// distribution, so that a test does not pass by matching the fixtures the
// rules were written against.
func reshaped(t *testing.T) *txtar.Archive {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "bundles", "vxlan-healthy.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer(
		"cp-1", "ctrl-east-0", "worker-1", "gpu-node-a", "worker-2", "gpu-node-b",
		"192.168.20.", "10.31.7.", "172.22.", "100.72.",
		"10.96.0.10", "10.100.0.10", "10.96.0.1:", "10.100.0.1:",
		"eth0", "ens192", "5.15.0-91-generic #101-Ubuntu SMP", "5.14.0-427.el9.x86_64 #1 SMP PREEMPT_DYNAMIC",
	)
	a := txtar.Parse([]byte(r.Replace(string(data))))
	a.Comment = []byte("vxlan-healthy, renamed and readdressed\n")
	return a
}

// setFile replaces (or adds) one file of a scenario.
func setFile(a *txtar.Archive, name, body string) {
	for i := range a.Files {
		if a.Files[i].Name == name {
			a.Files[i].Data = []byte(body)
			return
		}
	}
	a.Files = append(a.Files, txtar.File{Name: name, Data: []byte(body)})
}

func writeArchive(t *testing.T, a *txtar.Archive) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cluster.txtar")
	if err := os.WriteFile(p, txtar.Format(a), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// jsonReport runs analyze -o json and decodes the report.
func jsonReport(t *testing.T, args ...string) (int, map[string]any, string) {
	t.Helper()
	code, out, errOut := run(append([]string{"-o", "json"}, args...)...)
	var m map[string]any
	if out != "" {
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("report is not JSON: %v\n%s", err, out)
		}
	}
	return code, m, errOut
}

func findingsOf(m map[string]any) []map[string]any {
	var out []map[string]any
	fs, _ := m["findings"].([]any)
	for _, f := range fs {
		out = append(out, f.(map[string]any))
	}
	return out
}

func TestReshapedScenarioIsHealthy(t *testing.T) {
	p := writeArchive(t, reshaped(t))
	code, m, errOut := jsonReport(t, "--fail-on", "warning", p)
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%v", code, errOut, findingsOf(m))
	}
}

// TestUnreadableDataNeverReadsAsEmpty (issue 11 item 4): an IPVS table or a
// route table that holds an error message, prose or nothing is "not known":
// the rules that need it are not checked, no critical is built on it, and
// --fail-on critical does not fire.
func TestUnreadableDataNeverReadsAsEmpty(t *testing.T) {
	bodies := map[string]string{
		"prose":              "hello world\n",
		"command not found":  "Command \"ipvsadm\" not found, but can be installed with:\napt install ipvsadm\n",
		"shell error":        "bash: line 1: /usr/sbin/ip: Permission denied\n",
		"nothing":            "",
		"a prompt and blank": "# ipvsadm -Ln\n\n",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			a := reshaped(t)
			setFile(a, "gpu-node-b/ipvs/ipvsadm-Ln.txt", body)
			setFile(a, "ctrl-east-0/net/ip-route.txt", body)
			p := writeArchive(t, a)
			code, m, errOut := jsonReport(t, "--fail-on", "critical", p)
			if code != ExitOK {
				t.Fatalf("exit %d, want %d: %s", code, ExitOK, errOut)
			}
			notChecked := map[string]bool{}
			for _, f := range findingsOf(m) {
				if f["severity"] != "info" {
					t.Errorf("finding on unreadable data: %v", f)
				}
				if f["insufficient"] == true {
					notChecked[f["rule"].(string)+"@"+f["node"].(string)] = true
				}
			}
			for _, want := range []string{"ipvs-dns-vip-missing@gpu-node-b", "route-pod-block-missing@ctrl-east-0"} {
				if !notChecked[want] {
					t.Errorf("%s is not reported as not checked; not checked: %v", want, notChecked)
				}
			}
			if dq, _ := json.Marshal(m["dataQuality"]); !strings.Contains(string(dq), "not known") {
				t.Errorf("the JSON's data quality does not say the files are not known: %s", dq)
			}
		})
	}
	// Both of a node's core tables unreadable: the node cannot be judged, so a
	// --fail-on gate cannot pass.
	a := reshaped(t)
	setFile(a, "gpu-node-a/ipvs/ipvsadm-Ln.txt", "sh: ipvsadm: command not found\n")
	setFile(a, "gpu-node-a/net/ip-route.txt", "sh: ip: command not found\n")
	p := writeArchive(t, a)
	if code, _, errOut := jsonReport(t, "--fail-on", "critical", p); code != ExitInput || !strings.Contains(errOut, "gpu-node-a") {
		t.Errorf("exit %d (stderr %q), want %d naming gpu-node-a", code, errOut, ExitInput)
	}
	if code, _, errOut := jsonReport(t, p); code != ExitOK {
		t.Errorf("without --fail-on: exit %d (%s), want the report and %d", code, errOut, ExitOK)
	}
}

// materialize writes a scenario's node folders under dir and returns their
// paths, in name order.
func materialize(t *testing.T, a *txtar.Archive, dir string) []string {
	t.Helper()
	seen := map[string]bool{}
	var nodes []string
	for _, f := range a.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		top, _, _ := strings.Cut(f.Name, "/")
		if !seen[top] {
			seen[top] = true
			nodes = append(nodes, filepath.Join(dir, top))
		}
	}
	slices.Sort(nodes)
	return nodes
}

// tgzOf packs files (name -> content) into a gzip-compressed tar.
func tgzOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nodeTgz packs one node folder of a scenario as the collector would.
func nodeTgz(t *testing.T, a *txtar.Archive, node string) []byte {
	files := map[string][]byte{}
	for _, f := range a.Files {
		if strings.HasPrefix(f.Name, node+"/") {
			files[f.Name] = f.Data
		}
	}
	return tgzOf(t, files)
}

// TestNoAllClearOnNothing (issue 8 item 1): a path that holds no bundle exits
// 2 saying what was expected, with or without --fail-on; a folder or tarball
// of node bundles gives the report naming each node gives.
func TestNoAllClearOnNothing(t *testing.T) {
	work := t.TempDir()
	empty := filepath.Join(work, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(work, "notes")
	if err := os.MkdirAll(filepath.Join(notes, "node-q", "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notes, "node-q", "net", "README.md"), []byte("pasted nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"/etc", "/etc"}, {"an empty folder", empty}, {"a bundle with none of the layout's files", filepath.Join(notes, "node-q")},
		{"a folder of folders with none", notes},
	} {
		for _, extra := range [][]string{nil, {"--fail-on", "warning"}, {"-o", "json"}} {
			t.Run(tc.name+strings.Join(extra, " "), func(t *testing.T) {
				code, out, errOut := run(append(extra, tc.path)...)
				if code != ExitInput {
					t.Fatalf("exit %d, want %d; stdout:\n%s", code, ExitInput, out)
				}
				if out != "" || !strings.Contains(errOut, "holds no node bundle") || !strings.Contains(errOut, "net/ip-route.txt") {
					t.Errorf("stdout %q, stderr %q: want no report and a message saying what was expected", out, errOut)
				}
			})
		}
	}

	// One cluster, sent four ways.
	a := reshaped(t)
	folders := materialize(t, a, filepath.Join(work, "folders"))
	tgzDir := filepath.Join(work, "tgzs")
	if err := os.Mkdir(tgzDir, 0o755); err != nil {
		t.Fatal(err)
	}
	inner := map[string][]byte{}
	var tgzs []string
	for _, n := range folders {
		name := filepath.Base(n)
		data := nodeTgz(t, a, name)
		inner["from-customer/"+name+"-20260105T101010Z.tgz"] = data
		p := filepath.Join(tgzDir, name+"-20260105T101010Z.tgz")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tgzs = append(tgzs, p)
	}
	tarOfTars := filepath.Join(work, "ticket.tgz")
	if err := os.WriteFile(tarOfTars, tgzOf(t, inner), 0o644); err != nil {
		t.Fatal(err)
	}
	nodeFiles := map[string][]byte{}
	for _, f := range a.Files {
		nodeFiles["export/"+f.Name] = f.Data
	}
	tarOfFolders := filepath.Join(work, "export.tgz")
	if err := os.WriteFile(tarOfFolders, tgzOf(t, nodeFiles), 0o644); err != nil {
		t.Fatal(err)
	}

	render := func(args ...string) (string, string) {
		t.Helper()
		code, out, errOut := run(append([]string{"--color", "never"}, args...)...)
		if code != ExitOK {
			t.Fatalf("analyze %v: exit %d: %s", args, code, errOut)
		}
		_, m, _ := jsonReport(t, args...)
		// Where each node came from differs by construction; the rest may not.
		delete(m, "inputs")
		delete(m, "analyzedAt")
		for _, n := range m["nodes"].([]any) {
			delete(n.(map[string]any), "bundle")
		}
		js, _ := json.Marshal(m)
		return out, string(js)
	}
	wantText, wantJSON := render(folders...)
	if !strings.Contains(wantText, "3 node(s)") {
		t.Fatalf("naming each node did not analyse three nodes:\n%s", wantText)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"a folder of node folders", []string{filepath.Join(work, "folders")}},
		{"a folder of node tarballs", []string{tgzDir}},
		{"the node tarballs named", tgzs},
		{"a tarball of tarballs", []string{tarOfTars}},
		{"a tarball of node folders", []string{tarOfFolders}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, js := render(tc.args...)
			if text != wantText {
				t.Errorf("text report differs from naming each node:\n%s", firstDiff(wantText, text))
			}
			if js != wantJSON {
				t.Errorf("JSON report differs from naming each node:\n%s", firstDiff(wantJSON, js))
			}
		})
	}
}

// dropUDPDNS removes the UDP DNS virtual service from every node's IPVS
// table: the same fault, one cause, on all nodes.
func dropUDPDNS(a *txtar.Archive) {
	for i, f := range a.Files {
		if !strings.HasSuffix(f.Name, "/ipvs/ipvsadm-Ln.txt") {
			continue
		}
		var keep []string
		skip := false
		for _, l := range strings.Split(string(f.Data), "\n") {
			if strings.HasPrefix(l, "UDP  10.100.0.10:53 ") {
				skip = true
				continue
			}
			if skip && strings.HasPrefix(l, "  ->") {
				continue
			}
			skip = false
			keep = append(keep, l)
		}
		a.Files[i].Data = []byte(strings.Join(keep, "\n"))
	}
}

// TestRootCauseFirst (issue 8 item 5): every format leads with the root cause
// and its evidence, then the stages, then the other findings grouped; one
// fault on many nodes is shown once with its nodes; --node, --rule and
// --min-severity narrow the list but not the verdict.
func TestRootCauseFirst(t *testing.T) {
	a := reshaped(t)
	dropUDPDNS(a)
	p := writeArchive(t, a)
	// The DNS Service IP is given: with its UDP service gone from every
	// table, nothing in these bundles names it for sure.
	run := func(args ...string) (int, string, string) {
		return run(append([]string{"--dns-service-ip", "10.100.0.10"}, args...)...)
	}
	jsonReport := func(t *testing.T, args ...string) (int, map[string]any, string) {
		return jsonReport(t, append([]string{"--dns-service-ip", "10.100.0.10"}, args...)...)
	}

	code, text, errOut := run("--color", "never", p)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	inOrder := func(format, out string, marks ...string) {
		t.Helper()
		last := -1
		for _, m := range marks {
			i := strings.Index(out, m)
			if i < 0 {
				t.Errorf("%s: %q missing:\n%s", format, m, out)
				return
			}
			if i < last {
				t.Errorf("%s: %q comes before what precedes it in %q", format, m, marks)
			}
			last = i
		}
	}
	inOrder("text", text, "Root cause: ipvs-dns-vip-missing", "The same on all 3 nodes", "> ", "fix:", "Runbook stages", "Not checked", "Data quality")
	if n := strings.Count(text, "no IPVS virtual service for UDP 10.100.0.10:53"); n != 1 {
		t.Errorf("text: the one fault on three nodes is shown %d times, want once:\n%s", n, text)
	}

	_, md, _ := run("-o", "markdown", p)
	inOrder("markdown", md, "### Root cause: `ipvs-dns-vip-missing`", "The same on all 3 nodes", "```", "### Runbook stages", "### Not checked", "### Data quality")

	_, raw, _ := run("-o", "json", p)
	inOrder("json", raw, "\n  \"rootCause\": {", "\n    \"evidence\"", "\n  \"stages\"", "\n  \"findingGroups\"", "\n  \"findings\"", "\n  \"cluster\"", "\n  \"nodes\"")
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "cluster", "nodes", "stages", "findings", "rootCause"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks the contract's key %q", k)
		}
	}
	found := false
	for _, g := range m["findingGroups"].([]any) {
		g := g.(map[string]any)
		if g["rule"] == "ipvs-dns-vip-missing" && g["severity"] == "critical" && strings.Contains(g["message"].(string), "UDP") {
			found = true
			if len(g["nodes"].([]any)) != 3 || g["of"] != float64(3) || g["rootCause"] != true {
				t.Errorf("group %v: want the root cause on 3 of 3 nodes", g)
			}
		}
	}
	if !found {
		t.Errorf("no group for the UDP DNS fault: %v", m["findingGroups"])
	}

	// Filters narrow the list; the verdict and the gate see everything.
	for _, tc := range []struct {
		name string
		args []string
		keep func(f map[string]any) bool
	}{
		{"--node", []string{"--node", "gpu-node-b"}, func(f map[string]any) bool { return f["node"] == "gpu-node-b" || f["peer"] == "gpu-node-b" }},
		{"--rule", []string{"--rule", "link-tunnel-one-way,dns-queries-unanswered"}, func(f map[string]any) bool {
			return f["rule"] == "link-tunnel-one-way" || f["rule"] == "dns-queries-unanswered"
		}},
		{"--min-severity", []string{"--min-severity", "warning"}, func(f map[string]any) bool { return f["severity"] != "info" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, fm, errOut := jsonReport(t, append(tc.args, p)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			fs := findingsOf(fm)
			if len(fs) == 0 || len(fs) >= len(findingsOf(m)) {
				t.Errorf("%d findings listed of %d: the filter did not narrow", len(fs), len(findingsOf(m)))
			}
			for _, f := range fs {
				if !tc.keep(f) {
					t.Errorf("filter %v let through %v", tc.args, f)
				}
			}
			if rc, _ := fm["rootCause"].(map[string]any); rc == nil || rc["rule"] != "ipvs-dns-vip-missing" {
				t.Errorf("the filter changed the root cause: %v", fm["rootCause"])
			}
		})
	}
	if code, _, _ := run("--rule", "link-tunnel-one-way", "--fail-on", "critical", p); code != ExitFindings {
		t.Errorf("a filter hid the critical from --fail-on: exit %d", code)
	}
	for _, bad := range [][]string{{"--node", "gpu-node-z"}, {"--rule", "no-such-rule"}, {"--min-severity", "major"}} {
		if code, _, errOut := run(append(bad, p)...); code != ExitInput || !strings.Contains(errOut, "allowed") {
			t.Errorf("%v: exit %d (%s), want %d listing what is allowed", bad, code, errOut, ExitInput)
		}
	}
}

// TestTerminalEscapes (issue 11 item 3): bundle content that holds terminal
// control sequences reaches the text and Markdown reports escaped, and the
// JSON exactly.
func TestTerminalEscapes(t *testing.T) {
	const hostile = "\x1b]0;owned\x07\x1b[2J\x1b[1A\r CRITICAL none \u202etxt.exe\u009b31m ``` </pre>"
	a := reshaped(t)
	for i, f := range a.Files {
		if f.Name == "gpu-node-b/host/sysctl.txt" {
			a.Files[i].Data = []byte(strings.Replace(string(f.Data), "net.ipv4.conf.all.rp_filter = 1", "net.ipv4.conf.all.rp_filter = 2", 1))
		}
		if f.Name == "gpu-node-b/logs/calico-node.log" {
			a.Files[i].Data = append(f.Data, []byte("2026-01-05 10:00:00.000 [FATAL][67] felix/int_dataplane.go 1035: Kernel's RPF check is set to 'loose'. "+hostile+"\n")...)
		}
	}
	p := writeArchive(t, a)
	for _, format := range []string{"text", "markdown"} {
		code, out, errOut := run("-o", format, "--color", "never", p)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		if !strings.Contains(out, "sysctl-rp-filter-loose") || !strings.Contains(out, `\x1b]0;owned\x07\x1b[2J`) {
			t.Fatalf("%s: the hostile log line is not shown escaped:\n%s", format, out)
		}
		for i, r := range out {
			if r != '\n' && unsafeForTerminal(r) {
				t.Errorf("%s: raw control %U at byte %d: %q", format, r, i, out[max(0, i-30):min(len(out), i+30)])
				break
			}
		}
		if format == "markdown" && strings.Contains(out, "``` </pre>") && !strings.Contains(out, "````") {
			t.Errorf("markdown: a backtick run from the data can close the code fence")
		}
	}
	_, m, _ := jsonReport(t, p)
	raw, _ := json.Marshal(m["rootCause"])
	if !strings.Contains(string(raw), `\u001b]0;owned\u0007\u001b[2J`) {
		t.Errorf("JSON does not carry the line exactly: %s", raw)
	}
}

func unsafeForTerminal(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e || r == 0xfffd
}
