package calico

import (
	"strings"
	"testing"
)

// resolved is what Resolve returns, for tables.
type resolved struct {
	value string
	line  int
	ok    bool
}

func TestParseDaemonSetRealManifests(t *testing.T) {
	tests := []struct {
		file          string
		version       string
		backend       string
		ipip, vxlan   string
		envCount      int
		ipipLine      int
		wantConfigMap int
	}{
		{"calico_v3.28.5_configmap-daemonset-excerpt.yaml", "v3.28.5", "bird", "Always", "Never", 16, 231, 4},
		{"calico-vxlan_v3.28.5_configmap-daemonset-excerpt.yaml", "v3.28.5", "vxlan", "Never", "CrossSubnet", 16, 231, 4},
		// The v3.24.6 tag of the manifest still names the v3.24.5 images.
		{"calico_v3.24.6_configmap-daemonset-excerpt.yaml", "v3.24.5", "bird", "Always", "Never", 16, 231, 4},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, ds := ParseDaemonSet(realdata(t, "calico/"+tt.file))
			checkDiags(t, ds, nil)
			if d.Kind != "DaemonSet" || d.Namespace != "kube-system" || d.Name != "calico-node" || d.Line != 63 {
				t.Errorf("object = %s %s/%s line %d", d.Kind, d.Namespace, d.Name, d.Line)
			}
			if d.Container != "calico-node" || d.ContainerLine != 198 {
				t.Errorf("container = %q line %d, want calico-node line 198 (not an init container)", d.Container, d.ContainerLine)
			}
			if d.Version != tt.version || d.ImageLine != 199 || !strings.HasPrefix(d.Image, "docker.io/calico/node:") {
				t.Errorf("image = %q line %d version %q, want version %s line 199", d.Image, d.ImageLine, d.Version, tt.version)
			}
			if len(d.Env) != tt.envCount {
				t.Errorf("%d env vars, want %d: %+v", len(d.Env), tt.envCount, d.Env)
			}
			checkResolve(t, d, map[string]resolved{
				"CALICO_IPV4POOL_IPIP":      {tt.ipip, tt.ipipLine, true},
				"CALICO_IPV4POOL_VXLAN":     {tt.vxlan, 234, true},
				"CALICO_NETWORKING_BACKEND": {tt.backend, 13, true},
				"FELIX_IPINIPMTU":           {"0", 18, true},
				"FELIX_VXLANMTU":            {"0", 18, true},
				"IP":                        {"autodetect", 228, true},
				"NODENAME":                  {"", 214, false},
				// Commented out in the manifest: absent, not empty.
				"CALICO_IPV4POOL_CIDR": {"", 0, false},
			})
			e, ok := d.Lookup("FELIX_IPINIPMTU")
			if !ok || !e.IsRef || e.ValueFrom != "configMapKeyRef calico-config/veth_mtu" || e.Line != 240 {
				t.Errorf("FELIX_IPINIPMTU = %+v", e)
			}
			if e, _ := d.Lookup("NODENAME"); e.ValueFrom != "fieldRef spec.nodeName" {
				t.Errorf("NODENAME valueFrom = %q", e.ValueFrom)
			}
			cm := d.ConfigMaps["calico-config"]
			if cm == nil || len(cm.Data) != tt.wantConfigMap || cm.Data["veth_mtu"] != (Field{"0", 18}) {
				t.Errorf("calico-config = %+v", cm)
			}
			if len(d.EnvFrom) != 1 || d.EnvFrom[0] != (EnvSource{Kind: "configMapRef", Name: "kubernetes-services-endpoint", Line: 202}) {
				t.Errorf("envFrom = %+v", d.EnvFrom)
			}
		})
	}
}

func checkResolve(t *testing.T, d *DaemonSet, want map[string]resolved) {
	t.Helper()
	for name, w := range want {
		v, line, ok := d.Resolve(name)
		if (resolved{v, line, ok}) != w {
			t.Errorf("Resolve(%s) = %q, %d, %v; want %q, %d, %v", name, v, line, ok, w.value, w.line, w.ok)
		}
	}
}

func TestParseDaemonSet(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		container string
		version   string
		want      map[string]resolved
		wantDiags []string
	}{
		{
			name:      "kubectl get -o yaml output is read and the last-applied annotation is not taken for the spec",
			in:        string(testdata(t, "kubectl-daemonset.yaml")),
			container: "calico-node",
			version:   "v3.25.0",
			want: map[string]resolved{
				"CALICO_IPV4POOL_IPIP":       {"Always", 49, true},
				"CALICO_IPV4POOL_CIDR":       {"10.244.0.0/16", 63, true},
				"CALICO_IPV4POOL_BLOCK_SIZE": {"24", 65, true},
				"IP_AUTODETECTION_METHOD":    {"interface=ens.*", 47, true},
				// calico-config is not in the file.
				"FELIX_IPINIPMTU": {"", 53, false},
			},
		},
		{
			name:      "operator-managed kubectl JSON output keeps lines, digests and secret references",
			in:        string(testdata(t, "operator-daemonset.json")),
			container: "calico-node",
			version:   "v3.27.3",
			want: map[string]resolved{
				"IP_AUTODETECTION_METHOD": {"can-reach=10.0.0.1", 123, true},
				"FELIX_IPINIPMTU":         {"1430", 135, true},
				"FELIX_BPFLOGLEVEL":       {"", 139, false},
				"CALICO_IPV4POOL_IPIP":    {"", 0, false},
			},
		},
		{
			name: "a List wrapper, numbers and booleans written bare, and a duplicate name where the last wins",
			in: `apiVersion: v1
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: calico-node
    namespace: calico-system
  spec:
    template:
      spec:
        containers:
        - name: calico-node
          image: registry.example.com:5000/calico/node
          env:
          - name: FELIX_VXLANPORT
            value: 8472
          - name: FELIX_IPINIPENABLED
            value: true
          - name: FELIX_IPINIPENABLED
            value: false
kind: List
metadata:
  resourceVersion: ""
`,
			container: "calico-node",
			want: map[string]resolved{
				"FELIX_VXLANPORT":     {"8472", 15, true},
				"FELIX_IPINIPENABLED": {"false", 19, true},
			},
		},
		{
			name: "a container with another name is found by its CALICO_ variables and envFrom keys resolve",
			in: `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: calico-env
data:
  CALICO_IPV4POOL_VXLAN: Always
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node
spec:
  template:
    spec:
      containers:
      - name: sidecar
        image: busybox
      - name: node
        image: quay.io/calico/node:v3.26.1
        envFrom:
        - prefix: CALICO_
          configMapRef:
            name: calico-env
        - secretRef:
            name: creds
        env:
        - name: CALICO_IPV4POOL_IPIP
          value: Never
`,
			container: "node",
			version:   "v3.26.1",
			want: map[string]resolved{
				"CALICO_IPV4POOL_IPIP": {"Never", 28, true},
				// envFrom with prefix CALICO_ maps key CALICO_IPV4POOL_VXLAN to
				// CALICO_CALICO_IPV4POOL_VXLAN, not to itself.
				"CALICO_IPV4POOL_VXLAN":        {"", 0, false},
				"CALICO_CALICO_IPV4POOL_VXLAN": {"Always", 7, true},
			},
		},
		{
			name: "a calico-node Pod is accepted and an entry without a name is reported",
			in: `apiVersion: v1
kind: Pod
metadata:
  name: calico-node-x7k2p
spec:
  containers:
  - name: calico-node
    image: calico/node:latest
    env:
    - value: orphan
    - name: IP
      valueFrom:
        somethingNew: {}
`,
			container: "calico-node",
			want:      map[string]resolved{"IP": {"", 11, false}},
			wantDiags: []string{"warning@10", "warning@12"},
		},
		{
			name:      "a file without a calico container is an error",
			in:        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: calico-config\ndata:\n  veth_mtu: \"1440\"\n",
			wantDiags: []string{"error@0"},
		},
		{
			name:      "an empty file is an error",
			in:        "",
			wantDiags: []string{"error@0"},
		},
		{
			name: "prose pasted after the manifest is reported and the manifest still read",
			in: `kind: DaemonSet
metadata:
  name: calico-node
spec:
  template:
    spec:
      containers:
      - name: calico-node
        env:
        - name: CALICO_IPV4POOL_IPIP
          value: CrossSubnet

Then I applied it with kubectl.
It failed, see the log below.
`,
			container: "calico-node",
			want:      map[string]resolved{"CALICO_IPV4POOL_IPIP": {"CrossSubnet", 10, true}},
			wantDiags: []string{"warning@13"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ds := ParseDaemonSet([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			if d.Container != tt.container || d.Version != tt.version {
				t.Errorf("container %q version %q, want %q %q", d.Container, d.Version, tt.container, tt.version)
			}
			checkResolve(t, d, tt.want)
			if d.Summary() == "" {
				t.Error("empty summary")
			}
		})
	}
}

func TestImageVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"docker.io/calico/node:v3.28.5", "v3.28.5"},
		{"calico/node:v3.27.3@sha256:8bd9bb3b", "v3.27.3"},
		{"registry.local:5000/calico/node", ""},
		{"registry.local:5000/calico/node:3.20.0", "3.20.0"},
		{"calico/node:latest", ""},
		{"calico/node:v", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := imageVersion(tt.in); got != tt.want {
			t.Errorf("imageVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseEnv(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      map[string]resolved
		wantDiags []string
	}{
		{
			name: "env output with a value holding '=' and a quoted export line",
			in:   "PATH=/usr/local/bin:/usr/bin\r\nIP_AUTODETECTION_METHOD=cidr=10.0.0.0/24\nexport FELIX_IPINIPMTU=\"1480\"\nCALICO_IPV4POOL_IPIP=Always\n",
			want: map[string]resolved{
				"IP_AUTODETECTION_METHOD": {"cidr=10.0.0.0/24", 2, true},
				"FELIX_IPINIPMTU":         {"1480", 3, true},
				"CALICO_IPV4POOL_IPIP":    {"Always", 4, true},
				"FELIX_VXLANMTU":          {"", 0, false},
			},
		},
		{
			name: "a multi-line value continues on the next lines",
			in:   "CNI_NETWORK_CONFIG={\n  \"mtu\": 1440\n}\nIP=autodetect\n",
			want: map[string]resolved{
				"CNI_NETWORK_CONFIG": {"{\n  \"mtu\": 1440\n}", 1, true},
				"IP":                 {"autodetect", 4, true},
			},
		},
		{
			name:      "a line before any variable is reported",
			in:        "Defaulted container \"calico-node\" out of: calico-node, install-cni (init)\nIP=autodetect\n",
			want:      map[string]resolved{"IP": {"autodetect", 2, true}},
			wantDiags: []string{"warning@1"},
		},
		{
			name: "a raw /proc/PID/environ with NUL separators",
			in:   "HOSTNAME=worker-1\x00FELIX_VXLANMTU=1450\x00CALICO_IPV4POOL_VXLAN=Always\x00",
			want: map[string]resolved{
				"FELIX_VXLANMTU":        {"1450", 2, true},
				"CALICO_IPV4POOL_VXLAN": {"Always", 3, true},
			},
		},
		{
			name:      "empty input is an error",
			in:        "\n\n",
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ds := ParseEnv([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			checkResolve(t, d, tt.want)
		})
	}
}

func FuzzParseDaemonSet(f *testing.F) {
	fuzzSeeds(f, "kubectl-daemonset.yaml", "operator-daemonset.json")
	fuzzRealSeeds(f, "calico/calico_v3.28.5_configmap-daemonset-excerpt.yaml")
	f.Add([]byte("kind: DaemonSet\nspec:\n  template:\n    spec:\n      containers:\n      - name: calico-node\n        env:\n        - name: A\n          valueFrom: {configMapKeyRef: {name: c, key: k}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ds := ParseDaemonSet(data)
		if d == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		for _, e := range d.Env {
			d.Resolve(e.Name)
		}
		_ = d.Summary()
	})
}

func FuzzParseEnv(f *testing.F) {
	f.Add([]byte("IP=autodetect\nexport FELIX_IPINIPMTU=\"1480\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ds := ParseEnv(data)
		if d == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
	})
}
