package collect

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	pcollect "github.com/podnetdiag/podnetdiag/pkg/collect"
)

func TestFlagsBecomeOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Options
	}{
		{"defaults", nil, Options{CaptureSeconds: 15, Timeout: 60 * time.Second, ItemTimeout: 10 * time.Second, Root: "/"}},
		{"every flag", []string{"-o", "x.tgz", "--capture-seconds", "3", "--interfaces", "eth0,tunl0", "--no-capture",
			"--kubeconfig", "k", "--timeout", "30s", "--item-timeout", "2s", "--root", "/host", "-q"},
			Options{Output: "x.tgz", CaptureSeconds: 3, Interfaces: []string{"eth0", "tunl0"}, NoCapture: true, Kubeconfig: "k",
				Timeout: 30 * time.Second, ItemTimeout: 2 * time.Second, Root: "/host", Quiet: true}},
		{"an obfuscation key implies --obfuscate", []string{"--obfuscate-key", "m.json"},
			Options{CaptureSeconds: 15, Timeout: 60 * time.Second, ItemTimeout: 10 * time.Second, Root: "/", Obfuscate: true, ObfuscateKeyFile: "m.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *Options
			cmd := NewCmdCollect(&bytes.Buffer{}, &bytes.Buffer{}, func(o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Interfaces, ",") != strings.Join(tt.want.Interfaces, ",") {
				t.Errorf("interfaces %v", got.Interfaces)
			}
			got.Interfaces, tt.want.Interfaces = nil, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestUsageErrorsExitWith2(t *testing.T) {
	for _, args := range [][]string{{"--capture-seconds", "-1"}, {"--no-such-flag"}, {"extra-arg"}} {
		var errb bytes.Buffer
		if code := Main(args, &bytes.Buffer{}, &errb); code != ExitUsage {
			t.Errorf("%v: exit %d (%s)", args, code, errb.String())
		}
	}
}

// TestCaptureSecondsOutOfRangeIsRejected: a window that would overflow the
// duration (and silently skip the capture) or outlast any sane run is a usage
// error naming the allowed range; nothing is collected.
func TestCaptureSecondsOutOfRangeIsRejected(t *testing.T) {
	for _, v := range []string{"-1", "601", "9223372037", "99999999999999"} {
		var errb bytes.Buffer
		ran := false
		cmd := NewCmdCollect(&bytes.Buffer{}, &errb, func(*Options) error { ran = true; return nil })
		cmd.SetArgs([]string{"--capture-seconds", v})
		err := cmd.Execute()
		if err == nil || ran {
			t.Errorf("--capture-seconds %s accepted", v)
			continue
		}
		if code := Main([]string{"--capture-seconds", v}, &bytes.Buffer{}, &errb); code != ExitUsage || !strings.Contains(errb.String(), "allowed 0 to 600") && !strings.Contains(errb.String(), "invalid argument") {
			t.Errorf("--capture-seconds %s: exit %d, %q", v, code, errb.String())
		}
	}
	for _, v := range []string{"0", "600"} {
		cmd := NewCmdCollect(&bytes.Buffer{}, &bytes.Buffer{}, func(*Options) error { return nil })
		cmd.SetArgs([]string{"--capture-seconds", v})
		if err := cmd.Execute(); err != nil {
			t.Errorf("--capture-seconds %s refused: %v", v, err)
		}
	}
}

func TestTheSummaryListsTheBundleAndTheFailedItems(t *testing.T) {
	res := &pcollect.Result{
		Path: "node-a.tgz", Size: 3 << 20, Duration: 2 * time.Second,
		Manifest: &bundle.Manifest{Items: []bundle.Item{{Path: "a", Status: "ok"}, {Path: "b", Status: "skipped"}, {Path: "c", Status: "error"}}},
		Failed:   []bundle.Item{{Path: "net/iptables-save.txt", Status: "error", Error: "timeout after 10s (process group killed)"}},
	}
	var b bytes.Buffer
	printSummary(&b, res)
	for _, want := range []string{"bundle: node-a.tgz (3.0 MiB, 3 items, 2s)", "The following items failed", "net/iptables-save.txt", "timeout after 10s", "(1 items skipped"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	res.Failed = nil
	printSummary(&b, res)
	if !strings.Contains(b.String(), "no item failed") {
		t.Errorf("summary:\n%s", b.String())
	}
}

// TestVersion: --version prints the build and collects nothing.
func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"--version"}, &out, &errb); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "collect ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("--version printed %q, want 'collect VERSION ... goX'", out.String())
	}
}
