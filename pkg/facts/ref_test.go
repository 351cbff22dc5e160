package facts

import (
	"encoding/json"
	"fmt"
	"testing"
)

// lines is a LineSource that quotes "file:line" and counts its calls.
type lines struct{ calls int }

func (l *lines) LineText(file string, line int) string {
	l.calls++
	return fmt.Sprintf("%s:%d", file, line)
}

func TestResolveRefs(t *testing.T) {
	l := &lines{}
	src := &Source{l}
	c := &Cluster{
		DNSServiceIPRef: RefAt(NewLoc("a", "f", src), 1),
		Nodes: []Node{{
			Name:        "a",
			DNSServices: []IPVSService{{Reals: []IPVSReal{{Ref: RefAt(NewLoc("a", "ipvs", src), 7)}}}},
			Calico:      Calico{Env: map[string]Value{"X": {Value: "1", Ref: RefAt(NewLoc("a", "env", src), 3)}}},
		}},
		// A ref with text of its own keeps it; one without a line has none.
	}
	c.FelixRef = FileRef("a", "felix")
	c.FelixRef.Line, c.FelixRef.Text = 2, "as built"
	c.CalicoInstallRef = RefAt(NewLoc("a", "ds", src), 0)
	ResolveRefs(c)
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"field", c.DNSServiceIPRef.Text, "f:1"},
		{"slice of slices", c.Nodes[0].DNSServices[0].Reals[0].Ref.Text, "ipvs:7"},
		{"map value", c.Nodes[0].Calico.Env["X"].Ref.Text, "env:3"},
		{"own text", c.FelixRef.Text, "as built"},
		{"no line", c.CalicoInstallRef.Text, ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: text %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	// Resolved once: the source is let go.
	n := l.calls
	ResolveRefs(c)
	if l.calls != n {
		t.Errorf("a second ResolveRefs asked the source again (%d calls, then %d)", n, l.calls)
	}
}

// A ref's JSON is what it was when node and file were fields of their own:
// node and file always, line, packet and text when set; and reads back.
func TestRefJSON(t *testing.T) {
	l := &lines{}
	loc := NewLoc("node-a", "net/ip-route.txt", &Source{l})
	for _, tc := range []struct {
		name string
		ref  Ref
		want string
	}{
		{"zero", Ref{}, `{"node":"","file":""}`},
		{"file", FileRef("node-a", "kube/nodes.json"), `{"node":"node-a","file":"kube/nodes.json"}`},
		{"line of a shared location", RefAt(loc, 7), `{"node":"node-a","file":"net/ip-route.txt","line":7}`},
		{"packet with text", PacketRef("n", "pcap/eth0.pcap", 9, "DNS query"), `{"node":"n","file":"pcap/eth0.pcap","packet":9,"text":"DNS query"}`},
		{"text", NewRef("n", "f", 2, "x \"q\""), `{"node":"n","file":"f","line":2,"text":"x \"q\""}`},
	} {
		b, err := json.Marshal(tc.ref)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.name, b, err, tc.want)
			continue
		}
		var back Ref
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tc.ref) {
			t.Errorf("%s: read back %+v (%v), want %+v", tc.name, back, err, tc.ref)
		}
	}
	if l.calls != 0 {
		t.Errorf("writing refs quoted %d lines: text is quoted on ResolveText only", l.calls)
	}
	a, b := RefAt(loc, 7), NewRef("node-a", "net/ip-route.txt", 7, "")
	if !a.Equal(b) || a.Equal(RefAt(loc, 8)) || a.Equal(NewRef("node-b", "net/ip-route.txt", 7, "")) {
		t.Error("Equal does not compare node, file and line")
	}
	if w := FileRef("", "f").WithNode("n"); w.Node() != "n" || w.File() != "f" {
		t.Errorf("WithNode: %s %s", w.Node(), w.File())
	}
	if shared := RefAt(loc, 3).WithNode("other"); loc.node != "node-a" || shared.Node() != "other" {
		t.Error("WithNode changed the shared location")
	}
}
