package bundle

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/txtar"
)

func isTxtarName(p string) bool {
	return strings.EqualFold(filepath.Ext(p), ".txtar")
}

// OpenTxtar reads a txtar file of hand-made bundles; see ParseTxtar.
func OpenTxtar(path string) ([]*Bundle, error) {
	return openTxtar(path, Options{}.withDefaults())
}

func openTxtar(name string, opts Options) ([]*Bundle, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &Error{Bundle: name, Err: unwrapPathError(err)}
	}
	defer f.Close()
	limit := min(MaxTxtarSize, opts.left())
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, &Error{Bundle: name, Err: txtarTooLarge(limit)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &Error{Bundle: name, Err: err}
	}
	if int64(len(data)) > limit || !opts.spent.reserve(int64(len(data)), opts.MaxTotalSize) {
		return nil, &Error{Bundle: name, Err: txtarTooLarge(limit)}
	}
	// data is ours: no copy (a txtar is held in memory as a whole).
	return parseOwnedTxtar(data, name, opts)
}

// MaxTxtarSize caps one txtar file, which is held in memory: txtar bundles are
// hand-made scenarios of a few hundred KiB; real bundles are archives.
const MaxTxtarSize = 256 << 20

func txtarTooLarge(limit int64) error {
	return because(ErrTooLarge, "larger than the limit of %d bytes for a txtar file (txtar is for hand-made scenarios; pack real bundles as .tgz)", limit)
}

// ParseTxtar reads the hand-made scenarios of the regression suite: a txtar
// archive whose sections are named "NODE/PATH" ("-- node-a/net/ip-route.txt --").
// Each top folder becomes one in-memory bundle; the archive's leading comment is
// every bundle's Description. An archive whose sections are bundle paths
// ("-- net/ip-route.txt --") is one bundle named after the file. Section names
// are checked like tar entry names. name labels errors and Bundle.Path.
func ParseTxtar(data []byte, name string) ([]*Bundle, error) {
	return parseTxtar(data, name, Options{}.withDefaults())
}

func parseTxtar(data []byte, name string, opts Options) ([]*Bundle, error) {
	// txtar.Parse slices its input; the bundles must not change with the caller's
	// buffer.
	return parseOwnedTxtar(bytes.Clone(data), name, opts)
}

func parseOwnedTxtar(data []byte, name string, opts Options) ([]*Bundle, error) {
	a := txtar.Parse(data)
	if len(a.Files) == 0 {
		return nil, &Error{Bundle: name, Err: because(ErrNotBundle, "no file sections (such as \"-- node-a/net/ip-route.txt --\")")}
	}
	if len(a.Files) > opts.MaxEntries {
		return nil, &Error{Bundle: name, Err: because(ErrTooManyEntries, "more than %d sections", opts.MaxEntries)}
	}
	ns := newNamespace()
	clean := make([]string, len(a.Files))
	for i, f := range a.Files {
		c, err := cleanName(f.Name)
		if err == nil && c == "." {
			err = because(ErrUnsafeName, "names the archive root")
		}
		if err == nil {
			err = ns.addFile(c)
		}
		if err != nil {
			return nil, &Error{Bundle: name, Entry: f.Name, Err: err}
		}
		clean[i] = c
	}
	desc := strings.TrimSpace(string(a.Comment))

	tops := ns.tops()
	var nodes, others []string
	seen := map[string]bool{}
	for _, c := range clean {
		top, _, _ := strings.Cut(c, "/")
		if seen[top] {
			continue
		}
		seen[top] = true
		if tops[top] && !layoutTops[top] {
			nodes = append(nodes, top)
		} else {
			others = append(others, top)
		}
	}
	switch {
	case len(nodes) > 0 && len(others) > 0:
		return nil, &Error{Bundle: name, Err: because(ErrNotBundle,
			"mixes node folders (%s) with bundle files at the top level (%s); put every file under a node folder",
			strings.Join(nodes, ", "), strings.Join(others, ", "))}
	case len(nodes) == 0:
		b, err := txtarBundle(a.Files, clean, "", name, name, desc)
		if err != nil {
			return nil, err
		}
		b.identify(stripStamp(baseWithoutExt(name)), NodeFromFileName)
		return []*Bundle{b}, nil
	}
	out := make([]*Bundle, 0, len(nodes))
	for _, top := range nodes {
		b, err := txtarBundle(a.Files, clean, top, name, name+"#"+top, desc)
		if err != nil {
			return nil, err
		}
		b.identify(stripStamp(top), NodeFromFolder)
		out = append(out, b)
	}
	return out, nil
}

// txtarBundle builds the in-memory bundle of the files under top ("" for all).
func txtarBundle(files []txtar.File, clean []string, top, name, label, desc string) (*Bundle, error) {
	sub := &txtar.Archive{}
	for i, f := range files {
		rel := clean[i]
		if top != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(rel, top+"/"); !ok {
				continue
			}
		}
		sub.Files = append(sub.Files, txtar.File{Name: rel, Data: f.Data})
	}
	fsys, err := txtar.FS(sub)
	if err != nil {
		// cleanName and the namespace accept only what txtar.FS accepts; this is
		// a backstop, not an expected path.
		return nil, &Error{Bundle: label, Err: fmt.Errorf("%w: %v", ErrNotBundle, err)}
	}
	return &Bundle{Path: name, FS: fsys, Description: desc, label: label}, nil
}
