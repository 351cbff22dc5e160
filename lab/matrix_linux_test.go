package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// labCase breaks one thing in a fresh cluster and names the rule that must
// come out as root cause ("" for a healthy cluster: nothing at warning or
// above).
type labCase struct {
	name   string
	expect string
	spec   spec
	dns    dnsMode
	// setup is applied after the cluster is built, before the check that it
	// resolves (what a healthy cluster of this shape has, as felix's rules for
	// the policies the API serves).
	setup func(c *cluster)
	// fault is applied after that check, before collecting.
	fault func(c *cluster)
	// named must appear in the root cause's message (the blocking policy).
	named string
	// broken: the spec itself breaks resolution (no check that the lab
	// resolves before the fault).
	broken bool
	// tcp: the client also resolves over TCP 53 (the policy cases: DNS
	// needs both, and a policy may allow one only); a healthy case must then
	// answer over both before the fault.
	tcp bool
	// knownFailure, when set, says why the analyzer is expected to misjudge
	// this case and whose part it is; the case is reported, not failed.
	knownFailure string
}

func nodeC(c *cluster) *labNode { return c.node("node-c") }
func nodeA(c *cluster) *labNode { return c.node("node-a") }

var cases = []labCase{
	{name: "healthy"},
	{name: "healthy-custom-dns-ip", spec: spec{dnsIP: "10.43.0.10", dnsSvc: "rke2-coredns-rke2-coredns"}},
	{name: "vxlan-dropped-one-way-by-underlay", expect: "link-tunnel-one-way", fault: func(c *cluster) {
		// The router drops node-c's VXLAN to node-a: queries arrive, answers do not.
		c.nftApply(c.router, fmt.Sprintf("table inet pnd-lab-underlay {\n chain forward {\n  type filter hook forward priority 0; policy accept;\n  ip saddr %s ip daddr %s udp dport 4789 drop\n }\n}\n",
			nodeC(c).uplink, nodeA(c).uplink))
	}},
	{name: "vxlan-dropped-by-receiver-firewall", expect: "link-tunnel-dropped-on-arrival", fault: func(c *cluster) {
		// node-a's host firewall (not felix's) admits VXLAN from its own
		// subnet only: node-c's VXLAN, from the other subnet, is dropped on
		// arrival, and nothing in felix's rules says why.
		c.nftApply(nodeA(c).ns, fmt.Sprintf("table inet pnd-lab-hostfw {\n chain input {\n  type filter hook input priority filter; policy accept;\n  udp dport 4789 ip saddr != %s.0/24 drop\n }\n}\n", subnetA))
	}},
	{name: "vxlan-host-not-in-felix-allowlist", expect: "calico-ipip-host-not-allowed", named: "cali40all-vxlan-net", fault: func(c *cluster) {
		// Felix's allowlist on node-a no longer holds node-c (as when node-a's
		// felix stopped following the datastore): felix's cali-INPUT rule
		// drops node-c's VXLAN as from a host it does not know.
		c.nsRun(nodeA(c).ns, "ipset", "del", "cali40all-vxlan-net", nodeC(c).knownIP+"/32")
	}},
	{name: "healthy-felix-nftables", spec: spec{felixNFT: true}},
	{name: "vxlan-host-not-in-nft-allowlist", expect: "calico-ipip-host-not-allowed", named: "nftables set cali40all-vxlan-net",
		spec: spec{felixNFT: true}, fault: func(c *cluster) {
			// As vxlan-host-not-in-felix-allowlist, with felix in nftables
			// mode: the allowlist is a set of table ip calico.
			c.nsRun(nodeA(c).ns, "nft", "delete", "element", "ip", "calico", "cali40all-vxlan-net", "{ "+nodeC(c).knownIP+" }")
		}},
	{name: "pod-block-route-deleted", expect: "route-pod-block-missing", fault: func(c *cluster) {
		c.ip("-n", nodeA(c).ns, "route", "del", nodeC(c).block)
	}},
	{name: "next-hop-wrong-node", expect: "route-next-hop-wrong", fault: func(c *cluster) {
		c.ip("-n", nodeA(c).ns, "route", "replace", nodeC(c).block, "via", c.node("node-b").vtep, "dev", "vxlan.calico", "onlink", "proto", "80")
	}},
	{name: "vxlan-down-on-dns-node", expect: "tunnel-device-missing", fault: func(c *cluster) {
		c.ip("-n", nodeC(c).ns, "link", "set", "vxlan.calico", "down")
	}},
	{name: "dns-server-stopped", expect: "dns-server-port-unreachable", dns: dnsStop},
	{name: "dns-server-silent", expect: "dns-queries-unanswered", dns: dnsSilent},
	{name: "tunnel-mtu-above-uplink", expect: "mtu-tunnel-overhead", fault: func(c *cluster) {
		for _, n := range c.nodes {
			c.ip("-n", n.ns, "link", "set", "vxlan.calico", "mtu", "1480")
		}
	}},
	{name: "rp-filter-strict-needs-loose", expect: "sysctl-rp-filter-strict-asymmetric",
		spec: spec{secondUplink: true, nodeCKnownOnSecond: true}, fault: func(c *cluster) {
			// node-c is known by eth1's address, so node-a's VXLAN arrives on
			// eth1, while node-c's route back to node-a leaves through eth0.
			for _, k := range []string{"all", "eth1"} {
				c.sysctl(nodeC(c).ns, "net.ipv4.conf."+k+".rp_filter", "1")
			}
		}},
	{name: "ip-forward-off-on-dns-node", expect: "sysctl-ip-forward-off", fault: func(c *cluster) {
		c.sysctl(nodeC(c).ns, "net.ipv4.ip_forward", "0")
	}},
	{name: "asymmetric-source-second-uplink", expect: "calico-autodetect-wrong-interface", broken: true,
		spec: spec{secondUplink: true, nodeCSendsFromSecond: true}},
	{name: "healthy-default-deny-allows-dns", tcp: true, spec: spec{netpols: []obj{defaultDenyEgress, allowDNSEgress}}, setup: func(c *cluster) {
		c.felixWorkload(c.client, "fw", []felixPolicy{
			{name: clientNS + "/knp.default.allow-dns", rules: allowDNSRules(c, "udp", "tcp")},
			{name: clientNS + "/knp.default.default-deny-egress"},
		})
	}},
	{name: "policy-default-deny-egress-no-dns", tcp: true, expect: "network-policy-denies-dns", named: "default-deny-egress",
		spec: spec{netpols: []obj{defaultDenyEgress}}, fault: func(c *cluster) {
			// Felix renders the policy's empty egress as a chain that passes
			// nothing: the client's queries meet "Drop if no policies passed packet".
			c.felixWorkload(c.client, "fw", []felixPolicy{{name: clientNS + "/knp.default.default-deny-egress"}})
		}},
	{name: "policy-allows-dns-over-udp-only", tcp: true, expect: "network-policy-denies-dns", named: "TCP 53",
		spec: spec{netpols: []obj{defaultDenyEgress, allowDNSEgressUDPOnly}}, fault: func(c *cluster) {
			// The allow rule forgets TCP: UDP queries are answered, the TCP
			// ones (a resolver's retry of a truncated answer) meet "Drop if
			// no policies passed packet".
			c.felixWorkload(c.client, "fw", []felixPolicy{
				{name: clientNS + "/knp.default.allow-dns", rules: allowDNSRules(c, "udp")},
				{name: clientNS + "/knp.default.default-deny-egress"},
			})
		}},
	{name: "calico-policy-denies-dns-ingress", tcp: true, expect: "network-policy-denies-dns", named: "dns-from-kube-system-only",
		spec: spec{calicoGlobal: []obj{dnsFromKubeSystemOnly}}, fault: func(c *cluster) {
			// Felix's ingress chain for the CoreDNS pod passes what comes from
			// kube-system's pods (the CoreDNS pod alone here); the client's
			// queries from shop meet "Drop if no policies passed packet".
			c.felixWorkload(c.dnsPod, "tw", []felixPolicy{{name: "default.dns-from-kube-system-only",
				rules: []string{"-s " + c.dnsPod.ip + "/32 -j MARK --set-xmark 0x10000/0x10000", "-m mark --mark 0x10000/0x10000 -j RETURN"}}})
		}},
	{name: "healthy-default-deny-felix-nftables", tcp: true, spec: spec{felixNFT: true, netpols: []obj{defaultDenyEgress, allowDNSEgress}}, setup: func(c *cluster) {
		c.felixWorkloadNFT(c.client, "fw", []felixPolicy{
			{name: clientNS + "/knp.default.allow-dns", rules: allowDNSRulesNFT(c, "udp", "tcp")},
			{name: clientNS + "/knp.default.default-deny-egress"},
		})
	}},
	{name: "policy-denies-dns-felix-nftables", tcp: true, expect: "network-policy-denies-dns", named: "rules counted drops",
		spec: spec{felixNFT: true, netpols: []obj{defaultDenyEgress}}, fault: func(c *cluster) {
			// As policy-default-deny-egress-no-dns with felix in nftables
			// mode: the drop counter that corroborates the policy is in
			// table ip calico.
			c.felixWorkloadNFT(c.client, "fw", []felixPolicy{{name: clientNS + "/knp.default.default-deny-egress"}})
			// nft list ruleset is read once, early in collect (there are no
			// nftables counters before and after the capture window): let
			// the drop counter move first, as an incident's has long before
			// anyone collects.
			c.waitNFTDrops(c.node(c.client.node).ns, "filter-cali-fw-"+c.client.cali)
		}},
	{name: "kube-proxy-dns-rules-missing", expect: "kube-proxy-dns-rules-missing", fault: func(c *cluster) {
		c.nsRun(nodeA(c).ns, "nft", "delete", "table", "ip", "kube-proxy")
	}},
}

// defaultDenyEgress isolates every pod of the client's namespace for egress
// and allows nothing.
var defaultDenyEgress = obj{
	"metadata": obj{"name": "default-deny-egress", "namespace": clientNS},
	"spec":     obj{"podSelector": obj{}, "policyTypes": []any{"Egress"}},
}

// allowDNSEgress is the rule default-deny namespaces need: UDP and TCP 53 to
// the CoreDNS pods of kube-system.
var allowDNSEgress = obj{
	"metadata": obj{"name": "allow-dns", "namespace": clientNS},
	"spec": obj{"podSelector": obj{}, "policyTypes": []any{"Egress"}, "egress": []any{obj{
		"to": []any{obj{
			"namespaceSelector": obj{"matchLabels": obj{"kubernetes.io/metadata.name": "kube-system"}},
			"podSelector":       obj{"matchLabels": obj{"k8s-app": "kube-dns"}},
		}},
		"ports": []any{obj{"protocol": "UDP", "port": 53}, obj{"protocol": "TCP", "port": 53}},
	}}},
}

// allowDNSEgressUDPOnly is allowDNSEgress without TCP: names resolve until
// an answer is too large for UDP.
var allowDNSEgressUDPOnly = obj{
	"metadata": obj{"name": "allow-dns", "namespace": clientNS},
	"spec": obj{"podSelector": obj{}, "policyTypes": []any{"Egress"}, "egress": []any{obj{
		"to": []any{obj{
			"namespaceSelector": obj{"matchLabels": obj{"kubernetes.io/metadata.name": "kube-system"}},
			"podSelector":       obj{"matchLabels": obj{"k8s-app": "kube-dns"}},
		}},
		"ports": []any{obj{"protocol": "UDP", "port": 53}},
	}}},
}

// allowDNSRules is allowDNSEgress (protos udp and tcp) or
// allowDNSEgressUDPOnly (udp) as felix renders it: the selected pods are the
// CoreDNS pod (felix matches them through an ipset; one address here).
func allowDNSRules(c *cluster, protos ...string) []string {
	var rules []string
	for _, p := range protos {
		rules = append(rules, "-p "+p+" -d "+c.dnsPod.ip+"/32 -m multiport --dports 53 -j MARK --set-xmark 0x10000/0x10000")
	}
	return append(rules, "-m mark --mark 0x10000/0x10000 -j RETURN")
}

// allowDNSRulesNFT is allowDNSRules in felix's nftables syntax.
func allowDNSRulesNFT(c *cluster, protos ...string) []string {
	var rules []string
	for _, p := range protos {
		rules = append(rules, "ip daddr "+c.dnsPod.ip+" "+p+" dport 53 meta mark set meta mark | 0x00010000")
	}
	return append(rules, "meta mark & 0x00010000 == 0x00010000 return")
}

// dnsFromKubeSystemOnly is a hardening mistake: CoreDNS accepts only what
// comes from kube-system, so every other namespace's queries are refused.
var dnsFromKubeSystemOnly = obj{
	"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
	"metadata": obj{"name": "default.dns-from-kube-system-only"},
	"spec": obj{"tier": "default", "order": 100, "selector": "k8s-app == 'kube-dns'", "types": []any{"Ingress"},
		"ingress": []any{obj{"action": "Allow", "source": obj{"namespaceSelector": "kubernetes.io/metadata.name == 'kube-system'"}}}},
}

// result is one case's outcome, a line of the matrix table.
type result struct {
	name, expect, given, others, note string
	took                              time.Duration
	ok                                bool
}

// report is the part of `analyze -o json` the matrix reads.
type report struct {
	RootCause *struct {
		Rule string `json:"rule"`
		Node string `json:"node"`
	} `json:"rootCause"`
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Node     string `json:"node"`
		Message  string `json:"message"`
	} `json:"findings"`
}

func skipUnlessLab(t *testing.T) {
	t.Helper()
	if os.Getenv("PODNETDIAG_LAB") == "" {
		t.Skip("the real-kernel lab runs with PODNETDIAG_LAB=1 (hack/test.sh sets it when root)")
	}
	if os.Geteuid() != 0 {
		t.Skip("the real-kernel lab needs root (network, UTS, mount and PID namespaces)")
	}
	for _, tool := range []string{"ip", "bridge", "nft", "iptables-restore", "ipset", "unshare", "nsenter", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the real-kernel lab needs %s", tool)
		}
	}
}

// removeStale deletes the namespaces of lab runs whose process is gone (a
// test killed with SIGKILL cannot clean up after itself).
func removeStale(t *testing.T) {
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), "pnd-lab-")
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue
		}
		t.Logf("removing stale namespace %s", e.Name())
		exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}

func buildTools(t *testing.T) (collect, analyze string) {
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+"/", "github.com/podnetdiag/podnetdiag/cmd/collect", "github.com/podnetdiag/podnetdiag/cmd/analyze")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return filepath.Join(dir, "collect"), filepath.Join(dir, "analyze")
}

func captureSeconds() string {
	if s := os.Getenv("PODNETDIAG_LAB_CAPTURE"); s != "" {
		return s
	}
	return "3"
}

func TestLabMatrix(t *testing.T) {
	skipUnlessLab(t)
	removeStale(t)
	collectBin, analyzeBin := buildTools(t)
	reg := newRegistry()
	only := os.Getenv("PODNETDIAG_LAB_CASES") // comma-separated names; empty is all
	keep := os.Getenv("PODNETDIAG_LAB_KEEP")  // a directory to unpack the bundles in
	var (
		mu      sync.Mutex
		results []result
	)
	for i, lc := range cases {
		if only != "" && !contains(strings.Split(only, ","), lc.name) {
			continue
		}
		t.Run(lc.name, func(t *testing.T) {
			start := time.Now()
			res := runCase(t, reg, i, lc, collectBin, analyzeBin, keep)
			res.took = time.Since(start)
			mu.Lock()
			results = append(results, res)
			mu.Unlock()
		})
	}
	writeTable(t, results)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runCase(t *testing.T, reg *registry, idx int, lc labCase, collectBin, analyzeBin, keep string) result {
	res := result{name: lc.name, expect: lc.expect}
	if res.expect == "" {
		res.expect = "(none)"
	}
	c := newCluster(t, reg, idx, lc.spec)
	if lc.setup != nil {
		lc.setup(c)
	}
	srv, tcpSrv := startDNS(t, c, lc.dns)
	cl := startClient(t, c, lc.tcp)
	// The lab must work before it is broken: a healthy cluster answers, over
	// TCP too when the case sends it.
	resolves := func() bool { return cl.answered.Load() > 0 && (!lc.tcp || cl.tcpAnswered.Load() > 0) }
	deadline := time.Now().Add(3 * time.Second)
	check := lc.dns == dnsServe && !lc.broken
	for check && !resolves() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if check && !resolves() {
		t.Fatalf("the lab does not resolve before the fault: %d UDP queries (%d answered), %d reached the server; %d TCP queries (%d answered), %d reached the server\n%s",
			cl.sent.Load(), cl.answered.Load(), srv.Received.Load(), cl.tcpSent.Load(), cl.tcpAnswered.Load(), tcpSrv.Received.Load(),
			c.nsRun(nodeA(c).ns, "ip", "route"))
	}
	if lc.fault != nil {
		lc.fault(c)
	}
	before, tcpBefore := cl.answered.Load(), cl.tcpAnswered.Load()

	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, len(c.nodes))
	outs := make([][]byte, len(c.nodes))
	var bundles []string
	for i, n := range c.nodes {
		out := filepath.Join(dir, n.name+".tgz")
		bundles = append(bundles, out)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			argv := n.inNode(collectBin, "-o", out, "--capture-seconds", captureSeconds(), "--timeout", "60s")
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	cl.halt()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("collect on %s: %v\n%s", c.nodes[i].name, err, outs[i])
		}
	}
	t.Logf("client: %d queries, %d answered (%d during collect); server saw %d", cl.sent.Load(), cl.answered.Load(), cl.answered.Load()-before, srv.Received.Load())
	if lc.tcp {
		t.Logf("client over TCP: %d queries, %d answered (%d during collect); server saw %d", cl.tcpSent.Load(), cl.tcpAnswered.Load(), cl.tcpAnswered.Load()-tcpBefore, tcpSrv.Received.Load())
	}
	for _, b := range bundles {
		raw, err := exec.Command("tar", "-xzOf", b).Output()
		if err == nil && bytes.Contains(raw, []byte(plantedSecret)) {
			t.Errorf("%s carries the planted secret", b)
		}
	}
	if keep != "" {
		// Each case's bundles unpacked as a scenario folder, one directory
		// per node (testdata/bundles/<scenario>/<node>/).
		for i, b := range bundles {
			d := filepath.Join(keep, lc.name, c.nodes[i].name)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("tar", "-xzf", b, "-C", d, "--strip-components=1").CombinedOutput(); err != nil {
				t.Fatalf("unpack %s: %v: %s", b, err, out)
			}
		}
	}

	cmd := exec.Command(analyzeBin, append([]string{"-o", "json"}, bundles...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("analyze: %v\n%s", err, stderr.String())
	}
	var rep report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("analyze -o json: %v\n%s", err, out)
	}
	res.given = "(none)"
	if rep.RootCause != nil && rep.RootCause.Rule != "" {
		res.given = rep.RootCause.Rule
	}
	var others []string
	for _, f := range rep.Findings {
		if f.Severity != "warning" && f.Severity != "critical" {
			continue
		}
		if f.Rule == lc.expect {
			continue
		}
		others = append(others, f.Rule+"@"+f.Node)
	}
	sort.Strings(others)
	others = dedup(others)
	res.others = strings.Join(others, ",")
	if res.others == "" {
		res.others = "-"
	}
	if lc.expect == "" {
		res.ok = res.given == "(none)" && len(others) == 0
	} else {
		res.ok = res.given == lc.expect
	}
	if res.ok && lc.named != "" {
		named := false
		for _, f := range rep.Findings {
			named = named || f.Rule == lc.expect && strings.Contains(f.Message, lc.named)
		}
		if !named {
			res.ok = false
			t.Logf("%s: no %s finding names %q", lc.name, lc.expect, lc.named)
		}
	}
	if !res.ok {
		var text bytes.Buffer
		for _, f := range rep.Findings {
			fmt.Fprintf(&text, "  %s %s %s: %s\n", f.Severity, f.Rule, f.Node, f.Message)
		}
		if lc.knownFailure != "" {
			res.note = "expected failure: " + lc.knownFailure
			t.Logf("%s: known misjudgment (%s); findings:\n%s", lc.name, lc.knownFailure, text.String())
		} else {
			t.Errorf("%s: root cause %s, want %s; others %s; findings:\n%s", lc.name, res.given, res.expect, res.others, text.String())
		}
	}
	return res
}

func dedup(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// writeTable prints the matrix (and writes it to $PODNETDIAG_LAB_TABLE for
// hack/test.sh).
func writeTable(t *testing.T, results []result) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-36s %-36s %-36s %-6s %s\n", "case", "expected root cause", "root cause given", "time", "others >= warning")
	for _, r := range results {
		status := ""
		if !r.ok {
			status = "  FAIL"
			if r.note != "" {
				status = "  (" + r.note + ")"
			}
		}
		fmt.Fprintf(&b, "%-36s %-36s %-36s %-6s %s%s\n", r.name, r.expect, r.given, fmt.Sprintf("%.1fs", r.took.Seconds()), r.others, status)
	}
	t.Log("\n" + b.String())
	if p := os.Getenv("PODNETDIAG_LAB_TABLE"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}
