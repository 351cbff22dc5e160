package capture_test

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/capture/synth"
)

// genCapture is a synthetic node capture of n packets: IPIP, VXLAN, DNS.
func genCapture(t testing.TB, n int64) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := synth.Write(&b, synth.Config{Packets: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkSummarize reports packets/s of the whole summary over an in-memory
// capture; allocs/op is per capture of 200,000 packets (setup included).
func BenchmarkSummarize(b *testing.B) {
	const n = 200000
	data := genCapture(b, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, ds := capture.Summarize(bytes.NewReader(data), capture.Options{})
		if s.Packets != n || len(ds) != 0 {
			b.Fatalf("%d packets, %v", s.Packets, ds)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSummarizeStorm is BenchmarkSummarize on a DNS timeout storm:
// 442,000 packets at 50,000 queries/s, 95% unanswered, so that the pending
// table is full and evicts for most of the capture.
func BenchmarkSummarizeStorm(b *testing.B) {
	const n = 442000
	var buf bytes.Buffer
	if _, err := synth.Write(&buf, synth.Config{Packets: n, Seed: 1, StormQPS: 50000}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, ds := capture.Summarize(bytes.NewReader(data), capture.Options{})
		if s.Packets != n || len(ds) != 0 || s.DNSEvicted == 0 {
			b.Fatalf("%d packets, %d evicted, %v", s.Packets, s.DNSEvicted, ds)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSummarizePcapng is BenchmarkSummarize on the same packets in a
// pcapng file (one Ethernet interface, enhanced packet blocks).
func BenchmarkSummarizePcapng(b *testing.B) {
	const n = 200000
	r, err := pcapgo.NewReader(bytes.NewReader(genCapture(b, n)))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, r.LinkType())
	if err != nil {
		b.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if err := w.WritePacket(ci, data); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, ds := capture.Summarize(bytes.NewReader(data), capture.Options{})
		if s.Packets != n || len(ds) != 0 {
			b.Fatalf("%d packets, %v", s.Packets, ds)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(0, "ns/op")
}
