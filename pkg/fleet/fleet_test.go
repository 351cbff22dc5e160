package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/collect/kubeapi"
)

// behaviour is how a stand-in node's pod acts.
type behaviour struct {
	pendingPolls int           // status polls answered Pending before Running
	neverStarts  string        // a waiting reason forever (ImagePullBackOff)
	lineDelay    time.Duration // a slow node: a pause before every log line
	crash        bool          // the collector dies before any bundle
	cutOnce      bool          // the followed stream is cut mid-bundle once
	corrupt      bool          // a byte of the bundle changes on the way
	createFails  bool          // the API refuses the pod
}

type fakePod struct {
	pod      corev1.Pod
	polls    int
	ended    bool
	follows  int
	created  time.Time
	captureA string
}

// fakeAPI stands in for an API server and its kubelets: nodes, the cluster
// objects, pods that run a fake collector whose log carries a real bundle.
type fakeAPI struct {
	t     *testing.T
	nodes map[string]behaviour
	order []string

	mu         sync.Mutex
	pods       map[string]*fakePod
	created    []string
	deleted    []string
	running    int
	maxLive    int
	requests   []string
	postedArgs [][]string
}

func newFakeAPI(t *testing.T, nodes map[string]behaviour) *fakeAPI {
	f := &fakeAPI{t: t, nodes: nodes, pods: map[string]*fakePod{}}
	for n := range nodes {
		f.order = append(f.order, n)
	}
	slices.Sort(f.order)
	return f
}

func (f *fakeAPI) nodeIP(n string) string {
	return fmt.Sprintf("192.168.20.%d", 10+slices.Index(f.order, n))
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	p := r.URL.Path
	const pods = "/api/v1/namespaces/podnetdiag/pods"
	switch {
	case r.Method == "GET" && p == "/api/v1/nodes":
		var items []string
		for _, n := range f.order {
			if sel := r.URL.Query().Get("labelSelector"); sel != "" && !strings.HasPrefix(n, "worker") {
				continue
			}
			items = append(items, fmt.Sprintf(`{"metadata":{"name":%q},"status":{"addresses":[{"type":"InternalIP","address":%q}]}}`, n, f.nodeIP(n)))
		}
		fmt.Fprintf(w, `{"kind":"NodeList","apiVersion":"v1","items":[%s]}`, strings.Join(items, ","))
	case r.Method == "GET" && (p == "/api/v1/namespaces/podnetdiag" || p == "/api/v1/namespaces/podnetdiag/serviceaccounts/podnetdiag-collect"):
		fmt.Fprint(w, `{}`)
	case r.Method == "GET" && p == "/api/v1/namespaces/kube-system/services/kube-dns":
		fmt.Fprint(w, `{"kind":"Service","apiVersion":"v1","metadata":{"name":"kube-dns","namespace":"kube-system"},"spec":{"clusterIP":"10.96.0.10","ports":[{"name":"dns","port":53,"protocol":"UDP"}]}}`)
	case r.Method == "GET" && p == "/api/v1/namespaces/kube-system/pods":
		fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"coredns-1","namespace":"kube-system"},"spec":{"nodeName":"worker-1"},"status":{"phase":"Running","podIP":"10.244.1.5"}}]}`)
	case r.Method == "POST" && p == pods:
		f.create(w, r)
	case strings.HasPrefix(p, pods+"/") && strings.HasSuffix(p, "/log"):
		f.log(w, r, strings.TrimSuffix(strings.TrimPrefix(p, pods+"/"), "/log"))
	case r.Method == "GET" && strings.HasPrefix(p, pods+"/"):
		f.status(w, strings.TrimPrefix(p, pods+"/"))
	case r.Method == "DELETE" && strings.HasPrefix(p, pods+"/"):
		name := strings.TrimPrefix(p, pods+"/")
		f.mu.Lock()
		defer f.mu.Unlock()
		fp, ok := f.pods[name]
		if !ok {
			notFound(w)
			return
		}
		if !fp.ended {
			f.running--
		}
		delete(f.pods, name)
		f.deleted = append(f.deleted, name)
		fmt.Fprint(w, `{}`)
	default:
		notFound(w)
	}
}

func notFound(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, `{"kind":"Status","message":"not found"}`)
}

// create decodes the posted pod strictly into corev1.Pod: what the fleet
// sends must be a valid Pod, not merely JSON.
func (f *fakeAPI) create(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var pod corev1.Pod
	strict, err := kjson.UnmarshalStrict(body, &pod)
	if err != nil || len(strict) > 0 {
		f.t.Errorf("posted pod: %v %v", err, strict)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if f.nodes[pod.Spec.NodeName].createFails {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"kind":"Status","message":"pods is forbidden: exceeded quota"}`)
		return
	}
	fp := &fakePod{pod: pod, created: time.Now()}
	for _, a := range pod.Spec.Containers[0].Args {
		if v, ok := strings.CutPrefix(a, "--capture-at="); ok {
			fp.captureA = v
		}
	}
	f.mu.Lock()
	f.pods[pod.Name] = fp
	f.created = append(f.created, pod.Name)
	f.postedArgs = append(f.postedArgs, pod.Spec.Containers[0].Args)
	f.running++
	f.maxLive = max(f.maxLive, f.running)
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

func (f *fakeAPI) status(w http.ResponseWriter, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fp, ok := f.pods[name]
	if !ok {
		notFound(w)
		return
	}
	b := f.nodes[fp.pod.Spec.NodeName]
	fp.polls++
	var st corev1.PodStatus
	switch {
	case b.neverStarts != "":
		st.Phase = corev1.PodPending
		st.ContainerStatuses = []corev1.ContainerStatus{{Name: "collect", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: b.neverStarts, Message: "Back-off pulling image"}}}}
	case fp.polls <= b.pendingPolls:
		st.Phase = corev1.PodPending
	case fp.ended && b.crash:
		st.Phase = corev1.PodFailed
		st.ContainerStatuses = []corev1.ContainerStatus{{Name: "collect", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}}
	case fp.ended:
		st.Phase = corev1.PodSucceeded
	default:
		st.Phase = corev1.PodRunning
	}
	_ = json.NewEncoder(w).Encode(corev1.Pod{Status: st})
}

// log plays the fake collector: progress, then the bundle framed.
func (f *fakeAPI) log(w http.ResponseWriter, r *http.Request, name string) {
	f.mu.Lock()
	fp, ok := f.pods[name]
	var b behaviour
	if ok {
		b = f.nodes[fp.pod.Spec.NodeName]
		if r.URL.Query().Get("follow") == "true" {
			fp.follows++
		}
	}
	f.mu.Unlock()
	if !ok {
		notFound(w)
		return
	}
	if r.URL.Query().Get("container") != "collect" {
		f.t.Errorf("log of container %q", r.URL.Query().Get("container"))
	}
	node := fp.pod.Spec.NodeName
	var log bytes.Buffer
	fmt.Fprintf(&log, "collecting node %s\nwaiting for the common capture start %s\n", node, fp.captureA)
	if !b.crash {
		data := fakeBundle(f.t, node)
		if b.corrupt {
			// One base64 character changes: same size, other bytes.
			var enc bytes.Buffer
			_ = Encode(&enc, node+"-20260101T000000Z.tgz", bytes.NewReader(data))
			lines := strings.SplitAfter(enc.String(), "\n")
			l := []byte(lines[1])
			l[10] = map[bool]byte{true: 'B', false: 'A'}[l[10] == 'A']
			lines[1] = string(l)
			log.WriteString(strings.Join(lines, ""))
		} else if err := Encode(&log, node+"-20260101T000000Z.tgz", bytes.NewReader(data)); err != nil {
			f.t.Error(err)
		}
	} else {
		log.WriteString("collect: write bundle: no space left on device\n")
	}
	lines := strings.SplitAfter(log.String(), "\n")
	cut := b.cutOnce && r.URL.Query().Get("follow") == "true" && fp.follows == 1
	fl, _ := w.(http.Flusher)
	for i, l := range lines {
		if cut && i == len(lines)/2 {
			break
		}
		if b.lineDelay > 0 {
			select {
			case <-time.After(b.lineDelay):
			case <-r.Context().Done():
				return
			}
		}
		if _, err := io.WriteString(w, l); err != nil {
			return
		}
		fl.Flush()
	}
	f.mu.Lock()
	fp.ended = true
	f.running--
	f.mu.Unlock()
}

func fakeBundle(t *testing.T, node string) []byte {
	var b bytes.Buffer
	bw := bundle.NewWriter(&b, node+"-20260101T000000Z")
	bw.SetManifest(&bundle.Manifest{Schema: bundle.SchemaV1, Node: node, CollectedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err := bw.AddFile(bundle.HostnamePath, []byte(node+"\n")); err != nil {
		t.Fatal(err)
	}
	if err := bw.AddFile(bundle.IPRoutePath, []byte("default via 192.168.20.1 dev eth0\n")); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// start serves f over TLS and returns a client trusting its certificate.
func (f *fakeAPI) start(t *testing.T) *kubeapi.Client {
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cl, err := kubeapi.New(&kubeapi.Config{Source: "test", Server: srv.URL, CAData: ca, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.CloseIdle)
	return cl
}

func testOptions(t *testing.T) Options {
	return Options{OutDir: t.TempDir(), StartDelay: 2 * time.Second, CaptureSeconds: 3, Poll: 10 * time.Millisecond, NodeTimeout: 5 * time.Second}
}

func TestFanOutKeepsGoingWhenNodesFailAndCleansUp(t *testing.T) {
	f := newFakeAPI(t, map[string]behaviour{
		"worker-1": {},
		"worker-2": {pendingPolls: 5},
		"worker-3": {lineDelay: 20 * time.Millisecond}, // slow, within the limit
		"worker-4": {crash: true},
		"worker-5": {neverStarts: "ImagePullBackOff"},
		"worker-6": {cutOnce: true},
		"worker-7": {corrupt: true},
		"worker-8": {createFails: true},
	})
	cl := f.start(t)
	o := testOptions(t)
	o.NodeTimeout = 3 * time.Second
	var progress bytes.Buffer
	o.Progress = &progress
	res, err := Run(context.Background(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"worker-1": "", "worker-2": "", "worker-3": "", "worker-6": "",
		"worker-4": "exit code 1",
		"worker-5": "ImagePullBackOff",
		"worker-7": "bundle end",
		"worker-8": "exceeded quota",
	}
	if len(res.Nodes) != len(want) {
		t.Fatalf("%d results", len(res.Nodes))
	}
	for _, n := range res.Nodes {
		w := want[n.Node]
		switch {
		case w == "" && n.Err != nil:
			t.Errorf("%s: %v", n.Node, n.Err)
		case w == "" && n.Err == nil:
			b, err := bundle.Open(n.Bundle, bundle.Options{})
			if err != nil {
				t.Errorf("%s: %v", n.Node, err)
				continue
			}
			host, _ := b.ReadFile(bundle.HostnamePath)
			if strings.TrimSpace(string(host)) != n.Node {
				t.Errorf("%s: bundle of %q", n.Node, host)
			}
			_ = b.Close()
		case n.Err == nil || !strings.Contains(n.Err.Error(), w):
			t.Errorf("%s: err %v, want %q", n.Node, n.Err, w)
		case n.Bundle != "":
			t.Errorf("%s: failed but bundle %s", n.Node, n.Bundle)
		}
	}
	if got := len(res.Failed()); got != 4 {
		t.Errorf("%d failed", got)
	}
	// Every pod created is deleted; nothing half-written is left.
	if len(f.pods) != 0 || len(res.Leftover) != 0 {
		t.Errorf("pods left: %v %v", f.pods, res.Leftover)
	}
	ents, _ := os.ReadDir(o.OutDir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".partial") {
			t.Errorf("left %s", e.Name())
		}
	}
	if !strings.Contains(progress.String(), "worker-3: waiting for the common capture start") {
		t.Errorf("no per-node progress of the collector:\n%s", progress.String())
	}
	if !strings.Contains(progress.String(), "worker-6: log stream cut") {
		t.Errorf("the cut stream was not read again:\n%s", progress.String())
	}
}

func TestEveryNodeOfAWaveGetsTheSameFutureCaptureStart(t *testing.T) {
	nodes := map[string]behaviour{}
	for i := range 7 {
		nodes[fmt.Sprintf("worker-%d", i)] = behaviour{pendingPolls: i}
	}
	f := newFakeAPI(t, nodes)
	cl := f.start(t)
	o := testOptions(t)
	o.MaxParallel = 3
	res, err := Run(context.Background(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if f.maxLive > 3 {
		t.Errorf("%d pods at once, --max-parallel 3", f.maxLive)
	}
	// One capture start per wave, the same for every node of the wave, and
	// never earlier than the previous wave's.
	starts := map[int]time.Time{}
	counts := map[int]int{}
	for _, n := range res.Nodes {
		if n.Err != nil {
			t.Fatalf("%s: %v", n.Node, n.Err)
		}
		counts[n.Wave]++
		if s, ok := starts[n.Wave]; ok && !s.Equal(n.CaptureAt) {
			t.Errorf("wave %d: starts %s and %s", n.Wave, s, n.CaptureAt)
		}
		starts[n.Wave] = n.CaptureAt
	}
	if len(counts) != 3 || counts[0] != 3 || counts[1] != 3 || counts[2] != 1 {
		t.Fatalf("nodes per wave %v, want 3 3 1", counts)
	}
	if starts[1].Before(starts[0]) || starts[2].Before(starts[1]) {
		t.Errorf("wave starts %v", starts)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.created) != 7 || len(f.deleted) != 7 {
		t.Fatalf("created %d deleted %d", len(f.created), len(f.deleted))
	}
}

func TestTheCaptureStartReachesThePodsAndLiesAhead(t *testing.T) {
	f := newFakeAPI(t, map[string]behaviour{"a": {}, "b": {}, "c": {pendingPolls: 3}})
	cl := f.start(t)
	o := testOptions(t)
	starts := map[string]string{}
	before := time.Now()
	res, err := Run(context.Background(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.Nodes {
		b, err := os.ReadFile(n.Bundle)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v", n.Node, err)
		}
		starts[n.CaptureAt.UTC().Format(time.RFC3339)] = n.Node
		if !n.CaptureAt.After(before) {
			t.Errorf("%s: capture start %s is not ahead of the run", n.Node, n.CaptureAt)
		}
	}
	if len(starts) != 1 {
		t.Errorf("capture starts %v, want one for all", starts)
	}
	// Each pod was told that same start on its command line.
	for _, args := range f.posted() {
		if !slices.Contains(args, "--capture-at="+res.Nodes[0].CaptureAt.UTC().Format(time.RFC3339)) {
			t.Errorf("pod args %v", args)
		}
	}
}

func TestPodsAreDeletedWhenTheRunIsInterrupted(t *testing.T) {
	f := newFakeAPI(t, map[string]behaviour{
		"worker-1": {lineDelay: time.Second}, // would take long
		"worker-2": {neverStarts: "ContainerCreating"},
		"worker-3": {},
	})
	cl := f.start(t)
	o := testOptions(t)
	o.NodeTimeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Interrupt once every pod exists.
		for {
			f.mu.Lock()
			n := len(f.created)
			f.mu.Unlock()
			if n == 3 {
				time.Sleep(100 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	res, err := Run(ctx, cl, o)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pods) != 0 {
		t.Errorf("pods left after the interrupt: %d", len(f.pods))
	}
	if len(f.deleted) != 3 {
		t.Errorf("deleted %v", f.deleted)
	}
	for _, n := range res.Nodes {
		if n.Node != "worker-3" && (n.Err == nil || !strings.Contains(n.Err.Error(), "interrupted")) {
			t.Errorf("%s: %v", n.Node, n.Err)
		}
	}
}

func TestClusterObjectsAreGatheredOnceAndNodesAreToldTheirAddresses(t *testing.T) {
	f := newFakeAPI(t, map[string]behaviour{"worker-1": {}, "worker-2": {}, "cp-1": {}})
	cl := f.start(t)
	o := testOptions(t)
	o.Selector = "node-role.kubernetes.io/worker="
	res, err := Run(context.Background(), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nodes) != 2 {
		t.Fatalf("selector chose %d nodes", len(res.Nodes))
	}
	b, err := bundle.Open(filepath.Join(o.OutDir, ClusterDir), bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Manifest == nil || b.Manifest.Scope != bundle.ScopeCluster {
		t.Fatalf("cluster manifest %+v", b.Manifest)
	}
	if !b.Exists(bundle.KubeNodesPath) || !b.Exists(bundle.KubeCoreDNSPodsPath) {
		t.Error("cluster objects missing")
	}
	if it, ok := b.Manifest.Lookup(bundle.CalicoIPPoolsPath); !ok || it.Status != bundle.StatusSkipped {
		t.Errorf("a missing object is not recorded as skipped: %+v", it)
	}
	nodeLists := 0
	for _, r := range f.requests {
		if r == "GET /api/v1/nodes" {
			nodeLists++
		}
	}
	if nodeLists != 2 { // the choice of nodes, and kube/nodes.json
		t.Errorf("nodes listed %d times", nodeLists)
	}
	for _, fp := range f.posted() {
		args := strings.Join(fp, " ")
		for _, want := range []string{"--skip-cluster-objects", "--hint-dns-service=10.96.0.10", "--hint-dns-pods=10.244.1.5", "--hint-peers=", "--output=-", "--root=/host"} {
			if !strings.Contains(args, want) {
				t.Errorf("pod args %q lack %s", args, want)
			}
		}
	}
}

// posted returns the collect args of every pod posted.
func (f *fakeAPI) posted() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.postedArgs
}
