package analyze

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// repoRoot makes bundle paths in the reports what a user types.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestGolden renders every scenario bundle in the three formats and compares
// with testdata/golden; -update rewrites the files.
func TestGolden(t *testing.T) {
	root := repoRoot(t)
	t.Chdir(root)
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01T00:00:00Z
	ents, err := os.ReadDir("testdata/bundles")
	if err != nil {
		t.Fatal(err)
	}
	// A scenario is a .txtar file, or a folder of one bundle folder per node.
	scenarios := map[string][]string{}
	var names []string
	for _, e := range ents {
		p := filepath.Join("testdata", "bundles", e.Name())
		switch {
		case strings.HasSuffix(e.Name(), ".txtar"):
			scenarios[strings.TrimSuffix(e.Name(), ".txtar")] = []string{p}
		case e.IsDir():
			nodes, _ := filepath.Glob(filepath.Join(p, "*", "net"))
			for _, n := range nodes {
				scenarios[e.Name()] = append(scenarios[e.Name()], filepath.Dir(n))
			}
		default:
			continue
		}
		names = append(names, strings.TrimSuffix(e.Name(), ".txtar"))
	}
	if len(names) == 0 {
		t.Fatal("no scenario bundles")
	}
	for _, name := range names {
		b := scenarios[name]
		for _, f := range []struct{ flag, ext string }{{"json", "json"}, {"markdown", "md"}, {"text", "txt"}} {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				code, out, errOut := run(append([]string{"-o", f.flag, "--color", "never"}, b...)...)
				if code != ExitOK {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				golden := filepath.Join("testdata", "golden", name+"."+f.ext)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("updated %s", golden)
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/cli/analyze -update)", err)
				}
				if string(want) != out {
					t.Errorf("%s differs from the output (-update rewrites it):\n%s", golden, firstDiff(string(want), out))
				}
			})
		}
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return ""
}

func TestExitCodes(t *testing.T) {
	t.Chdir(repoRoot(t))
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"a healthy cluster passes --fail-on warning", []string{"--fail-on", "warning", "testdata/bundles/ipip-healthy.txtar"}, ExitOK},
		// Issue 10, item 7: the not-applicable route and tunnel checks are no
		// finding, and the stages that did judge (service-nat, kernel) let the gate pass.
		{"a healthy policy-only cluster passes --fail-on warning", []string{"--fail-on", "warning", "testdata/bundles/policy-only-aws-healthy.txtar"}, ExitOK},
		{"a policy denying DNS on a policy-only cluster fails --fail-on critical", []string{"--fail-on", "critical", "testdata/bundles/network-policy-denies-dns-policy-only.txtar"}, ExitFindings},
		// No Calico at all (a cloud CNI or flannel alone): Calico's checks
		// do not apply, the generic ones still gate.
		{"a healthy EKS cluster without Calico passes --fail-on warning", []string{"--fail-on", "warning", "testdata/bundles/no-calico-aws-vpc-cni-healthy.txtar"}, ExitOK},
		{"a healthy flannel cluster without Calico passes --fail-on warning", []string{"--fail-on", "warning", "testdata/bundles/no-calico-flannel-vxlan-healthy.txtar"}, ExitOK},
		{"a policy denying DNS without Calico fails --fail-on critical", []string{"--fail-on", "critical", "testdata/bundles/network-policy-denies-dns-no-calico.txtar"}, ExitFindings},
		{"a full conntrack table without Calico fails --fail-on critical", []string{"--fail-on", "critical", "testdata/bundles/conntrack-table-full-no-calico.txtar"}, ExitFindings},
		{"an unknown output format is a usage error", []string{"-o", "yaml", "testdata/bundles/ipip-healthy.txtar"}, ExitInput},
		{"an unknown --fail-on value is a usage error", []string{"--fail-on", "info", "testdata/bundles/ipip-healthy.txtar"}, ExitInput},
		{"no bundle is a usage error", nil, ExitInput},
		{"a missing bundle is unusable input", []string{"testdata/bundles/does-not-exist.tgz"}, ExitInput},
		{"an unknown flag is a usage error", []string{"--no-such-flag", "x"}, ExitInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.want, errOut)
			}
		})
	}
}

func TestFailOnFindings(t *testing.T) {
	t.Chdir(repoRoot(t))
	scen, _ := filepath.Glob("testdata/bundles/route-next-hop-wrong*.txtar")
	if len(scen) == 0 {
		t.Skip("scenario route-next-hop-wrong not present")
	}
	code, out, _ := run("--fail-on", "critical", "--color", "never", scen[0])
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	if !strings.Contains(out, "Root cause: route-next-hop-wrong") {
		t.Errorf("report does not name the root cause:\n%s", out)
	}
}

// TestInspectHostileArchive: one clear line on stderr, exit 2, nothing written
// outside the temporary folder.
func TestInspectHostileArchive(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := []byte("owned\n")
	if err := tw.WriteHeader(&tar.Header{Name: "node-a/../../escaped.txt", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "node-a.tgz")
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	code, out, errOut := run("inspect", archive)
	if code != ExitInput {
		t.Fatalf("exit %d, want %d", code, ExitInput)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
	if lines := strings.Count(strings.TrimRight(errOut, "\n"), "\n") + 1; lines != 1 || !strings.Contains(errOut, "escaped.txt") {
		t.Errorf("stderr %q: want one line naming the entry", errOut)
	}
	for _, p := range []string{filepath.Join(dir, "escaped.txt"), filepath.Join(filepath.Dir(dir), "escaped.txt")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary folder not cleaned: %v", ents)
	}
}

func TestInspectShowsCounts(t *testing.T) {
	t.Chdir(repoRoot(t))
	code, out, errOut := run("inspect", "testdata/bundles/ipip-healthy.txtar")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"== node-b",
		"ipvs/ipvsadm-Ln.txt",
		"4 services (TCP 3, UDP 1), 7 real servers",
		"tunl0 2",
		"diagnostics: none",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q", want)
		}
	}
}

// TestBadFlagValues: a mistyped flag value is an error that lists what is
// allowed, never silently replaced by a default.
func TestBadFlagValues(t *testing.T) {
	t.Chdir(repoRoot(t))
	b := "testdata/bundles/vxlan-healthy.txtar"
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"a DNS Service IP that is no address", []string{"--dns-service-ip", "notanip", b}, []string{"notanip", "allowed"}},
		{"a DNS Service IP with a prefix length", []string{"--dns-service-ip", "10.43.0.10/32", b}, []string{"10.43.0.10/32"}},
		{"a DNS Service IP on a sub-command", []string{"facts", "--dns-service-ip", "10.43.0.300", b}, []string{"10.43.0.300"}},
		{"a colour mode that does not exist", []string{"--color", "sometimes", b}, []string{"sometimes", "auto|always|never"}},
		{"an output format that does not exist", []string{"-o", "nosuch", b}, []string{"nosuch", "text|json|markdown"}},
		{"an inspect output format that does not exist", []string{"inspect", "-o", "markdown", b}, []string{"markdown", "text|json"}},
		{"a fail-on level that does not exist", []string{"--fail-on", "error", b}, []string{"error", "critical|warning"}},
		{"a zero bundle size limit", []string{"--max-bundle-size", "0", b}, []string{"--max-bundle-size"}},
		{"a negative entry limit", []string{"--max-entries", "-5", b}, []string{"--max-entries"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != ExitInput {
				t.Fatalf("exit %d, want %d (stderr %q)", code, ExitInput, errOut)
			}
			if out != "" {
				t.Errorf("a report was written despite the bad flag:\n%s", out)
			}
			for _, w := range tc.wants {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
	// A valid IPv6 address and an IPv4-mapped one are accepted.
	for _, ip := range []string{"fd00:10:96::a", "::ffff:10.43.0.10"} {
		if code, _, errOut := run("--dns-service-ip", ip, "-o", "json", b); code == ExitInput {
			t.Errorf("--dns-service-ip %s refused: %s", ip, errOut)
		}
	}
}

// TestVersion: --version names the build; it needs no bundle.
func TestVersion(t *testing.T) {
	code, out, errOut := run("--version")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "analyze ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version printed %q, want 'analyze VERSION ... goX'", out)
	}
}
