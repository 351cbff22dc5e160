package collect

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	pcollect "github.com/podnetdiag/podnetdiag/pkg/collect"
	"github.com/podnetdiag/podnetdiag/pkg/fleet"
)

// PodOptions are the flags `collect cluster` gives each node's pod.
type PodOptions struct {
	Node               string
	CaptureAt          string
	SkipClusterObjects bool
	HintDNSService     string
	HintDNSPods        []string
	HintPeers          []string

	captureAt time.Time
	hints     pcollect.Hints
}

func addPodFlags(f *pflag.FlagSet, o *PodOptions) {
	f.StringVar(&o.Node, "node", "", "the node's name (default: the host name)")
	f.StringVar(&o.CaptureAt, "capture-at", "", "start the capture window at this RFC 3339 time (set by collect cluster, one for all nodes)")
	f.BoolVar(&o.SkipClusterObjects, "skip-cluster-objects", false, "leave the cluster-wide Kubernetes objects out (collect cluster gathers them once)")
	f.StringVar(&o.HintDNSService, "hint-dns-service", "", "the DNS Service IP, when read elsewhere (collect cluster)")
	f.StringSliceVar(&o.HintDNSPods, "hint-dns-pods", nil, "the CoreDNS pod IPs, when read elsewhere (collect cluster)")
	f.StringSliceVar(&o.HintPeers, "hint-peers", nil, "the peer node addresses, when read elsewhere (collect cluster)")
	for _, n := range []string{"capture-at", "skip-cluster-objects", "hint-dns-service", "hint-dns-pods", "hint-peers"} {
		_ = f.MarkHidden(n) // set by collect cluster, not by hand
	}
}

func (o *PodOptions) parse() error {
	if o.CaptureAt != "" {
		t, err := time.Parse(time.RFC3339, o.CaptureAt)
		if err != nil {
			return fmt.Errorf("--capture-at %q: not an RFC 3339 time (2006-01-02T15:04:05Z)", o.CaptureAt)
		}
		o.captureAt = t
	}
	if o.HintDNSService != "" {
		a, err := netip.ParseAddr(o.HintDNSService)
		if err != nil {
			return fmt.Errorf("--hint-dns-service %q: not an IP address", o.HintDNSService)
		}
		o.hints.DNSService = a
	}
	for _, l := range []struct {
		flag string
		in   []string
		out  *[]netip.Addr
	}{{"--hint-dns-pods", o.HintDNSPods, &o.hints.CoreDNS}, {"--hint-peers", o.HintPeers, &o.hints.Peers}} {
		for _, s := range l.in {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("%s %q: not an IP address", l.flag, s)
			}
			*l.out = append(*l.out, a)
		}
	}
	return nil
}

// streamBundle writes the bundle framed to w (see pkg/fleet) and removes it.
func streamBundle(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := fleet.Encode(w, filepath.Base(path), f); err != nil {
		return fmt.Errorf("stream the bundle: %w", err)
	}
	return nil
}
