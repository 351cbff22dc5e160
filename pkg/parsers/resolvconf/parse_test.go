package resolvconf

import (
	"net/netip"
	"reflect"
	"testing"
)

func ns(line int, addr string) Entry { return Entry{Line: line, Addr: netip.MustParseAddr(addr)} }

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *Result
		wantDiags []string
	}{
		{
			name: "a pod's file: search, cluster DNS, ndots",
			in:   "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
			want: &Result{
				Nameservers: []Entry{ns(2, "10.96.0.10")},
				Search:      []string{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"}, SearchLine: 1,
				Options: map[string]string{"ndots": "5"}, OptionLines: map[string]int{"ndots": 3},
			},
		},
		{
			name: "trailing comments are cut and IPv6 zones kept",
			in:   "nameserver 10.0.0.2 # primary\nnameserver fe80::1%eth0 ; link-local\r\n",
			want: &Result{
				Nameservers: []Entry{ns(1, "10.0.0.2"), ns(2, "fe80::1%eth0")},
				Options:     map[string]string{}, OptionLines: map[string]int{},
			},
		},
		{
			name: "only the last search line counts",
			in:   "search a.example\nnameserver 1.1.1.1\nsearch b.example c.example.\n",
			want: &Result{
				Nameservers: []Entry{ns(2, "1.1.1.1")},
				Search:      []string{"b.example", "c.example"}, SearchLine: 3,
				Options: map[string]string{}, OptionLines: map[string]int{},
			},
			wantDiags: []string{"info@3"},
		},
		{
			name: "options on several lines merge, later ones win",
			in:   "nameserver 1.1.1.1\noptions timeout:1 rotate\noptions timeout:3 use-vc\n",
			want: &Result{
				Nameservers: []Entry{ns(1, "1.1.1.1")},
				Options:     map[string]string{"timeout": "3", "rotate": "", "use-vc": ""},
				OptionLines: map[string]int{"timeout": 3, "rotate": 2, "use-vc": 3},
			},
		},
		{
			name: "a fourth nameserver is kept and noted",
			in:   "nameserver 1.1.1.1\nnameserver 1.0.0.1\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n",
			want: &Result{
				Nameservers: []Entry{ns(1, "1.1.1.1"), ns(2, "1.0.0.1"), ns(3, "8.8.8.8"), ns(4, "8.8.4.4")},
				Options:     map[string]string{}, OptionLines: map[string]int{},
			},
			wantDiags: []string{"info@4"},
		},
		{
			name: "bad addresses and unknown keywords are skipped with warnings",
			in:   "nameserver dns.example.com\nnameserver 10.0.0.1:53\nnameserver\nnamesever 10.0.0.9\nnameserver 10.0.0.10\n",
			want: &Result{
				Nameservers: []Entry{ns(5, "10.0.0.10")},
				Options:     map[string]string{}, OptionLines: map[string]int{},
			},
			wantDiags: []string{"warning@1", "warning@2", "warning@3", "warning@4"},
		},
		{
			name:      "comments alone leave a warning about nameservers",
			in:        "# nothing here\n",
			want:      &Result{Options: map[string]string{}, OptionLines: map[string]int{}},
			wantDiags: []string{"warning@0"},
		},
		{
			name:      "empty input is only noted",
			in:        "",
			want:      &Result{Options: map[string]string{}, OptionLines: map[string]int{}},
			wantDiags: []string{"info@0"},
		},
		{
			name:      "binary data is refused with one error",
			in:        "\x00\x00\x00\x01nameserver 1.1.1.1",
			want:      &Result{Options: map[string]string{}, OptionLines: map[string]int{}},
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := Parse([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse() =\n%+v\nwant\n%+v", got, tt.want)
			}
			if g := diagKeys(ds); !reflect.DeepEqual(g, tt.wantDiags) {
				t.Errorf("diagnostics = %v, want %v (%v)", g, tt.wantDiags, ds)
			}
		})
	}
}

func TestSystemdResolvedStubIsALoopbackStub(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/good/systemd-resolved-stub.conf"))
	if len(ds) != 0 {
		t.Errorf("unexpected diagnostics %v", ds)
	}
	if !r.IsLoopbackStub() {
		t.Error("127.0.0.53 not seen as a loopback stub")
	}
	if want := []Entry{ns(21, "127.0.0.53")}; !reflect.DeepEqual(r.Nameservers, want) {
		t.Errorf("nameservers %v, want %v", r.Nameservers, want)
	}
	if _, ok := r.Options["trust-ad"]; !ok || r.OptionLines["edns0"] != 22 {
		t.Errorf("options %v lines %v", r.Options, r.OptionLines)
	}
	if got, want := r.Summary(), "1 nameservers (1 loopback), 1 search domains, 2 options"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestPodFileIsNotALoopbackStub(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/good/pod-resolv.conf"))
	if len(ds) != 0 {
		t.Errorf("unexpected diagnostics %v", ds)
	}
	if r.IsLoopbackStub() {
		t.Error("10.96.0.10 seen as loopback")
	}
	if r.Ndots() != 5 || r.Timeout() != 5 || r.Attempts() != 2 {
		t.Errorf("ndots %d timeout %d attempts %d, want 5 5 2", r.Ndots(), r.Timeout(), r.Attempts())
	}
}

func TestDhcpFileFollowsGlibc(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/good/dhcp-mixed.conf"))
	if len(ds) != 1 || ds[0].Line != 7 || ds[0].Severity.String() != "info" {
		t.Errorf("diagnostics %v, want one info about the fourth nameserver on line 7", ds)
	}
	if len(r.Nameservers) != 4 || r.Nameservers[2].Addr.Zone() != "eth0" {
		t.Errorf("nameservers %v", r.Nameservers)
	}
	// search (line 3) comes after domain (line 2), so it wins.
	if got := r.EffectiveSearch(); !reflect.DeepEqual(got, []string{"corp.example.com", "lab.example.com"}) {
		t.Errorf("EffectiveSearch() = %v", got)
	}
	if r.Ndots() != 2 || r.Timeout() != 1 || r.Attempts() != 5 {
		t.Errorf("ndots %d timeout %d attempts %d, want 2 1 5", r.Ndots(), r.Timeout(), r.Attempts())
	}
	if _, ok := r.Options["single-request-reopen"]; !ok {
		t.Error("single-request-reopen missing")
	}
}

func TestDomainAfterSearchWins(t *testing.T) {
	r, _ := Parse([]byte("search a.example b.example\ndomain c.example\nnameserver ::1\n"))
	if got := r.EffectiveSearch(); !reflect.DeepEqual(got, []string{"c.example"}) {
		t.Errorf("EffectiveSearch() = %v, want [c.example]", got)
	}
	if !r.IsLoopbackStub() {
		t.Error("::1 not seen as loopback")
	}
}

func TestOptionsAreClampedLikeGlibc(t *testing.T) {
	tests := []struct {
		name                     string
		in                       string
		ndots, timeout, attempts int
	}{
		{"defaults without options", "nameserver 1.1.1.1", 1, 5, 2},
		{"values above the limits are clamped", "options ndots:40 timeout:99 attempts:9", 15, 30, 5},
		{"unreadable values fall back to defaults", "options ndots:x timeout: attempts:-1", 1, 5, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := Parse([]byte(tt.in))
			if r.Ndots() != tt.ndots || r.Timeout() != tt.timeout || r.Attempts() != tt.attempts {
				t.Errorf("got %d %d %d, want %d %d %d", r.Ndots(), r.Timeout(), r.Attempts(), tt.ndots, tt.timeout, tt.attempts)
			}
		})
	}
}

func TestYAMLIsNotResolvConf(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/bad/configmap.yaml"))
	if len(r.Nameservers) != 0 {
		t.Errorf("nameservers from YAML: %v", r.Nameservers)
	}
	if last := ds[len(ds)-1]; last.Severity.String() != "error" || last.Line != 0 {
		t.Errorf("last diagnostic %v, want a file-level error", last)
	}
}
