package calico

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestSelector(t *testing.T) {
	l := map[string]string{"app": "web", "tier": "front", "projectcalico.org/namespace": "shop"}
	for _, tc := range []struct {
		expr string
		want bool
		bad  bool
	}{
		{"", true, false},
		{"all()", true, false},
		{"app == 'web'", true, false},
		{`app == "db"`, false, false},
		{"app != 'db'", true, false},
		{"missing != 'x'", true, false},
		{"has(tier)", true, false},
		{"!has(tier)", false, false},
		{"app in {'a', 'web'}", true, false},
		{"app not in {'a', 'web'}", false, false},
		{"missing not in {'a'}", true, false},
		{"app == 'web' && tier == 'back'", false, false},
		{"app == 'db' || tier == 'front'", true, false},
		{"!(app == 'db' || tier == 'back')", true, false},
		{"app contains 'e'", true, false},
		{"app starts with 'w' && app ends with 'b'", true, false},
		{"projectcalico.org/namespace == 'shop'", true, false},
		{"global()", true, false},
		{"app ==", false, true},
		{"app == 'web' &&", false, true},
		{"(app == 'web'", false, true},
		{"app in {'a' 'b'}", false, true},
		{"app = 'web'", false, true},
	} {
		s, err := ParseSelector(tc.expr)
		if (err != nil) != tc.bad {
			t.Errorf("%q: err %v", tc.expr, err)
			continue
		}
		if err == nil && s.Matches(l) != tc.want {
			t.Errorf("%q: got %v", tc.expr, !tc.want)
		}
	}
	s, _ := ParseSelector("app == 'web' && has(x) && tier in {'a'}")
	if got := s.Equalities(); !reflect.DeepEqual(got, map[string]string{"app": "web", "x": "x", "tier": "a"}) {
		t.Errorf("equalities %v", got)
	}
}

func TestParsePolicies(t *testing.T) {
	r, ds := ParsePolicies(testdata(t, "calicoctl-networkpolicies.yaml"))
	if len(ds) != 0 || len(r.Policies) != 1 {
		t.Fatalf("%v %+v", ds, r)
	}
	p := r.Policies[0]
	if p.Ref() != "shop/default.allow-dns" || p.Order != 100 || !p.HasOrder || p.Tier != "default" || !reflect.DeepEqual(p.Types, []string{"Egress"}) || p.Line != 7 {
		t.Errorf("%+v", p)
	}
	if !p.Selector.Matches(map[string]string{"app": "api"}) || p.Selector.Matches(map[string]string{"app": "api", "legacy": "1"}) {
		t.Errorf("selector %s", p.Selector)
	}
	e := p.Egress[0]
	if e.Action != "Allow" || e.Protocol != "UDP" || !e.Destination.HasNSSelector || !e.Destination.Selector.Matches(map[string]string{"k8s-app": "kube-dns"}) || !reflect.DeepEqual(e.Destination.Ports, []PortRange{{53, 53, ""}}) || e.Line != 12 {
		t.Errorf("rule %+v", e)
	}
	if got := p.Egress[1].Destination.Nets; !reflect.DeepEqual(got, []netip.Prefix{netip.MustParsePrefix("169.254.20.10/32")}) {
		t.Errorf("nets %v", got)
	}

	r, ds = ParsePolicies(testdata(t, "crd-globalnetworkpolicies.yaml"))
	if len(ds) != 0 || len(r.Policies) != 2 {
		t.Fatalf("%v %+v", ds, r)
	}
	g, s := r.Policies[0], r.Policies[1]
	if g.Kind != KindGlobalNetworkPolicy || g.Namespace != "" || g.Order != 2000 || g.Egress[1].Destination.Ports[0] != (PortRange{50, 60, ""}) || g.Egress[0].Action != "Log" {
		t.Errorf("%+v", g)
	}
	// No types: Ingress and Egress because both have rules.
	if s.Tier != "security" || s.HasOrder || !reflect.DeepEqual(s.Types, []string{"Ingress", "Egress"}) {
		t.Errorf("%+v", s)
	}
}

func TestParsePoliciesBad(t *testing.T) {
	for _, tc := range []struct {
		in    string
		diags []string
	}{
		{"kind: IPPool\napiVersion: projectcalico.org/v3\nmetadata:\n  name: x\n", []string{"error@0"}},
		{"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: x\nspec:\n  selector: a ==\n  order: x\n  egress:\n  - action: Maybe\n", []string{"warning@7", "warning@6", "warning@9"}},
		{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n", []string{"warning@4"}},
	} {
		_, ds := ParsePolicies([]byte(tc.in))
		if got := diagKeys(ds); !reflect.DeepEqual(got, tc.diags) {
			t.Errorf("%q: %v, want %v (%v)", tc.in, got, tc.diags, ds)
		}
	}
}

func FuzzParsePolicies(f *testing.F) {
	fuzzSeeds(f, "calicoctl-networkpolicies.yaml", "crd-globalnetworkpolicies.yaml")
	f.Add([]byte("spec:\n  selector: \"!(!(a in {'x'}))\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParsePolicies(data)
		checkFuzzDiags(t, ds)
		for _, p := range r.Policies {
			_ = p.Selector.Matches(map[string]string{"a": "x"})
			_ = p.Selector.String()
		}
		_ = r.Summary()
	})
}

func FuzzSelector(f *testing.F) {
	f.Add("app in {'a', 'web'} && !has(x) || (b == 'c')")
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseSelector(expr)
		if err == nil {
			_ = s.Matches(map[string]string{"app": "web"})
			_ = s.Equalities()
		}
	})
}

// The API server's lists (what collect fetches) leave kind out of the items.
func TestPoliciesKindlessAPIList(t *testing.T) {
	r, ds := ParsePolicies([]byte("apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicyList\nitems:\n- metadata:\n    name: g\n  spec:\n    selector: all()\n"))
	if len(ds) != 0 || len(r.Policies) != 1 || r.Policies[0].Kind != KindGlobalNetworkPolicy {
		t.Errorf("%v %+v", ds, r)
	}
}
