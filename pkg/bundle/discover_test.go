package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const hostRoute = "default via 10.60.0.1 dev bond0 proto static\n"

// TestNoAllClearOnNothingOpenAll: containers of node bundles open as every
// node in them; a path with no bundle, or a bundle with none of the layout's
// files, is ErrNotBundle. Temporary folders are gone once the bundles close.
func TestNoAllClearOnNothingOpenAll(t *testing.T) {
	nodeTar := func(name string) []byte {
		return gz(t, makeTar(t, file(name+"/net/ip-route.txt", hostRoute), file(name+"/host/hostname", name+"\n")))
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, work string) string
		want  []string // node names; nil: ErrNotBundle
		paths []string // Bundle.Path suffixes, when checked
	}{
		{"a folder of node folders", func(t *testing.T, w string) string {
			for _, n := range []string{"rke-w1", "rke-w2", "rke-cp"} {
				writeFile(t, filepath.Join(w, "ticket", n), "net/ip-route.txt", []byte(hostRoute))
			}
			writeFile(t, filepath.Join(w, "ticket"), "notes.txt", []byte("customer says DNS is slow\n"))
			return filepath.Join(w, "ticket")
		}, []string{"rke-cp", "rke-w1", "rke-w2"}, []string{"ticket/rke-cp", "ticket/rke-w1", "ticket/rke-w2"}},
		{"a folder of .tgz files and one unpacked archive", func(t *testing.T, w string) string {
			d := filepath.Join(w, "dl")
			writeFile(t, d, "eks-a-20260102T030405Z.tgz", nodeTar("eks-a"))
			writeFile(t, d, "eks-b.tar.gz", nodeTar("eks-b"))
			writeFile(t, filepath.Join(d, "eks-c-unpacked", "eks-c"), "net/ip-route.txt", []byte(hostRoute))
			return d
		}, []string{"eks-a", "eks-b", "eks-c"}, nil},
		{"a tarball of node folders", func(t *testing.T, w string) string {
			data := gz(t, makeTar(t,
				file("export/aks-n1/net/ip-route.txt", hostRoute), file("export/aks-n2/net/ip-route.txt", hostRoute)))
			return writeFile(t, w, "all.tgz", data)
		}, []string{"aks-n1", "aks-n2"}, []string{"all.tgz:aks-n1", "all.tgz:aks-n2"}},
		{"a tarball of tarballs", func(t *testing.T, w string) string {
			inner := makeTar(t, ent{name: "bundles/k3s-x.tgz", typ: '0', body: string(nodeTar("k3s-x"))},
				ent{name: "bundles/k3s-y.tgz", typ: '0', body: string(nodeTar("k3s-y"))},
				file("bundles/README", "from the customer\n"))
			return writeFile(t, w, "ticket-4711.tar", inner)
		}, []string{"k3s-x", "k3s-y"}, []string{"ticket-4711.tar:k3s-x.tgz", "ticket-4711.tar:k3s-y.tgz"}},
		{"an empty folder", func(t *testing.T, w string) string {
			d := filepath.Join(w, "empty")
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			return d
		}, nil, nil},
		{"a folder of unrelated files", func(t *testing.T, w string) string {
			d := filepath.Join(w, "etc-like")
			writeFile(t, filepath.Join(d, "calico"), "calicoctl.cfg", []byte("apiVersion: projectcalico.org/v3\n"))
			writeFile(t, d, "hostname", []byte("worker-3\n"))
			writeFile(t, filepath.Join(d, "net"), "README", []byte("x\n"))
			return d
		}, nil, nil},
		{"an archive with none of the layout's files", func(t *testing.T, w string) string {
			return writeFile(t, w, "x.tgz", gz(t, makeTar(t, file("node-z/README", "hello\n"), file("node-z/net/notes.txt", "x\n"))))
		}, nil, nil},
		{"a txtar node with none of the layout's files", func(t *testing.T, w string) string {
			return writeFile(t, w, "s.txtar", []byte("-- node-q/README --\nhello\n"))
		}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent, work := extractParent(t), t.TempDir()
			p := tc.setup(t, work)
			bs, err := OpenAll([]string{p}, Options{TempDir: parent})
			if tc.want == nil {
				if !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "holds no node bundle") {
					t.Fatalf("error %v, want ErrNotBundle saying what was expected", err)
				}
				assertEmptyDir(t, parent)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var nodes []string
			for _, b := range bs {
				nodes = append(nodes, b.Node)
				if _, err := b.ReadFile(IPRoutePath); err != nil {
					t.Errorf("%s: %v", b.Node, err)
				}
			}
			if !slices.Equal(nodes, tc.want) {
				t.Errorf("nodes %q, want %q", nodes, tc.want)
			}
			for i, suf := range tc.paths {
				if !strings.HasSuffix(bs[i].Path, suf) {
					t.Errorf("bundle %d path %q, want ...%s", i, bs[i].Path, suf)
				}
			}
			// Closed in any order, nothing is left behind, and a bundle stays
			// readable until it is closed itself.
			for i := len(bs) - 1; i >= 0; i-- {
				if i > 0 {
					if _, err := bs[0].ReadFile(IPRoutePath); err != nil {
						t.Errorf("bundle 0 unreadable after closing %d: %v", i, err)
					}
				}
				if err := bs[i].Close(); err != nil {
					t.Error(err)
				}
			}
			assertEmptyDir(t, parent)
		})
	}
}
