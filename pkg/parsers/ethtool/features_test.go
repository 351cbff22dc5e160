package ethtool

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFeatures(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *FeaturesResult
		wantDiags []string
	}{
		{
			name: "tab-indented sub-features belong to the flag above them",
			in: "Features for eth0:\n" +
				"tx-checksumming: on\n" +
				"\ttx-checksum-ipv4: off [fixed]\n" +
				"\ttx-checksum-ip-generic: on\n" +
				"generic-segmentation-offload: off [requested on]\n" +
				"highdma: on [fixed]\n",
			want: &FeaturesResult{Interface: "eth0", Features: []Feature{
				{Line: 2, Name: "tx-checksumming", On: true},
				{Line: 3, Name: "tx-checksum-ipv4", Fixed: true, Parent: "tx-checksumming"},
				{Line: 4, Name: "tx-checksum-ip-generic", On: true, Parent: "tx-checksumming"},
				{Line: 5, Name: "generic-segmentation-offload", RequestedSet: true, RequestedOn: true},
				{Line: 6, Name: "highdma", On: true, Fixed: true},
			}},
		},
		{
			name: "four- and eight-space indents are sub-features too",
			in: "scatter-gather: on\n" +
				"    tx-scatter-gather: on [fixed]\n" +
				"tcp-segmentation-offload: on\n" +
				"        tx-tcp6-segmentation: off [requested on]\n",
			want: &FeaturesResult{Features: []Feature{
				{Line: 1, Name: "scatter-gather", On: true},
				{Line: 2, Name: "tx-scatter-gather", On: true, Fixed: true, Parent: "scatter-gather"},
				{Line: 3, Name: "tcp-segmentation-offload", On: true},
				{Line: 4, Name: "tx-tcp6-segmentation", RequestedSet: true, RequestedOn: true, Parent: "tcp-segmentation-offload"},
			}},
		},
		{
			name: "an excerpt indented as a whole keeps its top level",
			in: "    Features for tunl0:\n" +
				"    tx-checksumming: on\n" +
				"    \ttx-checksum-ip-generic: on\n" +
				"    highdma: on\n",
			want: &FeaturesResult{Interface: "tunl0", Features: []Feature{
				{Line: 2, Name: "tx-checksumming", On: true},
				{Line: 3, Name: "tx-checksum-ip-generic", On: true, Parent: "tx-checksumming"},
				{Line: 4, Name: "highdma", On: true},
			}},
		},
		{
			name: "requested off is recorded against an active on",
			in:   "rx-gro-hw: on [requested off]\n",
			want: &FeaturesResult{Features: []Feature{
				{Line: 1, Name: "rx-gro-hw", On: true, RequestedSet: true},
			}},
		},
		{
			name: "oldest ethtool spellings are normalised and its complaints are info",
			in: "Offload parameters for eth0:\n" +
				"Cannot get device udp large send offload settings: Operation not supported\n" +
				"tcp segmentation offload: on\n" +
				"Generic Receive Offload: off\n" +
				"large receive offload: on\n",
			want: &FeaturesResult{Interface: "eth0", Legacy: true, Features: []Feature{
				{Line: 3, Name: "tcp-segmentation-offload", On: true},
				{Line: 4, Name: "generic-receive-offload"},
				{Line: 5, Name: "large-receive-offload", On: true},
			}},
			wantDiags: []string{"info@2"},
		},
		{
			name: "an unreadable line is skipped with a warning and the rest is kept",
			in: "Features for eth0:\n" +
				"rx-checksumming: maybe\n" +
				"tx-checksumming: on [fixed] [bogus]\n" +
				"highdma: on\n",
			want: &FeaturesResult{Interface: "eth0", Features: []Feature{
				{Line: 4, Name: "highdma", On: true},
			}},
			wantDiags: []string{"warning@2", "warning@3"},
		},
		{
			name: "a second interface is not mixed into the first",
			in: "Features for eth0:\n" +
				"highdma: on\n" +
				"Features for eth1:\n" +
				"highdma: off\n",
			want: &FeaturesResult{Interface: "eth0", Features: []Feature{
				{Line: 2, Name: "highdma", On: true},
			}},
			wantDiags: []string{"warning@3"},
		},
		{
			name:      "a repeated feature keeps its first value",
			in:        "highdma: on\nhighdma: off\n",
			want:      &FeaturesResult{Features: []Feature{{Line: 1, Name: "highdma", On: true}}},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "a missing device leaves no features and says so",
			in:        "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n",
			want:      &FeaturesResult{},
			wantDiags: []string{"info@1", "info@2", "warning@0"},
		},
		{
			name:      "a header alone is a warning, not an error",
			in:        "Features for eth0:\n",
			want:      &FeaturesResult{Interface: "eth0"},
			wantDiags: []string{"warning@0"},
		},
		{
			name:      "empty input is only noted",
			in:        "\n\n",
			want:      &FeaturesResult{},
			wantDiags: []string{"info@0"},
		},
		{
			name:      "prose is not ethtool output",
			in:        "hello world\nthis is a note\n",
			want:      &FeaturesResult{},
			wantDiags: []string{"warning@1", "warning@2", "error@0"},
		},
		{
			name:      "binary data is refused with one error",
			in:        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03rx-checksumming: on\n",
			want:      &FeaturesResult{},
			wantDiags: []string{"error@0"},
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

func TestParseFeaturesFixtures(t *testing.T) {
	tests := []struct {
		file      string
		iface     string
		legacy    bool
		count     int
		checkName string
		check     Feature
	}{
		{"features-vxlan.calico.txt", "vxlan.calico", false, 65, "tx-checksum-ip-generic",
			Feature{Line: 5, Name: "tx-checksum-ip-generic", On: true, Parent: "tx-checksumming"}},
		{"features-offload-2.6.txt", "eth0", true, 7, "udp fragmentation offload",
			Feature{Line: 7, Name: "udp-fragmentation-offload"}},
		{"features-offload-3.x-crlf.txt", "eth1", true, 12, "receive-hashing",
			Feature{Line: 13, Name: "receive-hashing", On: true}},
	}
	for _, tt := range tests {
		t.Run(tt.file+" parses without warnings", func(t *testing.T) {
			r, ds := ParseFeatures(readFile(t, "testdata/good/"+tt.file))
			for _, d := range ds {
				if d.Severity > 0 {
					t.Errorf("unexpected diagnostic %v", d)
				}
			}
			if r.Interface != tt.iface || r.Legacy != tt.legacy || len(r.Features) != tt.count {
				t.Errorf("got interface %q legacy %v with %d features, want %q %v %d", r.Interface, r.Legacy, len(r.Features), tt.iface, tt.legacy, tt.count)
			}
			f, ok := r.Get(tt.checkName)
			if !ok || f != tt.check {
				t.Errorf("Get(%q) = %+v, %v; want %+v", tt.checkName, f, ok, tt.check)
			}
		})
	}
}

func TestParseFeaturesRejectsNonEthtool(t *testing.T) {
	r, ds := ParseFeatures(readFile(t, "testdata/bad/html-error-page.txt"))
	if len(r.Features) != 0 {
		t.Errorf("features from an HTML page: %+v", r.Features)
	}
	last := ds[len(ds)-1]
	if last.Severity.String() != "error" || !strings.Contains(last.Msg, "not `ethtool -k` output") {
		t.Errorf("last diagnostic = %v, want the not-ethtool error", last)
	}
}

func TestFeatureWantedFollowsTheRequest(t *testing.T) {
	tests := []struct {
		name string
		f    Feature
		want bool
	}{
		{"no request shown means the active state was wanted", Feature{On: true}, true},
		{"requested on wins over active off", Feature{RequestedSet: true, RequestedOn: true}, true},
		{"requested off wins over active on", Feature{On: true, RequestedSet: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Wanted(); got != tt.want {
				t.Errorf("Wanted() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFeaturesSummaryCountsFlags(t *testing.T) {
	r, _ := ParseFeatures([]byte("Features for bond0:\nhighdma: on [fixed]\ngeneric-segmentation-offload: off [requested on]\nloopback: off [fixed]\n"))
	want := "bond0: 3 features (1 on, 2 fixed), 1 not as requested"
	if got := r.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}
