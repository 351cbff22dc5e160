package collect

import (
	"bytes"
	"context"
	"net/netip"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/podnetdiag/podnetdiag/pkg/livecap"
	"github.com/podnetdiag/podnetdiag/pkg/nativenet"
)

// defaultNative wires the native readers (pkg/nativenet, pkg/livecap), bound to
// Options.Netns when set. Each call opens its own handle: the workers read in
// parallel, and a netlink socket must not interleave two dumps.
func (c *collector) defaultNative() Native {
	with := func(fn func(h *nativenet.Handle) ([]byte, error)) func() ([]byte, error) {
		return func() ([]byte, error) {
			h, err := c.nativeHandle()
			if err != nil {
				return nil, err
			}
			defer h.Close()
			return fn(h)
		}
	}
	return Native{
		IPRoute:    with(nativenet.IPRoute),
		IPRouteAll: with(nativenet.IPRouteAll),
		IPRule:     with(nativenet.IPRule),
		IPNeigh:    with(nativenet.IPNeigh),
		BridgeFDB:  with(nativenet.BridgeFDB),
		IPAddr:     with(nativenet.IPAddr),
		IPLink:     with(nativenet.IPLinkDetails),
		IPVS:       with(nativenet.IPVS),
		IPVSStats:  with(nativenet.IPVSStats),
		RouteGet: func(addrs []netip.Addr) ([]byte, error) {
			return with(func(h *nativenet.Handle) ([]byte, error) { return nativenet.RouteGet(h, addrs) })()
		},
		EthtoolFeatures: func(iface string) ([]byte, error) {
			return with(func(h *nativenet.Handle) ([]byte, error) { return nativenet.EthtoolFeatures(h, iface) })()
		},
		EthtoolStats: func(iface string) ([]byte, error) {
			return with(func(h *nativenet.Handle) ([]byte, error) { return nativenet.EthtoolStats(h, iface) })()
		},
		Sysctl: func(root string) ([]byte, error) {
			// Parameters the kernel refuses to read (stable_secret) are left
			// out, as `sysctl -a` leaves them out.
			out, _, err := nativenet.Sysctl(root)
			return out, err
		},
		Capture: func(ctx context.Context, o CaptureOptions) ([]byte, error) {
			st, err := livecap.Capture(ctx, livecap.Options{
				Iface: o.Iface, Netns: c.opts.Netns, Duration: o.Duration, MaxPackets: o.MaxPackets,
				MaxBytes: o.MaxBytes, SnapLen: o.SnapLen, VXLANPorts: o.VXLANPorts, Out: o.Out,
			})
			var meta bytes.Buffer
			if merr := livecap.WriteMeta(&meta, st, err); merr != nil {
				return nil, merr
			}
			return meta.Bytes(), err
		},
		Probe: func(ctx context.Context, servers []netip.Addr, names []string, timeout time.Duration) ([]byte, error) {
			return livecap.ProbeJSON(livecap.ProbeIn(ctx, c.opts.Netns, servers, names, timeout))
		},
	}
}

// nativeHandle opens a nativenet handle on the collection's namespace.
func (c *collector) nativeHandle() (*nativenet.Handle, error) {
	if c.ns.set {
		return nativenet.NewHandleAt(c.ns.h)
	}
	return nativenet.NewHandleAt(netns.None())
}

// unameMachine is uname(2)'s machine field ("x86_64", "aarch64").
func unameMachine() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	return unix.ByteSliceToString(u.Machine[:]), nil
}
