package capture_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// FuzzSummarize: whatever the bytes, Summarize returns a summary and
// diagnostics that name a packet or the file, never panics, and never hides a
// panic of this package's own code as an undecodable packet (gopacket's
// decoders may panic on hostile data; that is what the per-packet recover is
// for).
func FuzzSummarize(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.pcap*"))
	if dir := realdataDirOrEmpty(); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "pcap", "*", "*.pcap"))
		for _, m := range more {
			if fi, err := os.Stat(m); err == nil && fi.Size() < 16<<10 {
				seeds = append(seeds, m)
			}
		}
	}
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte{})
	f.Add([]byte("\xd4\xc3\xb2\xa1\x02\x00\x04\x00"))
	// pcapng of every block kind the reader handles, in both byte orders.
	pkt := ngFloodPacket(f)
	f.Add(cat(ngBlock(0x0A0D0D0A, shbBody()), ngBlock(1, idbBody(1, cat(ngOpt(9, []byte{0x80 | 10}), ngOpt(14, make([]byte, 8))))),
		ngBlock(6, epbBody(0, 1, pkt)), ngBlock(3, cat([]byte{byte(len(pkt)), 0, 0, 0}, pkt, make([]byte, (4-len(pkt)%4)%4))),
		ngBlock(5, make([]byte, 12)), ngBlock(6, epbBody(7, 2, pkt))))
	f.Add(cat(beSHB(), beIDB(101), beEPB(0, 5, pkt[14:])))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, ds := capture.Summarize(bytes.NewReader(data), capture.Options{MaxDNSPending: 16, MaxTunnels: 8, MaxInnerFlows: 4, MaxICMP: 8, MaxUnansweredListed: 4})
		if s == nil || s.Tunnels == nil || s.DNS == nil || s.ICMP == nil || s.DNSUnanswered == nil {
			t.Fatalf("summary %+v", s)
		}
		for _, d := range ds {
			if d.Msg == "" || d.Line < 0 {
				t.Errorf("diagnostic without message or with a negative packet number: %+v", d)
			}
			if d.Severity == diag.Error && s.Packets != 0 {
				t.Errorf("error diagnostic with %d packets summarised: %v", s.Packets, d)
			}
		}
		if r := s.Undecodable.FirstReason; strings.Contains(r, "panic in github.com/podnetdiag/") {
			t.Errorf("our own code panicked: %s", r)
		}
		var inner int64
		for _, tf := range s.Tunnels {
			for _, in := range tf.Inner {
				inner += in.Packets
			}
			inner += tf.InnerOther
			if tf.Packets <= 0 || tf.FirstNs > tf.LastNs {
				t.Errorf("tunnel %+v", tf)
			}
		}
		for _, d := range s.DNS {
			if d.Answered+d.Unanswered > d.Queries || d.Answered+d.Late+d.Unmatched+d.RepeatedResponses != d.Responses {
				t.Errorf("DNS counts do not add up: %+v", d)
			}
		}
		if len(s.DNS) > 1024 || len(s.Tunnels) > 8 || len(s.ICMP) > 8 || len(s.DNSUnanswered) > 4 {
			t.Errorf("caps not honoured: %d servers, %d tunnels, %d ICMP, %d listed", len(s.DNS), len(s.Tunnels), len(s.ICMP), len(s.DNSUnanswered))
		}
		_ = s.Summary()
	})
}
