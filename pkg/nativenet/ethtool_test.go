package nativenet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/ethtool"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/sysctl"
)

// vxlanFeatures is a prefix of the kernel's feature string set with the states
// a vxlan device reports (software device: most bits fixed off).
func vxlanFeatures() []Feature {
	fixedOff := Feature{}
	on := Feature{Available: true, Requested: true, Active: true}
	off := Feature{Available: true}
	set := func(f Feature, name string, i int) Feature { f.Name, f.Index = name, i; return f }
	return []Feature{
		set(on, "tx-scatter-gather", 0),
		set(fixedOff, "tx-checksum-ipv4", 1),
		set(on, "tx-checksum-ip-generic", 2),
		set(fixedOff, "tx-checksum-ipv6", 3),
		set(fixedOff, "highdma", 4),
		set(on, "tx-scatter-gather-fraglist", 5),
		set(fixedOff, "tx-vlan-hw-insert", 6),
		set(fixedOff, "rx-vlan-hw-parse", 7),
		set(on, "tx-generic-segmentation", 12),
		set(fixedOff, "rx-lro", 15),
		set(on, "tx-tcp-segmentation", 16),
		set(on, "tx-tcp6-segmentation", 19),
		set(fixedOff, "", 20),
		set(on, "rx-gro", 14),
		set(Feature{Available: true, Requested: true}, "tx-udp_tnl-segmentation", 30),
		set(Feature{Available: true, Active: true}, "tx-nocache-copy", 31),
		set(on, "rx-checksum", 33),
		set(off, "rx-gro-list", 50),
	}
}

func TestRenderFeatures(t *testing.T) {
	got := string(RenderFeatures("vxlan.calico", vxlanFeatures()))
	want := "Features for vxlan.calico:\n" +
		"rx-checksumming: on\n" +
		"tx-checksumming: on\n" +
		"\ttx-checksum-ipv4: off [fixed]\n" +
		"\ttx-checksum-ip-generic: on\n" +
		"\ttx-checksum-ipv6: off [fixed]\n" +
		"scatter-gather: on\n" +
		"\ttx-scatter-gather: on\n" +
		"\ttx-scatter-gather-fraglist: on\n" +
		"tcp-segmentation-offload: on\n" +
		"\ttx-tcp-segmentation: on\n" +
		"\ttx-tcp6-segmentation: on\n" +
		"generic-segmentation-offload: on\n" +
		"generic-receive-offload: on\n" +
		"large-receive-offload: off [fixed]\n" +
		"rx-vlan-offload: off [fixed]\n" +
		"tx-vlan-offload: off [fixed]\n" +
		"ntuple-filters: off\n" +
		"receive-hashing: off\n" +
		"highdma: off [fixed]\n" +
		"tx-udp_tnl-segmentation: off [requested on]\n" +
		"tx-nocache-copy: on [requested off]\n" +
		"rx-gro-list: off\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	res, ds := ethtool.ParseFeatures([]byte(got))
	noWarnings(t, "ethtool -k", ds)
	if res.Interface != "vxlan.calico" {
		t.Errorf("interface %q", res.Interface)
	}
	if f, ok := res.Get("tx-checksum-ip-generic"); !ok || !f.On || f.Fixed || f.Parent != "tx-checksumming" {
		t.Errorf("tx-checksum-ip-generic = %+v", f)
	}
	if f, ok := res.Get("tx-udp_tnl-segmentation"); !ok || f.On || !f.RequestedSet || !f.RequestedOn {
		t.Errorf("tx-udp_tnl-segmentation = %+v", f)
	}
	if f, ok := res.Get("large-receive-offload"); !ok || !f.Fixed || f.On {
		t.Errorf("large-receive-offload = %+v", f)
	}
}

func TestFeaturePatternsMatchLikeEthtool(t *testing.T) {
	for _, c := range []struct {
		name, pattern string
		want          bool
	}{
		{"tx-tcp-segmentation", "tx-tcp*-segmentation", true},
		{"tx-tcp-mangleid-segmentation", "tx-tcp*-segmentation", true},
		{"tx-tcp-segmentation", "tx-tcp-segmentation*", true},
		{"tx-udp-segmentation", "tx-tcp*-segmentation", false},
		{"tx-checksum-", "tx-checksum-*", true},
		{"rx-checksum", "rx-checksum", true},
		{"rx-checksumx", "rx-checksum", false},
		{"tx-tcpsegmentation", "tx-tcp*-segmentation", false},
	} {
		if got := patternMatch(c.name, c.pattern); got != c.want {
			t.Errorf("patternMatch(%q, %q) = %v", c.name, c.pattern, got)
		}
	}
}

func TestRenderStats(t *testing.T) {
	got := string(RenderStats([]Stat{{"peer_ifindex", 2}, {"rx_queue_0_drops", 0}, {"rx_queue_0_drops", 7}, {"tx_bytes", 1 << 40}}))
	want := "NIC statistics:\n     peer_ifindex: 2\n     rx_queue_0_drops: 0\n     rx_queue_0_drops: 7\n     tx_bytes: 1099511627776\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
	res, ds := ethtool.ParseStats([]byte(got))
	noWarnings(t, "ethtool -S", ds)
	if v, ok := res.Get("tx_bytes"); !ok || v != 1<<40 || len(res.Counters) != 4 {
		t.Errorf("stats = %+v", res)
	}
}

func TestSysctlRendersAFakeTree(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string, mode os.FileMode) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("net/ipv4/ip_forward", "1\n", 0o644)
	write("net/ipv4/conf/vxlan.calico/rp_filter", "2\n", 0o644)
	write("net/ipv4/conf/all/rp_filter", "1\n", 0o644)
	write("net/ipv4/ip_local_port_range", "32768\t60999\n", 0o644)
	write("net/ipv4/route/flush", "", 0o200)
	write("net/ipv4/neigh/eth0/retrans_time", "100\n", 0o644)
	write("net/ipv4/neigh/eth0/retrans_time_ms", "1000\n", 0o644)
	write("net/core/somaxconn", "4096\n", 0o644)
	write("net/core/empty", "", 0o644)
	write("kernel/osrelease", "6.1.0-test\n", 0o444)
	write("fs/multi", "a\nb\n", 0o644)
	if err := os.Symlink(filepath.Join(root, "missing"), filepath.Join(root, "net", "core", "dangling")); err != nil {
		t.Fatal(err)
	}
	out, unreadable, err := Sysctl(root)
	if err != nil {
		t.Fatal(err)
	}
	want := "fs.multi = a\nfs.multi = b\n" +
		"kernel.osrelease = 6.1.0-test\n" +
		"net.core.somaxconn = 4096\n" +
		"net.ipv4.conf.all.rp_filter = 1\n" +
		"net.ipv4.conf.vxlan/calico.rp_filter = 2\n" +
		"net.ipv4.ip_forward = 1\n" +
		"net.ipv4.ip_local_port_range = 32768\t60999\n" +
		"net.ipv4.neigh.eth0.retrans_time_ms = 1000\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	if unreadable != 1 {
		t.Errorf("unreadable = %d, want 1 (the dangling link)", unreadable)
	}
	res, ds := sysctl.Parse(out)
	noWarnings(t, "sysctl", ds)
	if v, _, ok := res.Get("net/ipv4/conf/vxlan.calico/rp_filter"); !ok || v != "2" {
		t.Errorf("rp_filter of vxlan.calico = %q", v)
	}
	if _, _, err := Sysctl(filepath.Join(root, "nope")); err == nil {
		t.Error("a missing root is not an error")
	}
	if !strings.Contains(string(out), "\t") {
		t.Error("the tab of a multi-valued parameter was lost")
	}
}
