package collect

import (
	"context"
	"io"
	"net/netip"
	"time"
)

// Native holds the native readers of the kernel state, each rendering the text
// of the command it stands for (pkg/nativenet, pkg/livecap). A nil field means
// "use the command". Tests replace them to simulate failures.
type Native struct {
	IPRoute    func() ([]byte, error) // ip route show
	IPRouteAll func() ([]byte, error) // ip route show table all
	IPRule     func() ([]byte, error) // ip rule show
	IPNeigh    func() ([]byte, error) // ip neigh show
	BridgeFDB  func() ([]byte, error) // bridge fdb show
	IPAddr     func() ([]byte, error) // ip addr show
	IPLink     func() ([]byte, error) // ip -d link show
	// RouteGet renders `ip route get ADDR` for each address, each preceded by
	// "# ip route get ADDR".
	RouteGet  func(addrs []netip.Addr) ([]byte, error)
	IPVS      func() ([]byte, error) // ipvsadm -Ln
	IPVSStats func() ([]byte, error) // ipvsadm -Ln --stats
	// EthtoolFeatures and EthtoolStats render `ethtool -k IF` and `ethtool -S IF`.
	EthtoolFeatures func(iface string) ([]byte, error)
	EthtoolStats    func(iface string) ([]byte, error)
	// Sysctl renders `sysctl -a` from the /proc/sys tree at root.
	Sysctl func(root string) ([]byte, error)
	// Capture captures on one interface for the window and returns the
	// pcap/IFNAME.json metadata.
	Capture func(ctx context.Context, o CaptureOptions) ([]byte, error)
	// Probe sends DNS queries for names to each server and returns dns/probe.json.
	Probe func(ctx context.Context, servers []netip.Addr, names []string, timeout time.Duration) ([]byte, error)
}

// CaptureOptions is one interface's capture.
type CaptureOptions struct {
	Iface      string
	Duration   time.Duration
	MaxPackets int
	MaxBytes   int64
	SnapLen    int
	VXLANPorts []int
	Out        io.Writer // the pcap stream
}

// Capture bounds: the window is short, and the analyzer needs headers, not
// payloads (a DNS message fits in 512 bytes plus the tunnel headers).
const (
	captureMaxPackets = 200_000
	captureMaxBytes   = 200 << 20
	captureSnapLen    = 640
)
