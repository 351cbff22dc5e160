package calico

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParseIPPoolsRealListWithTrailingProse(t *testing.T) {
	r, ds := ParseIPPools(realdata(t, "calico/calico-6301_ippool-list.yaml"))
	noErrors(t, ds)
	// The prose after the YAML is reported where it starts, once.
	checkDiags(t, ds, []string{"warning@28"})
	want := []Pool{
		{
			Line: 6, Name: "test1-pool", APIVersion: "projectcalico.org/v3",
			CIDR: netip.MustParsePrefix("2001:db8:1111::/64"), CIDRLine: 12,
			BlockSize: 122, BlockSizeLine: 11,
			NodeSelector: "all()", AllowedUses: []string{"Workload", "Tunnel"},
		},
		{
			Line: 17, Name: "test2-pool", APIVersion: "projectcalico.org/v3",
			CIDR: netip.MustParsePrefix("2001:db8:2222::/64"), CIDRLine: 23,
			BlockSize: 122, BlockSizeLine: 22,
			IPIPMode: "Never", IPIPModeLine: 24, VXLANMode: "Never", VXLANModeLine: 26,
			NodeSelector: "all()", AllowedUses: []string{"Workload", "Tunnel"},
		},
	}
	if !reflect.DeepEqual(r.Pools, want) {
		t.Errorf("pools =\n%+v\nwant\n%+v", r.Pools, want)
	}
	if len(r.Pools) == 2 {
		if e := r.Pools[0].Encapsulation(); e != "" {
			t.Errorf("pool without modes: encapsulation %q, want unknown", e)
		}
		if e := r.Pools[1].Encapsulation(); e != "none" {
			t.Errorf("Never/Never pool: encapsulation %q, want none", e)
		}
	}
	if got, want := r.Summary(), "2 IP pools (none 1, unknown 1)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestParseIPPools(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []Pool
		wantDiags []string
	}{
		{
			name: "the CRD list kubectl prints as JSON",
			in:   string(testdata(t, "crd-ippools.json")),
			want: []Pool{
				{
					Line: 13, Name: "default-ipv4-ippool", APIVersion: "crd.projectcalico.org/v1",
					CIDR: netip.MustParsePrefix("10.244.0.0/16"), CIDRLine: 23, BlockSize: 26, BlockSizeLine: 22,
					IPIPMode: "CrossSubnet", IPIPModeLine: 24, VXLANMode: "Never", VXLANModeLine: 27,
					NATOutgoing: true, NodeSelector: "all()", AllowedUses: []string{"Workload", "Tunnel"},
				},
				{
					Line: 36, Name: "migrated-vxlan", APIVersion: "crd.projectcalico.org/v1",
					CIDR: netip.MustParsePrefix("10.250.0.0/16"), CIDRLine: 41, BlockSize: 26,
					IPIPMode: "Never", IPIPModeLine: 43, VXLANMode: "Always", VXLANModeLine: 46,
					NATOutgoing: true, Disabled: true, NodeSelector: "!all()",
				},
			},
		},
		{
			name: "the calicoctl v1 form keeps the cidr in metadata and ipip in a section",
			in:   string(testdata(t, "calicoctl-v1-ippools.yaml")),
			want: []Pool{
				{
					Line: 4, Name: "192.168.0.0/16", APIVersion: "v1",
					CIDR: netip.MustParsePrefix("192.168.0.0/16"), CIDRLine: 4, BlockSize: 26,
					IPIPMode: "CrossSubnet", IPIPModeLine: 6, VXLANMode: "Never", NATOutgoing: true,
				},
				{
					Line: 13, Name: "fd80:24e2:f998:72d6::/64", APIVersion: "v1",
					CIDR: netip.MustParsePrefix("fd80:24e2:f998:72d6::/64"), CIDRLine: 13, BlockSize: 122,
					IPIPMode: "Never", VXLANMode: "Never",
				},
			},
		},
		{
			name: "a single calicoctl object with host bits, a lower-case mode and a bad blockSize",
			in: `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: p
spec:
  cidr: 10.1.2.3/16
  blockSize: big
  ipipMode: always
  vxlanMode: Sometimes
  natOutgoing: maybe
`,
			want: []Pool{{
				Line: 4, Name: "p", APIVersion: "projectcalico.org/v3",
				CIDR: netip.MustParsePrefix("10.1.0.0/16"), CIDRLine: 6, BlockSize: 26,
				IPIPMode: "Always", IPIPModeLine: 8, VXLANMode: "Sometimes", VXLANModeLine: 9,
			}},
			wantDiags: []string{"warning@7", "warning@9", "warning@10"},
		},
		{
			name: "an early v3 pool with an ipip section enabled without a mode means Always",
			in:   "kind: IPPool\nmetadata: {name: old}\nspec:\n  cidr: 192.168.0.0/16\n  ipip: {enabled: true}\n",
			want: []Pool{{
				Line: 2, Name: "old", CIDR: netip.MustParsePrefix("192.168.0.0/16"), CIDRLine: 4,
				BlockSize: 26, IPIPMode: "Always", IPIPModeLine: 5,
			}},
		},
		{
			name: "a pool without a cidr is kept and reported",
			in:   "kind: IPPool\nmetadata:\n  name: nocidr\nspec:\n  vxlanMode: Always\n",
			want: []Pool{{
				Line: 3, Name: "nocidr", BlockSize: 26, VXLANMode: "Always", VXLANModeLine: 5,
			}},
			wantDiags: []string{"warning@3"},
		},
		{
			name: "an empty list is no pools, not an error",
			in:   `{"apiVersion":"projectcalico.org/v3","items":[],"kind":"IPPoolList","metadata":{"resourceVersion":"1"}}`,
		},
		{
			name:      "a FelixConfiguration is not a pool list",
			in:        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  name: default\n",
			wantDiags: []string{"error@0"},
		},
		{
			name:      "calicoctl's error message is not a pool list",
			in:        "Failed to get resources: resource does not exist: IPPool(default-ipv4-ippool)\n",
			wantDiags: []string{"warning@1", "error@0"},
		},
		{
			name:      "binary content is one error",
			in:        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x00\x01\x02",
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ds := ParseIPPools([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			if !reflect.DeepEqual(r.Pools, tt.want) {
				t.Errorf("pools =\n%+v\nwant\n%+v", r.Pools, tt.want)
			}
		})
	}
}

func TestPoolEncapsulation(t *testing.T) {
	tests := []struct {
		ipip, vxlan, want string
	}{
		{"Always", "Never", "ipip"},
		{"CrossSubnet", "", "ipip"},
		{"Never", "CrossSubnet", "vxlan"},
		{"", "Always", "vxlan"},
		{"Never", "Never", "none"},
		{"Never", "", ""},
		{"", "", ""},
		{"Always", "Always", ""},
	}
	for _, tt := range tests {
		if got := (Pool{IPIPMode: tt.ipip, VXLANMode: tt.vxlan}).Encapsulation(); got != tt.want {
			t.Errorf("ipip %q vxlan %q: %q, want %q", tt.ipip, tt.vxlan, got, tt.want)
		}
	}
}

func FuzzParseIPPools(f *testing.F) {
	fuzzSeeds(f, "crd-ippools.json", "calicoctl-v1-ippools.yaml")
	fuzzRealSeeds(f, "calico/calico-6301_ippool-list.yaml")
	f.Add([]byte("kind: IPPool\nspec:\n  cidr: 10.0.0.0/8\n  ipip: {enabled: true, mode: always}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParseIPPools(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		for _, p := range r.Pools {
			_ = p.Encapsulation()
		}
		_ = r.Summary()
	})
}
