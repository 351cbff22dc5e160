package bundle

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. The message of an *Error is more precise than
// these (it says which rule an entry broke); the kinds let callers decide what to
// do without parsing text.
var (
	// ErrUnsafeName: an entry name that is absolute, climbs out with "..", holds a
	// backslash, NUL, control character or invalid UTF-8, or is too long or deep.
	ErrUnsafeName = errors.New("unsafe entry name")
	// ErrLink: a symbolic or hard link entry. Bundles hold regular files only.
	ErrLink = errors.New("link entry")
	// ErrSpecialFile: a device, FIFO or other non-regular entry.
	ErrSpecialFile = errors.New("special file entry")
	// ErrDuplicate: an entry that would overwrite or clash with an earlier one.
	ErrDuplicate = errors.New("duplicate entry")
	// ErrTooLarge: an entry, a file or the whole archive exceeds a size limit.
	ErrTooLarge = errors.New("too large")
	// ErrTooManyEntries: the archive has more entries than Options.MaxEntries.
	ErrTooManyEntries = errors.New("too many entries")
	// ErrCorrupt: truncated or corrupt gzip, bzip2 or tar data.
	ErrCorrupt = errors.New("corrupt archive")
	// ErrNotBundle: the path is not something a bundle can be read from (an empty
	// file, a zip, an archive without files, a txtar without sections...).
	ErrNotBundle = errors.New("not a bundle")
)

// Error is every error this package returns about a bundle. Its message has the
// form `bundle PATH: entry "NAME": REASON` (or `file "NAME"` for a file read
// from an opened bundle, or no name at all when the problem is the whole archive).
type Error struct {
	Bundle string // the path as given (txtar bundles: "FILE#FOLDER")
	Entry  string // archive entry name, raw, when the error is about one entry
	File   string // bundle-relative file name, for errors of ReadFile and friends
	Err    error  // the reason; errors.Is it against the Err* kinds
}

func (e *Error) Error() string {
	switch {
	case e.Entry != "":
		return fmt.Sprintf("bundle %s: entry %q: %v", e.Bundle, shorten(e.Entry), e.Err)
	case e.File != "":
		return fmt.Sprintf("bundle %s: file %q: %v", e.Bundle, e.File, e.Err)
	}
	return fmt.Sprintf("bundle %s: %v", e.Bundle, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// reason is a precise message that still matches its kind under errors.Is, so
// that messages read "path escapes the bundle" rather than "unsafe entry name:
// path escapes the bundle".
type reason struct {
	kind error
	msg  string
}

func (r *reason) Error() string        { return r.msg }
func (r *reason) Is(target error) bool { return target == r.kind }

func because(kind error, format string, args ...any) error {
	return &reason{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// causeReason keeps the underlying error reachable (errors.Is(err,
// io.ErrUnexpectedEOF) still works) while the message stays short.
type causeReason struct {
	kind  error
	msg   string
	cause error
}

func (r *causeReason) Error() string        { return r.msg + ": " + r.cause.Error() }
func (r *causeReason) Is(target error) bool { return target == r.kind }
func (r *causeReason) Unwrap() error        { return r.cause }

// shorten keeps hostile multi-kilobyte names from flooding a terminal.
func shorten(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
