package collect

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseTcpdumpStats(t *testing.T) {
	got := parseTcpdumpStats([]byte("tcpdump: listening on eth0\n12 packets captured\n15 packets received by filter\n3 packets dropped by kernel\n"))
	want := map[string]int64{"captured": 12, "received by filter": 15, "dropped by kernel": 3}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}

func TestCanReachTargets(t *testing.T) {
	tests := []struct {
		in   string
		want []netip.Addr
	}{
		{"can-reach=8.8.8.8", []netip.Addr{netip.MustParseAddr("8.8.8.8")}},
		{"interface=eth0", nil},
		{"can-reach=www.example.com", nil},
		{"can-reach=2001:db8::1", []netip.Addr{netip.MustParseAddr("2001:db8::1")}},
	}
	for _, tt := range tests {
		if got := canReach(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("canReach(%q) = %v", tt.in, got)
		}
	}
}

func TestSafeNameKeepsFileNamesSafe(t *testing.T) {
	for in, want := range map[string]string{"node-a": "node-a", "a/b": "a_b", "..": "node", "": "node", "ip-10-0-1-2.ec2.internal": "ip-10-0-1-2.ec2.internal"} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultPathAddsTheSbinDirectories(t *testing.T) {
	p := defaultPath("/opt/bin:/usr/bin")
	if !strings.HasPrefix(p, "/opt/bin:/usr/bin:") || !strings.Contains(p, "/usr/sbin") || strings.Count(p, "/usr/bin") != 1 {
		t.Errorf("defaultPath = %q", p)
	}
}

func TestTheCaptureFilterCoversEveryVXLANPort(t *testing.T) {
	c := &collector{topo: topology{VXLANPorts: []int{4789, 8472}}}
	if got := c.captureFilter(); got != "ip proto 4 or udp port 4789 or udp port 8472 or port 53 or icmp or icmp6" {
		t.Errorf("filter %q", got)
	}
}
