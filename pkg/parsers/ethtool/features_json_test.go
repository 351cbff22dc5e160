package ethtool

import (
	"reflect"
	"testing"
)

func TestParseFeaturesJSON(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *FeaturesResult
		wantDiags []string
	}{
		{
			name: "group flags with null fixed adopt the features matching their pattern",
			in: `[ {"ifname": "eth0",
"tx-checksumming": {"active": true, "fixed": null, "requested": null},
"tx-checksum-ipv4": {"active": false, "fixed": true, "requested": false},
"tx-checksum-ip-generic": {"active": true, "fixed": false, "requested": true},
"highdma": {"active": true, "fixed": true, "requested": true},
"tx-checksum-sctp": {"active": true, "fixed": false, "requested": true}
} ]`,
			want: &FeaturesResult{Interface: "eth0", Features: []Feature{
				{Line: 2, Name: "tx-checksumming", On: true},
				{Line: 3, Name: "tx-checksum-ipv4", Fixed: true, Parent: "tx-checksumming"},
				{Line: 4, Name: "tx-checksum-ip-generic", On: true, Parent: "tx-checksumming"},
				{Line: 5, Name: "highdma", On: true, Fixed: true},
				// The group ended at highdma: a later match is not adopted.
				{Line: 6, Name: "tx-checksum-sctp", On: true},
			}},
		},
		{
			name: "requested differing from active is recorded",
			in:   `{"ifname":"bond0","generic-segmentation-offload":{"active":false,"fixed":false,"requested":true}}`,
			want: &FeaturesResult{Interface: "bond0", Features: []Feature{
				{Line: 1, Name: "generic-segmentation-offload", RequestedSet: true, RequestedOn: true},
			}},
		},
		{
			name: "an entry of the wrong shape is skipped with a warning",
			in:   "[{\"ifname\":\"eth0\",\n\"highdma\": 3,\n\"loopback\": {\"fixed\": true},\n\"rx-gro-hw\": {\"active\": true}}]",
			want: &FeaturesResult{Interface: "eth0", Features: []Feature{
				{Line: 4, Name: "rx-gro-hw", On: true},
			}},
			wantDiags: []string{"warning@2", "warning@3"},
		},
		{
			name: "truncated JSON keeps what came before",
			in:   "[ {\"ifname\": \"eth0\",\n\"highdma\": {\"active\": true, \"fixed\": true, \"requested\": true},\n\"loopback\": {\"act",
			want: &FeaturesResult{Interface: "eth0", Features: []Feature{
				{Line: 2, Name: "highdma", On: true, Fixed: true},
			}},
			wantDiags: []string{"warning@3"},
		},
		{
			name: "truncated JSON ending in a newline is blamed on its last line",
			in:   "[ {\"ifname\": \"eth0\",\n\"highdma\": {\"active\": true}\n",
			want: &FeaturesResult{Interface: "eth0", Features: []Feature{
				{Line: 2, Name: "highdma", On: true},
			}},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "a second interface is not mixed in",
			in:        `[{"ifname":"a","highdma":{"active":true}},{"ifname":"b"}]`,
			want:      &FeaturesResult{Interface: "a", Features: []Feature{{Line: 1, Name: "highdma", On: true}}},
			wantDiags: []string{"warning@1"},
		},
		{
			name:      "an empty array lists nothing",
			in:        "[]",
			want:      &FeaturesResult{},
			wantDiags: []string{"warning@0"},
		},
		{
			name:      "JSON of another shape is not ethtool output",
			in:        `["a", "b"]`,
			want:      &FeaturesResult{},
			wantDiags: []string{"error@1"},
		},
		{
			name:      "broken JSON is not ethtool output",
			in:        "{\n]",
			want:      &FeaturesResult{},
			wantDiags: []string{"error@2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := ParseFeatures([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseFeatures() =\n%+v\nwant\n%+v", got, tt.want)
			}
			if g := diagKeys(ds); !reflect.DeepEqual(g, tt.wantDiags) {
				t.Errorf("diagnostics = %v, want %v (%v)", g, tt.wantDiags, ds)
			}
		})
	}
}

func TestParseFeaturesJSONFixture(t *testing.T) {
	r, ds := ParseFeatures(readFile(t, "testdata/good/features-json.json"))
	if len(ds) != 0 {
		t.Errorf("unexpected diagnostics %v", ds)
	}
	if r.Interface != "ens5" || len(r.Features) != 16 {
		t.Fatalf("interface %q with %d features, want ens5 with 16", r.Interface, len(r.Features))
	}
	want := map[string]Feature{
		"tx-checksum-ip-generic":       {Line: 18, Name: "tx-checksum-ip-generic", On: true, Parent: "tx-checksumming"},
		"tx-tcp6-segmentation":         {Line: 53, Name: "tx-tcp6-segmentation", On: true, Parent: "tcp-segmentation-offload"},
		"generic-segmentation-offload": {Line: 58, Name: "generic-segmentation-offload", RequestedSet: true, RequestedOn: true},
		"tx-udp_tnl-segmentation":      {Line: 78, Name: "tx-udp_tnl-segmentation", On: true},
		"rx-checksumming":              {Line: 3, Name: "rx-checksumming", On: true},
	}
	for name, w := range want {
		if f, ok := r.Get(name); !ok || f != w {
			t.Errorf("Get(%q) = %+v, %v; want %+v", name, f, ok, w)
		}
	}
}
