package netpol

import (
	"net/netip"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/calico"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
)

var (
	nsLabelsAll = map[string]map[string]string{
		"shop":        {"kubernetes.io/metadata.name": "shop", "team": "payments"},
		"kube-system": {"kubernetes.io/metadata.name": "kube-system"},
	}
	web = Endpoint{Pod: true, Name: "shop/web", Namespace: "shop", Labels: map[string]string{"app": "web"}, IP: netip.MustParseAddr("10.244.1.5")}
	dns = Endpoint{Pod: true, Name: "kube-system/coredns", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"},
		IP: netip.MustParseAddr("10.244.2.7"), Service: "kube-system/kube-dns",
		Ports: []kube.ContainerPort{{Name: "dns", Port: 53, Protocol: "UDP"}, {Name: "dns-tcp", Port: 53, Protocol: "TCP"}}}
	nodeLocal = Endpoint{Name: "NodeLocal DNS", IP: netip.MustParseAddr("169.254.20.10")}
)

func set(t testing.TB, k8s, cal string) *Set {
	t.Helper()
	var kp *kube.NetworkPolicies
	if k8s != "" {
		var ds []any
		r, d := kube.ParseNetworkPolicies([]byte(k8s))
		for _, x := range d {
			ds = append(ds, x)
		}
		if len(ds) > 0 {
			t.Fatalf("k8s policy diags: %v", ds)
		}
		kp = r
	}
	var cp []*calico.Policies
	if cal != "" {
		r, d := calico.ParsePolicies([]byte(cal))
		if len(d) > 0 {
			t.Fatalf("calico policy diags: %v", d)
		}
		cp = append(cp, r)
	}
	s := New(kp, cp, nil)
	s.NSLabels = nsLabelsAll
	return s
}

func withNS(ep Endpoint) Endpoint {
	ep.NSLabels = nsLabelsAll[ep.Namespace]
	return ep
}

const denyAllShop = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
`

func TestKubernetesSemantics(t *testing.T) {
	udp53 := func(dst Endpoint) Flow { return Flow{Src: withNS(web), Dst: withNS(dst), Proto: "UDP", Port: 53} }
	tcp53 := func(dst Endpoint) Flow { return Flow{Src: withNS(web), Dst: withNS(dst), Proto: "TCP", Port: 53} }
	for _, tc := range []struct {
		name   string
		k8s    string
		flow   Flow
		dir    Direction
		allow  bool
		policy string
	}{
		{"no policy", "", udp53(dns), Egress, true, ""},
		{"deny-all egress", denyAllShop, udp53(dns), Egress, false, "shop/deny-all"},
		{"deny-all egress does not isolate ingress", denyAllShop, udp53(dns), Ingress, true, ""},
		{"ingress-only policy (types defaulted) leaves egress open", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: ing, namespace: shop}
spec:
  podSelector: {}
  egress: []
`, udp53(dns), Egress, true, ""},
		{"policy in another namespace does not select", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: deny-all, namespace: other}
spec: {podSelector: {}, policyTypes: [Egress]}
`, udp53(dns), Egress, true, ""},
		{"podSelector that does not match", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: deny-db, namespace: shop}
spec: {podSelector: {matchLabels: {app: db}}, policyTypes: [Egress]}
`, udp53(dns), Egress, true, ""},
		{"allow DNS by namespace and pod selector, UDP", denyAllShop + `---
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
    ports: [{protocol: UDP, port: 53}]
`, udp53(dns), Egress, true, "shop/allow-dns"},
		{"same policy, TCP not allowed", denyAllShop + `---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: allow-dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
    ports: [{protocol: UDP, port: 53}]
`, tcp53(dns), Egress, false, "shop/allow-dns"},
		{"ports without protocol mean TCP", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 53}]
`, udp53(dns), Egress, false, "shop/p"},
		{"podSelector without namespaceSelector is the policy's namespace only", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {k8s-app: kube-dns}}}]
`, udp53(dns), Egress, false, "shop/p"},
		{"empty namespaceSelector is every namespace", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {}}]
`, udp53(dns), Egress, true, "shop/p"},
		{"an empty rule allows everything", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{}]
`, udp53(dns), Egress, true, "shop/p"},
		{"named port resolved on the CoreDNS pod", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: dns, protocol: UDP}, {port: dns-tcp, protocol: TCP}]
`, tcp53(dns), Egress, true, "shop/p"},
		{"named port does not resolve on a host-network address", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: dns, protocol: UDP}]
`, udp53(nodeLocal), Egress, false, "shop/p"},
		{"endPort range covers 53", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 1, endPort: 1024, protocol: UDP}]
`, udp53(dns), Egress, true, "shop/p"},
		{"ipBlock with except excluding the NodeLocal address", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 169.254.0.0/16, except: [169.254.20.0/24]}}]
`, udp53(nodeLocal), Egress, false, "shop/p"},
		{"ipBlock allows the NodeLocal address", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 169.254.20.10/32}}]
`, udp53(nodeLocal), Egress, true, "shop/p"},
		{"pod selector peer does not match the host-network cache", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {}}]
`, udp53(nodeLocal), Egress, false, "shop/p"},
		{"ingress default deny at CoreDNS", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: lock, namespace: kube-system}
spec:
  podSelector: {matchExpressions: [{key: k8s-app, operator: In, values: [kube-dns]}]}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
`, udp53(dns), Ingress, false, "kube-system/lock"},
		{"ingress allowed from a namespace by its label", `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: lock, namespace: kube-system}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: payments}}}]
`, udp53(dns), Ingress, true, "kube-system/lock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := set(t, tc.k8s, "").Evaluate(tc.flow, tc.dir)
			if v.Allowed != tc.allow || v.Policy != tc.policy {
				t.Errorf("allowed %v by %q (%s), want %v by %q", v.Allowed, v.Policy, v.Why, tc.allow, tc.policy)
			}
		})
	}
}

func TestCalicoSemantics(t *testing.T) {
	udp := Flow{Src: withNS(web), Dst: withNS(dns), Proto: "UDP", Port: 53}
	for _, tc := range []struct {
		name, k8s, cal string
		flow           Flow
		dir            Direction
		allow          bool
		policy         string
		ruleLine       int
	}{
		{"global deny with lower order wins over a later allow", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-dns}
spec:
  order: 10
  selector: all()
  types: [Egress]
  egress:
  - action: Deny
    protocol: UDP
    destination: {ports: [53]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-all, namespace: shop}
spec:
  order: 20
  selector: all()
  types: [Egress]
  egress: [{action: Allow}]
`, udp, Egress, false, "deny-dns", 10},
		{"allow with lower order wins over a later deny", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-dns}
spec:
  order: 30
  selector: all()
  egress: [{action: Deny}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: shop}
spec:
  order: 20
  selector: app == 'web'
  egress:
  - action: Allow
    protocol: UDP
    destination:
      selector: k8s-app == "kube-dns"
      namespaceSelector: projectcalico.org/name == 'kube-system'
      ports: [53]
`, udp, Egress, true, "shop/allow-dns", 0},
		{"unset order comes after every ordered policy", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: a-deny}
spec:
  selector: all()
  egress: [{action: Deny}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: z-allow}
spec:
  order: 5000
  selector: all()
  egress: [{action: Allow}]
`, udp, Egress, true, "z-allow", 0},
		{"Log continues to the next rule", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  selector: all()
  egress: [{action: Log}, {action: Allow, protocol: UDP}]
`, udp, Egress, true, "g", 0},
		{"end of tier deny when no rule matches", "", `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: only-https, namespace: shop}
spec:
  selector: has(app)
  types: [Egress]
  egress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
`, udp, Egress, false, "shop/only-https", 0},
		{"Pass skips to the next tier, whose deny applies", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: platform.pass}
spec:
  tier: platform
  selector: all()
  egress: [{action: Pass}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: default.deny, namespace: shop}
spec:
  selector: app == 'web'
  types: [Egress]
`, udp, Egress, false, "shop/default.deny", 0},
		{"Pass in the last tier falls to the profile: allowed", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: platform.pass}
spec:
  tier: platform
  selector: all()
  egress: [{action: Pass}]
`, udp, Egress, true, "", 0},
		{"selector in {} and ! exclude the pod", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  selector: "app in {'db', 'cache'} || !has(app)"
  types: [Egress]
`, udp, Egress, true, "", 0},
		{"global policy namespaceSelector narrows the endpoints", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  namespaceSelector: team == 'payments'
  selector: all()
  types: [Egress]
`, udp, Egress, false, "g", 0},
		{"notNets excludes the NodeLocal address", "", `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  selector: all()
  egress: [{action: Allow, destination: {notNets: [169.254.0.0/16]}}]
`, Flow{Src: withNS(web), Dst: nodeLocal, Proto: "UDP", Port: 53}, Egress, false, "g", 0},
		{"services match the DNS Service", "", `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: svc, namespace: shop}
spec:
  selector: all()
  egress: [{action: Allow, destination: {services: {name: kube-dns, namespace: kube-system}}}]
`, udp, Egress, true, "shop/svc", 0},
		{"Calico deny before the Kubernetes policy's order 1000", denyAllShop + `---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: allow-all, namespace: shop}
spec:
  podSelector: {}
  egress: [{}]
`, `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: block-udp}
spec:
  order: 500
  selector: projectcalico.org/namespace == 'shop'
  egress: [{action: Deny, protocol: UDP}]
`, udp, Egress, false, "block-udp", 8},
		{"Calico ingress Deny at CoreDNS with a named port", "", `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: guard, namespace: kube-system}
spec:
  selector: k8s-app == 'kube-dns'
  ingress:
  - action: Deny
    source: {namespaceSelector: team == 'payments'}
    destination: {ports: [dns]}
  - action: Allow
`, udp, Ingress, false, "kube-system/guard", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := set(t, tc.k8s, tc.cal).Evaluate(tc.flow, tc.dir)
			if v.Allowed != tc.allow || v.Policy != tc.policy || (tc.ruleLine != 0 && v.RuleLine != tc.ruleLine) {
				t.Errorf("allowed %v by %q rule %d (%s), want %v by %q rule %d", v.Allowed, v.Policy, v.RuleLine, v.Why, tc.allow, tc.policy, tc.ruleLine)
			}
		})
	}
}
