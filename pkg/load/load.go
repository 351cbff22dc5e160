// Package load runs every parser over one node's bundle, once. What it returns is
// the typed content of each file the layout knows, with the diagnostics of each,
// and the raw text kept for evidence: `analyze inspect` prints it, the facts
// builder reads it. Nothing downstream reads the bundle again.
package load

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/bird"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/bridgefdb"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/calico"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/calicolog"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/conntrack"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/corefile"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/dnslog"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/envfile"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ethtool"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iplink"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipneigh"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iproute"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipset"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iptables"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipvsadm"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kernlog"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kubelet"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/nft"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/procnet"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/resolvconf"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/sysctl"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/uname"
)

// File is what became of one file of the bundle.
type File struct {
	Path    string            `json:"path"`
	Kind    string            `json:"kind"` // the command it holds, e.g. "ip route"
	Size    int64             `json:"size"`
	Summary string            `json:"summary,omitempty"`
	Diags   []diag.Diagnostic `json:"diagnostics,omitempty"`
	// Parsed is false for files that are listed but not parsed (files the
	// layout does not know).
	Parsed bool `json:"parsed"`
	// NotKnown says why the file's content counts as not collected (it is
	// not its command's output, it is empty with no record of the command
	// succeeding, it could not be read); "" when it was read as what it is.
	NotKnown string `json:"notKnown,omitempty"`
}

// Counters holds the counter files read just before or after the capture window.
type Counters struct {
	IPVSStats *ipvsadm.Result
	IPTables  *iptables.Result
	Ethtool   map[string]*ethtool.StatsResult
	SNMP      *procnet.Result
	Netstat   *procnet.Result
	Conntrack *conntrack.Result
	// ProcConntrack is /proc/net/stat/nf_conntrack, where conntrack -S was not run.
	ProcConntrack *conntrack.Result
}

// Node is one bundle, parsed. A nil field means the file was absent (or could
// not be read: see Files for why); a parsed-but-empty file is a non-nil value.
type Node struct {
	Name   string
	Bundle *bundle.Bundle
	Files  []File

	IPVS      *ipvsadm.Result
	IPVSStats *ipvsadm.Result

	Addr      *iplink.Result
	Link      *iplink.Result
	Routes    *iproute.Result
	RoutesAll *iproute.Result
	RouteGet  *iproute.RouteGetResult
	Rules     *iproute.RuleResult
	Neigh     *ipneigh.Result
	FDB       *bridgefdb.Result
	IPTables  *iptables.Result
	NFT       *nft.Result
	IPSet     *ipset.Result
	Conntrack *conntrack.Result
	Ethtool   map[string]*ethtool.FeaturesResult // by interface name
	Sysctl    *sysctl.Result
	Uname     *uname.Result
	OSRelease *envfile.Result
	Resolv    *resolvconf.Result
	CalicoEnv *envfile.Result
	DaemonSet *calico.DaemonSet
	Pools     *calico.IPPools
	Felix     *calico.FelixConfigs
	Bird      *bird.Result
	CalicoLog *calicolog.Result
	KubeNodes *kube.Nodes
	Endpoints *kube.EndpointsList
	Pods      *kube.Pods
	KubeProxy *kube.ProxyConfig
	// DNSService is kube/dns-service.json (or the legacy kube-dns-service.json).
	DNSService *kube.Services
	// DNSServicePath is the file DNSService came from.
	DNSServicePath string
	Kubelet        *kubelet.Config
	// The files of the causes beyond the runbook's path.
	Dmesg *kernlog.Result
	// ProcConntrack is /proc/net/stat/nf_conntrack, read where conntrack -S was not.
	ProcConntrack  *conntrack.Result
	Corefile       *corefile.Result
	NetPols        *kube.NetworkPolicies
	Namespaces     *kube.Namespaces
	CalicoPolicies *calico.Policies
	CalicoGlobal   *calico.Policies
	CorednsLog     *dnslog.Result
	NodeLocalLog   *dnslog.Result
	Before         Counters
	After          Counters
	Pcaps          []string                    // pcap/*.pcap and *.pcapng paths
	Captures       map[string]*capture.Summary // by path; none for a capture that cannot be opened
	raw            map[string][]byte
	lineStarts     map[string][]int
	unreadable     map[string]error

	// packed holds the node's own files (not the cluster-level ones, kept
	// once for the run) compressed, once its facts are built (Pack): refs
	// quote a line only when a finding cites it, long after the bundle's
	// files are gone. mu guards it, raw and lineStarts once packed, and the
	// one file unpacked last (cached: a finding cites lines of a file).
	// sh is the run's shared parses and strings (nil for Load alone).
	sh *shared
	// pk packs the node's text where there is no sh.
	pk packer
	// src is the node as its refs' source of text (Cite).
	src *facts.Source

	mu                sync.Mutex
	cited             map[string]*facts.Loc // files a ref quotes a line of (Cite)
	packed            map[string][]byte
	unpackedPath      string
	unpacked          []byte
	unpackedLineStart []int
}

// parseFunc is the shape every parser has.
type parseFunc[T any] func([]byte) (T, []diag.Diagnostic)

// summarizer is what every parser result offers.
type summarizer interface{ Summary() string }

// Load parses every known file of b. It fails only when b cannot be listed at
// all; a file that cannot be read is recorded in Files with an error diagnostic.
func Load(b *bundle.Bundle) (*Node, error) {
	return load(b, nil)
}

// load is Load with the cluster-level files looked up in shared first (nil:
// parse every file).
func load(b *bundle.Bundle, sh *shared) (*Node, error) {
	n := &Node{Name: b.Node, Bundle: b, sh: sh, raw: map[string][]byte{}, lineStarts: map[string][]int{}, unreadable: map[string]error{}, Ethtool: map[string]*ethtool.FeaturesResult{}, Captures: map[string]*capture.Summary{}}
	known := map[string]bool{}
	one := func(p, kind string, bd binding) {
		known[p] = true
		if !b.Exists(p) {
			return
		}
		data, err := b.ReadFileLimit(p, LimitFor(p))
		if err != nil {
			n.unreadable[p] = err
			n.Files = append(n.Files, File{Path: p, Kind: kind, NotKnown: "unreadable: " + err.Error(), Diags: []diag.Diagnostic{{Severity: diag.Error, File: p, Msg: err.Error()}}})
			return
		}
		var res summarizer
		var ds []diag.Diagnostic
		var why string
		if e := sh.lookup(p, data, bd); e != nil {
			// The same bytes another bundle of the run holds: its parse is
			// this node's too, and its bytes are kept once. Evidence still
			// names this node's file (refs carry the node).
			data, res, ds = e.data, e.res, e.ds
			bd.set(res)
			why = e.notKnown(b.Manifest, p)
		} else {
			res, ds = safeParse(p, data, bd.parse)
			ds = diag.Cap(ds)
			why = notKnown(data, ds, b.Manifest, p, !structured[p])
		}
		n.raw[p] = data
		f := File{Path: p, Kind: kind, Size: int64(len(data)), Diags: diag.WithFile(ds, p), Parsed: true}
		if res != nil {
			f.Summary = res.Summary()
		}
		if item, ok := b.Manifest.Lookup(p); ok && item.Partial && why == "" {
			// Kept, but cut short (a cap, a timeout): never silently complete.
			f.Diags = append(f.Diags, diag.Diagnostic{Severity: diag.Warning, File: p,
				Msg: fmt.Sprintf("partial: manifest.json records it cut short (%s); what is missing is not known", item.Error)})
		}
		if why != "" {
			// What was parsed out of it is dropped, so that every fact and
			// rule built on this file sees "not collected", never "empty".
			bd.forget()
			f.NotKnown = why
			f.Diags = append(f.Diags, diag.Diagnostic{Severity: diag.Error, File: p,
				Msg: fmt.Sprintf("not known: %s (%s); checks that need it are not made", why, kind)})
		}
		n.Files = append(n.Files, f)
	}

	one(bundle.IPVSPath, "ipvsadm -Ln", bind(ipvsadm.Parse, &n.IPVS))
	one(bundle.IPVSStatsPath, "ipvsadm -Ln --stats", bind(ipvsadm.Parse, &n.IPVSStats))
	one(bundle.IPAddrPath, "ip addr", bind(iplink.Parse, &n.Addr))
	one(bundle.IPLinkPath, "ip -d link", bind(iplink.Parse, &n.Link))
	one(bundle.IPRoutePath, "ip route", bind(iproute.Parse, &n.Routes))
	one(bundle.IPRouteAllPath, "ip route show table all", bind(iproute.Parse, &n.RoutesAll))
	one(bundle.RouteGetPath, "ip route get", bind(iproute.ParseRouteGet, &n.RouteGet))
	one(bundle.IPRulePath, "ip rule", bind(iproute.ParseRules, &n.Rules))
	one(bundle.IPNeighPath, "ip neigh", bind(ipneigh.Parse, &n.Neigh))
	one(bundle.BridgeFDBPath, "bridge fdb", bind(bridgefdb.Parse, &n.FDB))
	one(bundle.IPTablesSavePath, "iptables-save -c", bind(iptables.Parse, &n.IPTables))
	one(bundle.NFTRulesetPath, "nft list ruleset", bind(nft.Parse, &n.NFT))
	one(bundle.IPSetListPath, "ipset list", bind(ipset.Parse, &n.IPSet))
	one(bundle.ConntrackStats, "conntrack -S", bind(conntrack.Parse, &n.Conntrack))
	one(bundle.SysctlPath, "sysctl -a", bind(sysctl.Parse, &n.Sysctl))
	one(bundle.UnamePath, "uname -a", bind(uname.Parse, &n.Uname))
	one(bundle.OSReleasePath, "os-release", bind(envfile.Parse, &n.OSRelease))
	one(bundle.ResolvConfPath, "resolv.conf", bind(resolvconf.Parse, &n.Resolv))
	one(bundle.CalicoEnvPath, "calico-node env", bind(envfile.Parse, &n.CalicoEnv))
	one(bundle.CalicoDaemonSetPath, "calico-node DaemonSet", bind(calico.ParseDaemonSet, &n.DaemonSet))
	one(bundle.CalicoIPPoolsPath, "IP pools", bind(calico.ParseIPPools, &n.Pools))
	one(bundle.CalicoFelixPath, "FelixConfiguration", bind(calico.ParseFelixConfig, &n.Felix))
	one(bundle.BirdProtocolsPath, "birdcl show protocols", bind(bird.Parse, &n.Bird))
	one(bundle.CalicoNodeLogPath, "calico-node log", bind(calicolog.Parse, &n.CalicoLog))
	one(bundle.KubeNodesPath, "kubectl get nodes", bind(kube.ParseNodes, &n.KubeNodes))
	one(bundle.KubeDNSEndpointsPath, "kube-dns endpoints", bind(kube.ParseEndpoints, &n.Endpoints))
	one(bundle.KubeCoreDNSPodsPath, "CoreDNS pods", bind(kube.ParsePods, &n.Pods))
	one(bundle.KubeProxyConfigPath, "kube-proxy ConfigMap", bind(kube.ParseKubeProxyConfig, &n.KubeProxy))
	one(bundle.DmesgPath, "kernel log", bind(kernlog.Parse, &n.Dmesg))
	one(bundle.ProcConntrackStatPath, "/proc/net/stat/nf_conntrack", bind(conntrack.Parse, &n.ProcConntrack))
	one(bundle.CorednsConfigMapPath, "CoreDNS Corefile", bind(corefile.Parse, &n.Corefile))
	one(bundle.NetworkPoliciesPath, "kubectl get networkpolicies", bind(kube.ParseNetworkPolicies, &n.NetPols))
	one(bundle.NamespacesPath, "kubectl get namespaces", bind(kube.ParseNamespaces, &n.Namespaces))
	one(bundle.CalicoPoliciesPath, "Calico NetworkPolicies", bind(calico.ParsePolicies, &n.CalicoPolicies))
	one(bundle.CalicoGlobalPolicies, "Calico GlobalNetworkPolicies", bind(calico.ParsePolicies, &n.CalicoGlobal))
	one(bundle.CorednsLogPath, "CoreDNS log", bind(dnslog.Parse, &n.CorednsLog))
	one(bundle.NodeLocalDNSLogPath, "NodeLocal DNSCache log", bind(dnslog.Parse, &n.NodeLocalLog))
	one(bundle.KubeletConfigPath, "kubelet config", bind(kubelet.Parse, &n.Kubelet))
	for _, p := range []string{bundle.KubeDNSServicePath, bundle.KubeDNSServiceLegacyPath} {
		if n.DNSService == nil {
			one(p, "DNS Service", bind(kube.ParseServices, &n.DNSService))
			if n.DNSService != nil {
				n.DNSServicePath = p
			}
		}
	}

	ethFiles, err := b.Glob(bundle.EthtoolDir + "/*.txt")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", b.Path, err)
	}
	for _, p := range ethFiles {
		iface := strings.TrimSuffix(path.Base(p), ".txt")
		one(p, "ethtool -k", binding{
			parse: func(data []byte) (summarizer, []diag.Diagnostic) {
				r, ds := ethtool.ParseFeatures(data)
				n.Ethtool[iface] = r
				return r, ds
			},
			forget: func() { delete(n.Ethtool, iface) },
		})
	}
	for _, c := range []struct {
		dir string
		dst *Counters
	}{{bundle.CountersBeforeDir, &n.Before}, {bundle.CountersAfterDir, &n.After}} {
		dst := c.dst
		dst.Ethtool = map[string]*ethtool.StatsResult{}
		one(c.dir+"/ipvsadm-Ln-stats.txt", "ipvsadm -Ln --stats", bind(ipvsadm.Parse, &dst.IPVSStats))
		one(c.dir+"/iptables-save.txt", "iptables-save -c", bind(iptables.Parse, &dst.IPTables))
		one(c.dir+"/proc-net-snmp", "/proc/net/snmp", bind(procnet.Parse, &dst.SNMP))
		one(c.dir+"/proc-net-netstat", "/proc/net/netstat", bind(procnet.Parse, &dst.Netstat))
		one(c.dir+"/conntrack-stats.txt", "conntrack -S", bind(conntrack.Parse, &dst.Conntrack))
		one(c.dir+"/proc-net-stat-nf_conntrack", "/proc/net/stat/nf_conntrack", bind(conntrack.Parse, &dst.ProcConntrack))
		files, err := b.Glob(c.dir + "/ethtool-S-*.txt")
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", b.Path, err)
		}
		for _, p := range files {
			iface := strings.TrimSuffix(strings.TrimPrefix(path.Base(p), "ethtool-S-"), ".txt")
			one(p, "ethtool -S", binding{
				parse: func(data []byte) (summarizer, []diag.Diagnostic) {
					r, ds := ethtool.ParseStats(data)
					dst.Ethtool[iface] = r
					return r, ds
				},
				forget: func() { delete(dst.Ethtool, iface) },
			})
		}
	}

	// Everything else is listed, so that inspect shows the whole bundle.
	err = fs.WalkDir(b.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable folder: the files we need are reported missing
		}
		if d.IsDir() || known[p] || !d.Type().IsRegular() {
			return nil
		}
		var size int64
		if info, err := d.Info(); err == nil {
			size = info.Size()
		}
		f := File{Path: p, Size: size}
		switch {
		case p == bundle.ManifestPath:
			f.Kind = "manifest"
			if b.Manifest != nil {
				f.Summary = manifestSummary(b.Manifest)
			}
		case strings.HasPrefix(p, bundle.PcapDir+"/") && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")):
			f.Kind = "capture"
			n.Pcaps = append(n.Pcaps, p)
			f.Summary, f.Diags = n.summarizeCapture(p)
			f.Parsed = true
		case strings.HasPrefix(p, bundle.PcapDir+"/") && strings.HasSuffix(p, ".json"):
			f.Kind = "capture metadata"
		case p == bundle.DNSProbePath:
			f.Kind = "DNS probe results"
		case p == bundle.HostnamePath:
			f.Kind = "hostname"
		default:
			f.Kind = "not used by the analyzer"
		}
		n.Files = append(n.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", b.Path, err)
	}
	sort.Slice(n.Files, func(i, j int) bool { return n.Files[i].Path < n.Files[j].Path })
	sort.Strings(n.Pcaps)
	return n, nil
}

// summarizeCapture streams one capture through the summariser: a capture may
// be gigabytes, so it is never read whole.
func (n *Node) summarizeCapture(p string) (string, []diag.Diagnostic) {
	f, err := n.Bundle.Open(p)
	if err != nil {
		return "", []diag.Diagnostic{{Severity: diag.Error, File: p, Msg: err.Error()}}
	}
	defer f.Close()
	s, ds := capture.Summarize(f, capture.Options{})
	n.Captures[p] = s
	return s.Summary(), diag.WithFile(ds, p)
}

// binding is a parser wired to where its result goes, and how to take that
// result back when the file turns out not to be what it claims.
type binding struct {
	parse  func([]byte) (summarizer, []diag.Diagnostic)
	forget func()
	// set stores a result parsed for another bundle (nil: the file's
	// results are never shared).
	set func(summarizer)
}

// bind adapts a parser to the loader: it stores the typed result in dst.
func bind[T summarizer](parse parseFunc[T], dst *T) binding {
	return binding{
		parse: func(data []byte) (summarizer, []diag.Diagnostic) {
			r, ds := parse(data)
			*dst = r
			return r, ds
		},
		forget: func() {
			var zero T
			*dst = zero
		},
		set: func(r summarizer) {
			v, _ := r.(T)
			*dst = v
		},
	}
}

// safeParse turns a parser panic into an error diagnostic: parsers are fuzzed not
// to panic, but one bad file must never take the analysis of a ticket down.
func safeParse(p string, data []byte, run func([]byte) (summarizer, []diag.Diagnostic)) (res summarizer, ds []diag.Diagnostic) {
	defer func() {
		if r := recover(); r != nil {
			res = nil
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, File: p, Msg: fmt.Sprintf("parser failed: %v", r)})
		}
	}()
	return run(data)
}

func manifestSummary(m *bundle.Manifest) string {
	failed := 0
	for _, it := range m.Items {
		if it.Status != bundle.StatusOK {
			failed++
		}
	}
	return fmt.Sprintf("%d items, %d not ok, collected %s by %s %s", len(m.Items), failed, m.CollectedAt, m.Collector.Name, m.Collector.Version)
}

// Cite records that a ref quotes a line of p (so that its text is kept) and
// returns the file as refs locate it: one Loc per file, whose lines the
// node quotes.
func (n *Node) Cite(p string) *facts.Loc {
	n.mu.Lock()
	defer n.mu.Unlock()
	l, ok := n.cited[p]
	if !ok {
		if n.cited == nil {
			n.cited = map[string]*facts.Loc{}
		}
		if n.src == nil {
			n.src = &facts.Source{LineSource: n}
		}
		// One Loc per file, shared by every ref into it.
		l = facts.NewLoc(n.Name, p, n.src)
		n.cited[p] = l
	}
	return l
}

// AddrString is a.String(), the same string for the same address across
// the run's nodes (a fleet's facts name each Service and pod IP once a node).
func (n *Node) AddrString(a netip.Addr) string {
	if n.sh == nil {
		return a.String()
	}
	return n.sh.addrString(a)
}

// Intern is s, the same string across the run's nodes and never a slice of
// a parse's text (a fact holding one would keep the whole file alive). For
// the vocabulary facts repeat (device names, protocols, states, sysctl values,
// BGP peer names), not for one-off text (a sysctl key names its interface).
func (n *Node) Intern(s string) string {
	if n.sh == nil {
		return strings.Clone(s)
	}
	return n.sh.intern(s)
}

// IPVSReals is rs or an equal list another node of the run gave first (see
// shared.ipvsReals): read only. rs itself is not kept.
func (n *Node) IPVSReals(rs []facts.IPVSEntryReal) []facts.IPVSEntryReal {
	if n.sh == nil {
		return slices.Clone(rs)
	}
	return n.sh.ipvsReals(rs)
}

// PrefixString is p.String(), the same string across the run's nodes.
func (n *Node) PrefixString(p netip.Prefix) string {
	if n.sh == nil {
		return p.String()
	}
	return n.sh.prefixString(p)
}

// LineText is Line: it makes *Node the facts.LineSource of its refs.
func (n *Node) LineText(p string, line int) string { return n.Line(p, line) }

// Line returns the text of line n (1-based) of a file that was parsed, or "".
// Evidence quotes it.
func (n *Node) Line(p string, line int) string {
	if line < 1 {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	data, ok := n.raw[p]
	var starts []int
	switch {
	case ok:
		starts, ok = n.lineStarts[p]
		if !ok {
			starts = lineStarts(data)
			n.lineStarts[p] = starts
		}
	case n.packed[p] != nil:
		if n.unpackedPath != p {
			d, err := n.packer().unpack(n.packed[p])
			if err != nil {
				return "" // our own encoding: cannot happen
			}
			n.unpackedPath, n.unpacked, n.unpackedLineStart = p, d, lineStarts(d)
		}
		data, starts = n.unpacked, n.unpackedLineStart
	default:
		return ""
	}
	return quoteLine(data, starts, line)
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// quoteLine is line (1-based) of data, whose lines start at starts.
func quoteLine(data []byte, starts []int, line int) string {
	if line > len(starts) {
		return ""
	}
	text := data[starts[line-1]:]
	if j := bytes.IndexByte(text, '\n'); j >= 0 {
		text = text[:j]
	}
	text = bytes.TrimRight(text, " \t\r")
	if len(text) > MaxLineText {
		// A line of JSON may be a whole list (kubectl -o json | jq -c,
		// or a collector writing compact JSON): quoting it whole in every
		// ref to it made each of a fleet's N Node objects carry all N.
		cut := MaxLineText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		return string(text[:cut]) + "…"
	}
	return string(text)
}

// MaxLineText is how much of a line Line quotes; longer lines end in "…".
const MaxLineText = 512

// Diagnostics returns every diagnostic of the node's files, sorted.
func (n *Node) Diagnostics() []diag.Diagnostic {
	var out []diag.Diagnostic
	for _, f := range n.Files {
		out = append(out, f.Diags...)
	}
	diag.Sort(out)
	return out
}

// LoadAll opens and parses every bundle path (a txtar may hold several nodes).
// Each bundle is closed (its extracted files removed) once parsed: nothing
// reads it afterwards. The caller still calls CloseAll (harmless).
//
// Bundles are extracted and parsed by up to GOMAXPROCS goroutines at once
// (each holds one bundle's files in flight, never all of them), and the
// cluster-level files every bundle of a fleet carries alike (kube/nodes.json
// lists every node, on every node) are parsed once per distinct content, not
// once per bundle. The nodes come back in the order of the bundles, each
// node's content the same whatever the timing.
func LoadAll(paths []string, opts bundle.Options) ([]*Node, error) {
	return LoadAllFunc(paths, opts, nil)
}

// LoadAllFunc is LoadAll with after (if not nil) called on each node as soon
// as it is parsed, by the goroutine that parsed it (so concurrently), to
// condense it while other bundles are still being parsed.
func LoadAllFunc(paths []string, opts bundle.Options, after func(*Node)) ([]*Node, error) {
	sh := newShared()
	var mu sync.Mutex
	loaded := map[*bundle.Bundle]*Node{}
	bs, err := bundle.OpenAllFunc(paths, opts, runtime.GOMAXPROCS(0), func(bs []*bundle.Bundle) error {
		for _, b := range bs {
			n, err := load(b, sh)
			if err != nil {
				return err
			}
			if after != nil {
				after(n)
			}
			// Everything the analysis reads of the bundle is in n now
			// (evidence text included): its extracted folder goes, and
			// with it its share of the run's extraction limit, so that a
			// fleet larger than the limit opens bundle after bundle.
			if err := b.Close(); err != nil {
				return fmt.Errorf("load %s: %w", b.Path, err)
			}
			mu.Lock()
			loaded[b] = n
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	nodes := make([]*Node, 0, len(bs))
	for _, b := range bs {
		nodes = append(nodes, loaded[b])
	}
	return nodes, nil
}

// ShedNodeOnly lets go of what only the node's own facts are built from
// (assemble.NodeFacts), or nothing at all: the IPVS table and its statistics
// (read before, during and after the capture), the links and addresses, the
// routes (of every table, and as `ip route get` answered), BGP sessions,
// ipsets, sysctls, ethtool's features, the iptables-save runs before and
// after the capture window, the
// bulk of a node's bundle (kube-ipvs0 holds every Service IP, IPVS every
// Service and endpoint); the text of these files too, but for those a ref
// cites (Cite), and the rest of the node's own text is packed (Pack). What
// remains is what the cluster-wide inference reads. Call it once those facts
// are built; a shed field is emptied, not nil, so that "the file was there"
// still holds.
func (n *Node) ShedNodeOnly() {
	n.mu.Lock()
	for _, p := range []string{bundle.IPVSPath, bundle.IPVSStatsPath, bundle.IPAddrPath, bundle.IPLinkPath, bundle.IPRoutePath, bundle.IPRouteAllPath,
		bundle.RouteGetPath, bundle.BirdProtocolsPath, bundle.IPSetListPath, bundle.SysctlPath,
		bundle.CountersBeforeDir + "/ipvsadm-Ln-stats.txt", bundle.CountersAfterDir + "/ipvsadm-Ln-stats.txt",
		bundle.CountersBeforeDir + "/iptables-save.txt", bundle.CountersAfterDir + "/iptables-save.txt"} {
		// No ref can cite these files any more (their parses go below):
		// the text of those no ref cites (the IPVS statistics, most of the
		// bytes) goes too.
		if _, ok := n.cited[p]; !ok {
			delete(n.raw, p)
			delete(n.lineStarts, p)
		}
	}
	n.mu.Unlock()
	n.Pack()
	for _, r := range []**ipvsadm.Result{&n.IPVS, &n.IPVSStats, &n.Before.IPVSStats, &n.After.IPVSStats} {
		if *r != nil {
			*r = &ipvsadm.Result{}
		}
	}
	for _, r := range []**iplink.Result{&n.Addr, &n.Link} {
		if *r != nil {
			*r = &iplink.Result{}
		}
	}
	for _, r := range []**iproute.Result{&n.Routes, &n.RoutesAll} {
		if *r != nil {
			*r = &iproute.Result{}
		}
	}
	if n.RouteGet != nil {
		n.RouteGet = &iproute.RouteGetResult{}
	}
	if n.Bird != nil {
		n.Bird = &bird.Result{}
	}
	if n.IPSet != nil {
		n.IPSet = &ipset.Result{}
	}
	if n.Sysctl != nil {
		n.Sysctl = &sysctl.Result{}
	}
	if len(n.Ethtool) > 0 {
		n.Ethtool = map[string]*ethtool.FeaturesResult{}
	}
	for _, r := range []**iptables.Result{&n.Before.IPTables, &n.After.IPTables} {
		if *r != nil {
			*r = &iptables.Result{}
		}
	}
	// The counters of the capture window, the kernel log and conntrack's
	// totals are the node's own facts too.
	for _, c := range []*Counters{&n.Before, &n.After} {
		for _, r := range []**conntrack.Result{&c.Conntrack, &c.ProcConntrack} {
			if *r != nil {
				*r = &conntrack.Result{}
			}
		}
		for _, r := range []**procnet.Result{&c.SNMP, &c.Netstat} {
			if *r != nil {
				*r = &procnet.Result{}
			}
		}
		if len(c.Ethtool) > 0 {
			c.Ethtool = map[string]*ethtool.StatsResult{}
		}
	}
	for _, r := range []**conntrack.Result{&n.Conntrack, &n.ProcConntrack} {
		if *r != nil {
			*r = &conntrack.Result{}
		}
	}
	if n.Dmesg != nil {
		n.Dmesg = &kernlog.Result{}
	}
}

// DropParses lets go of every parse result of the node, keeping its name,
// bundle, files and the text its refs quote: once the model is built,
// nothing else of it is read, and a fleet's parses (iptables rules, sysctls,
// capture summaries, ...) would otherwise stay live while the rules run.
func (n *Node) DropParses() {
	keep := map[string]bool{"Name": true, "Bundle": true, "Files": true}
	v := reflect.ValueOf(n).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && !keep[f.Name] {
			v.Field(i).SetZero()
		}
	}
}

// Pack compresses the text of the node's own files (the cluster-level ones
// are held once for the whole run, uncompressed), kept only so that evidence
// can quote a line a finding cites: a node's files are megabytes of text
// (IPVS, routes, rules), a report quotes a few lines of them.
func (n *Node) Pack() {
	n.mu.Lock()
	defer n.mu.Unlock()
	pk := n.packer()
	for p, data := range n.raw {
		if sharedPaths[p] {
			continue
		}
		b, ok := pk.pack(data)
		if !ok {
			return // the text stays unpacked: quoted all the same
		}
		if n.packed == nil {
			n.packed = map[string][]byte{}
		}
		n.packed[p] = b
		delete(n.raw, p)
		delete(n.lineStarts, p)
	}
}

// packer is the run's, or the node's own when loaded alone.
func (n *Node) packer() *packer {
	if n.sh != nil {
		return &n.sh.pk
	}
	return &n.pk
}

// ClusterScope reports whether n is the cluster/ folder of `collect cluster`:
// the cluster-wide objects, read once, and no node's state.
func (n *Node) ClusterScope() bool {
	return n.Bundle != nil && n.Bundle.Manifest != nil && n.Bundle.Manifest.Scope == bundle.ScopeCluster
}

// CloseAll closes the bundles behind nodes and returns the first error.
func CloseAll(nodes []*Node) error {
	var errs []error
	for _, n := range nodes {
		if err := n.Bundle.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
