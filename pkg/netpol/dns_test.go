package netpol

import (
	"reflect"
	"strings"
	"testing"
)

const allowDNSAll = `---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: allow-dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
`

type want struct {
	dir                   Direction
	scope, client, policy string
	target                string
	protos                []string
	fixHas                string
}

func TestCheckDNS(t *testing.T) {
	for _, tc := range []struct {
		name, k8s, cal string
		want           []want
	}{
		{"default deny that allows DNS", denyAllShop + allowDNSAll + `  - to: [{ipBlock: {cidr: 169.254.20.10/32}}]
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
`, "", nil},
		{"default deny without DNS", denyAllShop, "", []want{
			{Egress, ScopeNamespace, "every pod in shop", "shop/deny-all", "kube-system/coredns", []string{"UDP", "TCP"}, "egress rule {to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]"},
			{Egress, ScopeNamespace, "every pod in shop", "shop/deny-all", "NodeLocal DNS", []string{"UDP", "TCP"}, "{ipBlock: {cidr: 169.254.20.10/32}}"},
		}},
		{"DNS allowed to pods but not to the host-network cache", denyAllShop + allowDNSAll, "", []want{
			{Egress, ScopeNamespace, "every pod in shop", "shop/allow-dns", "NodeLocal DNS", []string{"UDP", "TCP"}, "add to NetworkPolicy shop/allow-dns the egress rule {to: [{ipBlock: {cidr: 169.254.20.10/32}}]"},
		}},
		{"labelled pods allowed UDP only", denyAllShop + `---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: web-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - ports: [{protocol: UDP, port: 53}]
`, "", []want{
			{Egress, ScopePods, "pods in shop labelled app=web", "shop/deny-all", "kube-system/coredns", []string{"TCP"}, "{protocol: TCP, port: 53}"},
			{Egress, ScopePods, "pods in shop labelled app=web", "shop/deny-all", "NodeLocal DNS", []string{"TCP"}, "ipBlock"},
		}},
		{"CoreDNS ingress locked to kube-system", "", `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: coredns-guard, namespace: kube-system}
spec:
  order: 100
  selector: k8s-app == 'kube-dns'
  types: [Ingress]
  ingress:
  - action: Allow
    source: {namespaceSelector: "projectcalico.org/name == 'kube-system'"}
`, []want{
			{Ingress, ScopeNamespace, "every pod in shop", "kube-system/coredns-guard", "kube-system/coredns", []string{"UDP", "TCP"}, "ingress rule {action: Allow, protocol: UDP, destination: {ports: [53]}}"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := set(t, tc.k8s, tc.cal)
			tgts := []Endpoint{withNS(dns), nodeLocal}
			tgts[0].Name = "kube-system/coredns"
			var got []want
			for i, d := range s.CheckDNS([]string{"shop"}, tgts) {
				w := want{d.Direction, d.Scope, d.Client, d.Policy, d.Target.Name, d.Protos, ""}
				if i < len(tc.want) {
					if !strings.Contains(d.Fix, tc.want[i].fixHas) {
						t.Errorf("fix %q lacks %q", d.Fix, tc.want[i].fixHas)
					}
					w.fixHas = tc.want[i].fixHas
				}
				got = append(got, w)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
