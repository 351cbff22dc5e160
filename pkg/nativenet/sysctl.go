package nativenet

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SysctlRoot is the kernel's sysctl tree.
const SysctlRoot = "/proc/sys"

// Sysctl renders the parameters under root (normally SysctlRoot) as `sysctl -a`
// prints them: "key = value", the key being the path below root with dots for
// slashes and slashes for the dots in a name (net.ipv4.conf.vxlan/calico.rp_filter),
// one line per line of a multi-line value. Directories are walked in name order,
// which is the order the kernel lists them in, so the output follows `sysctl
// -a`'s. Write-only and deprecated parameters, and empty files, are skipped as
// sysctl skips them; parameters that cannot be read (stable_secret answers EIO,
// some need privileges) are left out and counted in unreadable.
func Sysctl(root string) (out []byte, unreadable int, err error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, 0, err
	}
	if !st.IsDir() {
		return nil, 0, errors.New(root + " is not a directory")
	}
	var b bytes.Buffer
	unreadable = walkSysctl(&b, root, "")
	return b.Bytes(), unreadable, nil
}

// deprecatedSysctl are the parameters procps-ng's sysctl -a leaves out unless
// given --deprecated (superseded by their _ms variants).
var deprecatedSysctl = map[string]bool{"base_reachable_time": true, "retrans_time": true}

func walkSysctl(b *bytes.Buffer, dir, prefix string) (unreadable int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 1
	}
	names := make([]string, 0, len(entries))
	types := make(map[string]fs.FileMode, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
		types[e.Name()] = e.Type()
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		key := strings.ReplaceAll(name, ".", "/")
		if prefix != "" {
			key = prefix + "." + key
		}
		if types[name].IsDir() {
			unreadable += walkSysctl(b, path, key)
			continue
		}
		info, err := os.Stat(path)
		if err != nil {
			unreadable++
			continue
		}
		if info.IsDir() {
			unreadable += walkSysctl(b, path, key)
			continue
		}
		if info.Mode().Perm()&0o444 == 0 || deprecatedSysctl[name] {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			unreadable++
			continue
		}
		if len(data) == 0 {
			// sysctl's fgets finds nothing to print (vm.stat_refresh).
			continue
		}
		data = bytes.TrimSuffix(data, []byte("\n"))
		for _, line := range bytes.Split(data, []byte("\n")) {
			b.WriteString(key)
			b.WriteString(" = ")
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return unreadable
}
