package collect

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveObjects answers each request URI with its body, others with 404. The
// paging parameters are ignored: each list is one page.
func serveObjects(bodies map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Del("limit")
		q.Del("continue")
		key := r.URL.Path
		if len(q) > 0 {
			key += "?" + q.Encode()
		}
		body, ok := bodies[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write([]byte(body))
	}
}

// A plant is one secret and where it was put, in the form real clusters hold
// it. Every value is unique, so a grep finds exactly that plant.
type plant struct {
	where  string // file, object or command it was planted in
	secret string
}

// TestSecretsPlantedEverywhereNeverReachTheBundle plants more than 40 secrets
// in every place the collector reads text from (process environment, container
// logs, DaemonSet args and env, ConfigMap YAML, command output, files, command
// errors) and in every form (key=value, key: value, "key": "value", --flag=value,
// --flag value, YAML blocks and env pairs, and by shape: AWS keys, JWTs, PEM,
// bearer and basic auth, URL userinfo), then greps the compressed tarball, the
// uncompressed tar stream, every unpacked file and the progress output for each.
func TestSecretsPlantedEverywhereNeverReachTheBundle(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJQTEFOVDE1In0.PLANTjwtSig15abc"
	basic := base64.StdEncoding.EncodeToString([]byte("PLANT13user:PLANT13pw"))
	pemBody := "MIIPLANT16pemBodyAAAA"
	plants := []plant{
		{"env", "PLANT01etcdpw"}, {"env", "PLANT02typhakey"}, {"env", "PLANT03bgppass"},
		{"env", "AKIAPLANT04ZZZZZZZZZ"}, {"env", "PLANT05urlpw"}, {"env", "AKIAPLANT06YYYYYYYYY"},
		{"log", "PLANT07pw"}, {"log", "PLANT08tok"}, {"log", "PLANT09awssecretAbCdEfGh0123456789"},
		{"log", "PLANT10etcd"}, {"log", "PLANT11json"}, {"log", "PLANT12bearerXYZ"},
		{"log", basic}, {"log", "PLANT14etcdurl"}, {"log", jwt}, {"log", pemBody},
		{"log", "PLANT17flageq"}, {"log", "PLANT18flagsp"}, {"log", "PLANT19apikey"},
		{"log", "PLANT20single"}, {"log", "PLANT21query"}, {"log", "ghp_PLANT22aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"kube-proxy log", "PLANT23tok"}, {"kube-proxy log", "PLANT24cred"},
		{"daemonset", "PLANT25argeq"}, {"daemonset", "PLANT26argsp"}, {"daemonset", "PLANT27envpass"},
		{"daemonset", "PLANT28cmd"}, {"daemonset", "PLANT29annot"}, {"daemonset", "PLANT30url"},
		{"configmap", "PLANT31kctoken"}, {"configmap", "PLANT32block"}, {"configmap", "PLANT33envpair"},
		{"resolv.conf", "PLANT34file"}, {"iptables-save", "PLANT35ipt"}, {"nft", "PLANT36nftbearer"},
		{"sysctl", "PLANT37tfo"}, {"ipset error", "PLANT38err"}, {"conntrack error", "PLANT39err"},
		{"os-release", "PLANT40osr"}, {"log", "PLANT41privkey"}, {"os-release", "PLANT42passwd"},
		{"log", "PLANT43pass"}, {"log", "PLANT44cert"},
	}
	if len(plants) < 40 {
		t.Fatalf("only %d plants", len(plants))
	}

	f := newFakeNode(t)
	f.file("proc/4242/comm", "calico-node\n")
	f.file("proc/4242/cmdline", "calico-node\x00-felix\x00")
	f.file("proc/4242/environ", strings.Join([]string{
		"IP_AUTODETECTION_METHOD=interface=eth0", "FELIX_TCPKEEPALIVE=on",
		"ETCD_PASSWORD=PLANT01etcdpw", "FELIX_TYPHAKEYFILE=PLANT02typhakey", "BGP_PASS=PLANT03bgppass",
		"AWS_ACCESS_KEY_ID=AKIAPLANT04ZZZZZZZZZ", "ETCD_ENDPOINTS=https://root:PLANT05urlpw@10.0.0.1:2379",
		"BACKUP_ID=AKIAPLANT06YYYYYYYYY", "NODENAME=node-a", "",
	}, "\x00"))
	logLine := func(s string) string { return "2024-05-01T10:00:00.000000000Z stdout F " + s + "\n" }
	f.file("var/log/containers/calico-node-x7k2p_kube-system_calico-node-0123456789abcdef.log",
		logLine("[INFO] startup.go 123: Using autodetected IPv4 address on interface eth0: 192.168.20.11/24")+
			logLine("connecting password=PLANT07pw token=PLANT08tok monkey=banana tcp_keepalive=7200")+
			logLine("aws_secret_access_key = PLANT09awssecretAbCdEfGh0123456789")+
			logLine("ETCD_PASSWORD: PLANT10etcd")+
			logLine(`config {"password": "PLANT11json", "authoritative": "yes"}`)+
			logLine("request header Authorization: Bearer PLANT12bearerXYZ")+
			logLine("proxy header Authorization: Basic "+basic)+
			logLine("etcd at https://admin:PLANT14etcdurl@etcd:2379 reached")+
			logLine("service account "+jwt+" loaded")+
			logLine("-----BEGIN RSA PRIVATE KEY-----")+logLine(pemBody)+logLine("-----END RSA PRIVATE KEY-----")+
			logLine("exec bird --bgp-password=PLANT17flageq --as 64512")+
			logLine("exec bird --bgp-password PLANT18flagsp --as 64512")+
			logLine(`api_key: "PLANT19apikey"`)+
			logLine(`{'secret': 'PLANT20single'}`)+
			logLine("GET /cb?client_secret=PLANT21query&x=1")+
			logLine("git clone with ghp_PLANT22aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")+
			logLine(`{"privateKey":"PLANT41privkey"}`)+
			logLine("BGP_PASS=PLANT43pass")+
			logLine("tls_cert: PLANT44cert"))
	f.file("var/log/containers/kube-proxy-abcde_kube-system_kube-proxy-0123456789abcdef.log",
		logLine(`I0501 "msg" "token":"PLANT23tok" "mode":"ipvs"`)+logLine("Credential=PLANT24cred"))
	f.file("etc/resolv.conf", "nameserver 192.168.20.1\n# auth-token=PLANT34file\nsearch corp.example\n")
	f.file("etc/os-release", "NAME=\"Ubuntu\"\nAPI_KEY=\"PLANT40osr\"\nPASSWD=PLANT42passwd\n")
	f.script("iptables-save", `echo '*filter'; echo '-A INPUT -m comment --comment "bgp_password=PLANT35ipt" -j ACCEPT'; echo '-A KUBE-SERVICES -m comment --comment "default/secret-svc:https cluster IP" -j KUBE-SVC-X'; echo COMMIT`)
	f.script("nft", `echo 'table ip filter { chain input { comment "Authorization: Bearer PLANT36nftbearer" } }'`)
	f.script("ipset", `echo "ipset v7.15: login failed token=PLANT38err" >&2; exit 1`)
	f.script("conntrack", `echo "conntrack: private_key: PLANT39err" >&2; exit 1`)

	ds := `{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"calico-node","namespace":"kube-system","annotations":{"note":"password=PLANT29annot"}},
 "spec":{"template":{"spec":{"tolerations":[{"key":"CriticalAddonsOnly","operator":"Exists"}],"containers":[{"name":"calico-node","image":"calico/node:v3.26.1",
  "command":["sh","-c","calico-node --secret PLANT28cmd"],
  "args":["--bgp-password=PLANT25argeq","--bgp-password","PLANT26argsp","--felix"],
  "env":[{"name":"CALICO_IPV4POOL_IPIP","value":"Always"},{"name":"IP_AUTODETECTION_METHOD","value":"can-reach=192.168.20.1"},
  {"name":"BGP_PASS","value":"PLANT27envpass"},{"name":"ETCD_ENDPOINTS","value":"https://u:PLANT30url@10.0.0.1:2379"}]}]}}}}`
	cm := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kube-proxy","namespace":"kube-system"},
 "data":{"config.conf":"mode: ipvs\nclusterCIDR: 10.244.0.0/16\nextra:\n  password: |\n    PLANT32block\n  env:\n  - name: DB_PASSWORD\n    value: PLANT33envpair\n",
 "kubeconfig.conf":"apiVersion: v1\nusers:\n- name: default\n  user:\n    token: PLANT31kctoken\n"}}`
	srv := httptest.NewTLSServer(serveObjects(map[string]string{
		"/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node": ds,
		"/api/v1/namespaces/kube-system/configmaps/kube-proxy":        cm,
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kc := "clusters: [{name: k, cluster: {server: '" + srv.URL + "', certificate-authority-data: " + base64.StdEncoding.EncodeToString(ca) + "}}]\n" +
		"users: [{name: u, user: {token: kctok}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\ncurrent-context: c\n"
	kcPath := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(kcPath, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
	o.Kubeconfig = kcPath
	nat := fakeNative()
	nat.Sysctl = func(string) ([]byte, error) {
		return []byte("net.ipv4.ip_forward = 1\nnet.ipv4.tcp_keepalive_time = 7200\nnet.ipv4.tcp_fastopen_key = PLANT37tfo\n"), nil
	}
	o.Native = nat
	res, files, _ := collectOK(t, o)

	gz, rawTar := tarballBytes(t, res.Path)
	progress := o.Progress.(*syncBuffer).String()
	for _, p := range plants {
		s := []byte(p.secret)
		if bytes.Contains(gz, s) || bytes.Contains(rawTar, s) || strings.Contains(progress, p.secret) {
			t.Errorf("secret planted in %s (%s) found in the tarball or the progress output", p.where, p.secret)
		}
		for name, b := range files {
			if bytes.Contains(b, s) {
				t.Errorf("secret planted in %s (%s) found in %s", p.where, p.secret, name)
			}
		}
	}
	// The planting worked: every source was read (else nothing could leak).
	for _, name := range []string{"calico/calico-node-env.txt", "logs/calico-node.log", "calico/calico-node-daemonset.yaml",
		"kube/kube-proxy-config.yaml", "dns/resolv.conf", "host/os-release", "net/iptables-save.txt", "host/sysctl.txt"} {
		if len(files[name]) == 0 {
			t.Errorf("%s is empty or missing: the plant was not read", name)
		}
	}
	// Diagnostic data that merely looks like a secret name stays.
	all := string(rawTar)
	for _, keep := range []string{"IP_AUTODETECTION_METHOD=interface=eth0", "FELIX_TCPKEEPALIVE=on", "monkey=banana",
		"tcp_keepalive=7200", "net.ipv4.tcp_keepalive_time = 7200", `"authoritative": "yes"`, "CriticalAddonsOnly",
		"default/secret-svc:https", "can-reach=192.168.20.1", "--as 64512", "mode: ipvs"} {
		if !strings.Contains(all, keep) {
			t.Errorf("diagnostic data %q was redacted", keep)
		}
	}
	// The manifest lists redactions by file and key, never a value.
	if n := len(res.Manifest.Redactions); n < 40 {
		t.Errorf("%d redactions listed, want at least one per plant", n)
	}
	seen := map[string]bool{}
	for _, r := range res.Manifest.Redactions {
		seen[r.File] = true
		for _, p := range plants {
			if strings.Contains(r.Key, p.secret) || strings.Contains(r.Reason, p.secret) {
				t.Errorf("redaction entry %+v holds a secret", r)
			}
		}
	}
	for _, want := range []string{"calico/calico-node-env.txt", "logs/calico-node.log", "logs/kube-proxy.log", "dns/resolv.conf",
		"net/iptables-save.txt", "host/sysctl.txt", "manifest.json", "calico/calico-node-daemonset.yaml", "kube/kube-proxy-config.yaml"} {
		if !seen[want] {
			t.Errorf("no redaction listed for %s; files listed: %v", want, seen)
		}
	}
}
