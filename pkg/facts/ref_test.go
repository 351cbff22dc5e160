package facts

import (
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
		DNSServiceIPRef: LineRef("a", "f", 1, src),
		Nodes: []Node{{
			Name:        "a",
			DNSServices: []IPVSService{{Reals: []IPVSReal{{Ref: LineRef("a", "ipvs", 7, src)}}}},
			Calico:      Calico{Env: map[string]Value{"X": {Value: "1", Ref: LineRef("a", "env", 3, src)}}},
		}},
		// A ref with text of its own keeps it; one without a line has none.
		FelixRef: Ref{Node: "a", File: "felix", Line: 2, Text: "as built"},
	}
	c.CalicoInstallRef = LineRef("a", "ds", 0, src)
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
