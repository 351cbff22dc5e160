package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// What people send is rarely one bundle per argument: a folder of node
// folders, a folder of .tgz files, a tarball of node folders or of tarballs.
// OpenAll looks inside such containers, one level at a time, up to
// maxContainerDepth levels, and opens every node bundle it finds. Something
// that holds no bundle at all is an error, never an empty analysis.

// maxContainerDepth bounds the nesting of containers (a folder holding a
// tarball of tarballs is three).
const maxContainerDepth = 3

// layoutFiles are the files whose presence makes a folder a bundle: a folder
// named like a layout folder (/etc/calico) is not enough.
var layoutFiles = []string{
	ManifestPath, HostnamePath, UnamePath, OSReleasePath, SysctlPath,
	IPAddrPath, IPLinkPath, IPRoutePath, IPRulePath, IPNeighPath, BridgeFDBPath,
	IPRouteAllPath, RouteGetPath, IPTablesSavePath, NFTRulesetPath, IPSetListPath,
	ConntrackStats, IPVSPath, IPVSStatsPath, CalicoEnvPath, CalicoDaemonSetPath,
	CalicoIPPoolsPath, CalicoFelixPath, BirdProtocolsPath, KubeNodesPath,
	KubeDNSEndpointsPath, KubeCoreDNSPodsPath, KubeProxyConfigPath, ResolvConfPath,
	DNSProbePath, CalicoNodeLogPath, KubeProxyLogPath,
}

var layoutGlobs = []string{EthtoolDir + "/*.txt", PcapDir + "/*.pcap", PcapDir + "/*.pcapng"}

// HasLayoutFile says whether fsys holds at least one file of the bundle layout.
func HasLayoutFile(fsys fs.FS) bool {
	for _, p := range layoutFiles {
		if fi, err := fs.Stat(fsys, p); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	for _, g := range layoutGlobs {
		if m, _ := fs.Glob(fsys, g); len(m) > 0 {
			return true
		}
	}
	return false
}

// noBundle is the error for a path that holds nothing to analyse.
func noBundle(label string) error {
	return &Error{Bundle: label, Err: because(ErrNotBundle,
		"holds no node bundle: expected a bundle (a folder, .tgz or .tar holding files of the layout such as %s, %s, %s, %s), "+
			"or a folder or archive of such bundles, one per node", ManifestPath, IPRoutePath, IPVSPath, HostnamePath)}
}

// share lets the bundles found inside one extracted archive keep its
// temporary folder until the last of them is closed.
type share struct {
	owner *Bundle
	refs  int
}

// openPath opens whatever p is and returns the node bundles in it.
func openPath(p string, opts Options, depth int) ([]*Bundle, error) {
	if isTxtarName(p) {
		bs, err := openTxtar(p, opts)
		if err != nil {
			return nil, err
		}
		sum := fileSHA256(p)
		for _, b := range bs {
			b.SHA256 = sum
			if !HasLayoutFile(b.FS) {
				closeAll(bs)
				return nil, noBundle(b.label)
			}
		}
		return bs, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, &Error{Bundle: p, Err: unwrapPathError(err)}
	}
	b, err := Open(p, opts)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		b.SHA256 = fileSHA256(p)
	}
	if HasLayoutFile(b.FS) {
		return []*Bundle{b}, nil
	}
	if b.Root == "" || depth >= maxContainerDepth {
		b.Close()
		return nil, noBundle(p)
	}
	bs, err := openInside(b, p, opts, depth+1)
	if err != nil || len(bs) == 0 {
		b.Close()
		if err == nil {
			err = noBundle(p)
		}
		return nil, err
	}
	return bs, nil
}

// openInside opens the bundles held by a container c (a folder or an
// extracted archive that is not itself a bundle): its sub-folders that are
// bundles and its archive and txtar files. Folders found inside an extracted
// archive keep it open; c is closed when no bundle needs it.
func openInside(c *Bundle, label string, opts Options, depth int) ([]*Bundle, error) {
	entries, err := os.ReadDir(c.Root)
	if err != nil {
		return nil, &Error{Bundle: label, Err: err}
	}
	sh := &share{owner: c}
	var out []*Bundle
	var skipped []string
	fail := func(err error) ([]*Bundle, error) {
		closeAll(out)
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(c.Root, name)
		childLabel := joinLabel(label, name, c.tmp != "")
		switch {
		case e.IsDir():
			// Folders are looked into one level only: a node folder (or the
			// folder an archive was unpacked into), never a tree walk of /etc.
			b, err := Open(full, opts)
			if err != nil {
				skipped = append(skipped, name+"/")
				continue
			}
			if !HasLayoutFile(b.FS) {
				b.Close()
				continue
			}
			relabel(b, full, childLabel)
			b.SHA256 = c.SHA256 // the archive it came out of, if any
			if c.tmp != "" {
				// On disk inside c's temporary folder: c must outlive it.
				b.share = sh
				sh.refs++
			}
			out = append(out, b)
		case e.Type().IsRegular() && (isTxtarName(name) || isArchiveFile(full)):
			bs, err := openPath(full, opts, depth)
			if errors.Is(err, ErrNotBundle) {
				skipped = append(skipped, name)
				continue
			}
			if err != nil {
				return fail(err)
			}
			for _, b := range bs {
				relabel(b, full, childLabel)
			}
			out = append(out, bs...)
		}
	}
	if sh.refs == 0 {
		c.Close() // no child lives in it: a folder's children opened their own roots
	}
	if len(out) > 0 && len(skipped) > 0 {
		out[0].warnf("%s: skipped %s: not node bundles", label, strings.Join(skipped, ", "))
	}
	return out, nil
}

// relabel names a bundle found inside a container by where it was found, so
// that errors and the report say "cluster.tgz:node-a.tgz", not a temporary path.
func relabel(b *Bundle, full, label string) {
	if b.Path == full {
		b.Path = label
	} else if rest, ok := strings.CutPrefix(b.Path, full); ok {
		b.Path = label + rest
	}
	if l, ok := strings.CutPrefix(b.label, full); ok {
		b.label = label + l
	}
}

func joinLabel(container, name string, extracted bool) string {
	if extracted {
		return container + ":" + name
	}
	return filepath.Join(container, name)
}

// isArchiveFile sniffs the first bytes of a regular file for a container
// format Open reads.
func isArchiveFile(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	switch sniff(head[:n]) {
	case "gzip", "bzip2", "tar":
		return true
	}
	return false
}

func fileSHA256(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

func closeAll(bs []*Bundle) {
	for _, b := range bs {
		b.Close()
	}
}
