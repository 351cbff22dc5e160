package nativenet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// IFLA_VXLAN_* attributes.
const (
	vxlanID            = 1
	vxlanGroup         = 2
	vxlanLink          = 3
	vxlanLocal         = 4
	vxlanTTL           = 5
	vxlanTOS           = 6
	vxlanLearning      = 7
	vxlanAgeing        = 8
	vxlanLimit         = 9
	vxlanPortRange     = 10
	vxlanProxy         = 11
	vxlanRSC           = 12
	vxlanL2Miss        = 13
	vxlanL3Miss        = 14
	vxlanPort          = 15
	vxlanGroup6        = 16
	vxlanLocal6        = 17
	vxlanUDPCsum       = 18
	vxlanZeroCsum6Tx   = 19
	vxlanZeroCsum6Rx   = 20
	vxlanRemCsumTx     = 21
	vxlanRemCsumRx     = 22
	vxlanGBP           = 23
	vxlanCollectMeta   = 25
	vxlanLabel         = 26
	vxlanGPE           = 27
	vxlanTTLInherit    = 28
	vxlanDF            = 29
	vxlanVNIFilter     = 30
	ipprotoIPIP        = 4
	ipprotoIPv6        = 41
	ipprotoMPLS        = 137
	tunnelEncapFOU     = 1
	tunnelEncapGUE     = 2
	tunnelEncapCsum    = 1
	tunnelEncapCsum6   = 2
	tunnelEncapRemCsum = 4
)

// writeVxlan prints vxlan_print_opt's options (iproute2 6.1 ip/iplink_vxlan.c).
func (v *view) writeVxlan(b *bytes.Buffer, d attrs) {
	if d == nil {
		return
	}
	on := func(t uint16) bool { x, ok := d.u8(t); return ok && x != 0 }
	if on(vxlanCollectMeta) {
		b.WriteString("external ")
	}
	if on(vxlanVNIFilter) {
		b.WriteString("vnifilter ")
	}
	if id, ok := d.u32(vxlanID); ok {
		fmt.Fprintf(b, "id %d ", id)
	}
	if g, ok := d[vxlanGroup]; ok {
		if a, ok := addrFrom(g); ok && !a.IsUnspecified() {
			if a.IsMulticast() {
				fmt.Fprintf(b, "group %s ", a)
			} else {
				fmt.Fprintf(b, "remote %s ", a)
			}
		}
	} else if g, ok := d[vxlanGroup6]; ok {
		if a, ok := addrFrom(g); ok && !a.IsUnspecified() {
			if a.IsMulticast() {
				fmt.Fprintf(b, "group %s ", ntop(a))
			} else {
				fmt.Fprintf(b, "remote %s ", ntop(a))
			}
		}
	}
	if l, ok := d[vxlanLocal]; ok {
		if a, ok := addrFrom(l); ok && !a.IsUnspecified() {
			fmt.Fprintf(b, "local %s ", a)
		}
	} else if l, ok := d[vxlanLocal6]; ok {
		if a, ok := addrFrom(l); ok && !a.IsUnspecified() {
			fmt.Fprintf(b, "local %s ", ntop(a))
		}
	}
	if link, ok := d.u32(vxlanLink); ok && link != 0 {
		fmt.Fprintf(b, "dev %s ", v.ifname(link))
	}
	if r, ok := d[vxlanPortRange]; ok && len(r) >= 4 {
		fmt.Fprintf(b, "srcport %d %d ", binary.BigEndian.Uint16(r), binary.BigEndian.Uint16(r[2:]))
	}
	if p, ok := d.be16(vxlanPort); ok {
		fmt.Fprintf(b, "dstport %d ", p)
	}
	if l, ok := d.u8(vxlanLearning); ok && l == 0 {
		b.WriteString("nolearning ")
	}
	for _, f := range []struct {
		t    uint16
		name string
	}{{vxlanProxy, "proxy"}, {vxlanRSC, "rsc"}, {vxlanL2Miss, "l2miss"}, {vxlanL3Miss, "l3miss"}} {
		if on(f.t) {
			b.WriteString(f.name + " ")
		}
	}
	if tos, ok := d.u8(vxlanTOS); ok && tos != 0 {
		if tos == 1 {
			b.WriteString("tos inherit ")
		} else {
			fmt.Fprintf(b, "tos %#x ", tos)
		}
	}
	if on(vxlanTTLInherit) {
		b.WriteString("ttl inherit ")
	} else if ttl, ok := d.u8(vxlanTTL); ok {
		if ttl != 0 {
			fmt.Fprintf(b, "ttl %d ", ttl)
		} else {
			b.WriteString("ttl auto ")
		}
	}
	if df, ok := d.u8(vxlanDF); ok {
		switch df {
		case 1:
			b.WriteString("df set ")
		case 2:
			b.WriteString("df inherit ")
		}
	}
	if l, ok := d[vxlanLabel]; ok && len(l) >= 4 {
		if lab := binary.BigEndian.Uint32(l); lab != 0 {
			fmt.Fprintf(b, "flowlabel %#x ", lab)
		}
	}
	if age, ok := d.u32(vxlanAgeing); ok {
		if age == 0 {
			b.WriteString("ageing none ")
		} else {
			fmt.Fprintf(b, "ageing %d ", age)
		}
	}
	if lim, ok := d.u32(vxlanLimit); ok && lim != 0 {
		fmt.Fprintf(b, "maxaddr %d ", lim)
	}
	for _, f := range []struct {
		t    uint16
		name string
	}{{vxlanUDPCsum, "udpcsum"}, {vxlanZeroCsum6Tx, "udp6zerocsumtx"}, {vxlanZeroCsum6Rx, "udp6zerocsumrx"}} {
		if x, ok := d.u8(f.t); ok {
			if x == 0 {
				b.WriteString("no")
			}
			b.WriteString(f.name + " ")
		}
	}
	if on(vxlanRemCsumTx) {
		b.WriteString("remcsumtx ")
	}
	if on(vxlanRemCsumRx) {
		b.WriteString("remcsumrx ")
	}
	if d.has(vxlanGBP) {
		b.WriteString("gbp ")
	}
	if d.has(vxlanGPE) {
		b.WriteString("gpe ")
	}
}

// writeIptun prints iptunnel_print_opt's options (iproute2 6.1
// ip/link_iptnl.c) for an ipip device, from the library's decoding.
func (v *view) writeIptun(b *bytes.Buffer, t *netlink.Iptun) {
	if t.FlowBased {
		b.WriteString("external ")
	}
	// The kernel always sends IFLA_IPTUN_PROTO for ipip devices.
	switch t.Proto {
	case ipprotoIPIP:
		b.WriteString("ipip ")
	case ipprotoIPv6:
		b.WriteString("ip6ip ")
	case ipprotoMPLS:
		b.WriteString("mplsip ")
	case 0:
		b.WriteString("any ")
	}
	b.WriteString("remote " + endpoint(t.Remote) + " ")
	b.WriteString("local " + endpoint(t.Local) + " ")
	if t.Link != 0 {
		fmt.Fprintf(b, "dev %s ", v.ifname(t.Link))
	}
	if t.Ttl != 0 {
		fmt.Fprintf(b, "ttl %d ", t.Ttl)
	} else {
		b.WriteString("ttl inherit ")
	}
	if t.Tos != 0 {
		if t.Tos == 1 {
			b.WriteString("tos inherit ")
		} else {
			fmt.Fprintf(b, "tos %#x ", t.Tos)
		}
	}
	if t.PMtuDisc != 0 {
		b.WriteString("pmtudisc ")
	} else {
		b.WriteString("nopmtudisc ")
	}
	if t.EncapType != 0 {
		b.WriteString("encap ")
		switch t.EncapType {
		case tunnelEncapFOU:
			b.WriteString("fou ")
		case tunnelEncapGUE:
			b.WriteString("gue ")
		default:
			b.WriteString("unknown ")
		}
		// tnl_print_encap prints the source port without a trailing blank.
		if t.EncapSport == 0 {
			b.WriteString("encap-sport auto ")
		} else {
			fmt.Fprintf(b, "encap-sport %d", t.EncapSport)
		}
		fmt.Fprintf(b, "encap-dport %d ", t.EncapDport)
		for _, f := range []struct {
			bit  uint16
			name string
		}{{tunnelEncapCsum, "encap-csum "}, {tunnelEncapCsum6, "encap-csum6 "}, {tunnelEncapRemCsum, "encap-remcsum "}} {
			if t.EncapFlags&f.bit == 0 {
				b.WriteString("no")
			}
			b.WriteString(f.name)
		}
	}
}

// endpoint is tnl_print_endpoint's value: "any" for an absent or all-zero
// address.
func endpoint(ip net.IP) string {
	a, ok := netip.AddrFromSlice(ip)
	if !ok || a.Unmap().IsUnspecified() {
		return "any"
	}
	return ntop(a.Unmap())
}

// Bridge attribute value shapes.
const (
	brU8 = iota
	brU16
	brU32
	brU64
	brHex16
	brID
	brTimer
	brMAC
	brProto
	brBoolopt
)

// bridgeOpts is bridge_print_opt's order (iproute2 6.1 ip/iplink_bridge.c):
// IFLA_BR_* number, label and value shape.
var bridgeOpts = [...]struct {
	typ   uint16
	name  string
	shape int
}{
	{1, "forward_delay", brU32}, {2, "hello_time", brU32}, {3, "max_age", brU32},
	{4, "ageing_time", brU32}, {5, "stp_state", brU32}, {6, "priority", brU16},
	{7, "vlan_filtering", brU8}, {8, "vlan_protocol", brProto},
	{11, "bridge_id", brID}, {10, "designated_root", brID},
	{12, "root_port", brU16}, {13, "root_path_cost", brU32},
	{14, "topology_change", brU8}, {15, "topology_change_detected", brU8},
	{16, "hello_timer", brTimer}, {17, "tcn_timer", brTimer},
	{18, "topology_change_timer", brTimer}, {19, "gc_timer", brTimer},
	{39, "vlan_default_pvid", brU16}, {41, "vlan_stats_enabled", brU8},
	{45, "vlan_stats_per_port", brU8}, {9, "group_fwd_mask", brHex16},
	{20, "group_address", brMAC}, {23, "mcast_snooping", brU8},
	{46, "", brBoolopt}, {22, "mcast_router", brU8},
	{24, "mcast_query_use_ifaddr", brU8}, {25, "mcast_querier", brU8},
	{26, "mcast_hash_elasticity", brU32}, {27, "mcast_hash_max", brU32},
	{28, "mcast_last_member_count", brU32}, {29, "mcast_startup_query_count", brU32},
	{30, "mcast_last_member_interval", brU64}, {31, "mcast_membership_interval", brU64},
	{32, "mcast_querier_interval", brU64}, {33, "mcast_query_interval", brU64},
	{34, "mcast_query_response_interval", brU64}, {35, "mcast_startup_query_interval", brU64},
	{42, "mcast_stats_enabled", brU8}, {43, "mcast_igmp_version", brU8},
	{44, "mcast_mld_version", brU8}, {36, "nf_call_iptables", brU8},
	{37, "nf_call_ip6tables", brU8}, {38, "nf_call_arptables", brU8},
}

func writeBridge(b *bytes.Buffer, d attrs) {
	for _, o := range bridgeOpts {
		raw, ok := d[o.typ]
		if !ok {
			continue
		}
		switch o.shape {
		case brU8:
			x, _ := d.u8(o.typ)
			fmt.Fprintf(b, "%s %d ", o.name, x)
		case brU16:
			x, _ := d.u16(o.typ)
			fmt.Fprintf(b, "%s %d ", o.name, x)
		case brU32:
			x, _ := d.u32(o.typ)
			fmt.Fprintf(b, "%s %d ", o.name, x)
		case brU64:
			x, _ := d.u64(o.typ)
			fmt.Fprintf(b, "%s %d ", o.name, x)
		case brHex16:
			x, _ := d.u16(o.typ)
			fmt.Fprintf(b, "%s %s ", o.name, cHex(uint64(x)))
		case brID:
			fmt.Fprintf(b, "%s %s ", o.name, bridgeID(raw))
		case brTimer:
			x, _ := d.u64(o.typ)
			writeTimer(b, o.name, x)
		case brMAC:
			fmt.Fprintf(b, "%s %s ", o.name, llAddr(raw, 1))
		case brProto:
			x, _ := d.u16(o.typ)
			fmt.Fprintf(b, "%s %s ", o.name, ethProto(x))
		case brBoolopt:
			if len(raw) < 8 {
				continue
			}
			val, mask := binary.NativeEndian.Uint32(raw), binary.NativeEndian.Uint32(raw[4:])
			// BR_BOOLOPT_NO_LL_LEARN (bit 0) and BR_BOOLOPT_MCAST_VLAN_SNOOPING
			// (bit 1) are the ones 6.1 prints.
			if mask&1 != 0 {
				fmt.Fprintf(b, "no_linklocal_learn %d ", val&1)
			}
			if mask&2 != 0 {
				fmt.Fprintf(b, "mcast_vlan_snooping %d ", (val>>1)&1)
			}
		}
	}
}

// writeTimer prints a bridge timer (in USER_HZ ticks) as "%s %4i.%.2i ".
func writeTimer(b *bytes.Buffer, name string, ticks uint64) {
	fmt.Fprintf(b, "%s %4d.%02d ", name, ticks/100, ticks%100)
}

// bridgeID is br_dump_bridge_id: priority bytes in hex, then the MAC as
// glibc's ether_ntoa prints it (no zero padding).
func bridgeID(raw []byte) string {
	if len(raw) < 8 {
		return ""
	}
	return fmt.Sprintf("%02x%02x.%x:%x:%x:%x:%x:%x", raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7])
}

// ethProto is ll_proto_n2a for the protocols a bridge or VLAN can carry; the
// attribute holds the EtherType in network order, read here as stored.
func ethProto(raw uint16) string {
	var be [2]byte
	binary.NativeEndian.PutUint16(be[:], raw)
	switch p := binary.BigEndian.Uint16(be[:]); p {
	case 0x8100:
		return "802.1Q"
	case 0x88a8:
		return "802.1ad"
	default:
		return fmt.Sprintf("[%d]", p)
	}
}

var portStates = [...]string{"disabled", "listening", "learning", "forwarding", "blocking"}

// Bridge port attribute shapes beyond the bridge's.
const (
	bpOnOff = 100 + iota
	bpState
	bpHexU16
	bpFwdMask
	bpIfname
)

// bridgeSlaveOpts is bridge_slave_print_opt's order (iproute2 6.1
// ip/iplink_bridge_slave.c): IFLA_BRPORT_* number, label, shape.
var bridgeSlaveOpts = [...]struct {
	typ   uint16
	name  string
	shape int
}{
	{1, "state", bpState}, {2, "priority", brU16}, {3, "cost", brU32},
	{4, "hairpin", bpOnOff}, {5, "guard", bpOnOff}, {6, "root_block", bpOnOff},
	{7, "fastleave", bpOnOff}, {8, "learning", bpOnOff}, {9, "flood", bpOnOff},
	{17, "port_id", bpHexU16}, {18, "port_no", bpHexU16},
	{15, "designated_port", brU16}, {16, "designated_cost", brU16},
	{14, "designated_bridge", brID}, {13, "designated_root", brID},
	{23, "hold_timer", brTimer}, {21, "message_age_timer", brTimer},
	{22, "forward_delay_timer", brTimer}, {19, "topology_change_ack", brU8},
	{20, "config_pending", brU8}, {10, "proxy_arp", bpOnOff},
	{12, "proxy_arp_wifi", bpOnOff}, {25, "mcast_router", brU8},
	{7, "mcast_fast_leave", bpOnOff}, {27, "mcast_flood", bpOnOff},
	{30, "bcast_flood", bpOnOff}, {28, "mcast_to_unicast", bpOnOff},
	{32, "neigh_suppress", bpOnOff}, {31, "group_fwd_mask", bpFwdMask},
	{29, "vlan_tunnel", bpOnOff}, {33, "isolated", bpOnOff},
	{34, "backup_port", bpIfname}, {39, "locked", bpOnOff},
}

func (v *view) writeBridgeSlave(b *bytes.Buffer, d attrs) {
	for _, o := range bridgeSlaveOpts {
		raw, ok := d[o.typ]
		if !ok {
			continue
		}
		switch o.shape {
		case bpState:
			x, _ := d.u8(o.typ)
			if int(x) < len(portStates) {
				fmt.Fprintf(b, "state %s ", portStates[x])
			} else {
				fmt.Fprintf(b, "state (%d) ", x)
			}
		case bpOnOff:
			x, _ := d.u8(o.typ)
			fmt.Fprintf(b, "%s %s ", o.name, onOff(x != 0))
		case bpHexU16:
			x, _ := d.u16(o.typ)
			fmt.Fprintf(b, "%s %s ", o.name, cHex(uint64(x)))
		case bpFwdMask:
			x, _ := d.u16(o.typ)
			fmt.Fprintf(b, "group_fwd_mask %s group_fwd_mask_str %s ", cHex(uint64(x)), fwdMaskString(x))
		case bpIfname:
			x, _ := d.u32(o.typ)
			fmt.Fprintf(b, "%s %s ", o.name, v.ifname(x))
		case brU8:
			x, _ := d.u8(o.typ)
			fmt.Fprintf(b, "%s %d ", o.name, x)
		case brU16:
			x, _ := d.u16(o.typ)
			fmt.Fprintf(b, "%s %d ", o.name, x)
		case brU32:
			x, _ := d.u32(o.typ)
			fmt.Fprintf(b, "%s %d ", o.name, x)
		case brID:
			fmt.Fprintf(b, "%s %s ", o.name, bridgeID(raw))
		case brTimer:
			x, _ := d.u64(o.typ)
			writeTimer(b, o.name, x)
		}
	}
}

// fwdMaskString is _bitmask2str over the group_fwd_mask names.
func fwdMaskString(mask uint16) string {
	names := map[int]string{0: "stp", 2: "802_3ad", 14: "lldp"}
	var s []byte
	for i := 0; mask != 0; i, mask = i+1, mask>>1 {
		if mask&1 == 0 {
			continue
		}
		if n, ok := names[i]; ok {
			s = append(s, n...)
		} else {
			s = fmt.Appendf(s, "0x%02x", i)
		}
		s = append(s, ',')
	}
	if len(s) == 0 {
		return "0x0"
	}
	return string(s[:len(s)-1])
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// writeVlan prints vlan_print_opt's options (ip/iplink_vlan.c).
func writeVlan(b *bytes.Buffer, d attrs) {
	if d == nil {
		return
	}
	id, ok := d.u16(1)
	if !ok {
		return
	}
	if p, ok := d.u16(5); ok {
		fmt.Fprintf(b, "protocol %s ", ethProto(p))
	} else {
		b.WriteString("protocol 802.1q ")
	}
	fmt.Fprintf(b, "id %d ", id)
	if f, ok := d[2]; ok && len(f) >= 4 {
		flags := binary.NativeEndian.Uint32(f)
		b.WriteByte('<')
		for _, n := range []struct {
			bit  uint32
			name string
		}{{1, "REORDER_HDR"}, {2, "GVRP"}, {8, "MVRP"}, {4, "LOOSE_BINDING"}, {0x10, "BRIDGE_BINDING"}} {
			if flags&n.bit == 0 {
				continue
			}
			flags &^= n.bit
			b.WriteString(n.name)
			if flags != 0 {
				b.WriteByte(',')
			}
		}
		if flags != 0 {
			fmt.Fprintf(b, "%x", flags)
		}
		b.WriteString("> ")
	}
	for _, m := range []struct {
		typ  uint16
		name string
	}{{4, "ingress-qos-map"}, {3, "egress-qos-map"}} {
		raw, ok := d[m.typ]
		if !ok {
			continue
		}
		fmt.Fprintf(b, "\n      %s { ", m.name)
		for _, e := range parseAttrs(raw) {
			if len(e.val) >= 8 {
				fmt.Fprintf(b, "%d:%d ", binary.NativeEndian.Uint32(e.val), binary.NativeEndian.Uint32(e.val[4:]))
			}
		}
		b.WriteString("} ")
	}
}

// writeMacvlan prints macvlan_print_opt's options (ip/iplink_macvlan.c),
// without the source-mode MAC list.
func writeMacvlan(b *bytes.Buffer, d attrs) {
	mode, ok := d.u32(1)
	if !ok {
		return
	}
	name := map[uint32]string{1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}[mode]
	if name == "" {
		name = "unknown"
	}
	fmt.Fprintf(b, "mode %s ", name)
	flags, _ := d.u16(2)
	if flags&1 != 0 {
		b.WriteString("nopromisc ")
	}
	if flags&2 != 0 {
		b.WriteString("nodst ")
	}
	if n, ok := d.u32(7); ok {
		fmt.Fprintf(b, "bcqueuelen %d ", n)
	}
	if n, ok := d.u32(8); ok {
		fmt.Fprintf(b, "usedbcqueuelen %d ", n)
	}
}

// writeTun prints tun_print_opt's options (ip/iptuntap.c); owner and group
// print as numbers.
func writeTun(b *bytes.Buffer, d attrs) {
	if t, ok := d.u8(3); ok {
		switch t {
		case 1:
			b.WriteString("type tun ")
		case 2:
			b.WriteString("type tap ")
		default:
			b.WriteString("type UNKNOWN ")
		}
	}
	if x, ok := d.u8(4); ok {
		fmt.Fprintf(b, "pi %s ", onOff(x != 0))
	}
	if x, ok := d.u8(5); ok {
		fmt.Fprintf(b, "vnet_hdr %s ", onOff(x != 0))
	}
	mq, _ := d.u8(7)
	if mq != 0 {
		b.WriteString("multi_queue ")
	}
	if x, ok := d.u8(6); ok {
		fmt.Fprintf(b, "persist %s ", onOff(x != 0))
	}
	if x, ok := d.u32(1); ok {
		fmt.Fprintf(b, "user %d ", x)
	}
	if x, ok := d.u32(2); ok {
		fmt.Fprintf(b, "group %d ", x)
	}
	if mq != 0 {
		if x, ok := d.u32(8); ok {
			fmt.Fprintf(b, "numqueues %d ", x)
		}
		if x, ok := d.u32(9); ok {
			fmt.Fprintf(b, "numdisabled %d ", x)
		}
	}
}
