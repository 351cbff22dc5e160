// Package fleet collects a whole cluster from a workstation: it runs the
// collector on each chosen node as a pod pinned to it (the template of
// deploy/job.yaml), with one common capture start so that the nodes' capture
// windows overlap, pulls each bundle back over the pod's log stream, gathers
// the cluster-wide Kubernetes objects once into a cluster/ folder, and keeps
// going when nodes fail. The cluster is the distributed engine: there is no
// agent and no protocol of its own, only pods and plain kube REST calls
// (pkg/collect/kubeapi), so it works wherever `kubectl logs` does.
package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/collect"
	"github.com/podnetdiag/podnetdiag/pkg/collect/kubeapi"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
)

// Defaults of Options.
const (
	DefaultNamespace  = "podnetdiag"
	DefaultStartDelay = 45 * time.Second
	// DefaultPullTime is allowed for scheduling and pulling the image, on top
	// of the wait, the capture and the collector's own time limit.
	DefaultPullTime = 2 * time.Minute
	// DefaultMaxBundle bounds one node's bundle, as analyze bounds extraction.
	DefaultMaxBundle = 2 << 30
	// maxHintPeers bounds the peer addresses passed on a pod's command line;
	// the collector looks routes up for at most 256 addresses anyway.
	maxHintPeers = 256
	// ClusterDir is the folder of the cluster-wide objects in the output.
	ClusterDir = "cluster"
)

// Options steer one run.
type Options struct {
	// Nodes to collect; empty means every node matching Selector (every node
	// when Selector is empty too).
	Nodes    []string
	Selector string
	// MaxParallel bounds the pods running at once; 0 means all. Nodes beyond
	// it run in later waves, each wave with its own common capture start.
	MaxParallel int
	Namespace   string
	Image       string
	// CaptureSeconds is each node's capture window (0: no capture).
	CaptureSeconds int
	// StartDelay is how far ahead the common capture start is set: long
	// enough for every pod of a wave to be scheduled and started.
	StartDelay time.Duration
	// NodeTimeout bounds one node, from the pod's creation to its bundle;
	// 0 derives it from the others.
	NodeTimeout time.Duration
	// ItemTimeout bounds each cluster object request.
	ItemTimeout time.Duration
	// Poll is the interval of pod status checks (tests shorten it).
	Poll      time.Duration
	MaxBundle int64
	OutDir    string
	// Progress receives one line per event, prefixed with the node's name.
	Progress io.Writer
	Version  string
	Now      func() time.Time
}

// NodeResult is the outcome of one node.
type NodeResult struct {
	Node     string
	Pod      string
	Bundle   string // the bundle written, when one was
	Size     int64
	Err      error // why there is no bundle
	Duration time.Duration
	// Wave numbers the node's wave (0, 1, ...: see MaxParallel); CaptureAt
	// is the wave's common capture start.
	Wave      int
	CaptureAt time.Time
}

// Result is the outcome of a run.
type Result struct {
	Run        string
	Nodes      []NodeResult // sorted by node name
	ClusterDir string       // the cluster-wide objects, "" when none could be read
	// ClusterItems records each cluster object, failed ones included.
	ClusterItems []bundle.Item
	// Leftover are pods that could not be deleted (name and reason).
	Leftover []string
}

// Failed lists the nodes without a bundle.
func (r *Result) Failed() []NodeResult {
	var out []NodeResult
	for _, n := range r.Nodes {
		if n.Err != nil {
			out = append(out, n)
		}
	}
	return out
}

type runner struct {
	cl    *kubeapi.Client
	o     Options
	run   string
	mu    sync.Mutex // guards out and live
	out   io.Writer
	live  map[string]string // pod name -> node: created and not yet deleted
	hints []string          // collector arguments carrying the cluster's addresses
}

// Run collects the chosen nodes into o.OutDir. It fails only when nothing can
// be attempted (no API, no namespace, no node chosen, output not writable);
// a node that fails is recorded in its NodeResult and the others go on. Every
// pod it created is deleted before it returns, also when ctx is cancelled.
func Run(ctx context.Context, cl *kubeapi.Client, o Options) (*Result, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.StartDelay <= 0 {
		o.StartDelay = DefaultStartDelay
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.MaxBundle <= 0 {
		o.MaxBundle = DefaultMaxBundle
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = o.StartDelay + time.Duration(o.CaptureSeconds)*time.Second + collect.DefaultTimeout + DefaultPullTime
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	r := &runner{cl: cl, o: o, run: hex.EncodeToString(id), out: o.Progress, live: map[string]string{}}
	res := &Result{Run: r.run}

	nodes, err := r.chooseNodes(ctx, res)
	if err != nil {
		return nil, err
	}
	if err := r.checkNamespace(ctx); err != nil {
		return nil, err
	}
	r.say("", "run %s: %d node(s), pods in namespace %s (kubectl -n %s delete pod -l %s=%s removes what an interrupted run leaves)",
		r.run, len(nodes), o.Namespace, o.Namespace, LabelRun, r.run)
	r.clusterObjects(ctx, res)

	// Deletion must happen whatever ends the run: a cancelled ctx would make
	// the DELETE requests fail too, so cleanup has its own time.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		res.Leftover = r.deleteAll(cctx)
	}()

	wave := o.MaxParallel
	if wave <= 0 || wave > len(nodes) {
		wave = len(nodes)
	}
	results := make([]NodeResult, len(nodes))
	for start := 0; start < len(nodes); start += wave {
		end := min(start+wave, len(nodes))
		at := o.Now().Add(o.StartDelay).Truncate(time.Second)
		if len(nodes) > wave {
			r.say("", "wave %d-%d of %d: common capture start %s", start+1, end, len(nodes), at.UTC().Format(time.RFC3339))
		} else {
			r.say("", "common capture start %s", at.UTC().Format(time.RFC3339))
		}
		var wg sync.WaitGroup
		for i := start; i < end; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = r.node(ctx, i, nodes[i], at)
				results[i].Wave = start / wave
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			for i := end; i < len(nodes); i++ {
				results[i] = NodeResult{Node: nodes[i], Err: fmt.Errorf("not started: %w", context.Cause(ctx))}
			}
			break
		}
	}
	res.Nodes = append(res.Nodes, results...)
	sort.Slice(res.Nodes, func(i, j int) bool { return res.Nodes[i].Node < res.Nodes[j].Node })
	return res, nil
}

func (r *runner) say(node, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if node != "" {
		fmt.Fprintf(r.out, "%s: ", node)
	}
	fmt.Fprintf(r.out, format+"\n", args...)
}

// chooseNodes lists the nodes (by selector) and checks the named ones exist:
// a node that does not is a failed node, not a failed run.
func (r *runner) chooseNodes(ctx context.Context, res *Result) ([]string, error) {
	p := "/api/v1/nodes"
	if r.o.Selector != "" && len(r.o.Nodes) == 0 {
		p += "?labelSelector=" + url.QueryEscape(r.o.Selector)
	}
	b, err := r.cl.Get(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	have := map[string]bool{}
	var all []string
	for _, it := range list.Items {
		if it.Metadata.Name != "" && !have[it.Metadata.Name] {
			have[it.Metadata.Name] = true
			all = append(all, it.Metadata.Name)
		}
	}
	if len(r.o.Nodes) == 0 {
		if len(all) == 0 {
			if r.o.Selector != "" {
				return nil, fmt.Errorf("no node matches --selector %q", r.o.Selector)
			}
			return nil, errors.New("the cluster lists no node")
		}
		sort.Strings(all)
		return all, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range r.o.Nodes {
		if seen[n] {
			continue
		}
		seen[n] = true
		if !have[n] {
			res.Nodes = append(res.Nodes, NodeResult{Node: n, Err: errors.New("no such node in the cluster")})
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("none of the nodes %s exists", strings.Join(r.o.Nodes, ","))
	}
	return out, nil
}

// checkNamespace fails early, with the fix, when deploy/rbac.yaml was not
// applied: otherwise every node would fail alike.
func (r *runner) checkNamespace(ctx context.Context) error {
	ns := url.PathEscape(r.o.Namespace)
	if _, err := r.cl.Get(ctx, "/api/v1/namespaces/"+ns); err != nil {
		if kubeapi.NotFound(err) {
			return fmt.Errorf("namespace %s does not exist: kubectl apply -f deploy/rbac.yaml (or pass --namespace)", r.o.Namespace)
		}
		return fmt.Errorf("namespace %s: %w", r.o.Namespace, err)
	}
	if _, err := r.cl.Get(ctx, "/api/v1/namespaces/"+ns+"/serviceaccounts/podnetdiag-collect"); err != nil {
		if kubeapi.NotFound(err) {
			return fmt.Errorf("service account %s/podnetdiag-collect does not exist: kubectl apply -f deploy/rbac.yaml", r.o.Namespace)
		}
		return fmt.Errorf("service account %s/podnetdiag-collect: %w", r.o.Namespace, err)
	}
	return nil
}

// clusterObjects reads the cluster-wide objects once, writes them as the
// cluster/ folder (a bundle of no node, manifest scope "cluster") and derives
// the addresses each node's collector would have read from them.
func (r *runner) clusterObjects(ctx context.Context, res *Result) {
	files, items, reds := collect.ClusterObjects(ctx, r.cl, r.o.ItemTimeout)
	res.ClusterItems = items
	ok := 0
	for _, it := range items {
		if it.Status == bundle.StatusOK {
			ok++
		} else {
			r.say("", "cluster object %s: %s: %s", it.Path, it.Status, oneLine(it.Error))
		}
	}
	r.say("", "cluster-wide objects: %d of %d read", ok, len(items))
	dir := filepath.Join(r.o.OutDir, ClusterDir)
	m := &bundle.Manifest{
		Schema: bundle.SchemaV1, Node: ClusterDir, Scope: bundle.ScopeCluster, CollectedAt: r.o.Now().UTC(),
		Collector: bundle.Collector{Name: collect.CollectorName + " cluster", Version: r.o.Version},
		Items:     items, Redactions: reds,
	}
	if err := writeDir(dir, files, m); err != nil {
		r.say("", "cluster-wide objects not written: %v", err)
	} else {
		res.ClusterDir = dir
	}
	r.hints = hintArgs(files)
}

// writeDir writes the cluster folder; paths come from the layout's constants.
func writeDir(dir string, files map[string][]byte, m *bundle.Manifest) error {
	mb, err := m.Marshal()
	if err != nil {
		return err
	}
	all := map[string][]byte{bundle.ManifestPath: mb}
	for p, b := range files {
		all[p] = b
	}
	for p, b := range all {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// hintArgs pass the DNS Service, the CoreDNS pods and the peer nodes to each
// node's collector, which then needs no cluster object of its own.
func hintArgs(files map[string][]byte) []string {
	var args []string
	if b, ok := files[collect.KubeDNSServicePath]; ok {
		if r, _ := kube.ParseServices(b); r != nil {
			for _, s := range r.Services {
				if s.ClusterIP.IsValid() {
					args = append(args, "--hint-dns-service="+s.ClusterIP.String())
					break
				}
			}
		}
	}
	if b, ok := files[bundle.KubeCoreDNSPodsPath]; ok {
		var ips []string
		if r, _ := kube.ParsePods(b); r != nil {
			for _, p := range r.Pods {
				if p.PodIP.IsValid() {
					ips = append(ips, p.PodIP.String())
				}
			}
		}
		if len(ips) > 0 {
			args = append(args, "--hint-dns-pods="+strings.Join(ips, ","))
		}
	}
	if b, ok := files[bundle.KubeNodesPath]; ok {
		var ips []netip.Addr
		if r, _ := kube.ParseNodes(b); r != nil {
			for i := range r.Nodes {
				if ip := r.Nodes[i].InternalIP(); ip.IsValid() && len(ips) < maxHintPeers {
					ips = append(ips, ip)
				}
			}
		}
		if len(ips) > 0 {
			s := make([]string, len(ips))
			for i, a := range ips {
				s[i] = a.String()
			}
			args = append(args, "--hint-peers="+strings.Join(s, ","))
		}
	}
	return args
}

// node runs one node: create its pod, wait for it to start, follow its log
// into the bundle file, check the pod's end, delete it.
func (r *runner) node(parent context.Context, i int, node string, at time.Time) NodeResult {
	start := r.o.Now()
	res := NodeResult{Node: node, CaptureAt: at}
	ctx, cancel := context.WithTimeout(parent, r.o.NodeTimeout)
	defer cancel()
	name := podName(r.run, i)
	res.Pod = name
	err := r.nodeRun(ctx, name, node, at, &res)
	if err != nil && parent.Err() != nil {
		err = fmt.Errorf("interrupted: %w", err)
	} else if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no bundle within %s: %w", r.o.NodeTimeout, err)
	}
	res.Err = err
	res.Duration = r.o.Now().Sub(start)
	if err != nil {
		r.say(node, "FAILED: %v", err)
	} else {
		r.say(node, "bundle %s (%d bytes) in %s", filepath.Base(res.Bundle), res.Size, res.Duration.Round(time.Second))
	}
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(parent), 15*time.Second)
	defer dcancel()
	if derr := r.deletePod(dctx, name); derr == nil {
		r.mu.Lock()
		delete(r.live, name)
		r.mu.Unlock()
	}
	return res
}

func (r *runner) nodeRun(ctx context.Context, name, node string, at time.Time, res *NodeResult) error {
	tpl, err := template()
	if err != nil {
		return err
	}
	args, err := templateArgs(tpl)
	if err != nil {
		return err
	}
	// The collector's own limit counts from its start, which the wait for the
	// common start is part of.
	limit := r.o.StartDelay + time.Duration(r.o.CaptureSeconds)*time.Second + collect.DefaultTimeout
	args = withArg(args, "--capture-seconds", strconv.Itoa(r.o.CaptureSeconds))
	args = withArg(args, "--timeout", limit.String())
	args = withArg(args, "--output", "-")
	args = withArg(args, "--node", node)
	args = withArg(args, "--capture-at", at.UTC().Format(time.RFC3339))
	args = withArg(args, "--skip-cluster-objects", "")
	args = append(args, r.hints...)
	body, err := podJSON(podSpec{Name: name, Namespace: r.o.Namespace, Node: node, Run: r.run, Image: r.o.Image,
		Args: args, Deadline: r.o.NodeTimeout})
	if err != nil {
		return err
	}
	r.say(node, "creating pod %s", name)
	base := "/api/v1/namespaces/" + url.PathEscape(r.o.Namespace) + "/pods"
	r.mu.Lock()
	// Recorded before the request: a POST whose answer is lost may still have
	// created the pod, and cleanup deletes by name (a 404 is fine).
	r.live[name] = node
	r.mu.Unlock()
	if _, err := r.cl.Do(ctx, "POST", base, body); err != nil {
		return fmt.Errorf("create pod: %w", err)
	}
	if err := r.waitStarted(ctx, base+"/"+name, node); err != nil {
		return err
	}
	r.say(node, "pod started; following its log")
	tmp, err := os.CreateTemp(r.o.OutDir, ".podnetdiag-"+name+"-*.partial")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	progress := func(line string) { r.say(node, "%s", oneLine(line)) }
	d, err := r.readLog(ctx, base+"/"+name+"/log?container="+containerName+"&follow=true", tmp, progress)
	if err != nil && ctx.Err() == nil {
		// The stream was cut: once the container has ended its whole log can
		// be read again from the start (unless the kubelet rotated it away).
		if werr := r.waitEnded(ctx, base+"/"+name); werr == nil {
			r.say(node, "log stream cut (%v); reading the log again", err)
			if _, serr := tmp.Seek(0, io.SeekStart); serr == nil && tmp.Truncate(0) == nil {
				d, err = r.readLog(ctx, base+"/"+name+"/log?container="+containerName, tmp, nil)
			}
		}
	}
	if err != nil {
		if why := r.podEnd(ctx, base+"/"+name); why != "" {
			return fmt.Errorf("%w (pod: %s)", err, why)
		}
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	final := filepath.Join(r.o.OutDir, d.Name)
	if _, err := os.Stat(final); err == nil {
		final = filepath.Join(r.o.OutDir, strings.TrimSuffix(d.Name, ".tgz")+"-"+name+".tgz")
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	res.Bundle, res.Size = final, d.Size
	return nil
}

func (r *runner) readLog(ctx context.Context, path string, out io.Writer, progress func(string)) (Decoded, error) {
	body, err := r.cl.Stream(ctx, path)
	if err != nil {
		return Decoded{}, fmt.Errorf("log: %w", err)
	}
	defer body.Close()
	d, err := Decode(body, out, r.o.MaxBundle, progress)
	if err != nil {
		return d, fmt.Errorf("log: %w", err)
	}
	return d, nil
}

// podStatus is the part of a Pod's status this package reads.
type podStatus struct {
	Status struct {
		Phase             string `json:"phase"`
		Reason            string `json:"reason"`
		Message           string `json:"message"`
		ContainerStatuses []struct {
			Name  string `json:"name"`
			State struct {
				Waiting *struct {
					Reason  string `json:"reason"`
					Message string `json:"message"`
				} `json:"waiting"`
				Running    *struct{} `json:"running"`
				Terminated *struct {
					ExitCode int    `json:"exitCode"`
					Reason   string `json:"reason"`
					Message  string `json:"message"`
				} `json:"terminated"`
			} `json:"state"`
		} `json:"containerStatuses"`
		Conditions []struct {
			Type    string `json:"type"`
			Status  string `json:"status"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"conditions"`
	} `json:"status"`
}

func (r *runner) getPod(ctx context.Context, path string) (*podStatus, error) {
	b, err := r.cl.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	var p podStatus
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("pod status: %w", err)
	}
	return &p, nil
}

// waitStarted polls until the collect container runs or has ended: only then
// does the kubelet serve its log. While it waits it remembers why (an image
// that cannot be pulled), so that a timeout says what held the pod.
func (r *runner) waitStarted(ctx context.Context, path, node string) error {
	last := ""
	for {
		p, err := r.getPod(ctx, path)
		if err == nil {
			switch p.Status.Phase {
			case "Running", "Succeeded", "Failed":
				return nil
			}
			why := pendingReason(p)
			if why != "" && why != last {
				r.say(node, "pod pending: %s", why)
				last = why
			}
		} else if ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			if last != "" {
				return fmt.Errorf("pod did not start (%s): %w", last, context.Cause(ctx))
			}
			return fmt.Errorf("pod did not start: %w", context.Cause(ctx))
		case <-time.After(r.o.Poll):
		}
	}
}

func pendingReason(p *podStatus) string {
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && w.Reason != "" {
			return strings.TrimSpace(w.Reason + " " + oneLine(w.Message))
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Status == "False" && c.Reason != "" {
			return strings.TrimSpace(c.Reason + " " + oneLine(c.Message))
		}
	}
	return ""
}

// waitEnded polls until the pod has ended.
func (r *runner) waitEnded(ctx context.Context, path string) error {
	for {
		p, err := r.getPod(ctx, path)
		if err == nil && (p.Status.Phase == "Succeeded" || p.Status.Phase == "Failed") {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(r.o.Poll):
		}
	}
}

// podEnd says how the pod ended, when it did (exit code, OOMKilled,
// DeadlineExceeded), to explain a log without a bundle.
func (r *runner) podEnd(ctx context.Context, path string) string {
	p, err := r.getPod(ctx, path)
	if err != nil {
		return ""
	}
	for _, c := range p.Status.ContainerStatuses {
		if t := c.State.Terminated; t != nil {
			return strings.TrimSpace(fmt.Sprintf("exit code %d %s %s", t.ExitCode, t.Reason, oneLine(t.Message)))
		}
	}
	if p.Status.Reason != "" {
		return strings.TrimSpace(p.Status.Phase + " " + p.Status.Reason + " " + oneLine(p.Status.Message))
	}
	return ""
}

func (r *runner) deletePod(ctx context.Context, name string) error {
	p := "/api/v1/namespaces/" + url.PathEscape(r.o.Namespace) + "/pods/" + url.PathEscape(name) + "?gracePeriodSeconds=0"
	_, err := r.cl.Do(ctx, "DELETE", p, nil)
	if err != nil && kubeapi.NotFound(err) {
		return nil
	}
	return err
}

// deleteAll deletes the pods still alive (an interrupted run's) and returns
// those it could not delete.
func (r *runner) deleteAll(ctx context.Context) []string {
	r.mu.Lock()
	names := make([]string, 0, len(r.live))
	for n := range r.live {
		names = append(names, n)
	}
	r.mu.Unlock()
	sort.Strings(names)
	var left []string
	for _, n := range names {
		if err := r.deletePod(ctx, n); err != nil {
			left = append(left, fmt.Sprintf("%s: %v", n, err))
			continue
		}
		r.mu.Lock()
		delete(r.live, n)
		r.mu.Unlock()
	}
	if len(names) > 0 {
		r.say("", "deleted %d pod(s) left by the run", len(names)-len(left))
	}
	return left
}

func oneLine(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
