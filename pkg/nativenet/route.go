package nativenet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// rtnetlink route attribute and flag numbers (linux/rtnetlink.h).
const (
	rtaDst          = 1
	rtaSrc          = 2
	rtaIIF          = 3
	rtaOIF          = 4
	rtaGateway      = 5
	rtaPriority     = 6
	rtaPrefSrc      = 7
	rtaMetrics      = 8
	rtaMultipath    = 9
	rtaFlow         = 11
	rtaCacheInfo    = 12
	rtaTable        = 15
	rtaMark         = 16
	rtaVia          = 18
	rtaNewDst       = 19
	rtaPref         = 20
	rtaEncapType    = 21
	rtaEncap        = 22
	rtaTTLPropagate = 26
	rtaUID          = 25
	rtaNHID         = 30

	rtnUnicast = 1

	rtprotBoot = 3

	rtTableMain = 254

	rtmFCloned = 0x200

	rtaxLock     = 1
	rtaxMTU      = 2
	rtaxRTT      = 4
	rtaxRTTVar   = 5
	rtaxHopLimit = 10
	rtaxFeatures = 12
	rtaxRTOMin   = 13
	rtaxCCAlgo   = 16
	rtaxMax      = 17
)

// rtMsg is one RTM_NEWROUTE message: struct rtmsg and its attributes.
type rtMsg struct {
	family, dstLen, srcLen, tos, table, proto, scope, typ uint8
	flags                                                 uint32
	a                                                     attrs
}

func parseRtMsg(b []byte) (rtMsg, bool) {
	if len(b) < 12 {
		return rtMsg{}, false
	}
	return rtMsg{
		family: b[0], dstLen: b[1], srcLen: b[2], tos: b[3],
		table: b[4], proto: b[5], scope: b[6], typ: b[7],
		flags: binary.NativeEndian.Uint32(b[8:12]),
		a:     attrTable(b[12:]),
	}, true
}

// tableID is rtm_get_table: RTA_TABLE when present (tables above 255), else
// rtm_table.
func (r *rtMsg) tableID() uint32 {
	if t, ok := r.a.u32(rtaTable); ok {
		return t
	}
	return uint32(r.table)
}

func (r *rtMsg) hostLen() uint8 {
	if r.family == afInet6 {
		return 128
	}
	return 32
}

// routeMode says which command a route is printed for: the filters of `ip route
// show` (main table only), `ip route show table all`, and `ip route get`.
type routeMode int

const (
	modeMain routeMode = iota
	modeAll
	modeGet
)

// view carries what a renderer needs beyond the message itself: the name
// tables, interface names by index, and the kernel's USER_HZ.
type view struct {
	names *names
	// ifnames maps ifindex to name in the namespace the messages came from;
	// indexes it lacks print as "ifN", as ll_index_to_name does.
	ifnames map[int32]string
	// ifflags and iftypes hold each link's IFF_* flags and ARPHRD type, used for
	// the M-DOWN marker and for link-layer address formatting.
	ifflags map[int32]uint32
	iftypes map[int32]uint16
	// nsids maps a peer namespace id to the name under /run/netns, for
	// "link-netns NAME"; ids it lacks print as "link-netnsid N".
	nsids map[int32]string
	hz    int
}

func newView(n *names) *view {
	if n == nil {
		n = defaultNames()
	}
	return &view{names: n, ifnames: map[int32]string{}, ifflags: map[int32]uint32{},
		iftypes: map[int32]uint16{}, nsids: map[int32]string{}, hz: 100}
}

func (v *view) ifname(idx uint32) string {
	if s, ok := v.ifnames[int32(idx)]; ok {
		return s
	}
	return "if" + strconv.FormatUint(uint64(idx), 10)
}

// keepRoute applies `ip route`'s filter_nlmsg for the mode: family, cached
// entries and table.
func keepRoute(r *rtMsg, mode routeMode) bool {
	switch mode {
	case modeMain:
		return r.family == afInet && r.flags&rtmFCloned == 0 && r.tableID() == rtTableMain
	case modeAll:
		return (r.family == afInet || r.family == afInet6) && r.flags&rtmFCloned == 0
	}
	return true
}

// renderRoute appends one route as print_route (iproute2 6.1 ip/iproute.c)
// prints it, trailing blanks included.
func (v *view) renderRoute(b *bytes.Buffer, r *rtMsg, mode routeMode) {
	hostLen := r.hostLen()
	if r.typ != rtnUnicast {
		b.WriteString(routeType(r.typ))
		b.WriteByte(' ')
	}
	if d, ok := r.a[rtaDst]; ok {
		b.WriteString(fmtAddr(d))
		if r.dstLen != hostLen {
			fmt.Fprintf(b, "/%d", r.dstLen)
		}
		b.WriteByte(' ')
	} else if r.dstLen != 0 {
		fmt.Fprintf(b, "0/%d ", r.dstLen)
	} else {
		b.WriteString("default ")
	}
	if s, ok := r.a[rtaSrc]; ok {
		b.WriteString("from ")
		b.WriteString(fmtAddr(s))
		if r.srcLen != hostLen {
			fmt.Fprintf(b, "/%d", r.srcLen)
		}
		b.WriteByte(' ')
	} else if r.srcLen != 0 {
		fmt.Fprintf(b, "from 0/%d ", r.srcLen)
	}
	if id, ok := r.a.u32(rtaNHID); ok {
		fmt.Fprintf(b, "nhid %d ", id)
	}
	if r.tos != 0 {
		fmt.Fprintf(b, "tos %s ", v.names.dsfield(r.tos))
	}
	if gw, ok := r.a[rtaGateway]; ok {
		fmt.Fprintf(b, "via %s ", fmtAddr(gw))
	}
	if via, ok := r.a[rtaVia]; ok {
		b.WriteString(fmtVia(via))
	}
	if oif, ok := r.a.u32(rtaOIF); ok {
		fmt.Fprintf(b, "dev %s ", v.ifname(oif))
	}
	if t := r.tableID(); t != 0 && t != rtTableMain && mode != modeMain {
		fmt.Fprintf(b, "table %s ", v.names.table(t))
	}
	if r.flags&rtmFCloned == 0 {
		if r.proto != rtprotBoot {
			fmt.Fprintf(b, "proto %s ", v.names.proto(r.proto))
		}
		if r.scope != 0 {
			fmt.Fprintf(b, "scope %s ", v.names.scope(r.scope))
		}
	}
	if s, ok := r.a[rtaPrefSrc]; ok {
		fmt.Fprintf(b, "src %s ", fmtAddr(s))
	}
	if m, ok := r.a.u32(rtaPriority); ok {
		fmt.Fprintf(b, "metric %d ", m)
	}
	writeRtFlags(b, r.flags)
	if mark, ok := r.a.u32(rtaMark); ok && mark != 0 {
		if mark >= 16 {
			fmt.Fprintf(b, "mark 0x%x ", mark)
		} else {
			fmt.Fprintf(b, "mark %d ", mark)
		}
	}
	if f, ok := r.a.u32(rtaFlow); ok {
		v.writeFlow(b, f)
	}
	if uid, ok := r.a.u32(rtaUID); ok {
		fmt.Fprintf(b, "uid %d ", uid)
	}
	if r.flags&rtmFCloned != 0 {
		b.WriteString("\n    cache ")
		if r.family == afInet {
			writeCacheFlags(b, r.flags)
		}
	}
	if ci, ok := r.a[rtaCacheInfo]; ok && (r.family == afInet || r.family == afInet6) {
		v.writeCacheInfo(b, ci)
	}
	if mx, ok := r.a[rtaMetrics]; ok {
		writeMetrics(b, mx)
	}
	if iif, ok := r.a.u32(rtaIIF); ok {
		fmt.Fprintf(b, "iif %s ", v.ifname(iif))
	}
	if p, ok := r.a.u8(rtaPref); ok {
		switch p {
		case 3:
			b.WriteString("pref low")
		case 0:
			b.WriteString("pref medium")
		case 1:
			b.WriteString("pref high")
		default:
			fmt.Fprintf(b, "%d", p)
		}
	}
	if mp, ok := r.a[rtaMultipath]; ok {
		v.writeMultipath(b, r, mp)
	}
	b.WriteByte('\n')
}

// fmtVia prints RTA_VIA (struct rtvia: family, then the address) as
// print_rta_via does: "via inet6 ADDR ".
func fmtVia(b []byte) string {
	if len(b) < 2 {
		return ""
	}
	fam := binary.NativeEndian.Uint16(b[:2])
	name := "inet"
	switch fam {
	case afInet6:
		name = "inet6"
	case afInet:
	default:
		name = strconv.Itoa(int(fam))
	}
	return fmt.Sprintf("via %s %s ", name, fmtAddr(b[2:]))
}

// Route and nexthop flags (RTNH_F_*, RTM_F_*) in print_rt_flags order.
var rtFlagNames = [...]struct {
	bit  uint32
	name string
}{
	{0x1, "dead"}, {0x4, "onlink"}, {0x2, "pervasive"}, {0x8, "offload"},
	{0x40, "trap"}, {0x100, "notify"}, {0x10, "linkdown"}, {0x20, "unresolved"},
	{0x4000, "rt_offload"}, {0x8000, "rt_trap"}, {0x20000000, "rt_offload_failed"},
}

func writeRtFlags(b *bytes.Buffer, flags uint32) {
	for _, f := range rtFlagNames {
		if flags&f.bit != 0 {
			b.WriteString(f.name)
			b.WriteByte(' ')
		}
	}
}

// Cached-route flags (RTCF_*) in print_cache_flags order.
var rtcfNames = [...]struct {
	bit  uint32
	name string
}{
	{0x80000000, "local"}, {0x40000000, "reject"}, {0x20000000, "mc"},
	{0x10000000, "brd"}, {0x08000000, "dst-nat"}, {0x00800000, "src-nat"},
	{0x00400000, "masq"}, {0x00020000, "dst-direct"}, {0x04000000, "src-direct"},
	{0x00040000, "redirected"}, {0x01000000, "redirect"}, {0x00200000, "fastroute"},
	{0x00010000, "notify"}, {0x00080000, "proxy"},
}

func writeCacheFlags(b *bytes.Buffer, flags uint32) {
	flags &^= 0xFFFF
	if flags == 0 {
		return
	}
	b.WriteByte('<')
	for _, f := range rtcfNames {
		if flags&f.bit == 0 {
			continue
		}
		flags &^= f.bit
		b.WriteString(f.name)
		if flags != 0 {
			b.WriteByte(',')
		} else {
			b.WriteString("> ")
		}
	}
	if flags != 0 {
		fmt.Fprintf(b, "%x>", flags)
	}
}

// writeCacheInfo prints struct rta_cacheinfo as print_rta_cacheinfo does
// without -s: expiry (in USER_HZ ticks), error, IP id and timestamps.
func (v *view) writeCacheInfo(b *bytes.Buffer, ci []byte) {
	if len(ci) < 32 {
		return
	}
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(ci[i*4:]) }
	if exp := int32(u(2)); exp != 0 {
		fmt.Fprintf(b, "expires %dsec ", exp/int32(v.hz))
	}
	if e := u(3); e != 0 {
		fmt.Fprintf(b, "error %d ", e)
	}
	if id := u(5); id != 0 {
		fmt.Fprintf(b, "ipid 0x%04x ", id)
	}
	if ts, age := u(6), u(7); ts != 0 || age != 0 {
		fmt.Fprintf(b, "ts 0x%x tsage %dsec ", ts, age)
	}
}

func (v *view) writeFlow(b *bytes.Buffer, f uint32) {
	from, to := f>>16, f&0xFFFF
	if from != 0 {
		fmt.Fprintf(b, "realms %s/", v.names.realm(from))
	} else {
		b.WriteString("realm ")
	}
	b.WriteString(v.names.realm(to))
	b.WriteByte(' ')
}

// Route metric names (RTAX_*), as print_rta_metrics prints them.
var metricNames = [...]string{2: "mtu", 3: "window", 4: "rtt", 5: "rttvar",
	6: "ssthresh", 7: "cwnd", 8: "advmss", 9: "reordering", 10: "hoplimit",
	11: "initcwnd", 12: "features", 13: "rto_min", 14: "initrwnd", 15: "quickack",
	16: "congctl", 17: "fastopen_no_cookie"}

func writeMetrics(b *bytes.Buffer, buf []byte) {
	mx := attrTable(buf)
	lock, _ := mx.u32(rtaxLock)
	for i := uint16(2); i <= rtaxMax; i++ {
		raw, present := mx[i]
		if !present && lock&(1<<i) == 0 {
			continue
		}
		var val uint32
		if present && i != rtaxCCAlgo && len(raw) >= 4 {
			val = binary.NativeEndian.Uint32(raw)
		}
		if i == rtaxHopLimit && int32(val) == -1 {
			continue
		}
		if int(i) < len(metricNames) && metricNames[i] != "" {
			b.WriteString(metricNames[i])
			b.WriteByte(' ')
		} else {
			fmt.Fprintf(b, "metric %d ", i)
		}
		if lock&(1<<i) != 0 {
			b.WriteString("lock ")
		}
		switch i {
		case rtaxFeatures:
			if val&1 != 0 {
				b.WriteString("ecn ")
				val &^= 1
			}
			if val != 0 {
				fmt.Fprintf(b, "0x%x ", val)
			}
		case rtaxRTT, rtaxRTTVar, rtaxRTOMin:
			if i == rtaxRTT {
				val /= 8
			} else if i == rtaxRTTVar {
				val /= 4
			}
			if val >= 1000 {
				fmt.Fprintf(b, "%ss ", strconv.FormatFloat(float64(val)/1e3, 'g', 6, 64))
			} else {
				fmt.Fprintf(b, "%dms ", val)
			}
		case rtaxCCAlgo:
			b.WriteString(cString(raw))
			b.WriteByte(' ')
		default:
			fmt.Fprintf(b, "%d ", val)
		}
	}
}

// writeMultipath prints RTA_MULTIPATH (struct rtnexthop entries) as
// print_rta_multipath does: one "\n\tnexthop via X dev Y weight N " per path.
func (v *view) writeMultipath(b *bytes.Buffer, r *rtMsg, buf []byte) {
	for len(buf) >= 8 {
		l := int(binary.NativeEndian.Uint16(buf[0:2]))
		flags := buf[2]
		hops := buf[3]
		ifindex := binary.NativeEndian.Uint32(buf[4:8])
		if l < 8 || l > len(buf) {
			break
		}
		b.WriteString("\n\tnexthop ")
		if l > 8 {
			nh := attrTable(buf[8:l])
			if gw, ok := nh[rtaGateway]; ok {
				fmt.Fprintf(b, "via %s ", fmtAddr(gw))
			}
			if via, ok := nh[rtaVia]; ok {
				b.WriteString(fmtVia(via))
			}
			if f, ok := nh.u32(rtaFlow); ok {
				v.writeFlow(b, f)
			}
		}
		fmt.Fprintf(b, "dev %s ", v.ifname(ifindex))
		if r.family != afMPLS {
			fmt.Fprintf(b, "weight %d ", int(hops)+1)
		}
		writeRtFlags(b, uint32(flags))
		l = (l + 3) &^ 3
		if l > len(buf) {
			break
		}
		buf = buf[l:]
	}
}

// renderRoutes renders the messages of a route dump for mode.
func (v *view) renderRoutes(msgs [][]byte, mode routeMode) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		r, ok := parseRtMsg(m)
		if !ok || !keepRoute(&r, mode) {
			continue
		}
		v.renderRoute(&b, &r, mode)
	}
	return b.Bytes()
}
