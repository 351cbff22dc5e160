package bundle

import (
	"errors"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxManifestSize = 16 << 20
	maxHostnameSize = 64 << 10
)

// identify loads manifest.json and names the node: the manifest's node, else the
// first line of host/hostname, else folder (whose provenance is folderSource).
// Nothing here fails: a bad file costs a warning and the next source is used.
func (b *Bundle) identify(folder, folderSource string) {
	if !looksLikeBundle(b.FS, ".") {
		b.warnf("holds none of the bundle layout's files or folders (%s, host/, net/, ipvs/...)", ManifestPath)
	}
	if data, err := b.ReadFileLimit(ManifestPath, maxManifestSize); err == nil {
		m, warns, err := ParseManifest(data)
		if err != nil {
			b.warnf("%s: %v; ignored", ManifestPath, err)
		} else {
			b.Manifest = m
			for _, w := range warns {
				b.warnf("%s: %s", ManifestPath, w)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		b.warnf("%s: %v; ignored", ManifestPath, unwrapBundleError(err))
	}

	host := ""
	if data, err := b.ReadFileLimit(HostnamePath, maxHostnameSize); err == nil {
		line := firstLine(data)
		switch {
		case line == "":
			b.warnf("%s is empty", HostnamePath)
		case !plausibleNode(line):
			b.warnf("%s: %q is not a host name; ignored", HostnamePath, shorten(line))
		default:
			host = line
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		b.warnf("%s: %v; ignored", HostnamePath, unwrapBundleError(err))
	}

	if m := b.Manifest; m != nil && m.Node != "" {
		if plausibleNode(m.Node) {
			b.Node, b.NodeSource = m.Node, NodeFromManifest
			if host != "" && !sameHost(host, m.Node) {
				b.warnf("%s names node %q but %s says %q", ManifestPath, m.Node, HostnamePath, host)
			}
			return
		}
		b.warnf("%s: node %q is not a node name; ignored", ManifestPath, shorten(m.Node))
	}
	if host != "" {
		b.Node, b.NodeSource = host, NodeFromHostname
		return
	}
	b.Node, b.NodeSource = folder, folderSource
}

// unwrapBundleError drops the "bundle PATH: file NAME:" prefix where the caller
// already names the file.
func unwrapBundleError(err error) error {
	var be *Error
	if errors.As(err, &be) {
		return be.Err
	}
	return err
}

// firstLine is the first line that is neither blank nor a comment, trimmed; a
// pasted `hostname` output may carry a BOM, CRs or a "# hostname" prompt line.
func firstLine(data []byte) string {
	s := strings.TrimPrefix(string(data), "\ufeff")
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "$ ") {
			continue
		}
		return line
	}
	return ""
}

// plausibleNode accepts what Kubernetes and hostname(1) can produce, loosely:
// one word of printable characters. It rejects error messages and binary junk.
func plausibleNode(s string) bool {
	if s == "" || len(s) > 253 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '/' || r == '\\' {
			return false
		}
	}
	return true
}

// sameHost treats "node-a" and "node-a.example.com" as one host: hostname(1)
// prints whatever the node was configured with, the node name may be either.
func sameHost(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")
}
