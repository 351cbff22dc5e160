package livecap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// serveDNS answers A queries on conn until it is closed: names in known get
// their address, "slow." is answered after delay, "mute." never, others
// NXDOMAIN. A stray answer with a wrong ID precedes every real one, as a late
// answer to an earlier query would.
func serveDNS(t *testing.T, conn net.PacketConn, known map[string]string, delay time.Duration) {
	t.Helper()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			name := q.Name.String()
			if name == "mute." {
				continue
			}
			if name == "slow." {
				time.Sleep(delay)
			}
			stray := dnsmessage.Message{Header: dnsmessage.Header{ID: h.ID + 1, Response: true}}
			if b, err := stray.Pack(); err == nil {
				conn.WriteTo(b, from)
			}
			resp := dnsmessage.Message{
				Header:    dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: true, RCode: dnsmessage.RCodeNameError},
				Questions: []dnsmessage.Question{q},
			}
			if a, ok := known[name]; ok {
				resp.RCode = dnsmessage.RCodeSuccess
				cname := dnsmessage.MustNewName("alias.example.")
				resp.Answers = []dnsmessage.Resource{
					{Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeCNAME, Class: dnsmessage.ClassINET, TTL: 5},
						Body: &dnsmessage.CNAMEResource{CNAME: cname}},
					{Header: dnsmessage.ResourceHeader{Name: cname, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 5},
						Body: &dnsmessage.AResource{A: netip.MustParseAddr(a).As4()}},
				}
			}
			b, err := resp.Pack()
			if err != nil {
				continue
			}
			conn.WriteTo(b, from)
		}
	}()
}

func TestProbeRecordsAnswersCodesAndTimeouts(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	serveDNS(t, conn, map[string]string{"kubernetes.default.svc.cluster.local.": "10.96.0.1"}, 50*time.Millisecond)
	port := conn.LocalAddr().(*net.UDPAddr).Port
	// A port nobody listens on answers with ICMP port unreachable.
	closed, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.LocalAddr().(*net.UDPAddr).Port
	closed.Close()

	lo := netip.MustParseAddr("127.0.0.1")
	res := probe(context.Background(), "", []netip.Addr{lo}, []string{
		"kubernetes.default.svc.cluster.local", "nosuch.example.", "slow.", "mute.",
	}, 300*time.Millisecond, port)
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	ok := res[0]
	if ok.Rcode != "NOERROR" || len(ok.Answers) != 2 || ok.Answers[0] != "CNAME alias.example." ||
		ok.Answers[1] != "10.96.0.1" || ok.Error != "" || ok.Name != "kubernetes.default.svc.cluster.local." ||
		ok.Server != lo || ok.Port != port || ok.Type != "A" || ok.Sent.IsZero() {
		t.Errorf("answered query = %+v", ok)
	}
	if nx := res[1]; nx.Rcode != "NXDOMAIN" || len(nx.Answers) != 0 || !nx.Answered() {
		t.Errorf("NXDOMAIN query = %+v", nx)
	}
	if slow := res[2]; slow.Rcode != "NXDOMAIN" || slow.LatencyMs < 40 {
		t.Errorf("slow query = %+v", slow)
	}
	if mute := res[3]; mute.Error != "timeout" || mute.Answered() || mute.LatencyMs != 0 {
		t.Errorf("unanswered query = %+v", mute)
	}

	refused := probe(context.Background(), "", []netip.Addr{lo}, []string{"a.example"}, 300*time.Millisecond, closedPort)
	if len(refused) != 1 || refused[0].Error != "connection refused" {
		t.Errorf("query to a closed port = %+v", refused)
	}
}

func TestProbeStopsWhenTheContextIsCancelled(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	serveDNS(t, conn, nil, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := probe(ctx, "", []netip.Addr{netip.MustParseAddr("127.0.0.1")}, []string{"mute.", "mute."}, 10*time.Second,
		conn.LocalAddr().(*net.UDPAddr).Port)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("probe took %v after its context ended", d)
	}
	for _, r := range res {
		if r.Error == "" {
			t.Errorf("result without error: %+v", r)
		}
	}
}

func TestProbeJSONIsTheProbeFile(t *testing.T) {
	res := []ProbeResult{{Server: netip.MustParseAddr("10.96.0.10"), Port: 53, Name: "kubernetes.default.svc.cluster.local.",
		Type: "A", ID: 7, Sent: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), LatencyMs: 1.25, Rcode: "NOERROR",
		Answers: []string{"10.96.0.1"}}}
	b, err := ProbeJSON(res)
	if err != nil {
		t.Fatal(err)
	}
	var f ProbeFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Queries) != 1 || f.Queries[0].Server != res[0].Server || f.Queries[0].Answers[0] != "10.96.0.1" {
		t.Errorf("round trip = %+v", f)
	}
	if !bytes.Contains(b, []byte(`"server": "10.96.0.10"`)) || !bytes.Contains(b, []byte(`"latencyMs": 1.25`)) {
		t.Errorf("json = %s", b)
	}
	empty, _ := ProbeJSON(nil)
	if !strings.Contains(string(empty), `"queries": []`) {
		t.Errorf("empty probe file = %s", empty)
	}
}

func TestMetaOfACapture(t *testing.T) {
	start := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	s := Stats{Iface: "eth0", Packets: 42, Bytes: 9000, Dropped: 3, Seen: 45, Start: start,
		End: start.Add(15 * time.Second), Filter: "udp port 53", LinkType: "ethernet", SnapLen: 640, StoppedBy: "duration"}
	var b bytes.Buffer
	if err := WriteMeta(&b, s, errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"interface": "eth0", "filter": "udp port 53", "start": "2024-05-01T10:00:00Z",
		"durationMs": 15000.0, "packets": 42.0, "dropped": 3.0, "linkType": "ethernet", "error": "boom"} {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if m := MetaOf(Stats{Iface: "tunl0"}, nil); m.Start != "" || m.DurationMs != 0 || m.Error != "" {
		t.Errorf("meta of a capture that never started = %+v", m)
	}
}
