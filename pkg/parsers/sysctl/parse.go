// Package sysctl parses `sysctl -a` output, and the `key=value` lines of sysctl.conf
// files that people paste instead. Kernel parameters such as rp_filter, ip_forward
// and the IPVS conn_reuse_mode explain several pod DNS failures on their own.
package sysctl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Value is one parameter's value, exactly as printed (a multi-valued parameter such
// as net.ipv4.ip_local_port_range keeps its tab: "32768\t60999").
type Value struct {
	Value string
	Line  int
}

// Result maps dotted keys to values. Keys are kept as sysctl prints them: an
// interface name containing dots appears with slashes
// (net.ipv4.conf.vxlan/calico.rp_filter for vxlan.calico).
type Result struct {
	Values map[string]Value
	// Unreadable counts the keys sysctl itself reported it could not read
	// (permission denied, stable_secret, ...).
	Unreadable int
}

// Get returns the value of key (dots or slashes), the line it came from, and whether
// it was present.
func (r *Result) Get(key string) (string, int, bool) {
	v, ok := r.Values[NormalizeKey(key)]
	return v.Value, v.Line, ok
}

// Int returns the value of key as an integer, false when it is absent or not a
// single integer.
func (r *Result) Int(key string) (int64, bool) {
	s, _, ok := r.Get(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// Ints returns a multi-valued parameter such as net.ipv4.ip_local_port_range
// ("32768\t60999") as integers, false when absent or when a field is not an integer.
func (r *Result) Ints(key string) ([]int64, bool) {
	s, _, ok := r.Get(key)
	if !ok {
		return nil, false
	}
	var out []int64
	for _, f := range strings.Fields(s) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}

// Conf looks up net.ipv4.conf.IFACE.KEY for an interface given by its real name:
// Conf("vxlan.calico", "rp_filter") reads net.ipv4.conf.vxlan/calico.rp_filter,
// because sysctl shows the dots of an interface name as slashes.
func (r *Result) Conf(iface, key string) (string, int, bool) {
	v, ok := r.Values["net.ipv4.conf."+strings.ReplaceAll(iface, ".", "/")+"."+key]
	return v.Value, v.Line, ok
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	s := fmt.Sprintf("%d keys", len(r.Values))
	if r.Unreadable > 0 {
		s += fmt.Sprintf(", %d unreadable", r.Unreadable)
	}
	return s
}

// NormalizeKey turns a slash-separated key (net/ipv4/conf/all/rp_filter) into the
// dotted form sysctl prints, the way procps does: when the first separator is a
// slash, slashes and dots swap, so a dot inside an interface name becomes a slash.
func NormalizeKey(key string) string {
	i := strings.IndexAny(key, "./")
	if i < 0 || key[i] == '.' {
		return key
	}
	b := []byte(key)
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '/':
			b[j] = '.'
		case '.':
			b[j] = '/'
		}
	}
	return string(b)
}

// Parse reads `sysctl -a` output ("key = value") or sysctl.conf lines ("key=value",
// "-key = value", comments starting with # or ;).
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	r := &Result{Values: map[string]Value{}}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not `sysctl -a` output")
		return r, ds
	}
	var (
		unreadable int
		nonBlank   bool
		// A multi-line /proc/sys file (dev.cdrom.info, sunrpc.transports) comes out
		// as one "key = line" per line; run collects them to keep the value whole.
		prevKey string
		run     []string
	)
	endRun := func() {
		if len(run) > 1 {
			v := r.Values[prevKey]
			v.Value = strings.Join(run, "\n")
			r.Values[prevKey] = v
		}
		prevKey, run = "", run[:0]
	}
	sc := lines.New(data)
	for sc.Next() {
		line := bytes.TrimLeft(sc.Bytes(), " \t")
		n := sc.Num()
		if len(line) == 0 {
			continue
		}
		nonBlank = true
		if line[0] == '#' || line[0] == ';' {
			endRun()
			continue
		}
		if bytes.HasPrefix(line, []byte("sysctl:")) || bytes.HasPrefix(line, []byte("error:")) {
			// procps: "sysctl: permission denied on key 'x'", "sysctl: reading key
			// \"net.ipv6.conf.all.stable_secret\""; procps 3.2: "error: permission
			// denied on key 'x'"; busybox: "sysctl: error reading key".
			endRun()
			r.Unreadable++
			ds.Addf(diag.Info, n, "%s", lines.Clip(line))
			continue
		}
		key, val, ok := splitLine(line)
		if !ok {
			endRun()
			unreadable++
			ds.Warnf(n, "unreadable line %q: want key = value", lines.Clip(line))
			continue
		}
		key = NormalizeKey(key)
		if key == prevKey {
			run = append(run, val)
			continue
		}
		endRun()
		if old, dup := r.Values[key]; dup {
			ds.Addf(diag.Info, n, "%s set again (first on line %d); the last value is used", key, old.Line)
		}
		r.Values[key] = Value{Value: val, Line: n}
		prevKey, run = key, append(run, val)
	}
	endRun()
	if len(r.Values) == 0 {
		switch {
		case unreadable > 0:
			ds.Addf(diag.Error, 0, "no key = value lines found: not `sysctl -a` output")
		case nonBlank:
			ds.Warnf(0, "no readable keys")
		default:
			ds.Addf(diag.Info, 0, "empty input")
		}
	}
	return r, ds
}

// splitLine cuts "key = value" (sysctl -a) or "key=value" (sysctl.conf). The spaced
// form is tried first so that a value containing '=' stays whole.
func splitLine(line []byte) (key, val string, ok bool) {
	k, v, found := bytes.Cut(line, []byte(" = "))
	if !found {
		if k, v, found = bytes.Cut(line, []byte("=")); !found {
			return "", "", false
		}
	}
	// sysctl.conf: a leading '-' means "ignore errors setting this key".
	k = bytes.TrimPrefix(bytes.TrimSpace(k), []byte("-"))
	if len(k) == 0 || bytes.ContainsAny(k, " \t\"'") {
		return "", "", false
	}
	return string(k), string(bytes.TrimLeft(v, " \t")), true
}
