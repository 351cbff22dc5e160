package calico

import (
	"testing"
)

func TestParseFelixConfigRealList(t *testing.T) {
	r, ds := ParseFelixConfig(realdata(t, "calico/calico-6442_felixconfigurations.yaml"))
	checkDiags(t, ds, nil)
	if len(r.Configs) != 3 {
		t.Fatalf("%d configs, want 3", len(r.Configs))
	}
	d := r.Default()
	if d == nil || d.Line != 7 || d.Node != "" {
		t.Fatalf("default = %+v", d)
	}
	if v, ok := d.IPIPEnabled.Bool(); !ok || !v || d.IPIPEnabled.Line != 12 {
		t.Errorf("default ipipEnabled = %+v, want true at line 12", d.IPIPEnabled)
	}
	if d.VXLANEnabled.Set() {
		t.Errorf("default vxlanEnabled is not in the file: %+v", d.VXLANEnabled)
	}
	if f := d.Spec["bpfLogLevel"]; f != (Field{"", 11}) {
		t.Errorf("an empty string field must be kept as set: %+v", f)
	}
	n := r.ForNode("dev-k8s-controller-r1")
	if n == nil || n.Name != "node.dev-k8s-controller-r1" || n.Line != 19 {
		t.Fatalf("node r1 = %+v", n)
	}
	if f, ok := r.Effective("dev-k8s-controller-r1", "defaultEndpointToHostAction"); !ok || f != (Field{"Return", 24}) {
		t.Errorf("node override = %+v %v", f, ok)
	}
	// Not set on the node: the default object's value applies.
	if f, ok := r.Effective("dev-k8s-controller-r2", "IPIPENABLED"); !ok || f != (Field{"true", 12}) {
		t.Errorf("inherited ipipEnabled = %+v %v", f, ok)
	}
	if got, want := r.Summary(), "3 FelixConfigurations (2 per-node); default: ipipEnabled=true"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestParseFelixConfig(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      map[string]Field // "name/field" -> value
		wantCount int
		wantDiags []string
	}{
		{
			name: "the CRD object kubectl prints as JSON, numbers as written",
			in:   string(testdata(t, "crd-felixconfiguration.json")),
			want: map[string]Field{
				"default/vxlanEnabled":          {"true", 22},
				"default/vxlanMTU":              {"1400", 23},
				"default/vxlanPort":             {"8472", 24},
				"default/vxlanVNI":              {"4096", 25},
				"default/featureDetectOverride": {"ChecksumOffloadBroken=true", 17},
				"default/ipipEnabled":           {},
			},
			wantCount: 1,
		},
		{
			name: "a kubectl List of two CRD objects with a list-valued field",
			in: `apiVersion: v1
items:
- apiVersion: crd.projectcalico.org/v1
  kind: FelixConfiguration
  metadata:
    name: default
  spec:
    ipipEnabled: false
    ipipMTU: 1440
    failsafeInboundHostPorts:
    - protocol: tcp
      port: 22
    kubeNodePortRanges: ["30000:32767", "40000:40100"]
- apiVersion: crd.projectcalico.org/v1
  kind: FelixConfiguration
  metadata:
    name: node.worker-1
  spec:
    ipipMTU: 1380
kind: List
metadata:
  resourceVersion: ""
`,
			want: map[string]Field{
				"default/ipipEnabled":              {"false", 8},
				"default/ipipMTU":                  {"1440", 9},
				"default/kubeNodePortRanges":       {"30000:32767,40000:40100", 13},
				"default/failsafeInboundHostPorts": {},
				"node.worker-1/ipipMTU":            {"1380", 19},
			},
			wantCount: 2,
		},
		{
			name:      "an object without a name is kept and reported",
			in:        "kind: FelixConfiguration\nspec:\n  vxlanEnabled: true\n",
			want:      map[string]Field{"/vxlanEnabled": {"true", 3}},
			wantCount: 1,
			wantDiags: []string{"warning@1"},
		},
		{
			name:      "an IPPool is not a FelixConfiguration",
			in:        "kind: IPPool\nmetadata:\n  name: default-ipv4-ippool\n",
			wantDiags: []string{"error@0"},
		},
		{
			name:      "an empty calicoctl list is no configuration, not an error",
			in:        "apiVersion: projectcalico.org/v3\nitems: []\nkind: FelixConfigurationList\nmetadata:\n  resourceVersion: \"5\"\n",
			wantCount: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ds := ParseFelixConfig([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			if len(r.Configs) != tt.wantCount {
				t.Errorf("%d configs, want %d", len(r.Configs), tt.wantCount)
			}
			for key, want := range tt.want {
				found := false
				for _, c := range r.Configs {
					name, fname, _ := cut(key)
					if c.Name != name {
						continue
					}
					found = true
					if got := c.Spec[fname]; got != want {
						t.Errorf("%s = %+v, want %+v", key, got, want)
					}
				}
				if !found {
					t.Errorf("%s: no such object", key)
				}
			}
			if len(r.Configs) > 0 && r.Configs[0].Name == "default" {
				d := r.Configs[0]
				if d.VXLANMTU != d.Spec["vxlanMTU"] || d.IPIPMTU != d.Spec["ipipMTU"] {
					t.Errorf("typed members disagree with Spec: %+v", d)
				}
			}
		})
	}
}

func cut(key string) (string, string, bool) {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return key, "", false
}

func TestFieldConversions(t *testing.T) {
	tests := []struct {
		in           Field
		wantBool     bool
		wantBoolOK   bool
		wantInt      int
		wantIntOK    bool
		wantPresence bool
	}{
		{Field{"true", 3}, true, true, 0, false, true},
		{Field{"False", 3}, false, true, 0, false, true},
		{Field{"1440", 3}, false, false, 1440, true, true},
		{Field{"", 3}, false, false, 0, false, true},
		{Field{}, false, false, 0, false, false},
	}
	for _, tt := range tests {
		b, bok := tt.in.Bool()
		n, nok := tt.in.Int()
		if b != tt.wantBool || bok != tt.wantBoolOK || n != tt.wantInt || nok != tt.wantIntOK || tt.in.Set() != tt.wantPresence {
			t.Errorf("%+v: bool %v %v int %d %v set %v", tt.in, b, bok, n, nok, tt.in.Set())
		}
	}
}

func FuzzParseFelixConfig(f *testing.F) {
	fuzzSeeds(f, "crd-felixconfiguration.json")
	fuzzRealSeeds(f, "calico/calico-6442_felixconfigurations.yaml")
	f.Add([]byte("kind: FelixConfiguration\nmetadata: {name: node.a}\nspec: {ipipMTU: 1, IPIPMTU: 2}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParseFelixConfig(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		for _, c := range r.Configs {
			r.Effective(c.Node, "ipipMTU")
		}
		_ = r.Summary()
	})
}
