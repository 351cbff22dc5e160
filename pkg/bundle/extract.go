package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	kflate "github.com/klauspost/compress/flate"
	kgzip "github.com/klauspost/compress/gzip"
)

// sniff names the container by its first bytes; the file name is not trusted
// (bundles get renamed, `.tar.gz` saved as `.tar` by browsers...).
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip"
	case len(head) >= 4 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9':
		return "bzip2"
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "xz"
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return "zip"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return "7z"
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return "tar"
	}
	return ""
}

// openArchive extracts an archive file into a fresh temporary directory.
func openArchive(name string, opts Options) (b *Bundle, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &Error{Bundle: name, Err: unwrapPathError(err)}
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(512)
	if len(head) == 0 {
		if _, err := br.ReadByte(); err != nil && err != io.EOF {
			return nil, &Error{Bundle: name, Err: err}
		}
		return nil, &Error{Bundle: name, Err: because(ErrNotBundle, "empty file, not an archive")}
	}

	var stream io.Reader = br
	kind := sniff(head)
	switch kind {
	case "gzip":
		// klauspost's inflater: a third faster than compress/gzip on bundles
		// (430 against 330 MB/s on a 100-node fleet's), and decompression
		// is most of what opening a fleet costs.
		gz, err := kgzip.NewReader(br)
		if err != nil {
			return nil, &Error{Bundle: name, Err: corrupt("invalid gzip header", err)}
		}
		defer gz.Close()
		stream = gz
	case "bzip2":
		stream = bzip2.NewReader(br)
	case "xz", "zstd", "zip", "7z":
		return nil, &Error{Bundle: name, Err: because(ErrNotBundle, "a %s file; bundles are tar.gz, tar or directories (repack with `tar czf`)", kind)}
	}

	tmp, err := os.MkdirTemp(opts.TempDir, "podnetdiag-bundle-")
	if err != nil {
		return nil, &Error{Bundle: name, Err: err}
	}
	if abs, err := filepath.Abs(tmp); err == nil {
		tmp = abs // Root stays valid if the caller changes directory
	}
	root, err := os.OpenRoot(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, &Error{Bundle: name, Err: err}
	}
	x := &extractor{label: name, root: root, opts: opts, ns: newNamespace(), made: map[string]bool{}, kind: kind}
	defer func() {
		if err != nil {
			root.Close()
			if os.RemoveAll(tmp) == nil {
				opts.spent.release(x.total)
			}
		}
	}()

	if err := x.run(stream); err != nil {
		return nil, err
	}
	x.checkTrailer(stream)
	if x.ns.files == 0 {
		return nil, &Error{Bundle: name, Err: because(ErrNotBundle, "the archive holds no files")}
	}

	top, ok := x.topFolder()
	b = &Bundle{Path: name, label: name, tmp: tmp, Warnings: x.warnings, held: x.total, spent: opts.spent}
	if !ok {
		b.Root, b.FS, b.root = tmp, root.FS(), root
		b.identify(stripStamp(baseWithoutExt(name)), NodeFromFileName)
		return b, nil
	}
	sub, err := root.OpenRoot(top)
	if err != nil {
		return nil, &Error{Bundle: name, Err: err}
	}
	root.Close()
	b.Root, b.FS, b.root = filepath.Join(tmp, filepath.FromSlash(top)), sub.FS(), sub
	b.identify(stripStamp(top), NodeFromFolder)
	return b, nil
}

type extractor struct {
	label    string
	root     *os.Root
	opts     Options
	kind     string
	ns       *namespace
	made     map[string]bool // directories created on disk
	entries  int
	total    int64 // bytes written so far
	last     string
	buf      []byte
	warnings []string
}

// countingReader lets run see how many bytes tar.Reader consumed while looking
// for the next header, which tells a proper end-of-archive marker from a cut.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (x *extractor) run(stream io.Reader) error {
	cr := &countingReader{r: stream}
	tr := tar.NewReader(cr)
	x.buf = make([]byte, 256<<10)
	for {
		before := cr.n
		hdr, err := tr.Next()
		if err == io.EOF {
			// tar.Reader also says EOF when the input stops cleanly at a header
			// boundary or after one zero block; only two zero blocks end a tar.
			if cr.n-before < 2*512 {
				return x.corruptAfter(because(ErrCorrupt, "truncated: the tar end-of-archive marker is missing"))
			}
			return nil
		}
		if errors.Is(err, tar.ErrInsecurePath) && hdr != nil {
			err = nil // cleanName below says precisely what is wrong with the name
		}
		if err != nil {
			if x.entries == 0 {
				switch {
				case x.kind == "":
					return &Error{Bundle: x.label, Err: because(ErrNotBundle, "not a tar, tar.gz or tar.bz2 archive")}
				case x.kind != "tar" && errors.Is(err, tar.ErrHeader):
					return &Error{Bundle: x.label, Err: because(ErrNotBundle, "the %s data is not a tar archive", x.kind)}
				}
			}
			return x.corruptAfter(corrupt("corrupt or truncated archive", err))
		}
		x.entries++
		if x.entries > x.opts.MaxEntries {
			return x.entryErr(hdr.Name, because(ErrTooManyEntries, "more than %d entries", x.opts.MaxEntries))
		}
		if err := x.entry(tr, hdr); err != nil {
			return err
		}
		x.last = hdr.Name
	}
}

func (x *extractor) entry(tr *tar.Reader, hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // `git archive` writes one; it only carries metadata
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return x.entryErr(hdr.Name, err)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, '\x00', tar.TypeGNUSparse: // '\x00': pre-POSIX regular file
		if name == "." {
			return x.entryErr(hdr.Name, because(ErrUnsafeName, "a file cannot be the archive root"))
		}
		return x.file(tr, hdr, name)
	case tar.TypeDir:
		if name == "." {
			return nil
		}
		if err := x.ns.addDir(name); err != nil {
			return x.entryErr(hdr.Name, err)
		}
		return x.mkdir(hdr.Name, name)
	case tar.TypeSymlink:
		return x.entryErr(hdr.Name, because(ErrLink, "symbolic link (to %q); bundles hold regular files only", shorten(hdr.Linkname)))
	case tar.TypeLink:
		return x.entryErr(hdr.Name, because(ErrLink, "hard link (to %q); bundles hold regular files only", shorten(hdr.Linkname)))
	case tar.TypeChar:
		return x.entryErr(hdr.Name, because(ErrSpecialFile, "character device; bundles hold regular files only"))
	case tar.TypeBlock:
		return x.entryErr(hdr.Name, because(ErrSpecialFile, "block device; bundles hold regular files only"))
	case tar.TypeFifo:
		return x.entryErr(hdr.Name, because(ErrSpecialFile, "named pipe (FIFO); bundles hold regular files only"))
	}
	return x.entryErr(hdr.Name, because(ErrSpecialFile, "unsupported entry type %q; bundles hold regular files only", hdr.Typeflag))
}

func (x *extractor) file(tr *tar.Reader, hdr *tar.Header, name string) error {
	if err := x.ns.addFile(name); err != nil {
		return x.entryErr(hdr.Name, err)
	}
	limit := x.opts.MaxTotalSize
	switch {
	case hdr.Size < 0:
		return x.entryErr(hdr.Name, because(ErrCorrupt, "negative size"))
	case hdr.Size > limit:
		return x.entryErr(hdr.Name, because(ErrTooLarge, "size %d bytes exceeds the limit of %d bytes", hdr.Size, limit))
	case !x.opts.spent.reserve(hdr.Size, limit):
		// Reserved before a byte is written: archives of one run are
		// extracted concurrently, and the run's limit holds on their sum.
		return x.entryErr(hdr.Name, x.overBudget())
	}
	if dir := path.Dir(name); dir != "." {
		if err := x.mkdir(hdr.Name, dir); err != nil {
			return err
		}
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			// The namespace saw no such name, so the file system folds case or
			// normalises Unicode (macOS, Windows): two entries would be one file.
			return x.entryErr(hdr.Name, because(ErrDuplicate, "clashes with an earlier entry on this file system (names differing only in case?)"))
		}
		return x.entryErr(hdr.Name, unwrapPathError(err))
	}
	// The reader is capped at the reservation, not only trusted to stop at
	// hdr.Size: the limit holds on the bytes actually written. What was
	// reserved and not written is given back.
	n, err := io.CopyBuffer(writerOnly{f}, io.LimitReader(tr, hdr.Size+1), x.buf)
	x.total += n
	x.opts.spent.used.Add(n - hdr.Size)
	cerr := f.Close()
	var we writeError
	switch {
	case errors.As(err, &we):
		return x.entryErr(hdr.Name, fmt.Errorf("writing: %w", we.err))
	case err != nil:
		return x.entryErr(hdr.Name, corrupt("corrupt or truncated archive", err))
	case n > hdr.Size:
		return x.entryErr(hdr.Name, x.overBudget())
	case n != hdr.Size:
		return x.entryErr(hdr.Name, because(ErrCorrupt, "truncated: %d of %d bytes", n, hdr.Size))
	case cerr != nil:
		return x.entryErr(hdr.Name, fmt.Errorf("writing: %w", cerr))
	}
	return nil
}

// mkdir creates dir and its parents with mode 0700, whatever the archive says.
func (x *extractor) mkdir(entry, dir string) error {
	if x.made[dir] {
		return nil
	}
	if err := x.root.MkdirAll(dir, 0o700); err != nil {
		return x.entryErr(entry, unwrapPathError(err))
	}
	for d := dir; d != "." && !x.made[d]; d = path.Dir(d) {
		x.made[d] = true
	}
	return nil
}

// checkTrailer reads what follows the tar's end marker (GNU tar pads to 10 KiB
// records), so that gzip verifies its checksum over the whole stream. Damage
// there cannot touch the files already extracted, so it is only a warning.
func (x *extractor) checkTrailer(stream io.Reader) {
	if x.kind != "gzip" && x.kind != "bzip2" {
		return
	}
	const maxTrailer = 1 << 20
	n, err := io.CopyN(io.Discard, stream, maxTrailer)
	switch {
	case err == io.EOF:
	case err == nil && n == maxTrailer:
		x.warnings = append(x.warnings, fmt.Sprintf("more than %d bytes follow the end of the tar data; not read", maxTrailer))
	case errors.Is(err, kgzip.ErrChecksum), errors.Is(err, gzip.ErrChecksum):
		x.warnings = append(x.warnings, "gzip checksum mismatch after the end of the tar data; the files read were intact tar entries")
	default:
		x.warnings = append(x.warnings, fmt.Sprintf("damaged %s data after the end of the tar data (%v); the files before it are complete", x.kind, err))
	}
}

// topFolder is the archive's one top folder, when it has one. Entries spread
// over several top-level names, or a single top folder named like a layout
// folder (`tar czf b.tgz net ipvs`), leave the archive root as the bundle root.
func (x *extractor) topFolder() (string, bool) {
	tops := x.ns.tops()
	if len(tops) == 1 {
		for top, dir := range tops {
			if !dir {
				break
			}
			if !layoutTops[top] || looksLikeBundle(x.root.FS(), top) {
				return top, true
			}
			x.warnings = append(x.warnings, fmt.Sprintf("the archive's only top folder, %s, is a folder of the bundle layout; the archive root is used as the bundle root", top))
			return "", false
		}
	}
	names := make([]string, 0, len(tops))
	for top := range tops {
		names = append(names, top)
	}
	sort.Strings(names)
	list := strings.Join(names, ", ")
	if len(names) > 5 {
		list = strings.Join(names[:5], ", ") + ", ..."
	}
	x.warnings = append(x.warnings, fmt.Sprintf("entries are not under one top folder (%d top-level names: %s); the archive root is used as the bundle root", len(names), list))
	return "", false
}

// overBudget says whether this archive alone or the run's archives together
// went over the limit.
func (x *extractor) overBudget() error {
	if x.total < x.opts.MaxTotalSize-x.opts.left() {
		return because(ErrTooLarge, "the uncompressed size of all bundles of this run held at once exceeds the limit of %d bytes (%d held by other archives)",
			x.opts.MaxTotalSize, x.opts.MaxTotalSize-x.opts.left()-x.total)
	}
	return because(ErrTooLarge, "total uncompressed size exceeds the limit of %d bytes", x.opts.MaxTotalSize)
}

func (x *extractor) entryErr(entry string, err error) error {
	return &Error{Bundle: x.label, Entry: entry, Err: err}
}

func (x *extractor) corruptAfter(err error) error {
	if x.last != "" {
		err = &causeReason{kind: ErrCorrupt, msg: fmt.Sprintf("after entry %q", shorten(x.last)), cause: err}
	}
	return &Error{Bundle: x.label, Err: err}
}

// corrupt describes a decompression or tar error in words a user can act on.
func corrupt(msg string, err error) error {
	var ce flate.CorruptInputError
	var kce kflate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "truncated archive"
	case errors.As(err, &ce):
		return because(ErrCorrupt, "corrupt gzip data at offset %d", int64(ce))
	case errors.As(err, &kce):
		return because(ErrCorrupt, "corrupt gzip data at offset %d", int64(kce))
	case errors.Is(err, kgzip.ErrChecksum), errors.Is(err, gzip.ErrChecksum):
		return because(ErrCorrupt, "gzip checksum mismatch: the data is damaged")
	}
	return &causeReason{kind: ErrCorrupt, msg: msg, cause: err}
}

// writerOnly hides *os.File's ReadFrom, which would bypass the shared buffer,
// and tags write errors so they are not reported as a corrupt archive.
type writerOnly struct{ f *os.File }

type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

func (w writerOnly) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = writeError{err}
	}
	return n, err
}
