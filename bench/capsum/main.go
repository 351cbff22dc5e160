// Command capsum summarises pcap/pcapng files with pkg/capture, for the
// benchmark script bench/capture.sh and for looking at a capture by hand.
//
//	capsum [-json] FILE...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
)

func main() {
	asJSON := flag.Bool("json", false, "print the whole summary as JSON")
	flag.Parse()
	status := 0
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			status = 1
			continue
		}
		start := time.Now()
		s, ds := capture.Summarize(f, capture.Options{})
		elapsed := time.Since(start)
		_ = f.Close()
		for _, d := range ds {
			d.File = path
			fmt.Fprintln(os.Stderr, d)
		}
		if *asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(s)
		} else {
			fmt.Printf("%s: %s\n", path, s.Summary())
		}
		pps := float64(s.Packets) / elapsed.Seconds()
		fmt.Fprintf(os.Stderr, "%s: %d packets in %.3f s: %.0f packets/s\n", path, s.Packets, elapsed.Seconds(), pps)
	}
	os.Exit(status)
}
