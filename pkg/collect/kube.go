package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/collect/kubeapi"
	"github.com/podnetdiag/podnetdiag/pkg/redact"
)

// KubeDNSServicePath holds the kube-dns Service (not in the layout: the
// analyzer ignores it, the collector reads the DNS Service IP from it).
const KubeDNSServicePath = "kube/kube-dns-service.json"

// kubeCtx is the outcome of looking for credentials.
type kubeCtx struct {
	clients []*kubeapi.Client
	tried   []string // "path: reason" of the candidates that could not be used
}

func (k *kubeCtx) usable() bool { return len(k.clients) > 0 }

// kubeSetup looks for credentials in kubectl's order, then the node's usual
// places: --kubeconfig, $KUBECONFIG (each file), /etc/kubernetes/admin.conf,
// /etc/kubernetes/kubelet.conf, ~/.kube/config, the in-cluster service account.
// Every usable one is kept: a later one is tried when an earlier one is denied
// (kubelet credentials may not list pods of other nodes).
func (c *collector) kubeSetup() *kubeCtx {
	k := &kubeCtx{}
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

// kubeObject is one object of the layout fetched from the API.
type kubeObject struct {
	path  string
	desc  string
	urls  []string // tried in order; a 404 moves to the next
	yaml  bool
	extra bool // not in the layout
}

var kubeObjects = []kubeObject{
	{path: bundle.KubeNodesPath, desc: "Nodes", urls: []string{"/api/v1/nodes"}},
	{path: bundle.KubeDNSEndpointsPath, desc: "kube-dns Endpoints", urls: []string{"/api/v1/namespaces/kube-system/endpoints/kube-dns"}},
	{path: KubeDNSServicePath, desc: "kube-dns Service", urls: []string{"/api/v1/namespaces/kube-system/services/kube-dns"}, extra: true},
	{path: bundle.KubeCoreDNSPodsPath, desc: "CoreDNS pods", urls: []string{"/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns"}},
	{path: bundle.KubeProxyConfigPath, desc: "kube-proxy ConfigMap", urls: []string{"/api/v1/namespaces/kube-system/configmaps/kube-proxy"}, yaml: true},
	{path: bundle.CalicoDaemonSetPath, desc: "calico-node DaemonSet", yaml: true, urls: []string{
		"/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node",
		"/apis/apps/v1/namespaces/calico-system/daemonsets/calico-node", // operator installs
	}},
	{path: bundle.CalicoIPPoolsPath, desc: "Calico IP pools", yaml: true, urls: []string{
		"/apis/crd.projectcalico.org/v1/ippools",
		"/apis/projectcalico.org/v3/ippools", // Calico API server
	}},
	{path: bundle.CorednsConfigMapPath, desc: "CoreDNS Corefile", yaml: true, urls: []string{
		"/api/v1/namespaces/kube-system/configmaps/coredns",
		"/api/v1/namespaces/kube-system/configmaps/rke2-coredns-rke2-coredns",
	}},
	{path: bundle.NetworkPoliciesPath, desc: "NetworkPolicies", urls: []string{"/apis/networking.k8s.io/v1/networkpolicies"}},
	{path: bundle.NamespacesPath, desc: "Namespaces", urls: []string{"/api/v1/namespaces"}},
	{path: bundle.CalicoPoliciesPath, desc: "Calico NetworkPolicies", yaml: true, urls: []string{
		"/apis/crd.projectcalico.org/v1/networkpolicies",
		"/apis/projectcalico.org/v3/networkpolicies",
	}},
	{path: bundle.CalicoGlobalPolicies, desc: "Calico GlobalNetworkPolicies", yaml: true, urls: []string{
		"/apis/crd.projectcalico.org/v1/globalnetworkpolicies",
		"/apis/projectcalico.org/v3/globalnetworkpolicies",
	}},
	{path: bundle.CalicoFelixPath, desc: "FelixConfigurations", yaml: true, urls: []string{
		"/apis/crd.projectcalico.org/v1/felixconfigurations",
		"/apis/projectcalico.org/v3/felixconfigurations",
	}},
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
		t := Task{
			Path: o.path, Description: o.desc, Source: bundle.SourceKubectl,
			Command: "GET " + o.urls[0],
		}
		if !k.usable() {
			reason := "no kubeconfig or in-cluster credentials found (looked at --kubeconfig, $KUBECONFIG, /etc/kubernetes/admin.conf, /etc/kubernetes/kubelet.conf, ~/.kube/config, the service account)"
			if len(k.tried) > 0 {
				reason = "no usable credentials: " + strings.Join(k.tried, "; ")
			}
			t.Run = func(context.Context) ([]byte, error) { return nil, skipped("%s", reason) }
			// Said once by kubeSetup rather than once per object.
			t.Optional = true
			tasks = append(tasks, t)
			continue
		}
		t.Run = func(ctx context.Context) ([]byte, error) { return kubeGet(ctx, k, o.urls) }
		t.Post = c.kubePost(o.path, o.yaml)
		t.Optional = o.extra
		tasks = append(tasks, t)
	}
	return tasks
}

// kubeGet tries each URL with each client: a 404 moves to the next URL, a
// denial or a connection error to the next client.
func kubeGet(ctx context.Context, k *kubeCtx, urls []string) ([]byte, error) {
	var errs []string
	for _, cl := range k.clients {
		allNotFound := true
		for _, u := range urls {
			b, err := cl.Get(ctx, u)
			if err == nil {
				return b, nil
			}
			if ctx.Err() != nil {
				return nil, err
			}
			errs = append(errs, fmt.Sprintf("%s via %s: %v", u, cl.Config().Source, err))
			if !kubeapi.NotFound(err) {
				allNotFound = false
				break
			}
		}
		if allNotFound {
			// The API answered: the object does not exist; other credentials
			// would see the same.
			return nil, skipped("not found: %s", strings.Join(errs, "; "))
		}
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

// kubePost redacts the object and, for the layout's .yaml files, renders it as
// YAML the way kubectl -o yaml would.
func (c *collector) kubePost(path string, asYAML bool) func([]byte) ([]byte, []bundle.Redaction, error) {
	return func(data []byte) ([]byte, []bundle.Redaction, error) {
		out, reds, err := redact.JSON(path, data)
		if err != nil {
			return nil, nil, err
		}
		if asYAML {
			if out, err = jsonToYAML(out); err != nil {
				return nil, nil, err
			}
		}
		return out, reds, nil
	}
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
// the per-node collection would (same URLs, fallbacks, redaction and YAML
// rendering), for `collect cluster`. It returns the files by layout path and
// one manifest item per object, failed or skipped ones included.
func ClusterObjects(ctx context.Context, cl *kubeapi.Client, itemTimeout time.Duration) (map[string][]byte, []bundle.Item, []bundle.Redaction) {
	if itemTimeout <= 0 {
		itemTimeout = DefaultItemTimeout
	}
	k := &kubeCtx{clients: []*kubeapi.Client{cl}}
	c := &collector{}
	files := map[string][]byte{}
	var items []bundle.Item
	var reds []bundle.Redaction
	for _, o := range kubeObjects {
		it := bundle.Item{Path: o.path, Source: bundle.SourceKubectl, Command: "GET " + o.urls[0], Status: bundle.StatusOK}
		start := time.Now()
		octx, cancel := context.WithTimeout(ctx, itemTimeout)
		data, err := kubeGet(octx, k, o.urls)
		cancel()
		if err == nil {
			var r []bundle.Redaction
			data, r, err = c.kubePost(o.path, o.yaml)(data)
			reds = append(reds, r...)
		}
		it.DurationMs = time.Since(start).Milliseconds()
		switch {
		case isSkip(err):
			it.Status, it.Error = bundle.StatusSkipped, err.Error()
		case err != nil:
			it.Status, it.Error = bundle.StatusError, err.Error()
		default:
			files[o.path] = data
		}
		items = append(items, it)
	}
	return files, items, reds
}

// KubeObjectURLs are the API paths the collector may read for the layout's
// objects, fallbacks included: the deploy/ RBAC is tested against them.
func KubeObjectURLs() []string {
	var out []string
	for _, o := range kubeObjects {
		out = append(out, o.urls...)
	}
	return out
}
