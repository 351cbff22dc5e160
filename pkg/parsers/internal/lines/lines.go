// Package lines walks command output line by line without copying it. Every parser
// uses it so that CRLF endings, trailing blanks and line numbering are handled once.
package lines

import "bytes"

// Scanner yields the lines of a byte slice. Each line has its end-of-line bytes
// and trailing spaces, tabs and carriage returns removed; line numbers are 1-based.
// It never allocates: Bytes and Text views alias the input.
type Scanner struct {
	data []byte
	pos  int
	num  int
	cur  []byte
}

// New returns a Scanner over data.
func New(data []byte) *Scanner { return &Scanner{data: data} }

// Next advances to the next line and reports whether there was one.
func (s *Scanner) Next() bool {
	if s.pos >= len(s.data) {
		return false
	}
	rest := s.data[s.pos:]
	i := bytes.IndexByte(rest, '\n')
	var line []byte
	if i < 0 {
		line = rest
		s.pos = len(s.data)
	} else {
		line = rest[:i]
		s.pos += i + 1
	}
	s.num++
	s.cur = TrimRight(line)
	return true
}

// Bytes is the current line, trimmed on the right.
func (s *Scanner) Bytes() []byte { return s.cur }

// Text is the current line as a string (this one copies).
func (s *Scanner) Text() string { return string(s.cur) }

// Num is the 1-based number of the current line.
func (s *Scanner) Num() int { return s.num }

// TrimRight removes trailing spaces, tabs, carriage returns and NULs.
func TrimRight(b []byte) []byte {
	n := len(b)
	for n > 0 {
		switch b[n-1] {
		case ' ', '\t', '\r', 0, '\v', '\f':
			n--
			continue
		}
		break
	}
	return b[:n]
}

// Indent counts leading spaces and tabs (a tab counts as one).
func Indent(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// Fields splits b on runs of spaces and tabs into dst (reused to avoid allocation)
// and returns it. The returned slices alias b.
func Fields(dst [][]byte, b []byte) [][]byte {
	dst = dst[:0]
	i := 0
	for i < len(b) {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		if i >= len(b) {
			break
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\t' {
			j++
		}
		dst = append(dst, b[i:j])
		i = j
	}
	return dst
}
