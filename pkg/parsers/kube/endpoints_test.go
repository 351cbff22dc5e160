package kube

import (
	"net/netip"
	"slices"
	"strconv"
	"testing"
)

func TestParseEndpointsKubeDNS(t *testing.T) {
	r, ds := ParseEndpoints(testdata(t, "kube-dns-endpoints.json"))
	checkDiags(t, ds, nil)
	if len(r.Items) != 1 {
		t.Fatalf("%d items", len(r.Items))
	}
	e := r.Items[0]
	if e.Kind != "Endpoints" || e.Name != "kube-dns" || e.Namespace != "kube-system" || e.Service != "kube-dns" || e.Line != 14 {
		t.Errorf("object %+v", e)
	}
	want := []EndpointAddress{
		{IP: netip.MustParseAddr("10.244.88.3"), NodeName: "worker-1", TargetKind: "Pod", TargetName: "coredns-76f75df574-2xk8p",
			TargetNamespace: "kube-system", Ready: true, Serving: true, Line: 23},
		{IP: netip.MustParseAddr("10.244.12.66"), NodeName: "cp-1", TargetKind: "Pod", TargetName: "coredns-76f75df574-q9vzm",
			TargetNamespace: "kube-system", Line: 35},
	}
	if !slices.Equal(e.Addresses, want) {
		t.Errorf("addresses\n%+v\nwant\n%+v", e.Addresses, want)
	}
	wantPorts := []EndpointPort{{"dns-tcp", 53, "TCP", 48}, {"dns", 53, "UDP", 53}, {"metrics", 9153, "TCP", 58}}
	if !slices.Equal(e.Ports, wantPorts) {
		t.Errorf("ports %+v", e.Ports)
	}
	if got, want := r.Summary(), "1 Endpoints/EndpointSlices, 2 addresses (1 ready), 3 ports"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []string // kind name: ip@line ready ...
		wantPorts int
		wantDiags []string
	}{
		{
			name: "an EndpointSliceList with a terminating endpoint and one without conditions",
			in: `apiVersion: v1
items:
- addressType: IPv4
  apiVersion: discovery.k8s.io/v1
  endpoints:
  - addresses:
    - 10.244.88.3
    conditions:
      ready: true
      serving: true
      terminating: false
    nodeName: worker-1
    targetRef:
      kind: Pod
      name: coredns-76f75df574-2xk8p
      namespace: kube-system
  - addresses:
    - 10.244.12.66
    conditions:
      ready: false
      serving: true
      terminating: true
    nodeName: cp-1
  - addresses:
    - 10.244.131.194
  kind: EndpointSlice
  metadata:
    labels:
      kubernetes.io/service-name: kube-dns
    name: kube-dns-7x2kq
    namespace: kube-system
  ports:
  - name: dns-tcp
    port: 53
    protocol: TCP
  - name: dns
    port: 53
    protocol: UDP
kind: List
metadata:
  resourceVersion: ""
`,
			want:      []string{"EndpointSlice kube-dns-7x2kq(kube-dns): 10.244.88.3@7 ready, 10.244.12.66@18 serving terminating, 10.244.131.194@25 ready"},
			wantPorts: 2,
		},
		{
			name: "subsets repeat ports, a missing ip and protocol are handled",
			in: `kind: Endpoints
metadata:
  name: kube-dns
subsets:
- addresses:
  - ip: 10.1.0.5
  - nodeName: n1
  ports:
  - name: dns
    port: 53
- addresses:
  - ip: fd00::5
  ports:
  - name: dns
    port: 53
`,
			want:      []string{"Endpoints kube-dns(kube-dns): 10.1.0.5@6 ready, invalid IP@7 ready, fd00::5@12 ready"},
			wantPorts: 1,
			wantDiags: []string{"warning@7"},
		},
		{
			name:      "an Endpoints object without subsets has no backends",
			in:        `{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"kube-dns","namespace":"kube-system"}}`,
			want:      []string{"Endpoints kube-dns(kube-dns): "},
			wantPorts: 0,
		},
		{
			name:      "kubectl's NotFound error is not an Endpoints object",
			in:        `Error from server (NotFound): endpoints "kube-dns" not found`,
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ds := ParseEndpoints([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			var got []string
			ports := 0
			for _, e := range r.Items {
				s := e.Kind + " " + e.Name + "(" + e.Service + "): "
				for i, a := range e.Addresses {
					if i > 0 {
						s += ", "
					}
					s += a.IP.String() + "@" + strconv.Itoa(a.Line)
					if a.Ready {
						s += " ready"
					} else if a.Serving {
						s += " serving"
					}
					if a.Terminating {
						s += " terminating"
					}
				}
				got = append(got, s)
				ports += len(e.Ports)
			}
			if !slices.Equal(got, tt.want) || ports != tt.wantPorts {
				t.Errorf("got %q with %d ports\nwant %q with %d ports", got, ports, tt.want, tt.wantPorts)
			}
		})
	}
}

func FuzzParseEndpoints(f *testing.F) {
	fuzzSeeds(f, "kube-dns-endpoints.json")
	f.Add([]byte("kind: EndpointSlice\nendpoints:\n- addresses: [10.0.0.1]\n  conditions: {ready: false}\nports:\n- port: 53\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParseEndpoints(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		_ = r.Summary()
	})
}
