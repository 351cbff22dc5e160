package load

import (
	"fmt"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// loadOne loads a one-node bundle made of the given files (path -> content).
func loadOne(t *testing.T, files map[string]string) *Node {
	t.Helper()
	var b strings.Builder
	for p, body := range files {
		fmt.Fprintf(&b, "-- worker-7/%s --\n%s", p, body)
	}
	bs, err := bundle.ParseTxtar([]byte(b.String()), "t.txtar")
	if err != nil {
		t.Fatal(err)
	}
	n, err := Load(bs[0])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fileOf(n *Node, p string) File {
	for _, f := range n.Files {
		if f.Path == p {
			return f
		}
	}
	return File{}
}

// Garbage that lands in a bundle when a collection step fails: nothing here is
// any command's output.
var garbage = []struct{ name, body string }{
	{"prose", "hello world\n"},
	{"command not found", "Command \"ip\" not found\n"},
	{"shell error", "/bin/sh: 1: ipvsadm: not found\n"},
	{"kubectl error", "Error from server (Forbidden): pods is forbidden: User \"system:node:worker-7\" cannot list resource \"pods\"\n"},
	{"permission error over two lines", "ipvsadm: Can't initialize ipvs: Permission denied (you must be root)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"},
	{"blank lines only", "\n\n  \n"},
	{"nothing", ""},
}

// TestUnreadableDataIsNotKnown: for every file kind the loader parses, a file
// that is not its command's output, or is empty with no record of the command
// succeeding, is "not known" (its typed value dropped, a diagnostic saying
// why), never an empty table.
func TestUnreadableDataIsNotKnown(t *testing.T) {
	paths := []string{
		bundle.IPVSPath, bundle.IPVSStatsPath, bundle.IPAddrPath, bundle.IPLinkPath,
		bundle.IPRoutePath, bundle.IPRouteAllPath, bundle.RouteGetPath, bundle.IPRulePath,
		bundle.IPNeighPath, bundle.BridgeFDBPath, bundle.IPTablesSavePath, bundle.NFTRulesetPath,
		bundle.IPSetListPath, bundle.ConntrackStats, bundle.SysctlPath, bundle.UnamePath,
		bundle.OSReleasePath, bundle.ResolvConfPath, bundle.CalicoEnvPath, bundle.CalicoDaemonSetPath,
		bundle.CalicoIPPoolsPath, bundle.CalicoFelixPath, bundle.BirdProtocolsPath,
		bundle.KubeNodesPath, bundle.KubeDNSEndpointsPath, bundle.KubeCoreDNSPodsPath, bundle.KubeProxyConfigPath,
		"ethtool/enp7s0.txt", "counters/after/proc-net-snmp", "counters/before/ethtool-S-enp7s0.txt",
		"counters/before/iptables-save.txt", "counters/after/conntrack-stats.txt",
	}
	for _, p := range paths {
		for _, g := range garbage {
			t.Run(p+"/"+g.name, func(t *testing.T) {
				n := loadOne(t, map[string]string{p: g.body})
				f := fileOf(n, p)
				if f.Path == "" {
					t.Fatalf("%s not listed", p)
				}
				if f.NotKnown == "" {
					t.Fatalf("%s holding %q is known (summary %q)", p, g.body, f.Summary)
				}
				found := false
				for _, d := range f.Diags {
					if strings.Contains(d.Msg, "not known") && d.File == p {
						found = true
					}
				}
				if !found {
					t.Errorf("no 'not known' diagnostic on %s: %v", p, f.Diags)
				}
			})
		}
	}
	// The typed values the rules read are gone, not empty.
	n := loadOne(t, map[string]string{
		bundle.IPVSPath:    "Command \"ipvsadm\" not found\n",
		bundle.IPRoutePath: "hello world\n",
		bundle.SysctlPath:  "",
		"ethtool/ens5.txt": "Cannot get device feature names: No such device\n",
	})
	if n.IPVS != nil || n.Routes != nil || n.Sysctl != nil || n.Ethtool["ens5"] != nil {
		t.Errorf("unreadable files kept a value: ipvs %v routes %v sysctl %v ethtool %v", n.IPVS, n.Routes, n.Sysctl, n.Ethtool["ens5"])
	}
}

// TestUnreadableDataIsNotKnownButDataStays: what is partly readable stays
// known, and an empty output the manifest vouches for is truly empty.
func TestUnreadableDataIsNotKnownButDataStays(t *testing.T) {
	manifest := `{"schema": "podnet-bundle/v1", "node": "worker-7", "collectedAt": "2026-10-01T04:05:06Z",
 "collector": {"name": "podnetdiag-collect", "version": "v0.3.0"},
 "items": [
  {"path": "ipvs/ipvsadm-Ln.txt", "source": "command", "command": "ipvsadm -Ln", "status": "ok", "durationMs": 3},
  {"path": "net/ip-rule.txt", "source": "netlink", "status": "ok", "durationMs": 1},
  {"path": "net/ip-neigh.txt", "source": "netlink", "status": "error", "error": "netlink: operation not permitted", "durationMs": 1},
  {"path": "kube/nodes.json", "source": "kubectl", "status": "error", "partial": true, "error": "truncated: 2 items kept of 9 read in 1 pages (90000 bytes): the file's cap of 4096 bytes is reached", "durationMs": 1}
 ]}
`
	n := loadOne(t, map[string]string{
		bundle.ManifestPath: manifest,
		bundle.IPVSPath:     "",
		bundle.IPRulePath:   "",
		bundle.IPNeighPath:  "172.31.9.1 dev enp7s0 lladdr 0a:58:ac:1f:09:01 REACHABLE\n",
		bundle.IPRoutePath: "default via 172.31.9.1 dev enp7s0 proto dhcp src 172.31.9.40 metric 100\n" +
			"this line is noise\n" +
			"192.168.77.0/26 via 172.31.9.41 dev enp7s0 proto bird onlink\n",
		bundle.SysctlPath: "# sysctl -a\nnet.ipv4.ip_forward = 1\n",
		bundle.KubeNodesPath: `{"kind":"NodeList","items":[{"metadata":{"name":"worker-7"}},{"metadata":{"name":"worker-8"}}]}
`,
	})
	for _, tc := range []struct {
		path  string
		known bool
		why   string
	}{
		{bundle.IPVSPath, true, "the manifest says ipvsadm ran and printed nothing"},
		{bundle.IPRulePath, true, "the manifest says the rules were read"},
		{bundle.IPNeighPath, false, "the manifest records a failure"},
		{bundle.IPRoutePath, true, "two of three lines are routes"},
		{bundle.SysctlPath, true, "a comment and a key"},
		{bundle.KubeNodesPath, true, "a list cut short keeps what it holds"},
	} {
		f := fileOf(n, tc.path)
		if got := f.NotKnown == ""; got != tc.known {
			t.Errorf("%s: known %v, want %v (%s); NotKnown %q", tc.path, got, tc.known, tc.why, f.NotKnown)
		}
	}
	if n.IPVS == nil || len(n.IPVS.Services) != 0 {
		t.Errorf("IPVS = %v, want an empty table", n.IPVS)
	}
	if n.Routes == nil || len(n.Routes.Routes) != 2 {
		t.Errorf("routes = %v, want the 2 readable routes", n.Routes)
	}
	if n.Neigh != nil {
		t.Errorf("neighbours of a failed collection kept: %v", n.Neigh)
	}
	// A partial file says so, with the collector's reason.
	partial := false
	for _, d := range fileOf(n, bundle.KubeNodesPath).Diags {
		partial = partial || strings.Contains(d.Msg, "partial") && strings.Contains(d.Msg, "cap of 4096 bytes")
	}
	if !partial || n.KubeNodes == nil || len(n.KubeNodes.Nodes) != 2 {
		t.Errorf("kube/nodes.json cut short: diags %v, nodes %v", fileOf(n, bundle.KubeNodesPath).Diags, n.KubeNodes)
	}
}
