package redact

import (
	"bytes"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// Environ turns a raw /proc/PID/environ (NUL-separated NAME=value entries) into
// the NAME=value lines of calico/calico-node-env.txt, redacting on the way.
// A value holding a newline (CNI_NETWORK_CONFIG is JSON over several lines) is
// written with "\n" escapes so that each variable stays on one line; a value
// starting with a quote is double-quoted, so the envfile parser does not unquote
// what was never quoted. Entries without '=' are dropped: they are not variables.
func Environ(file string, raw []byte) ([]byte, []bundle.Redaction) {
	r := &recorder{file: file}
	var b bytes.Buffer
	for _, e := range bytes.Split(raw, []byte{0}) {
		name, val, ok := bytes.Cut(e, []byte("="))
		if !ok || len(name) == 0 {
			continue
		}
		b.Write(name)
		b.WriteByte('=')
		b.WriteString(quote(r.envValue(string(name), string(val))))
		b.WriteByte('\n')
	}
	return b.Bytes(), r.out
}

// EnvLines redacts NAME=value lines (the format of calico-node-env.txt, or the
// output of `env`) in place; other lines are kept as they are.
func EnvLines(file string, data []byte) ([]byte, []bundle.Redaction) {
	r := &recorder{file: file}
	lines := bytes.Split(data, []byte("\n"))
	for i, ln := range lines {
		name, val, ok := bytes.Cut(ln, []byte("="))
		if !ok {
			continue
		}
		n := strings.TrimSpace(string(name))
		if rest, ok := strings.CutPrefix(n, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			n = strings.TrimSpace(rest)
		}
		if n == "" || strings.ContainsAny(n, " \t\"'#") {
			continue
		}
		nv := r.envValue(n, string(val))
		if nv != string(val) {
			lines[i] = append(append(append([]byte{}, name...), '='), nv...)
		}
	}
	return bytes.Join(lines, []byte("\n")), r.out
}

// envValue applies the policy to one variable: a secret-like name loses its
// value entirely (unless empty or a boolean); any other value is checked for
// credentials recognisable by shape.
func (r *recorder) envValue(name, val string) string {
	if SecretName(name) {
		if !hasValue(val) {
			return val
		}
		r.add(name, ReasonName)
		return Marker
	}
	if SecretValue(val) {
		return r.embedded(name, val)
	}
	return val
}

// quote writes a value so that envfile.Parse reads back exactly val (with "\n"
// standing for newlines, which one-line-per-variable cannot hold).
func quote(val string) string {
	val = strings.ReplaceAll(val, "\r\n", "\n")
	if strings.Contains(val, "\n") {
		val = strings.ReplaceAll(val, "\n", `\n`)
	}
	if val == "" || (val[0] != '"' && val[0] != '\'') {
		return val
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(val); i++ {
		if strings.IndexByte("\"\\$`", val[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(val[i])
	}
	b.WriteByte('"')
	return b.String()
}
