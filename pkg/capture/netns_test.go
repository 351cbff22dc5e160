package capture_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
)

// checkKernelVXLAN checks a capture made by hack/make-vxlan-capture.sh: node A's
// underlay with 22 DNS queries through vxlan.calico, 2 of them unanswered.
func checkKernelVXLAN(t *testing.T, s *capture.Summary) {
	t.Helper()
	equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{
		"192.168.77.11>192.168.77.12 vxlan/4096": 22,
		"192.168.77.12>192.168.77.11 vxlan/4096": 20,
	})
	d := dnsServer(s, "10.244.2.7")
	if d.Queries != 22 || d.InTunnel != 22 || d.Answered != 20 || d.Unanswered != 0 || d.PendingAtEnd != 2 {
		t.Errorf("DNS: %+v", d)
	}
	if len(s.DNSUnanswered) != 2 || s.DNSUnanswered[0].Name != "drop20.example.com." || !s.DNSUnanswered[0].InTunnel || s.DNSUnanswered[0].Client.Addr().String() != "10.244.1.5" {
		t.Errorf("unanswered: %+v", s.DNSUnanswered)
	}
	tf := findTunnel(s, "192.168.77.11", "192.168.77.12")
	if len(tf.Inner) != 1 || tf.Inner[0].Packets != 22 || tf.Inner[0].DstPort != 53 {
		t.Errorf("inner flows: %+v", tf.Inner)
	}
	if s.Undecodable.Count != 0 || s.NonIP == 0 {
		t.Errorf("undecodable %+v, non-IP %d (the underlay ARP)", s.Undecodable, s.NonIP)
	}
}

func TestKernelVXLANCaptureIsSummarised(t *testing.T) {
	s, ds := summarizeFile(t, filepath.Join("testdata", "vxlan-netns.pcap"))
	if len(ds) != 0 {
		t.Errorf("diagnostics: %v", ds)
	}
	checkKernelVXLAN(t, s)
}

// TestMakeVXLANCaptureScript makes a fresh capture with the kernel's VXLAN, as
// the committed one was made.
func TestMakeVXLANCaptureScript(t *testing.T) {
	if testing.Short() {
		t.Skip("makes network namespaces")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	for _, tool := range []string{"ip", "tcpdump", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	out := filepath.Join(t.TempDir(), "vxlan.pcap")
	cmd := exec.Command(filepath.Join("..", "..", "hack", "make-vxlan-capture.sh"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		// Exit 2: a tool is missing. A container without the right to
		// make namespaces or a kernel without VXLAN cannot run it
		// either; anything else is the script's fault.
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 || bytes.Contains(b, []byte("Operation not permitted")) || bytes.Contains(b, []byte("Unknown device type")) {
			t.Skipf("make-vxlan-capture.sh cannot run here: %s", b)
		}
		t.Fatalf("make-vxlan-capture.sh: %v\n%s", err, b)
	}
	s, _ := summarizeFile(t, out)
	checkKernelVXLAN(t, s)
}
