package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/internal/cli/analyze"
)

// The generator is only worth its figures if analyze reads its bundles as it
// reads collect's: without a complaint about the data, with the planted fault
// as the root cause and nothing else wrong but what the report itself calls
// its consequences (its captures join without loss, its tables agree with
// its kube objects).
func TestAnalyzeFindsThePlantedFaultAndNothingElse(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		rule  string // expected root cause ("" for none)
		node  string
		storm bool
	}{
		{name: "ipip route", cfg: Config{Encap: "ipip", Fault: FaultRouteNextHop}, rule: FaultRouteNextHop, node: "node-002"},
		{name: "vxlan ipvs", cfg: Config{Encap: "vxlan", Fault: FaultIPVSNoBackend}, rule: FaultIPVSNoBackend, node: "node-002"},
		{name: "ipip ipvs on a CoreDNS node", cfg: Config{Encap: "ipip", Fault: FaultIPVSNoBackend, FaultNode: 1}, rule: FaultIPVSNoBackend, node: "node-001"},
		{name: "ipip tunnel one way", cfg: Config{Encap: "ipip", Fault: FaultTunnelOneWay}, rule: FaultTunnelOneWay, node: "node-002"},
		{name: "vxlan tunnel one way from node 0", cfg: Config{Encap: "vxlan", Fault: FaultTunnelOneWay, FaultNode: -2}, rule: FaultTunnelOneWay, node: "node-000"},
		{name: "healthy", cfg: Config{Encap: "ipip", Fault: FaultNone}},
		// A storm of 200 packets/s (~2,300 packets, ~11 s, past the 5 s
		// timeout): unanswered queries to the VIP, a warning (some are
		// answered), and still no loss on the storm node's tunnels.
		{name: "vxlan route and a storm", cfg: Config{Encap: "vxlan", Fault: FaultRouteNextHop, StormQPS: 200, StormNode: 1}, rule: FaultRouteNextHop, node: "node-002", storm: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.Out = t.TempDir()
			c.Nodes, c.Services, c.Reals, c.Pods = 3, 40, 3, 10
			c.CaptureBytes, c.CapturePeers, c.Seed = 128<<10, 2, 7
			switch c.FaultNode {
			case 0: // the default, the last node
				c.FaultNode = -1
			case -2: // node 0
				c.FaultNode = 0
			}
			if c.StormNode == 0 {
				c.StormNode = -1
			}
			sum, err := Generate(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if len(sum.Bundles) != 3 || sum.ExpectRule != tc.rule || sum.ExpectNode != tc.node {
				t.Fatalf("summary: %d bundles, expects %q on %q; want 3, %q on %q", len(sum.Bundles), sum.ExpectRule, sum.ExpectNode, tc.rule, tc.node)
			}
			rep := runAnalyze(t, sum.Bundles)
			if len(rep.DataQuality.Warnings) > 0 || len(rep.DataQuality.Diagnostics) > 0 {
				t.Errorf("the bundles do not read cleanly: warnings %v, diagnostics %s", rep.DataQuality.Warnings, rep.DataQuality.Diagnostics)
			}
			switch {
			case tc.rule == "" && rep.RootCause != nil:
				t.Errorf("root cause %s on %s, want none", rep.RootCause.Rule, rep.RootCause.Node)
			case tc.rule != "" && rep.RootCause == nil:
				t.Errorf("no root cause, want %s on %s", tc.rule, tc.node)
			case tc.rule != "" && (rep.RootCause.Rule != tc.rule || rep.RootCause.Node != tc.node):
				t.Errorf("root cause %s on %s, want %s on %s", rep.RootCause.Rule, rep.RootCause.Node, tc.rule, tc.node)
			}
			stormSeen := false
			for _, f := range rep.Findings {
				planted := f.Rule == tc.rule && f.Node == tc.node
				switch {
				case tc.storm && f.Rule == "dns-queries-unanswered" && f.Node == "node-001":
					stormSeen = true
				case f.Severity == "info" || planted || tc.rule != "" && f.ConsequenceOf == tc.rule:
				default:
					t.Errorf("unexpected %s finding %s on %s: %s", f.Severity, f.Rule, f.Node, f.Message)
				}
			}
			if tc.storm && !stormSeen {
				t.Errorf("the storm on node-001 gave no dns-queries-unanswered finding")
			}
		})
	}
}

func TestConfigRejectsWhatCannotBePlanted(t *testing.T) {
	base := Config{Nodes: 3, Services: 10, Reals: 1, Pods: 10, Encap: "ipip", Fault: FaultRouteNextHop, FaultNode: -1, StormNode: -1}
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"two nodes", func(c *Config) { c.Nodes = 2 }, "at least 3"},
		{"route fault on a CoreDNS node", func(c *Config) { c.FaultNode = 1 }, "needs a node without CoreDNS"},
		{"unknown fault", func(c *Config) { c.Fault = "mtu" }, "-fault"},
		{"storm without capture", func(c *Config) { c.StormQPS = 100 }, "-storm needs -capture"},
		{"one-way tunnel without capture", func(c *Config) { c.Fault = FaultTunnelOneWay }, "needs -capture"},
		{"unknown encapsulation", func(c *Config) { c.Encap = "wireguard" }, "-encap"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Out = t.TempDir()
			tc.edit(&c)
			_, err := Generate(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// report is the part of analyze's JSON report the test judges.
type report struct {
	RootCause *struct{ Rule, Node string } `json:"rootCause"`
	Findings  []struct {
		Rule, Node, Severity, Message string
		ConsequenceOf                 string `json:"consequenceOf"`
	} `json:"findings"`
	DataQuality struct {
		Warnings    []string          `json:"warnings"`
		Diagnostics []json.RawMessage `json:"diagnostics"`
	} `json:"dataQuality"`
}

func runAnalyze(t *testing.T, bundles []string) report {
	t.Helper()
	var out, errb bytes.Buffer
	args := append([]string{"-o", "json"}, bundles...)
	if code := analyze.Main(args, strings.NewReader(""), &out, &errb); code > 1 {
		t.Fatalf("analyze %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("analyze's JSON: %v", err)
	}
	for _, b := range bundles {
		if filepath.Ext(b) != ".tgz" {
			t.Errorf("bundle %s is not a .tgz", b)
		}
	}
	return r
}
