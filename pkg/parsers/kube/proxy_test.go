package kube

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParseKubeProxyConfigKubeadmConfigMap(t *testing.T) {
	c, ds := ParseKubeProxyConfig(testdata(t, "kube-proxy-configmap.yaml"))
	checkDiags(t, ds, nil)
	if c.ConfigMap != "kube-system/kube-proxy" || c.DataKey != "config.conf" || c.Line != 4 || c.APIVersion != "kubeproxy.config.k8s.io/v1alpha1" {
		t.Errorf("source %q %q line %d %q", c.ConfigMap, c.DataKey, c.Line, c.APIVersion)
	}
	// Lines are those of the outer file: the block starts on line 4.
	if c.Mode != "ipvs" || !c.ModeSet || c.ModeLine != 55 || c.EffectiveMode() != "ipvs" {
		t.Errorf("mode %q set %v line %d", c.Mode, c.ModeSet, c.ModeLine)
	}
	if c.Scheduler != "rr" || c.SchedulerLine != 39 || !c.StrictARP || c.StrictARPLine != 40 {
		t.Errorf("ipvs %q@%d strictARP %v@%d", c.Scheduler, c.SchedulerLine, c.StrictARP, c.StrictARPLine)
	}
	if c.IPVSUDPTimeout != (Field{"0s", 44}) || c.IPVSTCPTimeout != (Field{"0s", 43}) || c.IPVSTCPFinTimeout != (Field{"0s", 42}) {
		t.Errorf("ipvs timeouts %+v %+v %+v", c.IPVSUDPTimeout, c.IPVSTCPTimeout, c.IPVSTCPFinTimeout)
	}
	if c.ClusterCIDR != "10.244.0.0/16" || c.ClusterCIDRLine != 13 || !reflect.DeepEqual(c.ClusterCIDRs, []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}) {
		t.Errorf("clusterCIDR %q@%d %v", c.ClusterCIDR, c.ClusterCIDRLine, c.ClusterCIDRs)
	}
	if f, ok := c.Fields["conntrack.maxPerCore"]; ok {
		t.Errorf("a null field must be absent: %+v", f)
	}
	if f := c.Fields["logging.options.json.infoBufferSize"]; f != (Field{"0", 50}) {
		t.Errorf("deep field %+v", f)
	}
	if f := c.Fields["conntrack.udpTimeout"]; f != (Field{"0s", 22}) {
		t.Errorf("conntrack.udpTimeout %+v", f)
	}
	if got, want := c.Summary(), "kube-proxy mode ipvs, scheduler rr, strictARP true, clusterCIDR 10.244.0.0/16, 46 fields"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestParseKubeProxyConfig(t *testing.T) {
	type want struct {
		mode      string
		modeSet   bool
		modeLine  int
		effective string
		scheduler string
		strictARP bool
		cidrs     int
		source    string
	}
	tests := []struct {
		name      string
		in        string
		want      want
		wantDiags []string
	}{
		{
			name: "kubectl -o json puts the config in one string: every line is the key's line",
			in: `{
    "apiVersion": "v1",
    "data": {
        "config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16,fd00:10:244::/56\nmode: \"\"\n"
    },
    "kind": "ConfigMap",
    "metadata": {"name": "kube-proxy", "namespace": "kube-system"}
}`,
			want: want{mode: "", modeSet: true, modeLine: 4, effective: "iptables", cidrs: 2, source: "kube-system/kube-proxy config.conf"},
		},
		{
			name: "EKS keeps the configuration under the key config, in a ConfigMap of another name",
			in: `apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-proxy-config
  namespace: kube-system
data:
  config: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    mode: "iptables"
    ipvs:
      scheduler: ""
`,
			want: want{mode: "iptables", modeSet: true, modeLine: 10, effective: "iptables", source: "kube-system/kube-proxy-config config"},
		},
		{
			name: "a bare file without mode: ModeSet false and iptables",
			in: `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clusterCIDR: 10.244.0.0/16
`,
			want: want{effective: "iptables", cidrs: 1},
		},
		{
			name: "a kubeadm config of several documents",
			in: `apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
networking:
  podSubnet: 10.244.0.0/16
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
ipvs:
  strictARP: true
  scheduler: lc
`,
			want: want{mode: "ipvs", modeSet: true, modeLine: 8, effective: "ipvs", scheduler: "lc", strictARP: true},
		},
		{
			name: "a broken embedded config is reported at the outer line and its good part read",
			in: `apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-proxy
data:
  config.conf: |
    kind: KubeProxyConfiguration
    mode: ipvs
    ipvs:
      scheduler: sh
    oops this is not yaml
    more
`,
			want:      want{mode: "ipvs", modeSet: true, modeLine: 8, effective: "ipvs", scheduler: "sh", source: "kube-proxy config.conf"},
			wantDiags: []string{"warning@11"},
		},
		{
			name: "a double-quoted block (kubectl's choice when a line ends in blanks) cites the key's line",
			in: `apiVersion: v1
data:
  config.conf: "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode:
    \"ipvs\"  \nipvs:\n  scheduler: \"wrr\"\n"
kind: ConfigMap
metadata:
  name: kube-proxy
`,
			want: want{mode: "ipvs", modeSet: true, modeLine: 3, effective: "ipvs", scheduler: "wrr", source: "kube-proxy config.conf"},
		},
		{
			name:      "a ConfigMap without a proxy configuration is an error",
			in:        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\ndata:\n  Corefile: |\n    .:53 {\n        forward . /etc/resolv.conf\n    }\n",
			want:      want{effective: "iptables"},
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ds := ParseKubeProxyConfig([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			source := ""
			if c.ConfigMap != "" {
				source = c.ConfigMap + " " + c.DataKey
			}
			got := want{c.Mode, c.ModeSet, c.ModeLine, c.EffectiveMode(), c.Scheduler, c.StrictARP, len(c.ClusterCIDRs), source}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			_ = c.Summary()
		})
	}
}

func FuzzParseKubeProxyConfig(f *testing.F) {
	fuzzSeeds(f, "kube-proxy-configmap.yaml")
	f.Add([]byte("kind: ConfigMap\ndata:\n  config.conf: |\n    kind: KubeProxyConfiguration\n    mode: ipvs\n"))
	f.Add([]byte("kind: KubeProxyConfiguration\nmode: ipvs\nipvs: {strictARP: true}\nfeatureGates: {A: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ds := ParseKubeProxyConfig(data)
		if c == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		_ = c.Summary()
	})
}
