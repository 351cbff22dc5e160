package collect

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/collect/kubeapi"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/dnslog"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
)

// dnsStandIn is a stand-in API server for the DNS items: a DNS Service of
// any name and labels, its EndpointSlices (and Endpoints or not), CoreDNS
// pods selected by the Service's selector, their logs (a pod without a log
// answers 403), this node's NodeLocal DNSCache pod, and a decoy: an Endpoints
// object named kube-dns that belongs to no DNS Service found, so that reading
// endpoints by the fixed name shows.
type dnsStandIn struct {
	node      string
	svcName   string
	svcLabels map[string]string
	selector  map[string]string
	// endpointsObject: the Service also has an Endpoints object (mirrored).
	endpointsObject bool
	podIPs          []string // one CoreDNS pod per address: coredns-0, coredns-1, ...
	logs            map[string]string
	nodeLocalLog    *string // nil: 403
	gone            string  // a pod deleted since listed: its log answers 404
	// servicesDenied: listing and getting Services answers 403.
	servicesDenied bool
	// secret is planted in every object (annotations, env, labels' values).
	secret string
	extra  map[string]string // other paths (serveObjects keys)
}

func matchSelector(sel string, labels map[string]string) bool {
	if sel == "" {
		return true
	}
	for _, req := range strings.Split(sel, ",") {
		k, v, _ := strings.Cut(req, "=")
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (d *dnsStandIn) podName(i int) string { return fmt.Sprintf("coredns-7d8f9b-%d", i) }

func (d *dnsStandIn) handler() http.HandlerFunc {
	deny := func(w http.ResponseWriter, what string) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"%s is forbidden: User \"system:node:%s\" cannot get resource","code":403}`, what, d.node)
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	svc := map[string]any{
		"metadata": map[string]any{"name": d.svcName, "namespace": "kube-system", "labels": d.svcLabels,
			"annotations": map[string]any{
				"kubectl.kubernetes.io/last-applied-configuration": `{"metadata":{"annotations":{"token":"` + d.secret + `-lastapplied"}}}`,
				"example.com/db-password":                          d.secret + "-svcannot",
			},
			"managedFields": []any{map[string]any{"manager": "helm", "fieldsV1": map[string]any{"f:spec": map[string]any{}}}}},
		"spec": map[string]any{"clusterIP": "10.43.0.10", "clusterIPs": []any{"10.43.0.10"}, "selector": d.selector,
			"ports": []any{map[string]any{"name": "udp-53", "port": 53, "protocol": "UDP", "targetPort": 53}, map[string]any{"name": "tcp-53", "port": 53, "protocol": "TCP", "targetPort": 53}}},
	}
	decoy := map[string]any{"metadata": map[string]any{"name": "unrelated", "namespace": "kube-system", "labels": map[string]any{"k8s-app": "metrics-server"}},
		"spec": map[string]any{"clusterIP": "10.43.7.7"}}
	var pods, addrs []any
	for i, ip := range d.podIPs {
		labels := map[string]any{"pod-template-hash": "7d8f9b"}
		for k, v := range d.selector {
			labels[k] = v
		}
		pods = append(pods, map[string]any{
			"metadata": map[string]any{"name": d.podName(i), "namespace": "kube-system", "labels": labels,
				"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": `{"token":"` + d.secret + `-podlastapplied"}`}},
			"spec": map[string]any{"nodeName": fmt.Sprintf("node-%c", 'b'+i), "containers": []any{
				map[string]any{"name": "coredns", "image": "rancher/hardened-coredns:v1.10.1", "args": []any{"-conf", "/etc/coredns/Corefile", "--token=" + d.secret + "-podarg"},
					"env": []any{map[string]any{"name": "UPSTREAM_API_KEY", "value": d.secret + "-podenv"}}},
			}},
			"status": map[string]any{"phase": "Running", "podIP": ip, "containerStatuses": []any{map[string]any{"name": "coredns", "ready": true, "restartCount": 3}}},
		})
		addrs = append(addrs, map[string]any{"addresses": []any{ip}, "conditions": map[string]any{"ready": true},
			"nodeName": fmt.Sprintf("node-%c", 'b'+i), "targetRef": map[string]any{"kind": "Pod", "name": d.podName(i), "namespace": "kube-system"}})
	}
	nodeLocal := map[string]any{"metadata": map[string]any{"name": "node-local-dns-x7k2p", "namespace": "kube-system", "labels": map[string]any{"k8s-app": "node-local-dns"}},
		"spec": map[string]any{"nodeName": d.node, "hostNetwork": true, "containers": []any{map[string]any{"name": "node-cache"}}}}
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/kube-system/")
		switch {
		case p == "services" && d.servicesDenied, strings.HasPrefix(p, "services/") && d.servicesDenied:
			deny(w, "services")
		case p == "services":
			var items []any
			for _, s := range []map[string]any{svc, decoy} {
				md := s["metadata"].(map[string]any)
				labels := map[string]string{}
				switch l := md["labels"].(type) {
				case map[string]string:
					labels = l
				case map[string]any:
					for k, v := range l {
						labels[k] = v.(string)
					}
				}
				if matchSelector(q.Get("labelSelector"), labels) {
					items = append(items, s)
				}
			}
			w.Write(js(map[string]any{"kind": "ServiceList", "apiVersion": "v1", "metadata": map[string]any{}, "items": items}))
		case p == "services/"+d.svcName:
			w.Write(js(svc))
		case p == "endpoints/"+d.svcName && d.endpointsObject:
			var subAddrs []any
			for _, ip := range d.podIPs {
				subAddrs = append(subAddrs, map[string]any{"ip": ip})
			}
			w.Write(js(map[string]any{"kind": "Endpoints", "apiVersion": "v1", "metadata": map[string]any{"name": d.svcName, "namespace": "kube-system"},
				"subsets": []any{map[string]any{"addresses": subAddrs, "ports": []any{map[string]any{"name": "udp-53", "port": 53, "protocol": "UDP"}}}}}))
		case p == "endpoints/kube-dns" && d.svcName != "kube-dns":
			w.Write(js(map[string]any{"kind": "Endpoints", "apiVersion": "v1", "metadata": map[string]any{"name": "kube-dns", "namespace": "kube-system"},
				"subsets": []any{map[string]any{"addresses": []any{map[string]any{"ip": "10.99.99.99"}}, "ports": []any{map[string]any{"port": 53, "protocol": "UDP"}}}}}))
		case r.URL.Path == "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices":
			var items []any
			if q.Get("labelSelector") == "kubernetes.io/service-name="+d.svcName {
				items = append(items, map[string]any{
					"metadata":    map[string]any{"name": d.svcName + "-abcde", "namespace": "kube-system", "labels": map[string]any{"kubernetes.io/service-name": d.svcName}},
					"addressType": "IPv4", "endpoints": addrs,
					"ports": []any{map[string]any{"name": "udp-53", "port": 53, "protocol": "UDP"}}})
			}
			w.Write(js(map[string]any{"kind": "EndpointSliceList", "apiVersion": "discovery.k8s.io/v1", "metadata": map[string]any{}, "items": items}))
		case p == "pods":
			var items []any
			sel := q.Get("labelSelector")
			for _, pod := range pods {
				labels := map[string]string{}
				for k, v := range pod.(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any) {
					labels[k] = v.(string)
				}
				if matchSelector(sel, labels) && q.Get("fieldSelector") == "" {
					items = append(items, pod)
				}
			}
			if sel == "k8s-app=node-local-dns" && q.Get("fieldSelector") == "spec.nodeName="+d.node {
				items = append(items, nodeLocal)
			}
			w.Write(js(map[string]any{"kind": "PodList", "apiVersion": "v1", "metadata": map[string]any{}, "items": items}))
		case strings.HasPrefix(p, "pods/") && strings.HasSuffix(p, "/log"):
			pod := strings.TrimSuffix(strings.TrimPrefix(p, "pods/"), "/log")
			if pod == "node-local-dns-x7k2p" {
				if d.nodeLocalLog == nil || q.Get("container") != "node-cache" {
					deny(w, "pods/log")
					return
				}
				io.WriteString(w, *d.nodeLocalLog)
				return
			}
			if pod == d.gone {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"kind":"Status","message":"pods \"`+pod+`\" not found","code":404}`)
				return
			}
			l, ok := d.logs[pod]
			if !ok || q.Get("container") != "coredns" || q.Get("tailLines") == "" || q.Get("limitBytes") == "" {
				deny(w, "pods/log")
				return
			}
			io.WriteString(w, l)
		default:
			serveObjects(d.extra)(w, r)
		}
	}
}

// kubeconfigFor writes a kubeconfig for srv and returns its path.
func kubeconfigFor(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kc := "clusters: [{name: k, cluster: {server: '" + srv.URL + "', certificate-authority-data: " + base64.StdEncoding.EncodeToString(ca) + "}}]\n" +
		"users: [{name: u, user: {token: kctok}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\ncurrent-context: c\n"
	p := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(p, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (d *dnsStandIn) serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(d.handler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(srv.Close)
	return kubeconfigFor(t, srv)
}

const corednsLoopLog = "2024-05-01T10:00:00.000000000Z [INFO] plugin/reload: Running configuration SHA512 = 591cf3\n" +
	"2024-05-01T10:00:01.000000000Z [FATAL] plugin/loop: Loop (127.0.0.1:46817 -> :53) detected for zone \".\", see https://coredns.io/plugins/loop#troubleshooting. Query: \"HINFO 4547991504243258144.3688648895315093531.\"\n"

const corednsTimeoutLog = "2024-05-01T10:00:02.000000000Z [ERROR] plugin/errors: 2 example.com. A: read udp 10.42.1.5:52331->192.168.20.1:53: i/o timeout\n"

// endpointIPs are the addresses of the endpoints file, sorted.
func endpointIPs(t *testing.T, data []byte) ([]string, []string) {
	t.Helper()
	r, ds := kube.ParseEndpoints(data)
	if hasError(ds) {
		t.Fatalf("endpoints file: %v\n%s", ds, data)
	}
	var ips, kinds []string
	for _, it := range r.Items {
		kinds = append(kinds, it.Kind+"/"+it.Service)
		for _, a := range it.Addresses {
			ips = append(ips, a.IP.String())
		}
	}
	sort.Strings(ips)
	return ips, kinds
}

func TestDNSServiceIsFoundByLabelAndItsEndpointsPodsAndLogsFollowIt(t *testing.T) {
	nodeLocalLog := "2024-05-01T10:00:00Z [INFO] Starting node-cache\n2024-05-01T10:00:01Z listen udp 169.254.20.10:53: bind: address already in use\n"
	for _, tc := range []struct {
		name string
		d    dnsStandIn
		// what the bundle must hold
		wantSvc      string
		wantIPs      string // endpoints' addresses, sorted, comma-joined
		wantEPKinds  string
		wantPods     int
		wantLogPods  int
		wantLog      map[string]string // path -> status
		wantPartial  bool              // coredns.log partial
		wantSvcState string
	}{
		{
			name: "RKE2: labelled k8s-app=kube-dns, named rke2-coredns-rke2-coredns, EndpointSlices only",
			d: dnsStandIn{svcName: "rke2-coredns-rke2-coredns", svcLabels: map[string]string{"k8s-app": "kube-dns", "app.kubernetes.io/instance": "rke2-coredns"},
				selector: map[string]string{"app.kubernetes.io/instance": "rke2-coredns", "k8s-app": "kube-dns"}, podIPs: []string{"10.42.1.5", "10.42.2.7"},
				logs: map[string]string{"coredns-7d8f9b-0": corednsLoopLog, "coredns-7d8f9b-1": corednsTimeoutLog}, nodeLocalLog: &nodeLocalLog},
			wantSvc: "rke2-coredns-rke2-coredns", wantIPs: "10.42.1.5,10.42.2.7", wantEPKinds: "EndpointSlice/rke2-coredns-rke2-coredns", wantPods: 2, wantLogPods: 2,
			wantLog: map[string]string{bundle.CorednsLogPath: bundle.StatusOK, bundle.NodeLocalDNSLogPath: bundle.StatusOK}, wantSvcState: bundle.StatusOK,
		},
		{
			name: "CoreDNS Helm chart: labelled app.kubernetes.io/name=coredns, Endpoints and slices, one log forbidden, NodeLocal's log forbidden",
			d: dnsStandIn{svcName: "coredns", svcLabels: map[string]string{"app.kubernetes.io/name": "coredns"}, endpointsObject: true,
				selector: map[string]string{"app.kubernetes.io/name": "coredns", "app.kubernetes.io/instance": "coredns"}, podIPs: []string{"10.42.1.5", "10.42.2.7"},
				logs: map[string]string{"coredns-7d8f9b-1": corednsTimeoutLog}},
			wantSvc: "coredns", wantIPs: "10.42.1.5,10.42.1.5,10.42.2.7,10.42.2.7", wantEPKinds: "Endpoints/coredns EndpointSlice/coredns", wantPods: 2, wantLogPods: 1,
			wantLog: map[string]string{bundle.CorednsLogPath: bundle.StatusError, bundle.NodeLocalDNSLogPath: bundle.StatusForbidden}, wantPartial: true, wantSvcState: bundle.StatusOK,
		},
		{
			name: "Services forbidden: the endpoints named kube-dns, pods by k8s-app=kube-dns",
			d: dnsStandIn{svcName: "kube-dns", servicesDenied: true, endpointsObject: true, selector: map[string]string{"k8s-app": "kube-dns"},
				podIPs: []string{"10.42.1.5"}, logs: map[string]string{"coredns-7d8f9b-0": corednsLoopLog}, nodeLocalLog: &nodeLocalLog},
			wantIPs: "10.42.1.5,10.42.1.5", wantEPKinds: "Endpoints/kube-dns EndpointSlice/kube-dns", wantPods: 1, wantLogPods: 1,
			wantLog: map[string]string{bundle.CorednsLogPath: bundle.StatusOK, bundle.NodeLocalDNSLogPath: bundle.StatusOK}, wantSvcState: bundle.StatusForbidden,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNode(t)
			tc.d.node = "node-a"
			tc.d.secret = "PLANTDNS"
			o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
			o.Kubeconfig = tc.d.serve(t)
			res, files, _ := collectOK(t, o)
			if os.Getenv("DEBUGDNS") != "" {
				for _, p := range []string{bundle.KubeDNSServicePath, bundle.KubeDNSEndpointsPath, bundle.CorednsLogPath, bundle.NodeLocalDNSLogPath, bundle.ManifestPath} {
					t.Logf("%s:\n%s", p, files[p])
				}
			}

			if it := item(t, res, bundle.KubeDNSServicePath); it.Status != tc.wantSvcState {
				t.Errorf("DNS Service item %+v, want %s", it, tc.wantSvcState)
			}
			if tc.wantSvc != "" {
				svcs, ds := kube.ParseServices(files[bundle.KubeDNSServicePath])
				if hasError(ds) || len(svcs.Services) != 1 || svcs.Services[0].Name != tc.wantSvc {
					t.Errorf("dns-service.json: %+v %v\n%s", svcs, ds, files[bundle.KubeDNSServicePath])
				}
				if strings.Contains(string(files[bundle.KubeDNSServicePath]), "unrelated") {
					t.Error("a Service without the DNS labels was kept")
				}
				if p := o.Progress.(*syncBuffer).String(); !strings.Contains(p, "DNS Service: "+tc.wantSvc+" (found by label ") {
					t.Errorf("the Service found is not said:\n%s", p)
				}
			}
			ips, kinds := endpointIPs(t, files[bundle.KubeDNSEndpointsPath])
			if got := strings.Join(ips, ","); got != tc.wantIPs || strings.Join(kinds, " ") != tc.wantEPKinds {
				t.Errorf("endpoints %s of %v, want %s of %s\n%s", got, kinds, tc.wantIPs, tc.wantEPKinds, files[bundle.KubeDNSEndpointsPath])
			}
			pods, ds := kube.ParsePods(files[bundle.KubeCoreDNSPodsPath])
			if hasError(ds) || len(pods.Pods) != tc.wantPods {
				t.Errorf("coredns-pods.json: %d pods %v", len(pods.Pods), ds)
			}
			for path, want := range tc.wantLog {
				if it := item(t, res, path); it.Status != want {
					t.Errorf("%s: %+v, want %s", path, it, want)
				}
			}
			cl := item(t, res, bundle.CorednsLogPath)
			if cl.Partial != tc.wantPartial || tc.wantPartial && !strings.Contains(cl.Error, "forbidden") {
				t.Errorf("coredns.log item %+v: partial %v, want %v and the 403 said", cl, cl.Partial, tc.wantPartial)
			}
			// The analyzer's parser reads what was written: one block per pod.
			lg, ds := dnslog.Parse(files[bundle.CorednsLogPath])
			if hasError(ds) || len(lg.Blocks) != tc.wantLogPods {
				t.Errorf("coredns.log: %d blocks %v\n%s", len(lg.Blocks), ds, files[bundle.CorednsLogPath])
			}
			if strings.Contains(string(files[bundle.CorednsLogPath]), "plugin/loop") && lg.Count(dnslog.KindLoop) != 1 {
				t.Errorf("the loop line was not read: %+v", lg.Events)
			}
			if it := item(t, res, bundle.NodeLocalDNSLogPath); it.Status == bundle.StatusOK {
				nl, ds := dnslog.Parse(files[bundle.NodeLocalDNSLogPath])
				if hasError(ds) || nl.Count(dnslog.KindBind) != 1 {
					t.Errorf("node-local-dns.log: %+v %v", nl, ds)
				}
			} else if it.Status == bundle.StatusForbidden && !strings.Contains(it.Error, "forbidden") {
				t.Errorf("node-local-dns.log forbidden without the API's message: %+v", it)
			}
			// Route lookups follow the Service found (its cluster IP).
			if tc.wantSvc != "" && !strings.Contains(string(files[bundle.RouteGetPath]), "# ip route get 10.43.0.10\n") {
				t.Errorf("route-get lacks the DNS Service found:\n%s", files[bundle.RouteGetPath])
			}
			for name, b := range files {
				if bytes.Contains(b, []byte("PLANTDNS")) {
					t.Errorf("a planted secret reached %s", name)
				}
			}
		})
	}
}

// TestSecretsInDNSObjectsAndLogsNeverReachTheBundle plants secrets in the
// new items' sources (CoreDNS and NodeLocal DNSCache log lines, the DNS
// Service's annotations and last-applied-configuration, CoreDNS pods' args
// and env) and greps the compressed tarball, the tar stream and every
// unpacked file for each.
func TestSecretsInDNSObjectsAndLogsNeverReachTheBundle(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJETlNQTEFOVCJ9.DNSPLANTjwtSig"
	secrets := []string{
		"DNSPLANT01pw", "DNSPLANT02tok", "DNSPLANT03awssecretAbCdEfGh0123", "AKIADNSPLANT04ZZZZZZ", "DNSPLANT05json",
		"DNSPLANT06bearer", jwt, "DNSPLANT08url", "DNSPLANT09flag", "DNSPLANT10nl", "DNSPLANT11nljson",
		"DNSPLANT12-lastapplied", "DNSPLANT12-svcannot", "DNSPLANT12-podlastapplied", "DNSPLANT12-podarg", "DNSPLANT12-podenv",
	}
	ts := "2024-05-01T10:00:00.000000000Z "
	corednsLog := ts + "[INFO] plugin/reload: Running configuration\n" +
		ts + "[ERROR] plugin/errors: upstream auth failed password=DNSPLANT01pw token=DNSPLANT02tok\n" +
		ts + "aws_secret_access_key = DNSPLANT03awssecretAbCdEfGh0123 key id AKIADNSPLANT04ZZZZZZ\n" +
		ts + `[WARNING] config {"password": "DNSPLANT05json", "authoritative": "yes"}` + "\n" +
		ts + "[INFO] request header Authorization: Bearer DNSPLANT06bearer\n" +
		ts + "[INFO] service account " + jwt + " loaded\n" +
		ts + "[ERROR] plugin/forward: https://admin:DNSPLANT08url@dns.example:853 unreachable\n" +
		ts + "[INFO] started with --api-token=DNSPLANT09flag\n" +
		corednsTimeoutLog
	nodeLocalLog := ts + "[INFO] Starting node-cache with secret: DNSPLANT10nl\n" +
		ts + `{"level":"info","credentials":"DNSPLANT11nljson","msg":"setup"}` + "\n"
	d := dnsStandIn{node: "node-a", svcName: "rke2-coredns-rke2-coredns", svcLabels: map[string]string{"k8s-app": "kube-dns"},
		selector: map[string]string{"k8s-app": "kube-dns"}, podIPs: []string{"10.42.1.5", "10.42.2.7"},
		logs: map[string]string{"coredns-7d8f9b-0": corednsLog, "coredns-7d8f9b-1": corednsLog}, nodeLocalLog: &nodeLocalLog,
		secret: "DNSPLANT12"}
	f := newFakeNode(t)
	o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
	o.Kubeconfig = d.serve(t)
	res, files, _ := collectOK(t, o)

	gz, rawTar := tarballBytes(t, res.Path)
	progress := o.Progress.(*syncBuffer).String()
	for _, s := range secrets {
		if bytes.Contains(gz, []byte(s)) || bytes.Contains(rawTar, []byte(s)) || strings.Contains(progress, s) {
			t.Errorf("secret %s found in the tarball or the progress output", s)
		}
		for name, b := range files {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("secret %s found in %s", s, name)
			}
		}
	}
	// The plants were read: the files exist and kept what diagnoses.
	for path, keep := range map[string]string{
		bundle.CorednsLogPath:       "read udp 10.42.1.5:52331->192.168.20.1:53: i/o timeout",
		bundle.NodeLocalDNSLogPath:  "Starting node-cache",
		bundle.KubeDNSServicePath:   "10.43.0.10",
		bundle.KubeCoreDNSPodsPath:  "rancher/hardened-coredns",
		bundle.KubeDNSEndpointsPath: "10.42.2.7",
	} {
		if !strings.Contains(string(files[path]), keep) {
			t.Errorf("%s lacks %q:\n%s", path, keep, files[path])
		}
	}
	if !strings.Contains(string(files[bundle.CorednsLogPath]), `"authoritative": "yes"`) {
		t.Error("diagnostic data that looks like a secret name was redacted")
	}
	seen := map[string]int{}
	for _, r := range res.Manifest.Redactions {
		seen[r.File]++
		for _, s := range secrets {
			if strings.Contains(r.Key, s) || strings.Contains(r.Reason, s) {
				t.Errorf("redaction entry %+v holds a secret", r)
			}
		}
	}
	for _, p := range []string{bundle.CorednsLogPath, bundle.NodeLocalDNSLogPath, bundle.KubeDNSServicePath, bundle.KubeCoreDNSPodsPath} {
		if seen[p] == 0 {
			t.Errorf("no redaction listed for %s: %v", p, seen)
		}
	}
}

// TestClusterObjectsGatherTheDNSItemsOnce: collect cluster reads the DNS
// Service, its endpoints, the CoreDNS pods and their logs once, as a node's
// collection would, with the same statuses (a 403 is "forbidden").
func TestClusterObjectsGatherTheDNSItemsOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		logs    map[string]string
		gone    string
		wantLog string
	}{
		{"logs served", map[string]string{"coredns-7d8f9b-0": corednsLoopLog}, "", bundle.StatusOK},
		{"logs denied", nil, "", bundle.StatusForbidden},
		{"the pod deleted since listed", nil, "coredns-7d8f9b-0", bundle.StatusSkipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dnsStandIn{node: "node-a", svcName: "kube-dns", svcLabels: map[string]string{"k8s-app": "kube-dns"},
				selector: map[string]string{"k8s-app": "kube-dns"}, podIPs: []string{"10.42.1.5"}, logs: tc.logs, gone: tc.gone, secret: "CLUSTERPLANT"}
			srv := httptest.NewTLSServer(d.handler())
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			defer srv.Close()
			cfg, err := kubeapi.LoadKubeconfig(kubeconfigFor(t, srv))
			if err != nil {
				t.Fatal(err)
			}
			cl, err := kubeapi.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			files, items, _ := ClusterObjects(context.Background(), cl, 5*time.Second)
			status := map[string]bundle.Item{}
			for _, it := range items {
				if _, dup := status[it.Path]; dup {
					t.Errorf("%s recorded twice", it.Path)
				}
				status[it.Path] = it
			}
			for p, want := range map[string]string{bundle.KubeDNSServicePath: bundle.StatusOK, bundle.KubeDNSEndpointsPath: bundle.StatusOK,
				bundle.KubeCoreDNSPodsPath: bundle.StatusOK, bundle.CorednsLogPath: tc.wantLog} {
				if it := status[p]; it.Status != want {
					t.Errorf("%s: %+v, want %s", p, it, want)
				}
				if want == bundle.StatusOK && len(files[p]) == 0 {
					t.Errorf("%s not returned", p)
				}
			}
			if _, ok := status[bundle.NodeLocalDNSLogPath]; ok {
				t.Error("the NodeLocal DNSCache log is a node's, not the cluster's")
			}
			for p, b := range files {
				if bytes.Contains(b, []byte("CLUSTERPLANT")) {
					t.Errorf("a planted secret reached %s", p)
				}
			}
		})
	}
}
