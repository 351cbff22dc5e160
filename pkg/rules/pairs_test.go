package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// A pair rule with pairs binds only the peers it names for each node, in the
// order the loop over every pair would (so that reports do not change), and
// never a node with itself.
func TestPairsBindsOnlyTheNamedPeers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs string
		want  []string // messages, node->peer
	}{
		{"every peer, as without pairs", "cluster.nodes.map(p, p.name)",
			[]string{"node-a->node-b", "node-a->node-c", "node-b->node-a", "node-b->node-c", "node-c->node-a", "node-c->node-b"}},
		{"one peer each", "node.name == 'node-a' ? ['node-c'] : node.name == 'node-c' ? ['node-b'] : []",
			[]string{"node-a->node-c", "node-c->node-b"}},
		{"named out of order and twice: bound once, in node order", "node.name == 'node-b' ? ['node-c', 'node-a', 'node-c'] : []",
			[]string{"node-b->node-a", "node-b->node-c"}},
		{"unknown names and the node itself are skipped", "['node-x', node.name, '']", nil},
		{"no pairs at all", "[]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{})
			rule := "id: pairs\ntitle: Named pairs\nstage: link\nseverity: info\nscope: pair\n" +
				"pairs: \"" + tc.pairs + "\"\nmatch: \"true\"\nmessage: node.name + '->' + peer.name\nremediation: none\n"
			if errs := e.LoadFS(fstest.MapFS{"pairs.yaml": {Data: []byte(rule)}}, "rules"); errs != nil {
				t.Fatal(errs)
			}
			var msgs []string
			for _, f := range e.Eval(testCluster()) {
				if f.Rule != "pairs" || f.Node+"->"+f.Peer != f.Message {
					t.Errorf("finding %s on %s/%s: %s", f.Rule, f.Node, f.Peer, f.Message)
				}
				msgs = append(msgs, f.Message)
			}
			if !slices.Equal(msgs, tc.want) {
				t.Errorf("got %v, want %v", msgs, tc.want)
			}
		})
	}
}

// A pairs expression that fails on a node is a rule error for that node; the
// other nodes are still paired.
func TestPairsFailureIsARuleErrorOnThatNode(t *testing.T) {
	e := newEngine(t, Options{})
	rule := "id: pairs\ntitle: Named pairs\nstage: link\nseverity: info\nscope: pair\n" +
		"pairs: \"node.name == 'node-b' ? [string(1 / 0)] : ['node-a']\"\nmatch: \"true\"\nmessage: node.name + '->' + peer.name\nremediation: none\n"
	if errs := e.LoadFS(fstest.MapFS{"pairs.yaml": {Data: []byte(rule)}}, "rules"); errs != nil {
		t.Fatal(errs)
	}
	var got []string
	for _, f := range e.Eval(testCluster()) {
		got = append(got, f.Rule+" "+f.Node+"->"+f.Peer)
		if f.Rule == findings.RuleError && !strings.Contains(f.Message, "pairs.yaml") {
			t.Errorf("rule error %q does not name the file", f.Message)
		}
	}
	// node-a names only itself: nothing is bound.
	want := []string{"rule-error node-b->", "pairs node-c->node-a"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestPairsIsCheckedWhenLoaded(t *testing.T) {
	for _, tc := range []struct {
		name, scope, pairs, want string
	}{
		{"not a pair rule", "node", "['node-a']", "pairs is for scope: pair"},
		{"not a list of names", "pair", "[1, 2]", "pairs must evaluate to list(string)"},
		{"peer is not bound", "pair", "[peer.name]", "undeclared reference to 'peer'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{})
			rule := "id: pairs\ntitle: Named pairs\nstage: link\nseverity: info\nscope: " + tc.scope + "\n" +
				"pairs: \"" + tc.pairs + "\"\nmatch: \"true\"\nmessage: \"'x'\"\nremediation: none\n"
			errs := e.LoadFS(fstest.MapFS{"pairs.yaml": {Data: []byte(rule)}}, "rules")
			var msgs []string
			for _, err := range errs {
				msgs = append(msgs, err.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q lack %q", msgs, tc.want)
			}
		})
	}
}

// whenNoPairs makes a node that pairs names no peer for "not checked" (one
// finding for the node, no peer) where it gives a reason, and stays silent
// where the reason is empty; a node lacking what the rule needs is reported
// once, as insufficient, not again for having no pairs.
func TestWhenNoPairsIsNotCheckedPerNode(t *testing.T) {
	for _, tc := range []struct {
		name, pairs, whenNoPairs, needs string
		want                            []string // rule node->peer insufficient message
	}{
		{"no pairs anywhere: each node not checked", "[]", "'no traffic on ' + node.name", "",
			[]string{
				"pairs node-a-> true insufficient data: no traffic on node-a",
				"pairs node-b-> true insufficient data: no traffic on node-b",
				"pairs node-c-> true insufficient data: no traffic on node-c",
			}},
		{"only the node itself or unknown names is no pairs", "[node.name, 'node-x']", "node.name == 'node-b' ? 'none' : ''", "",
			[]string{"pairs node-b-> true insufficient data: none"}},
		{"nodes with peers are judged as before", "node.name == 'node-a' ? ['node-b'] : []", "'none'", "",
			[]string{
				"pairs node-a->node-b false a->b",
				"pairs node-b-> true insufficient data: none",
				"pairs node-c-> true insufficient data: none",
			}},
		{"an empty reason keeps the old silence", "[]", "''", "", nil},
		{"a node lacking a need is reported once", "[]", "'none'", "sysctl",
			[]string{
				"pairs node-a-> true insufficient data: none",
				"pairs node-b-> true insufficient data: needs sysctl, not in this node's bundle",
				"pairs node-c-> true insufficient data: none",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{})
			rule := "id: pairs\ntitle: Named pairs\nstage: link\nseverity: info\nscope: pair\n" +
				"pairs: \"" + tc.pairs + "\"\nwhenNoPairs: \"" + tc.whenNoPairs + "\"\n"
			if tc.needs != "" {
				rule += "needs: [" + tc.needs + "]\n"
			}
			rule += "match: \"true\"\nmessage: \"node.name.substring(5) + '->' + peer.name.substring(5)\"\nremediation: none\n"
			if errs := e.LoadFS(fstest.MapFS{"pairs.yaml": {Data: []byte(rule)}}, "rules"); errs != nil {
				t.Fatal(errs)
			}
			var got []string
			for _, f := range e.Eval(testCluster()) {
				got = append(got, fmt.Sprintf("%s %s->%s %v %s", f.Rule, f.Node, f.Peer, f.Insufficient, f.Message))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestWhenNoPairsIsCheckedWhenLoaded(t *testing.T) {
	for _, tc := range []struct {
		name, pairs, whenNoPairs, want string
	}{
		{"without pairs", "", "'x'", "whenNoPairs needs pairs"},
		{"not a string", "['node-a']", "true", "whenNoPairs must evaluate to string"},
		{"peer is not bound", "['node-a']", "peer.name", "undeclared reference to 'peer'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{})
			rule := "id: pairs\ntitle: Named pairs\nstage: link\nseverity: info\nscope: pair\n"
			if tc.pairs != "" {
				rule += "pairs: \"" + tc.pairs + "\"\n"
			}
			rule += "whenNoPairs: \"" + tc.whenNoPairs + "\"\nmatch: \"true\"\nmessage: \"'x'\"\nremediation: none\n"
			errs := e.LoadFS(fstest.MapFS{"pairs.yaml": {Data: []byte(rule)}}, "rules")
			var msgs []string
			for _, err := range errs {
				msgs = append(msgs, err.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q lack %q", msgs, tc.want)
			}
		})
	}
}
