package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenRefusesHostileArchives(t *testing.T) {
	good := file("node-a/net/ip-route.txt", "default via 10.0.0.1 dev eth0\n")
	goodTar := makeTar(t, dir("node-a/"), good, file("node-a/host/hostname", "node-a\n"))
	goodTgz := gz(t, goodTar)

	many := func(n, size int) []ent {
		es := []ent{dir("node-a/")}
		for i := 0; i < n; i++ {
			es = append(es, file(fmt.Sprintf("node-a/f%02d", i), strings.Repeat("x", size)))
		}
		return es
	}
	zipped := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("node-a/net/ip-route.txt")
		w.Write([]byte("x"))
		zw.Close()
		return buf.Bytes()
	}
	corruptMiddle := func() []byte {
		big := make([]byte, 200<<10)
		for i := range big {
			big[i] = byte(i * 7919 >> 3)
		}
		data := gz(t, makeTar(t, file("node-a/big", string(big))))
		data[len(data)/2] ^= 0xff
		data[len(data)/2+1] ^= 0x55
		return data
	}

	tests := []struct {
		name    string
		archive []byte
		opts    Options
		kind    error
		entry   string // the entry the error must name, if any
		msg     string // a part of the message
	}{
		{name: "an entry climbing out with ../ is refused", archive: gz(t, makeTar(t, good, file("../escaped.txt", "pwned"))),
			kind: ErrUnsafeName, entry: "../escaped.txt", msg: "path escapes the bundle"},
		{name: "an entry climbing out from under the top folder is refused", archive: gz(t, makeTar(t, good, file("node-a/../../escaped.txt", "pwned"))),
			kind: ErrUnsafeName, entry: "node-a/../../escaped.txt", msg: "path escapes the bundle"},
		{name: "a .. component that stays inside is refused too", archive: gz(t, makeTar(t, good, file("node-a/x/../net/ip-route.txt", "alias"))),
			kind: ErrUnsafeName, entry: "node-a/x/../net/ip-route.txt", msg: `".." component`},
		{name: "an absolute path is refused", archive: gz(t, makeTar(t, good, file("/tmp/podnetdiag-escaped", "pwned"))),
			kind: ErrUnsafeName, entry: "/tmp/podnetdiag-escaped", msg: "absolute path"},
		{name: "a drive-letter path is refused", archive: gz(t, makeTar(t, good, file("C:/evil", "pwned"))),
			kind: ErrUnsafeName, entry: "C:/evil", msg: "drive letter"},
		{name: "a backslash climb is refused", archive: gz(t, makeTar(t, good, file(`node-a\..\..\escaped.txt`, "pwned"))),
			kind: ErrUnsafeName, entry: `node-a\..\..\escaped.txt`, msg: "backslash"},
		{name: "a name with a newline is refused", archive: gz(t, makeTar(t, good, file("node-a/net/x\ny", "x"))),
			kind: ErrUnsafeName, entry: "node-a/net/x\ny", msg: "control character"},
		{name: "a name that is not UTF-8 is refused", archive: gz(t, makeTar(t, good, file("node-a/net/\xff\xfe.txt", "x"))),
			kind: ErrUnsafeName, entry: "node-a/net/\xff\xfe.txt", msg: "not valid UTF-8"},
		{name: "a path 70 levels deep is refused", archive: gz(t, makeTar(t, good, file("node-a/"+strings.Repeat("d/", 70)+"f", "x"))),
			kind: ErrUnsafeName, msg: "levels deep"},
		{name: "a symbolic link is refused", archive: gz(t, makeTar(t, good, ent{name: "node-a/etc", typ: tar.TypeSymlink, link: "/etc"}, file("node-a/etc/passwd", "x"))),
			kind: ErrLink, entry: "node-a/etc", msg: `symbolic link (to "/etc")`},
		{name: "a hard link is refused", archive: gz(t, makeTar(t, good, ent{name: "node-a/passwd", typ: tar.TypeLink, link: "/etc/passwd"})),
			kind: ErrLink, entry: "node-a/passwd", msg: "hard link"},
		{name: "a character device is refused", archive: gz(t, makeTar(t, good, ent{name: "node-a/null", typ: tar.TypeChar})),
			kind: ErrSpecialFile, entry: "node-a/null", msg: "character device"},
		{name: "a block device is refused", archive: gz(t, makeTar(t, good, ent{name: "node-a/sda", typ: tar.TypeBlock})),
			kind: ErrSpecialFile, entry: "node-a/sda", msg: "block device"},
		{name: "a FIFO is refused", archive: gz(t, makeTar(t, good, ent{name: "node-a/fifo", typ: tar.TypeFifo})),
			kind: ErrSpecialFile, entry: "node-a/fifo", msg: "FIFO"},
		{name: "a header claiming 1 TiB is refused before any data is read", archive: gz(t, makeTar(t, good, ent{name: "node-a/huge", typ: tar.TypeReg, size: 1 << 40})),
			kind: ErrTooLarge, entry: "node-a/huge", msg: "exceeds the limit"},
		{name: "a header bigger than a small limit is refused", archive: gz(t, makeTar(t, good, ent{name: "node-a/big", typ: tar.TypeReg, size: 5000})),
			opts: Options{MaxTotalSize: 4096}, kind: ErrTooLarge, entry: "node-a/big", msg: "size 5000 bytes exceeds the limit of 4096 bytes"},
		{name: "many small files over the total limit are refused at the one that crosses it", archive: gz(t, makeTar(t, many(20, 1000)...)),
			opts: Options{MaxTotalSize: 10_500}, kind: ErrTooLarge, entry: "node-a/f10", msg: "total uncompressed size"},
		{name: "more entries than MaxEntries are refused", archive: gz(t, makeTar(t, many(10, 1)...)),
			opts: Options{MaxEntries: 5}, kind: ErrTooManyEntries, entry: "node-a/f04", msg: "more than 5 entries"},
		{name: "a later entry overwriting an earlier one is refused", archive: gz(t, makeTar(t, good, file("node-a/net/ip-route.txt", "evil"))),
			kind: ErrDuplicate, entry: "node-a/net/ip-route.txt", msg: "duplicate entry"},
		{name: "a duplicate spelled differently is refused", archive: gz(t, makeTar(t, good, file("./node-a//net/ip-route.txt", "evil"))),
			kind: ErrDuplicate, entry: "./node-a//net/ip-route.txt"},
		{name: "a file under an earlier file is refused", archive: gz(t, makeTar(t, good, file("node-a/net/ip-route.txt/x", "evil"))),
			kind: ErrDuplicate, entry: "node-a/net/ip-route.txt/x", msg: "earlier file"},
		{name: "a directory over an earlier file is refused", archive: gz(t, makeTar(t, good, dir("node-a/net/ip-route.txt/"))),
			kind: ErrDuplicate, entry: "node-a/net/ip-route.txt/"},
		{name: "a truncated gzip stream is refused", archive: goodTgz[:len(goodTgz)*2/3], kind: ErrCorrupt, msg: "truncated"},
		{name: "a gzip stream with damaged data is refused", archive: corruptMiddle(), kind: ErrCorrupt},
		{name: "a tar cut inside a file is refused naming the file", archive: goodTar[:512*2+10],
			kind: ErrCorrupt, entry: "node-a/net/ip-route.txt", msg: "truncated"},
		{name: "a tar cut at a header boundary is refused", archive: goodTar[:512*5],
			kind: ErrCorrupt, msg: "end-of-archive marker is missing"},
		{name: "a tar cut inside its end marker is refused", archive: goodTar[:512*6],
			kind: ErrCorrupt, msg: "end-of-archive marker is missing"},
		{name: "garbage bytes are not a bundle", archive: []byte("this is not an archive at all\n"), kind: ErrNotBundle, msg: "not a tar"},
		{name: "an empty file is not a bundle", archive: nil, kind: ErrNotBundle, msg: "empty file"},
		{name: "a gzip of something else than a tar is not a bundle", archive: gz(t, []byte(strings.Repeat("log line\n", 100))),
			kind: ErrNotBundle, msg: "gzip data is not a tar"},
		{name: "a zip is not a bundle", archive: zipped(), kind: ErrNotBundle, msg: "zip"},
		{name: "an archive of folders only is not a bundle", archive: gz(t, makeTar(t, dir("node-a/"), dir("node-a/net/"))),
			kind: ErrNotBundle, msg: "no files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			parent := extractParent(t)
			archive := writeFile(t, filepath.Join(work, "sub"), "node-a.tgz", tt.archive)
			opts := tt.opts
			opts.TempDir = parent

			b, err := Open(archive, opts)
			if err == nil {
				b.Close()
				t.Fatalf("Open succeeded, want an error of kind %v", tt.kind)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not of kind %q", err, tt.kind)
			}
			var be *Error
			if !errors.As(err, &be) {
				t.Errorf("error %q is not a *bundle.Error", err)
			}
			if !strings.HasPrefix(err.Error(), "bundle "+archive+": ") {
				t.Errorf("error %q does not name the archive", err)
			}
			if tt.entry != "" && !strings.Contains(err.Error(), fmt.Sprintf("entry %q: ", tt.entry)) {
				t.Errorf("error %q does not name the entry %q", err, tt.entry)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			// Nothing stays behind, and nothing was written next to the archive
			// or the extraction folder.
			assertEmptyDir(t, parent)
			for _, p := range []string{
				filepath.Join(filepath.Dir(parent), "escaped.txt"),
				filepath.Join(work, "escaped.txt"),
				filepath.Join(work, "sub", "escaped.txt"),
				"/tmp/podnetdiag-escaped",
			} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was created", p)
				}
			}
			if entries, _ := os.ReadDir(filepath.Join(work, "sub")); len(entries) != 1 {
				t.Errorf("the archive's folder holds %d entries, want only the archive", len(entries))
			}
		})
	}
}

func TestCleanNameRefusesUnsafeNames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" when the name must be refused
	}{
		{"a plain path is kept", "node-a/net/ip-route.txt", "node-a/net/ip-route.txt"},
		{"a leading ./ and doubled slashes are cleaned", "./node-a//net/", "node-a/net"},
		{"the root itself is the dot", "./", "."},
		{"an empty name is refused", "", ""},
		{"a NUL byte is refused", "node-a/x\x00y", ""},
		{"a DEL character is refused", "node-a/x\x7f", ""},
		{"a bare .. is refused", "..", ""},
		{"a trailing .. that climbs is refused", "node-a/../..", ""},
		{"a 300-byte component is refused", "node-a/" + strings.Repeat("x", 300), ""},
		{"a 5000-byte name is refused", strings.Repeat("a/", 2500), ""},
		{"a name with spaces and unicode is kept", "node-a/logs/café log.txt", "node-a/logs/café log.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cleanName(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("cleanName(%q) = %q, want an error", tt.in, got)
				}
				if !errors.Is(err, ErrUnsafeName) {
					t.Errorf("error %v is not ErrUnsafeName", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("cleanName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
