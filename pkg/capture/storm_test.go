package capture_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/capture/synth"
)

// stormCapture is a DNS timeout storm of 60,000 packets at 8,000 queries/s
// (7.5 s, longer than the 5 s timeout), 90% unanswered, each answer 300
// packets after its query: a pending table of 256 evicts nearly every query
// before its answer or its timeout (its answers come ~375 ms late).
func stormCapture(t testing.TB) ([]byte, synth.Stats) {
	t.Helper()
	var b bytes.Buffer
	st, err := synth.Write(&b, synth.Config{Packets: 60000, Seed: 3, StormQPS: 8000, UnansweredPermille: 900, AnswerLag: 300})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), st
}

type dnsTotals struct{ queries, responses, answered, unanswered, pendingAtEnd, late, evicted, listed int }

func totals(s *capture.Summary) dnsTotals {
	var n dnsTotals
	for _, d := range s.DNS {
		n.queries += d.Queries
		n.responses += d.Responses
		n.answered += d.Answered
		n.unanswered += d.Unanswered
		n.pendingAtEnd += d.PendingAtEnd
		n.late += d.Late
		n.evicted += d.AnsweredAfterEviction
	}
	n.listed = len(s.DNSUnanswered)
	return n
}

// TestAStormIsCountedWhateverThePendingTableHolds: the counts per server of
// a storm do not depend on the size of the pending table. Evicted queries are
// answered when their answer comes within the timeout and unanswered when it
// passes; those within their timeout at the end are pending, not unanswered.
func TestAStormIsCountedWhateverThePendingTableHolds(t *testing.T) {
	data, st := stormCapture(t)
	whole, _ := capture.Summarize(bytes.NewReader(data), capture.Options{MaxDNSPending: 1 << 17})
	if whole.DNSEvicted != 0 {
		t.Fatalf("a table of 131,072 evicted %d queries of 60,000", whole.DNSEvicted)
	}
	for _, pending := range []int{256, 1024} {
		s, ds := capture.Summarize(bytes.NewReader(data), capture.Options{MaxDNSPending: pending})
		if len(ds) != 0 {
			t.Fatal(ds)
		}
		n := totals(s)
		if s.DNSEvicted == 0 || n.evicted == 0 {
			t.Errorf("table of %d: evicted %d, answered after eviction %d: the test evicts nothing", pending, s.DNSEvicted, n.evicted)
		}
		if int64(n.queries) != st.DNSQueries || int64(n.answered) != st.DNSResponses || int64(n.unanswered+n.pendingAtEnd) != st.DNSUnanswered || n.late != 0 {
			t.Errorf("table of %d: %+v; generated %+v", pending, n, st)
		}
		if n.unanswered == 0 || n.pendingAtEnd == 0 || n.listed != 100 {
			t.Errorf("table of %d: %+v: want unanswered and pending at the end, 100 listed", pending, n)
		}
		for _, w := range whole.DNS {
			d := dnsServer(s, w.Server.String())
			// An answer to an evicted query is matched by count to the
			// oldest one still waiting, which may not be the one it
			// answered: the split between unanswered and pending at
			// the end may then lean to pending (never to unanswered
			// beyond one run of timeout/1024 at the end), by at most
			// the answers so matched.
			lo := w.Unanswered - d.AnsweredAfterEviction - 50
			if d.Queries != w.Queries || d.Answered != w.Answered || d.Unanswered+d.PendingAtEnd != w.Unanswered+w.PendingAtEnd || d.Unanswered < lo || d.Unanswered > w.Unanswered+50 {
				t.Errorf("table of %d, server %s: %+v\nwhole table: %+v", pending, w.Server, d, w)
			}
		}
	}
}

// TestAStormCountsEqualTsharks: tshark -2 pairs each query with its answer at
// any delay; its unanswered queries are our unanswered and pending at the end.
func TestAStormCountsEqualTsharks(t *testing.T) {
	have(t, "tshark")
	data, _ := stormCapture(t)
	path := filepath.Join(t.TempDir(), "storm.pcap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var q, r, answered int
	out := run(t, "tshark", "-n", "-2", "-r", path, "-Y", "dns", "-T", "fields", "-E", "occurrence=l", "-e", "dns.flags.response", "-e", "dns.response_in")
	for _, l := range lines(out) {
		f := strings.Split(l, "\t")
		switch f[0] {
		case "0", "False":
			q++
			if len(f) > 1 && f[1] != "" {
				answered++
			}
		case "1", "True":
			r++
		}
	}
	s, _ := capture.Summarize(bytes.NewReader(data), capture.Options{MaxDNSPending: 256})
	n := totals(s)
	if n.queries != q || n.responses != r || n.answered != answered || n.unanswered+n.pendingAtEnd != q-answered {
		t.Errorf("ours %+v; tshark %d queries, %d responses, %d answered, %d unanswered", n, q, r, answered, q-answered)
	}
}

// TestASynthCaptureOfAClusterNodeUsesItsAddresses: a capture written for one
// node of a cluster shows IPIP only, between that node and its peers.
func TestASynthCaptureOfAClusterNodeUsesItsAddresses(t *testing.T) {
	nodeIP := func(i int) net.IP { return net.IP{10, 1, 0, byte(20 + i)} }
	cl := &synth.Cluster{Self: 2, Peers: []int{1, 3}, NodeIP: nodeIP, IPIPOnly: true,
		PodIP: func(i, k int) net.IP { return net.IP{10, 244, byte(i / 4), byte(i%4*64 + k)} }}
	var b bytes.Buffer
	if _, err := synth.Write(&b, synth.Config{Packets: 5000, Seed: 2, Cluster: cl}); err != nil {
		t.Fatal(err)
	}
	s, _ := capture.Summarize(bytes.NewReader(b.Bytes()), capture.Options{})
	want := map[string]bool{"10.1.0.22>10.1.0.21": true, "10.1.0.21>10.1.0.22": true, "10.1.0.22>10.1.0.23": true, "10.1.0.23>10.1.0.22": true}
	for _, tf := range s.Tunnels {
		k := tf.Src.String() + ">" + tf.Dst.String()
		if tf.Encap != capture.EncapIPIP || !want[k] {
			t.Errorf("tunnel %s %s", k, tf.Encap)
		}
		delete(want, k)
		for _, in := range tf.Inner {
			if p := in.Src.As4(); p[0] != 10 || p[1] != 244 {
				t.Errorf("inner source %s outside the pod blocks", in.Src)
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("tunnels missing: %v", want)
	}
}
