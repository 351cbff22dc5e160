package nativenet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/vishvananda/netlink"
)

// Link attributes (linux/if_link.h).
const (
	iflaAddress         = 1
	iflaBroadcast       = 2
	iflaIfname          = 3
	iflaMTU             = 4
	iflaLink            = 5
	iflaQdisc           = 6
	iflaMaster          = 10
	iflaTxqlen          = 13
	iflaOperstate       = 16
	iflaLinkmode        = 17
	iflaLinkinfo        = 18
	iflaIfalias         = 20
	iflaAFSpec          = 26
	iflaGroup           = 27
	iflaPromiscuity     = 30
	iflaNumTxQueues     = 31
	iflaNumRxQueues     = 32
	iflaPhysPortID      = 34
	iflaPhysSwitchID    = 36
	iflaLinkNetnsid     = 37
	iflaPhysPortName    = 38
	iflaProtoDown       = 39
	iflaGSOMaxSegs      = 40
	iflaGSOMaxSize      = 41
	iflaXDP             = 43
	iflaMinMTU          = 50
	iflaMaxMTU          = 51
	iflaPropList        = 52
	iflaAltIfname       = 53
	iflaPermAddress     = 54
	iflaParentDevName   = 56
	iflaParentDevBus    = 57
	iflaGROMaxSize      = 58
	iflaTSOMaxSize      = 59
	iflaTSOMaxSegs      = 60
	iflaAllmulti        = 61
	iflaInfoKind        = 1
	iflaInfoData        = 2
	iflaInfoSlaveKind   = 4
	iflaInfoSlaveData   = 5
	iflaInet6AddrGenMod = 8
	iflaXDPAttached     = 2
	iflaXDPProgID       = 4

	iffUp          = 0x1
	iffPointopoint = 0x10
	iffRunning     = 0x40

	arphrdTunnel  = 768
	arphrdTunnel6 = 769
	arphrdSit     = 776
	arphrdIPGRE   = 778
	arphrdIP6GRE  = 823
)

// ifInfo is one RTM_NEWLINK message: struct ifinfomsg and its attributes.
type ifInfo struct {
	typ   uint16
	index int32
	flags uint32
	a     attrs
	// typed is the library's decoding of the same message
	// (netlink.LinkDeserialize), used for the kinds rendered from it (ipip);
	// nil when unavailable.
	typed netlink.Link
}

func parseIfInfo(b []byte) (ifInfo, bool) {
	if len(b) < 16 {
		return ifInfo{}, false
	}
	return ifInfo{
		typ:   binary.NativeEndian.Uint16(b[2:4]),
		index: int32(binary.NativeEndian.Uint32(b[4:8])),
		flags: binary.NativeEndian.Uint32(b[8:12]),
		a:     attrTable(b[16:]),
	}, true
}

func (l *ifInfo) name() string {
	s, _ := l.a.str(iflaIfname)
	return s
}

// learnLinks records names, flags and types of a link dump, as iproute2's
// ll_init_map does before printing anything that refers to a device.
func (v *view) learnLinks(links []ifInfo) {
	for i := range links {
		l := &links[i]
		v.ifnames[l.index] = l.name()
		v.ifflags[l.index] = l.flags
		v.iftypes[l.index] = l.typ
	}
}

// linkTypes are ll_type_n2a's names (ARPHRD_*).
var linkTypes = map[uint16]string{
	0: "netrom", 1: "ether", 2: "eether", 3: "ax25", 4: "pronet", 5: "chaos",
	6: "ieee802", 7: "arcnet", 8: "atalk", 15: "dlci", 19: "atm", 23: "metricom",
	24: "ieee1394", 32: "infiniband", 256: "slip", 257: "cslip", 258: "slip6",
	259: "cslip6", 260: "rsrvd", 264: "adapt", 270: "rose", 271: "x25",
	272: "hwx25", 280: "can", 512: "ppp", 513: "hdlc", 516: "lapb", 517: "ddcmp",
	518: "rawhdlc", 519: "rawip", 768: "ipip", 769: "tunnel6", 770: "frad",
	771: "skip", 772: "loopback", 773: "ltalk", 774: "fddi", 775: "bif",
	776: "sit", 777: "ip/ddp", 778: "gre", 779: "pimreg", 780: "hippi",
	781: "ash", 782: "econet", 783: "irda", 784: "fcpp", 785: "fcal", 786: "fcpl",
	787: "fcfb0", 800: "tr", 801: "ieee802.11", 802: "ieee802.11/prism",
	803: "ieee802.11/radiotap", 804: "ieee802.15.4", 805: "ieee802.15.4/monitor",
	820: "phonet", 821: "phonet_pipe", 822: "caif", 823: "gre6", 824: "netlink",
	825: "6lowpan", 0xfffe: "none", 0xffff: "void",
}

func linkType(t uint16) string {
	if s, ok := linkTypes[t]; ok {
		return s
	}
	return "[" + strconv.Itoa(int(t)) + "]"
}

// llAddr is ll_addr_n2a: tunnel endpoints as IP addresses, anything else as
// colon-separated hex bytes.
func llAddr(b []byte, typ uint16) string {
	if len(b) == 4 && (typ == arphrdTunnel || typ == arphrdSit || typ == arphrdIPGRE) {
		return netip.AddrFrom4([4]byte(b)).String()
	}
	if len(b) == 16 && (typ == arphrdTunnel6 || typ == arphrdIP6GRE) {
		return ntop(netip.AddrFrom16([16]byte(b)))
	}
	if len(b) == 0 {
		return "00"
	}
	var s bytes.Buffer
	for i, c := range b {
		if i > 0 {
			s.WriteByte(':')
		}
		s.WriteString(hex2(c))
	}
	return s.String()
}

// Interface flags in print_link_flags order.
var ifFlagNames = [...]struct {
	bit  uint32
	name string
}{
	{0x8, "LOOPBACK"}, {0x2, "BROADCAST"}, {0x10, "POINTOPOINT"}, {0x1000, "MULTICAST"},
	{0x80, "NOARP"}, {0x200, "ALLMULTI"}, {0x100, "PROMISC"}, {0x400, "MASTER"},
	{0x800, "SLAVE"}, {0x4, "DEBUG"}, {0x8000, "DYNAMIC"}, {0x4000, "AUTOMEDIA"},
	{0x2000, "PORTSEL"}, {0x20, "NOTRAILERS"}, {0x1, "UP"}, {0x10000, "LOWER_UP"},
	{0x20000, "DORMANT"}, {0x40000, "ECHO"},
}

func writeLinkFlags(b *bytes.Buffer, flags uint32, mdown bool) {
	b.WriteByte('<')
	if flags&iffUp != 0 && flags&iffRunning == 0 {
		b.WriteString("NO-CARRIER")
		if flags != 0 {
			b.WriteByte(',')
		}
	}
	flags &^= iffRunning
	for _, f := range ifFlagNames {
		if flags&f.bit == 0 {
			continue
		}
		flags &^= f.bit
		b.WriteString(f.name)
		if flags != 0 {
			b.WriteByte(',')
		}
	}
	if flags != 0 {
		fmt.Fprintf(b, "%x", flags)
	}
	if mdown {
		b.WriteString(",M-DOWN")
	}
	b.WriteString("> ")
}

var operStates = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// renderLink appends one link as print_linkinfo (iproute2 6.1 ip/ipaddress.c)
// prints it: details selects `ip -d link show` (do_link and show_details),
// otherwise the header of `ip addr show`.
func (v *view) renderLink(b *bytes.Buffer, l *ifInfo, details bool) {
	fmt.Fprintf(b, "%d: ", l.index)
	name := l.name()
	mdown := false
	if iflink, ok := l.a.u32(iflaLink); ok {
		switch {
		case iflink == 0:
			name += "@NONE"
		case l.a.has(iflaLinkNetnsid):
			name += "@if" + strconv.FormatUint(uint64(iflink), 10)
		default:
			name += "@" + v.ifname(iflink)
			mdown = v.ifflags[int32(iflink)]&iffUp == 0
		}
	}
	b.WriteString(name)
	b.WriteString(": ")
	writeLinkFlags(b, l.flags, mdown)
	if mtu, ok := l.a.u32(iflaMTU); ok {
		fmt.Fprintf(b, "mtu %d ", mtu)
	}
	if x := l.a.nested(iflaXDP); x != nil {
		writeXDPHeader(b, x)
	}
	if q, ok := l.a.str(iflaQdisc); ok {
		fmt.Fprintf(b, "qdisc %s ", q)
	}
	if m, ok := l.a.u32(iflaMaster); ok {
		fmt.Fprintf(b, "master %s ", v.ifname(m))
	}
	if st, ok := l.a.u8(iflaOperstate); ok {
		if int(st) < len(operStates) {
			fmt.Fprintf(b, "state %s ", operStates[st])
		} else {
			fmt.Fprintf(b, "state %#x", st)
		}
	}
	if details {
		if m, ok := l.a.u8(iflaLinkmode); ok {
			switch m {
			case 0:
				b.WriteString("mode DEFAULT ")
			case 1:
				b.WriteString("mode DORMANT ")
			default:
				fmt.Fprintf(b, "mode %d ", m)
			}
		}
	}
	if g, ok := l.a.u32(iflaGroup); ok {
		fmt.Fprintf(b, "group %s ", v.names.group(g))
	}
	if q, ok := l.a.u32(iflaTxqlen); ok && q != 0 {
		fmt.Fprintf(b, "qlen %d", int32(q))
	}
	fmt.Fprintf(b, "\n    link/%s ", linkType(l.typ))
	addr, hasAddr := l.a[iflaAddress]
	if hasAddr {
		b.WriteString(llAddr(addr, l.typ))
	}
	if brd, ok := l.a[iflaBroadcast]; ok {
		if l.flags&iffPointopoint != 0 {
			b.WriteString(" peer ")
		} else {
			b.WriteString(" brd ")
		}
		b.WriteString(llAddr(brd, l.typ))
	}
	if perm, ok := l.a[iflaPermAddress]; ok && (!hasAddr || !bytes.Equal(perm, addr)) {
		b.WriteString(" permaddr " + llAddr(perm, l.typ))
	}
	if id, ok := l.a.u32(iflaLinkNetnsid); ok {
		switch nsid := int32(id); {
		case nsid < 0:
			b.WriteString(" link-netnsid unknown")
		case v.nsids[nsid] != "":
			b.WriteString(" link-netns " + v.nsids[nsid])
		default:
			fmt.Fprintf(b, " link-netnsid %d", nsid)
		}
	}
	if pd, ok := l.a.u8(iflaProtoDown); ok && pd != 0 {
		b.WriteString(" protodown on ")
	}
	if details {
		v.writeLinkDetails(b, l)
		if alias, ok := l.a.str(iflaIfalias); ok {
			b.WriteString("\n    alias " + alias)
		}
	}
	for _, p := range parseAttrs(l.a[iflaPropList]) {
		if p.typ == iflaAltIfname {
			b.WriteString("\n    altname " + cString(p.val))
		}
	}
	b.WriteByte('\n')
}

// writeXDPHeader prints the attached-program marker of the header line
// (" xdp", " xdpgeneric/id:42").
func writeXDPHeader(b *bytes.Buffer, x attrs) {
	mode, ok := x.u8(iflaXDPAttached)
	if !ok || mode == 0 {
		return
	}
	b.WriteString("xdp")
	switch mode {
	case 2:
		b.WriteString("generic")
	case 3:
		b.WriteString("offload")
	case 4:
		b.WriteString("multi")
	}
	if id, ok := x.u32(iflaXDPProgID); ok && mode != 4 {
		fmt.Fprintf(b, "/id:%d", id)
	}
	b.WriteByte(' ')
}

func (v *view) writeLinkDetails(b *bytes.Buffer, l *ifInfo) {
	if p, ok := l.a.u32(iflaPromiscuity); ok {
		fmt.Fprintf(b, " promiscuity %d ", p)
	}
	if p, ok := l.a.u32(iflaAllmulti); ok {
		fmt.Fprintf(b, " allmulti %d ", p)
	}
	if p, ok := l.a.u32(iflaMinMTU); ok {
		fmt.Fprintf(b, "minmtu %d ", p)
	}
	if p, ok := l.a.u32(iflaMaxMTU); ok {
		fmt.Fprintf(b, "maxmtu %d ", p)
	}
	if li := l.a.nested(iflaLinkinfo); li != nil {
		v.writeLinkKind(b, l, li)
	}
	if af := l.a.nested(iflaAFSpec); af != nil {
		if in6 := af.nested(afInet6); in6 != nil {
			if m, ok := in6.u8(iflaInet6AddrGenMod); ok {
				switch m {
				case 0:
					b.WriteString("addrgenmode eui64 ")
				case 1:
					b.WriteString("addrgenmode none ")
				case 2:
					b.WriteString("addrgenmode stable_secret ")
				case 3:
					b.WriteString("addrgenmode random ")
				default:
					fmt.Fprintf(b, "addrgenmode 0x%02x ", m)
				}
			}
		}
	}
	for _, f := range []struct {
		typ  uint16
		name string
	}{
		{iflaNumTxQueues, "numtxqueues"}, {iflaNumRxQueues, "numrxqueues"},
		{iflaGSOMaxSize, "gso_max_size"}, {iflaGSOMaxSegs, "gso_max_segs"},
		{iflaTSOMaxSize, "tso_max_size"}, {iflaTSOMaxSegs, "tso_max_segs"},
		{iflaGROMaxSize, "gro_max_size"},
	} {
		if n, ok := l.a.u32(f.typ); ok {
			fmt.Fprintf(b, "%s %d ", f.name, n)
		}
	}
	if s, ok := l.a.str(iflaPhysPortName); ok {
		fmt.Fprintf(b, "portname %s ", s)
	}
	if id, ok := l.a[iflaPhysPortID]; ok {
		fmt.Fprintf(b, "portid %x ", id)
	}
	if id, ok := l.a[iflaPhysSwitchID]; ok {
		fmt.Fprintf(b, "switchid %x ", id)
	}
	if s, ok := l.a.str(iflaParentDevBus); ok {
		fmt.Fprintf(b, "parentbus %s ", s)
	}
	if s, ok := l.a.str(iflaParentDevName); ok {
		fmt.Fprintf(b, "parentdev %s ", s)
	}
}

// writeLinkKind prints the "    KIND OPTIONS " and "    KIND_slave OPTIONS "
// lines of print_linktype.
func (v *view) writeLinkKind(b *bytes.Buffer, l *ifInfo, li attrs) {
	if kind, ok := li.str(iflaInfoKind); ok {
		fmt.Fprintf(b, "\n    %s ", kind)
		data := li.nested(iflaInfoData)
		switch kind {
		case "vxlan":
			v.writeVxlan(b, data)
		case "ipip":
			if t, ok := l.typed.(*netlink.Iptun); ok {
				v.writeIptun(b, t)
			}
		case "bridge":
			writeBridge(b, data)
		case "vlan":
			writeVlan(b, data)
		case "macvlan", "macvtap":
			writeMacvlan(b, data)
		case "tun":
			writeTun(b, data)
		}
	}
	if kind, ok := li.str(iflaInfoSlaveKind); ok {
		fmt.Fprintf(b, "\n    %s_slave ", kind)
		if kind == "bridge" {
			v.writeBridgeSlave(b, li.nested(iflaInfoSlaveData))
		}
	}
}

// renderLinks renders a link dump as `ip -d link show`.
func (v *view) renderLinks(links []ifInfo) []byte {
	var b bytes.Buffer
	for i := range links {
		v.renderLink(&b, &links[i], true)
	}
	return b.Bytes()
}
