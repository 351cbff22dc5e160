// Package envfile parses NAME=value files: the environment of the running
// calico-node container (calico/calico-node-env.txt: /proc/PID/environ one variable
// per line, `kubectl exec ... env` or `kubectl set env --list`), raw NUL-separated
// environ, and /etc/os-release with its shell-style quoting. Calico reads most of its
// settings (CALICO_IPV4POOL_IPIP, IP_AUTODETECTION_METHOD, FELIX_*) from there.
package envfile

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Redacted is the value the collector writes in place of a secret.
const Redacted = "<redacted>"

// Var is one variable. For raw NUL-separated environ, Line is the entry's 1-based
// position, since such a file has no lines.
type Var struct {
	Line  int
	Name  string
	Value string // unquoted: os-release's PRETTY_NAME="Debian GNU/Linux 12" gives the text inside
}

// Redacted reports whether the collector replaced the value.
func (v Var) Redacted() bool { return v.Value == Redacted }

// Result lists the variables in file order, each name once: when a name is set
// again the later assignment wins, as in a shell or a pod spec, and the variable
// sits where that later assignment is.
type Result struct {
	Vars []Var
}

// Get returns the variable called name.
func (r *Result) Get(name string) (Var, bool) {
	for _, v := range r.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	red := 0
	for _, v := range r.Vars {
		if v.Redacted() {
			red++
		}
	}
	s := fmt.Sprintf("%d variables", len(r.Vars))
	if red > 0 {
		s += fmt.Sprintf(" (%d redacted)", red)
	}
	return s
}

type parser struct {
	r     *Result
	ds    diag.List
	index map[string]int // name → position in r.Vars
}

// Parse reads NAME=value lines, `export NAME="value"` lines, comments (#), or raw
// NUL-separated environ (values taken literally, no quoting).
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := &parser{r: &Result{}, index: map[string]int{}}
	nul := bytes.IndexByte(data, 0) >= 0
	probe := data
	if nul {
		probe = bytes.ReplaceAll(data, []byte{0}, []byte{'\n'})
	}
	if lines.Binary(probe) {
		p.ds.Addf(diag.Error, 0, "binary data, not NAME=value lines")
		return p.r, p.ds
	}
	unreadable, nonBlank := 0, false
	if nul {
		for i, e := range bytes.Split(data, []byte{0}) {
			if len(e) == 0 {
				continue
			}
			nonBlank = true
			name, val, ok := bytes.Cut(e, []byte("="))
			if !ok || len(name) == 0 {
				unreadable++
				p.ds.Warnf(i+1, "environ entry %d has no NAME=: %q", i+1, lines.Clip(e))
				continue
			}
			p.add(string(name), string(val), i+1)
		}
	} else {
		sc := lines.New(data)
		for sc.Next() {
			line := bytes.TrimLeft(sc.Bytes(), " \t")
			if len(line) == 0 || line[0] == '#' {
				nonBlank = nonBlank || len(line) > 0
				continue
			}
			nonBlank = true
			if !p.line(line, sc.Num()) {
				unreadable++
			}
		}
	}
	p.dedup()
	if len(p.r.Vars) == 0 {
		switch {
		case unreadable > 0:
			p.ds.Addf(diag.Error, 0, "no NAME=value lines found")
		case nonBlank:
			p.ds.Warnf(0, "no variables")
		default:
			p.ds.Addf(diag.Info, 0, "empty input")
		}
	}
	return p.r, p.ds
}

// line reads one NAME=value line, reporting whether it was readable.
func (p *parser) line(line []byte, n int) bool {
	if rest, ok := bytes.CutPrefix(line, []byte("export")); ok && len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		line = bytes.TrimLeft(rest, " \t")
	}
	name, val, ok := bytes.Cut(line, []byte("="))
	if !ok {
		p.ds.Warnf(n, "no '=' in %q", lines.Clip(line))
		return false
	}
	trimmed := bytes.TrimRight(name, " \t")
	if len(trimmed) == 0 || bytes.ContainsAny(trimmed, " \t\"'") {
		p.ds.Warnf(n, "invalid variable name %q", lines.Clip(name))
		return false
	}
	if len(trimmed) < len(name) {
		// "NAME = value": the blanks around '=' are layout, not part of the value.
		val = bytes.TrimLeft(val, " \t")
	}
	value, err := unquote(val)
	if err != "" {
		p.ds.Addf(diag.Info, n, "%s: %s; value kept as written", trimmed, err)
	}
	p.add(string(trimmed), value, n)
	return true
}

func (p *parser) add(name, value string, n int) {
	if i, dup := p.index[name]; dup {
		p.ds.Addf(diag.Info, n, "%s set again (previously on line %d); the last value is used", name, p.r.Vars[i].Line)
	}
	p.index[name] = len(p.r.Vars)
	p.r.Vars = append(p.r.Vars, Var{Line: n, Name: name, Value: value})
}

// dedup keeps the last assignment of each name, in place, in one pass.
func (p *parser) dedup() {
	out := p.r.Vars[:0]
	for i, v := range p.r.Vars {
		if p.index[v.Name] == i {
			out = append(out, v)
		}
	}
	p.r.Vars = out
}

// unquote undoes os-release / shell quoting when the value starts with a quote:
// 'single' is literal, "double" honours the escapes \" \\ \$ \`. After the closing
// quote only blanks or a # comment may follow. A value that does not start with a
// quote, or whose quoting is broken, is returned unchanged with the reason.
func unquote(v []byte) (string, string) {
	if len(v) == 0 || (v[0] != '"' && v[0] != '\'') {
		return string(v), ""
	}
	q := v[0]
	var b strings.Builder
	i := 1
	for ; i < len(v); i++ {
		c := v[i]
		if c == q {
			break
		}
		if q == '"' && c == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
			i++
			c = v[i]
		}
		b.WriteByte(c)
	}
	if i >= len(v) {
		return string(v), "unterminated quote"
	}
	rest := bytes.TrimLeft(v[i+1:], " \t")
	if len(rest) > 0 && rest[0] != '#' {
		return string(v), "text after the closing quote"
	}
	return b.String(), ""
}
