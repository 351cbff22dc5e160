package nft

import (
	"os"
	"reflect"
	"testing"
)

// testdata/felix-nftables-mode.txt is `nft list ruleset` (nft 1.0.9) of felix's
// table ip calico as its nftables dataplane lays it out (table_layer.go's
// filter- prefix, the ipset names, "cali:HASH; TEXT" comments), loaded into a
// scratch namespace; the counters of lines 22, 24, 33 and 37 were then edited
// to non-zero values. Table inet pnd-other is a host firewall, not felix's.
func TestCalicoTable(t *testing.T) {
	data, err := os.ReadFile("testdata/felix-nftables-mode.txt")
	if err != nil {
		t.Fatal(err)
	}
	r, ds := Parse(data)
	if len(ds) != 0 {
		t.Fatalf("diagnostics %v", ds)
	}
	if !r.HasCalicoTable() {
		t.Fatal("no calico table")
	}
	s := r.CalicoSet("cali40all-hosts-net")
	if s == nil {
		t.Fatal("no set cali40all-hosts-net")
	}
	var elems []string
	for _, e := range s.Elements {
		elems = append(elems, e.Text)
	}
	if want := []string{"172.31.4.10", "172.31.4.11", "172.31.9.0/24"}; !reflect.DeepEqual(elems, want) || s.Line != 2 {
		t.Errorf("set at line %d: %q, want line 2 %q", s.Line, elems, want)
	}
	if r.CalicoSet("filter-cali-from-wl-dispatch") != nil || r.CalicoSet("nope") != nil {
		t.Error("a map or a missing set returned as a set")
	}

	type tr struct {
		Line            int
		Kind, Action    string
		Set             string
		Packets         uint64
		CommentEndsWith string
	}
	var got []tr
	for _, x := range r.CalicoTunnelRules() {
		got = append(got, tr{x.Line, x.Kind, x.Action, x.Set, x.Packets, x.Comment[len("cali:PajejrV4aFdkZojI; "):]})
	}
	want := []tr{
		{21, "ipip", "accept", "cali40all-hosts-net", 0, "Allow IPIP packets from Calico hosts"},
		{22, "ipip", "drop", "", 118, "Drop IPIP packets from non-Calico hosts"},
		{23, "vxlan", "accept", "cali40all-vxlan-net", 0, "Allow IPv4 VXLAN packets from allowed hosts"},
		{24, "vxlan", "drop", "", 3391, "Drop IPv4 VXLAN packets from non-allowed hosts"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tunnel rules\n got %+v\nwant %+v", got, want)
	}

	var drops []int
	for _, x := range r.CalicoPolicyDrops() {
		drops = append(drops, x.Line)
	}
	// Both comment forms; not "Drop if no profiles matched", not the host firewall.
	if !reflect.DeepEqual(drops, []int{33, 37}) {
		t.Errorf("policy drops at lines %v, want [33 37]", drops)
	}
}

func TestVerdictAndComment(t *testing.T) {
	tests := []struct {
		text, verdict, comment string
	}{
		{`meta l4proto ipencap counter packets 1 bytes 2 drop comment "cali:x; Drop IPIP packets from non-Calico hosts"`, "drop", "cali:x; Drop IPIP packets from non-Calico hosts"},
		{`iifname "cali*" counter packets 0 bytes 0 goto filter-cali-wl-to-host comment "cali:y;"`, "goto filter-cali-wl-to-host", "cali:y;"},
		{`udp dport 4789 counter packets 0 bytes 0 drop comment "host firewall # accept later"`, "drop", "host firewall # accept later"},
		{`ip daddr . meta l4proto . th dport vmap @service-ips`, "", ""},
		{`meta l4proto tcp reject with tcp reset`, "reject", ""},
		{`ct state established,related accept`, "accept", ""},
	}
	for _, tt := range tests {
		r := Rule{Text: tt.text, Comment: ruleComment(tt.text)}
		if v := r.Verdict(); v != tt.verdict {
			t.Errorf("%s: verdict %q, want %q", tt.text, v, tt.verdict)
		}
		if r.Comment != tt.comment {
			t.Errorf("%s: comment %q, want %q", tt.text, r.Comment, tt.comment)
		}
	}
}
