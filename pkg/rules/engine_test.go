package rules

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
	rulepack "github.com/podnetdiag/podnetdiag/rules"
)

// testCluster: three nodes; node-a routes node-c's CoreDNS block via node-b
// (wrong next hop), node-c has only a default route (pod block route missing),
// node-c's tunl0 MTU differs, node-c runs VXLAN while the others run IPIP, and
// node-c's sysctl list lacks ip_forward.
func testCluster() *facts.Cluster {
	ref := func(node, file string, line int32) facts.Ref { return facts.NewRef(node, file, int(line), "") }
	return &facts.Cluster{
		DNSServiceIP: "10.96.0.10", DNSServiceIPKnown: true,
		Encapsulation: facts.EncapMixed,
		CoreDNS: []facts.CoreDNSPod{
			{IP: "10.244.1.5", Node: "node-b", Refs: []facts.Ref{ref("node-b", "kube/pods.txt", 3)}},
			{IP: "10.244.2.5", Node: "node-c"},
			{IP: "10.244.9.9"},
		},
		Nodes: []facts.Node{
			{
				Name: "node-a", Has: map[string]bool{"routes": true, "links": true, "sysctl": true},
				IPs: []string{"10.0.0.11"}, Encapsulation: facts.EncapIPIP,
				Links: []facts.Link{
					{Name: "eth0", Up: true, MTU: 1500, Addrs: []string{"10.0.0.11/24"}},
					{Name: "tunl0", Up: true, MTU: 1480, Ref: ref("node-a", "net/ip-link.txt", 5)},
				},
				Routes: []facts.Route{
					{Dst: "0.0.0.0/0", Default: true, Via: "10.0.0.1", Dev: "eth0", Ref: ref("node-a", "net/ip-route.txt", 1)},
					{Dst: "10.244.1.0/26", Via: "10.0.0.12", Dev: "tunl0", Ref: ref("node-a", "net/ip-route.txt", 2)},
					{Dst: "10.244.2.0/26", Via: "10.0.0.12", Dev: "tunl0", Ref: ref("node-a", "net/ip-route.txt", 3)},
				},
				Sysctl: map[string]facts.Value{"net.ipv4.ip_forward": {Value: "0", Ref: ref("node-a", "proc/sysctl.txt", 40)}},
			},
			{
				Name: "node-b", Has: map[string]bool{"routes": true, "links": true},
				IPs: []string{"10.0.0.12"}, Encapsulation: facts.EncapIPIP,
				Links: []facts.Link{
					{Name: "eth0", Up: true, MTU: 1500, Addrs: []string{"10.0.0.12/24"}},
					{Name: "tunl0", Up: true, MTU: 1480, Ref: ref("node-b", "net/ip-link.txt", 5)},
				},
				Routes: []facts.Route{
					{Dst: "10.244.2.0/26", Via: "10.0.0.13", Dev: "tunl0", Ref: ref("node-b", "net/ip-route.txt", 1)},
				},
			},
			{
				Name: "node-c", Has: map[string]bool{"routes": true, "links": true, "sysctl": true},
				IPs: []string{"10.0.0.13"}, Encapsulation: facts.EncapVXLAN,
				Links: []facts.Link{
					{Name: "eth0", Up: true, MTU: 1500, Addrs: []string{"10.0.0.13/24"}},
					{Name: "tunl0", Up: true, MTU: 1440, Ref: ref("node-c", "net/ip-link.txt", 7)},
				},
				Routes: []facts.Route{
					{Dst: "0.0.0.0/0", Default: true, Via: "10.0.0.1", Dev: "eth0", Ref: ref("node-c", "net/ip-route.txt", 1)},
				},
				Sysctl: map[string]facts.Value{},
			},
		},
	}
}

func newEngine(t testing.TB, opts Options, dirs ...string) *Engine {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		for _, err := range e.LoadDir(d) {
			t.Errorf("loading %s: %v", d, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return e
}

// key is what a rule test compares: rule, node, peer, severity, insufficient.
func key(f findings.Finding) string {
	k := fmt.Sprintf("%s %s>%s %s", f.Rule, f.Node, f.Peer, f.Severity)
	if f.Insufficient {
		k += " insufficient"
	}
	return k
}

func keys(fs []findings.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = key(f)
	}
	return out
}

func TestEvalPackFindsWhatTheClusterHolds(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	got := keys(e.Eval(testCluster()))
	// Report order: severity, stage, rule, node, peer.
	want := []string{
		"route-next-hop-wrong node-a>node-c critical",
		"route-pod-block-missing node-c>node-b critical",
		"tunnel-mode-mixed > critical",
		"ip-forward-lookup node-a> critical",
		"tunnel-mtu-differs node-a>node-c warning",
		"tunnel-mtu-differs node-b>node-c warning",
		"tunnel-mtu-differs node-c>node-a warning",
		"tunnel-mtu-differs node-c>node-b warning",
		"rule-error node-c> warning",
		"route-pod-block-missing node-a> info insufficient",
		"route-pod-block-missing node-b> info insufficient",
		"route-pod-block-missing node-c> info insufficient",
		"ip-forward-lookup node-b> info insufficient",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func findingOf(t *testing.T, fs []findings.Finding, rule, node string) findings.Finding {
	t.Helper()
	for _, f := range fs {
		if f.Rule == rule && f.Node == node {
			return f
		}
	}
	t.Fatalf("no %s finding on %q in %v", rule, node, keys(fs))
	return findings.Finding{}
}

func TestEvalFillsMessageEvidenceAndPeer(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	fs := e.Eval(testCluster())
	tests := []struct {
		name, rule, node string
		want             findings.Finding
	}{
		{
			name: "foreach item, variables, peer expression and concatenated evidence",
			rule: "route-next-hop-wrong", node: "node-a",
			want: findings.Finding{
				Rule: "route-next-hop-wrong", Severity: "critical", Stage: "route", Node: "node-a", Peer: "node-c",
				Title:       "Route to a CoreDNS pod goes via the wrong node",
				Message:     "route to 10.244.2.5 goes via 10.0.0.12 (node-b), but the pod runs on node-c",
				Evidence:    []facts.Ref{facts.NewRef("node-a", "net/ip-route.txt", 3, "")},
				Remediation: "The route is stale or was learned from the wrong peer. Check BGP peers and\nIP_AUTODETECTION_METHOD on the node hosting the pod.",
				RuleFile:    "testdata/pack/route-next-hop-wrong.yaml", RuleLine: 1,
			},
		},
		{
			name: "the default route is the evidence of a missing pod route",
			rule: "route-pod-block-missing", node: "node-c",
			want: findings.Finding{
				Rule: "route-pod-block-missing", Severity: "critical", Stage: "route", Node: "node-c", Peer: "node-b",
				Title:       "No route to a remote CoreDNS pod other than the default route",
				Message:     "no route to CoreDNS pod 10.244.1.5 on node-b; only the default route via 10.0.0.1",
				Evidence:    []facts.Ref{facts.NewRef("node-c", "net/ip-route.txt", 1, "")},
				Remediation: "Check that calico-node runs on both nodes and that BGP sessions are up.",
				RuleFile:    "testdata/pack/route-pod-block-missing.yaml", RuleLine: 1,
			},
		},
		{
			name: "a cluster-scope finding has no node and takes its severity from severityExpr",
			rule: "tunnel-mode-mixed", node: "",
			want: findings.Finding{
				Rule: "tunnel-mode-mixed", Severity: "critical", Stage: "tunnel-endpoint",
				Title:       "Nodes of the cluster disagree on IPIP versus VXLAN",
				Message:     "encapsulation per node: node-a=ipip, node-b=ipip, node-c=vxlan",
				Evidence:    []facts.Ref{},
				Remediation: "Finish the switch described in the runbook.",
				RuleFile:    "testdata/pack/tunnel-mode-mixed.yaml", RuleLine: 1,
			},
		},
		{
			name: "a node lacking a needed source gets an insufficient-data finding",
			rule: "ip-forward-lookup", node: "node-b",
			want: findings.Finding{
				Rule: "ip-forward-lookup", Severity: "info", Stage: "kernel", Node: "node-b",
				Title:        "IP forwarding is off",
				Message:      "insufficient data: needs sysctl, not in this node's bundle",
				Evidence:     []facts.Ref{},
				Remediation:  "Collect the bundle again with the missing sources (sysctl) so that this check can run.",
				Insufficient: true,
				RuleFile:     "testdata/pack/ip-forward-lookup.yaml", RuleLine: 1,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := findingOf(t, fs, tc.rule, tc.node)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestInsufficientExpressionGivesInfoFindingInsteadOfMatch(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	f := findingOf(t, e.Eval(testCluster()), "route-pod-block-missing", "node-a")
	if !f.Insufficient || f.Severity != "info" || f.Message != "insufficient data: the node hosting CoreDNS pod 10.244.9.9 is unknown" {
		t.Errorf("got %+v", f)
	}
}

func TestRuntimeErrorBecomesRuleErrorAndOtherRulesRun(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	fs := e.Eval(testCluster())
	f := findingOf(t, fs, findings.RuleError, "node-c")
	wantMsg := "rule ip-forward-lookup failed on node-c at testdata/pack/ip-forward-lookup.yaml:9:43: match: no such key: net.ipv4.ip_forward"
	if f.Message != wantMsg || f.Severity != "warning" || f.Stage != "kernel" || f.RuleLine != 9 {
		t.Errorf("rule error:\n got %+v\nwant message %q, line 9", f, wantMsg)
	}
	// The same rule still judged node-a, and other rules judged node-c.
	findingOf(t, fs, "ip-forward-lookup", "node-a")
	findingOf(t, fs, "route-pod-block-missing", "node-c")
}

func TestCostLimitBecomesRuleError(t *testing.T) {
	e := newEngine(t, Options{CostLimit: 200})
	rule := `id: many-routes
title: Loops over every route
stage: route
severity: info
scope: node
match: node.routes.all(r, r.dst != 'never')
message: "'x'"
remediation: none
`
	quiet := strings.ReplaceAll(strings.ReplaceAll(rule, "many-routes", "cheap"), "node.routes.all(r, r.dst != 'never')", "true")
	if errs := e.LoadFS(fstest.MapFS{"many-routes.yaml": {Data: []byte(rule)}, "cheap.yaml": {Data: []byte(quiet)}}, "rules"); errs != nil {
		t.Fatal(errs)
	}
	n := facts.Node{Name: "big"}
	for i := range 500 {
		n.Routes = append(n.Routes, facts.Route{Dst: fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)})
	}
	fs := e.Eval(&facts.Cluster{Nodes: []facts.Node{n}})
	got := keys(fs)
	want := []string{"rule-error big> warning", "cheap big> info"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !strings.Contains(fs[0].Message, "rule many-routes failed on big at rules/many-routes.yaml:6:8: match: operation cancelled: actual cost limit exceeded") {
		t.Errorf("message: %s", fs[0].Message)
	}
}

func TestPanicInEvaluationBecomesRuleError(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	// A rule whose compiled match went missing: evaluating it dereferences nil,
	// as a bug in the engine would.
	e.Rule("tunnel-mode-mixed").match = nil
	fs := e.Eval(testCluster())
	var msg string
	for _, f := range fs {
		if f.Rule == findings.RuleError && f.Node == "" {
			msg = f.Message
		}
	}
	if !strings.HasPrefix(msg, "rule tunnel-mode-mixed failed at testdata/pack/tunnel-mode-mixed.yaml:1: panic: runtime error") {
		t.Errorf("rule error message %q", msg)
	}
	findingOf(t, fs, "route-next-hop-wrong", "node-a")
}

func TestPairScopeEvaluatesOrderedPairsOfDistinctNodes(t *testing.T) {
	e := newEngine(t, Options{})
	rule := `id: pairs
title: Every ordered pair
stage: link
severity: info
scope: pair
match: "true"
message: node.name + '->' + peer.name
remediation: none
`
	if errs := e.LoadFS(fstest.MapFS{"pairs.yaml": {Data: []byte(rule)}}, "rules"); errs != nil {
		t.Fatal(errs)
	}
	var msgs []string
	for _, f := range e.Eval(testCluster()) {
		if f.Node+"->"+f.Peer != f.Message {
			t.Errorf("finding node/peer %s/%s, message %s", f.Node, f.Peer, f.Message)
		}
		msgs = append(msgs, f.Message)
	}
	want := []string{"node-a->node-b", "node-a->node-c", "node-b->node-a", "node-b->node-c", "node-c->node-a", "node-c->node-b"}
	if !slices.Equal(msgs, want) {
		t.Errorf("got %v, want %v", msgs, want)
	}
}

func TestVariablesAreLazyAndPerItem(t *testing.T) {
	e := newEngine(t, Options{})
	// variables.bad fails for every item but the match never reads it unless
	// the item is 2; variables.sq must be recomputed for each item.
	rule := `id: lazy
title: Lazy variables
stage: link
severity: info
scope: cluster
foreach: "[1, 2, 3]"
variables:
  - name: sq
    expr: item * item
  - name: bad
    expr: "{'a': 1}['b']"
match: "item == 2 ? variables.bad == 1 : variables.sq > 1"
message: string(variables.sq)
remediation: none
`
	if errs := e.LoadFS(fstest.MapFS{"lazy.yaml": {Data: []byte(rule)}}, "rules"); errs != nil {
		t.Fatal(errs)
	}
	fs := e.Eval(testCluster())
	var msgs []string
	for _, f := range fs {
		msgs = append(msgs, f.Rule+": "+f.Message)
	}
	// Item 1: no match; item 2: the bad variable fails and ends the binding,
	// pointing at the variable's own expression; item 3 is not reached.
	want := []string{"rule-error: rule lazy failed at rules/lazy.yaml:11:20: variables.bad: no such key: b"}
	if !slices.Equal(msgs, want) {
		t.Errorf("got %q\nwant %q", msgs, want)
	}
}

func TestEvalIsDeterministic(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	first := e.Eval(testCluster())
	for range 5 {
		if got := e.Eval(testCluster()); !reflect.DeepEqual(got, first) {
			t.Fatalf("second evaluation differs:\n%v\n%v", keys(got), keys(first))
		}
	}
	// The order of the nodes in the model does not change the report.
	c := testCluster()
	slices.Reverse(c.Nodes)
	reversed := e.Eval(c)
	// tunnel-mode-mixed lists nodes in model order in its message; compare keys.
	if !slices.Equal(keys(reversed), keys(first)) {
		t.Errorf("node order changed the report:\n%v\n%v", keys(reversed), keys(first))
	}
}

func TestEvalContextCancelledReportsRulesNotRun(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fs := e.EvalContext(ctx, testCluster())
	if len(fs) != len(e.Rules()) {
		t.Fatalf("got %d findings, want one rule error per rule (%d): %v", len(fs), len(e.Rules()), keys(fs))
	}
	for _, f := range fs {
		if f.Rule != findings.RuleError || !strings.Contains(f.Message, "not evaluated: context canceled") {
			t.Errorf("got %+v", f)
		}
	}
}

func TestLoadingTheSameRuleTwiceIsAnError(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	errs := e.LoadDir("testdata/pack")
	if len(errs) != len(e.Rules()) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(e.Rules()), errs)
	}
	want := `testdata/pack/ip-forward-lookup.yaml:1: duplicate rule id "ip-forward-lookup" (already loaded from testdata/pack/ip-forward-lookup.yaml)`
	if errs[0].Error() != want {
		t.Errorf("got %q\nwant %q", errs[0], want)
	}
	if len(e.Rules()) != 5 {
		t.Errorf("a failed load added rules: %d", len(e.Rules()))
	}
}

func TestLoadDirOfAMissingDirectoryFails(t *testing.T) {
	e := newEngine(t, Options{})
	errs := e.LoadDir("testdata/no-such-dir")
	if len(errs) != 1 || !os.IsNotExist(errs[0]) {
		t.Errorf("got %v", errs)
	}
}

func TestEmbeddedRulePackLoads(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range e.LoadFS(rulepack.FS, "rules") {
		t.Error(err)
	}
	if e.Rule("ipvs-dns-vip-missing") == nil {
		t.Fatal("ipvs-dns-vip-missing not in the pack")
	}
}

func TestIPVSDNSVIPMissing(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := e.LoadFS(rulepack.FS, "rules"); errs != nil {
		t.Fatal(errs)
	}
	svc := func(proto string, port int32) facts.IPVSEntry {
		return facts.IPVSEntry{Proto: proto, VIP: "10.96.0.10", Port: port, Reals: []facts.IPVSEntryReal{{IP: "10.244.1.5", Port: port}}}
	}
	healthy := []facts.IPVSEntry{svc("UDP", 53), svc("TCP", 53), svc("TCP", 9153),
		{Proto: "TCP", VIP: "10.96.0.1", Port: 443}}
	has := map[string]bool{"ipvs": true}
	tests := []struct {
		name        string
		dnsIP       string
		defaultOnly bool // the IP is kubeadm's default, no source named it
		node        facts.Node
		want        []string
	}{
		{name: "not checked on kubeadm's default alone (issue 8: no false critical from a guess)", dnsIP: "10.96.0.10", defaultOnly: true,
			node: facts.Node{Name: "n", Has: has, KubeProxyMode: "ipvs", IPVS: healthy[3:]},
			want: []string{"info: insufficient data: the cluster DNS Service IP is not known (no DNS Service, kubelet clusterDNS or kube-proxy rule names it in the bundles; 10.96.0.10 is only kubeadm's default); give it with --dns-service-ip"}},
		{name: "quiet when all three virtual services exist", dnsIP: "10.96.0.10",
			node: facts.Node{Name: "n", Has: has, KubeProxyMode: "ipvs", IPVS: healthy}},
		{name: "critical for 53/UDP and warning for 9153/TCP when only 53/TCP exists", dnsIP: "10.96.0.10",
			node: facts.Node{Name: "n", Has: has, KubeProxyMode: "ipvs", IPVS: healthy[1:2]},
			want: []string{"critical: no IPVS virtual service for UDP 10.96.0.10:53 (1 virtual services in the table)",
				"warning: no IPVS virtual service for TCP 10.96.0.10:9153 (1 virtual services in the table)"}},
		{name: "fires for all three when the table is empty but kube-ipvs0 shows IPVS mode", dnsIP: "10.96.0.10",
			node: facts.Node{Name: "n", Has: has, Links: []facts.Link{{Name: "kube-ipvs0"}}},
			want: []string{"critical: no IPVS virtual service for TCP 10.96.0.10:53 (0 virtual services in the table)",
				"critical: no IPVS virtual service for UDP 10.96.0.10:53 (0 virtual services in the table)",
				"warning: no IPVS virtual service for TCP 10.96.0.10:9153 (0 virtual services in the table)"}},
		{name: "a VIP of another Service does not count", dnsIP: "10.96.0.11",
			node: facts.Node{Name: "n", Has: has, KubeProxyMode: "ipvs", IPVS: healthy},
			want: []string{"critical: no IPVS virtual service for TCP 10.96.0.11:53 (4 virtual services in the table)",
				"critical: no IPVS virtual service for UDP 10.96.0.11:53 (4 virtual services in the table)",
				"warning: no IPVS virtual service for TCP 10.96.0.11:9153 (4 virtual services in the table)"}},
		{name: "quiet when kube-proxy runs in iptables mode", dnsIP: "10.96.0.10",
			node: facts.Node{Name: "n", Has: has, KubeProxyMode: "iptables"}},
		{name: "insufficient when the DNS Service IP is unknown", dnsIP: "",
			node: facts.Node{Name: "n", Has: has, KubeProxyMode: "ipvs"},
			want: []string{"info: insufficient data: the cluster DNS Service IP is not known (no DNS Service, kubelet clusterDNS or kube-proxy rule names it in the bundles); give it with --dns-service-ip"}},
		{name: "insufficient when an empty table may just be iptables mode", dnsIP: "10.96.0.10",
			node: facts.Node{Name: "n", Has: has},
			want: []string{"info: insufficient data: the IPVS table is empty and nothing shows that kube-proxy runs in IPVS mode"}},
		{name: "insufficient when ipvsadm was not collected", dnsIP: "10.96.0.10",
			node: facts.Node{Name: "n", KubeProxyMode: "ipvs"},
			want: []string{"info: insufficient data: kube-proxy may run in IPVS mode here but ipvsadm -Ln is not in the bundle"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range e.Eval(&facts.Cluster{DNSServiceIP: tc.dnsIP, DNSServiceIPKnown: tc.dnsIP != "" && !tc.defaultOnly, Nodes: []facts.Node{tc.node}}) {
				if f.Rule != "ipvs-dns-vip-missing" {
					continue // the pack's other rules have their own tests
				}
				got = append(got, f.Severity+": "+f.Message)
				if !f.Insufficient && (len(f.Evidence) != 1 || f.Evidence[0].Node() != "n" || f.Evidence[0].File() != "ipvs/ipvsadm-Ln.txt" || f.Evidence[0].Line != 0) {
					t.Errorf("evidence %v", f.Evidence)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestEnvironmentOffersTheCELExtensions(t *testing.T) {
	tests := []struct{ name, match string }{
		{"strings", "'a,b'.split(',').size() == 2 && 'Tunl0'.lowerAscii() == 'tunl0'"},
		{"lists", "[3, 1, 2].sort() == [1, 2, 3] && [[1], [2]].flatten() == [1, 2]"},
		{"sets", "sets.contains(cluster.nodes.map(n, n.name), ['node-a'])"},
		{"bind", "cel.bind(n, nodeNamed(cluster, 'node-a'), n.ips[0] == '10.0.0.11')"},
		{"two-variable comprehensions", "nodeNamed(cluster, 'node-a').sysctl.all(k, v, k.startsWith('net.') && v.value == '0')"},
		{"optional map access", "!nodeNamed(cluster, 'node-c').sysctl[?'net.ipv4.ip_forward'].hasValue()"},
		{"facts.Ref construction", "facts.Ref{node: 'n', file: 'f'}.file == 'f'"},
		{"network library", "cidr('10.244.0.0/16').containsIP(cluster.coreDNS[0].ip)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{})
			rule := "id: feature\ntitle: T\nstage: link\nseverity: info\nscope: cluster\nremediation: r\nmessage: \"'ok'\"\nmatch: " + strconvQuote(tc.match) + "\n"
			if errs := e.LoadFS(fstest.MapFS{"feature.yaml": {Data: []byte(rule)}}, "rules"); errs != nil {
				t.Fatal(errs)
			}
			fs := e.Eval(testCluster())
			if len(fs) != 1 || fs[0].Message != "ok" {
				t.Errorf("got %+v", fs)
			}
		})
	}
}

// strconvQuote quotes a CEL expression for YAML (single quotes, doubled).
func strconvQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func TestEvalConcurrently(t *testing.T) {
	e := newEngine(t, Options{}, "testdata/pack")
	want := keys(e.Eval(testCluster()))
	done := make(chan []string)
	for range 4 {
		go func() { done <- keys(e.Eval(testCluster())) }()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Errorf("concurrent Eval differs: %v", got)
		}
	}
}

// TestEmptyForeachIsNotChecked: a foreach with nothing to iterate is a pass
// only when whenEmpty says the data was there; otherwise it is "not checked"
// with the reason, never silence.
func TestEmptyForeachIsNotChecked(t *testing.T) {
	rule := `id: coredns-route-probe
title: Every remote CoreDNS pod has a route
stage: route
severity: critical
scope: node
foreach: cluster.coreDNS.filter(p, p.node != node.name)
whenEmpty: >-
  size(cluster.coreDNS) == 0 ? 'no CoreDNS pod is known' : ''
match: "!node.routes.exists(r, r.dst != '' && cidr(r.dst).containsIP(ip(item.ip)))"
message: "'no route to ' + item.ip"
remediation: x
`
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := e.LoadFS(fstest.MapFS{"coredns-route-probe.yaml": {Data: []byte(rule)}}, "t"); len(errs) > 0 {
		t.Fatal(errs)
	}
	node := func(name string) facts.Node {
		return facts.Node{Name: name, Has: map[string]bool{"routes": true},
			Routes: []facts.Route{{Dst: "172.30.8.0/26", Dev: "vxlan.calico"}}}
	}
	tests := []struct {
		name    string
		coreDNS []facts.CoreDNSPod
		want    []string // rule@node:insufficient
	}{
		{"no CoreDNS pod known: not checked on every node", nil,
			[]string{"worker-x1:not checked: insufficient data: no CoreDNS pod is known", "worker-x2:not checked: insufficient data: no CoreDNS pod is known"}},
		{"every CoreDNS pod local: a pass where it is local, a verdict elsewhere",
			[]facts.CoreDNSPod{{IP: "172.30.9.7", Node: "worker-x1"}},
			[]string{"worker-x2:critical: no route to 172.30.9.7"}},
		{"a remote pod with a route: nothing to say", []facts.CoreDNSPod{{IP: "172.30.8.9", Node: "worker-x1"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &facts.Cluster{CoreDNS: tc.coreDNS, Nodes: []facts.Node{node("worker-x1"), node("worker-x2")}}
			var got []string
			for _, f := range e.Eval(c) {
				verdict := f.Severity
				if f.Insufficient {
					verdict = "not checked"
				}
				got = append(got, f.Node+":"+verdict+": "+f.Message)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	// whenEmpty without foreach is a load error.
	bad := strings.Replace(rule, "foreach: cluster.coreDNS.filter(p, p.node != node.name)\n", "", 1)
	bad = strings.ReplaceAll(bad, "item.ip", "'x'")
	e2, _ := New(Options{})
	if errs := e2.LoadFS(fstest.MapFS{"coredns-route-probe.yaml": {Data: []byte(bad)}}, "t"); len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), "whenEmpty needs a foreach") {
		t.Errorf("whenEmpty without foreach: errors %v", errs)
	}
}
