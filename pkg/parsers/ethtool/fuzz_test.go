package ethtool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

// addSeeds feeds the fuzzer the fixtures and, when present, the real samples.
func addSeeds(f *testing.F, globs ...string) {
	if dir, err := parsertest.RealDataDir(); err == nil {
		globs = append(globs, filepath.Join(dir, "ethtool", "*.txt"))
	}
	for _, g := range globs {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
}

func FuzzParseFeatures(f *testing.F) {
	f.Add([]byte("Features for eth0:\nrx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\ngeneric-segmentation-offload: off [requested on]\n"))
	f.Add([]byte("Offload parameters for eth0:\ntcp segmentation offload: on\n"))
	f.Add([]byte("    tx-tcp6-segmentation: on [requested off]\r\nhighdma: on\r\n"))
	f.Add([]byte(`[{"ifname":"eth0","tx-checksumming":{"active":true,"fixed":null,"requested":null},"tx-checksum-ipv4":{"active":false,"fixed":true,"requested":false}},{}]`))
	addSeeds(f, "testdata/good/features-*", "testdata/bad/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParseFeatures(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		for _, ft := range r.Features {
			if ft.Line < 1 || ft.Name == "" {
				t.Fatalf("bad feature %+v", ft)
			}
		}
		_ = r.Summary()
	})
}

func FuzzParseStats(f *testing.F) {
	f.Add([]byte("NIC statistics:\n     rx_packets: 123\n     [0]: rx_bytes: 9\n"))
	f.Add([]byte("Standard stats for eth0:\neth-mac-FramesReceivedOK: 7\nno stats available\n"))
	addSeeds(f, "testdata/good/stats-*.txt", "testdata/bad/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := ParseStats(data)
		if r == nil || r.Stats == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		for _, c := range r.Counters {
			if _, ok := r.Stats[c.Name]; c.Line < 1 || !ok {
				t.Fatalf("bad counter %+v", c)
			}
		}
		_ = r.Summary()
	})
}
