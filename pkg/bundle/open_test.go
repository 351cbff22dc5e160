package bundle

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

const routeTxt = "default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 100\n"

func TestOpenReadsGoodArchives(t *testing.T) {
	nodeA := []ent{
		dir("node-a/"), dir("node-a/net/"),
		file("node-a/net/ip-route.txt", routeTxt),
		file("node-a/ethtool/eth0.txt", "Features for eth0:\n"),
		file("node-a/ethtool/tunl0.txt", "Features for tunl0:\n"),
		file("node-a/pcap/eth0.pcap", "\xd4\xc3\xb2\xa1"),
	}
	wantA := map[string]string{
		"net/ip-route.txt":  routeTxt,
		"ethtool/eth0.txt":  "Features for eth0:\n",
		"ethtool/tunl0.txt": "Features for tunl0:\n",
		"pcap/eth0.pcap":    "\xd4\xc3\xb2\xa1",
	}
	gnuWant := map[string]string{
		"net/ip-route.txt": "default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n",
		"host/hostname":    "node-gnu.example.com\n",
		"pcap/eth0.pcap":   strings.Repeat("\x00", 64<<10) + "tail",
	}
	readTestdata := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	tests := []struct {
		name         string
		file         string // archive file name
		data         []byte
		wantFiles    map[string]string
		wantNode     string
		wantSource   string
		wantWarnings []string // parts of the warnings, in order
	}{
		{name: "a tgz with one top folder is read", file: "node-a.tgz", data: gz(t, makeTar(t, nodeA...)),
			wantFiles: wantA, wantNode: "node-a", wantSource: NodeFromFolder},
		{name: "a plain tar is read", file: "node-a.tar", data: makeTar(t, nodeA...),
			wantFiles: wantA, wantNode: "node-a", wantSource: NodeFromFolder},
		{name: "a tgz saved under a .tar name is recognised by its content", file: "node-a.tar", data: gz(t, makeTar(t, nodeA...)),
			wantFiles: wantA, wantNode: "node-a", wantSource: NodeFromFolder},
		{name: "a tar with a ./ prefix and no directory entries is read", file: "x.tar",
			data:      makeTar(t, file("./node-b/net/ip-route.txt", routeTxt), file("./node-b/host/hostname", "node-b.example.com\n")),
			wantFiles: map[string]string{"net/ip-route.txt": routeTxt, "host/hostname": "node-b.example.com\n"},
			wantNode:  "node-b.example.com", wantSource: NodeFromHostname},
		{name: "a git-archive global header is skipped", file: "x.tgz",
			data:      gz(t, makeTar(t, ent{name: "pax_global_header", typ: tar.TypeXGlobalHeader}, file("node-c/net/ip-route.txt", routeTxt))),
			wantFiles: map[string]string{"net/ip-route.txt": routeTxt}, wantNode: "node-c", wantSource: NodeFromFolder},
		{name: "a collector-named top folder loses its timestamp as a node name", file: "x.tgz",
			data:      gz(t, makeTar(t, file("node-d-20240501T101500Z/net/ip-route.txt", routeTxt))),
			wantFiles: map[string]string{"net/ip-route.txt": routeTxt}, wantNode: "node-d", wantSource: NodeFromFolder},
		{name: "an archive without a top folder uses its root and its file name", file: "node-e-20240501T101500Z.tar.gz",
			data:      gz(t, makeTar(t, file("net/ip-route.txt", routeTxt), file("ipvs/ipvsadm-Ln.txt", "IP Virtual Server\n"))),
			wantFiles: map[string]string{"net/ip-route.txt": routeTxt, "ipvs/ipvsadm-Ln.txt": "IP Virtual Server\n"},
			wantNode:  "node-e", wantSource: NodeFromFileName,
			wantWarnings: []string{"not under one top folder (2 top-level names: ipvs, net)"}},
		{name: "an archive of only a layout folder uses its root", file: "node-f.tgz",
			data:      gz(t, makeTar(t, file("net/ip-route.txt", routeTxt))),
			wantFiles: map[string]string{"net/ip-route.txt": routeTxt},
			wantNode:  "node-f", wantSource: NodeFromFileName,
			wantWarnings: []string{"only top folder, net, is a folder of the bundle layout"}},
		{name: "a top folder named like a layout folder that holds a bundle is a top folder", file: "x.tgz",
			data:      gz(t, makeTar(t, file("net/net/ip-route.txt", routeTxt))),
			wantFiles: map[string]string{"net/ip-route.txt": routeTxt}, wantNode: "net", wantSource: NodeFromFolder},
		{name: "a GNU tar with an old-style sparse file is read", file: "sparse-gnu.tar", data: readTestdata("sparse-gnu.tar"),
			wantFiles: gnuWant, wantNode: "node-gnu.example.com", wantSource: NodeFromHostname},
		{name: "a GNU tar.bz2 with a PAX sparse file is read", file: "b.tar.bz2", data: readTestdata("gnu-pax-sparse.tar.bz2"),
			wantFiles: gnuWant, wantNode: "node-gnu.example.com", wantSource: NodeFromHostname},
		{name: "a GNU tar tgz with record padding is read", file: "gnu.tgz", data: readTestdata("gnu.tgz"),
			wantFiles: gnuWant, wantNode: "node-gnu.example.com", wantSource: NodeFromHostname},
		{name: "an archive holding nothing of the layout is read with a warning", file: "x.tgz",
			data:      gz(t, makeTar(t, file("node-z/README", "hello\n"))),
			wantFiles: map[string]string{"README": "hello\n"}, wantNode: "node-z", wantSource: NodeFromFolder,
			wantWarnings: []string{"holds none of the bundle layout's files"}},
		{name: "a gzip stream with trailing garbage is read with a warning", file: "node-a.tgz",
			data:      append(gz(t, makeTar(t, nodeA...)), "garbage"...),
			wantFiles: wantA, wantNode: "node-a", wantSource: NodeFromFolder,
			wantWarnings: []string{"damaged gzip data after the end of the tar data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := extractParent(t)
			p := writeFile(t, t.TempDir(), tt.file, tt.data)
			b, err := Open(p, Options{TempDir: parent})
			if err != nil {
				t.Fatal(err)
			}
			if got := bundleFiles(t, b); !maps.Equal(got, tt.wantFiles) {
				t.Errorf("files = %q, want %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tt.wantFiles)))
			}
			if b.Node != tt.wantNode || b.NodeSource != tt.wantSource {
				t.Errorf("node = %q from %s, want %q from %s", b.Node, b.NodeSource, tt.wantNode, tt.wantSource)
			}
			if b.Path != p {
				t.Errorf("Path = %q, want %q", b.Path, p)
			}
			if rel, err := filepath.Rel(parent, b.Root); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("Root %q is not inside %q", b.Root, parent)
			}
			if _, err := os.Stat(filepath.Join(b.Root, "net", "ip-route.txt")); err != nil && tt.wantFiles["net/ip-route.txt"] != "" {
				t.Errorf("Root does not hold the files on disk: %v", err)
			}
			checkWarnings(t, b.Warnings, tt.wantWarnings)
			if err := fstest.TestFS(b.FS, slices.Sorted(maps.Keys(tt.wantFiles))...); err != nil {
				t.Errorf("FS: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			assertEmptyDir(t, parent)
			if err := b.Close(); err != nil {
				t.Errorf("a second Close: %v", err)
			}
		})
	}
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("warnings = %q, want %d matching %q", got, len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("warning %d = %q, want it to say %q", i, got[i], want[i])
		}
	}
}

func TestOpenWritesPrivateModes(t *testing.T) {
	parent := extractParent(t)
	data := gz(t, makeTar(t, ent{name: "node-a/", typ: tar.TypeDir}, file("node-a/net/ip-route.txt", routeTxt)))
	b, err := Open(writeFile(t, t.TempDir(), "a.tgz", data), Options{TempDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	for name, want := range map[string]os.FileMode{".": 0o700, "net": 0o700, "net/ip-route.txt": 0o600} {
		fi, err := os.Stat(filepath.Join(b.Root, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s has mode %v, want at most %v", name, got, want)
		}
	}
}

func TestOpenNamesTheNode(t *testing.T) {
	manifest := func(node string) string {
		return `{"schema":"podnet-bundle/v1","node":"` + node + `","collectedAt":"2024-05-01T10:15:00Z","collector":{"name":"podnetdiag","version":"0.1"},"items":[]}`
	}
	tests := []struct {
		name         string
		entries      []ent
		wantNode     string
		wantSource   string
		wantManifest bool
		wantWarnings []string
	}{
		{name: "the manifest's node comes first",
			entries:  []ent{file("top/manifest.json", manifest("node-m")), file("top/host/hostname", "node-m.example.com\n")},
			wantNode: "node-m", wantSource: NodeFromManifest, wantManifest: true},
		{name: "a manifest disagreeing with the hostname is kept with a warning",
			entries:  []ent{file("top/manifest.json", manifest("node-m")), file("top/host/hostname", "other\n")},
			wantNode: "node-m", wantSource: NodeFromManifest, wantManifest: true,
			wantWarnings: []string{`manifest.json names node "node-m" but host/hostname says "other"`}},
		{name: "a manifest that is not JSON gives way to the hostname",
			entries:  []ent{file("top/manifest.json", "{not json"), file("top/host/hostname", "node-h\n")},
			wantNode: "node-h", wantSource: NodeFromHostname, wantWarnings: []string{"manifest.json: invalid character"}},
		{name: "a manifest without a node gives way to the hostname",
			entries:  []ent{file("top/manifest.json", manifest("")), file("top/host/hostname", "node-h\n")},
			wantNode: "node-h", wantSource: NodeFromHostname, wantManifest: true},
		{name: "a manifest whose node is not a name gives way to the folder",
			entries:  []ent{file("top/manifest.json", manifest("two words"))},
			wantNode: "top", wantSource: NodeFromFolder, wantManifest: true, wantWarnings: []string{`node "two words" is not a node name`}},
		{name: "the hostname's first non-blank line is trimmed",
			entries:  []ent{file("top/host/hostname", "\ufeff\r\n  \n# hostname\r\n  node-h.example.com \r\nnoise\n")},
			wantNode: "node-h.example.com", wantSource: NodeFromHostname},
		{name: "an empty hostname gives way to the folder",
			entries:  []ent{file("top/host/hostname", "\n\n")},
			wantNode: "top", wantSource: NodeFromFolder, wantWarnings: []string{"host/hostname is empty"}},
		{name: "a hostname holding an error message gives way to the folder",
			entries:  []ent{file("top/host/hostname", "bash: hostname: command not found\n")},
			wantNode: "top", wantSource: NodeFromFolder, wantWarnings: []string{"is not a host name"}},
		{name: "a manifest with odd items is kept with warnings",
			entries: []ent{file("top/manifest.json", `{"schema":"podnet-bundle/v2","node":"n1","collectedAt":"yesterday",
				"items":[{"path":"net/ip-route.txt","source":"telepathy","status":"ok"},{"path":"/abs","source":"file","status":"error"},
				{"path":"logs/coredns.log","source":"kubectl","status":"forbidden","error":"HTTP 403"},{"path":"logs/node-local-dns.log","source":"kubectl","status":"forbidden"},
				{"path":"kube/nodes.json","source":"kubectl","status":"denied","error":"HTTP 403"}]}`)},
			wantNode: "n1", wantSource: NodeFromManifest, wantManifest: true,
			wantWarnings: []string{`collectedAt "yesterday"`, `unknown schema "podnet-bundle/v2"`, `unknown source "telepathy"`, `path "/abs" is not`, "status error without an error message",
				"status forbidden without an error message", `unknown status "denied"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := extractParent(t)
			b, err := Open(writeFile(t, t.TempDir(), "x.tgz", gz(t, makeTar(t, tt.entries...))), Options{TempDir: parent})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if b.Node != tt.wantNode || b.NodeSource != tt.wantSource {
				t.Errorf("node = %q from %s, want %q from %s", b.Node, b.NodeSource, tt.wantNode, tt.wantSource)
			}
			if (b.Manifest != nil) != tt.wantManifest {
				t.Errorf("Manifest = %v, want present: %v", b.Manifest, tt.wantManifest)
			}
			checkWarnings(t, b.Warnings, tt.wantWarnings)
		})
	}
}

func TestOpenReadsDirectories(t *testing.T) {
	t.Run("a directory is read in place and Close leaves it alone", func(t *testing.T) {
		d := t.TempDir()
		writeFile(t, d, "net/ip-route.txt", []byte(routeTxt))
		b, err := Open(d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Root != d || b.Node != filepath.Base(d) || b.NodeSource != NodeFromFolder {
			t.Errorf("Root %q, node %q from %s", b.Root, b.Node, b.NodeSource)
		}
		if got := bundleFiles(t, b); !maps.Equal(got, map[string]string{"net/ip-route.txt": routeTxt}) {
			t.Errorf("files = %q", got)
		}
		b.Close()
		if _, err := os.Stat(filepath.Join(d, "net/ip-route.txt")); err != nil {
			t.Errorf("Close removed the directory's files: %v", err)
		}
	})
	t.Run("the parent of one unpacked bundle is entered with a warning", func(t *testing.T) {
		d := t.TempDir()
		writeFile(t, d, "node-x/net/ip-route.txt", []byte(routeTxt))
		writeFile(t, d, ".DS_Store", []byte("junk"))
		b, err := Open(d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Node != "node-x" || b.Root != filepath.Join(d, "node-x") || !b.Exists(IPRoutePath) {
			t.Errorf("Root %q, node %q", b.Root, b.Node)
		}
		checkWarnings(t, b.Warnings, []string{"holds one folder, node-x"})
	})
	t.Run("a symbolic link out of a directory bundle cannot be read", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("symlinks need privileges")
		}
		d, outside := t.TempDir(), t.TempDir()
		secret := writeFile(t, outside, "secret", []byte("secret"))
		writeFile(t, d, "net/ip-route.txt", []byte(routeTxt))
		if err := os.Symlink(secret, filepath.Join(d, "net", "ip-neigh.txt")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../../"+filepath.Base(outside)+"/secret", filepath.Join(d, "net", "rel.txt")); err != nil {
			t.Fatal(err)
		}
		b, err := Open(d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for _, name := range []string{IPNeighPath, "net/rel.txt"} {
			if data, err := b.ReadFile(name); err == nil {
				t.Errorf("ReadFile(%s) = %q through a link out of the bundle", name, data)
			}
		}
		if names, _ := b.List("net"); !slices.Equal(names, []string{IPRoutePath}) {
			t.Errorf("List(net) = %q, want only the regular file", names)
		}
	})
}

func TestReadHelpers(t *testing.T) {
	parent := extractParent(t)
	data := gz(t, makeTar(t,
		file("n/net/ip-route.txt", routeTxt),
		file("n/ethtool/eth0.txt", "a"), file("n/ethtool/cali123.txt", "b"), file("n/ethtool/notes.md", "c"),
		file("n/pcap/eth0.pcap", "p"), file("n/pcap/eth0.json", "{}"),
		file("n/logs/big.log", strings.Repeat("x", 1000)),
		dir("n/ethtool/sub/"),
	))
	b, err := Open(writeFile(t, t.TempDir(), "n.tgz", data), Options{TempDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	if got, _ := b.List(EthtoolDir); !slices.Equal(got, []string{"ethtool/cali123.txt", "ethtool/eth0.txt", "ethtool/notes.md"}) {
		t.Errorf("List(ethtool) = %q (folders are not files)", got)
	}
	if got, _ := b.Glob(EthtoolDir + "/*.txt"); !slices.Equal(got, []string{"ethtool/cali123.txt", "ethtool/eth0.txt"}) {
		t.Errorf("Glob(ethtool/*.txt) = %q", got)
	}
	if got, _ := b.Glob(PcapDir + "/*"); !slices.Equal(got, []string{"pcap/eth0.json", "pcap/eth0.pcap"}) {
		t.Errorf("Glob(pcap/*) = %q", got)
	}
	if _, err := b.List("kube"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing folder: %v, want fs.ErrNotExist", err)
	}
	if _, err := b.ReadFile(IPVSPath); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `file "ipvs/ipvsadm-Ln.txt"`) {
		t.Errorf("ReadFile of a missing file: %v, want fs.ErrNotExist naming the file", err)
	}
	if _, err := b.ReadFileLimit("logs/big.log", 999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFileLimit over the cap: %v, want ErrTooLarge", err)
	}
	if got, err := b.ReadFileLimit("logs/big.log", 1000); err != nil || len(got) != 1000 {
		t.Errorf("ReadFileLimit at the cap: %d bytes, %v", len(got), err)
	}
	for _, bad := range []string{"../n.tgz", "/etc/passwd", "net/../net/ip-route.txt", ""} {
		if _, err := b.ReadFile(bad); err == nil {
			t.Errorf("ReadFile(%q) succeeded", bad)
		}
		if b.Exists(bad) {
			t.Errorf("Exists(%q)", bad)
		}
	}
	if _, err := b.ReadFile("ethtool/sub"); !errors.Is(err, ErrSpecialFile) {
		t.Errorf("ReadFile of a folder: %v", err)
	}
	if !b.Exists(IPRoutePath) || !b.Exists("ethtool") || b.Exists(IPVSPath) {
		t.Error("Exists is wrong")
	}
	f, err := b.Open("pcap/eth0.pcap")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != "p" {
		t.Errorf("Open read %q", got)
	}
}

func TestOpenAll(t *testing.T) {
	t.Run("archives, directories and txtar files are opened in order", func(t *testing.T) {
		parent, work := extractParent(t), t.TempDir()
		tgz := writeFile(t, work, "a.tgz", gz(t, makeTar(t, file("node-a/net/ip-route.txt", routeTxt))))
		d := filepath.Join(work, "node-b")
		writeFile(t, d, "net/ip-route.txt", []byte(routeTxt))
		tx := writeFile(t, work, "s.txtar", []byte("scenario\n-- node-c/net/ip-route.txt --\nx\n-- node-a/net/ip-route.txt --\ny\n"))
		bs, err := OpenAll([]string{tgz, d, tx}, Options{TempDir: parent})
		if err != nil {
			t.Fatal(err)
		}
		var nodes []string
		for _, b := range bs {
			nodes = append(nodes, b.Node)
		}
		if !slices.Equal(nodes, []string{"node-a", "node-b", "node-c", "node-a"}) {
			t.Errorf("nodes = %q", nodes)
		}
		checkWarnings(t, bs[3].Warnings, []string{`node "node-a" is also the node of bundle ` + tgz})
		for _, b := range bs {
			b.Close()
		}
		assertEmptyDir(t, parent)
	})
	t.Run("a failure closes what was opened", func(t *testing.T) {
		parent, work := extractParent(t), t.TempDir()
		tgz := writeFile(t, work, "a.tgz", gz(t, makeTar(t, file("node-a/net/ip-route.txt", routeTxt))))
		bad := writeFile(t, work, "b.tgz", gz(t, makeTar(t, file("../x", "x"))))
		_, err := OpenAll([]string{tgz, tgz, bad, tgz}, Options{TempDir: parent})
		if !errors.Is(err, ErrUnsafeName) || !strings.Contains(err.Error(), bad) {
			t.Fatalf("error %v, want the unsafe entry of %s", err, bad)
		}
		assertEmptyDir(t, parent)
	})
	t.Run("a missing path is an error naming it", func(t *testing.T) {
		_, err := OpenAll([]string{"/nonexistent/x.tgz"}, Options{})
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "bundle /nonexistent/x.tgz: ") {
			t.Fatalf("error %v", err)
		}
	})
}

// TestOpenStreamsLargeFiles extracts a 200 MB file and checks the heap did not
// hold it: entries are copied through a fixed buffer.
func TestOpenStreamsLargeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB to disk")
	}
	const size = 200 << 20
	work, parent := t.TempDir(), extractParent(t)
	p := filepath.Join(work, "big.tgz")
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// BestSpeed: the default level takes seconds over 200 MB of zeros, and the
	// test is about reading.
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "node-big/pcap/eth0.pcap", Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
	if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zw.Close()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b, err := Open(p, Options{TempDir: parent})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("Open allocated %d MB for a %d MB file", alloc>>20, size>>20)
	}
	fi, err := fs.Stat(b.FS, "pcap/eth0.pcap")
	if err != nil || fi.Size() != size {
		t.Fatalf("extracted pcap: %v, %v", fi, err)
	}
	if _, err := b.ReadFileLimit("pcap/eth0.pcap", 100<<20); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFileLimit(100 MB) of a 200 MB file: %v, want ErrTooLarge", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
