package ipset

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

func diagKeys(ds []diag.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s:%d", d.Severity, d.Line))
	}
	return out
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func host(s string) netip.Prefix {
	a := netip.MustParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen())
}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *Result
		wantDiags []string
	}{
		{
			name: "a Calico hosts set lists its members with line numbers",
			in: "Name: cali40all-hosts-net\nType: hash:net\nRevision: 6\n" +
				"Header: family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x8bca1e8a\n" +
				"Size in memory: 1234\nReferences: 1\nNumber of entries: 2\nMembers:\n10.0.0.11\n10.0.1.0/24\n",
			want: &Result{Sets: []Set{{
				Line: 1, Name: "cali40all-hosts-net", Type: "hash:net", Revision: 6, Family: "inet",
				Header:       "family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x8bca1e8a",
				SizeInMemory: 1234, References: 1, NumEntries: 2,
				Members: []Member{
					{Line: 9, Value: "10.0.0.11", Prefix: host("10.0.0.11"), Timeout: -1},
					{Line: 10, Value: "10.0.1.0/24", Prefix: netip.MustParsePrefix("10.0.1.0/24"), Timeout: -1},
				},
			}}},
		},
		{
			name: "member options are read: timeout, counters, a quoted comment with spaces, nomatch",
			in: "Name: s\r\nType: hash:ip,port\r\nHeader: family inet6 timeout 300 counters comment\r\nMembers:\r\n" +
				"fd00::1,udp:53 timeout 299 packets 3 bytes 180 comment \"dns a\" nomatch\r\n",
			want: &Result{Sets: []Set{{
				Line: 1, Name: "s", Type: "hash:ip,port", Family: "inet6", Header: "family inet6 timeout 300 counters comment",
				SizeInMemory: -1, References: -1, NumEntries: -1,
				Members: []Member{{
					Line: 5, Value: "fd00::1,udp:53", Prefix: host("fd00::1"), Timeout: 299, Packets: 3, Bytes: 180,
					Comment: "dns a", NoMatch: true, Options: "timeout 299 packets 3 bytes 180 comment \"dns a\" nomatch",
				}},
			}}},
		},
		{
			name: "old ipset without entry count and sets not separated by blank lines",
			in:   "Name: a\nType: list:set\nHeader: size 8\nMembers:\nb\nName: b\nType: hash:ip\nMembers:\n",
			want: &Result{Sets: []Set{
				{Line: 1, Name: "a", Type: "list:set", Header: "size 8", SizeInMemory: -1, References: -1, NumEntries: -1,
					Members: []Member{{Line: 5, Value: "b", Timeout: -1}}},
				{Line: 6, Name: "b", Type: "hash:ip", SizeInMemory: -1, References: -1, NumEntries: -1},
			}},
		},
		{
			name: "a listing cut short is flagged on the set's line",
			in:   "Name: x\nType: hash:ip\nNumber of entries: 3\nMembers:\n10.0.0.1\n",
			want: &Result{Sets: []Set{{Line: 1, Name: "x", Type: "hash:ip", SizeInMemory: -1, References: -1, NumEntries: 3,
				Members: []Member{{Line: 5, Value: "10.0.0.1", Prefix: host("10.0.0.1"), Timeout: -1}}}}},
			wantDiags: []string{"warning:1"},
		},
		{
			name: "terse listing has headers only and is not complete",
			in:   "Name: x\nType: hash:ip\nReferences: 1\nNumber of entries: 3\n\nName: y\nType: hash:net\n",
			want: &Result{Sets: []Set{
				{Line: 1, Name: "x", Type: "hash:ip", SizeInMemory: -1, References: 1, NumEntries: 3, Terse: true},
				{Line: 6, Name: "y", Type: "hash:net", SizeInMemory: -1, References: -1, NumEntries: -1, Terse: true},
			}},
		},
		{
			name:      "bad header values and stray lines are warnings",
			in:        "Name: x\nRevision: six\nnonsense\nadd nope 10.0.0.1\n",
			want:      &Result{Sets: []Set{{Line: 1, Name: "x", Revision: -1, SizeInMemory: -1, References: -1, NumEntries: -1, Terse: true}}},
			wantDiags: []string{"warning:2", "warning:3", "warning:4"},
		},
		{
			name:      "output that is no ipset listing at all is an error",
			in:        "ipset v7.1: Kernel error received: Operation not permitted\n",
			want:      &Result{},
			wantDiags: []string{"error:0"},
		},
		{
			name: "empty input is an empty result",
			in:   "\n\n",
			want: &Result{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := Parse([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse() =\n%+v\nwant\n%+v", got, tt.want)
			}
			if g := diagKeys(ds); !reflect.DeepEqual(g, tt.wantDiags) {
				t.Errorf("diagnostics = %v (%v), want %v", g, ds, tt.wantDiags)
			}
		})
	}
}

func TestListFixture(t *testing.T) {
	res, ds := Parse(readFixture(t, "calico-ipip-kube-ipvs.txt"))
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	if len(res.Sets) != 8 {
		t.Fatalf("%d sets, want 8", len(res.Sets))
	}
	hosts := res.Get("cali40all-hosts-net")
	if hosts == nil || hosts.NumEntries != 3 || len(hosts.Members) != 3 || !hosts.Complete() || hosts.References != 2 {
		t.Fatalf("cali40all-hosts-net = %+v", hosts)
	}
	for _, tc := range []struct {
		addr string
		want bool
	}{{"192.168.10.12", true}, {"192.168.10.14", false}, {"::ffff:192.168.10.13", true}} {
		if got := hosts.Contains(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("hosts.Contains(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	cip := res.Get("KUBE-CLUSTER-IP")
	if cip == nil || cip.Members[0].Value != "10.96.0.10,udp:53" || !cip.Contains(netip.MustParseAddr("10.96.0.10")) || cip.Members[0].Line != 53 {
		t.Errorf("KUBE-CLUSTER-IP = %+v", cip)
	}
	if np := res.Get("KUBE-NODE-PORT-TCP"); np == nil || np.Members[0].Prefix.IsValid() || np.Family != "" {
		t.Errorf("bitmap:port set = %+v", np)
	}
	if v6 := res.Get("KUBE-6-CLUSTER-IP"); v6 == nil || v6.Family != "inet6" || len(v6.Members) != 0 || !v6.Complete() {
		t.Errorf("empty v6 set = %+v", v6)
	}
	if res.Get("nope") != nil {
		t.Error("Get of an absent set is not nil")
	}
	if got, want := res.Summary(), "8 sets, 16 members (cali40all-hosts-net: 3)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestSaveFixture(t *testing.T) {
	res, ds := Parse(readFixture(t, "ipset-save.txt"))
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	hosts := res.Get("cali40all-hosts-net")
	if hosts == nil || hosts.Type != "hash:net" || hosts.Family != "inet" || len(hosts.Members) != 2 || hosts.Line != 4 {
		t.Fatalf("hosts = %+v", hosts)
	}
	// The /24 contains .13, but the nomatch entry is more specific and excludes it.
	if hosts.Contains(netip.MustParseAddr("192.168.10.13")) || !hosts.Contains(netip.MustParseAddr("192.168.10.99")) {
		t.Error("nomatch exception not honoured")
	}
	tmp := res.Get("tmp-with-opts")
	if tmp == nil || tmp.Members[0].Comment != "node a" || tmp.Members[0].Timeout != 297 || tmp.Members[0].Packets != 12 {
		t.Errorf("tmp-with-opts = %+v", tmp)
	}
	if got, want := res.Summary(), "3 sets, 5 members (cali40all-hosts-net: 2, cali40all-vxlan-net: 2)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Name: s\nMembers:\n10.0.0.1 comment \"x\ntimeout\n::ffff:1.2.3.4/120 nomatch\nfe80::1%eth0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, ds := Parse(data)
		if res == nil {
			t.Fatal("nil Result")
		}
		for _, d := range ds {
			if d.Line < 0 || d.Msg == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		_ = res.Summary()
		for i := range res.Sets {
			res.Sets[i].Contains(netip.MustParseAddr("10.0.0.1"))
			res.Sets[i].Complete()
		}
	})
}
