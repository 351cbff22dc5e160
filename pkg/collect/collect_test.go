package collect

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iproute"
)

func TestAHealthyFakeNodeGivesTheLayoutsFilesInCommandFormat(t *testing.T) {
	f := newFakeNode(t)
	f.script("iptables-save", `echo '*filter'; echo ':INPUT ACCEPT [10:20]'; echo 'COMMIT'`)
	out := filepath.Join(t.TempDir(), "b.tgz")
	res, files, top := collectOK(t, f.options(out))
	if top != "node-a-20240501T101500Z" {
		t.Errorf("top folder %q", top)
	}
	if res.Path != out || res.Size <= 0 {
		t.Errorf("result %+v", res)
	}
	if got := string(files[bundle.UnamePath]); got != "Linux node-a 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 "+mustMachine(t)+" GNU/Linux\n" {
		t.Errorf("uname.txt = %q", got)
	}
	if string(files[bundle.HostnamePath]) != "node-a\n" {
		t.Errorf("hostname = %q", files[bundle.HostnamePath])
	}
	r, diags := iproute.Parse(files[bundle.IPRoutePath])
	if len(diags) != 0 || len(r.Routes) != 3 {
		t.Errorf("ip-route.txt: %d routes, diags %v", len(r.Routes), diags)
	}
	// route-get covers the DNS Service (kubeadm default here) and the IPIP peer.
	rg := string(files[bundle.RouteGetPath])
	for _, want := range []string{"# ip route get 10.96.0.10\n", "# ip route get 192.168.20.12\n"} {
		if !strings.Contains(rg, want) {
			t.Errorf("route-get.txt lacks %q:\n%s", want, rg)
		}
	}
	if it := item(t, res, bundle.IPTablesSavePath); it.Status != bundle.StatusOK || it.Command != "iptables-save -c" || it.ExitCode == nil || *it.ExitCode != 0 {
		t.Errorf("iptables-save item %+v", it)
	}
	if it := item(t, res, bundle.IPRoutePath); it.Source != bundle.SourceNetlink {
		t.Errorf("ip-route source %q, want netlink", it.Source)
	}
	if len(res.Failed) != 0 {
		t.Errorf("failed items: %+v", res.Failed)
	}
	if _, err := os.Stat(out + ".mapping.json"); err == nil {
		t.Error("a mapping file was written without --obfuscate")
	}
}

func mustMachine(t *testing.T) string {
	m, err := unameMachine()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFailuresAreRecordedAndNeverStopTheRun(t *testing.T) {
	f := newFakeNode(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "sleep.pid")
	// A command that hangs, with a child that must die with it.
	f.script("iptables-save", "/bin/sleep 100 &\necho $! > "+pidFile+"\nwait")
	// A command that fails after printing part of its output.
	f.script("ipset", "echo 'Name: cali40all-hosts-net'\necho 'ipset: kernel error' >&2\nexit 3")
	// A /proc file replaced by a FIFO: opening it for reading would block.
	if err := syscall.Mkfifo(filepath.Join(f.root, "proc/net/snmp"), 0o644); err != nil {
		os.Remove(filepath.Join(f.root, "proc/net/snmp"))
		if err := syscall.Mkfifo(filepath.Join(f.root, "proc/net/snmp"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := f.options(filepath.Join(dir, "b.tgz"))
	o.ItemTimeout = time.Second
	// The native route reader fails, and `ip` is not in PATH.
	o.Native.IPRoute = func() ([]byte, error) { return nil, errors.New("netlink: dump interrupted") }
	// A native reader that hangs (an ioctl stuck in a driver).
	o.Native.IPNeigh = func() ([]byte, error) { time.Sleep(30 * time.Second); return nil, nil }

	start := time.Now()
	res, files, _ := collectOK(t, o)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the run took %s despite 1 s item timeouts", d)
	}

	tests := []struct {
		path, status, errPart string
		partial               bool
	}{
		{bundle.IPTablesSavePath, bundle.StatusError, "timeout after 1s", false},
		{bundle.IPSetListPath, bundle.StatusError, "ipset: kernel error", true},
		{bundle.CountersBeforeDir + "/proc-net-snmp", bundle.StatusError, "not a regular file", false},
		{bundle.IPRoutePath, bundle.StatusError, "netlink: dump interrupted; fallback `ip route show`: command not found", false},
		{bundle.IPNeighPath, bundle.StatusError, "timeout after 1s", false},
		{bundle.NFTRulesetPath, bundle.StatusSkipped, "nft: command not found in PATH", false},
		{bundle.KubeNodesPath, bundle.StatusSkipped, "no kubeconfig or in-cluster credentials", false},
		{bundle.CalicoEnvPath, bundle.StatusSkipped, "no calico-node process", false},
		{bundle.CalicoNodeLogPath, bundle.StatusSkipped, "no calico-node container log", false},
	}
	for _, tt := range tests {
		it := item(t, res, tt.path)
		if it.Status != tt.status || !strings.Contains(it.Error, tt.errPart) || it.Partial != tt.partial {
			t.Errorf("%s: status %q error %q partial %v; want %q containing %q, partial %v", tt.path, it.Status, it.Error, it.Partial, tt.status, tt.errPart, tt.partial)
		}
	}
	if it := item(t, res, bundle.IPSetListPath); it.ExitCode == nil || *it.ExitCode != 3 {
		t.Errorf("ipset exit code %v, want 3", it.ExitCode)
	}
	if string(files[bundle.IPSetListPath]) != "Name: cali40all-hosts-net\n" {
		t.Errorf("partial output not kept: %q", files[bundle.IPSetListPath])
	}
	if it := item(t, res, bundle.IPTablesSavePath); it.ExitCode != nil || it.DurationMs > 3500 {
		t.Errorf("killed command: exit code %v, %d ms", it.ExitCode, it.DurationMs)
	}
	for _, p := range []string{bundle.IPTablesSavePath, bundle.IPRoutePath, bundle.CountersBeforeDir + "/proc-net-snmp"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s written although it failed", p)
		}
	}
	// The other sources are there.
	for _, p := range []string{bundle.IPLinkPath, bundle.UnamePath, bundle.SysctlPath, bundle.ResolvConfPath} {
		if len(files[p]) == 0 {
			t.Errorf("%s missing", p)
		}
	}
	failed := map[string]bool{}
	for _, it := range res.Failed {
		failed[it.Path] = true
	}
	if !failed[bundle.IPTablesSavePath] || !failed[bundle.IPRoutePath] || failed[bundle.NFTRulesetPath] {
		t.Errorf("Failed lists %v", res.Failed)
	}
	// The hung command's child was killed with its process group.
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	waitGone(t, pid)
}

// waitGone fails unless pid has exited (or is a zombie waiting for a reaper).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 50 {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("process %d of the timed-out command is still running", pid)
}

func TestTheWholeRunIsBoundedByItsTimeout(t *testing.T) {
	f := newFakeNode(t)
	for _, c := range []string{"iptables-save", "nft", "ipset", "conntrack", "ipvsadm"} {
		f.script(c, "/bin/sleep 100")
	}
	o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
	o.Workers = 1
	o.ItemTimeout = 10 * time.Second
	o.Timeout = 3 * time.Second
	start := time.Now()
	res, _, _ := collectOK(t, o)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("run took %s with --timeout 3s", d)
	}
	notRun := 0
	for _, it := range res.Manifest.Items {
		if strings.Contains(it.Error, "time limit") {
			notRun++
		}
	}
	if notRun == 0 {
		t.Errorf("no item says the run's time limit cut it: %+v", res.Manifest.Items)
	}
}

func TestWithoutRootTheBundleIsPartialAndSaysWhy(t *testing.T) {
	f := newFakeNode(t)
	f.script("iptables-save", "echo should-not-run")
	o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
	uid := 1000
	o.UID = &uid
	o.CaptureSeconds = 1
	o.Interfaces = []string{"eth0"}
	res, files, _ := collectOK(t, o)
	if !strings.Contains(o.Progress.(*syncBuffer).String(), "WARNING: not running as root (uid 1000)") {
		t.Errorf("no warning:\n%s", o.Progress.(*syncBuffer).String())
	}
	for _, p := range []string{bundle.IPTablesSavePath, bundle.IPVSPath, bundle.CalicoEnvPath, bundle.PcapDir + "/eth0.pcap", bundle.CountersBeforeDir + "/conntrack-stats.txt"} {
		if it := item(t, res, p); it.Status != bundle.StatusSkipped || !strings.Contains(it.Error, "needs root (running as uid 1000)") {
			t.Errorf("%s: %+v", p, it)
		}
	}
	if _, ok := files[bundle.IPTablesSavePath]; ok {
		t.Error("a root-only command ran")
	}
	if len(files[bundle.IPRoutePath]) == 0 || len(files[bundle.UnamePath]) == 0 {
		t.Error("sources that need no root are missing")
	}
}

func TestCollectFailsOnlyWhenTheBundleCannotBeWritten(t *testing.T) {
	f := newFakeNode(t)
	o := f.options(filepath.Join(t.TempDir(), "no", "such", "dir", "b.tgz"))
	if _, err := Collect(t.Context(), o); err == nil || !strings.Contains(err.Error(), "cannot write the bundle") {
		t.Fatalf("err = %v", err)
	}
}

func TestTheDefaultOutputIsNamedAfterTheNodeAndTime(t *testing.T) {
	f := newFakeNode(t)
	dir := t.TempDir()
	t.Chdir(dir)
	o := f.options("")
	res, _, _ := collectOK(t, o)
	if res.Path != "node-a-20240501T101500Z.tgz" {
		t.Errorf("path %q", res.Path)
	}
	// No temporary file is left next to it.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries", len(ents))
	}
}

func TestTailFile(t *testing.T) {
	dir := t.TempDir()
	var long strings.Builder
	for i := 1; i <= 5000; i++ {
		long.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	tests := []struct {
		name, in string
		n        int
		max      int64
		want     string
	}{
		{"keeps the last n lines", "a\nb\nc\nd\n", 2, 1 << 20, "c\nd\n"},
		{"keeps all of a short file", "a\nb\n", 10, 1 << 20, "a\nb\n"},
		{"keeps a last line without newline", "a\nb\nc", 2, 1 << 20, "b\nc"},
		{"cuts at a line start under the byte cap", "aaaa\nbbbb\ncccc\n", 100, 8, "cccc\n"},
		{"handles an empty file", "", 10, 100, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "f")
			os.WriteFile(p, []byte(tt.in), 0o644)
			got, err := tailFile(p, tt.n, tt.max)
			if err != nil || string(got) != tt.want {
				t.Errorf("tailFile = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	p := filepath.Join(dir, "long")
	os.WriteFile(p, []byte(long.String()), 0o644)
	got, _ := tailFile(p, 2000, 1<<20)
	if !strings.HasPrefix(string(got), "line 3001\n") || !strings.HasSuffix(string(got), "line 5000\n") {
		t.Errorf("tail of 5000 lines starts %q", string(got)[:20])
	}
}
