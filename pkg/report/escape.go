package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Everything a report prints from a bundle (file names, evidence lines, node
// and interface names, messages built from them) is data a customer's node or
// an attacker chose. On a terminal a raw ESC can retitle the window, clear the
// screen or overwrite the CRITICAL line; bidi overrides reorder what is read.
// The text renderer shows each such character as a visible escape; Markdown
// additionally neutralises its own syntax; JSON carries the exact bytes.

// unsafeRune says whether r must not reach a terminal as is.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi marks and overrides
	}
	return false
}

// escapeText renders control characters, invalid UTF-8 and bidi controls as
// Go-style escapes (\x1b, \n, \u202e); other text is unchanged.
func escapeText(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unsafeRune(r) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// escapeLines escapes each line of a multi-line text (a remediation) and
// returns the lines.
func escapeLines(s string) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = escapeText(strings.TrimSuffix(l, "\r"))
	}
	return lines
}

// mdReplacer backslash-escapes what Markdown (and the HTML it may embed)
// would read as syntax in running text.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `~`, `\~`, `#`, `\#`,
)

// mdText is running Markdown text from data.
func mdText(s string) string { return mdReplacer.Replace(escapeText(s)) }

// mdCode is an inline code span that no backtick in s can end early.
func mdCode(s string) string {
	s = escapeText(s)
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return ticks + " " + s + " " + ticks
	}
	return ticks + s + ticks
}

// mdFence is a fenced block around lines (already escaped) that no line can
// close early.
func mdFence(b *strings.Builder, lines []string) {
	n := 3
	for _, l := range lines {
		if r := longestRun(l, '`') + 1; r > n {
			n = r
		}
	}
	fence := strings.Repeat("`", n)
	b.WriteString(fence + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString(fence + "\n")
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			if cur > best {
				best = cur
			}
		} else {
			cur = 0
		}
	}
	return best
}
