// Package safefile creates the files `collect` writes as root on a customer's
// node without ever writing through a planted symbolic link, onto a device, or
// over a file that is not ours: each file is created exclusively under a
// temporary name (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) in a directory checked
// first, written, synced and renamed onto its final name, which must not exist
// unless the caller forces replacing a regular file.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrExists: the target exists and replacing it was not asked for.
var ErrExists = errors.New("exists (use --force to replace a regular file)")

// ErrNotRegular: the target is a symbolic link, device, FIFO, socket or
// directory; it is never replaced, forced or not.
var ErrNotRegular = errors.New("is not a regular file")

// CheckTarget tells whether path may become the output: it must not exist,
// or, with force, be a regular file (not a symbolic link to one).
func CheckTarget(path string, force bool) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s %w (%s); refusing to write there", path, ErrNotRegular, kind(fi.Mode()))
	}
	if !force {
		return fmt.Errorf("%s %w", path, ErrExists)
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// CheckDir tells whether files may be created in dir: it must be a directory,
// and not writable by others unless sticky (/tmp): in a directory anyone may
// rename in, the file could be swapped after it is written.
func CheckDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("output directory %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o002 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("output directory %s is writable by every user and not sticky; choose another", dir)
	}
	return nil
}

// File is a file being written under a temporary name next to its target.
type File struct {
	*os.File
	target string
	force  bool
	done   bool
}

// Create checks the target and its directory and opens a new temporary file
// next to it. Commit puts it in place; Abort (deferred) removes it otherwise.
func Create(target string, force bool) (*File, error) {
	if err := CheckDir(filepath.Dir(target)); err != nil {
		return nil, err
	}
	if err := CheckTarget(target, force); err != nil {
		return nil, err
	}
	f, err := createTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-")
	if err != nil {
		return nil, err
	}
	return &File{File: f, target: target, force: force}, nil
}

// createTemp opens dir/prefixRANDOM exclusively, never following a link.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", name, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many collisions", dir)
}

// CreateIn opens a new file dir/name exclusively (mode 0600, never through a
// link): for files of a private temporary directory.
func CreateIn(dir, name string) (*os.File, error) {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	return f, nil
}

// Commit syncs and closes the file and renames it onto the target: without
// force only if nothing appeared there meanwhile; with force only over a
// regular file.
func (f *File) Commit() error {
	if f.done {
		return errors.New("safefile: committed twice")
	}
	f.done = true
	tmp := f.Name()
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = CheckTarget(f.target, f.force)
	}
	if err == nil {
		err = rename(tmp, f.target, f.force)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.target, err)
	}
	return nil
}

// Abort removes the temporary file unless committed; safe to defer.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to target through Create and Commit.
func WriteFile(target string, data []byte, force bool) error {
	f, err := Create(target, force)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	return f.Commit()
}
