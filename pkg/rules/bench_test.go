package rules

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
	rulepack "github.com/podnetdiag/podnetdiag/rules"
)

// benchEngine loads the test pack and the embedded pack (the rules of the
// embedded pack the test pack also has are taken from the test pack), so that
// every scope is represented.
func benchEngine(b *testing.B) *Engine {
	b.Helper()
	e := newEngine(b, Options{}, "testdata/pack")
	pack := fstest.MapFS{}
	entries, err := fs.Glob(rulepack.FS, "*.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range entries {
		if strings.HasSuffix(name, "_test.yaml") || e.Rule(strings.TrimSuffix(name, ".yaml")) != nil {
			continue
		}
		data, err := fs.ReadFile(rulepack.FS, name)
		if err != nil {
			b.Fatal(err)
		}
		pack[name] = &fstest.MapFile{Data: data}
	}
	if errs := e.LoadFS(pack, "rules"); errs != nil {
		b.Fatal(errs)
	}
	return e
}

// bigCluster: n nodes, each with a /26 pod block routed from every other node,
// two CoreDNS pods, a healthy IPVS table and sysctl.
func bigCluster(n int) *facts.Cluster {
	c := &facts.Cluster{DNSServiceIP: "10.96.0.10", DNSServiceIPKnown: true, Encapsulation: facts.EncapIPIP}
	ip := func(i int) string { return fmt.Sprintf("10.0.%d.%d", i/250, i%250+1) }
	block := func(i int) string { return fmt.Sprintf("10.244.%d.%d/26", i/4, (i%4)*64) }
	for _, i := range []int{1, n - 1} {
		c.CoreDNS = append(c.CoreDNS, facts.CoreDNSPod{IP: fmt.Sprintf("10.244.%d.%d", i/4, (i%4)*64+5), Node: fmt.Sprintf("node-%03d", i)})
	}
	has := map[string]bool{"routes": true, "links": true, "sysctl": true, "ipvs": true}
	for i := range n {
		node := facts.Node{
			Name: fmt.Sprintf("node-%03d", i), Has: has, IPs: []string{ip(i)}, KubeProxyMode: "ipvs",
			PodBlocks: []string{block(i)}, Encapsulation: facts.EncapIPIP,
			Links: []facts.Link{
				{Name: "eth0", Up: true, MTU: 1500, Addrs: []string{ip(i) + "/16"}},
				{Name: "tunl0", Up: true, MTU: 1480},
			},
			Sysctl: map[string]facts.Value{"net.ipv4.ip_forward": {Value: "1"}},
		}
		node.Routes = append(node.Routes, facts.Route{Dst: "0.0.0.0/0", Default: true, Via: "10.0.0.254", Dev: "eth0"})
		for j := range n {
			if j == i {
				node.Routes = append(node.Routes, facts.Route{Type: "blackhole", Dst: block(j)})
				continue
			}
			node.Routes = append(node.Routes, facts.Route{Dst: block(j), Via: ip(j), Dev: "tunl0", Onlink: true})
		}
		for _, p := range []struct {
			proto string
			port  int32
		}{{"UDP", 53}, {"TCP", 53}, {"TCP", 9153}} {
			node.IPVS = append(node.IPVS, facts.IPVSEntry{Proto: p.proto, VIP: "10.96.0.10", Port: p.port})
		}
		c.Nodes = append(c.Nodes, node)
	}
	return c
}

func BenchmarkEvalPack3Nodes(b *testing.B) {
	e := benchEngine(b)
	c := testCluster()
	b.ResetTimer()
	for b.Loop() {
		e.Eval(c)
	}
}

func BenchmarkEvalPack100Nodes(b *testing.B) {
	e := benchEngine(b)
	c := bigCluster(100)
	for _, f := range e.Eval(c) {
		if f.Rule == findings.RuleError || f.Severity == findings.SeverityCritical {
			b.Fatalf("a healthy cluster has %s %s: %s", f.Rule, f.Severity, f.Message)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		e.Eval(c)
	}
}
