// Command analyze reads podnetdiag bundles offline and explains why pods cannot
// resolve names. It is pure Go (CGO_ENABLED=0, any GOOS): it never imports
// netlink or IPVS code, so it runs on a support engineer's laptop.
package main

import (
	"os"

	"github.com/podnetdiag/podnetdiag/internal/cli/analyze"
)

func main() {
	os.Exit(analyze.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
