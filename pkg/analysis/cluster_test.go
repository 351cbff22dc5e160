package analysis

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// clusterWide are the files `collect cluster` gathers once into cluster/
// instead of into every node's bundle (the CoreDNS logs too).
func clusterWide(p string) bool {
	return strings.HasPrefix(p, "kube/") || slices.Contains([]string{
		bundle.CalicoIPPoolsPath, bundle.CalicoFelixPath, bundle.CalicoDaemonSetPath, bundle.CorednsLogPath,
		"calico/networkpolicies.yaml", "calico/globalnetworkpolicies.yaml",
	}, p)
}

// splitScenario writes a txtar scenario as `collect cluster` would have: node
// folders without the cluster-wide files, and one cluster/ folder holding
// each of them once (from the first node that has it).
func splitScenario(t *testing.T, path string) (whole, split []string) {
	t.Helper()
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shared := map[string][]byte{}
	var nodes []string
	for _, f := range ar.Files {
		node, rel, ok := strings.Cut(f.Name, "/")
		if !ok {
			t.Fatalf("%s: %s is not under a node folder", path, f.Name)
		}
		if !slices.Contains(nodes, node) {
			nodes = append(nodes, node)
		}
		dst := filepath.Join(dir, node, filepath.FromSlash(rel))
		if clusterWide(rel) {
			if _, ok := shared[rel]; !ok {
				shared[rel] = f.Data
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(shared) == 0 {
		t.Fatalf("%s holds no cluster-wide file", path)
	}
	m := &bundle.Manifest{Schema: bundle.SchemaV1, Node: "cluster", Scope: bundle.ScopeCluster, CollectedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for p, b := range shared {
		m.Items = append(m.Items, bundle.Item{Path: p, Source: bundle.SourceKubectl, Status: bundle.StatusOK})
		dst := filepath.Join(dir, "cluster", filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mb, _ := m.Marshal()
	if err := os.WriteFile(filepath.Join(dir, "cluster", bundle.ManifestPath), mb, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		split = append(split, filepath.Join(dir, n))
	}
	return []string{path}, append(split, filepath.Join(dir, "cluster"))
}

// TestTheClusterFolderStandsInForEachNodesKubeObjects: analysing node bundles
// without kube objects plus the cluster/ folder of `collect cluster` gives the
// findings of the bundles that each carried them; cluster/ is no node.
func TestTheClusterFolderStandsInForEachNodesKubeObjects(t *testing.T) {
	eng, err := Engine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"route-next-hop-wrong", "ipvs-dns-stale-backend", "calico-autodetect-wrong-interface", "ipip-healthy", "tunnel-mode-mismatch",
		"coredns-upstream-timeout", "coredns-forward-loop"} {
		t.Run(sc, func(t *testing.T) {
			whole, split := splitScenario(t, filepath.Join("..", "..", "testdata", "bundles", sc+".txtar"))
			a, err := Run(eng, whole, Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Run(eng, split, Options{})
			if err != nil {
				t.Fatal(err)
			}
			summary := func(fs []string) string { return strings.Join(fs, "\n") }
			fa, fb := findingKeys(a.Findings), findingKeys(b.Findings)
			if summary(fa) != summary(fb) {
				t.Errorf("findings differ\nwhole:\n%s\nsplit:\n%s", summary(fa), summary(fb))
			}
			if len(a.Nodes) != len(b.Nodes) {
				t.Errorf("nodes %d, split %d: cluster/ counted as a node?", len(a.Nodes), len(b.Nodes))
			}
			ja, _ := json.Marshal(a.Cluster)
			jb, _ := json.Marshal(b.Cluster)
			if string(ja) != string(jb) {
				t.Errorf("cluster view differs\nwhole %s\nsplit %s", ja, jb)
			}
			for _, w := range b.Warnings {
				if strings.HasPrefix(w, "cluster:") {
					t.Errorf("warning about the cluster folder: %s", w)
				}
			}
			if (a.RootCause == nil) != (b.RootCause == nil) || a.RootCause != nil && a.RootCause.Rule != b.RootCause.Rule {
				t.Errorf("root cause %+v, split %+v", a.RootCause, b.RootCause)
			}
		})
	}
}

func findingKeys[F any](fs []F) []string {
	var out []string
	for _, f := range fs {
		b, _ := json.Marshal(f)
		var m struct{ Rule, Severity, Node, Peer string }
		_ = json.Unmarshal(b, &m)
		out = append(out, fmt.Sprintf("%s %s %s %s", m.Severity, m.Rule, m.Node, m.Peer))
	}
	slices.Sort(out)
	return out
}
