package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ent is one entry of a test archive; a zero Typeflag means a regular file.
type ent struct {
	name string
	typ  byte
	body string
	link string
	size int64 // header size when it must differ from len(body)
}

func file(name, body string) ent { return ent{name: name, typ: tar.TypeReg, body: body} }
func dir(name string) ent        { return ent{name: name, typ: tar.TypeDir} }

var testTime = time.Date(2024, 5, 1, 10, 15, 0, 0, time.UTC)

// makeTar writes the entries as a tar, without the checks tar.Writer would
// refuse hostile headers for: data is written only for regular entries and
// truncated or padded as the header says, and unwritten data is left out.
func makeTar(t testing.TB, entries ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		size := int64(len(e.body))
		if e.size != 0 {
			size = e.size
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644, ModTime: testTime}
		if typ == tar.TypeReg {
			h.Size = size
		}
		if typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if typ == tar.TypeXGlobalHeader {
			h = &tar.Header{Name: e.name, Typeflag: typ, PAXRecords: map[string]string{"comment": "0123456789abcdef"}}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if typ == tar.TypeReg && e.size == 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
		if e.size != 0 {
			// A lying header: return what was written so far, the reader must
			// refuse it before it looks at the (absent) data.
			tw.Flush()
			return buf.Bytes()
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// extractParent is the Options.TempDir of a test: a folder that must be empty
// again once the bundle failed to open or was closed.
func extractParent(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "extract")
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertEmptyDir(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		var names []string
		filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
			names = append(names, p)
			return nil
		})
		t.Fatalf("%s is not empty: %s", dir, strings.Join(names, " "))
	}
}

// bundleFiles lists the regular files of a bundle with their content, through
// the helpers callers use (List, ReadFile), walking the folders with fs.WalkDir.
func bundleFiles(t testing.TB, b *Bundle) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(b.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		names, err := b.List(p)
		if err != nil {
			return err
		}
		for _, n := range names {
			data, err := b.ReadFile(n)
			if err != nil {
				return err
			}
			out[n] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
