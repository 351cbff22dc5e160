package redact

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/envfile"
)

func TestMarkerIsWhatTheEnvParserRecognises(t *testing.T) {
	if Marker != envfile.Redacted {
		t.Fatalf("Marker %q != envfile.Redacted %q", Marker, envfile.Redacted)
	}
}

func TestSecretName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"ETCD_KEY_FILE", true},
		{"FELIX_TYPHAKEYFILE", true},
		{"client-key-data", true},
		{"certificate-authority-data", true},
		{"token", true},
		{"tokenFile", true},
		{"DB_PASSWORD", true},
		{"MyPasswd", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"AUTH_HEADER", true},
		{"private_key", true},
		{"CREDENTIALS", true},
		{"KUBERNETES_SERVICE_PORT", false},
		{"KUBERNETES_SERVICE_HOST", false},
		{"IP_AUTODETECTION_METHOD", false},
		{"CALICO_IPV4POOL_CIDR", false},
		{"CALICO_IPV4POOL_IPIP", false},
		{"FELIX_VXLANPORT", false},
		{"NODENAME", false},
		{"DATASTORE_TYPE", false},
		{"CLUSTER_TYPE", false},
	}
	for _, tt := range tests {
		if got := SecretName(tt.name); got != tt.want {
			t.Errorf("SecretName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEnvironRedactsByNameAndShapeAndKeepsTheRest(t *testing.T) {
	raw := "PATH=/usr/bin\x00ETCD_KEY=supersecretkey\x00IP_AUTODETECTION_METHOD=can-reach=8.8.8.8\x00" +
		"EMPTY_TOKEN=\x00ETCD_ENDPOINTS=https://root:hunter2@10.0.0.1:2379\x00" +
		"CNI_NETWORK_CONFIG={\n  \"a\": 1\n}\x00QUOTED='x'\x00FELIX_IPINIPENABLED=true\x00" +
		"KUBE_TOKEN_FLAG=eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl\x00" +
		"OTHER=Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl\x00"
	out, reds := Environ("calico/calico-node-env.txt", []byte(raw))
	s := string(out)
	for _, secret := range []string{"supersecretkey", "hunter2", "eyJhbGci", "c2lnbmF0dXJl"} {
		if strings.Contains(s, secret) {
			t.Errorf("secret %q left in output:\n%s", secret, s)
		}
	}
	res, diags := envfile.Parse(out)
	for _, d := range diags {
		t.Errorf("envfile diagnostic on redacted output: %v", d)
	}
	want := map[string]string{
		"PATH":                    "/usr/bin",
		"ETCD_KEY":                Marker,
		"IP_AUTODETECTION_METHOD": "can-reach=8.8.8.8",
		"EMPTY_TOKEN":             "",
		"ETCD_ENDPOINTS":          "https://root:" + Marker + "@10.0.0.1:2379",
		"CNI_NETWORK_CONFIG":      `{\n  "a": 1\n}`,
		"QUOTED":                  "'x'",
		"FELIX_IPINIPENABLED":     "true",
		"KUBE_TOKEN_FLAG":         Marker,
	}
	for k, v := range want {
		got, ok := res.Get(k)
		if !ok || got.Value != v {
			t.Errorf("%s = %q (present %v), want %q", k, got.Value, ok, v)
		}
	}
	keys := map[string]bool{}
	for _, r := range reds {
		if r.File != "calico/calico-node-env.txt" {
			t.Errorf("redaction file %q", r.File)
		}
		keys[r.Key] = true
	}
	for _, k := range []string{"ETCD_KEY", "ETCD_ENDPOINTS", "KUBE_TOKEN_FLAG", "OTHER"} {
		if !keys[k] {
			t.Errorf("no redaction recorded for %s; got %v", k, reds)
		}
	}
	if keys["EMPTY_TOKEN"] {
		t.Error("an empty value was recorded as redacted")
	}
}

func TestEnvLinesRedactsWrittenEnvFiles(t *testing.T) {
	in := "# comment\nFOO=bar\nMY_SECRET=abc\nexport API_TOKEN=xyz\n"
	out, reds := EnvLines("f", []byte(in))
	if strings.Contains(string(out), "abc") || strings.Contains(string(out), "xyz") {
		t.Fatalf("secret left:\n%s", out)
	}
	if !strings.Contains(string(out), "FOO=bar\n") || !strings.HasPrefix(string(out), "# comment\n") {
		t.Fatalf("other lines changed:\n%s", out)
	}
	if len(reds) != 2 {
		t.Fatalf("got %d redactions, want 2: %v", len(reds), reds)
	}
}

const daemonSet = `{
  "apiVersion": "apps/v1", "kind": "DaemonSet",
  "metadata": {"name": "calico-node", "annotations": {
    "kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"ETCD_PASSWORD\",\"value\":\"lastappliedsecret\"}]}]}}}}\n"}},
  "spec": {"template": {"spec": {
    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
    "automountServiceAccountToken": true,
    "containers": [{"name": "calico-node", "env": [
      {"name": "CALICO_IPV4POOL_CIDR", "value": "10.244.0.0/16"},
      {"name": "ETCD_PASSWORD", "value": "plainsecret1"},
      {"name": "FELIX_VXLANPORT", "value": "4789"},
      {"name": "TYPHA_TOKEN", "valueFrom": {"secretKeyRef": {"name": "typha", "key": "token"}}}
    ]}],
    "volumes": [{"name": "x", "configMap": {"name": "kubeconfig"}}]
  }}}
}`

func TestJSONRedactsDaemonSetEnvAndNestedJSON(t *testing.T) {
	out, reds, err := JSON("calico/calico-node-daemonset.yaml", []byte(daemonSet))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, secret := range []string{"plainsecret1", "lastappliedsecret"} {
		if strings.Contains(s, secret) {
			t.Errorf("secret %q left:\n%s", secret, s)
		}
	}
	for _, keep := range []string{"10.244.0.0/16", `"4789"`, "CriticalAddonsOnly", `"automountServiceAccountToken": true`} {
		if !strings.Contains(s, keep) {
			t.Errorf("%s lost:\n%s", keep, s)
		}
	}
	if !json.Valid(out) {
		t.Errorf("output is not JSON:\n%s", s)
	}
	found := false
	for _, r := range reds {
		if r.Key == "spec.template.spec.containers[0].env[ETCD_PASSWORD]" {
			found = true
		}
	}
	if !found {
		t.Errorf("env redaction not recorded by path: %v", reds)
	}
}

func TestJSONRedactsSecretDataAndEmbeddedKubeconfig(t *testing.T) {
	in := `{"kind":"List","items":[
 {"kind":"Secret","data":{"tls.crt":"Q0VSVA==","x":"eHl6c2VjcmV0"}},
 {"kind":"ConfigMap","data":{"kubeconfig.conf":"apiVersion: v1\nusers:\n- name: default\n  user:\n    token: kubeconfigtoken123\n    client-key-data: S0VZREFUQQ==\n    tokenFile: /var/run/secrets/token\n","config.conf":"mode: ipvs\nclusterCIDR: 10.244.0.0/16\n"}}]}`
	out, reds, err := JSON("kube/kube-proxy-config.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, secret := range []string{"Q0VSVA==", "eHl6c2VjcmV0", "kubeconfigtoken123", "S0VZREFUQQ=="} {
		if strings.Contains(s, secret) {
			t.Errorf("secret %q left:\n%s", secret, s)
		}
	}
	if !strings.Contains(s, `mode: ipvs\nclusterCIDR: 10.244.0.0/16\n`) {
		t.Errorf("kube-proxy config changed:\n%s", s)
	}
	if len(reds) < 4 {
		t.Errorf("got %d redactions: %v", len(reds), reds)
	}
}

func TestJSONRejectsInvalidInput(t *testing.T) {
	if _, _, err := JSON("f", []byte("{not json")); err == nil {
		t.Fatal("no error for invalid JSON")
	}
}

func TestTextRedactsPEMBlocksAndTokens(t *testing.T) {
	in := "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nmid\n" +
		"Authorization: Bearer abcdefghijkl123\nurl http://u:pw12345@host/x\n-----BEGIN CERTIFICATE-----\nunterminated"
	out, reds := Text("logs/x.log", "log", []byte(in))
	s := string(out)
	for _, secret := range []string{"MIIEpAIBAAKCAQEA", "abcdefghijkl123", "pw12345", "unterminated"} {
		if strings.Contains(s, secret) {
			t.Errorf("secret %q left:\n%s", secret, s)
		}
	}
	for _, keep := range []string{"before\n", "-----END RSA PRIVATE KEY-----\nmid\n", "http://u:"} {
		if !strings.Contains(s, keep) {
			t.Errorf("%q lost:\n%s", keep, s)
		}
	}
	if len(reds) != 4 {
		t.Errorf("got %d redactions, want 4: %v", len(reds), reds)
	}
}

// TestValueRedactsOneListItemAsJSONWouldTheList: the collector redacts a
// list one decoded item at a time; what it removes and the keys it records
// are those of JSON on the whole list.
func TestValueRedactsOneListItemAsJSONWouldTheList(t *testing.T) {
	item := `{"kind":"Pod","metadata":{"name":"coredns-1","annotations":{"db-password":"s3cret-ann"}},
 "spec":{"containers":[{"name":"coredns","args":["--token","s3cret-arg"],"env":[{"name":"API_KEY","value":"s3cret-env"},{"name":"ZONE","value":"cluster.local"}]}]}}`
	list := `{"kind":"PodList","items":[{"kind":"Pod"},` + item + `]}`
	wantOut, wantReds, err := JSON("kube/coredns-pods.json", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(item))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	v, reds := Value("kube/coredns-pods.json", "items[1]", v)
	got, _ := json.Marshal(v)
	for _, s := range []string{"s3cret-ann", "s3cret-arg", "s3cret-env"} {
		if strings.Contains(string(got), s) || strings.Contains(string(wantOut), s) {
			t.Errorf("%s left in %s", s, got)
		}
	}
	if !strings.Contains(string(got), "cluster.local") {
		t.Errorf("a value that is no secret was removed: %s", got)
	}
	keys := func(rs []bundle.Redaction) map[string]bool {
		m := map[string]bool{}
		for _, r := range rs {
			m[r.File+" "+r.Key+" "+r.Reason] = true
		}
		return m
	}
	g, w := keys(reds), keys(wantReds)
	if len(g) != 3 || len(g) != len(w) {
		t.Fatalf("redactions %v, want the list's %v", reds, wantReds)
	}
	for k := range w {
		if !g[k] {
			t.Errorf("redaction %q of the list not recorded for the item; got %v", k, g)
		}
	}
}
