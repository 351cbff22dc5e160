package load

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

const nodesJSON = `{"apiVersion": "v1", "kind": "List", "items": [
  {"metadata": {"name": "node-a"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.11"}]}},
  {"metadata": {"name": "node-b"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.12"}]}}
]}
`

// writeDirBundle writes a bundle folder node/ under dir.
func writeDirBundle(t *testing.T, dir, node string, files map[string]string) string {
	t.Helper()
	root := filepath.Join(dir, node)
	for p, body := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// Cluster-level files with the same bytes are parsed once and their bytes
// kept once; each node still has the file as its own (its diagnostics, its
// not-known verdict by its own manifest), and different content is parsed
// apart.
func TestLoadAllParsesEqualClusterFilesOnce(t *testing.T) {
	dir := t.TempDir()
	broken := strings.Replace(nodesJSON, `"node-b"`, `"node-b", "x": [`, 1) // not JSON any more
	failed := `{"collector": {"name": "collect", "version": "1"}, "items": [{"path": "kube/nodes.json", "status": "failed", "error": "forbidden"}]}`
	route := "default via 10.0.0.1 dev eth0\n"
	paths := []string{
		writeDirBundle(t, dir, "node-a", map[string]string{"host/hostname": "node-a\n", "net/ip-route.txt": route, "kube/nodes.json": nodesJSON}),
		writeDirBundle(t, dir, "node-b", map[string]string{"host/hostname": "node-b\n", "net/ip-route.txt": route, "kube/nodes.json": nodesJSON}),
		writeDirBundle(t, dir, "node-c", map[string]string{"host/hostname": "node-c\n", "net/ip-route.txt": route, "kube/nodes.json": broken}),
		writeDirBundle(t, dir, "node-d", map[string]string{"host/hostname": "node-d\n", "net/ip-route.txt": route, "kube/nodes.json": nodesJSON, "manifest.json": failed}),
	}
	nodes, err := LoadAll(paths, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer CloseAll(nodes)
	a, b, c, d := nodes[0], nodes[1], nodes[2], nodes[3]
	if a.KubeNodes == nil || a.KubeNodes != b.KubeNodes {
		t.Errorf("node-a and node-b hold the same nodes.json but not one parse: %p %p", a.KubeNodes, b.KubeNodes)
	}
	if &a.raw["kube/nodes.json"][0] != &b.raw["kube/nodes.json"][0] {
		t.Error("the bytes of the same nodes.json are kept twice")
	}
	if a.Routes == b.Routes {
		t.Error("node-level files must not be shared")
	}
	if c.KubeNodes != nil || fileOf(c, "kube/nodes.json").NotKnown == "" {
		t.Errorf("node-c's broken nodes.json: parsed %v, not known %q", c.KubeNodes, fileOf(c, "kube/nodes.json").NotKnown)
	}
	if d.KubeNodes != nil || !strings.Contains(fileOf(d, "kube/nodes.json").NotKnown, "forbidden") {
		t.Errorf("node-d's manifest records nodes.json failing: parsed %v, not known %q", d.KubeNodes, fileOf(d, "kube/nodes.json").NotKnown)
	}
	if a.KubeNodes == nil || fileOf(a, "kube/nodes.json").NotKnown != "" {
		t.Errorf("node-a's nodes.json lost to node-d's manifest: %q", fileOf(a, "kube/nodes.json").NotKnown)
	}
	for _, n := range nodes {
		if got := n.Line("kube/nodes.json", 2); !strings.Contains(got, "node-a") {
			t.Errorf("%s: line 2 of its nodes.json is %q", n.Name, got)
		}
	}
}

// loadView is what a node's load says, for comparing loads.
func loadView(t *testing.T, nodes []*Node) string {
	t.Helper()
	var b strings.Builder
	for _, n := range nodes {
		j, err := json.Marshal(struct {
			Name  string
			Files []File
			Warn  []string
			Nodes any
			IPVS  any
		}{n.Name, n.Files, n.Bundle.Warnings, n.KubeNodes, n.IPVS})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// The parallel, sharing LoadAll gives what loading each bundle alone gives,
// in the bundles' order, whatever the parallelism.
func TestLoadAllIsLoadOfEachWhateverTheParallelism(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 12 {
		name := fmt.Sprintf("node-%02d", i)
		paths = append(paths, writeDirBundle(t, dir, name, map[string]string{
			"host/hostname":       name + "\n",
			"kube/nodes.json":     nodesJSON,
			"ipvs/ipvsadm-Ln.txt": fmt.Sprintf("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nUDP  10.96.0.10:53 rr\n  -> 10.244.%d.5:53              Masq    1      0          0\n", i),
		}))
	}
	paths = append(paths, paths[3]) // a bundle given twice: warned about, in order
	var want strings.Builder
	for _, p := range paths {
		b, err := bundle.Open(p, bundle.Options{})
		if err != nil {
			t.Fatal(err)
		}
		n, err := Load(b)
		if err != nil {
			t.Fatal(err)
		}
		want.WriteString(loadView(t, []*Node{n}))
		b.Close()
	}
	for _, procs := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			nodes, err := LoadAll(paths, bundle.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer CloseAll(nodes)
			got := loadView(t, nodes)
			// Only the duplicate's warning tells the two apart.
			got = strings.Replace(got, `"Warn":["node \"node-03\" is also the node of bundle `+paths[3]+`"]`, `"Warn":null`, 1)
			if got != want.String() {
				t.Errorf("LoadAll:\n%s\nLoad of each:\n%s", got, want.String())
			}
		})
	}
}

// A failing path fails LoadAll with the error of the first failing path in
// order, however many run at once, and nothing stays open.
func TestLoadAllReportsTheFirstFailingPath(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 8 {
		name := fmt.Sprintf("node-%02d", i)
		paths = append(paths, writeDirBundle(t, dir, name, map[string]string{"host/hostname": name + "\n"}))
	}
	paths[5] = filepath.Join(dir, "missing-5")
	paths[2] = filepath.Join(dir, "missing-2")
	for _, procs := range []int{1, 4} {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		_, err := LoadAll(paths, bundle.Options{})
		if err == nil || !strings.Contains(err.Error(), "missing-2") {
			t.Errorf("GOMAXPROCS=%d: error %v, want the one of missing-2", procs, err)
		}
	}
}

// Line quotes at most MaxLineText bytes of a line, cut on a rune boundary: a
// compact JSON list is one line, and every ref into it quoted it whole.
func TestLineQuotesLongLinesCut(t *testing.T) {
	long := strings.Repeat("é", MaxLineText) // 2 bytes a rune: the cut falls inside one at odd offsets
	for _, tc := range []struct {
		name, line, want string
	}{
		{"short", "10.0.0.0/24 dev eth0", "10.0.0.0/24 dev eth0"},
		{"exactly the limit", strings.Repeat("x", MaxLineText), strings.Repeat("x", MaxLineText)},
		{"one byte over", strings.Repeat("x", MaxLineText+1), strings.Repeat("x", MaxLineText) + "…"},
		{"multi-byte runes", "x" + long, "x" + strings.Repeat("é", (MaxLineText-1)/2) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &Node{raw: map[string][]byte{"f": []byte("first\n" + tc.line + "\nlast\n")}, lineStarts: map[string][]int{}}
			if got := n.Line("f", 2); got != tc.want {
				t.Errorf("Line = %q (%d bytes), want %d bytes", got, len(got), len(tc.want))
			}
		})
	}
}

// Equal lists of real servers are held once for the run, whichever node
// gives them; a list differing in any field (a counter, a line, an address
// that is a prefix of another's) is its own.
func TestIPVSRealsShared(t *testing.T) {
	sh := newShared()
	base := []facts.IPVSEntryReal{{IP: "10.244.1.5", Forward: "Masq", Port: 53, Weight: 1, Line: 4}, {IP: "10.244.2.7", Forward: "Masq", Port: 53, Weight: 1, Line: 5}}
	with := func(f func(r *facts.IPVSEntryReal)) []facts.IPVSEntryReal {
		c := slices.Clone(base)
		f(&c[1])
		return c
	}
	first := sh.ipvsReals(base)
	base[0].Weight = 9 // the caller's list is not kept
	if first[0].Weight != 1 {
		t.Fatalf("the shared list follows the caller's scratch: weight %d", first[0].Weight)
	}
	base[0].Weight = 1
	for _, tc := range []struct {
		name string
		rs   []facts.IPVSEntryReal
		same bool
	}{
		{"equal", slices.Clone(base), true},
		{"an active connection more", with(func(r *facts.IPVSEntryReal) { r.ActiveConn++ }), false},
		{"another line", with(func(r *facts.IPVSEntryReal) { r.Line++ }), false},
		{"another weight", with(func(r *facts.IPVSEntryReal) { r.Weight = 0 }), false},
		{"address and forward split otherwise", with(func(r *facts.IPVSEntryReal) { r.IP, r.Forward = "10.244.2.7M", "asq" }), false},
		{"one real fewer", base[:1], false},
	} {
		got := sh.ipvsReals(tc.rs)
		if !slices.Equal(got, tc.rs) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.rs)
		}
		if same := &got[0] == &first[0]; same != tc.same {
			t.Errorf("%s: shared with the first list %v, want %v", tc.name, same, tc.same)
		}
	}
}
