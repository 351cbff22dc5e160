package kube

import (
	"net/netip"
	"slices"
	"testing"
)

func TestParseNodesKubectlJSONList(t *testing.T) {
	r, ds := ParseNodes(testdata(t, "nodes.json"))
	checkDiags(t, ds, nil)
	if len(r.Nodes) != 3 {
		t.Fatalf("%d nodes, want 3", len(r.Nodes))
	}
	cp, w1, w2 := &r.Nodes[0], &r.Nodes[1], &r.Nodes[2]
	if cp.Name != "cp-1" || cp.Line != 26 || w1.Name != "worker-1" || w1.Line != 163 || w2.Name != "worker-2" || w2.Line != 288 {
		t.Errorf("names/lines: %s@%d %s@%d %s@%d", cp.Name, cp.Line, w1.Name, w1.Line, w2.Name, w2.Line)
	}
	if got := cp.InternalIP(); got != netip.MustParseAddr("10.0.0.11") {
		t.Errorf("cp-1 InternalIP %v", got)
	}
	wantAddrs := []NodeAddress{
		{"InternalIP", "10.0.0.11", netip.MustParseAddr("10.0.0.11"), 45},
		{"ExternalIP", "203.0.113.11", netip.MustParseAddr("203.0.113.11"), 49},
		{"Hostname", "cp-1", netip.Addr{}, 53},
	}
	if !slices.Equal(cp.Addresses, wantAddrs) {
		t.Errorf("cp-1 addresses %+v", cp.Addresses)
	}
	if cp.PodCIDR != netip.MustParsePrefix("10.244.0.0/24") || cp.PodCIDRLine != 31 || len(cp.PodCIDRs) != 1 {
		t.Errorf("cp-1 podCIDR %v line %d %v", cp.PodCIDR, cp.PodCIDRLine, cp.PodCIDRs)
	}
	if cp.CalicoIPv4 != netip.MustParsePrefix("10.0.0.11/24") || cp.CalicoAnnotations[AnnotCalicoIPv4].Line != 12 {
		t.Errorf("cp-1 Calico IPv4 %v %+v", cp.CalicoIPv4, cp.CalicoAnnotations)
	}
	if cp.IPIPTunnelAddr != netip.MustParseAddr("10.244.12.64") || cp.VXLANTunnelAddr.IsValid() || len(cp.CalicoAnnotations) != 2 {
		t.Errorf("cp-1 tunnels %v %v", cp.IPIPTunnelAddr, cp.VXLANTunnelAddr)
	}
	if w1.VXLANTunnelAddr != netip.MustParseAddr("10.244.88.1") || w1.VXLANTunnelMAC != "66:b2:3c:1f:0a:91" || w1.CalicoAnnotations[AnnotCalicoVXLANMAC].Line != 152 {
		t.Errorf("worker-1 VXLAN %v %q", w1.VXLANTunnelAddr, w1.VXLANTunnelMAC)
	}
	if s, line := cp.Ready(); s != "True" || line != 110 {
		t.Errorf("cp-1 Ready %q line %d", s, line)
	}
	if s, _ := w2.Ready(); s != "Unknown" {
		t.Errorf("worker-2 Ready %q", s)
	}
	if c, ok := findCondition(cp.Conditions, "NetworkUnavailable"); !ok || c.Status != "False" || c.Reason != "CalicoIsUp" {
		t.Errorf("NetworkUnavailable %+v", c)
	}
	if !slices.Equal(cp.Roles, []string{"control-plane"}) || len(w1.Roles) != 0 {
		t.Errorf("roles %v %v", cp.Roles, w1.Roles)
	}
	if cp.KernelVersion != "5.15.0-105-generic" || cp.KubeProxyVersion != "v1.29.4" || cp.KubeletVersion != "v1.29.4" ||
		cp.OSImage != "Ubuntu 22.04.4 LTS" || cp.ContainerRuntimeVersion != "containerd://1.7.13" {
		t.Errorf("nodeInfo %+v", cp)
	}
	if got, want := r.Summary(), "3 nodes (2 Ready), 3 with a Calico address"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestParseNodes(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []string // name/InternalIP/CalicoIPv4/IPIP per node
		wantDiags []string
	}{
		{
			name: "one Node as kubectl -o yaml prints it, dual stack",
			in: `apiVersion: v1
kind: Node
metadata:
  annotations:
    projectcalico.org/IPv4Address: 192.168.56.11/24
    projectcalico.org/IPv6Address: fd00:56::11/64
    projectcalico.org/IPv4IPIPTunnelAddr: 10.244.2.128
  labels:
    node-role.kubernetes.io/worker: ""
    node-role.kubernetes.io/infra: "true"
  name: w3
spec:
  podCIDR: 10.244.2.0/24
  podCIDRs:
  - 10.244.2.0/24
  - fd00:10:244:2::/64
status:
  addresses:
  - address: fd00:56::11
    type: InternalIP
  - address: 192.168.56.11
    type: InternalIP
`,
			want: []string{"w3/fd00:56::11/192.168.56.11/24/10.244.2.128"},
		},
		{
			name: "bad annotation and address values are reported at their line",
			in: `{"kind": "Node",
 "metadata": {"name": "x",
  "annotations": {"projectcalico.org/IPv4Address": "10.0.0.300/24",
                  "projectcalico.org/IPv4IPIPTunnelAddr": "tunl"}},
 "status": {"addresses": [{"type": "InternalIP",
                           "address": "not-an-ip"}]}}`,
			want:      []string{"x/invalid IP/invalid Prefix/invalid IP"},
			wantDiags: []string{"warning@3", "warning@4", "warning@6"},
		},
		{
			name: "an empty List is no nodes, not an error",
			in:   `{"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}`,
		},
		{
			name:      "kubectl's error text is not a node list",
			in:        "error: You must be logged in to the server (Unauthorized)\n",
			wantDiags: []string{"error@0"},
		},
		{
			name:      "a list of pods is not a node list",
			in:        `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}`,
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ds := ParseNodes([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			var got []string
			for i := range r.Nodes {
				n := &r.Nodes[i]
				got = append(got, n.Name+"/"+n.InternalIP().String()+"/"+n.CalicoIPv4.String()+"/"+n.IPIPTunnelAddr.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("nodes %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseNodesKeepsDualStackAndRoles(t *testing.T) {
	in := "kind: Node\nmetadata:\n  name: w3\n  labels:\n    node-role.kubernetes.io/worker: \"\"\n    node-role.kubernetes.io/infra: \"true\"\n" +
		"  annotations:\n    projectcalico.org/IPv6Address: fd00:56::11/64\n    projectcalico.org/IPv6VXLANTunnelAddr: fd00:10:244:2::1\n" +
		"spec:\n  podCIDRs: [10.244.2.0/24, \"fd00:10:244:2::/64\"]\n  unschedulable: true\n"
	r, ds := ParseNodes([]byte(in))
	checkDiags(t, ds, nil)
	n := r.Nodes[0]
	if !slices.Equal(n.Roles, []string{"infra", "worker"}) || !n.Unschedulable {
		t.Errorf("roles %v unschedulable %v", n.Roles, n.Unschedulable)
	}
	if len(n.PodCIDRs) != 2 || n.PodCIDRLine != 11 || n.PodCIDR.IsValid() {
		t.Errorf("podCIDRs %v line %d podCIDR %v", n.PodCIDRs, n.PodCIDRLine, n.PodCIDR)
	}
	if n.CalicoIPv6 != netip.MustParsePrefix("fd00:56::11/64") || n.VXLANTunnelAddrIPv6 != netip.MustParseAddr("fd00:10:244:2::1") {
		t.Errorf("IPv6 annotations %v %v", n.CalicoIPv6, n.VXLANTunnelAddrIPv6)
	}
}

func FuzzParseNodes(f *testing.F) {
	fuzzSeeds(f, "nodes.json")
	f.Add([]byte("kind: Node\nmetadata:\n  name: a\n  annotations: {projectcalico.org/IPv4Address: 10.0.0.1/24}\nstatus:\n  addresses: [{type: InternalIP, address: 10.0.0.1}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParseNodes(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		for i := range r.Nodes {
			r.Nodes[i].InternalIP()
			r.Nodes[i].Ready()
		}
		_ = r.Summary()
	})
}

// TestAPIServerListsWithoutItemKinds: GET /api/v1/nodes (what collect
// writes) gives items without kind; kubectl adds it. Both are read, and an
// item of another list kind is still not taken.
func TestAPIServerListsWithoutItemKinds(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		nodes int
		pods  int
	}{
		{"NodeList from the API", `{"kind":"NodeList","apiVersion":"v1","items":[{"metadata":{"name":"a"},"status":{"addresses":[{"type":"InternalIP","address":"192.168.20.11"}]}}]}`, 1, 0},
		{"PodList from the API", `{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"coredns-1"},"status":{"podIP":"10.244.1.5"}}]}`, 0, 1},
		{"a List of unknown items", `{"kind":"List","items":[{"metadata":{"name":"x"}}]}`, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _ := ParseNodes([]byte(tt.in))
			p, _ := ParsePods([]byte(tt.in))
			if len(n.Nodes) != tt.nodes || len(p.Pods) != tt.pods {
				t.Fatalf("%d nodes, %d pods; want %d, %d", len(n.Nodes), len(p.Pods), tt.nodes, tt.pods)
			}
			if tt.nodes == 1 && n.Nodes[0].InternalIP().String() != "192.168.20.11" {
				t.Errorf("node %+v", n.Nodes[0])
			}
		})
	}
}
