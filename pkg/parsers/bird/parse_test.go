package bird

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

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *Result
		wantDiags []string
	}{
		{
			name: "a BIRD 1 table with a one-word since and an info column containing spaces",
			in: "BIRD 1.6.8 ready.\n" +
				"name     proto    table    state  since       info\n" +
				"direct1  Direct   master   down   2023-01-01\n" +
				"Mesh_10_0_0_13 BGP  master start 10:02:33 Active        Socket: Connection refused\n",
			want: &Result{Version: "1.6.8", Protocols: []Protocol{
				{Line: 3, Name: "direct1", Proto: "Direct", Table: "master", State: "down", Since: "2023-01-01"},
				{Line: 4, Name: "Mesh_10_0_0_13", Proto: "BGP", Table: "master", State: "start", Since: "10:02:33",
					Info: "Active        Socket: Connection refused", BGPState: "Active", LastError: "Socket: Connection refused", PeerAddr: addr("10.0.0.13")},
			}},
		},
		{
			name: "a since of date and time is one column",
			in:   "Node_10_0_0_14 BGP master start 2023-01-01 10:02:33 Connect\r\n",
			want: &Result{Protocols: []Protocol{
				{Line: 1, Name: "Node_10_0_0_14", Proto: "BGP", Table: "master", State: "start", Since: "2023-01-01 10:02:33",
					Info: "Connect", BGPState: "Connect", PeerAddr: addr("10.0.0.14")},
			}},
		},
		{
			name:      "the client's connection error is kept as evidence that BIRD is down",
			in:        "Unable to connect to server control socket (/var/run/calico/bird.ctl): No such file or directory\n",
			want:      &Result{Unavailable: "Unable to connect to server control socket (/var/run/calico/bird.ctl): No such file or directory", UnavailableLine: 1},
			wantDiags: []string{"warning:1"},
		},
		{
			name:      "an unreadable row is skipped with a warning, numbered errors are reported",
			in:        "BIRD 1.6.8 ready.\nMesh_10_0_0_12 BGP master\n9001 syntax error, unexpected END\n",
			want:      &Result{Version: "1.6.8"},
			wantDiags: []string{"warning:2", "warning:3"},
		},
		{
			name:      "text that is no protocol table at all is an error",
			in:        "hello world\nsomething else\n",
			want:      &Result{},
			wantDiags: []string{"error:0"},
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

func TestFixtures(t *testing.T) {
	tests := []struct {
		file        string
		version     string
		protocols   int
		established []string // peers
		down        []string // BGP peers not Established
		summary     string
	}{
		{"birdcl-calico-bird1.txt", "v0.3.3+birdv1.6.8", 8, []string{"192.168.10.12", "10.0.0.1"}, []string{"192.168.10.13", "192.168.20.1"},
			"BIRD v0.3.3+birdv1.6.8: 8 protocols, 4 BGP sessions (2 Established)"},
		{"birdc-bird2-all.txt", "2.0.12", 5, []string{"2001:db8::12"}, []string{"2001:db8::13"},
			"BIRD 2.0.12: 5 protocols, 2 BGP sessions (1 Established)"},
		{"birdc-v-coded.txt", "1.6.8", 4, []string{"10.0.0.12"}, []string{"10.0.0.13"},
			"BIRD 1.6.8: 4 protocols, 2 BGP sessions (1 Established)"},
		{"calicoctl-node-status.txt", "", 3, []string{"10.0.0.12"}, []string{"10.0.0.13", "10.0.5.1"},
			"3 protocols, 3 BGP sessions (1 Established), calico running"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" reads every session with its peer", func(t *testing.T) {
			res, ds := Parse(readFixture(t, tt.file))
			if len(ds) != 0 {
				t.Errorf("diagnostics: %v", ds)
			}
			if res.Version != tt.version || len(res.Protocols) != tt.protocols {
				t.Errorf("version %q, %d protocols; want %q, %d: %+v", res.Version, len(res.Protocols), tt.version, tt.protocols, res.Protocols)
			}
			var est, down []string
			for _, p := range res.BGP() {
				if p.Established() {
					est = append(est, p.PeerAddr.String())
				} else {
					down = append(down, p.PeerAddr.String())
				}
			}
			if !reflect.DeepEqual(est, tt.established) || !reflect.DeepEqual(down, tt.down) {
				t.Errorf("established %v, down %v; want %v, %v", est, down, tt.established, tt.down)
			}
			if got := res.Summary(); got != tt.summary {
				t.Errorf("Summary() = %q, want %q", got, tt.summary)
			}
		})
	}
}

func TestDetailsAndWrappedCells(t *testing.T) {
	res, _ := Parse(readFixture(t, "birdc-bird2-all.txt"))
	p, ok := res.Peer(addr("2001:db8::13"))
	if !ok || p.LastError != "BGP Error: Bad peer AS" || p.BGPState != "Idle" || p.Line != 11 || p.Since != "2024-03-11 09:00:01" {
		t.Errorf("peer 2001:db8::13 = %+v, %v", p, ok)
	}
	res, _ = Parse(readFixture(t, "calicoctl-node-status.txt"))
	p, ok = res.Peer(addr("10.0.0.13"))
	if !ok || p.Info != "Active Socket: Connection refused" || p.LastError != "Socket: Connection refused" || p.PeerType != "node-to-node mesh" {
		t.Errorf("wrapped calicoctl row = %+v, %v", p, ok)
	}
	res, _ = Parse(readFixture(t, "birdc-v-coded.txt"))
	if p, ok := res.Peer(addr("10.0.0.13")); !ok || p.Line != 6 || p.State != "start" {
		t.Errorf("coded continuation row = %+v, %v", p, ok)
	}
}

func TestPeerFromName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"node-to-node mesh IPv4", "Mesh_10_0_0_12", "10.0.0.12"},
		{"BGPPeer for one node", "Node_10_0_0_14", "10.0.0.14"},
		{"global peer with a port", "Global_10_0_0_1_port_1790", "10.0.0.1"},
		{"IPv6 with a compressed zero run", "Mesh_2001_db8__1", "2001:db8::1"},
		{"a two-word prefix", "Local_Workload_10_0_0_5", "10.0.0.5"},
		{"no address in the name", "kernel1", "invalid IP"},
		{"an address-like tail that is not one", "Mesh_10_0_0", "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PeerFromName(tt.in).String(); got != tt.want {
				t.Errorf("PeerFromName(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("  Neighbor address: x\n|  | a | b | c | d |\n1002-\n 0000\nMesh__ BGP t up 2023-01-01 10:00:00\n"))
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
		_ = res.BGP()
	})
}
