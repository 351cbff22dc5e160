package kube

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParseNetworkPolicies(t *testing.T) {
	r, ds := ParseNetworkPolicies(testdata(t, "networkpolicies.json"))
	if len(ds) != 0 {
		t.Fatalf("diags %v", ds)
	}
	if len(r.Policies) != 2 {
		t.Fatalf("got %d policies", len(r.Policies))
	}
	deny, dns := r.Policies[0], r.Policies[1]
	if !deny.PodSelector.Empty() || !deny.Affects("Egress") || !deny.Affects("Ingress") || len(deny.Egress) != 0 || deny.Line != 8 {
		t.Errorf("deny %+v", deny)
	}
	// No policyTypes: Ingress by default, Egress because it has egress rules.
	if !reflect.DeepEqual(dns.PolicyTypes, []string{"Ingress", "Egress"}) || dns.PolicyTypesLine != 0 {
		t.Errorf("types %v", dns.PolicyTypes)
	}
	if dns.PodSelector.String() != "app=web" || !dns.PodSelector.Matches(map[string]string{"app": "web", "x": "y"}) || dns.PodSelector.Matches(nil) {
		t.Errorf("selector %v", dns.PodSelector)
	}
	rule := dns.Egress[0]
	if !reflect.DeepEqual(rule.Ports, []NetPolPort{{30, "UDP", "53", 0}, {34, "TCP", "dns-tcp", 0}}) {
		t.Errorf("ports %+v", rule.Ports)
	}
	peer := rule.Peers[0]
	if !peer.NamespaceSelector.Matches(map[string]string{"kubernetes.io/metadata.name": "kube-system"}) || !peer.PodSelector.Matches(map[string]string{"k8s-app": "kube-dns"}) || peer.PodSelector.Matches(map[string]string{"k8s-app": "x"}) {
		t.Errorf("peer %+v", peer)
	}
	b := rule.Peers[1].IPBlock
	if b == nil || !b.Contains(netip.MustParseAddr("10.0.0.10")) || b.Contains(netip.MustParseAddr("10.96.0.10")) || b.Contains(netip.MustParseAddr("192.168.0.1")) {
		t.Errorf("ipBlock %+v", b)
	}
}

func TestSelectorSemantics(t *testing.T) {
	l := map[string]string{"a": "1", "b": "2"}
	for _, tc := range []struct {
		sel  LabelSelector
		want bool
	}{
		{LabelSelector{}, false}, // missing: nothing
		{LabelSelector{Set: true}, true},
		{LabelSelector{Set: true, MatchLabels: map[string]string{"a": "1"}}, true},
		{LabelSelector{Set: true, MatchLabels: map[string]string{"a": "2"}}, false},
		{LabelSelector{Set: true, MatchExpressions: []LabelRequirement{{Key: "c", Operator: "DoesNotExist"}}}, true},
		{LabelSelector{Set: true, MatchExpressions: []LabelRequirement{{Key: "c", Operator: "NotIn", Values: []string{"x"}}}}, true},
		{LabelSelector{Set: true, MatchExpressions: []LabelRequirement{{Key: "b", Operator: "NotIn", Values: []string{"2"}}}}, false},
		{LabelSelector{Set: true, MatchExpressions: []LabelRequirement{{Key: "b", Operator: "Exists"}}}, true},
		{LabelSelector{Set: true, MatchExpressions: []LabelRequirement{{Key: "b", Operator: "Bogus"}}}, false},
	} {
		if got := tc.sel.Matches(l); got != tc.want {
			t.Errorf("%+v: got %v", tc.sel, got)
		}
	}
}

func TestParseNamespaces(t *testing.T) {
	r, ds := ParseNamespaces(testdata(t, "namespaces.yaml"))
	if len(ds) != 0 || len(r.Namespaces) != 2 {
		t.Fatalf("%v %+v", ds, r)
	}
	ns, ok := r.Get("shop")
	if !ok || ns.Labels["team"] != "payments" || ns.Line != 15 {
		t.Errorf("%+v", ns)
	}
	if _, ds := ParseNamespaces([]byte(`{"kind":"Pod","metadata":{"name":"x"}}`)); len(ds) != 1 {
		t.Errorf("want a not-found error, got %v", ds)
	}
}

func FuzzParseNetworkPolicies(f *testing.F) {
	f.Add(testdata(f, "networkpolicies.json"))
	f.Add(testdata(f, "namespaces.yaml"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _ := ParseNetworkPolicies(data)
		for _, p := range r.Policies {
			_ = p.PodSelector.String()
		}
		_ = r.Summary()
		n, _ := ParseNamespaces(data)
		_ = n.Summary()
	})
}

// The API server's lists (what collect fetches) leave kind out of the items.
func TestKindlessAPIListItems(t *testing.T) {
	r, ds := ParseNamespaces([]byte(`{"kind":"NamespaceList","apiVersion":"v1","items":[{"metadata":{"name":"shop","labels":{"team":"x"}}}]}`))
	if len(ds) != 0 || len(r.Namespaces) != 1 || r.Namespaces[0].Labels["team"] != "x" {
		t.Errorf("%v %+v", ds, r)
	}
	p, ds := ParseNetworkPolicies([]byte(`{"kind":"NetworkPolicyList","apiVersion":"networking.k8s.io/v1","items":[{"metadata":{"name":"d","namespace":"s"},"spec":{"podSelector":{},"policyTypes":["Egress"]}}]}`))
	if len(ds) != 0 || len(p.Policies) != 1 {
		t.Errorf("%v %+v", ds, p)
	}
}
