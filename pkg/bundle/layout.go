package bundle

import (
	"io/fs"
	"path/filepath"
	"strings"
)

// layoutTops are the first components of the layout's paths. A folder holding
// one of them is a bundle's top folder; a top folder named like one of them
// (an archive made with `tar czf x.tgz net ipvs`) is not.
var layoutTops = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{
		ManifestPath, HostnamePath, IPRoutePath, IPVSPath, EthtoolDir,
		CalicoEnvPath, KubeNodesPath, ResolvConfPath, PcapDir,
		CountersBeforeDir, CalicoNodeLogPath,
	} {
		first, _, _ := strings.Cut(p, "/")
		m[first] = true
	}
	return m
}()

// looksLikeBundle says whether dir holds at least one name of the layout.
func looksLikeBundle(fsys fs.FS, dir string) bool {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if layoutTops[e.Name()] {
			return true
		}
	}
	return false
}

// stripStamp turns the collector's "NODE-YYYYMMDDTHHMMSSZ" back into "NODE", so
// a folder or file name used as the node name matches the cluster's node name.
func stripStamp(name string) string {
	const stamp = "-YYYYMMDDTHHMMSSZ"
	if len(name) <= len(stamp) {
		return name
	}
	tail := name[len(name)-len(stamp):]
	for i := 0; i < len(stamp); i++ {
		c := tail[i]
		switch stamp[i] {
		case '-', 'T', 'Z':
			if c != stamp[i] {
				return name
			}
		default:
			if c < '0' || c > '9' {
				return name
			}
		}
	}
	return name[:len(name)-len(stamp)]
}

// baseWithoutExt is the node-name fallback of last resort: "node-a.tgz" → "node-a".
func baseWithoutExt(p string) string {
	base := filepath.Base(p)
	lower := strings.ToLower(base)
	for _, ext := range []string{".tar.gz", ".tar.bz2", ".tgz", ".tbz2", ".tbz", ".tar", ".gz", ".txtar"} {
		if strings.HasSuffix(lower, ext) && len(base) > len(ext) {
			return base[:len(base)-len(ext)]
		}
	}
	return base
}
