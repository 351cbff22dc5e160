package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/collect/kubeapi"
	"github.com/podnetdiag/podnetdiag/pkg/redact"
)

// KubeDNSServicePath holds the DNS Service(s) found by label (the layout's
// kube/dns-service.json); the collector reads the DNS Service IP from it.
const KubeDNSServicePath = bundle.KubeDNSServicePath

// kubeCtx is the outcome of looking for credentials.
type kubeCtx struct {
	clients []*kubeapi.Client
	tried   []string // "path: reason" of the candidates that could not be used
	// kept counts the bytes of API files kept by the run (kubeMaxKeptTotal).
	kept atomic.Int64
	// dns is the DNS Service and pods, found once.
	dns dnsMemo
	// say prints a progress line (nil: silent, as in collect cluster).
	say func(format string, args ...any)
}

func (k *kubeCtx) usable() bool { return len(k.clients) > 0 }

// kubeSetup looks for credentials in kubectl's order, then the node's usual
// places: --kubeconfig, $KUBECONFIG (each file), /etc/kubernetes/admin.conf,
// /etc/kubernetes/kubelet.conf, ~/.kube/config, the in-cluster service account.
// Every usable one is kept: a later one is tried when an earlier one is denied
// (kubelet credentials may not list pods of other nodes).
func (c *collector) kubeSetup() *kubeCtx {
	k := &kubeCtx{say: c.progress.say}
	var cands []string
	if c.opts.Kubeconfig != "" {
		cands = append(cands, c.opts.Kubeconfig)
	}
	for _, p := range filepath.SplitList(c.opts.Env("KUBECONFIG")) {
		if p != "" {
			cands = append(cands, p)
		}
	}
	cands = append(cands, c.hostPath("/etc/kubernetes/admin.conf"), c.hostPath("/etc/kubernetes/kubelet.conf"))
	if home := c.opts.Env("HOME"); home != "" {
		cands = append(cands, filepath.Join(home, ".kube", "config"))
	}
	seen := map[string]bool{}
	for _, p := range cands {
		if seen[p] {
			continue
		}
		seen[p] = true
		if _, err := os.Stat(p); err != nil {
			if p == c.opts.Kubeconfig {
				k.tried = append(k.tried, fmt.Sprintf("%s: %v", p, errors.Unwrap(err)))
			}
			continue
		}
		cfg, err := kubeapi.LoadKubeconfig(p)
		if err == nil {
			var cl *kubeapi.Client
			if cl, err = kubeapi.New(cfg); err == nil {
				k.clients = append(k.clients, cl)
				continue
			}
		}
		k.tried = append(k.tried, err.Error())
	}
	if cfg, err := kubeapi.InCluster(c.hostPath("/var/run/secrets/kubernetes.io/serviceaccount"), c.opts.Env); err == nil {
		if cl, err := kubeapi.New(cfg); err == nil {
			k.clients = append(k.clients, cl)
		} else {
			k.tried = append(k.tried, err.Error())
		}
	}
	if k.usable() {
		names := make([]string, len(k.clients))
		for i, cl := range k.clients {
			names[i] = cl.Config().String()
		}
		c.progress.say("kubernetes API: %s", strings.Join(names, "; then "))
	} else {
		why := "no kubeconfig or in-cluster credentials found"
		if len(k.tried) > 0 {
			why = strings.Join(k.tried, "; ")
		}
		c.progress.say("kubernetes API: not used (%s): the kube/ and calico/*.yaml objects are skipped; pass --kubeconfig", why)
	}
	return k
}

// Bounds of what the collector reads and keeps of the API (issue 11: a 62 MB
// node list cost 1.97 GB, a hostile server's answers grew past 6 GiB). Every
// answer is decoded as a stream, one item at a time, stripped and redacted
// before the next is read, so memory follows the largest item and the bytes
// kept, never an answer's size. The caps are sized for the largest clusters
// Kubernetes supports (5,000 nodes, 10,000 namespaces, 150,000 pods), with a
// margin; a cap reached keeps what was read and marks the file partial with
// the reason in the manifest, never as complete.
const (
	// kubeMaxItem bounds one object: etcd refuses requests over 1.5 MiB
	// (--max-request-bytes), so no stored object is larger; its JSON
	// rendering of a protobuf-stored object can be about twice that.
	kubeMaxItem = 4 << 20
	// kubePageSize is what kubectl asks (--chunk-size 500).
	kubePageSize = 500
	// kubeMaxKeptTotal bounds the API files kept by one run, together: the
	// stripped node list of 5,000 nodes (about 4 KB each, 20 MB), the
	// policies and namespaces of a large cluster and the DNS logs fit, and
	// the collector stays under 256 MiB with the copies that redaction and
	// the tarball make (measured against a hostile server: 266 MiB peak with
	// 64 MiB kept and no memory limit, hence 48 and DefaultMemoryLimit).
	kubeMaxKeptTotal = 48 << 20
	// kubeMaxLogBytes is asked of each DNS pod's log (limitBytes) and cut
	// there if the server ignores it.
	kubeMaxLogBytes = logTailBytes
)

// DefaultMemoryLimit is the soft limit (debug.SetMemoryLimit) the collect
// command sets unless GOMEMLIMIT is: the garbage collector then works harder
// instead of letting the heap double past the bound of issue 11 (collect
// under 256 MiB).
const DefaultMemoryLimit = 192 << 20

// SetDefaultMemoryLimit applies DefaultMemoryLimit unless the operator set
// GOMEMLIMIT. It changes the process's runtime setting: only commands call it.
func SetDefaultMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
}

// Per-kind list bounds.
var (
	// A Node is 10-30 KB on the wire (managedFields, up to ~100 cached images
	// in status.images) and about 4 KB once stripped: a page of 500 is at
	// most 15 MB; a server ignoring limit sends 5,000 nodes in one answer of
	// up to 150 MB; 20 pages is twice the 5,000 nodes' 10.
	// Kept: 24 MiB, 5,000 stripped nodes and a margin.
	nodeLimits = kubeLimits{Limits: kubeapi.Limits{PageSize: kubePageSize, MaxPages: 20, MaxResponse: 160 << 20, MaxTotal: 160 << 20, MaxItem: kubeMaxItem}, keep: 24 << 20}
	// Namespaces (10,000 at most, ~1 KB each), NetworkPolicies and Calico
	// policies (a few KB each, under 2 KB once stripped; the largest
	// multi-tenant clusters hold thousands): 64 MB read and 16 MiB kept
	// cover 8,000 of each.
	wideLimits = kubeLimits{Limits: kubeapi.Limits{PageSize: kubePageSize, MaxPages: 40, MaxResponse: 64 << 20, MaxTotal: 64 << 20, MaxItem: kubeMaxItem}, keep: 16 << 20}
	// IP pools and FelixConfigurations: a handful of objects.
	smallLimits = kubeLimits{Limits: kubeapi.Limits{PageSize: kubePageSize, MaxPages: 4, MaxResponse: 16 << 20, MaxTotal: 16 << 20, MaxItem: kubeMaxItem}, keep: 4 << 20}
	// Label-selected lists (CoreDNS pods: one per 16 nodes at most with the
	// autoscaler, ~300 of 8 KB; the DNS Services; one Service's
	// EndpointSlices) are small and not paged: streaming bounds a server
	// that sends them whole anyway.
	selectedLimits = kubeLimits{Limits: kubeapi.Limits{MaxPages: 1, MaxResponse: 32 << 20, MaxTotal: 32 << 20, MaxItem: kubeMaxItem}, keep: 8 << 20}
	// A single object (ConfigMap, DaemonSet, Endpoints) is one item.
	objectLimits = kubeLimits{Limits: kubeapi.Limits{MaxResponse: kubeMaxItem, MaxTotal: kubeMaxItem, MaxItem: kubeMaxItem}, keep: kubeMaxItem}
)

// kubeLimits are the read bounds of one object kind and the bytes of its file
// kept after stripping and redaction.
type kubeLimits struct {
	kubeapi.Limits
	keep int64
}

// kubeObject is one object of the layout fetched from the API.
type kubeObject struct {
	path string
	desc string
	urls []string // tried in order; a 404 moves to the next
	yaml bool
	// list: the URLs name a list, read page by page; itemKind is the kind of
	// its items ("Node"), which the API leaves out of list items.
	list     bool
	itemKind string
	lim      kubeLimits
	// strip drops what the bundle does not need from one object, on top of
	// stripObject.
	strip func(map[string]any)
}

var kubeObjects = []kubeObject{
	{path: bundle.KubeNodesPath, desc: "Nodes", urls: []string{"/api/v1/nodes"}, list: true, itemKind: "Node", lim: nodeLimits, strip: stripNode},
	{path: bundle.KubeProxyConfigPath, desc: "kube-proxy ConfigMap", urls: []string{"/api/v1/namespaces/kube-system/configmaps/kube-proxy"}, yaml: true, lim: objectLimits},
	{path: bundle.CalicoDaemonSetPath, desc: "calico-node DaemonSet", yaml: true, lim: objectLimits, urls: []string{
		"/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node",
		"/apis/apps/v1/namespaces/calico-system/daemonsets/calico-node", // operator installs
	}},
	{path: bundle.CalicoIPPoolsPath, desc: "Calico IP pools", yaml: true, list: true, itemKind: "IPPool", lim: smallLimits, urls: []string{
		"/apis/crd.projectcalico.org/v1/ippools",
		"/apis/projectcalico.org/v3/ippools", // Calico API server
	}},
	{path: bundle.CorednsConfigMapPath, desc: "CoreDNS Corefile", yaml: true, lim: objectLimits, urls: []string{
		"/api/v1/namespaces/kube-system/configmaps/coredns",
		"/api/v1/namespaces/kube-system/configmaps/rke2-coredns-rke2-coredns",
	}},
	{path: bundle.NetworkPoliciesPath, desc: "NetworkPolicies", urls: []string{"/apis/networking.k8s.io/v1/networkpolicies"}, list: true, itemKind: "NetworkPolicy", lim: wideLimits},
	{path: bundle.NamespacesPath, desc: "Namespaces", urls: []string{"/api/v1/namespaces"}, list: true, itemKind: "Namespace", lim: wideLimits},
	{path: bundle.CalicoPoliciesPath, desc: "Calico NetworkPolicies", yaml: true, list: true, itemKind: "NetworkPolicy", lim: wideLimits, urls: []string{
		"/apis/crd.projectcalico.org/v1/networkpolicies",
		"/apis/projectcalico.org/v3/networkpolicies",
	}},
	{path: bundle.CalicoGlobalPolicies, desc: "Calico GlobalNetworkPolicies", yaml: true, list: true, itemKind: "GlobalNetworkPolicy", lim: wideLimits, urls: []string{
		"/apis/crd.projectcalico.org/v1/globalnetworkpolicies",
		"/apis/projectcalico.org/v3/globalnetworkpolicies",
	}},
	{path: bundle.CalicoFelixPath, desc: "FelixConfigurations", yaml: true, list: true, itemKind: "FelixConfiguration", lim: smallLimits, urls: []string{
		"/apis/crd.projectcalico.org/v1/felixconfigurations",
		"/apis/projectcalico.org/v3/felixconfigurations",
	}},
}

// stripNode drops a Node's image cache (up to ~100 entries, half its size)
// and attached volumes: nothing about DNS or routing.
func stripNode(o map[string]any) {
	if st, ok := o["status"].(map[string]any); ok {
		delete(st, "images")
		delete(st, "volumesInUse")
		delete(st, "volumesAttached")
	}
}

// maxAnnotation bounds an annotation's value: the ones the analyzer reads
// (Calico's addresses) are short; big ones are copies of whole objects.
const maxAnnotation = 4 << 10

// stripObject drops what no check reads and that can dwarf the object: the
// managedFields bookkeeping, kubectl's last-applied-configuration (a second
// copy of the object, secrets included) and any annotation over
// maxAnnotation, whose value is replaced by a note of its size.
func stripObject(o map[string]any) {
	md, ok := o["metadata"].(map[string]any)
	if !ok {
		return
	}
	delete(md, "managedFields")
	ann, ok := md["annotations"].(map[string]any)
	if !ok {
		return
	}
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	for k, v := range ann {
		if s, ok := v.(string); ok && len(s) > maxAnnotation {
			ann[k] = fmt.Sprintf("<dropped by %s: %d bytes>", CollectorName, len(s))
		}
	}
}

func (c *collector) kubeTasks(k *kubeCtx) []Task {
	var tasks []Task
	for _, o := range kubeObjects {
		if c.opts.SkipClusterObjects {
			tasks = append(tasks, Task{
				Path: o.path, Description: o.desc, Source: bundle.SourceKubectl, Command: "GET " + o.urls[0], Optional: true,
				Run: func(context.Context) ([]byte, error) {
					return nil, skipped("a cluster-wide object: collect cluster gathers it once, into the run's cluster/ folder")
				},
			})
			continue
		}
		tasks = append(tasks, c.kubeTask(k, o.path, o.desc, "GET "+o.urls[0], false, func(ctx context.Context) (*kubeFile, error) {
			return k.fetch(ctx, o)
		}))
	}
	return tasks
}

// kubeTask is a Task whose file comes from the API, already stripped,
// redacted and rendered by fetch; its redactions reach the manifest through
// Post.
func (c *collector) kubeTask(k *kubeCtx, path, desc, command string, optional bool, fetch func(context.Context) (*kubeFile, error)) Task {
	t := Task{Path: path, Description: desc, Source: bundle.SourceKubectl, Command: command, Optional: optional}
	if !k.usable() {
		reason := "no kubeconfig or in-cluster credentials found (looked at --kubeconfig, $KUBECONFIG, /etc/kubernetes/admin.conf, /etc/kubernetes/kubelet.conf, ~/.kube/config, the service account)"
		if len(k.tried) > 0 {
			reason = "no usable credentials: " + strings.Join(k.tried, "; ")
		}
		t.Run = func(context.Context) ([]byte, error) { return nil, skipped("%s", reason) }
		// Said once by kubeSetup rather than once per object.
		t.Optional = true
		return t
	}
	var mu sync.Mutex
	var reds []bundle.Redaction
	t.Run = func(ctx context.Context) ([]byte, error) {
		f, err := fetch(ctx)
		if f == nil {
			return nil, err
		}
		mu.Lock()
		reds = f.reds
		mu.Unlock()
		return f.data, err
	}
	t.Post = func(data []byte) ([]byte, []bundle.Redaction, error) {
		mu.Lock()
		defer mu.Unlock()
		return data, reds, nil
	}
	return t
}

// kubeFile is one file rendered from the API: redacted, in the layout's
// format, with its redactions.
type kubeFile struct {
	data []byte
	reds []bundle.Redaction
}

// fetch reads one object of the layout: each URL with each client, a 404
// moving to the next URL and a denial or a connection error to the next
// client. A list cut short (a cap, a broken answer) keeps what was read, with
// a partialError saying why; it is not read again with other credentials.
// When every client is denied, the error is a forbiddenError.
func (k *kubeCtx) fetch(ctx context.Context, o kubeObject) (*kubeFile, error) {
	return k.fetchWith(ctx, o, nil)
}

// fetchWith is fetch, handing each object (stripped, not yet redacted) to
// seen when it is not nil.
func (k *kubeCtx) fetchWith(ctx context.Context, o kubeObject, seen func(map[string]any)) (*kubeFile, error) {
	var errs []string
	allDenied := true
	for _, cl := range k.clients {
		allNotFound := true
		for _, u := range o.urls {
			f, err := k.fetchOne(ctx, cl, o, u, seen)
			if err == nil || f != nil {
				return f, err
			}
			if ctx.Err() != nil {
				return nil, err
			}
			errs = append(errs, fmt.Sprintf("%s via %s: %v", u, cl.Config().Source, err))
			if !kubeapi.NotFound(err) {
				allNotFound = false
				allDenied = allDenied && kubeapi.Denied(err)
				break
			}
		}
		if allNotFound {
			// The API answered: the object does not exist; other credentials
			// would see the same.
			return nil, skipped("not found: %s", strings.Join(errs, "; "))
		}
	}
	if allDenied && len(errs) > 0 {
		return nil, &forbiddenError{err: errors.New(strings.Join(errs, "; "))}
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

// fetchOne reads o from one URL with one client. A nil file is a failure to
// try elsewhere; a file with an error is partial.
func (k *kubeCtx) fetchOne(ctx context.Context, cl *kubeapi.Client, o kubeObject, u string, seen func(map[string]any)) (*kubeFile, error) {
	if !o.list {
		obj, err := cl.GetObject(ctx, u, o.lim.Limits)
		if err != nil {
			if kubeapi.IsLimit(err) {
				// Half an object cannot be told from a whole one: nothing kept.
				return nil, fmt.Errorf("not kept: %v", err)
			}
			return nil, err
		}
		stripObject(obj)
		if o.strip != nil {
			o.strip(obj)
		}
		if seen != nil {
			seen(obj)
		}
		v, reds := redact.Value(o.path, "", obj)
		data, err := renderObject(v, o.yaml, "")
		if err != nil {
			return nil, err
		}
		if !k.take(int64(len(data))) {
			return nil, fmt.Errorf("not kept: the run's cap of %d bytes for API objects is reached", kubeMaxKeptTotal)
		}
		return &kubeFile{data: data, reds: reds}, nil
	}
	lw := newListWriter(k, o.path, o.yaml, apiVersionOf(u), o.itemKind, o.lim.keep)
	info, err := cl.List(ctx, u, o.lim.Limits, func(item map[string]any) error {
		stripObject(item)
		if o.strip != nil {
			o.strip(item)
		}
		if seen != nil {
			seen(item)
		}
		return lw.add(item)
	})
	if err != nil && info.Items == 0 {
		return nil, err
	}
	f := &kubeFile{data: lw.finish(), reds: lw.reds}
	switch {
	case err != nil:
		return f, &partialError{err: fmt.Errorf("truncated: %d items kept of %d read in %d pages (%d bytes): %w", lw.n, info.Items, info.Pages, info.Bytes, err)}
	case lw.cut != "":
		return f, &partialError{err: fmt.Errorf("truncated: %d items kept of %d read in %d pages (%d bytes): %s", lw.n, info.Items, info.Pages, info.Bytes, lw.cut)}
	}
	return f, nil
}

// take reserves n bytes of the run's budget for API files.
func (k *kubeCtx) take(n int64) bool {
	if k.kept.Add(n) > kubeMaxKeptTotal {
		k.kept.Add(-n)
		return false
	}
	return true
}

// apiVersionOf reads the group version out of an API path:
// /api/v1/... is "v1", /apis/GROUP/VERSION/... is "GROUP/VERSION".
func apiVersionOf(u string) string {
	parts := strings.Split(strings.TrimPrefix(strings.SplitN(u, "?", 2)[0], "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		return parts[1]
	case len(parts) >= 3 && parts[0] == "apis":
		return parts[1] + "/" + parts[2]
	}
	return ""
}

// listWriter renders a list item by item, as kubectl get -o json|yaml would
// (a kind List of items with their kind), within its cap and the run's.
type listWriter struct {
	k          *kubeCtx
	path       string
	yaml       bool
	apiVersion string
	itemKind   string
	keep       int64
	buf        chunks
	n          int
	reds       []bundle.Redaction
	cut        string // why items were left out
}

// newListWriter starts the file with the list's header, so that finish only
// appends: a file near its cap is never copied whole.
func newListWriter(k *kubeCtx, path string, asYAML bool, apiVersion, itemKind string, keep int64) *listWriter {
	w := &listWriter{k: k, path: path, yaml: asYAML, apiVersion: apiVersion, itemKind: itemKind, keep: keep}
	kind := itemKind + "List"
	if itemKind == "" {
		kind = "List"
	}
	if asYAML {
		fmt.Fprintf(&w.buf, "apiVersion: %s\nkind: %s\nmetadata: {}\nitems:\n", yamlScalar(apiVersion), kind)
	} else {
		fmt.Fprintf(&w.buf, "{\n  \"apiVersion\": %q,\n  \"kind\": %q,\n  \"metadata\": {},\n  \"items\": [", apiVersion, kind)
	}
	return w
}

// add renders one item; kubeapi.ErrStop ends the list once a cap is reached.
func (w *listWriter) add(item map[string]any) error {
	if _, ok := item["kind"]; !ok && w.itemKind != "" {
		item["kind"] = w.itemKind
		if w.apiVersion != "" {
			item["apiVersion"] = w.apiVersion
		}
	}
	v, reds := redact.Value(w.path, fmt.Sprintf("items[%d]", w.n), item)
	indent := "    "
	if w.yaml {
		indent = "  "
	}
	b, err := renderObject(v, w.yaml, indent)
	if err != nil {
		return err
	}
	if int64(w.buf.Len()+len(b)) > w.keep && w.n > 0 {
		w.cut = fmt.Sprintf("the file's cap of %d bytes is reached", w.keep)
		return kubeapi.ErrStop
	}
	if !w.k.take(int64(len(b))) {
		w.cut = fmt.Sprintf("the run's cap of %d bytes for API objects is reached", kubeMaxKeptTotal)
		return kubeapi.ErrStop
	}
	if w.yaml {
		w.buf.WriteString("- ")
		w.buf.Write(b[len(indent):])
	} else {
		if w.n > 0 {
			w.buf.WriteString(",")
		}
		w.buf.WriteString("\n")
		w.buf.WriteString(indent)
		w.buf.Write(bytes.TrimSuffix(b, []byte("\n")))
	}
	w.reds = append(w.reds, reds...)
	w.n++
	return nil
}

// finish returns the whole file.
func (w *listWriter) finish() []byte {
	switch {
	case w.yaml && w.n == 0:
		w.buf.Truncate(1)
		w.buf.WriteString(" []\n")
	case w.yaml:
	case w.n == 0:
		w.buf.WriteString("]\n}\n")
	default:
		w.buf.WriteString("\n  ]\n}\n")
	}
	out := w.buf.Bytes()
	w.buf = chunks{}
	return out
}

// chunks is an append-only buffer of fixed-size chunks: a bytes.Buffer
// doubles as it grows, so a 32 MiB file can hold 64 MiB and briefly 96 MiB
// while it is copied; chunks hold the content plus one chunk, and Bytes copies
// it once, to its exact size.
type chunks struct {
	parts [][]byte
	n     int
}

const chunkSize = 256 << 10

func (c *chunks) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(c.parts) == 0 || len(c.parts[len(c.parts)-1]) == cap(c.parts[len(c.parts)-1]) {
			c.parts = append(c.parts, make([]byte, 0, chunkSize))
		}
		last := &c.parts[len(c.parts)-1]
		k := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	c.n += n
	return n, nil
}

func (c *chunks) WriteString(s string) (int, error) { return c.Write([]byte(s)) }

func (c *chunks) Len() int { return c.n }

// Truncate drops the last n bytes written (at most one chunk's worth).
func (c *chunks) Truncate(n int) {
	last := &c.parts[len(c.parts)-1]
	*last = (*last)[:len(*last)-n]
	c.n -= n
}

// Bytes returns the content in one slice and releases the chunks.
func (c *chunks) Bytes() []byte {
	out := make([]byte, 0, c.n)
	for _, p := range c.parts {
		out = append(out, p...)
	}
	c.parts = nil
	return out
}

// yamlScalar quotes s when YAML would read it as something other than a string.
func yamlScalar(s string) string {
	b, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// renderObject renders one decoded object as indented JSON or block YAML,
// every line but the first (JSON) or every line (YAML) prefixed by indent.
func renderObject(v any, asYAML bool, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent(indent, "  ")
	// "<redacted>", not "\u003credacted\u003e": the file is read by people too.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if !asYAML {
		return b, nil
	}
	y, err := jsonToYAML(b)
	if err != nil {
		return nil, err
	}
	if indent == "" {
		return y, nil
	}
	var out bytes.Buffer
	for _, ln := range bytes.SplitAfter(y, []byte("\n")) {
		if len(ln) == 0 {
			continue
		}
		out.WriteString(indent)
		out.Write(ln)
	}
	return out.Bytes(), nil
}

// nodeInternalIPs reads the first InternalIP of each node of kube/nodes.json
// (the collector's own JSON) into a struct of just that: the YAML-based
// kube.ParseNodes builds a node tree many times the file's size, which for
// 5,000 nodes would alone break the collector's memory bound.
func nodeInternalIPs(data []byte) []netip.Addr {
	var list struct {
		Items []struct {
			Status struct {
				Addresses []struct {
					Type    string `json:"type"`
					Address string `json:"address"`
				} `json:"addresses"`
			} `json:"status"`
		} `json:"items"`
	}
	if json.Unmarshal(data, &list) != nil {
		return nil
	}
	var out []netip.Addr
	for _, n := range list.Items {
		for _, a := range n.Status.Addresses {
			if a.Type != "InternalIP" {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				out = append(out, ip)
				break
			}
		}
	}
	return out
}

// listAddrs reads the addresses of the collector's own JSON lists of pods
// (status.podIP), Endpoints (subsets[].addresses[].ip) and EndpointSlices
// (endpoints[].addresses[]) into a struct of just those, for the reason of
// nodeInternalIPs.
func listAddrs(data []byte) []netip.Addr {
	var list struct {
		Items []struct {
			Status struct {
				PodIP string `json:"podIP"`
			} `json:"status"`
			Subsets []struct {
				Addresses []struct {
					IP string `json:"ip"`
				} `json:"addresses"`
			} `json:"subsets"`
			Endpoints []struct {
				Addresses []string `json:"addresses"`
			} `json:"endpoints"`
		} `json:"items"`
	}
	if json.Unmarshal(data, &list) != nil {
		return nil
	}
	var out []netip.Addr
	add := func(s string) {
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ip)
		}
	}
	for _, it := range list.Items {
		add(it.Status.PodIP)
		for _, s := range it.Subsets {
			for _, a := range s.Addresses {
				add(a.IP)
			}
		}
		for _, e := range it.Endpoints {
			for _, a := range e.Addresses {
				add(a)
			}
		}
	}
	return out
}

// jsonToYAML converts JSON to block-style YAML keeping key order and types:
// JSON is YAML, so it is decoded as a yaml.Node and re-encoded without the flow
// and quoting styles of JSON.
func jsonToYAML(data []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("to YAML: %w", err)
	}
	var clear func(*yaml.Node)
	clear = func(x *yaml.Node) {
		x.Style = 0
		for _, c := range x.Content {
			clear(c)
		}
	}
	clear(&n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("to YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("to YAML: %w", err)
	}
	return b.Bytes(), nil
}

// ClusterObjects fetches the layout's cluster-wide Kubernetes objects once, as
// the per-node collection would (same URLs, fallbacks, caps, stripping,
// redaction and YAML rendering), for `collect cluster`. It returns the files
// by layout path and one manifest item per object, failed, partial or skipped
// ones included.
func ClusterObjects(ctx context.Context, cl *kubeapi.Client, itemTimeout time.Duration) (map[string][]byte, []bundle.Item, []bundle.Redaction) {
	if itemTimeout <= 0 {
		itemTimeout = DefaultItemTimeout
	}
	k := &kubeCtx{clients: []*kubeapi.Client{cl}}
	files := map[string][]byte{}
	var items []bundle.Item
	var reds []bundle.Redaction
	for _, o := range kubeObjects {
		it := bundle.Item{Path: o.path, Source: bundle.SourceKubectl, Command: "GET " + o.urls[0], Status: bundle.StatusOK}
		start := time.Now()
		octx, cancel := context.WithTimeout(ctx, itemTimeout)
		f, err := k.fetch(octx, o)
		cancel()
		it.DurationMs = time.Since(start).Milliseconds()
		it.Status, it.Error, it.Partial = itemStatus(err, f != nil)
		if f != nil && (err == nil || it.Partial) {
			files[o.path] = f.data
			reds = append(reds, f.reds...)
		}
		items = append(items, it)
	}
	for _, o := range k.dnsCluster() {
		it := bundle.Item{Path: o.path, Source: bundle.SourceKubectl, Command: o.cmd, Status: bundle.StatusOK}
		start := time.Now()
		octx, cancel := context.WithTimeout(ctx, itemTimeout)
		f, err := o.fetch(octx)
		cancel()
		it.DurationMs = time.Since(start).Milliseconds()
		it.Status, it.Error, it.Partial = itemStatus(err, f != nil)
		if f != nil && (err == nil || it.Partial) {
			files[o.path] = f.data
			reds = append(reds, f.reds...)
		}
		items = append(items, it)
	}
	return files, items, reds
}

// itemStatus is the manifest's status of an attempt ending in err, with
// output or not.
func itemStatus(err error, output bool) (status, msg string, partial bool) {
	var perr *partialError
	var ferr *forbiddenError
	switch {
	case err == nil:
		return bundle.StatusOK, "", false
	case isSkip(err):
		return bundle.StatusSkipped, err.Error(), false
	case errors.As(err, &perr) && output:
		return bundle.StatusError, err.Error(), true
	case errors.As(err, &ferr):
		return bundle.StatusForbidden, err.Error(), false
	}
	return bundle.StatusError, err.Error(), false
}

// KubeObjectURLs are the API paths the collector may read for the layout's
// objects, fallbacks included: the deploy/ RBAC is tested against them.
func KubeObjectURLs() []string {
	var out []string
	for _, o := range kubeObjects {
		out = append(out, o.urls...)
	}
	for _, sel := range bundle.DNSServiceSelectors() {
		out = append(out, "/api/v1/namespaces/"+dnsNamespace+"/services?labelSelector="+url.QueryEscape(sel))
	}
	for _, n := range dnsServiceNames {
		out = append(out, "/api/v1/namespaces/"+dnsNamespace+"/services/"+n, "/api/v1/namespaces/"+dnsNamespace+"/endpoints/"+n)
	}
	return append(out,
		"/apis/discovery.k8s.io/v1/namespaces/"+dnsNamespace+"/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkube-dns",
		"/api/v1/namespaces/"+dnsNamespace+"/pods?labelSelector=k8s-app%3Dkube-dns",
		"/api/v1/namespaces/"+dnsNamespace+"/pods?labelSelector=k8s-app%3Dnode-local-dns",
		"/api/v1/namespaces/"+dnsNamespace+"/pods/coredns-x/log",
	)
}
