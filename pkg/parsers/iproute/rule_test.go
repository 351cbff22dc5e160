package iproute

import (
	"reflect"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

func TestParseRules(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []Rule
		wantDiags []wantDiag
	}{
		{
			name: "the three default rules look up local, main and default from all",
			in:   "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n",
			want: []Rule{
				{Line: 1, Priority: 0, Table: "local", Action: "lookup"},
				{Line: 2, Priority: 32766, Table: "main", Action: "lookup"},
				{Line: 3, Priority: 32767, Table: "default", Action: "lookup"},
			},
		},
		{
			name: "selectors, an inverted rule and a detached input interface are all read",
			in:   "101:\tnot from 10.0.0.0/8 to 192.168.1.1 fwmark 0x4000/0x4000 iif eth0 [detached] oif vrf1 lookup 100 suppress_prefixlength 0\n",
			want: []Rule{{Line: 1, Priority: 101, Not: true, From: pfx("10.0.0.0/8"), To: pfx("192.168.1.1/32"), FWMark: "0x4000/0x4000",
				IIF: "eth0", OIF: "vrf1", Table: "100", Action: "lookup", Flags: []string{"iif-detached"},
				Extra: map[string]string{"suppress_prefixlength": "0"}}},
		},
		{
			name: "goto, nop and route-type actions are read as actions",
			in:   "32000:\tfrom all goto 32766 [unresolved]\n32001:\tfrom all ipproto udp dport 53 blackhole\n32002:\tfrom all nop\n",
			want: []Rule{
				{Line: 1, Priority: 32000, Action: "goto", Flags: []string{"unresolved"}, Extra: map[string]string{"goto": "32766"}},
				{Line: 2, Priority: 32001, Action: "blackhole", Extra: map[string]string{"ipproto": "udp", "dport": "53"}},
				{Line: 3, Priority: 32002, Action: "nop"},
			},
		},
		{
			name: "a rule with a proto and an unknown keyword keeps both",
			in:   "1000:\tfrom all lookup [l3mdev-table] proto kernel sparkle\n",
			want: []Rule{{Line: 1, Priority: 1000, Table: "[l3mdev-table]", Action: "lookup", Flags: []string{"sparkle"}, Extra: map[string]string{"proto": "kernel"}}},
		},
		{
			name: "a bad priority or a line that is not a rule is skipped with a warning",
			in:   "x:\tfrom all lookup main\n32766:\tfrom all lookup main\nhello\n",
			want: []Rule{{Line: 2, Priority: 32766, Table: "main", Action: "lookup"}},
			wantDiags: []wantDiag{
				{diag.Warning, 1, "priority"},
				{diag.Warning, 3, "not a rule"},
			},
		},
		{
			name:      "a from selector that is not an address is a warning and the rule is kept",
			in:        "5:\tfrom nowhere lookup main\n",
			want:      []Rule{{Line: 1, Priority: 5, Table: "main", Action: "lookup", Extra: map[string]string{"from": "nowhere"}}},
			wantDiags: []wantDiag{{diag.Warning, 1, `from value "nowhere"`}},
		},
		{
			name:      "a file of something else is one error",
			in:        "default via 10.0.0.1 dev eth0\n",
			wantDiags: []wantDiag{{diag.Error, 1, "not ip rule show output"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := ParseRules([]byte(tt.in))
			checkDiags(t, diags, tt.wantDiags)
			if len(got.Rules) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got.Rules, tt.want) {
				t.Errorf("ParseRules() =\n%+v\nwant\n%+v", got.Rules, tt.want)
			}
		})
	}
}

func TestParseRulesFile(t *testing.T) {
	r, diags := ParseRules(readFile(t, "testdata/good/rules.txt"))
	checkDiags(t, diags, nil)
	if len(r.Rules) != 8 {
		t.Fatalf("got %d rules, want 8", len(r.Rules))
	}
	if m := r.Rules[1]; m.FWMark != "0x1/0x1" || m.Table != "100" || m.From.IsValid() {
		t.Errorf("fwmark rule = %+v", m)
	}
	if got, want := r.Summary(), "8 rules (tables: local, 100, main, [l3mdev-table], default; 1 with fwmark)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func FuzzParseRules(f *testing.F) {
	addSeeds(f, "testdata/good/rules.txt")
	f.Add([]byte("0:\tnot from 0/8 to 0/64 iif [detached] goto\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, diags := ParseRules(data)
		if r == nil {
			t.Fatal("nil Result")
		}
		checkFuzzDiags(t, diags)
		for _, rl := range r.Rules {
			if rl.Line <= 0 {
				t.Fatalf("bad rule %+v", rl)
			}
		}
	})
}
