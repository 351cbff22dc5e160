package collect

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/fleet"
)

func TestClusterFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"nodes and selector exclude each other", []string{"cluster", "-o", "d", "--nodes", "a", "--selector", "x=y"}, ExitUsage},
		{"an output folder is required", []string{"cluster"}, ExitUsage},
		{"negative parallelism", []string{"cluster", "-o", "d", "--max-parallel", "-1"}, ExitUsage},
		{"a bad capture start of a node pod", []string{"--capture-at", "soon"}, ExitUsage},
		{"a bad hint", []string{"--hint-peers", "10.0.0.300"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := Main(tt.args, &bytes.Buffer{}, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, stderr.String())
			}
		})
	}
}

func TestClusterFlagsBecomeOptions(t *testing.T) {
	var got *ClusterOptions
	cmd := newCmdCluster(&bytes.Buffer{}, &bytes.Buffer{}, func(o *ClusterOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-o", "out", "--nodes", "a,b", "--max-parallel", "20", "--image", "r/c:1", "--capture-seconds", "5"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Output != "out" || strings.Join(got.Nodes, ",") != "a,b" || got.MaxParallel != 20 || got.Image != "r/c:1" ||
		got.CaptureSeconds != 5 || got.Namespace != fleet.DefaultNamespace || got.StartDelay != fleet.DefaultStartDelay {
		t.Errorf("%+v", got)
	}
}

func TestTheSummarySaysPartialWithItsOwnExitCode(t *testing.T) {
	ok := fleet.NodeResult{Node: "a", Bundle: "out/a.tgz"}
	bad := fleet.NodeResult{Node: "b", Err: errors.New("pod did not start (ImagePullBackOff)")}
	tests := []struct {
		name  string
		nodes []fleet.NodeResult
		code  int
	}{
		{"all", []fleet.NodeResult{ok}, ExitOK},
		{"some", []fleet.NodeResult{ok, bad}, ExitPartial},
		{"none", []fleet.NodeResult{bad}, ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := clusterSummary(&stdout, &stderr, &fleet.Result{Run: "r", Nodes: tt.nodes})
			code := ExitOK
			var ee exitError
			switch {
			case errors.As(err, &ee):
				code = ee.code
			case err != nil:
				code = ExitError
			}
			if code != tt.code {
				t.Errorf("code %d, want %d (%v)", code, tt.code, err)
			}
			if tt.code != ExitOK && !strings.Contains(stderr.String(), "b                              pod did not start") {
				t.Errorf("failed node not listed:\n%s", stderr.String())
			}
		})
	}
}

func TestAStreamedBundleUnpacksToTheSameBytes(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "node-a-20260101T000000Z.tgz")
	data := bytes.Repeat([]byte{0, 1, 2, 0xff}, 5000)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	log.WriteString("collecting node node-a\n")
	if err := streamBundle(&log, src); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var progress bytes.Buffer
	p, err := unpack(&log, out, &progress)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if p != filepath.Join(out, "node-a-20260101T000000Z.tgz") || !bytes.Equal(got, data) || progress.String() != "collecting node node-a\n" {
		t.Errorf("unpacked %s (%d bytes), progress %q", p, len(got), progress.String())
	}
	// A cut log leaves nothing under the final name.
	cut := log.Bytes()[:log.Len()/2]
	if _, err := unpack(bytes.NewReader(cut), t.TempDir(), &progress); err == nil {
		t.Error("a cut log unpacked")
	}
}
