// Package collect snapshots one Kubernetes node into a podnetdiag bundle (see
// ../shared/spec/bundle-layout.md): routes, links, IPVS, ethtool features,
// sysctls, firewall rules, the calico-node environment and logs, the Kubernetes
// objects that say where DNS should be, and short packet captures while DNS
// queries are sent.
//
// It exists because the operator who runs it is in a hurry and nervous: it must
// finish within a bounded time whatever hangs, tell what it does, never put a
// secret into the bundle, and still produce a useful bundle when half the sources
// fail. So the work is a list of Tasks (cilium sysdump's pattern) run on a small
// worker pool, each under its own timeout; native kernel readers come first and
// the command they stand for is the fallback; every attempt lands in
// manifest.json, failed or not.
package collect

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/obfuscate"
	"github.com/podnetdiag/podnetdiag/pkg/redact"
	"github.com/podnetdiag/podnetdiag/pkg/safefile"
)

// CollectorName is the manifest's collector.name.
const CollectorName = "podnetdiag-collect"

// Defaults of Options.
const (
	DefaultCaptureSeconds = 15
	DefaultTimeout        = 60 * time.Second
	DefaultItemTimeout    = 10 * time.Second
	DefaultWorkers        = 4
	// MaxCaptureSeconds bounds the capture window: a DNS timeout shows within
	// seconds, and a longer window only fills the disk of a node in trouble.
	MaxCaptureSeconds = 600
)

// Options steer one collection. The zero value collects the local node with the
// defaults above (except CaptureSeconds: 0 means no capture window).
type Options struct {
	// Output is the bundle file; "" gives NODE-YYYYMMDDTHHMMSSZ.tgz in
	// OutputDir (the current folder when that is "" too).
	Output    string
	OutputDir string
	// CaptureSeconds is the length of the capture window; <= 0 skips captures.
	CaptureSeconds int
	// Interfaces to capture on and run ethtool for, instead of the detected
	// uplink(s) and tunnel devices.
	Interfaces []string
	// Obfuscate replaces addresses and host names in every text file and writes
	// the mapping to Output + ".mapping.json" (not into the bundle).
	Obfuscate bool
	// ObfuscateKeyFile is the mapping file of an earlier run whose key (and host
	// names) to reuse, so that the bundles of one cluster map alike.
	ObfuscateKeyFile string
	// Kubeconfig to use first; the usual places are tried after it.
	Kubeconfig string
	// Force replaces an existing output (and mapping) file; only a regular
	// file, never a link or a device.
	Force bool
	// CaptureAt, when set, is when the capture window starts: `collect
	// cluster` passes one instant to every node so that their windows overlap
	// and a packet leaving one node can be matched with its arrival on another.
	// The run's Timeout counts from the start, so it must cover the wait.
	CaptureAt time.Time
	// SkipClusterObjects leaves the cluster-wide Kubernetes objects (nodes,
	// endpoints, pools, ...) out of the bundle: `collect cluster` gathers them
	// once into the run's cluster/ folder instead of once per node.
	SkipClusterObjects bool
	// Hints stand in for what the skipped cluster objects would have told
	// (DNS addresses to probe, peers to look routes up for).
	Hints Hints
	// Timeout bounds the whole run; ItemTimeout each item.
	Timeout     time.Duration
	ItemTimeout time.Duration
	Workers     int

	// Root is where the node's filesystem is (/proc, /etc, /var/log, /var/run):
	// "/" normally, a mount of the host's root when run from a container, a fake
	// tree in tests.
	Root string
	// Netns, when set, is a network namespace file (/run/netns/NAME) in which
	// every native reader, command, capture and probe runs.
	Netns string
	// Path is the command search path; "" means $PATH plus the sbin directories.
	Path string
	// Node names the node; "" means the kernel's host name.
	Node string
	// Native holds the native readers; nil fields fall back to commands. Zero
	// means DefaultNative.
	Native *Native
	// Env reads the environment (KUBECONFIG, in-cluster variables); nil is os.Getenv.
	Env func(string) string
	// UID overrides the effective uid (tests of the non-root path); nil is
	// os.Geteuid().
	UID *int

	// Progress receives one line per item and the capture window's progress bar;
	// nil discards. Terminal: redraw the bar in place with \r.
	Progress io.Writer
	Terminal bool

	Version string
	Now     func() time.Time
}

// Hints are addresses learnt elsewhere (by `collect cluster` from the API) and
// merged with what the node's own files show.
type Hints struct {
	DNSService netip.Addr
	CoreDNS    []netip.Addr
	Peers      []netip.Addr
}

// Result is what a collection produced.
type Result struct {
	Path        string // the bundle written
	Size        int64
	MappingPath string // the obfuscation mapping, when obfuscated
	Manifest    *bundle.Manifest
	Failed      []bundle.Item // items whose last attempt is an error
	Duration    time.Duration
}

type collector struct {
	opts     Options
	native   Native
	files    *store
	progress *progress
	uid      int
	root     bool
	node     string
	start    time.Time
	tmp      string // temporary directory for captures
	ns       netnsHandle
	// learnt during the run
	topo topology
}

// Collect runs one collection and writes the bundle. It fails only when the
// bundle cannot be written (or the options are unusable); every failure of a
// source is recorded in the manifest instead.
func Collect(ctx context.Context, opts Options) (*Result, error) {
	c, err := newCollector(opts)
	if err != nil {
		return nil, err
	}
	defer c.close()
	return c.run(ctx)
}

func newCollector(opts Options) (*collector, error) {
	if opts.CaptureSeconds > MaxCaptureSeconds {
		return nil, fmt.Errorf("capture window of %d s is longer than the %d s allowed", opts.CaptureSeconds, MaxCaptureSeconds)
	}
	if opts.Root == "" {
		opts.Root = "/"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ItemTimeout <= 0 {
		opts.ItemTimeout = DefaultItemTimeout
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Env == nil {
		opts.Env = os.Getenv
	}
	if opts.Path == "" {
		opts.Path = defaultPath(opts.Env("PATH"))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	c := &collector{opts: opts, files: newStore(), start: opts.Now()}
	c.progress = newProgress(opts.Progress, opts.Terminal)
	c.uid = os.Geteuid()
	if opts.UID != nil {
		c.uid = *opts.UID
	}
	c.root = c.uid == 0
	ns, err := openNetns(opts.Netns)
	if err != nil {
		return nil, err
	}
	c.ns = ns
	if opts.Native != nil {
		c.native = *opts.Native
	} else {
		c.native = c.defaultNative()
	}
	return c, nil
}

func (c *collector) close() {
	c.ns.close()
	if c.tmp != "" {
		os.RemoveAll(c.tmp)
	}
}

// defaultPath adds the sbin directories: `sudo` and minimal root shells often
// lack them, and ip, ipvsadm, iptables-save live there.
func defaultPath(env string) string {
	dirs := filepath.SplitList(env)
	have := map[string]bool{}
	for _, d := range dirs {
		have[d] = true
	}
	for _, d := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		if !have[d] {
			dirs = append(dirs, d)
		}
	}
	return strings.Join(dirs, string(filepath.ListSeparator))
}

func (c *collector) run(parent context.Context) (*Result, error) {
	ctx, cancel := context.WithTimeout(parent, c.opts.Timeout)
	defer cancel()

	c.node = c.nodeName()
	stamp := c.start.UTC().Format("20060102T150405Z")

	var obf *obfuscate.Obfuscator
	if c.opts.Obfuscate {
		var err error
		if obf, err = c.obfuscator(); err != nil {
			return nil, err
		}
		obf.AddHostnames(c.node)
	}
	out := c.opts.Output
	if out == "" {
		name := c.node
		if obf != nil {
			name = obf.Hostname(c.node)
		}
		out = filepath.Join(c.opts.OutputDir, safeName(name)+"-"+stamp+".tgz")
	}
	// Fail before collecting if the bundle cannot be written there, or would
	// replace something it must not.
	if err := c.checkOutput(out, obf != nil); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "podnetdiag-collect-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	c.tmp = tmp

	if !c.root {
		c.progress.warn("not running as root (uid %d): firewall rules, IPVS, conntrack, captures and the calico-node environment need root and will be skipped; the bundle will be partial", c.uid)
	}
	c.progress.say("collecting node %s into %s", c.node, out)

	kube := c.kubeSetup()
	c.runTasks(ctx, c.snapshotTasks(kube))
	c.learn()
	c.runTasks(ctx, c.derivedTasks())
	c.window(ctx)

	top := c.node
	if obf != nil {
		top = obf.Hostname(c.node)
	}
	top = safeName(top) + "-" + stamp
	m := &bundle.Manifest{
		Schema:      bundle.SchemaV1,
		Node:        c.node,
		CollectedAt: c.start.UTC(),
		Collector:   bundle.Collector{Name: CollectorName, Version: c.opts.Version},
	}
	c.redactAll()
	var mappingPath string
	if obf != nil {
		mappingPath, err = c.obfuscateAll(obf, m, out)
		if err != nil {
			return nil, err
		}
	}
	m.Items = c.files.sortedItems()
	m.Redactions = c.files.redactions
	size, err := c.write(out, top, m)
	if err != nil {
		return nil, err
	}
	res := &Result{Path: out, Size: size, MappingPath: mappingPath, Manifest: m, Duration: time.Since(c.start)}
	last := map[string]bundle.Item{}
	var order []string
	for _, it := range m.Items {
		if _, ok := last[it.Path]; !ok {
			order = append(order, it.Path)
		}
		last[it.Path] = it
	}
	for _, p := range order {
		if last[p].Status == bundle.StatusError {
			res.Failed = append(res.Failed, last[p])
		}
	}
	return res, nil
}

// nodeName: the option, else the kernel's host name (what `hostname` prints).
func (c *collector) nodeName() string {
	if c.opts.Node != "" {
		return c.opts.Node
	}
	if b, err := os.ReadFile(c.hostPath("/proc/sys/kernel/hostname")); err == nil {
		if s := strings.TrimSpace(string(b)); s != "" {
			return s
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "node"
}

// safeName keeps a node name usable as a file and folder name.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 || s == "." || s == ".." {
		return "node"
	}
	return b.String()
}

// checkOutput refuses an output (or mapping file) that exists, unless Force
// and a regular file, or that is a link, a device or in an unsafe directory,
// and proves the directory writable.
func (c *collector) checkOutput(out string, mapping bool) error {
	if err := safefile.CheckTarget(out, c.opts.Force); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if mapping {
		if err := safefile.CheckTarget(MappingPath(out), c.opts.Force); err != nil {
			return fmt.Errorf("obfuscation mapping: %w", err)
		}
	}
	f, err := safefile.Create(out, c.opts.Force)
	if err != nil {
		return fmt.Errorf("cannot write the bundle: %w", err)
	}
	f.Abort()
	return nil
}

// MappingPath is where the obfuscation mapping of the bundle out goes.
func MappingPath(out string) string { return out + ".mapping.json" }

// write writes the bundle to a temporary file next to out (created
// exclusively, mode 0600), then renames it, so that an interrupted run never
// leaves a truncated bundle under the final name and nothing is written
// through a link planted at out.
func (c *collector) write(out, top string, m *bundle.Manifest) (int64, error) {
	f, err := safefile.Create(out, c.opts.Force)
	if err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	defer f.Abort()
	w := bundle.NewWriter(f, top)
	w.SetModTime(c.start)
	w.SetManifest(m)
	c.files.mu.Lock()
	paths := make([]string, 0, len(c.files.files))
	for p := range c.files.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := w.AddFile(p, c.files.files[p]); err != nil {
			c.files.mu.Unlock()
			return 0, fmt.Errorf("write bundle: %w", err)
		}
	}
	for p, src := range c.files.disk {
		if err := w.AddFromDisk(p, src); err != nil {
			c.files.mu.Unlock()
			return 0, fmt.Errorf("write bundle: %w", err)
		}
	}
	c.files.mu.Unlock()
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	if err := f.Commit(); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	return fi.Size(), nil
}

// redactAll is the last line of defence against secrets: every text file of
// the bundle, whatever wrote it, and the manifest's commands and errors go
// through redact.File, on top of the format-aware redaction of the sources
// known to hold credentials. A value already redacted is not counted twice.
func (c *collector) redactAll() {
	c.files.mu.Lock()
	defer c.files.mu.Unlock()
	for p, data := range c.files.files {
		out, reds := redact.File(p, data)
		c.files.files[p] = out
		c.files.redactions = append(c.files.redactions, reds...)
	}
	for i := range c.files.items {
		it := &c.files.items[i]
		var r1, r2 []bundle.Redaction
		it.Command, r1 = redact.String(bundle.ManifestPath, it.Command)
		it.Error, r2 = redact.String(bundle.ManifestPath, it.Error)
		c.files.redactions = append(append(c.files.redactions, r1...), r2...)
	}
}

// obfuscator builds the Obfuscator: the key of the given mapping file, or a new
// random one.
func (c *collector) obfuscator() (*obfuscate.Obfuscator, error) {
	if c.opts.ObfuscateKeyFile != "" {
		b, err := os.ReadFile(c.opts.ObfuscateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--obfuscate-key: %w", err)
		}
		o, err := obfuscate.LoadMapping(b)
		if err != nil {
			return nil, fmt.Errorf("--obfuscate-key %s: %w", c.opts.ObfuscateKeyFile, err)
		}
		return o, nil
	}
	k, err := obfuscate.NewKey()
	if err != nil {
		return nil, err
	}
	return obfuscate.New(k), nil
}

// obfuscateAll rewrites every collected text file, the manifest's texts and the
// node name; captures are left out of the bundle (obfuscation covers text only)
// with an item saying so. It writes the mapping next to the bundle.
func (c *collector) obfuscateAll(obf *obfuscate.Obfuscator, m *bundle.Manifest, out string) (string, error) {
	files := c.files.files
	files[bundle.ManifestPath] = []byte(`{"node":` + quoteJSON(c.node) + `}`)
	obf.AddHostnames(c.node)
	dropped := obf.Files(files)
	delete(files, bundle.ManifestPath)
	sort.Strings(dropped)
	for _, p := range dropped {
		c.files.record(bundle.Item{
			Path: p, Source: bundle.SourceCapture, Status: bundle.StatusSkipped,
			Error: "left out: --obfuscate rewrites text files and pcap captures only, and this file may hold the real addresses",
		}, nil)
	}
	c.obfuscateCaptures(obf)
	for i := range c.files.items {
		it := &c.files.items[i]
		it.Error = string(obf.Text([]byte(it.Error)))
		it.Command = string(obf.Text([]byte(it.Command)))
	}
	for i := range c.files.redactions {
		r := &c.files.redactions[i]
		r.Key = string(obf.Text([]byte(r.Key)))
	}
	m.Node = obf.Hostname(c.node)
	c.node = m.Node
	mp := MappingPath(out)
	b, err := obf.Mapping().Marshal()
	if err != nil {
		return "", err
	}
	if err := safefile.WriteFile(mp, b, c.opts.Force); err != nil {
		return "", fmt.Errorf("write obfuscation mapping: %w", err)
	}
	c.files.record(bundle.Item{
		Path: "obfuscation", Source: bundle.SourceFile, Status: bundle.StatusOK,
		Command: "addresses and host names replaced in every text file (prefix-preserving; mapping kept outside the bundle)",
	}, nil)
	return mp, nil
}

// obfuscateCaptures rewrites the addresses of every capture with the mapping
// of the text files (checksums kept as valid as they were); a capture that
// cannot be rewritten is left out, with the reason, never shipped as it is.
func (c *collector) obfuscateCaptures(obf *obfuscate.Obfuscator) {
	paths := make([]string, 0, len(c.files.disk))
	for p := range c.files.disk {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		src := c.files.disk[p]
		out, err := obfuscatePcap(obf, src, c.topo.VXLANPorts)
		if err != nil {
			delete(c.files.disk, p)
			c.files.record(bundle.Item{
				Path: p, Source: bundle.SourceCapture, Status: bundle.StatusSkipped,
				Error: fmt.Sprintf("left out: --obfuscate could not rewrite its addresses (%v)", err),
			}, nil)
			continue
		}
		c.files.disk[p] = out
		os.Remove(src)
	}
}

func obfuscatePcap(obf *obfuscate.Obfuscator, src string, vxlanPorts []int) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := safefile.CreateIn(filepath.Dir(src), "obfuscated-"+filepath.Base(src))
	if err != nil {
		return "", err
	}
	_, err = obf.Pcap(out, bufio.NewReaderSize(in, 256<<10), vxlanPorts)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
