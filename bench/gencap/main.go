// Command gencap writes a synthetic Calico node capture for the benchmarks:
// IP-in-IP and VXLAN between nodes carrying pod TCP and DNS, and plain DNS to
// the kube-dns VIP, some queries unanswered (see pkg/capture/synth).
//
//	gencap -o FILE [-packets N] [-size 100M] [-seed S] [-storm QPS] [-unanswered-permille N]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/capture/synth"
)

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

func main() {
	out := flag.String("o", "", "output pcap file")
	packets := flag.Int64("packets", 0, "stop after this many packets")
	size := flag.String("size", "", "stop at this file size (e.g. 100M, 1G)")
	seed := flag.Uint64("seed", 1, "seed of the packet mix")
	storm := flag.Int("storm", 0, "a DNS timeout storm of this many queries per second (95% unanswered)")
	unanswered := flag.Int("unanswered-permille", 0, "share of DNS queries left unanswered (default 20, 950 in a storm)")
	flag.Parse()
	if *out == "" || (*packets == 0 && *size == "") {
		fmt.Fprintln(os.Stderr, "usage: gencap -o FILE [-packets N] [-size 100M]")
		os.Exit(2)
	}
	var bytes int64
	if *size != "" {
		var err error
		if bytes, err = parseSize(*size); err != nil {
			fmt.Fprintln(os.Stderr, "gencap: -size:", err)
			os.Exit(2)
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st, err := synth.Write(f, synth.Config{Packets: *packets, Bytes: bytes, Seed: *seed, StormQPS: *storm, UnansweredPermille: *unanswered})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencap:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(st)
}
