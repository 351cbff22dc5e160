package bundle

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"sort"
)

// MaxFileSize is what ReadFile reads at most: text outputs are far smaller, and
// anything bigger (a pcap) is to be streamed with Open.
const MaxFileSize = 256 << 20

// ReadFile reads a bundle-relative file ("net/ip-route.txt") of at most
// MaxFileSize bytes. A missing file gives an error matching fs.ErrNotExist.
func (b *Bundle) ReadFile(name string) ([]byte, error) {
	return b.ReadFileLimit(name, MaxFileSize)
}

// ReadFileLimit is ReadFile with another cap; limit <= 0 means MaxFileSize.
func (b *Bundle) ReadFileLimit(name string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxFileSize
	}
	f, fi, err := b.openRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, b.fileErr(name, because(ErrTooLarge, "size %d bytes exceeds the limit of %d bytes", fi.Size(), limit))
	}
	// The size is only a hint: a file of a directory bundle may grow meanwhile.
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, b.fileErr(name, err)
	}
	if int64(buf.Len()) > limit {
		return nil, b.fileErr(name, because(ErrTooLarge, "grew beyond the limit of %d bytes while read", limit))
	}
	return buf.Bytes(), nil
}

// Open opens a regular file of the bundle for streaming (pcaps). Devices and
// FIFOs of a directory bundle are refused before they are opened, since opening a
// FIFO blocks.
func (b *Bundle) Open(name string) (fs.File, error) {
	f, _, err := b.openRegular(name)
	return f, err
}

// Exists says whether name is a file or directory of the bundle.
func (b *Bundle) Exists(name string) bool {
	if !fs.ValidPath(name) {
		return false
	}
	_, err := fs.Stat(b.FS, name)
	return err == nil
}

// List returns the regular files directly inside dir as bundle-relative paths,
// sorted ("ethtool/eth0.txt", ...). A missing dir gives an error matching
// fs.ErrNotExist: a missing folder means "not known", not "empty".
func (b *Bundle) List(dir string) ([]string, error) {
	if !fs.ValidPath(dir) {
		return nil, b.fileErr(dir, fs.ErrInvalid)
	}
	entries, err := fs.ReadDir(b.FS, dir)
	if err != nil {
		return nil, b.fileErr(dir, unwrapPathError(err))
	}
	var out []string
	for _, e := range entries {
		p := e.Name()
		if dir != "." {
			p = dir + "/" + p
		}
		if b.isRegular(p, e) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Glob returns the regular files matching pattern (path.Match syntax, e.g.
// "pcap/*.pcap"), sorted.
func (b *Bundle) Glob(pattern string) ([]string, error) {
	matches, err := fs.Glob(b.FS, pattern)
	if err != nil {
		return nil, &Error{Bundle: b.label, Err: err}
	}
	out := matches[:0]
	for _, m := range matches {
		if b.isRegular(m, nil) {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (b *Bundle) isRegular(name string, e fs.DirEntry) bool {
	if e != nil && e.Type().IsRegular() {
		return true
	}
	if e != nil && e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := fs.Stat(b.FS, name)
	return err == nil && fi.Mode().IsRegular()
}

func (b *Bundle) openRegular(name string) (fs.File, fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, nil, b.fileErr(name, fs.ErrInvalid)
	}
	fi, err := fs.Stat(b.FS, name)
	if err != nil {
		return nil, nil, b.fileErr(name, unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, b.fileErr(name, because(ErrSpecialFile, "not a regular file (%v)", fi.Mode().Type()))
	}
	f, err := b.FS.Open(name)
	if err != nil {
		return nil, nil, b.fileErr(name, unwrapPathError(err))
	}
	return f, fi, nil
}

func (b *Bundle) fileErr(name string, err error) error {
	return &Error{Bundle: b.label, File: name, Err: err}
}

// unwrapPathError drops *fs.PathError's "open NAME:" prefix: Error names the
// file already. The kind (fs.ErrNotExist...) is kept.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
