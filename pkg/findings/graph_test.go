package findings

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

func fnd(rule, node, peer string) Finding {
	return Finding{Rule: rule, Node: node, Peer: peer, Severity: SeverityCritical, Message: rule + " on " + node}
}

// TestCauseAndConsequenceFromTheExplainsGraphOnly (issue 8, class 4): a finding
// is a consequence only when the root-cause rule explains it, directly or
// through other rules, and both concern the same path; two faults on one node
// are two problems.
func TestCauseAndConsequenceFromTheExplainsGraphOnly(t *testing.T) {
	graph := map[string][]string{
		"sysctl-rp-filter-loose": {"bgp-session-down"},
		"bgp-session-down":       {"route-pod-block-missing"},
		"tunnel-device-missing":  {"route-pod-block-missing", "link-tunnel-one-way"},
		"cycle-a":                {"cycle-b"},
		"cycle-b":                {"cycle-a"},
	}
	tests := []struct {
		name  string
		fs    []Finding
		want  []string // "rule@node<-cause@causeNode" or "rule@node" for a root
		roots int
	}{
		{
			name: "transitive: rp_filter explains BGP which explains the missing route, on one path",
			fs: []Finding{fnd("route-pod-block-missing", "edge-7", "edge-9"), fnd("bgp-session-down", "edge-7", "edge-9"),
				fnd("sysctl-rp-filter-loose", "edge-7", "")},
			want:  []string{"route-pod-block-missing@edge-7<-sysctl-rp-filter-loose@edge-7", "bgp-session-down@edge-7<-sysctl-rp-filter-loose@edge-7", "sysctl-rp-filter-loose@edge-7"},
			roots: 1,
		},
		{
			name:  "two faults on one node the graph does not link are two problems",
			fs:    []Finding{fnd("kernel-gso-ipip-drop", "gw-1", ""), fnd("route-next-hop-wrong", "gw-1", "gw-2")},
			want:  []string{"kernel-gso-ipip-drop@gw-1", "route-next-hop-wrong@gw-1"},
			roots: 2,
		},
		{
			name: "an explained rule on another path is not a consequence",
			fs: []Finding{fnd("tunnel-device-missing", "w3", ""), fnd("route-pod-block-missing", "w1", "w2"),
				fnd("link-tunnel-one-way", "w1", "w3")},
			want:  []string{"tunnel-device-missing@w3", "route-pod-block-missing@w1", "link-tunnel-one-way@w1<-tunnel-device-missing@w3"},
			roots: 2,
		},
		{
			name: "the same cause on two nodes: each consequence points at its own",
			fs: []Finding{fnd("tunnel-device-missing", "n1", ""), fnd("tunnel-device-missing", "n2", ""),
				fnd("route-pod-block-missing", "n2", "n4")},
			want:  []string{"tunnel-device-missing@n1", "tunnel-device-missing@n2", "route-pod-block-missing@n2<-tunnel-device-missing@n2"},
			roots: 2,
		},
		{
			name:  "explanations in a circle leave both standing",
			fs:    []Finding{fnd("cycle-a", "x", ""), fnd("cycle-b", "x", "")},
			want:  []string{"cycle-a@x", "cycle-b@x"},
			roots: 2,
		},
		{
			name: "a cluster-wide cause covers every path; insufficient findings are never linked",
			fs: []Finding{fnd("bgp-session-down", "", ""), fnd("route-pod-block-missing", "a", "b"),
				{Rule: "route-pod-block-missing", Node: "c", Severity: SeverityInfo, Insufficient: true}},
			want:  []string{"bgp-session-down@", "route-pod-block-missing@a<-bgp-session-down@", "route-pod-block-missing@c"},
			roots: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roots := LinkCauses(tc.fs, graph)
			var got []string
			for _, f := range tc.fs {
				s := f.Rule + "@" + f.Node
				if f.ConsequenceOf != "" {
					s += "<-" + f.ConsequenceOf + "@" + f.ConsequenceOfNode
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tc.want) || len(roots) != tc.roots {
				t.Errorf("got %v (%d roots), want %v (%d roots)", got, len(roots), tc.want, tc.roots)
			}
		})
	}
}

func TestSamePath(t *testing.T) {
	tests := []struct {
		a, b Finding
		want bool
	}{
		{fnd("r", "a", "b"), fnd("s", "b", "a"), true},
		{fnd("r", "a", "b"), fnd("s", "a", "c"), false},
		{fnd("r", "a", ""), fnd("s", "c", "a"), true},
		{fnd("r", "a", ""), fnd("s", "b", ""), false},
		{fnd("r", "a", "b"), fnd("s", "b", ""), true},
		{fnd("r", "", ""), fnd("s", "z", "y"), true},
	}
	for _, tc := range tests {
		if got := SamePath(tc.a, tc.b); got != tc.want {
			t.Errorf("SamePath(%s/%s, %s/%s) = %v", tc.a.Node, tc.a.Peer, tc.b.Node, tc.b.Peer, got)
		}
	}
}

// TestOneFaultSeenTwiceIsOneFinding (issue 8, class 4): the same fault seen on
// two interfaces' captures, or from both ends of one path, is one finding with
// both pieces of evidence.
func TestOneFaultSeenTwiceIsOneFinding(t *testing.T) {
	ref := func(node, file string, line int32) facts.Ref { return facts.NewRef(node, file, int(line), "") }
	bgpA := fnd("bgp-session-down", "rack-a", "rack-b")
	bgpA.Same, bgpA.Severity, bgpA.Evidence = "rack-a rack-b", SeverityWarning, []facts.Ref{ref("rack-a", "calico/bird-protocols.txt", 4)}
	bgpB := fnd("bgp-session-down", "rack-b", "rack-a")
	bgpB.Same, bgpB.Severity, bgpB.Evidence = "rack-a rack-b", SeverityWarning, []facts.Ref{ref("rack-b", "calico/bird-protocols.txt", 6)}
	dnsEth := fnd("dns-queries-unanswered", "rack-a", "")
	dnsEth.Same, dnsEth.Evidence = "rack-a 10.43.0.10", []facts.Ref{facts.PacketRef("rack-a", "pcap/ens5.pcap", 3, "")}
	dnsTun := dnsEth
	dnsTun.Evidence = []facts.Ref{facts.PacketRef("rack-a", "pcap/vxlan.calico.pcap", 9, "")}
	other := fnd("dns-queries-unanswered", "rack-a", "")
	other.Same = "rack-a 10.42.7.3"
	lone := fnd("route-next-hop-wrong", "rack-a", "rack-b") // no same: never merged
	fs := Merge([]Finding{bgpA, dnsEth, bgpB, dnsTun, other, lone, lone})
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s@%s %d", f.Rule, f.Node, len(f.Evidence)))
	}
	want := []string{"bgp-session-down@rack-a 2", "dns-queries-unanswered@rack-a 2", "dns-queries-unanswered@rack-a 0", "route-next-hop-wrong@rack-a 0", "route-next-hop-wrong@rack-a 0"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !strings.Contains(fs[0].Message, "also seen from rack-b") || !strings.Contains(fs[1].Message, "pcap/vxlan.calico.pcap") {
		t.Errorf("messages do not say where else the fault was seen: %q, %q", fs[0].Message, fs[1].Message)
	}
	if bgpA.Evidence[0].Line != 4 || len(bgpA.Evidence) != 1 {
		t.Error("Merge modified its input")
	}
}
