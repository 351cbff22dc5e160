package bundle

import (
	"archive/tar"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen feeds arbitrary bytes as an archive file. Property: no panic; an error
// is a *Error and leaves the extraction parent empty; a bundle has its Root
// inside the parent, holds only regular files and folders, and Close empties the
// parent again.
func FuzzOpen(f *testing.F) {
	seeds := [][]byte{
		makeTar(f, dir("node-a/"), file("node-a/net/ip-route.txt", routeTxt), file("node-a/host/hostname", "node-a\n")),
		makeTar(f, file("net/ip-route.txt", routeTxt), file("manifest.json", `{"schema":"podnet-bundle/v1","node":"n"}`)),
		makeTar(f, file("n/x", "1"), file("../x", "2")),
		makeTar(f, ent{name: "n/l", typ: tar.TypeSymlink, link: "/etc"}),
		makeTar(f, file("n/x", "1"), file("n/x", "2")),
		makeTar(f, ent{name: "n/huge", typ: tar.TypeReg, size: 1 << 30}),
		[]byte("garbage"),
		{},
	}
	for _, s := range seeds[:6] {
		seeds = append(seeds, gz(f, s))
	}
	for _, name := range []string{"sparse-gnu.tar", "gnu-pax-sparse.tar.bz2", "gnu.tgz"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			seeds = append(seeds, data)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		work := t.TempDir()
		parent := filepath.Join(work, "extract")
		if err := os.Mkdir(parent, 0o700); err != nil {
			t.Fatal(err)
		}
		archive := filepath.Join(work, "in.tgz")
		if err := os.WriteFile(archive, data, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := Open(archive, Options{TempDir: parent, MaxTotalSize: 1 << 20, MaxEntries: 1000})
		if err != nil {
			var be *Error
			if !errors.As(err, &be) || be.Bundle != archive {
				t.Fatalf("error %v is not a *Error about %s", err, archive)
			}
			assertEmptyDir(t, parent)
			return
		}
		if rel, err := filepath.Rel(parent, b.Root); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			t.Fatalf("Root %q is not inside %q", b.Root, parent)
		}
		if b.Node == "" || b.NodeSource == "" {
			t.Fatalf("no node name: %q from %q", b.Node, b.NodeSource)
		}
		err = filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && !d.Type().IsRegular() {
				t.Fatalf("%s is a %v", p, d.Type())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		bundleFiles(t, b)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		assertEmptyDir(t, parent)
	})
}

// FuzzTxtar: no panic; an error is a *Error; every bundle has a node name and an
// FS whose every file reads through ReadFile.
func FuzzTxtar(f *testing.F) {
	f.Add([]byte("scenario\n-- node-a/net/ip-route.txt --\ndefault via 10.0.0.1 dev eth0\n-- node-b/host/hostname --\nnode-b\n"))
	f.Add([]byte("-- net/ip-route.txt --\nx\n-- manifest.json --\n{\"node\":\"m\"}\n"))
	f.Add([]byte("-- node-a/../x --\n"))
	f.Add([]byte("-- a/b --\n-- a/b/c --\n"))
	f.Add([]byte("-- a --\r\n-- ./a --\r\n"))
	f.Add([]byte("no sections"))
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := ParseTxtar(data, "f.txtar")
		if err != nil {
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		if len(bs) == 0 {
			t.Fatal("no bundles and no error")
		}
		for _, b := range bs {
			if b.Node == "" {
				t.Fatal("no node name")
			}
			bundleFiles(t, b)
			b.Close()
		}
	})
}
