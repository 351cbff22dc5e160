//go:build linux

package capture_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
)

// ngFlood streams a pcapng file of one section holding n interface
// description blocks of 20 bytes each (no options), then one packet on the
// first interface and one on the last: the hostile file of issue 11 item 5,
// generated on the fly so that the test's own memory stays flat.
type ngFlood struct {
	n, i  int
	pkt   []byte
	queue []byte
	done  bool
}

func newNgFlood(n int, pkt []byte) *ngFlood {
	f := &ngFlood{n: n, pkt: pkt}
	f.queue = ngBlock(0x0A0D0D0A, shbBody())
	return f
}

func (f *ngFlood) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(f.queue) == 0 {
			switch {
			case f.i < f.n:
				// Many blocks per refill: the generator must not
				// be the cost being measured.
				for k := 0; k < 1024 && f.i < f.n; k++ {
					f.queue = append(f.queue, ngBlock(1, idbBody(1, nil))...)
					f.i++
				}
			case !f.done:
				f.done = true
				f.queue = append(ngBlock(6, epbBody(0, 1_700_000_000_000_000, f.pkt)), ngBlock(6, epbBody(uint32(f.n-1), 1_700_000_000_000_001, f.pkt))...)
			default:
				if n == 0 {
					return 0, io.EOF
				}
				return n, nil
			}
		}
		c := copy(p[n:], f.queue)
		n += c
		f.queue = f.queue[c:]
		if len(f.queue) == 0 {
			f.queue = f.queue[:0:cap(f.queue)]
		}
	}
	return n, nil
}

// TestMemoryBoundedOnPcapngInterfaceFlood (issue 11, memory bounded by
// design): a pcapng of 2,000,000 interface description blocks is read with
// peak RSS under 64 MiB, measured in a subprocess (VmHWM of
// /proc/self/status), its interfaces past the cap said so in a diagnostic
// with the block number, and the packet on an interface past the cap counted
// as not summarised rather than read as nothing. 2 M blocks are enough to show
// the cost flat: at the ~780 B per block of the former reader they took 1.5 GB.
func TestMemoryBoundedOnPcapngInterfaceFlood(t *testing.T) {
	if os.Getenv("PND_NGFLOOD") != "" {
		n, _ := strconv.Atoi(os.Getenv("PND_NGFLOOD"))
		s, ds := capture.Summarize(newNgFlood(n, ngFloodPacket(t)), capture.Options{})
		fmt.Printf("packets=%d notSummarised=%d undecodable=%d truncated=%v\n", s.Packets, s.NotSummarised, s.Undecodable.Count, s.Truncated)
		for _, d := range ds {
			fmt.Printf("diag %s\n", d)
		}
		st, _ := os.ReadFile("/proc/self/status")
		os.Stdout.Write(st)
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("reads a 40 MB generated capture")
	}
	const blocks = 2_000_000
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBoundedOnPcapngInterfaceFlood$")
	cmd.Env = append(os.Environ(), "PND_NGFLOOD="+strconv.Itoa(blocks), "GOMEMLIMIT=256MiB")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no VmHWM from the child: %s", out)
	}
	kb, _ := strconv.Atoi(string(m[1]))
	t.Logf("%d interface blocks: peak RSS %d KiB", blocks, kb)
	if kb > 64<<10 {
		t.Errorf("peak RSS %d KiB for %d interface blocks, want under 64 MiB", kb, blocks)
	}
	text := string(out)
	for _, want := range []string{
		"packets=2 notSummarised=1 ",
		fmt.Sprintf("interface description blocks past the first %d of a section not kept (first: block %d)", capture.MaxInterfaces, capture.MaxInterfaces+2),
		"1 packets on interfaces past the cap not summarised",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("child output lacks %q:\n%s", want, firstLines(text, 12))
		}
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}
