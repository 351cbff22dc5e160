package collect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// The memory tests run the collector in a child process (this test binary,
// re-executed) so that its peak RSS (VmHWM of /proc/self/status) measures the
// collection alone; the stand-in API server runs in the parent, generating its
// answers on the fly, so that neither its memory nor a 62 MB list held in
// memory counts. The child applies the collect command's soft memory limit
// (DefaultMemoryLimit) as its guard: a collector that needs more than the
// bound fails the assertion instead of the machine.
const (
	memChildEnv    = "PODNETDIAG_KUBE_MEMCHILD"
	memServerEnv   = "PODNETDIAG_KUBE_MEMSERVER"
	memCAEnv       = "PODNETDIAG_KUBE_MEMCA"
	memResultTag   = "KUBE-MEM-RESULT "
	memBoundBytes  = 256 << 20
	memNodesTarget = 62 << 20 // the node list of issue 11: 62 MB
)

// fakeNodeJSON renders one realistic Node as the API server sends it: labels,
// Calico's annotations, managedFields of the kubelet and Calico, 50 images in
// status (a busy node's image cache), conditions, nodeInfo. About 12 KB.
func fakeNodeJSON(w io.Writer, i int) {
	name := fmt.Sprintf("worker-%05d.prod.example.internal", i)
	ip := fmt.Sprintf("10.%d.%d.%d", 20+i/65025, (i/255)%255, i%255+1)
	var imgs strings.Builder
	for k := 0; k < 50; k++ {
		if k > 0 {
			imgs.WriteByte(',')
		}
		fmt.Fprintf(&imgs, `{"names":["registry.example.internal/team-%02d/service-%03d@sha256:%064d","registry.example.internal/team-%02d/service-%03d:v1.%d.%d"],"sizeBytes":%d}`,
			k%20, k, i*100+k, k%20, k, k, i%10, 50000000+k*1000)
	}
	var mf strings.Builder
	for k := 0; k < 6; k++ {
		if k > 0 {
			mf.WriteByte(',')
		}
		fmt.Fprintf(&mf, `{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2024-05-01T10:00:0%dZ","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:node.alpha.kubernetes.io/ttl":{},"f:volumes.kubernetes.io/controller-managed-attach-detach":{}},"f:labels":{".":{},"f:beta.kubernetes.io/arch":{},"f:beta.kubernetes.io/os":{},"f:kubernetes.io/arch":{},"f:kubernetes.io/hostname":{},"f:kubernetes.io/os":{}}},"f:status":{"f:conditions":{"k:{\"type\":\"DiskPressure\"}":{"f:lastHeartbeatTime":{}},"k:{\"type\":\"MemoryPressure\"}":{"f:lastHeartbeatTime":{}},"k:{\"type\":\"PIDPressure\"}":{"f:lastHeartbeatTime":{}},"k:{\"type\":\"Ready\"}":{"f:lastHeartbeatTime":{},"f:message":{},"f:reason":{}}},"f:images":{},"f:nodeInfo":{"f:bootID":{}}}},"subresource":"status"}`, k)
	}
	fmt.Fprintf(w, `{"metadata":{"name":%q,"uid":"0d5c7a3e-%08d-4bb1-9b44-7a8d2f6c1e90","resourceVersion":"%d","creationTimestamp":"2024-01-01T00:00:00Z",`+
		`"labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":%q,"kubernetes.io/os":"linux","node-role.kubernetes.io/worker":"","topology.kubernetes.io/zone":"zone-%d"},`+
		`"annotations":{"node.alpha.kubernetes.io/ttl":"0","projectcalico.org/IPv4Address":"%s/16","projectcalico.org/IPv4VXLANTunnelAddr":"10.244.%d.%d","volumes.kubernetes.io/controller-managed-attach-detach":"true"},`+
		`"managedFields":[%s]},`+
		`"spec":{"podCIDR":"10.244.%d.0/24","podCIDRs":["10.244.%d.0/24"],"providerID":"aws:///eu-west-1a/i-%017d"},`+
		`"status":{"capacity":{"cpu":"16","ephemeral-storage":"203070420Ki","hugepages-2Mi":"0","memory":"65842224Ki","pods":"110"},"allocatable":{"cpu":"15890m","ephemeral-storage":"187149698763","hugepages-2Mi":"0","memory":"64715824Ki","pods":"110"},`+
		`"conditions":[{"type":"MemoryPressure","status":"False","lastHeartbeatTime":"2024-05-01T10:00:00Z","lastTransitionTime":"2024-01-01T00:00:00Z","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available"},{"type":"DiskPressure","status":"False","lastHeartbeatTime":"2024-05-01T10:00:00Z","lastTransitionTime":"2024-01-01T00:00:00Z","reason":"KubeletHasNoDiskPressure","message":"kubelet has no disk pressure"},{"type":"PIDPressure","status":"False","lastHeartbeatTime":"2024-05-01T10:00:00Z","lastTransitionTime":"2024-01-01T00:00:00Z","reason":"KubeletHasSufficientPID","message":"kubelet has sufficient PID available"},{"type":"Ready","status":"True","lastHeartbeatTime":"2024-05-01T10:00:00Z","lastTransitionTime":"2024-01-01T00:00:00Z","reason":"KubeletReady","message":"kubelet is posting ready status"}],`+
		`"addresses":[{"type":"InternalIP","address":%q},{"type":"Hostname","address":%q}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},`+
		`"nodeInfo":{"machineID":"ec2%029d","systemUUID":"ec2%029d","bootID":"b%031d","kernelVersion":"5.15.0-1051-aws","osImage":"Ubuntu 22.04.3 LTS","containerRuntimeVersion":"containerd://1.7.2","kubeletVersion":"v1.28.5","kubeProxyVersion":"v1.28.5","operatingSystem":"linux","architecture":"amd64"},`+
		`"images":[%s]}}`,
		name, i, 1000+i, name, i%3, ip, i/256, i%256, mf.String(), i%256, i%256, i, ip, name, i, i, i, imgs.String())
}

// nodeCount is how many fake nodes make memNodesTarget bytes.
func nodeCount() int {
	var b bytes.Buffer
	fakeNodeJSON(&b, 1)
	return memNodesTarget/(b.Len()+1) + 1
}

// memAPI is the stand-in API server of the memory tests. Modes:
//   - paged: honours ?limit= and ?continue= as the API server does;
//   - unpaged: ignores limit and sends the whole 62 MB list at once;
//   - hostile: every list is endless (items until the client hangs up) and
//     every single object a 64 MB answer of one giant string.
func hostileList(path string) bool {
	for _, o := range kubeObjects {
		if o.list && strings.SplitN(o.urls[0], "?", 2)[0] == path {
			return true
		}
	}
	return false
}

func memAPI(mode string, total int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		bw := bufio.NewWriterSize(w, 64<<10)
		defer bw.Flush()
		q := r.URL.Query()
		isNodes := r.URL.Path == "/api/v1/nodes"
		switch {
		case mode == "hostile" && hostileList(r.URL.Path):
			bw.WriteString(`{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[`)
			for i := 0; ; i++ {
				if i > 0 {
					bw.WriteByte(',')
				}
				fakeNodeJSON(bw, i)
				if bw.Flush() != nil || r.Context().Err() != nil {
					return
				}
			}
		case mode == "hostile":
			bw.WriteString(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"},"data":{"big":"`)
			chunk := bytes.Repeat([]byte("A"), 64<<10)
			for n := 0; n < 64<<20; n += len(chunk) {
				if _, err := bw.Write(chunk); err != nil {
					return
				}
			}
			bw.WriteString(`"}}`)
		case isNodes:
			start, _ := strconv.Atoi(q.Get("continue"))
			limit, _ := strconv.Atoi(q.Get("limit"))
			if mode == "unpaged" || limit <= 0 {
				start, limit = 0, total
			}
			end := min(start+limit, total)
			cont := ""
			if end < total {
				cont = strconv.Itoa(end)
			}
			fmt.Fprintf(bw, `{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"99","continue":%q},"items":[`, cont)
			for i := start; i < end; i++ {
				if i > start {
					bw.WriteByte(',')
				}
				fakeNodeJSON(bw, i)
			}
			bw.WriteString("]}\n")
		default:
			w.WriteHeader(http.StatusNotFound)
			bw.WriteString(`{"kind":"Status","message":"not found"}`)
		}
	}
}

type memResult struct {
	PeakKB int64         `json:"peakKB"`
	Ms     int64         `json:"ms"`
	Items  []bundle.Item `json:"items"`
	Nodes  int           `json:"nodes"` // nodes in kube/nodes.json
	Size   int64         `json:"size"`
	Kept   int64         `json:"kept"` // bytes of kube/ and calico/*.yaml API files
}

// TestKubeAPIMemoryBoundedOnHugeAndHostileAnswers is issue 11's "memory
// bounded" class for the collector: a 62 MB node list from a paging server
// and from one that ignores limit, and a hostile server whose answers never
// end, each collected under 256 MiB peak RSS, every cap hit recorded.
func TestKubeAPIMemoryBoundedOnHugeAndHostileAnswers(t *testing.T) {
	if os.Getenv(memChildEnv) != "" {
		t.Skip("the child process runs TestKubeMemoryChild only")
	}
	if testing.Short() {
		t.Skip("generates and collects 62 MB lists")
	}
	if raceEnabled {
		t.Skip("the race detector's own memory would be measured")
	}
	total := nodeCount()
	for _, tc := range []struct {
		mode        string
		wantNodes   int  // nodes written, -1: at least one
		wantPartial bool // nodes.json marked partial
	}{
		{"paged", total, false},
		{"unpaged", total, false},
		{"hostile", -1, true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			srv := httptest.NewTLSServer(memAPI(tc.mode, total))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			defer srv.Close()
			ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
			args := []string{"-test.run=^TestKubeMemoryChild$", "-test.v", "-test.count=1"}
			if prof := os.Getenv("PODNETDIAG_KUBE_MEMPROFILE"); prof != "" {
				args = append(args, "-test.memprofile="+prof+"."+tc.mode)
			}
			cmd := exec.Command(os.Args[0], args...)
			// The child runs as the collect command does: GOMEMLIMIT unset,
			// DefaultMemoryLimit applied. PODNETDIAG_KUBE_MEMLIMIT=off
			// measures without any limit (the figures of the closing note).
			env := []string{memChildEnv + "=" + tc.mode, memServerEnv + "=" + srv.URL, memCAEnv + "=" + base64.StdEncoding.EncodeToString(ca)}
			for _, e := range os.Environ() {
				if !strings.HasPrefix(e, "GOMEMLIMIT=") {
					env = append(env, e)
				}
			}
			if os.Getenv("PODNETDIAG_KUBE_MEMLIMIT") == "off" {
				env = append(env, "GOMEMLIMIT=off")
			}
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, tail(out, 4000))
			}
			var res memResult
			for _, ln := range strings.Split(string(out), "\n") {
				if s, ok := strings.CutPrefix(strings.TrimSpace(ln), memResultTag); ok {
					if err := json.Unmarshal([]byte(s), &res); err != nil {
						t.Fatal(err)
					}
				}
			}
			if res.PeakKB == 0 {
				t.Fatalf("no result from the child:\n%s", tail(out, 4000))
			}
			t.Logf("%s: %d nodes served (%d MB list), peak RSS %.1f MiB, collect %d ms, bundle %d bytes, %d nodes kept, API files %d bytes",
				tc.mode, total, memNodesTarget>>20, float64(res.PeakKB)/1024, res.Ms, res.Size, res.Nodes, res.Kept)
			if res.PeakKB*1024 >= memBoundBytes {
				t.Errorf("peak RSS %d KiB, want below %d MiB", res.PeakKB, memBoundBytes>>20)
			}
			var nodes bundle.Item
			for _, it := range res.Items {
				if it.Path == bundle.KubeNodesPath {
					nodes = it
				}
			}
			if tc.wantNodes >= 0 && res.Nodes != tc.wantNodes || tc.wantNodes < 0 && res.Nodes < 1 {
				t.Errorf("%d nodes in kube/nodes.json, want %d", res.Nodes, tc.wantNodes)
			}
			if nodes.Partial != tc.wantPartial {
				t.Errorf("kube/nodes.json item %+v: partial %v, want %v", nodes, nodes.Partial, tc.wantPartial)
			}
			if tc.wantPartial && (nodes.Status != bundle.StatusError || !strings.Contains(nodes.Error, "truncated")) {
				t.Errorf("a cap hit is not said: %+v", nodes)
			}
			if tc.mode == "hostile" {
				// Every endless list is cut and says so; every single object
				// answered with 64 MB is refused, saying so.
				for _, it := range res.Items {
					if it.Status == bundle.StatusOK {
						t.Errorf("%s accepted from an endless or 64 MB answer: %+v", it.Path, it)
					}
					if it.Partial && !strings.Contains(it.Error, "truncated") {
						t.Errorf("%s partial without saying truncated: %+v", it.Path, it)
					}
				}
				if res.Kept > kubeMaxKeptTotal+memNodesTarget/10 {
					t.Errorf("%d bytes of API files kept, cap %d", res.Kept, kubeMaxKeptTotal)
				}
			}
		})
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// TestKubeMemoryChild is the child of the test above: one collection against
// the parent's server, then its own peak RSS.
func TestKubeMemoryChild(t *testing.T) {
	mode := os.Getenv(memChildEnv)
	if mode == "" {
		t.Skip("run by TestKubeAPIMemoryBoundedOnHugeAndHostileAnswers in a subprocess")
	}
	ca, err := base64.StdEncoding.DecodeString(os.Getenv(memCAEnv))
	if err != nil {
		t.Fatal(err)
	}
	SetDefaultMemoryLimit(os.Getenv)
	f := newFakeNode(t)
	kc := "clusters: [{name: k, cluster: {server: '" + os.Getenv(memServerEnv) + "', certificate-authority-data: " + base64.StdEncoding.EncodeToString(ca) + "}}]\n" +
		"users: [{name: u, user: {token: tok}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\ncurrent-context: c\n"
	kcPath := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(kcPath, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
	o.Kubeconfig = kcPath
	o.ItemTimeout = 60 * time.Second
	o.Timeout = 180 * time.Second
	start := time.Now()
	res, err := Collect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Since(start).Milliseconds()
	peak := vmHWM(t)
	r := memResult{PeakKB: peak, Ms: ms, Size: res.Size}
	for _, it := range res.Manifest.Items {
		if it.Source == bundle.SourceKubectl {
			r.Items = append(r.Items, it)
		}
	}
	// Count the nodes kept without holding the file twice over.
	b, err := bundle.Open(res.Path, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, it := range r.Items {
		if fi, err := fs.Stat(b.FS, it.Path); err == nil {
			r.Kept += fi.Size()
		}
	}
	if rc, err := b.Open(bundle.KubeNodesPath); err == nil {
		var list struct {
			Items []struct {
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			} `json:"items"`
		}
		if err := json.NewDecoder(rc).Decode(&list); err != nil {
			t.Errorf("kube/nodes.json: %v", err)
		}
		rc.Close()
		r.Nodes = len(list.Items)
	}
	js, _ := json.Marshal(r)
	fmt.Println(memResultTag + string(js))
}

// vmHWM is the process's peak resident set size in KiB.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(ln, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}
