package collect

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/calico"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/envfile"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
)

// secrets planted in the node's sources; none may reach the bundle.
var planted = []string{
	"ENVSECRET-etcd-password-1",
	"ENVSECRET-typha-key-2",
	"https-cred-pw-3",
	"DSSECRET-env-value-4",
	"DSSECRET-lastapplied-5",
	"CMSECRET-kubeconfig-token-6",
	"KCSECRET-bearer-token-7",
	"KCSECRET-other-password-8",
	"KCSECRET-client-key-9",
	"LOGSECRET-bearer-10",
	"SECRETDATA-11",
}

const calicoNodeDaemonSet = `{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"calico-node","namespace":"kube-system",
 "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"ETCD_PASSWORD\",\"value\":\"DSSECRET-lastapplied-5\"}]}]}}}}"}},
 "spec":{"template":{"spec":{"containers":[{"name":"calico-node","image":"calico/node:v3.26.1","env":[
  {"name":"CALICO_IPV4POOL_CIDR","value":"10.244.0.0/16"},
  {"name":"CALICO_IPV4POOL_IPIP","value":"Always"},
  {"name":"IP_AUTODETECTION_METHOD","value":"can-reach=192.168.20.1"},
  {"name":"DATASTORE_PASSWORD","value":"DSSECRET-env-value-4"},
  {"name":"FELIX_VXLANPORT","value":"4789"}]}]}}}}`

const kubeProxyConfigMap = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kube-proxy","namespace":"kube-system"},
 "data":{"config.conf":"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nclusterCIDR: 10.244.0.0/16\n",
 "kubeconfig.conf":"apiVersion: v1\nusers:\n- name: default\n  user:\n    token: CMSECRET-kubeconfig-token-6\n"}}`

const corednsPods = `{"kind":"PodList","items":[{"metadata":{"name":"coredns-1","namespace":"kube-system","labels":{"k8s-app":"kube-dns"}},
 "spec":{"nodeName":"node-b"},"status":{"phase":"Running","podIP":"10.244.1.5","conditions":[{"type":"Ready","status":"True"}]}},
 {"kind":"Secret","metadata":{"name":"stray"},"data":{"x":"SECRETDATA-11"}}]}`

const kubeDNSService = `{"kind":"Service","metadata":{"name":"kube-dns","namespace":"kube-system"},"spec":{"clusterIP":"10.96.0.10","ports":[{"name":"dns","port":53,"protocol":"UDP"}]}}`

func TestSecretsNeverReachTheBundle(t *testing.T) {
	f := newFakeNode(t)
	// calico-node's process and environment.
	f.file("proc/4242/comm", "calico-node\n")
	f.file("proc/4242/cmdline", "calico-node\x00-felix\x00")
	f.file("proc/4242/environ", strings.Join([]string{
		"CALICO_NETWORKING_BACKEND=bird", "IP_AUTODETECTION_METHOD=interface=eth0",
		"ETCD_PASSWORD=ENVSECRET-etcd-password-1", "FELIX_TYPHAKEYFILE=ENVSECRET-typha-key-2",
		"ETCD_ENDPOINTS=https://user:https-cred-pw-3@10.0.0.1:2379", "NODENAME=node-a", "",
	}, "\x00"))
	f.file("proc/77/comm", "bash\n")
	f.file("var/log/containers/calico-node-x7k2p_kube-system_calico-node-0123456789abcdef.log",
		"2024-05-01T10:00:00.000000000Z stdout F 2024-05-01 10:00:00.000 [INFO][1] startup.go 123: Using autodetected IPv4 address on interface eth0: 192.168.20.11/24\n"+
			"2024-05-01T10:00:01.000000000Z stdout F request header Authorization: Bearer LOGSECRET-bearer-10\n")
	f.file("var/log/containers/calico-node-x7k2p_kube-system_install-cni-0123456789abcdef.log", "install log\n")

	// The API server: answers only with the kubeconfig's bearer token.
	var authed atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer KCSECRET-bearer-token-7" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		authed.Add(1)
		serveObjects(map[string]string{
			"/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node":          calicoNodeDaemonSet,
			"/api/v1/namespaces/kube-system/configmaps/kube-proxy":                 kubeProxyConfigMap,
			"/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns": corednsPods,
			"/api/v1/namespaces/kube-system/services/kube-dns":                     kubeDNSService,
			"/api/v1/nodes": `{"kind":"NodeList","items":[{"kind":"Node","metadata":{"name":"node-a"},"status":{"addresses":[{"type":"InternalIP","address":"192.168.20.11"}]}},{"kind":"Node","metadata":{"name":"node-b"},"status":{"addresses":[{"type":"InternalIP","address":"192.168.20.12"}]}}]}`,
			"/api/v1/namespaces/kube-system/endpoints/kube-dns":  `{"kind":"Endpoints","metadata":{"name":"kube-dns"},"subsets":[{"addresses":[{"ip":"10.244.1.5","nodeName":"node-b"}],"ports":[{"port":53,"protocol":"UDP"}]}]}`,
			"/apis/crd.projectcalico.org/v1/ippools":             `{"kind":"IPPoolList","items":[{"kind":"IPPool","metadata":{"name":"default-ipv4-ippool"},"spec":{"cidr":"10.244.0.0/16","ipipMode":"Always","vxlanMode":"Never","natOutgoing":true}}]}`,
			"/apis/crd.projectcalico.org/v1/felixconfigurations": `{"kind":"FelixConfigurationList","items":[{"kind":"FelixConfiguration","metadata":{"name":"default"},"spec":{"vxlanPort":4790}}]}`,
		}).ServeHTTP(w, r)
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kc := "apiVersion: v1\ncurrent-context: admin\ncontexts:\n- name: admin\n  context: {cluster: k, user: admin}\n" +
		"clusters:\n- name: k\n  cluster:\n    server: " + srv.URL + "\n    certificate-authority-data: " + base64.StdEncoding.EncodeToString(ca) + "\n" +
		"users:\n- name: admin\n  user:\n    token: KCSECRET-bearer-token-7\n" +
		"- name: other\n  user:\n    password: KCSECRET-other-password-8\n    client-key-data: " + base64.StdEncoding.EncodeToString([]byte("KCSECRET-client-key-9")) + "\n"
	kcPath := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(kcPath, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}

	o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
	o.Kubeconfig = kcPath
	res, files, _ := collectOK(t, o)
	if authed.Load() < 8 {
		t.Errorf("the API server saw %d authenticated requests, want 8", authed.Load())
	}

	// Grep every byte of the bundle, the tarball itself included.
	raw, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range planted {
		for name, b := range files {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("secret %q found in %s", s, name)
			}
		}
		if bytes.Contains(raw, []byte(s)) || strings.Contains(o.Progress.(*syncBuffer).String(), s) {
			t.Errorf("secret %q found in the tarball or the progress output", s)
		}
	}

	// What was redacted is listed, by file and key, without values.
	reds := map[string]bool{}
	for _, r := range res.Manifest.Redactions {
		reds[r.File+" "+r.Key] = true
	}
	for _, want := range []string{
		bundle.CalicoEnvPath + " ETCD_PASSWORD",
		bundle.CalicoEnvPath + " FELIX_TYPHAKEYFILE",
		bundle.CalicoEnvPath + " ETCD_ENDPOINTS",
		bundle.CalicoDaemonSetPath + " spec.template.spec.containers[0].env[DATASTORE_PASSWORD]",
		bundle.CalicoNodeLogPath + " log",
	} {
		if !reds[want] {
			t.Errorf("redaction %q not listed; got %v", want, res.Manifest.Redactions)
		}
	}

	// The redacted files still say what the analyzer needs.
	env, diags := envfile.Parse(files[bundle.CalicoEnvPath])
	if v, _ := env.Get("IP_AUTODETECTION_METHOD"); v.Value != "interface=eth0" || len(diags) != 0 {
		t.Errorf("calico env: %+v %v", v, diags)
	}
	if v, _ := env.Get("ETCD_PASSWORD"); !v.Redacted() {
		t.Errorf("ETCD_PASSWORD = %q", v.Value)
	}
	ds, diags := calico.ParseDaemonSet(files[bundle.CalicoDaemonSetPath])
	if hasError(diags) || ds == nil {
		t.Fatalf("DaemonSet YAML: %v\n%s", diags, files[bundle.CalicoDaemonSetPath])
	}
	if !strings.Contains(string(files[bundle.CalicoDaemonSetPath]), "value: \"4789\"") {
		t.Errorf("the string \"4789\" lost its quotes in YAML:\n%s", files[bundle.CalicoDaemonSetPath])
	}
	pools, diags := calico.ParseIPPools(files[bundle.CalicoIPPoolsPath])
	if hasError(diags) || len(pools.Pools) != 1 {
		t.Errorf("IP pools: %+v %v", pools, diags)
	}
	proxy, diags := kube.ParseKubeProxyConfig(files[bundle.KubeProxyConfigPath])
	if hasError(diags) || proxy == nil {
		t.Errorf("kube-proxy config: %v\n%s", diags, files[bundle.KubeProxyConfigPath])
	}
	if !strings.Contains(string(files[bundle.CalicoNodeLogPath]), "Using autodetected IPv4 address on interface eth0") {
		t.Errorf("calico-node log: %q", files[bundle.CalicoNodeLogPath])
	}
	// What the kube objects taught: the VXLAN port of the FelixConfiguration and
	// the CoreDNS pod are used for route lookups.
	rg := string(files[bundle.RouteGetPath])
	for _, want := range []string{"# ip route get 10.244.1.5\n", "# ip route get 192.168.20.12\n", "# ip route get 10.96.0.10\n"} {
		if !strings.Contains(rg, want) {
			t.Errorf("route-get lacks %q", want)
		}
	}
}

func hasError(ds []diagT) bool {
	for _, d := range ds {
		if d.Severity >= diagError {
			return true
		}
	}
	return false
}

func TestADeniedCredentialGivesWayToTheNextAndAMissingObjectIsSkipped(t *testing.T) {
	f := newFakeNode(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer kubelet":
			// The node authorizer lets a kubelet read nodes only.
			if r.URL.Path != "/api/v1/nodes" {
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"kind":"Status","message":"forbidden: node may not read this"}`))
				return
			}
		case "Bearer admin":
		default:
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/api/v1/nodes":
			w.Write([]byte(`{"kind":"NodeList","items":[]}`))
		case "/api/v1/namespaces/kube-system/endpoints/kube-dns":
			w.Write([]byte(`{"kind":"Endpoints","metadata":{"name":"kube-dns"}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"kind":"Status","message":"not found"}`))
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	defer srv.Close()
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	kc := func(tok string) string {
		return "clusters: [{name: k, cluster: {server: '" + srv.URL + "', certificate-authority-data: " + ca + "}}]\n" +
			"users: [{name: u, user: {token: " + tok + "}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\ncurrent-context: c\n"
	}
	// $KUBECONFIG lists a missing file and the kubelet's credentials; they come
	// before /etc/kubernetes/admin.conf, which is the one allowed to read all.
	f.file("etc/kubernetes/admin.conf", kc("admin"))
	dir := t.TempDir()
	kubeletPath := filepath.Join(dir, "kubelet")
	os.WriteFile(kubeletPath, []byte(kc("kubelet")), 0o600)
	f.env["KUBECONFIG"] = filepath.Join(dir, "missing") + ":" + kubeletPath
	o := f.options(filepath.Join(dir, "b.tgz"))
	res, files, _ := collectOK(t, o)
	if len(files[bundle.KubeNodesPath]) == 0 || len(files[bundle.KubeDNSEndpointsPath]) == 0 {
		t.Errorf("objects missing: nodes %q endpoints %q", files[bundle.KubeNodesPath], files[bundle.KubeDNSEndpointsPath])
	}
	if it := item(t, res, bundle.CalicoIPPoolsPath); it.Status != bundle.StatusSkipped || !strings.Contains(it.Error, "not found") {
		t.Errorf("IP pools of a cluster without Calico CRDs: %+v", it)
	}
	if it := item(t, res, bundle.KubeDNSEndpointsPath); it.Status != bundle.StatusOK {
		t.Errorf("endpoints: %+v", it)
	}
	if p := o.Progress.(*syncBuffer).String(); !strings.Contains(p, "kubernetes API: "+kubeletPath) || !strings.Contains(p, "; then "+filepath.Join(f.root, "etc/kubernetes/admin.conf")) {
		t.Errorf("credentials not announced in order:\n%s", p)
	}
}
