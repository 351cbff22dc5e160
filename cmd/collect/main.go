// Command collect snapshots a Kubernetes node's pod networking into a bundle
// for `analyze`: run it as root on a node where pods cannot resolve names and
// send the tarball. It is one static binary (CGO_ENABLED=0).
package main

import (
	"os"

	"github.com/podnetdiag/podnetdiag/internal/cli/collect"
)

func main() {
	os.Exit(collect.Main(os.Args[1:], os.Stdout, os.Stderr))
}
