package nativenet

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/bridgefdb"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iplink"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipneigh"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iproute"
	"github.com/vishvananda/netlink"
)

const (
	flagsUpRunning = 0x1 | 0x2 | 0x40 | 0x1000 | 0x10000 // UP BROADCAST RUNNING MULTICAST LOWER_UP
)

func noWarnings(t *testing.T, what string, ds []diag.Diagnostic) {
	t.Helper()
	for _, d := range ds {
		if d.Severity >= diag.Warning {
			t.Errorf("%s: parser diagnostic %s", what, d)
		}
	}
}

// nexthop builds one struct rtnexthop with a gateway.
func nexthop(flags, hops uint8, ifindex uint32, gw string) []byte {
	a := attr(rtaGateway, ip(gw))
	h := make([]byte, 8)
	copy(h[0:], u16(uint16(8+len(a))))
	h[2], h[3] = flags, hops
	copy(h[4:], u32(ifindex))
	return append(h, a...)
}

func TestRenderRoute(t *testing.T) {
	ci := func(expires int32) []byte { // struct rta_cacheinfo
		b := make([]byte, 32)
		copy(b[8:], u32(uint32(expires)))
		return attr(rtaCacheInfo, b)
	}
	tests := []struct {
		name string
		msg  []byte
		mode routeMode
		want string
	}{
		{"a default route via an onlink gateway prints onlink last", rtmsg(afInet, 0, 254, 3, 0, 1, 0x4,
			attr(rtaGateway, ip("10.41.1.1")), attr(rtaOIF, u32(2))), modeMain,
			"default via 10.41.1.1 dev eth0 onlink \n"},
		{"a Calico blackhole has no device and proto bird", rtmsg(afInet, 26, 254, 12, 0, 6, 0,
			attr(rtaDst, ip("10.40.33.0"))), modeMain,
			"blackhole 10.40.33.0/26 proto bird \n"},
		{"a cali host route shows scope link and linkdown", rtmsg(afInet, 32, 254, 3, 253, 1, 0x10,
			attr(rtaDst, ip("10.40.33.5")), attr(rtaOIF, u32(5))), modeMain,
			"10.40.33.5 dev cali12345abcdef scope link linkdown \n"},
		{"a felix VXLAN route prints the protocol number", rtmsg(afInet, 26, 254, 80, 0, 1, 0x4,
			attr(rtaDst, ip("10.40.52.128")), attr(rtaGateway, ip("10.40.52.128")), attr(rtaOIF, u32(3))), modeMain,
			"10.40.52.128/26 via 10.40.52.128 dev vxlan.calico proto 80 onlink \n"},
		{"a bird IPIP route goes via tunl0", rtmsg(afInet, 26, 254, 12, 0, 1, 0x4,
			attr(rtaDst, ip("10.40.52.128")), attr(rtaGateway, ip("10.41.1.21")), attr(rtaOIF, u32(4))), modeMain,
			"10.40.52.128/26 via 10.41.1.21 dev tunl0 proto bird onlink \n"},
		{"a connected route has proto kernel, scope link and src", rtmsg(afInet, 24, 254, 2, 253, 1, 0,
			attr(rtaDst, ip("10.41.1.0")), attr(rtaOIF, u32(2)), attr(rtaPrefSrc, ip("10.41.1.20"))), modeMain,
			"10.41.1.0/24 dev eth0 proto kernel scope link src 10.41.1.20 \n"},
		{"multipath nexthops follow on tab-indented lines", rtmsg(afInet, 24, 254, 4, 0, 1, 0,
			attr(rtaDst, ip("192.0.2.0")), attr(rtaPriority, u32(100)),
			attr(rtaMultipath, cat(nexthop(0, 0, 2, "10.41.1.21"), nexthop(0x11, 1, 2, "10.41.1.22")))), modeMain,
			"192.0.2.0/24 proto static metric 100 \n\tnexthop via 10.41.1.21 dev eth0 weight 1 \n" +
				"\tnexthop via 10.41.1.22 dev eth0 weight 2 dead linkdown \n"},
		{"locked metrics print lock before the value", rtmsg(afInet, 16, 254, 3, 0, 1, 0,
			attr(rtaDst, ip("10.50.0.0")), attr(rtaGateway, ip("10.41.1.21")), attr(rtaOIF, u32(2)),
			attr(rtaPriority, u32(5)),
			nest(rtaMetrics, attr(rtaxLock, u32(1<<rtaxMTU)), attr(rtaxMTU, u32(1400)), attr(8, u32(1360)))), modeMain,
			"10.50.0.0/16 via 10.41.1.21 dev eth0 metric 5 mtu lock 1400 advmss 1360 \n"},
		{"realms and rtt use their own formats", rtmsg(afInet, 16, 100, 3, 0, 1, 0,
			attr(rtaDst, ip("10.51.0.0")), attr(rtaGateway, ip("10.41.1.21")), attr(rtaOIF, u32(2)),
			attr(rtaFlow, u32(7)), nest(rtaMetrics, attr(rtaxRTT, u32(2400)), attr(11, u32(10)))), modeAll,
			"10.51.0.0/16 via 10.41.1.21 dev eth0 table 100 realm 7 rtt 300ms initcwnd 10 \n"},
		{"the main listing leaves out the local table", rtmsg(afInet, 32, 255, 2, 254, 2, 0,
			attr(rtaDst, ip("10.41.1.20")), attr(rtaOIF, u32(2))), modeMain, ""},
		{"the main listing leaves out IPv6", rtmsg(afInet6, 64, 254, 2, 0, 1, 0,
			attr(rtaDst, ip("fe80::")), attr(rtaOIF, u32(2))), modeMain, ""},
		{"table all names the local table", rtmsg(afInet, 32, 255, 2, 254, 2, 0,
			attr(rtaDst, ip("10.41.1.20")), attr(rtaOIF, u32(2)), attr(rtaTable, u32(255)),
			attr(rtaPrefSrc, ip("10.41.1.20"))), modeAll,
			"local 10.41.1.20 dev eth0 table local proto kernel scope host src 10.41.1.20 \n"},
		{"IPv6 routes end with pref and no blank", rtmsg(afInet6, 64, 254, 2, 0, 1, 0,
			attr(rtaDst, ip("fe80::")), attr(rtaOIF, u32(2)), attr(rtaPriority, u32(256)),
			ci(0), attr(rtaPref, u8(0))), modeAll,
			"fe80::/64 dev eth0 proto kernel metric 256 pref medium\n"},
		{"IPv6 router-advertised routes show their expiry", rtmsg(afInet6, 0, 254, 9, 0, 1, 0,
			attr(rtaGateway, ip("fe80::1")), attr(rtaOIF, u32(2)), attr(rtaPriority, u32(1024)),
			ci(179500), attr(rtaPref, u8(1))), modeAll,
			"default via fe80::1 dev eth0 proto ra metric 1024 expires 1795sec pref high\n"},
		{"a route-get answer has uid and a cache line", rtmsg(afInet, 32, 254, 0, 0, 1, rtmFCloned,
			attr(rtaDst, ip("10.40.52.130")), attr(rtaGateway, ip("10.40.52.128")), attr(rtaOIF, u32(3)),
			attr(rtaPrefSrc, ip("10.40.33.0")), attr(rtaUID, u32(0)), ci(0)), modeGet,
			"10.40.52.130 via 10.40.52.128 dev vxlan.calico src 10.40.33.0 uid 0 \n    cache \n"},
		{"a local route-get answer has cache flags", rtmsg(afInet, 32, 255, 0, 0, 2, rtmFCloned|0x80000000,
			attr(rtaDst, ip("10.40.33.0")), attr(rtaOIF, u32(1)), attr(rtaTable, u32(255)),
			attr(rtaPrefSrc, ip("10.40.33.0")), attr(rtaUID, u32(0))), modeGet,
			"local 10.40.33.0 dev lo table local src 10.40.33.0 uid 0 \n    cache <local> \n"},
		{"a broadcast answer lists two cache flags", rtmsg(afInet, 32, 254, 0, 0, 3, rtmFCloned|0x90000000,
			attr(rtaDst, ip("10.41.1.255")), attr(rtaOIF, u32(2)),
			attr(rtaPrefSrc, ip("10.41.1.20")), attr(rtaUID, u32(0))), modeGet,
			"broadcast 10.41.1.255 dev eth0 src 10.41.1.20 uid 0 \n    cache <local,brd> \n"},
		{"a learned path MTU shows on the cache line", rtmsg(afInet, 32, 254, 0, 0, 1, rtmFCloned,
			attr(rtaDst, ip("10.96.0.10")), attr(rtaGateway, ip("10.0.0.1")), attr(rtaOIF, u32(2)),
			attr(rtaPrefSrc, ip("10.0.0.5")), attr(rtaUID, u32(0)), ci(59800),
			nest(rtaMetrics, attr(rtaxMTU, u32(1450)))), modeGet,
			"10.96.0.10 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0 \n    cache expires 598sec mtu 1450 \n"},
		{"an unknown interface index prints as ifN", rtmsg(afInet, 32, 254, 3, 253, 1, 0,
			attr(rtaDst, ip("10.9.9.9")), attr(rtaOIF, u32(77))), modeMain,
			"10.9.9.9 dev if77 scope link \n"},
	}
	v := testView()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(v.renderRoutes([][]byte{tt.msg}, tt.mode))
			if got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
			if got == "" {
				return
			}
			if tt.mode == modeGet {
				res, ds := iproute.ParseRouteGet([]byte(got))
				noWarnings(t, "route get", ds)
				if len(res.Gets) != 1 || res.Gets[0].Route == nil || !res.Gets[0].Route.Has("cache") {
					t.Errorf("route get parse: %+v", res.Gets)
				}
				return
			}
			res, ds := iproute.Parse([]byte(got))
			noWarnings(t, "route", ds)
			if len(res.Routes) != 1 {
				t.Fatalf("parsed %d routes", len(res.Routes))
			}
		})
	}
}

func TestRenderedCalicoRoutesParseToTheirFields(t *testing.T) {
	v := testView()
	out := v.renderRoutes([][]byte{
		rtmsg(afInet, 26, 254, 80, 0, 1, 0x4, attr(rtaDst, ip("10.40.52.128")),
			attr(rtaGateway, ip("10.40.52.128")), attr(rtaOIF, u32(3))),
		rtmsg(afInet, 26, 254, 12, 0, 6, 0, attr(rtaDst, ip("10.40.33.0"))),
	}, modeMain)
	res, ds := iproute.Parse(out)
	noWarnings(t, "routes", ds)
	if len(res.Routes) != 2 {
		t.Fatalf("routes = %+v", res.Routes)
	}
	r := res.Routes[0]
	if r.Dst != netip.MustParsePrefix("10.40.52.128/26") || r.Via != netip.MustParseAddr("10.40.52.128") ||
		r.Dev != "vxlan.calico" || r.Proto != "80" || !r.Has("onlink") {
		t.Errorf("vxlan route = %+v", r)
	}
	if b := res.Routes[1]; b.Type != "blackhole" || b.Proto != "bird" || b.Dev != "" {
		t.Errorf("blackhole route = %+v", b)
	}
}

func TestRenderRule(t *testing.T) {
	rule := func(prio uint32, srcLen, dstLen, tos, table, action uint8, flags uint32, attrs ...[]byte) []byte {
		h := []byte{afInet, dstLen, srcLen, tos, table, 0, 0, action}
		h = append(h, u32(flags)...)
		return append(append(h, attr(fraPriority, u32(prio))...), cat(attrs...)...)
	}
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"the local table rule", rule(0, 0, 0, 0, 255, 1, 0, attr(fraTable, u32(255))),
			"0:\tfrom all lookup local\n"},
		{"a masked fwmark prints both in hex", rule(100, 0, 0, 0, 100, 1, 0, attr(fraTable, u32(100)),
			attr(fraFwmark, u32(1)), attr(fraFwmask, u32(1))),
			"100:\tfrom all fwmark 0x1/0x1 lookup 100\n"},
		{"a full mask is not printed", rule(106, 0, 0, 0, 100, 1, 0, attr(fraTable, u32(100)),
			attr(fraFwmark, u32(0x4000)), attr(fraFwmask, u32(0xFFFFFFFF))),
			"106:\tfrom all fwmark 0x4000 lookup 100\n"},
		{"an inverted rule with prefixes and iif", rule(101, 8, 32, 0, 254, 1, fibRuleInvert,
			attr(fraSrc, ip("10.0.0.0")), attr(fraDst, ip("192.168.1.1")), attr(fraIIFName, str("eth0")),
			attr(fraTable, u32(254)), attr(fraSuppressPrefixlen, u32(0xFFFFFFFF))),
			"101:\tnot from 10.0.0.0/8 to 192.168.1.1 iif eth0 lookup main\n"},
		{"a blackhole rule on DNS traffic", rule(102, 0, 0, 0, 0, 6, 0, attr(fraIPProto, u8(17)),
			attr(fraDportRange, cat(u16(53), u16(53)))),
			"102:\tfrom all ipproto udp dport 53 blackhole\n"},
		{"uid and port ranges and suppress_prefixlength", rule(103, 0, 0, 0, 100, 1, 0,
			attr(fraOIFName, str("vxlan.calico")), attr(fraUIDRange, cat(u32(100), u32(200))),
			attr(fraSportRange, cat(u16(1000), u16(2000))), attr(fraTable, u32(100)),
			attr(fraSuppressPrefixlen, u32(0))),
			"103:\tfrom all oif vxlan.calico uidrange 100-200 sport 1000-2000 lookup 100 suppress_prefixlength 0\n"},
		{"a goto rule with tos", rule(104, 0, 0, 0x10, 0, 2, 0, attr(fraGoto, u32(32766))),
			"104:\tfrom all tos 0x10 goto 32766\n"},
		{"realms and a non-kernel protocol", rule(105, 16, 0, 0, 100, 1, 0, attr(fraSrc, ip("10.1.0.0")),
			attr(fraTable, u32(100)), attr(fraFlow, u32(3<<16|4)), attr(fraProtocol, u8(12))),
			"105:\tfrom 10.1.0.0/16 lookup 100 realms 3/4 proto bird\n"},
		{"the kernel protocol is not printed", rule(32766, 0, 0, 0, 254, 1, 0, attr(fraTable, u32(254)),
			attr(fraProtocol, u8(2))),
			"32766:\tfrom all lookup main\n"},
	}
	v := testView()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(v.renderRules([][]byte{tt.msg}, afInet))
			if got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
			res, ds := iproute.ParseRules([]byte(got))
			noWarnings(t, "rule", ds)
			if len(res.Rules) != 1 {
				t.Fatalf("parsed %d rules", len(res.Rules))
			}
		})
	}
}

func ndmsg(family uint8, ifindex int32, state uint16, flags uint8, attrs ...[]byte) []byte {
	h := make([]byte, 12)
	h[0] = family
	copy(h[4:], u32(uint32(ifindex)))
	copy(h[8:], u16(state))
	h[10] = flags
	return append(h, cat(attrs...)...)
}

func TestRenderNeigh(t *testing.T) {
	msgs := [][]byte{
		ndmsg(afInet, 2, nudStale, ntfRouter, attr(ndaDst, ip("10.41.1.50")), attr(ndaLLAddr, mac("52:54:00:00:00:50"))),
		ndmsg(afInet, 3, nudPermanent, 0, attr(ndaDst, ip("10.40.52.128")), attr(ndaLLAddr, mac("66:ab:cd:ef:01:02"))),
		ndmsg(afInet, 2, 0x01, 0, attr(ndaDst, ip("10.0.0.99"))),
		ndmsg(afInet, 2, nudNoarp, 0, attr(ndaDst, ip("10.41.1.51")), attr(ndaLLAddr, mac("52:54:00:00:00:51"))),
		ndmsg(afInet6, 2, nudPermanent, ntfRouter, attr(ndaDst, ip("2001:db8::99")), attr(ndaLLAddr, mac("52:54:00:00:00:99"))),
		ndmsg(afInet, 4, 0x02, 0, attr(ndaDst, ip("10.41.1.21")), attr(ndaLLAddr, ip("10.41.1.21"))),
	}
	want := "10.41.1.50 dev eth0 lladdr 52:54:00:00:00:50 router STALE \n" +
		"10.40.52.128 dev vxlan.calico lladdr 66:ab:cd:ef:01:02 PERMANENT \n" +
		"10.0.0.99 dev eth0 INCOMPLETE \n" +
		"2001:db8::99 dev eth0 lladdr 52:54:00:00:00:99 router PERMANENT \n" +
		"10.41.1.21 dev tunl0 lladdr 10.41.1.21 REACHABLE \n"
	got := string(testView().renderNeighs(msgs))
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	res, ds := ipneigh.Parse([]byte(got))
	noWarnings(t, "neigh", ds)
	if n := res.Lookup(netip.MustParseAddr("10.40.52.128"), "vxlan.calico"); n == nil || !n.HasState("PERMANENT") || n.LLAddr != "66:ab:cd:ef:01:02" {
		t.Errorf("VTEP neighbour = %+v", n)
	}
	if n := res.Lookup(netip.MustParseAddr("10.41.1.50"), ""); n == nil || !n.Router {
		t.Errorf("router neighbour = %+v", n)
	}
}

func TestRenderFDB(t *testing.T) {
	v := testView()
	v.ifnames[7], v.ifnames[8] = "vport", "br0"
	v.iftypes[7], v.iftypes[8] = 1, 1
	msgs := [][]byte{
		ndmsg(afBridge, 3, nudPermanent, ntfSelf, attr(ndaLLAddr, mac("66:ab:cd:ef:01:02")), attr(ndaDst, ip("10.41.1.21"))),
		ndmsg(afBridge, 3, nudPermanent, ntfSelf, attr(ndaLLAddr, mac("66:ab:cd:ef:01:03")), attr(ndaDst, ip("10.41.1.22")),
			attr(ndaPort, be16(8472)), attr(ndaVNI, u32(77)), attr(ndaIfindex, u32(2))),
		ndmsg(afBridge, 7, nudPermanent, 0, attr(ndaLLAddr, mac("56:c6:44:b3:b3:b1")), attr(ndaMaster, u32(8))),
		ndmsg(afBridge, 7, nudReachable, 0, attr(ndaLLAddr, mac("52:54:00:00:00:11")), attr(ndaVLAN, u16(5)), attr(ndaMaster, u32(8))),
		ndmsg(afBridge, 2, nudPermanent, ntfSelf, attr(ndaLLAddr, mac("33:33:00:00:00:01"))),
		ndmsg(afInet, 2, nudPermanent, 0, attr(ndaDst, ip("10.9.9.9"))),
	}
	want := "66:ab:cd:ef:01:02 dev vxlan.calico dst 10.41.1.21 self permanent\n" +
		"66:ab:cd:ef:01:03 dev vxlan.calico dst 10.41.1.22 port 8472 vni 77 via eth0 self permanent\n" +
		"56:c6:44:b3:b3:b1 dev vport master br0 permanent\n" +
		"52:54:00:00:00:11 dev vport vlan 5 master br0 \n" +
		"33:33:00:00:00:01 dev eth0 self permanent\n"
	got := string(v.renderFDBs(msgs))
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	res, ds := bridgefdb.Parse([]byte(got))
	noWarnings(t, "fdb", ds)
	if vt := res.VTEPs("vxlan.calico"); vt["66:ab:cd:ef:01:02"] != netip.MustParseAddr("10.41.1.21") {
		t.Errorf("VTEPs = %v", vt)
	}
}

// calicoVxlanLink is vxlan.calico as kernel 6.x reports it.
func calicoVxlanLink() []byte {
	return ifinfo(1, 3, flagsUpRunning,
		attr(iflaIfname, str("vxlan.calico")), attr(iflaTxqlen, u32(1000)), attr(iflaOperstate, u8(0)),
		attr(iflaLinkmode, u8(0)), attr(iflaMTU, u32(1450)), attr(iflaMinMTU, u32(68)), attr(iflaMaxMTU, u32(65535)),
		attr(iflaGroup, u32(0)), attr(iflaPromiscuity, u32(0)), attr(iflaAllmulti, u32(0)),
		attr(iflaNumTxQueues, u32(1)), attr(iflaGSOMaxSegs, u32(65535)), attr(iflaGSOMaxSize, u32(65536)),
		attr(iflaGROMaxSize, u32(65536)), attr(iflaTSOMaxSize, u32(524280)), attr(iflaTSOMaxSegs, u32(65535)),
		attr(iflaNumRxQueues, u32(1)), attr(iflaQdisc, str("noqueue")),
		attr(iflaAddress, mac("66:ab:cd:ef:01:01")), attr(iflaBroadcast, mac("ff:ff:ff:ff:ff:ff")),
		nest(iflaLinkinfo, attr(iflaInfoKind, str("vxlan")), nest(iflaInfoData,
			attr(vxlanID, u32(4096)), attr(vxlanLink, u32(2)), attr(vxlanLocal, ip("10.41.1.20")),
			attr(vxlanTTL, u8(0)), attr(vxlanTTLInherit, u8(0)), attr(vxlanTOS, u8(0)), attr(vxlanDF, u8(0)),
			attr(vxlanLabel, u32(0)), attr(vxlanLearning, u8(0)), attr(vxlanProxy, u8(0)), attr(vxlanRSC, u8(0)),
			attr(vxlanL2Miss, u8(0)), attr(vxlanL3Miss, u8(0)), attr(vxlanCollectMeta, u8(0)),
			attr(vxlanAgeing, u32(300)), attr(vxlanLimit, u32(0)), attr(vxlanPortRange, cat(be16(0), be16(0))),
			attr(vxlanPort, be16(4789)), attr(vxlanUDPCsum, u8(1)), attr(vxlanZeroCsum6Tx, u8(0)),
			attr(vxlanZeroCsum6Rx, u8(0)), attr(vxlanRemCsumTx, u8(0)), attr(vxlanRemCsumRx, u8(0)),
			attr(vxlanVNIFilter, u8(0)))),
		nest(iflaAFSpec, nest(afInet6, attr(iflaInet6AddrGenMod, u8(0)))),
	)
}

const vxlanLinkText = "3: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
	"    link/ether 66:ab:cd:ef:01:01 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n" +
	"    vxlan id 4096 local 10.41.1.20 dev eth0 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n"

func TestRenderVxlanLink(t *testing.T) {
	l := mustIfInfo(t, calicoVxlanLink())
	var b bytes.Buffer
	testView().renderLink(&b, &l, true)
	if b.String() != vxlanLinkText {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), vxlanLinkText)
	}
	res, ds := iplink.Parse(b.Bytes())
	noWarnings(t, "link", ds)
	vx := res.ByName("vxlan.calico")
	if vx == nil || vx.VXLAN == nil {
		t.Fatalf("no vxlan link in %+v", res)
	}
	if vx.VXLAN.ID != 4096 || vx.VXLAN.Local != netip.MustParseAddr("10.41.1.20") || vx.VXLAN.Dev != "eth0" ||
		vx.VXLAN.DstPort != 4789 || vx.VXLAN.Learning || !vx.VXLAN.UDPCsum || vx.VXLAN.TTL != "auto" || vx.VXLAN.Ageing != 300 {
		t.Errorf("vxlan = %+v", vx.VXLAN)
	}
	if vx.MTU != 1450 || vx.State != "UNKNOWN" || !vx.Up() || vx.Qdisc != "noqueue" || vx.MAC != "66:ab:cd:ef:01:01" {
		t.Errorf("link = %+v", vx)
	}
}

func TestRenderIPIPLinkFromNetlinkIptun(t *testing.T) {
	header := ifinfo(arphrdTunnel, 4, 0x80|0x1|0x40|0x10000, // NOARP UP RUNNING LOWER_UP
		attr(iflaIfname, str("tunl0")), attr(iflaTxqlen, u32(1000)), attr(iflaOperstate, u8(0)),
		attr(iflaLinkmode, u8(0)), attr(iflaMTU, u32(1480)), attr(iflaMinMTU, u32(0)), attr(iflaMaxMTU, u32(0)),
		attr(iflaGroup, u32(0)), attr(iflaPromiscuity, u32(0)), attr(iflaAllmulti, u32(0)),
		attr(iflaNumTxQueues, u32(1)), attr(iflaNumRxQueues, u32(1)), attr(iflaGSOMaxSize, u32(65536)),
		attr(iflaGSOMaxSegs, u32(65535)), attr(iflaLink, u32(0)), attr(iflaQdisc, str("noqueue")),
		attr(iflaAddress, ip("0.0.0.0")), attr(iflaBroadcast, ip("0.0.0.0")),
		nest(iflaLinkinfo, attr(iflaInfoKind, str("ipip"))),
		nest(iflaAFSpec, nest(afInet6, attr(iflaInet6AddrGenMod, u8(0)))),
	)
	tests := []struct {
		name  string
		tun   *netlink.Iptun
		kind  string
		check func(t *testing.T, l *iplink.Link)
	}{
		{"Calico's tunl0 has any endpoints, inherited TTL and no PMTU discovery",
			&netlink.Iptun{Proto: 0, PMtuDisc: 0},
			"    ipip any remote any local any ttl inherit nopmtudisc ",
			func(t *testing.T, l *iplink.Link) {
				if l.IPIP == nil || l.IPIP.Proto != "any" || l.IPIP.Remote.IsValid() || l.IPIP.Local.IsValid() ||
					l.IPIP.TTL != "inherit" || l.IPIP.PMTUDisc {
					t.Errorf("ipip = %+v", l.IPIP)
				}
			}},
		{"a point-to-point tunnel shows endpoints, device, TTL, tos and FOU encapsulation",
			&netlink.Iptun{Proto: ipprotoIPIP, Remote: net.ParseIP("10.41.1.21"), Local: net.ParseIP("10.41.1.20"),
				Link: 2, Ttl: 64, Tos: 1, PMtuDisc: 1, EncapType: tunnelEncapFOU, EncapDport: 5555, EncapFlags: tunnelEncapCsum},
			"    ipip ipip remote 10.41.1.21 local 10.41.1.20 dev eth0 ttl 64 tos inherit pmtudisc encap fou encap-sport auto encap-dport 5555 encap-csum noencap-csum6 noencap-remcsum ",
			func(t *testing.T, l *iplink.Link) {
				if l.IPIP == nil || l.IPIP.Remote != netip.MustParseAddr("10.41.1.21") || l.IPIP.Dev != "eth0" ||
					l.IPIP.TTL != "64" || !l.IPIP.PMTUDisc {
					t.Errorf("ipip = %+v", l.IPIP)
				}
			}},
		{"a collect-metadata tunnel says external",
			&netlink.Iptun{FlowBased: true},
			"    ipip external any remote any local any ttl inherit nopmtudisc ",
			func(t *testing.T, l *iplink.Link) {
				if l.IPIP == nil || !l.IPIP.External {
					t.Errorf("ipip = %+v", l.IPIP)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustIfInfo(t, header)
			l.typed = tt.tun
			var b bytes.Buffer
			testView().renderLink(&b, &l, true)
			want := "4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
				"    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n" +
				tt.kind + "addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 \n"
			if b.String() != want {
				t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
			}
			res, ds := iplink.Parse(b.Bytes())
			noWarnings(t, "ipip link", ds)
			l2 := res.ByName("tunl0")
			if l2 == nil || l2.Parent != "NONE" || !l2.IsIPIP() || l2.LinkType != "ipip" {
				t.Fatalf("tunl0 = %+v", l2)
			}
			tt.check(t, l2)
		})
	}
}

func TestLinkHeaderFlagsAndPeers(t *testing.T) {
	tests := []struct {
		name    string
		flags   uint32
		details bool
		attrs   [][]byte
		want    string
	}{
		{"an up device without carrier says NO-CARRIER first", 0x1 | 0x2 | 0x1000, false, [][]byte{
			attr(iflaIfname, str("cali12345abcdef")), attr(iflaLink, u32(2)), attr(iflaLinkNetnsid, u32(1)),
			attr(iflaOperstate, u8(2))},
			"9: cali12345abcdef@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> state DOWN \n    link/ether  link-netnsid 1\n"},
		{"a peer in this namespace that is down adds M-DOWN", 0x2 | 0x1000, false, [][]byte{
			attr(iflaIfname, str("vport-p")), attr(iflaLink, u32(8))},
			"9: vport-p@if8: <BROADCAST,MULTICAST,M-DOWN> \n    link/ether \n"},
		{"a dummy device has a kind line without options", 0x2 | 0x80, true, [][]byte{
			attr(iflaIfname, str("kube-ipvs0")), attr(iflaPromiscuity, u32(0)),
			nest(iflaLinkinfo, attr(iflaInfoKind, str("dummy"))), attr(iflaNumTxQueues, u32(1))},
			"9: kube-ipvs0: <BROADCAST,NOARP> \n    link/ether  promiscuity 0 \n    dummy numtxqueues 1 \n"},
		{"an enslaved device names its master and altnames follow", 0x2 | 0x1000, false, [][]byte{
			attr(iflaIfname, str("ens3")), attr(iflaMaster, u32(2)),
			nest(iflaPropList, attr(iflaAltIfname, str("enp0s3")))},
			"9: ens3: <BROADCAST,MULTICAST> master eth0 \n    link/ether \n    altname enp0s3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustIfInfo(t, ifinfo(1, 9, tt.flags, tt.attrs...))
			v := testView()
			v.nsids[7] = "pod-ns"
			v.ifflags[8] = 0 // unknown index 8 prints as if8 and counts as down
			var b bytes.Buffer
			v.renderLink(&b, &l, tt.details)
			if b.String() != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestRenderAddrs(t *testing.T) {
	ifaddr := func(family, plen, flags, scope uint8, index int32, attrs ...[]byte) []byte {
		h := []byte{family, plen, flags, scope}
		h = append(h, u32(uint32(index))...)
		return append(h, cat(attrs...)...)
	}
	forever := attr(ifaCacheinfo, cat(u32(infinityLife), u32(infinityLife), u32(0), u32(0)))
	link := ifinfo(1, 2, flagsUpRunning, attr(iflaIfname, str("eth0")), attr(iflaMTU, u32(1500)),
		attr(iflaQdisc, str("noqueue")), attr(iflaOperstate, u8(6)), attr(iflaLinkmode, u8(0)),
		attr(iflaGroup, u32(0)), attr(iflaTxqlen, u32(1000)), attr(iflaLink, u32(3)), attr(iflaLinkNetnsid, u32(0)),
		attr(iflaAddress, mac("52:54:00:00:00:11")), attr(iflaBroadcast, mac("ff:ff:ff:ff:ff:ff")),
		nest(iflaPropList, attr(iflaAltIfname, str("uplink0"))))
	addrs := [][]byte{
		ifaddr(afInet, 24, 0x80, 0, 2, attr(ifaAddress, ip("10.41.1.20")), attr(ifaLocal, ip("10.41.1.20")),
			attr(ifaBroadcast, ip("10.41.1.255")), attr(ifaLabel, str("eth0")), attr(ifaFlags, u32(0x80)), forever),
		ifaddr(afInet, 32, 0x80, 0, 2, attr(ifaAddress, ip("10.99.0.2")), attr(ifaLocal, ip("10.99.0.1")),
			attr(ifaLabel, str("eth0")), attr(ifaFlags, u32(0x80)), forever),
		ifaddr(afInet, 24, 0x81, 0, 2, attr(ifaAddress, ip("10.41.1.30")), attr(ifaLocal, ip("10.41.1.30")),
			attr(ifaLabel, str("eth0:1")), attr(ifaFlags, u32(0x81)), forever),
		ifaddr(afInet6, 64, 0x40, 0, 2, attr(ifaAddress, ip("2001:db8:1::5")),
			attr(ifaCacheinfo, cat(u32(1800), u32(3600), u32(0), u32(0))), attr(ifaFlags, u32(0x240))),
		ifaddr(afInet6, 64, 0x80, 253, 2, attr(ifaAddress, ip("fe80::5054:ff:fe00:11")), attr(ifaFlags, u32(0x80)), forever),
	}
	v := testView()
	v.nsids[0] = "pndn-peer"
	l := mustIfInfo(t, link)
	got := string(v.renderAddrs([]ifInfo{l}, addrs))
	want := "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n" +
		"    link/ether 52:54:00:00:00:11 brd ff:ff:ff:ff:ff:ff link-netns pndn-peer\n" +
		"    altname uplink0\n" +
		"    inet 10.41.1.20/24 brd 10.41.1.255 scope global eth0\n" +
		"       valid_lft forever preferred_lft forever\n" +
		"    inet 10.99.0.1 peer 10.99.0.2/32 scope global eth0\n" +
		"       valid_lft forever preferred_lft forever\n" +
		"    inet 10.41.1.30/24 scope global secondary eth0:1\n" +
		"       valid_lft forever preferred_lft forever\n" +
		"    inet6 2001:db8:1::5/64 scope global tentative dynamic noprefixroute \n" +
		"       valid_lft 3600sec preferred_lft 1800sec\n" +
		"    inet6 fe80::5054:ff:fe00:11/64 scope link \n" +
		"       valid_lft forever preferred_lft forever\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	res, ds := iplink.Parse([]byte(got))
	noWarnings(t, "addr", ds)
	eth := res.ByName("eth0")
	if eth == nil || len(eth.Addrs) != 5 || eth.Addrs[0].Prefix != netip.MustParsePrefix("10.41.1.20/24") ||
		eth.Addrs[2].Label != "eth0:1" || eth.LinkNetns != "pndn-peer" || eth.Parent != "if3" {
		t.Errorf("eth0 = %+v", eth)
	}
}

func TestNamesComeFromIproute2Files(t *testing.T) {
	etc := filepath.Join(t.TempDir(), "etc")
	must := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(filepath.Join(etc, "iproute2", "rt_protos"), "# comment\n80\tfelix\n0x10 dhcp\n")
	must(filepath.Join(etc, "iproute2", "rt_tables.d", "calico.conf"), "200 calico\n")
	must(filepath.Join(etc, "protocols"), "udp\t17\tUDP\nweird 200 W\n")
	n := loadNames(etc)
	for _, c := range []struct{ got, want string }{
		{n.proto(80), "felix"}, {n.proto(12), "bird"}, {n.proto(16), "dhcp"}, {n.proto(81), "81"},
		{n.table(200), "calico"}, {n.table(254), "main"}, {n.table(1000), "1000"},
		{n.ipproto(200), "weird"}, {n.scope(253), "link"}, {n.scope(7), "7"}, {n.dsfield(0x10), "0x10"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestAddressesPrintAsInetNtop(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"10.0.0.1", "10.0.0.1"}, {"2001:db8::1", "2001:db8::1"}, {"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
		{"::a00:1", "::10.0.0.1"}, {"::1", "::1"}, {"::", "::"},
	} {
		if got := fmtAddr(ip(c.in)); got != c.want {
			t.Errorf("fmtAddr(%s) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := fmtAddr([]byte{1, 2, 3}); got != "???" {
		t.Errorf("3-byte address printed as %q", got)
	}
	if got := llAddr(mac("00:0a:ff:10:20:30"), 1); got != "00:0a:ff:10:20:30" {
		t.Errorf("llAddr = %s", got)
	}
}

func TestMalformedAttributesDoNotPanic(t *testing.T) {
	bad := [][]byte{nil, {1}, {0xff, 0xff, 1, 0}, {3, 0, 1, 0, 9, 9}, append(rtmsg(afInet, 24, 254, 2, 0, 1, 0), 200, 0, 1, 0)}
	v := testView()
	for _, b := range bad {
		v.renderRoutes([][]byte{b}, modeAll)
		v.renderRules([][]byte{b}, afInet)
		v.renderNeighs([][]byte{b})
		v.renderFDBs([][]byte{b})
		if l, ok := parseIfInfo(b); ok {
			var out bytes.Buffer
			v.renderLink(&out, &l, true)
		}
	}
	// Truncated fixed-size attributes read as absent rather than panicking.
	r := rtmsg(afInet, 32, 254, 3, 0, 1, 0, attr(rtaDst, []byte{10, 0}), attr(rtaOIF, []byte{2}),
		attr(rtaCacheInfo, []byte{1, 2}), attr(rtaMultipath, []byte{40, 0, 0, 0, 2, 0, 0, 0}))
	if out := string(v.renderRoutes([][]byte{r}, modeAll)); !strings.HasPrefix(out, "??? ") {
		t.Errorf("truncated route rendered as %q", out)
	}
}

func TestKindOptionRenderers(t *testing.T) {
	var vlanProto [2]byte
	copy(vlanProto[:], be16(0x8100))
	tests := []struct {
		name  string
		write func(b *bytes.Buffer)
		want  string
	}{
		{"a VLAN shows protocol, id and flags", func(b *bytes.Buffer) {
			writeVlan(b, attrTable(cat(attr(5, vlanProto[:]), attr(1, u16(100)), attr(2, cat(u32(1), u32(0xffffffff))))))
		}, "protocol 802.1Q id 100 <REORDER_HDR> "},
		{"a VLAN with QoS maps prints them on their own lines", func(b *bytes.Buffer) {
			writeVlan(b, attrTable(cat(attr(1, u16(7)), nest(3, attr(1, cat(u32(0), u32(3)))))))
		}, "protocol 802.1q id 7 \n      egress-qos-map { 0:3 } "},
		{"a macvlan in bridge mode", func(b *bytes.Buffer) {
			writeMacvlan(b, attrTable(cat(attr(1, u32(4)), attr(2, u16(1)), attr(7, u32(1000)))))
		}, "mode bridge nopromisc bcqueuelen 1000 "},
		{"a persistent tap device", func(b *bytes.Buffer) {
			writeTun(b, attrTable(cat(attr(3, u8(2)), attr(4, u8(0)), attr(5, u8(0)), attr(6, u8(1)), attr(7, u8(0)), attr(1, u32(0)))))
		}, "type tap pi off vnet_hdr off persist on user 0 "},
		{"bridge ids and timers", func(b *bytes.Buffer) {
			writeBridge(b, attrTable(cat(attr(11, cat([]byte{0x80, 0}, mac("56:c6:44:b3:b3:b1"))), attr(16, u64(12345)),
				attr(9, u16(0)), nest(46, cat(u32(2), u32(7))))))
		}, "bridge_id 8000.56:c6:44:b3:b3:b1 hello_timer  123.45 group_fwd_mask 0 no_linklocal_learn 0 mcast_vlan_snooping 1 "},
		{"a bridge port with a forward mask", func(b *bytes.Buffer) {
			testView().writeBridgeSlave(b, attrTable(cat(attr(1, u8(3)), attr(17, u16(0x8001)), attr(31, u16(0x4005)), attr(34, u32(2)))))
		}, "state forwarding port_id 0x8001 group_fwd_mask 0x4005 group_fwd_mask_str stp,802_3ad,lldp backup_port eth0 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.write(&b)
			if b.String() != tt.want {
				t.Errorf("got  %q\nwant %q", b.String(), tt.want)
			}
		})
	}
}
