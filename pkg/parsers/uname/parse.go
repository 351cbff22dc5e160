// Package uname parses `uname -a` (or a bare `uname -r`). The kernel release gates
// several known failures: the VXLAN checksum offload bug before 5.7, IPVS
// conn_reuse_mode behaviour before 5.9, CentOS 7's 3.10 kernel.
package uname

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Result is what uname printed. Fields uname did not print (uname -r prints only the
// release) are empty.
type Result struct {
	Line     int
	Sysname  string // Linux
	Nodename string // node-a
	Release  string // 5.15.0-91-generic
	Version  string // #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023
	Machine  string // x86_64
	// Major, Minor and Patch are read from the start of Release (6.12.9+bpo-amd64 →
	// 6, 12, 9); all zero when Release is missing or unreadable.
	Major, Minor, Patch int
}

// Known reports whether a kernel version could be read.
func (r *Result) Known() bool { return r.Major > 0 }

// Less reports whether the kernel is older than major.minor. An unknown kernel is
// not older than anything, so a rule never fires on a guess.
func (r *Result) Less(major, minor int) bool {
	if !r.Known() {
		return false
	}
	return r.Major < major || r.Major == major && r.Minor < minor
}

// Summary gives what `analyze inspect` prints.
func (r *Result) Summary() string {
	if r.Release == "" {
		return "no kernel release"
	}
	s := "kernel " + r.Release
	if r.Machine != "" {
		s += " " + r.Machine
	}
	if r.Nodename != "" {
		s += " on " + r.Nodename
	}
	return s
}

// Parse reads the output of `uname -a`, `uname -r` or `uname -sr`. Comment lines
// and a pasted shell prompt line ("$ uname -a") are skipped.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	r := &Result{}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not `uname -a` output")
		return r, ds
	}
	var fields [][]byte
	sc := lines.New(data)
	for sc.Next() {
		line := bytes.TrimLeft(sc.Bytes(), " \t")
		if len(line) == 0 || line[0] == '#' || line[0] == '$' {
			continue
		}
		n := sc.Num()
		if r.Line != 0 {
			ds.Warnf(n, "extra line after uname output on line %d, ignored", r.Line)
			continue
		}
		r.Line = n
		fields = lines.Fields(fields, line)
		if !r.fill(fields) {
			ds.Addf(diag.Error, n, "no kernel release in %q: not `uname -a` output", lines.Clip(line))
			*r = Result{}
			return r, ds
		}
		if r.Sysname != "" && r.Sysname != "Linux" {
			ds.Addf(diag.Info, n, "kernel %s is not Linux", r.Sysname)
		}
		if !r.Known() {
			ds.Warnf(n, "kernel release %q has no major.minor version", r.Release)
		}
	}
	if r.Line == 0 {
		ds.Addf(diag.Info, 0, "empty input")
	}
	return r, ds
}

// fill sets the fields from one line's words, reporting whether a release was found.
func (r *Result) fill(f [][]byte) bool {
	switch {
	case len(f) == 1 && releaseLike(f[0]): // uname -r
		r.Release = string(f[0])
	case len(f) == 2 && releaseLike(f[1]): // uname -sr
		r.Sysname, r.Release = string(f[0]), string(f[1])
	case len(f) >= 3 && releaseLike(f[2]): // uname -a, or -snr
		r.Sysname, r.Nodename, r.Release = string(f[0]), string(f[1]), string(f[2])
		r.Machine, r.Version = splitTail(f[3:])
	default:
		return false
	}
	r.Major, r.Minor, r.Patch, _ = parseRelease(r.Release)
	return true
}

// splitTail separates the version words from the trailing machine, processor,
// hardware platform and operating system. Coreutils prints "x86_64 x86_64 x86_64
// GNU/Linux" on Red Hat and Ubuntu, "x86_64 GNU/Linux" on Debian (it drops
// "unknown" values), BusyBox "x86_64 Linux"; the version itself is free text.
func splitTail(f [][]byte) (machine, version string) {
	if len(f) > 0 {
		if last := string(f[len(f)-1]); last == "GNU/Linux" || last == "Linux" || last == "Android" {
			f = f[:len(f)-1]
		}
	}
	end := len(f)
	for end > 0 && len(f)-end < 3 && isArch(string(f[end-1])) {
		end--
	}
	if end < len(f) {
		machine = string(f[end])
	}
	words := make([]string, end)
	for i, w := range f[:end] {
		words[i] = string(w)
	}
	return machine, strings.Join(words, " ")
}

// isArch knows the machine names Linux reports; "unknown" is what uname prints for
// a processor or platform it cannot tell.
func isArch(s string) bool {
	switch s {
	case "x86_64", "amd64", "i386", "i486", "i586", "i686", "athlon", "aarch64", "arm64",
		"ia64", "alpha", "sparc", "sparc64", "loongarch64", "s390", "s390x", "parisc", "parisc64", "unknown":
		return true
	}
	for _, p := range [...]string{"arm", "mips", "ppc", "riscv"} {
		if strings.HasPrefix(s, p) && len(s) > len(p) && !strings.ContainsAny(s, ":()#") {
			return true
		}
	}
	return s == "arm" || s == "ppc"
}

// releaseLike accepts a word starting "<digits>.<digits>".
func releaseLike(b []byte) bool {
	_, _, _, ok := parseRelease(string(b))
	return ok
}

// parseRelease reads major.minor[.patch] from the start of a release string; any
// suffix ("-91-generic", "+bpo-amd64", ".el7.x86_64") is ignored.
func parseRelease(s string) (major, minor, patch int, ok bool) {
	nums := [3]int{}
	i, k := 0, 0
	for ; k < 3; k++ {
		j := i
		for j < len(s) && isDigit(s[j]) && j-i < 9 {
			j++
		}
		if j == i {
			break
		}
		nums[k], _ = strconv.Atoi(s[i:j])
		i = j
		if i >= len(s) || s[i] != '.' || k == 2 {
			k++
			break
		}
		i++
	}
	if k < 2 {
		return 0, 0, 0, false
	}
	return nums[0], nums[1], nums[2], true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
