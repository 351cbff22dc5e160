package load

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"strings"
	"sync"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// sharedPaths are the cluster-level files: the same objects read from the
// API server by every node's collector, so that a fleet's bundles carry the
// same bytes N times (kube/nodes.json holds all N nodes, on each of N nodes).
// Node-level files (routes, IPVS, ...) differ per node and are not looked up.
var sharedPaths = map[string]bool{
	bundle.KubeNodesPath:            true,
	bundle.KubeDNSEndpointsPath:     true,
	bundle.KubeCoreDNSPodsPath:      true,
	bundle.KubeProxyConfigPath:      true,
	bundle.KubeDNSServicePath:       true,
	bundle.KubeDNSServiceLegacyPath: true,
	bundle.CorednsConfigMapPath:     true,
	bundle.NetworkPoliciesPath:      true,
	bundle.NamespacesPath:           true,
	bundle.CalicoDaemonSetPath:      true,
	bundle.CalicoIPPoolsPath:        true,
	bundle.CalicoFelixPath:          true,
	bundle.CalicoPoliciesPath:       true,
	bundle.CalicoGlobalPolicies:     true,
}

// shared holds the parses of the cluster-level files of one LoadAll, by path
// and SHA-256 of the content. Parsers are pure functions of the bytes, and
// what they return is only read afterwards, so one result serves every
// bundle holding the same bytes at the same path.
type shared struct {
	mu sync.Mutex
	m  map[sharedKey]*sharedParse

	strMu    sync.Mutex
	addrs    map[netip.Addr]string
	prefixes map[netip.Prefix]string
	strs     map[string]string

	pk packer

	realsMu sync.Mutex
	reals   map[string][]facts.IPVSEntryReal
	realsKb []byte
}

type sharedKey struct {
	path string
	sum  [sha256.Size]byte
}

// sharedParse is one distinct file content, parsed once (by whichever bundle
// came first: the result does not depend on which).
type sharedParse struct {
	once sync.Once
	data []byte
	res  summarizer
	ds   []diag.Diagnostic

	mu sync.Mutex
	// why memoises notKnown by the manifest's record of the file, which is
	// per bundle: the scan of the content for lines is not redone.
	why map[manifestRecord]string
}

// manifestRecord is what notKnown reads of a bundle's manifest for one file.
type manifestRecord struct {
	recorded, partial bool
	status, err       string
}

func newShared() *shared {
	return &shared{m: map[sharedKey]*sharedParse{}, addrs: map[netip.Addr]string{}, prefixes: map[netip.Prefix]string{}, strs: map[string]string{}, reals: map[string][]facts.IPVSEntryReal{}}
}

// addrString is a.String(), one string per address for the whole run: a
// fleet's nodes name the same Service IPs, pod IPs and node addresses
// thousands of times each (IPVS, kube-ipvs0, routes).
func (sh *shared) addrString(a netip.Addr) string {
	sh.strMu.Lock()
	defer sh.strMu.Unlock()
	s, ok := sh.addrs[a]
	if !ok {
		s = a.String()
		sh.addrs[a] = s
	}
	return s
}

// prefixString is p.String(), one string per prefix for the whole run.
func (sh *shared) prefixString(p netip.Prefix) string {
	sh.strMu.Lock()
	defer sh.strMu.Unlock()
	s, ok := sh.prefixes[p]
	if !ok {
		s = p.String()
		sh.prefixes[p] = s
	}
	return s
}

// intern is s, one copy for the whole run, never a slice of a parse's text:
// a parser's strings share its input, so a fact holding one ("tunl0",
// "bird", a sysctl value) would keep the whole file alive past its parse.
func (sh *shared) intern(s string) string {
	sh.strMu.Lock()
	defer sh.strMu.Unlock()
	c, ok := sh.strs[s]
	if !ok {
		c = strings.Clone(s)
		sh.strs[c] = c
	}
	return c
}

// ipvsReals is rs, or an equal list already seen in the run. kube-proxy
// programs every Service on every node: a fleet's nodes list the same real
// servers for most virtual services (same addresses, weights, counters and
// lines), thousands of lists per node. The list returned is shared: read only.
func (sh *shared) ipvsReals(rs []facts.IPVSEntryReal) []facts.IPVSEntryReal {
	sh.realsMu.Lock()
	defer sh.realsMu.Unlock()
	k := sh.realsKb[:0]
	for _, r := range rs {
		k = binary.AppendUvarint(k, uint64(len(r.IP)))
		k = append(k, r.IP...)
		k = binary.AppendUvarint(k, uint64(len(r.Forward)))
		k = append(k, r.Forward...)
		for _, v := range [...]int32{r.Port, r.Weight, r.ActiveConn, r.InActConn, r.Line} {
			k = binary.AppendVarint(k, int64(v))
		}
	}
	sh.realsKb = k
	if have, ok := sh.reals[string(k)]; ok {
		return have
	}
	c := make([]facts.IPVSEntryReal, len(rs))
	copy(c, rs)
	sh.reals[string(k)] = c
	return c
}

// lookup returns the shared parse of data at p, parsing it with bd on first
// sight; nil when p is not a cluster-level file (or sh is nil, or the
// binding cannot take a shared result).
func (sh *shared) lookup(p string, data []byte, bd binding) *sharedParse {
	if sh == nil || !sharedPaths[p] || bd.set == nil {
		return nil
	}
	k := sharedKey{path: p, sum: sha256.Sum256(data)}
	sh.mu.Lock()
	e, ok := sh.m[k]
	if !ok {
		e = &sharedParse{data: data, why: map[manifestRecord]string{}}
		sh.m[k] = e
	}
	sh.mu.Unlock()
	e.once.Do(func() {
		e.res, e.ds = safeParse(p, e.data, bd.parse)
		e.ds = diag.Cap(e.ds)
	})
	return e
}

// notKnown is load's notKnown for this content under bundle manifest m.
func (e *sharedParse) notKnown(m *bundle.Manifest, p string) string {
	item, recorded := m.Lookup(p)
	k := manifestRecord{recorded: recorded, partial: item.Partial, status: item.Status, err: item.Error}
	e.mu.Lock()
	defer e.mu.Unlock()
	why, ok := e.why[k]
	if !ok {
		why = notKnown(e.data, e.ds, m, p, !structured[p])
		e.why[k] = why
	}
	return why
}
