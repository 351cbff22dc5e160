package kube

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParseServices(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []Service
		wantDiags []string
	}{
		{
			name: "the kube-dns Service as kubectl prints it",
			in:   string(testdata(t, "kube-dns-service.json")),
			want: []Service{{
				Name: "kube-dns", Namespace: "kube-system", Line: 15, Type: "ClusterIP",
				ClusterIP: netip.MustParseAddr("10.96.0.10"), ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")}, ClusterIPLine: 21,
				Ports: []ServicePort{
					{Name: "dns", Port: 53, Protocol: "UDP", TargetPort: "53", Line: 33},
					{Name: "dns-tcp", Port: 53, Protocol: "TCP", TargetPort: "53", Line: 39},
					{Name: "metrics", Port: 9153, Protocol: "TCP", TargetPort: "9153", Line: 45},
				},
				Selector: map[string]string{"k8s-app": "kube-dns"},
				Labels:   map[string]string{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
			}},
		},
		{
			name: "a headless Service whose port is a name is reported",
			in: `kind: Service
metadata:
  name: coredns-headless
spec:
  clusterIP: None
  clusterIPs: [None]
  ports:
  - port: domain
    targetPort: dns
`,
			want: []Service{{
				Name: "coredns-headless", Line: 3, Type: "ClusterIP", Headless: true, ClusterIPLine: 5,
				Ports: []ServicePort{{Protocol: "TCP", TargetPort: "dns", Line: 8}},
			}},
			wantDiags: []string{"warning@8"},
		},
		{
			name:      "an Endpoints object is not a Service",
			in:        `{"kind":"Endpoints","metadata":{"name":"kube-dns"}}`,
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ds := ParseServices([]byte(tt.in))
			checkDiags(t, ds, tt.wantDiags)
			if !reflect.DeepEqual(r.Services, tt.want) {
				t.Errorf("services\n%+v\nwant\n%+v", r.Services, tt.want)
			}
		})
	}
}

func FuzzParseServices(f *testing.F) {
	fuzzSeeds(f, "kube-dns-service.json")
	f.Add([]byte("kind: Service\nspec:\n  clusterIP: 10.96.0.10\n  ports: [{port: 53, protocol: UDP}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParseServices(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkFuzzDiags(t, ds)
		_ = r.Summary()
	})
}
