package analysis

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/assemble"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

// The model does not depend on how early each node's parses are let go: built
// as analyze builds it (a node's own facts as soon as it is parsed, then
// assemble.ShedNode: its IPVS, routes, links and most of its iptables-save
// gone before Build) it equals the model built from the whole parses, for
// every scenario bundle.
func TestShedNodeKeepsWhatBuildReads(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/bundles/*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenario bundles: %v", err)
	}
	model := func(c *facts.Cluster) []byte {
		facts.ResolveRefs(c)
		b, err := json.MarshalIndent(c, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	checked := 0
	for _, p := range paths {
		if filepath.Ext(p) == ".md" {
			continue
		}
		shed, _, _, err := Facts([]string{p}, Options{})
		if err != nil {
			continue // not a bundle on its own (a README); the hostile ones have tests of their own
		}
		nodes, err := load.LoadAll([]string{p}, Options{}.Bundle)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		whole := assemble.Build(nodes, assemble.Options{})
		if a, b := model(shed), model(whole); !bytes.Equal(a, b) {
			t.Errorf("%s: the model differs when nodes are shed before Build:\n%s", p, firstDiff(a, b))
		}
		_ = load.CloseAll(nodes)
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d scenarios compared", checked)
	}
}

// firstDiff shows the first differing line of two texts, with its neighbours.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) && i < len(bl); i++ {
		if !bytes.Equal(al[i], bl[i]) {
			lo := max(0, i-3)
			return "shed:  " + string(bytes.Join(al[lo:min(len(al), i+2)], []byte("\n"))) + "\nwhole: " + string(bytes.Join(bl[lo:min(len(bl), i+2)], []byte("\n")))
		}
	}
	return "lengths differ"
}
