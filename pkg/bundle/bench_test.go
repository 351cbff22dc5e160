package bundle

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkOpen opens a 50 MB bundle shaped like a real one: a 40 MB capture
// that does not compress, and 10 MB of command output that does.
func BenchmarkOpen(b *testing.B) {
	work := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	pcap := make([]byte, 40<<20)
	for i := range pcap {
		pcap[i] = byte(rng.Uint32())
	}
	pcapPath := writeFile(b, work, "capture.pcap", pcap)
	var buf bytes.Buffer
	w := NewWriter(&buf, "node-bench")
	w.AddFromDisk("pcap/eth0.pcap", pcapPath)
	line := "10.244.%d.0/26 via 192.168.10.%d dev tunl0 proto bird onlink\n"
	var text strings.Builder
	for i := 0; text.Len() < 1<<20; i++ {
		fmt.Fprintf(&text, line, i%256, i%200)
	}
	for i := 0; i < 10; i++ {
		w.AddFile(fmt.Sprintf("logs/part-%d.log", i), []byte(text.String()))
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	archive := writeFile(b, work, "node-bench.tgz", buf.Bytes())
	parent := filepath.Join(work, "extract")
	os.Mkdir(parent, 0o700)

	b.SetBytes(50 << 20)
	b.ResetTimer()
	for b.Loop() {
		bd, err := Open(archive, Options{TempDir: parent})
		if err != nil {
			b.Fatal(err)
		}
		bd.Close()
	}
}
