package bundle

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseTxtar(t *testing.T) {
	type want struct {
		node, source string
		files        map[string]string
	}
	tests := []struct {
		name     string
		in       string
		want     []want
		wantDesc string
	}{
		{name: "each top folder becomes one bundle, in order of appearance",
			in: `Two nodes; node-b cannot reach CoreDNS.
-- node-b/net/ip-route.txt --
default via 10.0.0.1 dev eth0
-- node-a/net/ip-route.txt --
default via 10.0.0.1 dev ens3
-- node-a/host/hostname --
node-a.example.com
-- node-b/ipvs/ipvsadm-Ln.txt --
`,
			wantDesc: "Two nodes; node-b cannot reach CoreDNS.",
			want: []want{
				{"node-b", NodeFromFolder, map[string]string{"net/ip-route.txt": "default via 10.0.0.1 dev eth0\n", "ipvs/ipvsadm-Ln.txt": ""}},
				{"node-a.example.com", NodeFromHostname, map[string]string{"net/ip-route.txt": "default via 10.0.0.1 dev ens3\n", "host/hostname": "node-a.example.com\n"}},
			}},
		{name: "sections naming bundle paths make one bundle named after the file",
			in:   "-- net/ip-route.txt --\nx\n-- notes.txt --\ny",
			want: []want{{"scenario", NodeFromFileName, map[string]string{"net/ip-route.txt": "x\n", "notes.txt": "y\n"}}}},
		{name: "a manifest names the node",
			in:   "-- n1/manifest.json --\n{\"schema\":\"podnet-bundle/v1\",\"node\":\"worker-1\",\"items\":[]}\n-- n1/net/ip-route.txt --\n",
			want: []want{{"worker-1", NodeFromManifest, map[string]string{"manifest.json": "{\"schema\":\"podnet-bundle/v1\",\"node\":\"worker-1\",\"items\":[]}\n", "net/ip-route.txt": ""}}}},
		{name: "CRLF markers and ./ prefixes are accepted",
			in:   "comment\r\n-- ./node-a/net/ip-route.txt --\r\nx\r\n",
			want: []want{{"node-a", NodeFromFolder, map[string]string{"net/ip-route.txt": "x\r\n"}}}, wantDesc: "comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs, err := ParseTxtar([]byte(tt.in), "testdata/scenario.txtar")
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != len(tt.want) {
				t.Fatalf("%d bundles, want %d", len(bs), len(tt.want))
			}
			for i, b := range bs {
				w := tt.want[i]
				if b.Node != w.node || b.NodeSource != w.source {
					t.Errorf("bundle %d: node %q from %s, want %q from %s", i, b.Node, b.NodeSource, w.node, w.source)
				}
				if got := bundleFiles(t, b); !maps.Equal(got, w.files) {
					t.Errorf("bundle %d: files %q, want %q", i, got, w.files)
				}
				if b.Description != tt.wantDesc {
					t.Errorf("Description = %q, want %q", b.Description, tt.wantDesc)
				}
				if b.Root != "" || b.Path != "testdata/scenario.txtar" {
					t.Errorf("Root %q, Path %q", b.Root, b.Path)
				}
				if err := fstest.TestFS(b.FS, slices.Sorted(maps.Keys(w.files))...); err != nil {
					t.Error(err)
				}
				if err := b.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestParseTxtarRefusesBadSections(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		kind  error
		entry string
		msg   string
	}{
		{"a section climbing out is refused", "-- node-a/../../etc/passwd --\nx\n", ErrUnsafeName, "node-a/../../etc/passwd", "path escapes the bundle"},
		{"an absolute section is refused", "-- /etc/passwd --\nx\n", ErrUnsafeName, "/etc/passwd", "absolute path"},
		{"a section with a NUL is refused", "-- node-a/x\x00y --\n", ErrUnsafeName, "node-a/x\x00y", "NUL"},
		{"a duplicate section is refused", "-- node-a/x --\n1\n-- ./node-a/x --\n2\n", ErrDuplicate, "./node-a/x", "duplicate"},
		{"a section under a file section is refused", "-- node-a/x --\n-- node-a/x/y --\n", ErrDuplicate, "node-a/x/y", "earlier file"},
		{"a section naming the root is refused", "-- ./ --\n", ErrUnsafeName, "./", "root"},
		{"a txtar without sections is not a bundle", "just a comment\n", ErrNotBundle, "", "no file sections"},
		{"node folders mixed with bundle files are refused", "-- node-a/net/ip-route.txt --\n-- net/ip-route.txt --\n", ErrNotBundle, "", "mixes node folders (node-a) with bundle files at the top level (net)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTxtar([]byte(tt.in), "s.txtar")
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want kind %v", err, tt.kind)
			}
			if !strings.HasPrefix(err.Error(), "bundle s.txtar: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not name the file or say %q", err, tt.msg)
			}
			if tt.entry != "" && !strings.Contains(err.Error(), fmt.Sprintf("entry %q", tt.entry)) {
				t.Errorf("error %q does not name %q", err, tt.entry)
			}
		})
	}
}

func TestParseTxtarIsNotTiedToTheCallersBuffer(t *testing.T) {
	data := []byte("-- n/net/ip-route.txt --\nabc\n")
	bs, err := ParseTxtar(data, "s.txtar")
	if err != nil {
		t.Fatal(err)
	}
	clear(data)
	if got, _ := bs[0].ReadFile(IPRoutePath); string(got) != "abc\n" {
		t.Errorf("content changed with the caller's buffer: %q", got)
	}
}

func TestParseTxtarErrorsNameTheNodeOfAFile(t *testing.T) {
	bs, err := ParseTxtar([]byte("-- node-a/net/ip-route.txt --\n"), "s.txtar")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bs[0].ReadFile(IPVSPath)
	if want := `bundle s.txtar#node-a: file "ipvs/ipvsadm-Ln.txt": `; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want it to start with %s", err, want)
	}
}

func TestOpenTakesATxtarOfOneBundle(t *testing.T) {
	d := t.TempDir()
	one := writeFile(t, d, "one.txtar", []byte("-- node-a/net/ip-route.txt --\nx\n"))
	two := writeFile(t, d, "two.TXTAR", []byte("-- node-a/net/ip-route.txt --\n-- node-b/net/ip-route.txt --\n"))
	b, err := Open(one, Options{})
	if err != nil || b.Node != "node-a" {
		t.Fatalf("Open(one.txtar) = %v, %v", b, err)
	}
	if _, err := Open(two, Options{}); !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "holds 2 bundles") {
		t.Errorf("Open(two.TXTAR): %v, want an error saying it holds 2 bundles", err)
	}
	bs, err := OpenTxtar(two)
	if err != nil || len(bs) != 2 {
		t.Errorf("OpenTxtar(two.TXTAR) = %d bundles, %v", len(bs), err)
	}
	if _, err := Open(two, Options{MaxTotalSize: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a txtar over MaxTotalSize: %v", err)
	}
}
