package envfile

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []Var
		wantDiags []string
	}{
		{
			name: "plain lines keep everything after the first equals sign",
			in:   "IP_AUTODETECTION_METHOD=interface=eth0\nKUBERNETES_PORT=tcp://10.96.0.1:443\nEMPTY=\n",
			want: []Var{
				{1, "IP_AUTODETECTION_METHOD", "interface=eth0"},
				{2, "KUBERNETES_PORT", "tcp://10.96.0.1:443"},
				{3, "EMPTY", ""},
			},
		},
		{
			name: "double and single quotes are removed, escapes honoured",
			in:   "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nX='a \"b\" $c'\nY=\"say \\\"hi\\\" \\$HOME \\n\"\r\n",
			want: []Var{
				{1, "PRETTY_NAME", "Debian GNU/Linux 12 (bookworm)"},
				{2, "X", "a \"b\" $c"},
				{3, "Y", "say \"hi\" $HOME \\n"},
			},
		},
		{
			name: "export prefixes, blanks around the sign and trailing comments are shell layout",
			in:   "export CALICO_IPV4POOL_IPIP=\"Always\"  # set by ops\n  FELIX_LOGSEVERITYSCREEN = info\nexport\tA=1\n",
			want: []Var{
				{1, "CALICO_IPV4POOL_IPIP", "Always"},
				{2, "FELIX_LOGSEVERITYSCREEN", "info"},
				{3, "A", "1"},
			},
		},
		{
			name: "a redacted value is kept as written",
			in:   "ETCD_KEY_FILE=<redacted>\n",
			want: []Var{{1, "ETCD_KEY_FILE", "<redacted>"}},
		},
		{
			name:      "broken quoting keeps the raw value and says so",
			in:        "A=\"unterminated\nB=\"x\" y\n",
			want:      []Var{{1, "A", "\"unterminated"}, {2, "B", "\"x\" y"}},
			wantDiags: []string{"info@1", "info@2"},
		},
		{
			name:      "a name set again takes its later value and place",
			in:        "A=1\nB=2\nA=3\n",
			want:      []Var{{2, "B", "2"}, {3, "A", "3"}},
			wantDiags: []string{"info@3"},
		},
		{
			name:      "lines without a sign or with a bad name are warned",
			in:        "CALICO_IPV4POOL_IPIP: Always\n=x\nMY VAR=1\nOK=1\n",
			want:      []Var{{4, "OK", "1"}},
			wantDiags: []string{"warning@1", "warning@2", "warning@3"},
		},
		{
			name: "raw environ is split on NUL and taken literally",
			in:   "A=\"q\"\x00B=line1\nline2\x00\x00C=\x00",
			want: []Var{{1, "A", "\"q\""}, {2, "B", "line1\nline2"}, {4, "C", ""}},
		},
		{
			name:      "a raw environ entry without a name is warned by position",
			in:        "A=1\x00junk\x00",
			want:      []Var{{1, "A", "1"}},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "comments alone leave a warning",
			in:        "# Pod calico-node-abc, container calico-node\n",
			wantDiags: []string{"warning@0"},
		},
		{
			name:      "empty input is only noted",
			in:        "",
			wantDiags: []string{"info@0"},
		},
		{
			name:      "binary data is refused with one error",
			in:        "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := Parse([]byte(tt.in))
			if !reflect.DeepEqual(got.Vars, tt.want) {
				t.Errorf("Parse() =\n%+v\nwant\n%+v", got.Vars, tt.want)
			}
			if g := diagKeys(ds); !reflect.DeepEqual(g, tt.wantDiags) {
				t.Errorf("diagnostics = %v, want %v (%v)", g, tt.wantDiags, ds)
			}
		})
	}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file        string
		count       int
		name, value string
		line        int
	}{
		{"calico-node-env.txt", 27, "CALICO_IPV4POOL_IPIP", "Always", 10},
		{"os-release-debian-12", 9, "VERSION_ID", "12", 3},
		{"os-release-centos-7", 14, "ID_LIKE", "rhel fedora", 4},
		{"kubectl-set-env-list.txt", 3, "DATASTORE_TYPE", "kubernetes", 3},
		{"proc-environ.bin", 5, "CA_BUNDLE", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", 5},
	}
	for _, tt := range tests {
		t.Run(tt.file+" parses without warnings", func(t *testing.T) {
			r, ds := Parse(readFile(t, "testdata/good/"+tt.file))
			if len(ds) != 0 {
				t.Errorf("unexpected diagnostics %v", ds)
			}
			if len(r.Vars) != tt.count {
				t.Errorf("%d variables, want %d", len(r.Vars), tt.count)
			}
			v, ok := r.Get(tt.name)
			if !ok || v.Value != tt.value || v.Line != tt.line {
				t.Errorf("Get(%q) = %+v, %v; want %q on line %d", tt.name, v, ok, tt.value, tt.line)
			}
		})
	}
}

func TestCalicoEnvSummaryCountsRedactions(t *testing.T) {
	r, _ := Parse(readFile(t, "testdata/good/calico-node-env.txt"))
	if v, _ := r.Get("ETCD_KEY_FILE"); !v.Redacted() {
		t.Errorf("ETCD_KEY_FILE = %+v, want redacted", v)
	}
	if v, _ := r.Get("HOME"); v.Redacted() {
		t.Error("HOME seen as redacted")
	}
	if got, want := r.Summary(), "27 variables (1 redacted)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if _, ok := r.Get("FELIX_NOT_SET"); ok {
		t.Error("found a variable that is not there")
	}
}

func TestYAMLIsNotAnEnvFile(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/bad/daemonset-excerpt.yaml"))
	if len(r.Vars) != 0 {
		t.Errorf("variables from YAML: %v", r.Vars)
	}
	if last := ds[len(ds)-1]; last.Severity.String() != "error" || last.Line != 0 {
		t.Errorf("last diagnostic %v, want a file-level error", last)
	}
}
