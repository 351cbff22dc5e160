package bridgefdb

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

type wantDiag struct {
	sev  diag.Severity
	line int
	msg  string
}

func checkDiags(t *testing.T, got []diag.Diagnostic, want []wantDiag) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics %v, want %d %v", len(got), got, len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if g.Severity != w.sev || g.Line != w.line || !strings.Contains(g.Msg, w.msg) {
			t.Errorf("diagnostic %d = %v, want %v line %d containing %q", i, g, w.sev, w.line, w.msg)
		}
	}
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []FDBEntry
		wantDiags []wantDiag
	}{
		{
			name: "a Calico VXLAN entry maps the peer VTEP MAC to its node address",
			in:   "66:AB:cd:ef:01:02 dev vxlan.calico dst 10.0.0.12 self permanent\n",
			want: []FDBEntry{{Line: 1, MAC: "66:ab:cd:ef:01:02", Dev: "vxlan.calico", Dst: ip("10.0.0.12"), Flags: []string{"self", "permanent"}}},
		},
		{
			name: "a bridge port entry has a master bridge and a VLAN",
			in:   "01:00:5e:00:00:01 dev br0 vlan 1 master br0 permanent\n",
			want: []FDBEntry{{Line: 1, MAC: "01:00:5e:00:00:01", Dev: "br0", VLAN: 1, Master: "br0", Flags: []string{"permanent"}}},
		},
		{
			name: "a learned entry prints no state word",
			in:   "52:54:00:00:00:11 dev port1 master br0 \n",
			want: []FDBEntry{{Line: 1, MAC: "52:54:00:00:00:11", Dev: "port1", Master: "br0"}},
		},
		{
			name: "a flooding entry keeps via, and master alone is a flag",
			in:   "00:00:00:00:00:00 dev vxlan0 dst 10.0.0.2 via eth0 self permanent\n52:54:00:00:00:12 dev eth1 master permanent\n",
			want: []FDBEntry{
				{Line: 1, MAC: "00:00:00:00:00:00", Dev: "vxlan0", Dst: ip("10.0.0.2"), Via: "eth0", Flags: []string{"self", "permanent"}},
				{Line: 2, MAC: "52:54:00:00:00:12", Dev: "eth1", Flags: []string{"master", "permanent"}},
			},
		},
		{
			name: "EVPN words: vni, port, src_vni, nhid, via ifindex, link-netnsid, used, proto, extern_learn, offload, sticky",
			in:   "52:54:00:de:ad:01 dev vxlan100 dst 2001:db8::7 src_vni 5000 port 4789 vni 10100 nhid 12 via ifindex 7 link-netnsid 0 used 12/3 self extern_learn offload sticky proto zebra state=0x40\n",
			want: []FDBEntry{{Line: 1, MAC: "52:54:00:de:ad:01", Dev: "vxlan100", Dst: ip("2001:db8::7"), SrcVNI: 5000, Port: 4789, VNI: 10100,
				Via: "ifindex 7", Attrs: map[string]string{"nhid": "12", "link-netnsid": "0", "used": "12/3", "proto": "zebra"},
				Flags: []string{"self", "extern_learn", "offload", "sticky", "state=0x40"}}},
		},
		{
			name: "a listing filtered by device has no dev word; Deleted from bridge monitor is a flag",
			in:   "33:33:00:00:00:01 self permanent\nDeleted 66:ab:cd:ef:01:02 dev vxlan.calico dst 10.0.0.12 self permanent\n",
			want: []FDBEntry{
				{Line: 1, MAC: "33:33:00:00:00:01", Flags: []string{"self", "permanent"}},
				{Line: 2, MAC: "66:ab:cd:ef:01:02", Dev: "vxlan.calico", Dst: ip("10.0.0.12"), Flags: []string{"Deleted", "self", "permanent"}},
			},
		},
		{
			name: "CRLF, comments and blank lines are not diagnostics",
			in:   "# bridge fdb show\r\n\r\n33:33:00:00:00:01 dev eth0 self permanent \r\n",
			want: []FDBEntry{{Line: 3, MAC: "33:33:00:00:00:01", Dev: "eth0", Flags: []string{"self", "permanent"}}},
		},
		{
			name: "an empty table is no diagnostic",
			in:   "",
		},
		{
			name: "unreadable lines are skipped with warnings naming them",
			in: "33:33:00:00:00:01 dev eth0 self permanent\n" +
				"66:ab:cd:ef:01:02 dev vxlan.calico dst node-b self permanent\n" +
				"66:ab:cd:ef:01:03 dev br0 vlan 70000\n" +
				"66:ab:cd:ef:01:04 dev br0 vni x\n" +
				"66:ab:cd:ef:01:05 dev\n" +
				"Deleted\n" +
				"66:ab:cd:ef dev br0\n",
			want: []FDBEntry{{Line: 1, MAC: "33:33:00:00:00:01", Dev: "eth0", Flags: []string{"self", "permanent"}}},
			wantDiags: []wantDiag{
				{diag.Warning, 2, "dst \"node-b\" is not an address"},
				{diag.Warning, 3, "vlan \"70000\" is not a number"},
				{diag.Warning, 4, "vni \"x\" is not a number"},
				{diag.Warning, 5, "\"dev\" without a value"},
				{diag.Warning, 6, "no MAC address"},
				{diag.Warning, 7, "no MAC address first"},
			},
		},
		{
			name:      "text without any entry gives a single error",
			in:        "Command \"fdbx\" is unknown, try \"bridge help\".\n",
			wantDiags: []wantDiag{{diag.Error, 1, "not bridge fdb output"}},
		},
		{
			name:      "JSON output gives a single error",
			in:        " [{\"mac\":\"33:33:00:00:00:01\"}]",
			wantDiags: []wantDiag{{diag.Error, 0, "JSON"}},
		},
		{
			name:      "binary data gives a single error",
			in:        "\x01\x02\x03\x04",
			wantDiags: []wantDiag{{diag.Error, 0, "binary"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, diags := Parse([]byte(tt.in))
			if r == nil {
				t.Fatal("nil Result")
			}
			checkDiags(t, diags, tt.wantDiags)
			if !reflect.DeepEqual(r.Entries, tt.want) {
				t.Errorf("entries differ\n got: %+v\nwant: %+v", r.Entries, tt.want)
			}
		})
	}
}

func TestParseFiles(t *testing.T) {
	checks := map[string]func(t *testing.T, r *Result){
		"good/calico-vxlan-node_bridge-fdb.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "12 entries on 3 devices (12 permanent), 3 remote VTEPs")
			want := map[string]netip.Addr{
				"66:7e:19:c2:88:0f": ip("10.0.0.12"),
				"66:2a:91:0b:5c:e4": ip("10.0.0.13"),
				"66:c4:03:7d:e1:9a": ip("10.0.0.14"),
			}
			if got := r.VTEPs("vxlan.calico"); !reflect.DeepEqual(got, want) {
				t.Errorf("VTEPs(vxlan.calico) = %v, want %v", got, want)
			}
			if got := r.VTEPs("eth0"); len(got) != 0 {
				t.Errorf("VTEPs(eth0) = %v, want none", got)
			}
		},
		"good/misc_bridge-fdb.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "11 entries on 6 devices (4 permanent), 3 remote VTEPs")
			want := map[string]netip.Addr{
				"8e:2f:1a:40:7b:3d": ip("192.168.10.22"),
				"52:54:00:de:ad:01": ip("10.0.0.7"),
				"52:54:00:12:34:97": ip("2001:db8::5"),
			}
			if got := r.VTEPs(""); !reflect.DeepEqual(got, want) {
				t.Errorf("VTEPs() = %v, want %v", got, want)
			}
			e := r.Entries[5]
			if e.VNI != 10100 || e.Port != 4789 || !e.HasFlag("extern_learn") || e.Permanent() {
				t.Errorf("EVPN entry = %+v", e)
			}
			if e := r.Entries[10]; e.Master != "br0" || e.Attrs["used"] != "12/3" {
				t.Errorf("bridge -s entry = %+v", e)
			}
		},
		"real/vxlan-node1_bridge-fdb.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "7 entries on 3 devices (7 permanent), 1 remote VTEP")
			want := map[string]netip.Addr{"66:ab:cd:ef:01:02": ip("10.0.0.12")}
			if got := r.VTEPs("vxlan.calico"); !reflect.DeepEqual(got, want) {
				t.Errorf("VTEPs(vxlan.calico) = %v, want %v", got, want)
			}
			wantE := FDBEntry{Line: 4, MAC: "66:ab:cd:ef:01:02", Dev: "vxlan.calico", Dst: ip("10.0.0.12"), Flags: []string{"self", "permanent"}}
			if !reflect.DeepEqual(r.Entries[3], wantE) {
				t.Errorf("entry 4 = %+v", r.Entries[3])
			}
		},
		"real/lan_bridge-fdb.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "15 entries on 3 devices (13 permanent), 0 remote VTEPs")
			learned := r.Entries[5]
			if learned.MAC != "52:54:00:00:00:11" || learned.Dev != "port1" || learned.Master != "br0" || len(learned.Flags) != 0 {
				t.Errorf("learned entry = %+v", learned)
			}
		},
	}
	files, _ := filepath.Glob("testdata/*/*.txt")
	if len(files) != len(checks) {
		t.Errorf("%d testdata files, %d checks: give each file a check", len(files), len(checks))
	}
	for _, p := range files {
		rel := strings.TrimPrefix(filepath.ToSlash(p), "testdata/")
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			r, diags := Parse(b)
			if len(diags) != 0 {
				t.Errorf("diagnostics: %v", diags)
			}
			if c, ok := checks[rel]; ok {
				c(t, r)
			} else {
				t.Errorf("no check for %s", rel)
			}
		})
	}
}

func wantSummary(t *testing.T, r *Result, want string) {
	t.Helper()
	if got := r.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestVTEPs(t *testing.T) {
	r, _ := Parse([]byte("66:ab:cd:ef:01:02 dev vxlan.calico dst 10.0.0.12 self permanent\n" +
		"66:ab:cd:ef:01:02 dev vxlan.calico dst 10.0.0.99 self permanent\n" +
		"00:00:00:00:00:00 dev vxlan.calico dst 10.0.0.13 self permanent\n" +
		"Deleted 66:ab:cd:ef:01:03 dev vxlan.calico dst 10.0.0.14 self permanent\n" +
		"66:ab:cd:ef:01:04 dev vxlan.calico self permanent\n" +
		"66:ab:cd:ef:01:05 dev flannel.1 dst 10.0.0.15 self permanent\n"))
	want := map[string]netip.Addr{"66:ab:cd:ef:01:02": ip("10.0.0.12")}
	if got := r.VTEPs("vxlan.calico"); !reflect.DeepEqual(got, want) {
		t.Errorf("VTEPs = %v, want %v: first dst kept, zero MAC, deleted and dst-less entries left out", got, want)
	}
	wantSummary(t, r, "6 entries on 2 devices (6 permanent), 3 remote VTEPs")
	empty, _ := Parse(nil)
	wantSummary(t, empty, "0 entries, 0 remote VTEPs")
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.txt")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Deleted 00:00:00:00:00:00 via ifindex\naa:bb:cc:dd:ee:ff:00:11 master master\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, diags := Parse(data)
		if r == nil {
			t.Fatal("nil Result")
		}
		for _, d := range diags {
			if d.Line < 0 || d.Msg == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		prev := 0
		for _, e := range r.Entries {
			if e.Line <= prev || e.MAC == "" {
				t.Fatalf("entry %+v after line %d", e, prev)
			}
			prev = e.Line
		}
		for mac, a := range r.VTEPs("") {
			if mac == zeroMAC || !a.IsValid() {
				t.Fatalf("VTEPs has %s -> %v", mac, a)
			}
		}
		_ = r.Summary()
	})
}
