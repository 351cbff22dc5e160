package nft

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

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *Result
		wantDiags []string
	}{
		{
			name: "a base chain header and a rule with a counter",
			in: "table inet filter {\n\tchain input { # handle 1\n\t\ttype filter hook input priority 0; policy drop;\n" +
				"\t\tct state established,related counter packets 10 bytes 600 accept # handle 4\n\t}\n}\n",
			want: &Result{
				Tables: []Table{{Line: 1, Family: "inet", Name: "filter"}},
				Chains: []Chain{{Line: 2, Family: "inet", Table: "filter", Name: "input", Type: "filter", Hook: "input", Priority: "0", Policy: "drop"}},
				Rules: []Rule{{Line: 4, Family: "inet", Table: "filter", Chain: "input",
					Text: "ct state established,related counter packets 10 bytes 600 accept", HasCounter: true, Packets: 10, Bytes: 600}},
			},
		},
		{
			name: "an anonymous set spanning lines stays one rule",
			in:   "table ip t {\n\tchain c {\n\t\tip daddr { 10.0.0.1,\n\t\t\t10.0.0.2 } drop\n\t}\n}\n",
			want: &Result{
				Tables: []Table{{Line: 1, Family: "ip", Name: "t"}},
				Chains: []Chain{{Line: 2, Family: "ip", Table: "t", Name: "c"}},
				Rules:  []Rule{{Line: 3, Family: "ip", Table: "t", Chain: "c", Text: "ip daddr { 10.0.0.1, 10.0.0.2 } drop"}},
			},
		},
		{
			name: "an element list cut in the middle of an element keeps the element's first line",
			in:   "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1, 10.0.0.2\n\t\t\t, 10.0.0.3 }\n\t}\n}\n",
			want: &Result{
				Tables: []Table{{Line: 1, Family: "ip", Name: "t"}},
				Sets: []Set{{Line: 2, Family: "ip", Table: "t", Name: "s", Type: "ipv4_addr", Elements: []Element{
					{Line: 4, Text: "10.0.0.1"}, {Line: 4, Text: "10.0.0.2"}, {Line: 5, Text: "10.0.0.3"}}}},
			},
		},
		{
			name: "output cut before the closing braces is read, with a warning at each open block",
			in:   "table ip t {\n\tchain c {\n\t\tcounter packets 1 bytes 2 accept\n",
			want: &Result{
				Tables: []Table{{Line: 1, Family: "ip", Name: "t"}},
				Chains: []Chain{{Line: 2, Family: "ip", Table: "t", Name: "c"}},
				Rules:  []Rule{{Line: 3, Family: "ip", Table: "t", Chain: "c", Text: "counter packets 1 bytes 2 accept", HasCounter: true, Packets: 1, Bytes: 2}},
			},
			wantDiags: []string{"warning:2", "warning:1"},
		},
		{
			name:      "stray lines are warnings",
			in:        "table ip t {\n\tbogus line\n}\n}\nnot a table\n",
			want:      &Result{Tables: []Table{{Line: 1, Family: "ip", Name: "t"}}},
			wantDiags: []string{"warning:2", "warning:4", "warning:5"},
		},
		{
			name:      "JSON output is refused with an error that says what to collect",
			in:        `{"nftables": [{"metainfo": {"version": "1.0.2"}}]}`,
			want:      &Result{},
			wantDiags: []string{"error:0"},
		},
		{
			name: "an empty ruleset is empty",
			in:   "",
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

func TestKubeProxyFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "kube-proxy-nftables-calico.txt"))
	if err != nil {
		t.Fatal(err)
	}
	res, ds := Parse(b)
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	want := []Table{
		{Line: 2, Family: "ip", Name: "nat", IptablesNFT: true},
		{Line: 24, Family: "ip", Name: "filter", IptablesNFT: true},
		{Line: 35, Family: "ip", Name: "kube-proxy"},
	}
	if !reflect.DeepEqual(res.Tables, want) {
		t.Errorf("Tables = %+v", res.Tables)
	}
	if !res.HasKubeProxyTable() {
		t.Error("HasKubeProxyTable() = false")
	}
	sips := res.ServiceIPs()
	if len(sips) != 5 {
		t.Fatalf("ServiceIPs() = %+v", sips)
	}
	if got := sips[1]; got != (ServiceIP{Line: 48, Addr: netip.MustParseAddr("10.96.0.10"), Proto: "udp", Port: 53, Chain: "service-FY5PMXPG-kube-system/kube-dns/udp/dns"}) {
		t.Errorf("ServiceIPs()[1] = %+v", got)
	}
	if sips[0].Line != 47 || sips[4].Line != 51 || sips[4].Port != 8080 {
		t.Errorf("first/last service IPs = %+v, %+v", sips[0], sips[4])
	}
	cip := res.Sets[0]
	if cip.Name != "cluster-ips" || cip.Map || len(cip.Elements) != 3 || cip.Elements[2] != (Element{Line: 41, Text: "10.101.7.211"}) {
		t.Errorf("cluster-ips = %+v", cip)
	}
	drop := res.RulesIn("ip", "filter", "cali-INPUT")
	if len(drop) != 2 || drop[1].Packets != 1187 || drop[1].Bytes != 98311 || drop[0].HasCounter != true || drop[0].Packets != 0 {
		t.Errorf("cali-INPUT = %+v", drop)
	}
	ep := res.RulesIn("ip", "kube-proxy", "endpoint-O6ON3DXL-kube-system/kube-dns/udp/dns__10.244.1.2/53")
	if len(ep) != 2 || ep[1].Text != "meta l4proto udp counter packets 41 bytes 2911 dnat to 10.244.1.2:53" {
		t.Errorf("endpoint chain = %+v", ep)
	}
	svc := res.RulesIn("ip", "kube-proxy", "services")
	if len(svc) != 2 || svc[0].Text != "ip daddr . meta l4proto . th dport vmap @service-ips" {
		t.Errorf("services chain = %+v", svc)
	}
	if got, want := res.Summary(), "3 tables (2 from iptables-nft), 11 chains, 17 rules (10 with counters), 2 sets/maps, 5 kube-proxy service IPs"; got != want {
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
	f.Add([]byte("# Warning: table ip x is managed by iptables-nft\ntable x {\nmap service-ips {\nelements = { a . b\n, }\n}\nchain \"q\" {\n{ { }\n}\n}\n"))
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
		for _, s := range append(res.ServiceIPs(), res.NoEndpointServices()...) {
			_ = res.ServiceEndpoints("ip", s.Chain)
			_, _, _, _, _ = ServiceName(s.Chain)
		}
	})
}

func TestServiceEndpoints(t *testing.T) {
	data, err := os.ReadFile("testdata/kube-proxy-nftables-calico.txt")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Parse(data)
	var chain string
	for _, s := range r.ServiceIPs() {
		if s.Addr.String() == "10.96.0.10" && s.Proto == "udp" && s.Port == 53 {
			chain = s.Chain
		}
	}
	ns, name, proto, port, ok := ServiceName(chain)
	if !ok || ns != "kube-system" || name != "kube-dns" || proto != "udp" || port != "dns" {
		t.Fatalf("ServiceName(%q) = %q %q %q %q %v", chain, ns, name, proto, port, ok)
	}
	eps := r.ServiceEndpoints("ip", chain)
	var got []string
	for _, e := range eps {
		got = append(got, e.Dest.String())
	}
	// The second endpoint chain is named in the vmap but absent from the
	// fixture: only what the ruleset holds is returned.
	if len(got) != 1 || got[0] != "10.244.1.2:53" {
		t.Errorf("endpoints %v, want [10.244.1.2:53]", got)
	}
	if _, _, _, _, ok := ServiceName("services"); ok {
		t.Error("ServiceName accepted a chain that is not a service chain")
	}
}

func TestServiceIPsElementComment(t *testing.T) {
	in := "table ip kube-proxy {\n\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n" +
		"\t\telements = { 10.43.0.10 . udp . 53 comment \"kube-system/rke2-coredns-rke2-coredns:udp-53\" : goto service-ABCDEFGH-kube-system/rke2-coredns-rke2-coredns/udp/udp-53 }\n\t}\n}\n"
	r, ds := Parse([]byte(in))
	if len(ds) != 0 {
		t.Fatalf("diags %v", ds)
	}
	s := r.ServiceIPs()
	if len(s) != 1 || s[0].Port != 53 || s[0].Addr.String() != "10.43.0.10" || s[0].Chain != "service-ABCDEFGH-kube-system/rke2-coredns-rke2-coredns/udp/udp-53" {
		t.Errorf("ServiceIPs = %+v", s)
	}
}

func TestNoEndpointServices(t *testing.T) {
	in := "table ip kube-proxy {\n\tmap no-endpoint-services {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n" +
		"\t\tcomment \"vmap to drop or reject packets to services with no endpoints\"\n" +
		"\t\telements = { 10.233.0.3 . tcp . 53 comment \"kube-system/coredns:dns-tcp\" : goto reject-chain,\n" +
		"\t\t\t     10.233.0.3 . udp . 53 comment \"kube-system/coredns:dns\" : drop }\n\t}\n}\n"
	r, ds := Parse([]byte(in))
	if len(ds) != 0 {
		t.Fatalf("diags %v", ds)
	}
	got := r.NoEndpointServices()
	if len(got) != 2 || got[0].Proto != "tcp" || got[0].Chain != "reject-chain" || got[1].Proto != "udp" || got[1].Chain != "drop" || got[1].Line != 6 || got[1].Port != 53 {
		t.Errorf("NoEndpointServices = %+v", got)
	}
	if len(r.ServiceIPs()) != 0 {
		t.Error("no-endpoint-services elements read as service-ips")
	}
}
