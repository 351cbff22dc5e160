package nativenet

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Neighbour attributes, states and flags (linux/neighbour.h).
const (
	ndaDst         = 1
	ndaLLAddr      = 2
	ndaVLAN        = 5
	ndaPort        = 6
	ndaVNI         = 7
	ndaIfindex     = 8
	ndaMaster      = 9
	ndaLinkNetnsid = 10
	ndaSrcVNI      = 11
	ndaProtocol    = 12
	ndaNHID        = 13
	ndaFlagsExt    = 15

	nudReachable = 0x02
	nudStale     = 0x04
	nudNoarp     = 0x40
	nudPermanent = 0x80

	ntfSelf       = 0x02
	ntfMaster     = 0x04
	ntfProxy      = 0x08
	ntfExtLearned = 0x10
	ntfOffloaded  = 0x20
	ntfSticky     = 0x40
	ntfRouter     = 0x80
	ntfExtManaged = 0x01
	ntfExtLocked  = 0x02
)

// ndMsg is one RTM_NEWNEIGH message.
type ndMsg struct {
	family  uint8
	ifindex int32
	state   uint16
	flags   uint8
	a       attrs
}

func parseNdMsg(b []byte) (ndMsg, bool) {
	if len(b) < 12 {
		return ndMsg{}, false
	}
	return ndMsg{
		family:  b[0],
		ifindex: int32(binary.NativeEndian.Uint32(b[4:8])),
		state:   binary.NativeEndian.Uint16(b[8:10]),
		flags:   b[10],
		a:       attrTable(b[12:]),
	}, true
}

// neighStates are printed in print_neigh_state's order.
var neighStates = [...]struct {
	bit  uint16
	name string
}{
	{0x01, "INCOMPLETE"}, {0x02, "REACHABLE"}, {0x04, "STALE"}, {0x08, "DELAY"},
	{0x10, "PROBE"}, {0x20, "FAILED"}, {0x40, "NOARP"}, {0x80, "PERMANENT"},
}

// keepNeigh is `ip neigh show`'s default filter: every state but NOARP and
// NONE, proxy and externally learned entries always.
func keepNeigh(n *ndMsg) bool {
	if n.family != afInet && n.family != afInet6 {
		return false
	}
	const want = 0xFF &^ nudNoarp
	return n.state&want != 0 || n.flags&(ntfProxy|ntfExtLearned) != 0
}

// renderNeigh appends one entry as print_neigh (iproute2 6.1 ip/ipneigh.c)
// prints it.
func (v *view) renderNeigh(b *bytes.Buffer, n *ndMsg) {
	if d, ok := n.a[ndaDst]; ok {
		b.WriteString(fmtAddr(d))
		b.WriteByte(' ')
	}
	if n.ifindex != 0 {
		fmt.Fprintf(b, "dev %s ", v.ifname(uint32(n.ifindex)))
	}
	if ll, ok := n.a[ndaLLAddr]; ok {
		fmt.Fprintf(b, "lladdr %s ", llAddr(ll, v.iftypes[n.ifindex]))
	}
	if n.flags&ntfRouter != 0 {
		b.WriteString("router ")
	}
	if n.flags&ntfProxy != 0 {
		b.WriteString("proxy ")
	}
	if n.flags&ntfExtLearned != 0 {
		b.WriteString("extern_learn ")
	}
	if n.flags&ntfOffloaded != 0 {
		b.WriteString("offload ")
	}
	if ext, ok := n.a.u32(ndaFlagsExt); ok && ext&ntfExtManaged != 0 {
		b.WriteString("managed ")
	}
	if p, ok := n.a.u8(ndaProtocol); ok {
		fmt.Fprintf(b, "proto %s ", v.names.proto(p))
	}
	st := n.state
	for _, s := range neighStates {
		if st&s.bit != 0 {
			st &^= s.bit
			b.WriteString(s.name)
			b.WriteByte(' ')
		}
	}
	if st != 0 {
		fmt.Fprintf(b, "%x", st)
	}
	b.WriteByte('\n')
}

// renderFDB appends one forwarding entry as print_fdb (iproute2 6.1
// bridge/fdb.c) prints it.
func (v *view) renderFDB(b *bytes.Buffer, n *ndMsg) {
	if ll, ok := n.a[ndaLLAddr]; ok {
		b.WriteString(llAddr(ll, v.iftypes[n.ifindex]))
		b.WriteByte(' ')
	}
	if n.ifindex != 0 {
		fmt.Fprintf(b, "dev %s ", v.ifname(uint32(n.ifindex)))
	}
	if d, ok := n.a[ndaDst]; ok {
		fmt.Fprintf(b, "dst %s ", fmtAddr(d))
	}
	if vid, ok := n.a.u16(ndaVLAN); ok && vid != 0 {
		fmt.Fprintf(b, "vlan %d ", vid)
	}
	if p, ok := n.a.be16(ndaPort); ok {
		fmt.Fprintf(b, "port %d ", p)
	}
	if vni, ok := n.a.u32(ndaVNI); ok {
		fmt.Fprintf(b, "vni %d ", vni)
	}
	if vni, ok := n.a.u32(ndaSrcVNI); ok {
		fmt.Fprintf(b, "src_vni %d ", vni)
	}
	if idx, ok := n.a.u32(ndaIfindex); ok {
		if n.a.has(ndaLinkNetnsid) {
			fmt.Fprintf(b, "via ifindex %d ", idx)
		} else {
			fmt.Fprintf(b, "via %s ", v.ifname(idx))
		}
	}
	if id, ok := n.a.u32(ndaNHID); ok {
		fmt.Fprintf(b, "nhid %d ", id)
	}
	if id, ok := n.a.u32(ndaLinkNetnsid); ok {
		fmt.Fprintf(b, "link-netnsid %d ", int32(id))
	}
	if n.flags&ntfSelf != 0 {
		b.WriteString("self ")
	}
	if n.flags&ntfRouter != 0 {
		b.WriteString("router ")
	}
	if n.flags&ntfExtLearned != 0 {
		b.WriteString("extern_learn ")
	}
	if n.flags&ntfOffloaded != 0 {
		b.WriteString("offload ")
	}
	if n.flags&ntfMaster != 0 {
		b.WriteString("master ")
	}
	if n.flags&ntfSticky != 0 {
		b.WriteString("sticky ")
	}
	if ext, ok := n.a.u32(ndaFlagsExt); ok && ext&ntfExtLocked != 0 {
		b.WriteString("locked ")
	}
	if m, ok := n.a.u32(ndaMaster); ok {
		fmt.Fprintf(b, "master %s ", v.ifname(m))
	}
	b.WriteString(fdbState(n.state))
	b.WriteByte('\n')
}

func fdbState(s uint16) string {
	switch {
	case s&nudPermanent != 0:
		return "permanent"
	case s&nudNoarp != 0:
		return "static"
	case s&nudStale != 0:
		return "stale"
	case s&nudReachable != 0:
		return ""
	}
	return "state=" + cHex(uint64(s))
}

// renderNeighs renders an RTM_GETNEIGH dump as `ip neigh show`.
func (v *view) renderNeighs(msgs [][]byte) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		n, ok := parseNdMsg(m)
		if !ok || !keepNeigh(&n) {
			continue
		}
		v.renderNeigh(&b, &n)
	}
	return b.Bytes()
}

// renderFDBs renders an AF_BRIDGE neighbour dump as `bridge fdb show`.
func (v *view) renderFDBs(msgs [][]byte) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		n, ok := parseNdMsg(m)
		if !ok || n.family != afBridge {
			continue
		}
		v.renderFDB(&b, &n)
	}
	return b.Bytes()
}
