package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// Defaults of Options.
const (
	DefaultMaxTotalSize = 2 << 30
	DefaultMaxEntries   = 100_000
)

// Options bound what opening an archive may cost. The zero value is usable.
type Options struct {
	// TempDir is the parent of the directory archives are extracted into;
	// "" means os.TempDir().
	TempDir string
	// MaxTotalSize caps the bytes extracted from archives and read from txtar
	// files: by one Open, and by all archives of one OpenAll together (nested
	// archives included), so that many small archives cannot fill the disk;
	// <= 0 means DefaultMaxTotalSize. It bounds what is held at any one
	// time: an archive's bytes count from the moment each file is reserved,
	// before it is written, until its extracted folder is removed (Close);
	// a txtar file's count for the whole run (they stay in memory). A
	// caller that closes each bundle once it has read it (as the analyzer
	// does) may open a fleet whose total exceeds the limit, never one
	// archive that does.
	MaxTotalSize int64
	// MaxEntries caps the entries of one archive (tar headers of any type, or
	// txtar sections); <= 0 means DefaultMaxEntries.
	MaxEntries int

	// spent counts the bytes extracted so far under one limit (shared by the
	// copies of Options an OpenAll passes down).
	spent *budget
}

// budget is the run's extracted bytes, against MaxTotalSize.
type budget struct{ used atomic.Int64 }

// reserve takes n bytes of the run's max for one file about to be written,
// atomically: archives of a run are extracted concurrently, and checking what
// is left before writing would let two of them pass the limit together.
func (b *budget) reserve(n, max int64) bool {
	for {
		u := b.used.Load()
		if u+n > max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// release gives back n bytes once the files they were reserved for are
// removed from the disk.
func (b *budget) release(n int64) {
	b.used.Add(-n)
}

// left is what the run may still extract.
func (o Options) left() int64 {
	return o.MaxTotalSize - o.spent.used.Load()
}

func (o Options) withDefaults() Options {
	if o.MaxTotalSize <= 0 {
		o.MaxTotalSize = DefaultMaxTotalSize
	}
	if o.spent == nil {
		o.spent = &budget{}
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	return o
}

// Bundle.NodeSource values: where Bundle.Node came from.
const (
	NodeFromManifest = "manifest" // manifest.json's node
	NodeFromHostname = "hostname" // host/hostname
	NodeFromFolder   = "folder"   // the top folder's name
	NodeFromFileName = "filename" // the archive's name, when it has no top folder
)

// Bundle is one node's snapshot, opened read-only.
type Bundle struct {
	Path string // as given to Open (the txtar file for txtar bundles)
	// Root is the top folder on disk: inside a private temporary directory for
	// archives, the directory itself for directories, "" for txtar bundles.
	Root string
	// FS reads the bundle, rooted at the top folder. For bundles on disk it is
	// confined to Root: a symbolic link of a directory bundle cannot lead out.
	FS          fs.FS
	Node        string
	NodeSource  string
	Manifest    *Manifest // nil when manifest.json is absent or unreadable
	Description string    // txtar bundles: the archive's leading comment
	// Warnings are about the bundle as a whole (a bad manifest, an archive without
	// one top folder); they are for the analysis report, not errors.
	Warnings []string

	// SHA256 is the digest of the archive or txtar file the bundle came from
	// (set by OpenAll; empty for a directory).
	SHA256 string

	label string   // names the bundle in errors
	share *share   // the extracted archive this bundle lives in, if another's
	tmp   string   // extraction directory, removed by Close
	root  *os.Root // keeps FS confined; closed by Close
	// held is what the files under tmp took of spent's limit, given back
	// once they are removed.
	held  int64
	spent *budget
}

// Close releases the bundle: it removes the extracted files of an archive. It is
// safe to call more than once; FS is unusable afterwards.
func (b *Bundle) Close() error {
	var errs []error
	if b.root != nil {
		errs = append(errs, b.root.Close())
		b.root = nil
	}
	if b.tmp != "" {
		if err := os.RemoveAll(b.tmp); err != nil {
			// Still on the disk, maybe: its bytes stay counted.
			errs = append(errs, &Error{Bundle: b.label, Err: err})
		} else if b.spent != nil {
			b.spent.release(b.held)
		}
		b.tmp, b.held = "", 0
	}
	if sh := b.share; sh != nil {
		b.share = nil
		if sh.refs--; sh.refs == 0 {
			errs = append(errs, sh.owner.Close())
		}
	}
	return errors.Join(errs...)
}

func (b *Bundle) warnf(format string, args ...any) {
	b.Warnings = append(b.Warnings, fmt.Sprintf(format, args...))
}

// Open opens one bundle: a gzip- or bzip2-compressed tar, a plain tar (recognised
// by content, not name), a directory, or a .txtar file holding exactly one
// bundle. Archives are extracted into a new temporary directory after every
// entry is checked; Close removes it.
func Open(path string, opts Options) (*Bundle, error) {
	opts = opts.withDefaults()
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Bundle: path, Err: unwrapPathError(err)}
	}
	if fi.IsDir() {
		return openDir(path)
	}
	if isTxtarName(path) {
		bs, err := openTxtar(path, opts)
		if err != nil {
			return nil, err
		}
		if len(bs) != 1 {
			return nil, &Error{Bundle: path, Err: because(ErrNotBundle, "holds %d bundles; open it with OpenAll or OpenTxtar", len(bs))}
		}
		return bs[0], nil
	}
	if !fi.Mode().IsRegular() && fi.Mode()&(fs.ModeNamedPipe|fs.ModeCharDevice) == 0 {
		// Pipes are welcome (`analyze <(ssh node cat b.tgz)`); sockets and block
		// devices are not bundles.
		return nil, &Error{Bundle: path, Err: because(ErrNotBundle, "not a regular file, pipe or directory (%v)", fi.Mode().Type())}
	}
	return openArchive(path, opts)
}

// OpenAll opens every path in order and returns the node bundles in them: a
// bundle, a .txtar of several, or a container of bundles (a folder of node
// folders or archives, an archive of node folders or of archives). A path
// holding no bundle, or a bundle with none of the layout's files, is an error
// (ErrNotBundle). On error it closes what it had opened and returns the first
// error.
func OpenAll(paths []string, opts Options) ([]*Bundle, error) {
	return OpenAllFunc(paths, opts, 1, nil)
}

// OpenAllFunc is OpenAll with up to workers paths opened at once, and fn (if
// not nil) called on each path's bundles by the goroutine that opened them,
// so that a fleet's bundles are parsed while the next ones are extracted;
// fn may be called concurrently. The bundles come back in path order
// whatever the order they were opened in, with the same warnings. On an
// error (opening a path, or fn) no further path is started, every bundle
// opened is closed, and the error of the first failing path (in path order)
// is returned. The extraction limit holds for the run as a whole: a file's
// bytes are reserved from it before they are written, and given back when
// its bundle is closed (fn may close the bundles it has read, so that the
// limit bounds what the run holds at once, not what it reads in total).
func OpenAllFunc(paths []string, opts Options, workers int, fn func([]*Bundle) error) ([]*Bundle, error) {
	opts = opts.withDefaults() // one budget for every path
	res := make([][]*Bundle, len(paths))
	errs := make([]error, len(paths))
	var mu sync.Mutex
	next, stop := 0, len(paths)
	// take hands out the paths in order; after a failure at i, none past it:
	// every path before i was handed out already, so the first failing path
	// is the same whatever the timing.
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= stop {
			return 0, false
		}
		next++
		return next - 1, true
	}
	work := func() {
		for {
			i, ok := take()
			if !ok {
				return
			}
			bs, err := openPath(paths[i], opts, 0)
			if err == nil && fn != nil {
				if err = fn(bs); err != nil {
					closeAll(bs)
				}
			}
			if err != nil {
				errs[i] = err
				mu.Lock()
				stop = min(stop, i)
				mu.Unlock()
				continue
			}
			res[i] = bs
		}
	}
	workers = max(1, min(workers, len(paths)))
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()

	var out []*Bundle
	for i := range paths {
		if errs[i] != nil {
			for _, bs := range res {
				closeAll(bs)
			}
			return nil, errs[i]
		}
	}
	for _, bs := range res {
		for _, b := range bs {
			for _, prev := range out {
				if strings.EqualFold(prev.Node, b.Node) {
					b.warnf("node %q is also the node of bundle %s", b.Node, prev.label)
					break
				}
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// openDir opens an unpacked bundle in place. A directory holding nothing of the
// layout but one folder that does (the parent of an unpacked archive) is entered.
func openDir(path string) (*Bundle, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{Bundle: path, Err: err}
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, &Error{Bundle: path, Err: unwrapPathError(err)}
	}
	b := &Bundle{Path: path, label: path}
	fsys := root.FS()
	if !looksLikeBundle(fsys, ".") {
		if sub, ok := soleSubdir(fsys); ok && looksLikeBundle(fsys, sub) {
			subRoot, err := root.OpenRoot(sub)
			root.Close()
			if err != nil {
				return nil, &Error{Bundle: path, Err: err}
			}
			root, abs = subRoot, filepath.Join(abs, sub)
			fsys = root.FS()
			b.warnf("the directory holds one folder, %s; it is used as the bundle's top folder", sub)
		}
	}
	b.Root, b.FS, b.root = abs, fsys, root
	b.identify(stripStamp(filepath.Base(abs)), NodeFromFolder)
	b.warnOutsideLinks()
	return b, nil
}

// maxLinkWalk bounds the entries looked at for links: a bundle holds a few
// dozen files, and a directory given by mistake (/) must not be walked whole.
const maxLinkWalk = 10_000

// warnOutsideLinks says which symbolic links of a directory bundle lead
// outside it (or nowhere): FS refuses to follow them, and a file missing
// without a word would read as "not collected".
func (b *Bundle) warnOutsideLinks() {
	seen := 0
	type link struct{ rel, why string }
	var outside []link
	filepath.WalkDir(b.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if seen++; seen > maxLinkWalk {
			return filepath.SkipAll
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, _ := filepath.Rel(b.Root, p)
		target, _ := os.Readlink(p)
		real, err := filepath.EvalSymlinks(p)
		switch {
		case err != nil:
			outside = append(outside, link{filepath.ToSlash(rel), fmt.Sprintf("a symbolic link to %s, which does not resolve", target)})
		case !within(b.Root, real):
			outside = append(outside, link{filepath.ToSlash(rel), fmt.Sprintf("a symbolic link to %s, outside the bundle", target)})
		}
		return nil
	})
	const show = 20
	for i, o := range outside {
		if i == show {
			b.warnf("%d more symbolic links lead outside the bundle", len(outside)-show)
			break
		}
		b.warnf("%s is not read: %s", o.rel, o.why)
	}
}

// within reports whether p is root or under it (both absolute, p resolved).
func within(root, p string) bool {
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// soleSubdir returns the only non-hidden entry of the root when it is a directory.
func soleSubdir(fsys fs.FS) (string, bool) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return "", false
	}
	name := ""
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if name != "" || !e.IsDir() {
			return "", false
		}
		name = e.Name()
	}
	return name, name != ""
}
