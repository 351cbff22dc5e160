package kube

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
)

func TestParsePodsCoreDNS(t *testing.T) {
	r, ds := ParsePods(testdata(t, "coredns-pods.json"))
	checkDiags(t, ds, nil)
	if len(r.Pods) != 2 {
		t.Fatalf("%d pods", len(r.Pods))
	}
	ok, bad := r.Pods[0], r.Pods[1]
	if ok.Name != "coredns-76f75df574-2xk8p" || ok.Namespace != "kube-system" || ok.Line != 14 || ok.NodeName != "worker-1" ||
		ok.HostIP != netip.MustParseAddr("10.0.0.21") || ok.PodIP != netip.MustParseAddr("10.244.88.3") || ok.PodIPLine != 238 ||
		!slices.Equal(ok.PodIPs, []netip.Addr{netip.MustParseAddr("10.244.88.3")}) || ok.Phase != "Running" ||
		!ok.Ready || ok.ReadyLine != 199 || ok.Restarts != 0 || ok.Labels["k8s-app"] != "kube-dns" {
		t.Errorf("ready pod %+v", ok)
	}
	if bad.Ready || bad.ReadyLine != 443 || bad.Restarts != 7 || bad.NodeName != "cp-1" || bad.Phase != "Running" {
		t.Errorf("crashing pod %+v", bad)
	}
	want := []ContainerStatus{{Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.11.1", RestartCount: 7,
		State: "waiting", Reason: "CrashLoopBackOff", LastReason: "Error", Line: 476}}
	if !slices.Equal(bad.Containers, want) {
		t.Errorf("containers\n%+v\nwant\n%+v", bad.Containers, want)
	}
	if got, want := r.Summary(), "2 pods (1 ready), 7 restarts"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestParsePods(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []string // name node podIPs ready restarts
		wantDiags []string
	}{
		{
			name: "one pod as YAML, terminating, with an old podIP-only status and init restarts not counted",
			in: `apiVersion: v1
kind: Pod
metadata:
  deletionTimestamp: "2024-05-02T07:50:00Z"
  name: coredns-5d78c9869d-abcde
  namespace: kube-system
spec:
  nodeName: worker-2
status:
  conditions:
  - status: "True"
    type: Ready
  initContainerStatuses:
  - name: init
    restartCount: 4
  containerStatuses:
  - name: coredns
    restartCount: 2
    state:
      terminated:
        exitCode: 137
        reason: OOMKilled
  - name: sidecar
    restartCount: 1
  podIP: 10.244.131.195
`,
			want: []string{"coredns-5d78c9869d-abcde worker-2 [10.244.131.195] true 3 terminating"},
		},
		{
			name:      "a pending pod without IPs, and a bad hostIP reported",
			in:        `{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"p"},"status":{"phase":"Pending","hostIP":"node-a"}}]}`,
			want:      []string{"p  [] false 0"},
			wantDiags: []string{"warning@1"},
		},
		{
			name:      "a Node is not a pod",
			in:        "kind: Node\nmetadata:\n  name: n\n",
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ds := ParsePods([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			var got []string
			for _, p := range r.Pods {
				s := fmt.Sprintf("%s %s %v %v %d", p.Name, p.NodeName, p.PodIPs, p.Ready, p.Restarts)
				if p.Terminating {
					s += " terminating"
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pods %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParsePods(f *testing.F) {
	fuzzSeeds(f, "coredns-pods.json")
	f.Add([]byte("kind: Pod\nmetadata: {name: p}\nstatus:\n  podIPs: [{ip: 10.0.0.1}]\n  containerStatuses: [{name: c, restartCount: 3}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParsePods(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		_ = r.Summary()
	})
}
