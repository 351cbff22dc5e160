package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// Writer writes a bundle as a tar.gz whose entries all sit under one top folder.
// The output depends only on the files, the top folder and the time: entries are
// sorted (directories first, then files), owned by root (uid/gid 0), mode 0755
// or 0644, all with one mtime, and the gzip header carries no name or time.
//
// Items may be added in any order; nothing is written before Close. Small
// outputs are kept in memory (AddFile); big ones (captures) stay on disk until
// Close streams them (AddFromDisk).
type Writer struct {
	w          io.Writer
	top        string
	err        error // a bad top folder, reported by every call
	modTime    time.Time
	modTimeSet bool
	manifest   *Manifest
	files      map[string]writerFile
	closed     bool
}

type writerFile struct {
	data []byte
	src  string // when non-empty, the file is read from here at Close
}

// NewWriter returns a Writer of a tar.gz to w with entries under top/ (one path
// component, such as "node-a-20240501T101500Z"). Close does not close w.
func NewWriter(w io.Writer, top string) *Writer {
	wr := &Writer{w: w, top: top, files: map[string]writerFile{}, modTime: time.Unix(0, 0)}
	if c, err := cleanName(top); err != nil {
		wr.err = fmt.Errorf("bundle writer: top folder %q: %w", top, err)
	} else if c != top || c == "." || strings.Contains(c, "/") {
		wr.err = fmt.Errorf("bundle writer: top folder %q: %w", top, because(ErrUnsafeName, "must be one plain path component"))
	}
	return wr
}

// SetModTime sets the mtime of every entry (truncated to the second). Without it,
// the manifest's CollectedAt is used, else the Unix epoch.
func (w *Writer) SetModTime(t time.Time) { w.modTime = t; w.modTimeSet = true }

// SetManifest makes Close write m as manifest.json. The manifest is marshalled
// at Close, so items may still be appended to it until then.
func (w *Writer) SetManifest(m *Manifest) { w.manifest = m }

// AddFile adds a bundle-relative file ("net/ip-route.txt") with the given
// content, copied. Keep it for small outputs; see AddFromDisk.
func (w *Writer) AddFile(name string, data []byte) error {
	return w.add(name, writerFile{data: bytes.Clone(data)})
}

// AddFromDisk adds the regular file at srcPath as name. The file is read at
// Close, with the size it has then; it must not shrink meanwhile.
func (w *Writer) AddFromDisk(name, srcPath string) error {
	fi, err := os.Stat(srcPath)
	if err != nil {
		return fmt.Errorf("bundle writer: %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("bundle writer: %s: %s is not a regular file", name, srcPath)
	}
	return w.add(name, writerFile{src: srcPath})
}

func (w *Writer) add(name string, f writerFile) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("bundle writer: add after Close")
	}
	c, err := cleanName(name)
	if err == nil && (c == "." || c != name) {
		// Exact names only: "./net//x" would be written as "net/x", and the
		// manifest's item path would not match the entry.
		err = because(ErrUnsafeName, "not a clean bundle-relative path (use %q)", c)
	}
	if err != nil {
		return fmt.Errorf("bundle writer: %q: %w", name, err)
	}
	if _, dup := w.files[c]; dup {
		return fmt.Errorf("bundle writer: %q: %w", name, because(ErrDuplicate, "added twice"))
	}
	for p := path.Dir(c); p != "."; p = path.Dir(p) {
		if _, clash := w.files[p]; clash {
			return fmt.Errorf("bundle writer: %q: %w", name, because(ErrDuplicate, "runs through the file %q", p))
		}
	}
	for other := range w.files {
		if strings.HasPrefix(other, c+"/") {
			return fmt.Errorf("bundle writer: %q: %w", name, because(ErrDuplicate, "is a folder of %q", other))
		}
	}
	w.files[c] = f
	return nil
}

// Close writes the archive: manifest.json (if set) among the files, every
// directory, then every file, in sorted order. It flushes the gzip stream but
// does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("bundle writer: closed twice")
	}
	if w.manifest != nil {
		data, err := w.manifest.Marshal()
		if err != nil {
			return fmt.Errorf("bundle writer: %s: %w", ManifestPath, err)
		}
		if err := w.add(ManifestPath, writerFile{data: data}); err != nil {
			return fmt.Errorf("%w (set as the manifest, and added as a file)", err)
		}
	}
	w.closed = true
	mtime := w.modTime
	if !w.modTimeSet && w.manifest != nil && !w.manifest.CollectedAt.IsZero() {
		mtime = w.manifest.CollectedAt
	}
	mtime = mtime.UTC().Truncate(time.Second)

	names := make([]string, 0, len(w.files))
	dirSet := map[string]bool{}
	for name := range w.files {
		names = append(names, name)
		for d := path.Dir(name); d != "." && !dirSet[d]; d = path.Dir(d) {
			dirSet[d] = true
		}
	}
	sort.Strings(names)
	dirs := make([]string, 0, len(dirSet))
	for d := range dirSet {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)

	gz := gzip.NewWriter(w.w)
	tw := tar.NewWriter(gz)
	hdr := func(name string, typ byte, mode, size int64) *tar.Header {
		return &tar.Header{
			Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: mtime,
			Uid: 0, Gid: 0, Uname: "root", Gname: "root",
		}
	}
	if err := tw.WriteHeader(hdr(w.top+"/", tar.TypeDir, 0o755, 0)); err != nil {
		return fmt.Errorf("bundle writer: %w", err)
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(hdr(w.top+"/"+d+"/", tar.TypeDir, 0o755, 0)); err != nil {
			return fmt.Errorf("bundle writer: %s: %w", d, err)
		}
	}
	for _, name := range names {
		if err := w.writeFile(tw, name, w.files[name], hdr); err != nil {
			return fmt.Errorf("bundle writer: %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("bundle writer: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("bundle writer: %w", err)
	}
	return nil
}

func (w *Writer) writeFile(tw *tar.Writer, name string, f writerFile, hdr func(string, byte, int64, int64) *tar.Header) error {
	full := w.top + "/" + name
	if f.src == "" {
		if err := tw.WriteHeader(hdr(full, tar.TypeReg, 0o644, int64(len(f.data)))); err != nil {
			return err
		}
		_, err := tw.Write(f.data)
		return err
	}
	src, err := os.Open(f.src)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is no longer a regular file", f.src)
	}
	// The size is fixed by the header before the data: a file still growing (a
	// capture not stopped) is cut at the size it had when opened.
	size := fi.Size()
	if err := tw.WriteHeader(hdr(full, tar.TypeReg, 0o644, size)); err != nil {
		return err
	}
	n, err := io.CopyN(tw, src, size)
	if err == io.EOF {
		return fmt.Errorf("%s shrank while being written (%d of %d bytes)", f.src, n, size)
	}
	return err
}
