package lines

import "unicode/utf8"

// binarySample bounds the work Binary does: command output that starts as text is
// text, and a parser must not scan a huge capture twice just to refuse it.
const binarySample = 8 << 10

// Binary reports whether data looks like binary content rather than command output:
// among its first 8 KiB, a NUL byte, or more than one byte in ten being a control
// character or part of invalid UTF-8. Parsers use it to answer a pcap or a gzip that
// landed under a text name with one error instead of a warning per "line".
func Binary(data []byte) bool {
	if len(data) > binarySample {
		data = data[:binarySample]
	}
	bad := 0
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return true
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v', c == 0x7f:
				bad++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			// A rune cut by the sample boundary is not evidence of binary.
			if len(data)-i < utf8.UTFMax && !utf8.FullRune(data[i:]) {
				break
			}
			bad++
			n = 1
		}
		i += n
	}
	return bad*10 > len(data)
}

// clipLen keeps a quoted line in a diagnostic readable.
const clipLen = 80

// Clip returns b as a string for a diagnostic message, cut to 80 bytes (on a rune
// boundary) with an ellipsis, so that a binary blob or a megabyte-long line does not
// flood the report.
func Clip(b []byte) string {
	if len(b) <= clipLen {
		return string(b)
	}
	n := clipLen
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "…"
}
