//go:build linux

package nativenet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetnsRunDir is where iproute2 keeps named network namespaces (its
// NETNS_RUN_DIR; /run/netns on current systems); "link-netns
// NAME" resolves peer namespace ids against it.
const NetnsRunDir = "/var/run/netns"

// Handle reads one network namespace: an rtnetlink socket opened in it (raw
// messages, so that every attribute iproute2 prints is available, which the
// library's typed structs do not all keep), the namespace itself for the
// ethtool and IPVS sockets, and the /etc/iproute2 name tables.
type Handle struct {
	ns      netns.NsHandle // -1 (netns.None) for the caller's namespace
	sockets map[int]*nl.SocketHandle
	names   *names
	// etcDir is where iproute2's tables and /etc/protocols are read from.
	etcDir string
}

// NewHandle opens a Handle on the calling thread's network namespace.
func NewHandle() (*Handle, error) { return NewHandleAt(netns.None()) }

// NewHandleAt opens a Handle on namespace ns (netns.None() for the caller's),
// like netlink.NewHandleAt. The Handle keeps its own duplicate of ns.
func NewHandleAt(ns netns.NsHandle) (*Handle, error) {
	h := &Handle{ns: netns.None(), etcDir: "/etc"}
	if ns.IsOpen() {
		fd, err := unix.FcntlInt(uintptr(ns), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("duplicate netns handle: %w", err)
		}
		h.ns = netns.NsHandle(fd)
	}
	s, err := nl.GetNetlinkSocketAt(h.ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("rtnetlink socket: %w", err)
	}
	// A dump that stalls must not hang the collector.
	tv := unix.NsecToTimeval(int64(10e9))
	if err := s.SetReceiveTimeout(&tv); err != nil {
		s.Close()
		h.Close()
		return nil, err
	}
	h.sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: {Socket: s}}
	h.names = loadNames(h.etcDir)
	return h, nil
}

// Close releases the sockets and the namespace handle.
func (h *Handle) Close() {
	for _, s := range h.sockets {
		s.Close()
	}
	h.sockets = nil
	if h.ns.IsOpen() {
		h.ns.Close()
		h.ns = netns.None()
	}
}

// dump sends one NLM_F_DUMP request with the given header and attributes and
// returns the payloads of the answer.
func (h *Handle) dump(msgType int, hdr []byte, attrs ...*nl.RtAttr) ([][]byte, error) {
	return h.request(msgType, unix.NLM_F_DUMP, hdr, attrs...)
}

func (h *Handle) request(msgType, flags int, hdr []byte, attrs ...*nl.RtAttr) ([][]byte, error) {
	if h == nil || h.sockets == nil {
		return nil, errors.New("nativenet: handle is closed")
	}
	req := nl.NewNetlinkRequest(msgType, flags)
	req.Sockets = h.sockets
	// The fixed header must precede the attributes; AddRawData would append it
	// after them.
	req.AddData(rawData(hdr))
	for _, a := range attrs {
		req.AddData(a)
	}
	msgs, err := req.Execute(unix.NETLINK_ROUTE, 0)
	if errors.Is(err, nl.ErrDumpInterrupted) {
		// The table changed during the dump; a second try is what iproute2's
		// users do by hand.
		msgs, err = req.Execute(unix.NETLINK_ROUTE, 0)
	}
	return msgs, err
}

// rawData is a fixed-size message header as request data.
type rawData []byte

func (r rawData) Len() int          { return len(r) }
func (r rawData) Serialize() []byte { return r }

// links dumps the links (with their typed decoding) and prepares a view that
// knows their names and the peer namespaces' names.
func (h *Handle) links() ([]ifInfo, *view, error) {
	hdr := make([]byte, 16) // struct ifinfomsg, AF_UNSPEC
	// RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS, as `ip link show` asks.
	ext := nl.NewRtAttr(unix.IFLA_EXT_MASK, nl.Uint32Attr(1|8))
	msgs, err := h.dump(unix.RTM_GETLINK, hdr, ext)
	if err != nil {
		return nil, nil, fmt.Errorf("link dump: %w", err)
	}
	links := make([]ifInfo, 0, len(msgs))
	for _, m := range msgs {
		l, ok := parseIfInfo(m)
		if !ok {
			continue
		}
		if kindOf(l.a) == "ipip" {
			hdr := unix.NlMsghdr{Len: uint32(unix.SizeofNlMsghdr + len(m)), Type: unix.RTM_NEWLINK}
			if t, err := netlink.LinkDeserialize(&hdr, m); err == nil {
				l.typed = t
			}
		}
		links = append(links, l)
	}
	v := newView(h.names)
	v.learnLinks(links)
	v.nsids = h.netnsNames()
	return links, v, nil
}

func kindOf(a attrs) string {
	s, _ := a.nested(iflaLinkinfo).str(iflaInfoKind)
	return s
}

// netnsNames maps the namespace ids this namespace has assigned to the names
// under NetnsRunDir, as iproute2's get_name_from_nsid does.
func (h *Handle) netnsNames() map[int32]string {
	out := map[int32]string{}
	entries, err := os.ReadDir(NetnsRunDir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(NetnsRunDir, e.Name()))
		if err != nil {
			continue
		}
		id, err := h.nsidOf(int(f.Fd()))
		f.Close()
		if err == nil && id >= 0 {
			if _, dup := out[id]; !dup {
				out[id] = e.Name()
			}
		}
	}
	return out
}

// nsidOf asks (RTM_GETNSID) for the id this namespace gives the namespace open
// on fd; -1 when it has none.
func (h *Handle) nsidOf(fd int) (int32, error) {
	const netnsaNSID, netnsaFD = 1, 3
	hdr := make([]byte, 4) // struct rtgenmsg, padded
	msgs, err := h.request(unix.RTM_GETNSID, unix.NLM_F_ACK, hdr,
		nl.NewRtAttr(netnsaFD, nl.Uint32Attr(uint32(fd))))
	if err != nil {
		return -1, err
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		if id, ok := attrTable(m[4:]).u32(netnsaNSID); ok {
			return int32(id), nil
		}
	}
	return -1, errors.New("no nsid in answer")
}

// IPLinkDetails renders the namespace's links as `ip -d link show`.
func IPLinkDetails(h *Handle) ([]byte, error) {
	links, v, err := h.links()
	if err != nil {
		return nil, err
	}
	return v.renderLinks(links), nil
}

// IPAddr renders the namespace's links and addresses as `ip addr show`.
func IPAddr(h *Handle) ([]byte, error) {
	links, v, err := h.links()
	if err != nil {
		return nil, err
	}
	msgs, err := h.dump(unix.RTM_GETADDR, make([]byte, 8))
	if err != nil {
		return nil, fmt.Errorf("address dump: %w", err)
	}
	return v.renderAddrs(links, msgs), nil
}

func (h *Handle) routes(family uint8) ([][]byte, error) {
	hdr := make([]byte, 12) // struct rtmsg
	hdr[0] = family
	msgs, err := h.dump(unix.RTM_GETROUTE, hdr)
	if err != nil {
		return nil, fmt.Errorf("route dump: %w", err)
	}
	return msgs, nil
}

// IPRoute renders the main table's IPv4 routes as `ip route show`.
func IPRoute(h *Handle) ([]byte, error) {
	_, v, err := h.links()
	if err != nil {
		return nil, err
	}
	msgs, err := h.routes(afInet)
	if err != nil {
		return nil, err
	}
	return v.renderRoutes(msgs, modeMain), nil
}

// IPRouteAll renders every table's IPv4 and IPv6 routes as `ip route show table
// all`.
func IPRouteAll(h *Handle) ([]byte, error) {
	_, v, err := h.links()
	if err != nil {
		return nil, err
	}
	msgs, err := h.routes(afUnspec)
	if err != nil {
		return nil, err
	}
	return v.renderRoutes(msgs, modeAll), nil
}

// IPRule renders the IPv4 policy rules as `ip rule show`.
func IPRule(h *Handle) ([]byte, error) {
	hdr := make([]byte, 12) // struct fib_rule_hdr
	hdr[0] = afInet
	msgs, err := h.dump(unix.RTM_GETRULE, hdr)
	if err != nil {
		return nil, fmt.Errorf("rule dump: %w", err)
	}
	return newView(h.names).renderRules(msgs, afInet), nil
}

// IPNeigh renders the IPv4 and IPv6 neighbour tables as `ip neigh show`.
func IPNeigh(h *Handle) ([]byte, error) {
	_, v, err := h.links()
	if err != nil {
		return nil, err
	}
	var all [][]byte
	for _, fam := range []uint8{afInet, afInet6} {
		hdr := make([]byte, 12) // struct ndmsg
		hdr[0] = fam
		msgs, err := h.dump(unix.RTM_GETNEIGH, hdr)
		if err != nil {
			return nil, fmt.Errorf("neighbour dump: %w", err)
		}
		all = append(all, msgs...)
	}
	return v.renderNeighs(all), nil
}

// BridgeFDB renders the forwarding database of every device as `bridge fdb
// show`.
func BridgeFDB(h *Handle) ([]byte, error) {
	_, v, err := h.links()
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, 12)
	hdr[0] = afBridge
	msgs, err := h.dump(unix.RTM_GETNEIGH, hdr)
	if err != nil {
		return nil, fmt.Errorf("fdb dump: %w", err)
	}
	return v.renderFDBs(msgs), nil
}

// RouteGet asks the kernel for the route to each address, as `ip route get
// ADDR` does, and renders each answer after a "# ip route get ADDR" line. An
// address the kernel has no route for gets the error line ip prints
// ("RTNETLINK answers: Network is unreachable"), so one bad address does not
// spoil the file.
func RouteGet(h *Handle, addrs []netip.Addr) ([]byte, error) {
	_, v, err := h.links()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, a := range addrs {
		fmt.Fprintf(&b, "# ip route get %s\n", a)
		hdr := make([]byte, 12)
		raw := a.AsSlice()
		hdr[0] = afInet
		if a.Is6() && !a.Is4In6() {
			hdr[0] = afInet6
		} else {
			raw = a.Unmap().AsSlice()
		}
		hdr[1] = uint8(len(raw) * 8)
		// RTM_F_LOOKUP_TABLE, as ip sets it: the answer names the table the
		// route came from ("table local") when policy rules are in use.
		binary.NativeEndian.PutUint32(hdr[8:], unix.RTM_F_LOOKUP_TABLE)
		msgs, err := h.request(unix.RTM_GETROUTE, 0, hdr, nl.NewRtAttr(unix.RTA_DST, raw))
		if err != nil {
			var errno unix.Errno
			if errors.As(err, &errno) {
				fmt.Fprintf(&b, "RTNETLINK answers: %s\n", errnoText(errno))
				continue
			}
			return nil, fmt.Errorf("route get %s: %w", a, err)
		}
		for _, m := range msgs {
			if r, ok := parseRtMsg(m); ok {
				v.renderRoute(&b, &r, modeGet)
			}
		}
	}
	return b.Bytes(), nil
}

// errnoText is strerror's wording, which iproute2 prints and the route-get
// parser matches on; Go's texts are lower-case.
func errnoText(e unix.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return string(bytes.ToUpper([]byte(s[:1]))) + s[1:]
}

// inNetns runs fn on a thread switched into the Handle's namespace, for
// sockets (ethtool's ioctl, IPVS generic netlink) that belong to the namespace
// they are created in.
func (h *Handle) inNetns(fn func() error) error {
	if !h.ns.IsOpen() {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(h.ns); err != nil {
			errc <- err
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err == nil {
			// Only a thread back in its own namespace may serve other goroutines;
			// otherwise it exits with the goroutine, still locked.
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// SysctlAt is Sysctl read from inside the Handle's namespace: /proc/sys/net
// shows the namespace of the thread that opens its files.
func SysctlAt(h *Handle, root string) (out []byte, unreadable int, err error) {
	err = h.inNetns(func() error {
		var e error
		out, unreadable, e = Sysctl(root)
		return e
	})
	return out, unreadable, err
}
