package analyze

import (
	"encoding/json"
	"os"
	"path/filepath"
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
