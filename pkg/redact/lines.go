package redact

import (
	"bytes"
	"path"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// File redacts any text file the collector writes, whatever its format: the
// credential shapes of Text, then every assignment whose name looks like a
// secret (Lines). Binary files (captures) are returned unchanged. It is the
// pass every file goes through, on top of the format-aware passes (Environ,
// JSON) of the sources known to carry secrets.
func File(file string, data []byte) ([]byte, []bundle.Redaction) {
	if binary(file, data) {
		return data, nil
	}
	r := &recorder{file: file}
	out := r.text(keyOf(file), data)
	out = r.lines(out)
	return out, r.out
}

// String redacts one line of text (a manifest's command or error), recording
// the redactions against file under key.
func String(file, s string) (string, []bundle.Redaction) {
	r := &recorder{file: file}
	out := r.lines(r.text(file, []byte(s)))
	return string(out), r.out
}

func keyOf(file string) string {
	return strings.TrimSuffix(path.Base(file), path.Ext(file))
}

// binary: captures by name, anything else holding a NUL byte in its head.
func binary(file string, data []byte) bool {
	switch path.Ext(file) {
	case ".pcap", ".pcapng":
		return true
	}
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	return bytes.IndexByte(head, 0) >= 0
}

// Lines removes the value of every assignment whose name looks like a secret,
// anywhere in a line, in the forms configuration, logs and command lines use:
//
//	name=value  name = value  name: value  "name": "value"  'name': 'value'
//	--flag=value  --flag value  -flag value
//
// plus the YAML env pair "- name: X_PASSWORD" / "value: ...", a YAML block
// scalar under a secret name ("key: |" and its indented lines), and an
// "Authorization: Bearer X" style value of two words.
func Lines(file string, data []byte) ([]byte, []bundle.Redaction) {
	r := &recorder{file: file}
	return r.lines(data), r.out
}

func (r *recorder) lines(data []byte) []byte {
	if !bytes.ContainsAny(data, ":=-") {
		return data
	}
	lines := bytes.Split(data, []byte("\n"))
	var st lineState
	changed := false
	for i, ln := range lines {
		if out, ok := r.line(&st, ln); ok {
			lines[i] = out
			changed = true
		}
	}
	if !changed {
		return data
	}
	return bytes.Join(lines, []byte("\n"))
}

// lineState carries what one line means for the next ones.
type lineState struct {
	blockIndent int    // > 0: lines indented deeper than blockIndent-1 are a secret block
	blockKey    string // the key of that block
	envName     string // "- name: X_TOKEN" seen: the next "value:" is secret
	envIndent   int
}

func indentOf(ln []byte) int {
	n := 0
	for n < len(ln) && (ln[n] == ' ' || ln[n] == '\t') {
		n++
	}
	return n
}

// line redacts one line; ok reports a change.
func (r *recorder) line(st *lineState, ln []byte) ([]byte, bool) {
	ind := indentOf(ln)
	blank := ind == len(ln) || (ind == len(ln)-1 && ln[len(ln)-1] == '\r')
	if st.blockIndent > 0 {
		if blank {
			return ln, false
		}
		if ind >= st.blockIndent {
			if string(bytes.TrimSpace(ln)) == Marker {
				return ln, false
			}
			r.add(st.blockKey, ReasonName)
			return append(append([]byte{}, ln[:ind]...), Marker...), true
		}
		st.blockIndent = 0
	}
	if st.envName != "" && !blank && ind < st.envIndent {
		st.envName = ""
	}
	var out []byte // nil until something changes
	cur := ln
	pos := 0
	for pos < len(cur) {
		ns, ne := nextName(cur, pos)
		if ns < 0 {
			break
		}
		pos = ne
		name := string(cur[ns:ne])
		flag := ns > 0 && cur[ns-1] == '-'
		// A path component ("default/secret-svc:https" in an iptables comment)
		// names a thing, not a key.
		if ns > 0 && (cur[ns-1] == '/' || cur[ns-1] == '\\') {
			continue
		}
		j := ne
		var quote byte
		if ns > 0 && (cur[ns-1] == '"' || cur[ns-1] == '\'') {
			quote = cur[ns-1]
			if j < len(cur) && cur[j] == quote {
				j++
			} else {
				// "bgp_password=x" in a quoted comment: the quote opens the
				// text, not the name.
				quote = 0
			}
		}
		k := skipBlank(cur, j)
		sep := byte(0)
		switch {
		case k < len(cur) && cur[k] == '=':
			sep = '='
		case k < len(cur) && cur[k] == ':' && !(k+2 < len(cur) && cur[k+1] == '/' && cur[k+2] == '/'):
			sep = ':'
		case flag && k > j && k < len(cur) && cur[k] != '-':
			sep = ' '
		}
		if sep == 0 {
			continue
		}
		vs := k
		if sep != ' ' {
			vs = skipBlank(cur, k+1)
		}
		ve, inner := valueEnd(cur, vs)
		val := string(cur[inner[0]:inner[1]])
		// YAML env pairs: "- name: ETCD_PASSWORD" then "value: x".
		if strings.EqualFold(name, "name") && SecretName(val) {
			st.envName, st.envIndent = val, ind
			pos = ve
			continue
		}
		secret := SecretName(name)
		if !secret && strings.EqualFold(name, "value") && st.envName != "" {
			secret, name = true, st.envName
			st.envName = ""
		}
		if !secret {
			continue
		}
		if sep == ':' && vs >= len(cur) || blockScalar(val) {
			// "password:" alone opens a mapping (nothing to redact); "password: |"
			// a block scalar whose lines are the secret.
			if blockScalar(val) {
				st.blockIndent, st.blockKey = ind+1, name
			}
			continue
		}
		if !hasValue(val) || (bareKey(name) && !randomLooking(val)) {
			pos = ve
			continue
		}
		// "Authorization: Bearer X", "auth = Basic X": the scheme stays, the
		// credential goes.
		if scheme(val) && quote == 0 {
			s2 := skipBlank(cur, ve)
			if s2 > ve && s2 < len(cur) {
				e2, in2 := valueEnd(cur, s2)
				inner, ve = [2]int{in2[0], in2[1]}, e2
				if string(cur[inner[0]:inner[1]]) == Marker {
					pos = ve
					continue
				}
			}
		}
		if out == nil {
			out = append([]byte{}, cur...)
		}
		// Rebuild the line with the marker in place of the value.
		nl := make([]byte, 0, len(cur)+len(Marker))
		nl = append(nl, cur[:inner[0]]...)
		nl = append(nl, Marker...)
		nl = append(nl, cur[inner[1]:]...)
		pos = inner[0] + len(Marker) + (ve - inner[1])
		cur = nl
		out = cur
		r.add(name, ReasonName)
	}
	return out, out != nil
}

// nextName finds the next name (a letter or '_' then letters, digits, '_', '-',
// '.') at or after pos that does not continue a word.
func nextName(b []byte, pos int) (int, int) {
	for i := pos; i < len(b); i++ {
		if !nameStart(b[i]) || (i > 0 && nameByte(b[i-1]) && !flagDash(b, i)) {
			continue
		}
		j := i + 1
		for j < len(b) && nameByte(b[j]) {
			j++
		}
		// A trailing '.' or '-' ends a sentence or a flag list, not a name.
		for j > i+1 && (b[j-1] == '.' || b[j-1] == '-') {
			j--
		}
		return i, j
	}
	return -1, -1
}

// flagDash: b[i] follows the dashes of a flag ("--bgp-password"), which start
// a line or follow a blank, a quote or '='.
func flagDash(b []byte, i int) bool {
	j := i
	for j > 0 && b[j-1] == '-' {
		j--
	}
	if j == i || i-j > 2 {
		return false
	}
	return j == 0 || !nameByte(b[j-1])
}

func nameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func nameByte(c byte) bool {
	return nameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func skipBlank(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// valueEnd returns where the value starting at i ends and the span of its
// content: inside quotes for a quoted value (backslash escapes honoured), else
// up to a blank or a separator of the surrounding syntax.
func valueEnd(b []byte, i int) (int, [2]int) {
	if i >= len(b) {
		return i, [2]int{i, i}
	}
	if q := b[i]; q == '"' || q == '\'' {
		j := i + 1
		for j < len(b) && b[j] != q {
			if b[j] == '\\' && q == '"' {
				j++
			}
			j++
		}
		if j > len(b) {
			j = len(b)
		}
		end := j
		if j < len(b) {
			end = j + 1
		}
		return end, [2]int{i + 1, j}
	}
	j := i
	for j < len(b) && !bytes.ContainsRune([]byte(" \t\r,;&}])\"'"), rune(b[j])) {
		j++
	}
	return j, [2]int{i, j}
}

// blockScalar: a YAML block scalar indicator ("|", ">-", "|+2").
func blockScalar(v string) bool {
	return len(v) > 0 && (v[0] == '|' || v[0] == '>') && strings.Trim(v[1:], "+-0123456789") == ""
}

// scheme: the first word of an Authorization value.
func scheme(v string) bool {
	switch strings.ToLower(v) {
	case "bearer", "basic", "digest", "token", "negotiate", "aws4-hmac-sha256":
		return true
	}
	return false
}

// bareKey: a field called just "key" is a label or ConfigMap key as often as a
// secret ("- key: CriticalAddonsOnly", configMapKeyRef's "key: veth_mtu").
func bareKey(name string) bool {
	return strings.EqualFold(name, "key")
}

// randomLooking: a value that reads as key material rather than a name: long,
// and mixing digits with letters (base64, hex) without the separators of names.
func randomLooking(v string) bool {
	if len(v) < 16 {
		return false
	}
	var digit, letter bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c == '+' || c == '/' || c == '=' || c == '-' || c == '_':
		default:
			return false
		}
	}
	return digit && letter
}
