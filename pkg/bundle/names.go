package bundle

import (
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Limits on entry names. Real bundles are four levels deep with short names;
// these only stop names built to exhaust the file system or the terminal.
const (
	maxNameLen      = 4096
	maxComponentLen = 255
	maxDepth        = 64
)

// cleanName returns the cleaned, slash-separated form of an archive or txtar entry
// name, relative to the archive root, or why it cannot be written safely. "." is
// returned for the root itself ("./"), which callers skip.
func cleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", because(ErrUnsafeName, "empty name")
	case len(name) > maxNameLen:
		return "", because(ErrUnsafeName, "name is longer than %d bytes", maxNameLen)
	case !utf8.ValidString(name):
		return "", because(ErrUnsafeName, "name is not valid UTF-8")
	case strings.IndexByte(name, 0) >= 0:
		return "", because(ErrUnsafeName, "name contains a NUL byte")
	case strings.IndexByte(name, '\\') >= 0:
		// A separator on Windows; "a\..\..\x" must not become a climb there, and
		// no tool writes backslashes into tar names on purpose.
		return "", because(ErrUnsafeName, "name contains a backslash")
	case name[0] == '/':
		return "", because(ErrUnsafeName, "absolute path")
	case len(name) >= 2 && name[1] == ':' && isASCIILetter(name[0]):
		return "", because(ErrUnsafeName, "absolute path (drive letter)")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", because(ErrUnsafeName, "name contains a control character")
		}
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", because(ErrUnsafeName, "path escapes the bundle")
	}
	depth := 0
	for comp := range strings.SplitSeq(name, "/") {
		if comp == ".." {
			// Harmless after cleaning, but never written by an honest tool, and
			// refusing it keeps "a/../b" from aliasing "b".
			return "", because(ErrUnsafeName, `path has a ".." component`)
		}
		if len(comp) > maxComponentLen {
			return "", because(ErrUnsafeName, "a path component is longer than %d bytes", maxComponentLen)
		}
		if comp != "" && comp != "." {
			depth++
		}
	}
	if depth > maxDepth {
		return "", because(ErrUnsafeName, "path is more than %d levels deep", maxDepth)
	}
	if clean != "." && !filepath.IsLocal(filepath.FromSlash(clean)) {
		// Only reachable on Windows (reserved names such as NUL or COM1).
		return "", because(ErrUnsafeName, "not a local path on this system")
	}
	return clean, nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// namespace remembers what each cleaned name is, so that no entry overwrites or
// clashes with an earlier one, whatever the order of the archive.
type namespace struct {
	isDir map[string]bool
	files int
}

func newNamespace() *namespace { return &namespace{isDir: map[string]bool{}} }

func (ns *namespace) addDir(name string) error {
	if dir, seen := ns.isDir[name]; seen && !dir {
		return because(ErrDuplicate, "directory clashes with an earlier file of the same name")
	}
	if err := ns.addParents(name); err != nil {
		return err
	}
	ns.isDir[name] = true
	return nil
}

func (ns *namespace) addFile(name string) error {
	if dir, seen := ns.isDir[name]; seen {
		if dir {
			return because(ErrDuplicate, "file clashes with an earlier directory of the same name")
		}
		return because(ErrDuplicate, "duplicate entry: an earlier entry has the same path")
	}
	if err := ns.addParents(name); err != nil {
		return err
	}
	ns.isDir[name] = false
	ns.files++
	return nil
}

func (ns *namespace) addParents(name string) error {
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		parent := name[:i]
		if dir, seen := ns.isDir[parent]; seen && !dir {
			return because(ErrDuplicate, "path runs through the earlier file %q", parent)
		}
		ns.isDir[parent] = true
	}
	return nil
}

// tops lists the distinct first components, sorted, and whether each is a
// directory.
func (ns *namespace) tops() map[string]bool {
	tops := map[string]bool{}
	for name, dir := range ns.isDir {
		if !strings.Contains(name, "/") {
			tops[name] = dir
		}
	}
	return tops
}
