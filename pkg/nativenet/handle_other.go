//go:build !linux

package nativenet

import (
	"net/netip"

	"github.com/vishvananda/netns"
)

// NetnsRunDir is where iproute2 keeps named network namespaces.
const NetnsRunDir = "/var/run/netns"

// Handle reads one network namespace (Linux only).
type Handle struct{}

// NewHandle fails: Linux only.
func NewHandle() (*Handle, error) { return nil, ErrUnsupported }

// NewHandleAt fails: Linux only.
func NewHandleAt(ns netns.NsHandle) (*Handle, error) { return nil, ErrUnsupported }

// Close does nothing.
func (h *Handle) Close() {}

// IPLinkDetails fails: Linux only.
func IPLinkDetails(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// IPAddr fails: Linux only.
func IPAddr(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// IPRoute fails: Linux only.
func IPRoute(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// IPRouteAll fails: Linux only.
func IPRouteAll(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// IPRule fails: Linux only.
func IPRule(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// IPNeigh fails: Linux only.
func IPNeigh(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// BridgeFDB fails: Linux only.
func BridgeFDB(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// RouteGet fails: Linux only.
func RouteGet(h *Handle, addrs []netip.Addr) ([]byte, error) { return nil, ErrUnsupported }

// IPVS fails: Linux only.
func IPVS(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// IPVSStats fails: Linux only.
func IPVSStats(h *Handle) ([]byte, error) { return nil, ErrUnsupported }

// EthtoolFeatures fails: Linux only.
func EthtoolFeatures(h *Handle, iface string) ([]byte, error) { return nil, ErrUnsupported }

// EthtoolStats fails: Linux only.
func EthtoolStats(h *Handle, iface string) ([]byte, error) { return nil, ErrUnsupported }

// SysctlAt is Sysctl: other platforms have no network namespaces.
func SysctlAt(h *Handle, root string) ([]byte, int, error) { return Sysctl(root) }
