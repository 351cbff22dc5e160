package ipneigh

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
		want      []Neigh
		wantDiags []wantDiag
	}{
		{
			name: "a reachable entry gives address, device, MAC and state",
			in:   "10.0.0.2 dev eth0 lladdr 52:54:00:12:34:56 REACHABLE \n",
			want: []Neigh{{Line: 1, Addr: ip("10.0.0.2"), Dev: "eth0", LLAddr: "52:54:00:12:34:56", States: []string{"REACHABLE"}}},
		},
		{
			name: "failed and incomplete entries have no MAC, double blanks are fine",
			in:   "10.0.0.3 dev eth0  FAILED\n10.0.0.9 dev eth0 INCOMPLETE\n",
			want: []Neigh{
				{Line: 1, Addr: ip("10.0.0.3"), Dev: "eth0", States: []string{"FAILED"}},
				{Line: 2, Addr: ip("10.0.0.9"), Dev: "eth0", States: []string{"INCOMPLETE"}},
			},
		},
		{
			name: "an IPv6 router entry sets Router and lower-cases the MAC",
			in:   "fe80::1 dev eth0 lladdr 00:1C:73:AA:BB:CC router STALE\n",
			want: []Neigh{{Line: 1, Addr: ip("fe80::1"), Dev: "eth0", LLAddr: "00:1c:73:aa:bb:cc", Router: true, States: []string{"STALE"}}},
		},
		{
			name: "proxy entries have no state",
			in:   "10.0.0.50 dev eth0 proxy \n",
			want: []Neigh{{Line: 1, Addr: ip("10.0.0.50"), Dev: "eth0", Proxy: true}},
		},
		{
			name: "flags, proto and several states, comma-separated in old versions, are kept",
			in:   "10.0.0.20 dev br0 lladdr 52:54:00:00:00:20 extern_learn offload managed STALE,PROBE DELAY proto zebra\n",
			want: []Neigh{{Line: 1, Addr: ip("10.0.0.20"), Dev: "br0", LLAddr: "52:54:00:00:00:20",
				Flags: []string{"extern_learn", "offload", "managed"}, States: []string{"STALE", "PROBE", "DELAY"}, Proto: "zebra"}},
		},
		{
			name: "ip -s neigh statistics, with the probes word glued as iproute2 6.1 prints it",
			in: "10.0.0.99 dev eth0  ref 1 used 3/63/3probes 6 INCOMPLETE \n" +
				"192.168.10.1 dev eth0 lladdr fa:16:3e:00:00:01 ref 3 used 12/12/9 probes 1 REACHABLE\n",
			want: []Neigh{
				{Line: 1, Addr: ip("10.0.0.99"), Dev: "eth0", Ref: 1, Used: "3/63/3", Probes: 6, States: []string{"INCOMPLETE"}},
				{Line: 2, Addr: ip("192.168.10.1"), Dev: "eth0", LLAddr: "fa:16:3e:00:00:01", Ref: 3, Used: "12/12/9", Probes: 1, States: []string{"REACHABLE"}},
			},
		},
		{
			name: "a listing filtered by device has no dev word, and a tunnel's lladdr is an address",
			in:   "10.0.0.2 lladdr 52:54:00:12:34:56 REACHABLE\n10.40.1.1 dev tunl0 lladdr 10.0.0.12 PERMANENT\n",
			want: []Neigh{
				{Line: 1, Addr: ip("10.0.0.2"), LLAddr: "52:54:00:12:34:56", States: []string{"REACHABLE"}},
				{Line: 2, Addr: ip("10.40.1.1"), Dev: "tunl0", LLAddr: "10.0.0.12", States: []string{"PERMANENT"}},
			},
		},
		{
			name: "ip -br neigh puts the device first",
			in:   "bridge0          172.16.12.100                           B0:FC:36:2F:07:43\nbridge0          fe80::6d9:f5ff:fec1:c74                 04:d9:f5:c1:0c:74 STALE\n",
			want: []Neigh{
				{Line: 1, Addr: ip("172.16.12.100"), Dev: "bridge0", LLAddr: "b0:fc:36:2f:07:43"},
				{Line: 2, Addr: ip("fe80::6d9:f5ff:fec1:c74"), Dev: "bridge0", LLAddr: "04:d9:f5:c1:0c:74", States: []string{"STALE"}},
			},
		},
		{
			name: "monitor prefixes become flags",
			in:   "Deleted 10.0.0.2 dev eth0 lladdr 52:54:00:12:34:56 STALE\nmiss 10.0.0.7 dev eth0  INCOMPLETE\n",
			want: []Neigh{
				{Line: 1, Addr: ip("10.0.0.2"), Dev: "eth0", LLAddr: "52:54:00:12:34:56", States: []string{"STALE"}, Flags: []string{"Deleted"}},
				{Line: 2, Addr: ip("10.0.0.7"), Dev: "eth0", States: []string{"INCOMPLETE"}, Flags: []string{"miss"}},
			},
		},
		{
			name: "CRLF, comments and blank lines are not diagnostics",
			in:   "# ip neigh\r\n\r\n10.0.0.2 dev eth0 lladdr 52:54:00:12:34:56 REACHABLE\r\n",
			want: []Neigh{{Line: 3, Addr: ip("10.0.0.2"), Dev: "eth0", LLAddr: "52:54:00:12:34:56", States: []string{"REACHABLE"}}},
		},
		{
			name: "an empty table is no diagnostic",
			in:   "",
		},
		{
			name: "unreadable lines are skipped with warnings naming them",
			in: "10.0.0.2 dev eth0 lladdr 52:54:00:12:34:56 REACHABLE\n" +
				"10.0.0.300 dev eth0 FAILED\n" +
				"10.0.0.4 dev\n" +
				"Deleted\n" +
				"WARNING: Kernel does not support filtering by master device\n",
			want: []Neigh{{Line: 1, Addr: ip("10.0.0.2"), Dev: "eth0", LLAddr: "52:54:00:12:34:56", States: []string{"REACHABLE"}}},
			wantDiags: []wantDiag{
				{diag.Warning, 2, "no address first"},
				{diag.Warning, 3, "\"dev\" without a value"},
				{diag.Warning, 4, "no address"},
				{diag.Warning, 5, "no address first"},
			},
		},
		{
			name:      "text without any entry gives a single error",
			in:        "Object \"neigh\" is unknown, try \"ip help\".\nsecond line\n",
			wantDiags: []wantDiag{{diag.Error, 1, "not ip neigh output"}},
		},
		{
			name:      "JSON output gives a single error",
			in:        "[{\"dst\":\"10.0.0.2\"}]",
			wantDiags: []wantDiag{{diag.Error, 0, "JSON"}},
		},
		{
			name:      "binary data gives a single error",
			in:        "\x00\x01\x02\x03\x04\x05",
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
			if !reflect.DeepEqual(r.Neighs, tt.want) {
				t.Errorf("entries differ\n got: %+v\nwant: %+v", r.Neighs, tt.want)
			}
		})
	}
}

func TestParseFiles(t *testing.T) {
	checks := map[string]func(t *testing.T, r *Result){
		"good/calico-node_ip-neigh.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "14 neighbours (INCOMPLETE 1, REACHABLE 3, STALE 3, DELAY 1, PROBE 1, FAILED 1, NOARP 1, PERMANENT 3)")
			v := r.Lookup(ip("10.40.1.0"), "vxlan.calico")
			if v == nil || v.LLAddr != "66:ab:cd:ef:01:02" || !v.HasState("PERMANENT") || v.Unresolved() {
				t.Errorf("vxlan.calico peer = %+v", v)
			}
			if f := r.Lookup(ip("10.0.0.3"), ""); f == nil || !f.Unresolved() || f.LLAddr != "" {
				t.Errorf("10.0.0.3 = %+v", f)
			}
			if d := r.Lookup(ip("10.0.0.13"), "eth0"); d == nil || d.LLAddr != "52:54:00:aa:bb:cd" {
				t.Errorf("10.0.0.13 = %+v", d)
			}
			if z := r.Lookup(ip("10.0.0.20"), "br0"); z == nil || z.Proto != "zebra" || !reflect.DeepEqual(z.Flags, []string{"extern_learn"}) {
				t.Errorf("10.0.0.20 = %+v", z)
			}
		},
		"good/old-iproute2_ip-s-neigh.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 neighbours (REACHABLE 1, STALE 1, FAILED 1, PERMANENT 1)")
			if n := r.Lookup(ip("192.168.10.99"), "eth0"); n == nil || n.Probes != 6 || n.Used != "17/3502/14" || !n.Unresolved() {
				t.Errorf("192.168.10.99 = %+v", n)
			}
		},
		"real/vxlan-node1_ip-neigh.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "3 neighbours (INCOMPLETE 1, REACHABLE 1, PERMANENT 1)")
			want := Neigh{Line: 2, Addr: ip("10.40.1.0"), Dev: "vxlan.calico", LLAddr: "66:ab:cd:ef:01:02", States: []string{"PERMANENT"}}
			if n := r.Lookup(ip("10.40.1.0"), ""); n == nil || !reflect.DeepEqual(*n, want) {
				t.Errorf("10.40.1.0 = %+v", n)
			}
		},
		"real/vxlan-node1_ip-neigh-nud-all.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "12 neighbours (INCOMPLETE 1, REACHABLE 1, NOARP 9, PERMANENT 1)")
			if n := r.Lookup(ip("ff02::1:ffee:eeee"), "cali1234abcd"); n == nil || n.LLAddr != "33:33:ff:ee:ee:ee" || !n.HasState("NOARP") {
				t.Errorf("ff02::1:ffee:eeee = %+v", n)
			}
		},
		"real/vxlan-node1_ip-neigh-proxy.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "1 neighbour, 1 proxy")
		},
		"real/vxlan-node1_ip-s-neigh.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "3 neighbours (INCOMPLETE 1, REACHABLE 1, PERMANENT 1)")
			if n := r.Lookup(ip("10.0.0.12"), "eth0"); n == nil || n.Ref != 1 || n.Used != "3/3/3" || n.Probes != 4 || n.LLAddr != "52:54:00:00:00:12" {
				t.Errorf("10.0.0.12 = %+v", n)
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

func TestSummary(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"an empty table", "", "0 neighbours"},
		{"a state this parser does not know comes last", "10.0.0.1 dev eth0 NEWSTATE\n10.0.0.2 dev eth0 lladdr 00:00:00:00:00:01 STALE\n",
			"2 neighbours (STALE 1, NEWSTATE 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := Parse([]byte(tt.in))
			wantSummary(t, r, tt.want)
		})
	}
}

func TestLookupMisses(t *testing.T) {
	r, _ := Parse([]byte("10.0.0.2 dev eth0 lladdr 52:54:00:12:34:56 REACHABLE\n"))
	if n := r.Lookup(ip("10.0.0.2"), "eth1"); n != nil {
		t.Errorf("Lookup on another device = %+v", n)
	}
	if n := r.Lookup(ip("10.0.0.3"), ""); n != nil {
		t.Errorf("Lookup of an absent address = %+v", n)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.txt")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("10.0.0.1 dev eth0 used 1/2/3probes\nbr0 fe80::1\nDeleted miss ::1 ref x probes\n"))
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
		for _, n := range r.Neighs {
			if n.Line <= prev || !n.Addr.IsValid() {
				t.Fatalf("entry %+v after line %d", n, prev)
			}
			prev = n.Line
		}
		_ = r.Summary()
	})
}
