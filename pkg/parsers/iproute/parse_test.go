package iproute

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// wantDiag matches a diagnostic by severity, line and a part of its message.
type wantDiag struct {
	sev  diag.Severity
	line int
	msg  string
}

func checkDiags(t *testing.T, got []diag.Diagnostic, want []wantDiag) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(want), dump(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Severity != w.sev || g.Line != w.line || !strings.Contains(g.Msg, w.msg) {
			t.Errorf("diagnostic %d = %v, want %v at line %d containing %q", i, g, w.sev, w.line, w.msg)
		}
	}
}

func dump(ds []diag.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString("  " + d.String() + "\n")
	}
	return b.String()
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ip(s string) netip.Addr    { return netip.MustParseAddr(s) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []Route
		wantDiags []wantDiag
	}{
		{
			name: "a Calico IPIP block route keeps its next hop, device, protocol and onlink flag",
			in:   "10.40.52.128/26 via 10.41.1.21 dev tunl0 proto bird onlink \n",
			want: []Route{{Line: 1, Type: "unicast", Dst: pfx("10.40.52.128/26"), Via: ip("10.41.1.21"), Dev: "tunl0", Proto: "bird", Flags: []string{"onlink"}}},
		},
		{
			name: "the old format with two spaces between fields reads the same as the new",
			in:   "10.0.3.0/24 dev lxcbr0  proto kernel  scope link  src 10.0.3.1  \n192.168.0.12 dev calie8beb266c79  scope link  \n",
			want: []Route{
				{Line: 1, Type: "unicast", Dst: pfx("10.0.3.0/24"), Dev: "lxcbr0", Proto: "kernel", Scope: "link", Src: ip("10.0.3.1")},
				{Line: 2, Type: "unicast", Dst: pfx("192.168.0.12/32"), Dev: "calie8beb266c79", Scope: "link"},
			},
		},
		{
			name: "an IPv6 default route learnt from router advertisements keeps expires, hoplimit and pref",
			in:   "default via fe80::1 dev eth0 proto ra metric 1024 expires 1795sec hoplimit 64 pref medium\n",
			want: []Route{{Line: 1, Type: "unicast", Dst: pfx("::/0"), Default: true, Via: ip("fe80::1"), Dev: "eth0", Proto: "ra", Metric: 1024,
				Extra: map[string]string{"expires": "1795sec", "hoplimit": "64", "pref": "medium"}}},
		},
		{
			name: "a default route with only a device is IPv4 unless the line says otherwise",
			in:   "default dev wg0 scope link \nunreachable default dev lo proto kernel metric 4294967295 error -101 pref medium\n",
			want: []Route{
				{Line: 1, Type: "unicast", Dst: pfx("0.0.0.0/0"), Default: true, Dev: "wg0", Scope: "link"},
				{Line: 2, Type: "unreachable", Dst: pfx("::/0"), Default: true, Dev: "lo", Proto: "kernel", Metric: 4294967295,
					Extra: map[string]string{"error": "-101", "pref": "medium"}},
			},
		},
		{
			name: "a gateway of the other family (via inet6) does not make an IPv4 default route IPv6",
			in:   "default via inet6 fe80::1 dev eth0 proto bird \n10.0.0.0/8 via inet6 fe80::2 dev eth1 \n",
			want: []Route{
				{Line: 1, Type: "unicast", Dst: pfx("0.0.0.0/0"), Default: true, Via: ip("fe80::1"), Dev: "eth0", Proto: "bird"},
				{Line: 2, Type: "unicast", Dst: pfx("10.0.0.0/8"), Via: ip("fe80::2"), Dev: "eth1"},
			},
		},
		{
			name: "locked metrics are read: mtu into MTU, the others into Extra",
			in:   "10.96.0.0/12 dev eth0 scope link mtu lock 1400 advmss 1360 initcwnd lock 10 rto_min 5ms \n",
			want: []Route{{Line: 1, Type: "unicast", Dst: pfx("10.96.0.0/12"), Dev: "eth0", Scope: "link", MTU: 1400, MTULock: true,
				Extra: map[string]string{"advmss": "1360", "initcwnd": "lock 10", "rto_min": "5ms"}}},
		},
		{
			name: "unknown keywords are kept: with their value in Extra, alone in Flags",
			in:   "10.0.0.0/24 dev eth0 frobnicate 7 shiny proto 80 \n",
			want: []Route{{Line: 1, Type: "unicast", Dst: pfx("10.0.0.0/24"), Dev: "eth0", Proto: "80",
				Flags: []string{"shiny"}, Extra: map[string]string{"frobnicate": "7"}}},
		},
		{
			name: "an unknown route type before the destination is kept as printed",
			in:   "wormhole 10.9.0.0/16 dev lo \n",
			want: []Route{{Line: 1, Type: "wormhole", Dst: pfx("10.9.0.0/16"), Dev: "lo"}},
		},
		{
			name: "nexthop objects and lightweight-tunnel encapsulation are kept in Extra",
			in:   "10.1.0.0/24 nhid 12 via 10.0.0.1 dev eth0 proto static \n10.2.0.0/24 encap mpls 100/200 via 10.0.0.1 dev eth0 \n",
			want: []Route{
				{Line: 1, Type: "unicast", Dst: pfx("10.1.0.0/24"), Via: ip("10.0.0.1"), Dev: "eth0", Proto: "static", Extra: map[string]string{"nhid": "12"}},
				{Line: 2, Type: "unicast", Dst: pfx("10.2.0.0/24"), Via: ip("10.0.0.1"), Dev: "eth0", Extra: map[string]string{"encap": "mpls 100/200"}},
			},
		},
		{
			name: "a destination printed as 0/N (length without address) is a zero prefix of that length",
			in:   "0/1 via 10.8.0.1 dev tun0 \n",
			want: []Route{{Line: 1, Type: "unicast", Dst: pfx("0.0.0.0/1"), Via: ip("10.8.0.1"), Dev: "tun0"}},
		},
		{
			name: "ip -o puts the nexthops of a multipath route on its line after backslashes",
			in:   "default proto static metric 100 \\\tnexthop via 10.0.0.1 dev eth0 weight 1 \\\tnexthop via 10.0.0.2 dev eth1 weight 1 onlink\n",
			want: []Route{{Line: 1, Type: "unicast", Dst: pfx("0.0.0.0/0"), Default: true, Proto: "static", Metric: 100, Nexthops: []Nexthop{
				{Line: 1, Via: ip("10.0.0.1"), Dev: "eth0", Weight: 1},
				{Line: 1, Via: ip("10.0.0.2"), Dev: "eth1", Weight: 1, Flags: []string{"onlink"}},
			}}},
		},
		{
			name: "CRLF endings are ordinary input",
			in:   "blackhole 192.168.0.0/26 proto bird\r\n",
			want: []Route{{Line: 1, Type: "blackhole", Dst: pfx("192.168.0.0/26"), Proto: "bird"}},
		},
		{
			name:      "a truncated last line is a warning and the lines before it stand",
			in:        "2408:8220:246:58b0::/60 dev eth0 proto kernel metric 256 pref medium\nunreachable 3f\n",
			want:      []Route{{Line: 1, Type: "unicast", Dst: pfx("2408:8220:246:58b0::/60"), Dev: "eth0", Proto: "kernel", Metric: 256, Extra: map[string]string{"pref": "medium"}}},
			wantDiags: []wantDiag{{diag.Warning, 2, `destination "3f"`}},
		},
		{
			name:      "a route type alone on a line is a warning, not an error",
			in:        "blackhole\n",
			wantDiags: []wantDiag{{diag.Warning, 1, "without a destination"}},
		},
		{
			name: "nexthop lines after a skipped route line are dropped with it, silently",
			in:   "bogus/99 proto static\n\tnexthop via 10.0.0.1 dev eth0 weight 1\n10.0.0.0/8 dev eth0\n",
			want: []Route{{Line: 3, Type: "unicast", Dst: pfx("10.0.0.0/8"), Dev: "eth0"}},
			wantDiags: []wantDiag{
				{diag.Warning, 1, `destination "bogus/99"`},
				{diag.Warning, 2, "nexthop line without a route"},
			},
		},
		{
			name: "a malformed gateway or metric is a warning and the route is kept with the raw value",
			in:   "10.0.0.0/8 via gw1 dev eth0 metric lots\n",
			want: []Route{{Line: 1, Type: "unicast", Dst: pfx("10.0.0.0/8"), Dev: "eth0", Extra: map[string]string{"via": "gw1", "metric": "lots"}}},
			wantDiags: []wantDiag{
				{diag.Warning, 1, `via value "gw1"`},
				{diag.Warning, 1, `metric value "lots"`},
			},
		},
		{
			name:      "a keyword cut off at the end of the line is a warning",
			in:        "10.0.0.0/8 dev\n",
			want:      []Route{{Line: 1, Type: "unicast", Dst: pfx("10.0.0.0/8")}},
			wantDiags: []wantDiag{{diag.Warning, 1, `keyword "dev"`}},
		},
		{
			name:      "a nexthop line before any route is a warning",
			in:        "\tnexthop via 10.0.0.1 dev eth0 weight 1\n10.0.0.0/8 dev eth0\n",
			want:      []Route{{Line: 2, Type: "unicast", Dst: pfx("10.0.0.0/8"), Dev: "eth0"}},
			wantDiags: []wantDiag{{diag.Warning, 1, "without a route"}},
		},
		{
			name: "an empty file has no routes and nothing to report",
			in:   "\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := Parse([]byte(tt.in))
			checkDiags(t, diags, tt.wantDiags)
			if len(got.Routes) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got.Routes, tt.want) {
				t.Errorf("Parse() =\n%s\nwant\n%s", dumpRoutes(got.Routes), dumpRoutes(tt.want))
			}
		})
	}
}

func dumpRoutes(rs []Route) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %+v\n", r)
	}
	return b.String()
}

func TestParseFiles(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		check     func(t *testing.T, r *Result)
		wantDiags []wantDiag
	}{
		{
			name: "multipath routes keep each nexthop with its weight and flags",
			file: "testdata/good/multipath.txt",
			check: func(t *testing.T, r *Result) {
				if len(r.Routes) != 3 {
					t.Fatalf("got %d routes, want 3", len(r.Routes))
				}
				d := r.Routes[0]
				if !d.Default || d.Dst != pfx("0.0.0.0/0") || len(d.Nexthops) != 2 {
					t.Fatalf("default route = %+v", d)
				}
				if nh := d.Nexthops[1]; nh.Line != 3 || nh.Via != ip("10.0.0.2") || nh.Weight != 2 || !nh.Has("dead") || !nh.Has("linkdown") {
					t.Errorf("second nexthop = %+v", nh)
				}
				if nh := r.Routes[1].Nexthops[0]; nh.Dev != "tunl0" || !nh.Has("onlink") {
					t.Errorf("bird nexthop = %+v", nh)
				}
				if v6 := r.Routes[2]; v6.Dst != pfx("2001:db8::/64") || len(v6.Nexthops) != 2 || v6.Nexthops[1].Via != ip("fe80::2") {
					t.Errorf("IPv6 multipath = %+v", v6)
				}
			},
		},
		{
			name: "table all keeps local, broadcast, anycast and multicast routes with their table",
			file: "testdata/good/table-all.txt",
			check: func(t *testing.T, r *Result) {
				if len(r.Routes) != 12 {
					t.Fatalf("got %d routes, want 12", len(r.Routes))
				}
				if l := r.Routes[1]; l.Type != "local" || l.Table != "local" || l.Scope != "host" || l.Dst != pfx("10.0.0.5/32") {
					t.Errorf("local route = %+v", l)
				}
				if l := r.Routes[9]; l.Type != "local" || l.Dst != pfx("::1/128") {
					t.Errorf("IPv6 local route = %+v", l)
				}
				if a := r.Routes[10]; a.Type != "anycast" || a.Dst != pfx("fe80::/128") {
					t.Errorf("anycast route = %+v", a)
				}
				if d := r.Routes[8]; !d.Default || d.Dst != pfx("::/0") || d.Extra["expires"] != "1795sec" {
					t.Errorf("IPv6 default = %+v", d)
				}
				if got, want := r.Summary(), "12 routes (by device: eth0 9, lo 3; local 3, broadcast 2, anycast 1, multicast 1, unreachable 1)"; got != want {
					t.Errorf("Summary() = %q, want %q", got, want)
				}
			},
		},
		{
			name:      "JSON output (ip -j route) is not the text format: one error",
			file:      "testdata/bad/json.txt",
			check:     func(t *testing.T, r *Result) {},
			wantDiags: []wantDiag{{diag.Error, 1, "not ip route show output"}},
		},
		{
			name:      "ip's error message instead of a table is one error naming it",
			file:      "testdata/bad/no-table.txt",
			check:     func(t *testing.T, r *Result) {},
			wantDiags: []wantDiag{{diag.Error, 1, "FIB table does not exist"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, diags := Parse(readFile(t, tt.file))
			checkDiags(t, diags, tt.wantDiags)
			tt.check(t, r)
		})
	}
}

func TestSummary(t *testing.T) {
	routes := []Route{
		{Type: "unicast", Dev: "tunl0"}, {Type: "unicast", Dev: "tunl0"}, {Type: "unicast", Dev: "tunl0"},
		{Type: "unicast", Dev: "eth0"}, {Type: "unicast", Dev: "eth0"},
		{Type: "unicast", Dev: "calia1"}, {Type: "unicast", Dev: "calib2"}, {Type: "unicast", Dev: "calic3"}, {Type: "unicast", Dev: "calid4"},
		{Type: "blackhole"},
	}
	tests := []struct {
		name string
		in   Result
		want string
	}{
		{"cali* devices are counted together and devices go largest first", Result{Routes: routes},
			"10 routes (by device: cali* 4, tunl0 3, eth0 2; blackhole 1)"},
		{"one route is singular", Result{Routes: routes[:1]}, "1 route (by device: tunl0 1)"},
		{"no routes says so", Result{}, "0 routes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Summary(); got != tt.want {
				t.Errorf("Summary() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	r, _ := Parse([]byte("default via 10.0.0.1 dev eth0 metric 100\n" +
		"default via 10.0.0.2 dev eth1 metric 50\n" +
		"10.40.52.128/26 via 10.41.1.21 dev tunl0 proto bird onlink\n" +
		"10.40.52.149 dev cali123 scope link\n" +
		"local 10.40.52.150 dev lo table local scope host\n"))
	tests := []struct {
		name    string
		addr    string
		wantDev string
	}{
		{"the longest prefix wins over the default route", "10.40.52.130", "tunl0"},
		{"a host route wins over its block", "10.40.52.149", "cali123"},
		{"the local table is not consulted", "10.40.52.150", "tunl0"},
		{"between two defaults the lower metric wins", "192.0.2.1", "eth1"},
		{"an address of the other family matches nothing", "2001:db8::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Lookup(ip(tt.addr))
			dev := ""
			if got != nil {
				dev = got.Dev
			}
			if dev != tt.wantDev {
				t.Errorf("Lookup(%s) = %+v, want dev %q", tt.addr, got, tt.wantDev)
			}
		})
	}
}

// realdata returns the shared real-sample folder, or skips the test.
func realdata(t *testing.T, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found, so …/shared/realdata absent")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "realdata", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skip("…/shared/realdata absent")
	}
	return p
}

func TestParseRealData(t *testing.T) {
	dir := realdata(t, "ip-route")
	tests := []struct {
		name      string
		file      string
		check     func(t *testing.T, r *Result)
		wantDiags []wantDiag
	}{
		{
			name: "calicoctl#772: old-format table with a bird blackhole, three cali routes and the default via eth0",
			file: "calicoctl-772_machine1_ip-route-show.txt",
			check: func(t *testing.T, r *Result) {
				if len(r.Routes) != 9 {
					t.Fatalf("got %d routes, want 9", len(r.Routes))
				}
				d := r.Routes[0]
				if !d.Default || d.Via != ip("172.31.16.1") || d.Dev != "eth0" || d.Dst != pfx("0.0.0.0/0") {
					t.Errorf("default route = %+v", d)
				}
				bh := r.Routes[5]
				if bh.Type != "blackhole" || bh.Dst != pfx("192.168.0.0/26") || bh.Proto != "bird" || bh.Dev != "" {
					t.Errorf("blackhole = %+v", bh)
				}
				cali := 0
				for _, rt := range r.Routes {
					if strings.HasPrefix(rt.Dev, "cali") {
						cali++
						if rt.Dst.Bits() != 32 || rt.Scope != "link" {
							t.Errorf("cali route = %+v, want a /32 of scope link", rt)
						}
					}
				}
				if cali != 3 {
					t.Errorf("got %d cali routes, want 3", cali)
				}
				if k := r.Routes[4]; k.Dst != pfx("172.31.16.0/20") || k.Proto != "kernel" || k.Src != ip("172.31.27.45") {
					t.Errorf("eth0 subnet route = %+v", k)
				}
				if got, want := r.Summary(), "9 routes (by device: cali* 3, eth0 2, docker0 1, docker_gwbridge 1, lxcbr0 1; blackhole 1)"; got != want {
					t.Errorf("Summary() = %q, want %q", got, want)
				}
			},
		},
		{
			name: "calico#6619: IPv6 VXLAN routes go onlink via their own prefix address; the cut last line is a warning",
			file: "calico-6619_ip-6-route_vxlan-v6.txt",
			check: func(t *testing.T, r *Result) {
				if len(r.Routes) != 13 {
					t.Fatalf("got %d routes, want 13", len(r.Routes))
				}
				vx := 0
				for _, rt := range r.Routes {
					if rt.Dev != "vxlan-v6.calico" {
						continue
					}
					vx++
					if !rt.Has("onlink") || rt.Via != rt.Dst.Addr() || rt.Dst.Bits() != 122 || rt.Metric != 1024 || rt.Extra["pref"] != "medium" {
						t.Errorf("vxlan-v6 route = %+v", rt)
					}
				}
				if vx != 2 {
					t.Errorf("got %d vxlan-v6.calico routes, want 2", vx)
				}
				bh := r.Routes[2]
				if bh.Type != "blackhole" || bh.Proto != "80" || bh.Dst != pfx("2000::c11:b42f:f17e:a680/122") {
					t.Errorf("blackhole = %+v", bh)
				}
				if m := r.Routes[1]; m.Type != "unreachable" || m.Dst != pfx("::ffff:0.0.0.0/96") {
					t.Errorf("mapped unreachable = %+v", m)
				}
				if e := r.Routes[11]; e.Extra["expires"] != "94731sec" || e.Proto != "kernel" {
					t.Errorf("RA route = %+v", e)
				}
			},
			wantDiags: []wantDiag{{diag.Warning, 14, `"3f"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, diags := Parse(readFile(t, filepath.Join(dir, tt.file)))
			checkDiags(t, diags, tt.wantDiags)
			tt.check(t, r)
		})
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f, "testdata/good/multipath.txt", "testdata/good/table-all.txt", "testdata/bad/json.txt")
	f.Add([]byte("10.40.52.128/26 via 10.41.1.21 dev tunl0 proto bird onlink\nunreachable 3f\n"))
	f.Add([]byte("default \\ nexthop via inet6 fe80::1 dev eth0 weight 1 encap ip id 5 src 1.1.1.1\n\tcache <local> mtu lock 1400\n0/33 pref\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, diags := Parse(data)
		if r == nil {
			t.Fatal("nil Result")
		}
		checkFuzzDiags(t, diags)
		for _, rt := range r.Routes {
			if rt.Line <= 0 || !rt.Dst.IsValid() || rt.Type == "" {
				t.Fatalf("bad route %+v", rt)
			}
		}
	})
}

func addSeeds(f *testing.F, files ...string) {
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func checkFuzzDiags(t *testing.T, diags []diag.Diagnostic) {
	for _, d := range diags {
		if d.Line < 0 || d.Msg == "" {
			t.Fatalf("bad diagnostic %+v", d)
		}
	}
}

// genRoutes writes n lines of a Calico IPIP node's `ip route show`.
func genRoutes(n int) []byte {
	var b strings.Builder
	b.WriteString("default via 10.41.0.1 dev eth0 proto dhcp src 10.41.1.20 metric 100 \n")
	for i := 1; i < n; i++ {
		x, y := i>>8&255, i&255
		switch i % 10 {
		case 0, 1, 2:
			fmt.Fprintf(&b, "10.40.%d.%d/26 via 10.41.%d.%d dev tunl0 proto bird onlink \n", x, y&^63, x, y)
		case 3:
			fmt.Fprintf(&b, "blackhole 10.40.%d.%d/26 proto bird \n", x, y&^63)
		case 4:
			fmt.Fprintf(&b, "10.41.%d.0/24 dev eth%d proto kernel scope link src 10.41.%d.20 metric 100 \n", x, y&3, x)
		default:
			fmt.Fprintf(&b, "10.40.%d.%d dev cali%011x scope link \n", x, y, i*7919)
		}
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	data := genRoutes(5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, diags := Parse(data)
		if len(r.Routes) != 5000 || len(diags) != 0 {
			b.Fatalf("got %d routes, %d diagnostics: %v", len(r.Routes), len(diags), diags)
		}
	}
}
