package capture

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// Summarize reads a pcap or pcapng capture from r, streaming, and summarises its
// tunnels, DNS transactions and ICMP errors. Diagnostics carry the packet number
// in Line. Input that is not a capture gives an Error and an empty Summary; a
// capture cut short or corrupt part-way gives a Warning and the summary of the
// packets read before. Summarize never panics and never returns a nil Summary.
func Summarize(r io.Reader, opts Options) (*Summary, []diag.Diagnostic) {
	s := &Summary{Tunnels: []TunnelFlow{}, DNS: []DNSServer{}, DNSUnanswered: []Transaction{}, ICMP: []ICMPError{}}
	var ds diag.List
	src, format, lt, err := openSafe(r)
	if err != nil {
		ds.Addf(diag.Error, 0, "%v", err)
		return s, ds
	}
	s.Format = format
	st := newState(opts.withDefaults(), s)
	ng, _ := src.(*ngReader)
	if ng == nil {
		s.LinkType = linkTypeName(lt)
	}
	num, overCapFirst := 0, 0
	for {
		data, rec, plt, err := src.next()
		if err != nil {
			if err == io.EOF {
				break
			}
			s.Truncated = true
			if errors.Is(err, io.ErrUnexpectedEOF) {
				ds.Warnf(num+1, "capture cut short in packet %d: the %d packets before it are summarised", num+1, num)
			} else {
				ds.Warnf(num+1, "capture unreadable from packet %d on (%v): the %d packets before it are summarised", num+1, err, num)
			}
			break
		}
		num++
		switch plt {
		case ltOverCap:
			// Its interface was not kept: its link type, snap
			// length and time unit are unknown, so it is counted,
			// not read, and said so below.
			s.Packets++
			s.Bytes += int64(rec.wireLen)
			s.NotSummarised++
			if overCapFirst == 0 {
				overCapFirst = num
			}
			continue
		case ltNoIface:
			s.Packets++
			s.Bytes += int64(rec.wireLen)
			st.undecodable(num, "on an interface its section does not describe")
			continue
		}
		if s.LinkType == "" {
			s.LinkType = linkTypeName(plt)
		}
		st.packet(num, data, rec, plt)
	}
	st.finish()
	if ng != nil && ng.OverCap > 0 {
		ds.Warnf(0, "%d interface description blocks past the first %d of a section not kept (first: block %d)", ng.OverCap, MaxInterfaces, ng.OverCapFirst)
	}
	if s.NotSummarised > 0 {
		ds.Warnf(overCapFirst, "%d packets on interfaces past the cap not summarised (first: packet %d)", s.NotSummarised, overCapFirst)
	}
	if st.unsupportedCount > 0 {
		ds.Warnf(st.unsupportedFirst, "%d packets of link type %s not decoded (first: packet %d)", st.unsupportedCount, linkTypeName(st.unsupportedLink), st.unsupportedFirst)
	}
	return s, ds
}

// openSafe guards against a reader library panicking on a hostile header.
func openSafe(r io.Reader) (src source, format string, lt layers.LinkType, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("capture header unreadable: %v", p)
		}
	}()
	return openSource(r)
}

func linkTypeName(lt layers.LinkType) string {
	switch lt {
	case layers.LinkTypeEthernet:
		return "Ethernet"
	case layers.LinkTypeLinuxSLL:
		return "Linux cooked (SLL)"
	case layers.LinkTypeLinuxSLL2:
		return "Linux cooked v2 (SLL2)"
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return "raw IP"
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return "BSD loopback"
	case 0xffff:
		return "none"
	}
	return fmt.Sprintf("DLT %d", int(lt))
}

// state is the running summary of one capture.
type state struct {
	opts  Options
	s     *Summary
	outer *layerSet
	inner *layerSet
	vxlan [1024]uint64 // bitmap of VXLAN ports

	tun4             table4 // index into tunList
	tun6             map[key6]int
	tunList          []*tunnelState
	lastTK           key4
	lastTun          *tunnelState
	dns              dnsTable
	icmp             map[icmpKey]int // index into s.ICMP
	maxNs            int64
	timed            bool // a packet set FirstNs and LastNs (some are counted without a time)
	unsupportedLink  layers.LinkType
	unsupportedCount int64
	unsupportedFirst int
}

// Flow keys are packed into words: IPv4 flows, the common case by far, take 16
// bytes and go to a table4; IPv6 flows go to Go maps.
type key4 struct{ addrs, rest uint64 }

type key6 struct {
	src, dst [16]byte
	rest     uint64
}

func key6Of(p *pkt, rest uint64) key6 {
	return key6{p.src.As16(), p.dst.As16(), rest}
}

const (
	encapIPIP uint8 = iota + 1
	encapVXLAN
)

type tunnelState struct {
	flow      TunnelFlow
	in4       table4 // index into flow.Inner
	in6       map[key6]int
	last      key4 // the IPv4 inner flow of the previous packet
	lastInner int
}

func newState(opts Options, s *Summary) *state {
	st := &state{
		opts:  opts,
		s:     s,
		outer: newLayerSet(),
		inner: newLayerSet(),
		tun6:  map[key6]int{},
		icmp:  map[icmpKey]int{},
	}
	for _, p := range opts.VXLANPorts {
		st.vxlan[p>>6] |= 1 << (p & 63)
	}
	st.dns.init(opts)
	return st
}

func (st *state) isVXLAN(sport, dport uint16) bool {
	return st.vxlan[dport>>6]&(1<<(dport&63)) != 0 || st.vxlan[sport>>6]&(1<<(sport&63)) != 0
}

func (st *state) undecodable(num int, reason string) {
	u := &st.s.Undecodable
	if u.Count == 0 {
		u.FirstPacket = num
		u.FirstReason = reason
	}
	u.Count++
}

// packet summarises one record. A decoder panic on hostile bytes costs that
// packet only: it is counted undecodable and the capture goes on.
func (st *state) packet(num int, data []byte, rec record, lt layers.LinkType) {
	s := st.s
	s.Packets++
	s.Bytes += int64(rec.wireLen)
	ns := rec.ns
	if !st.timed || ns < s.FirstNs {
		s.FirstNs = ns
	}
	if !st.timed || ns > s.LastNs {
		s.LastNs = ns
	}
	st.timed = true
	if ns > st.maxNs {
		st.maxNs = ns
		st.dns.expire(st, ns)
	}
	snapped := rec.capLen < rec.wireLen
	if snapped {
		s.Snapped++
	}
	defer func() {
		if r := recover(); r != nil {
			st.undecodable(num, fmt.Sprintf("decoder panic in %s: %v", panicSite(), r))
		}
	}()

	var first gopacket.LayerType
	switch lt {
	case layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		first = layers.LayerTypeLinuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		// A 4-byte address family in host (Null) or network (Loop)
		// order; the IP version nibble tells IPv4 from IPv6 as well.
		if len(data) < 4 {
			st.undecodable(num, "loopback header cut short")
			return
		}
		data = data[4:]
		first = rawFirst(data)
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		first = rawFirst(data)
	default:
		if st.unsupportedCount == 0 {
			st.unsupportedLink, st.unsupportedFirst = lt, num
		}
		st.unsupportedCount++
		st.undecodable(num, "link type "+linkTypeName(lt)+" not decoded")
		return
	}
	if first == gopacket.LayerTypeZero {
		s.NonIP++
		return
	}
	var p pkt
	if err := st.outer.decode(first, data, &p); err != nil && !snapped {
		st.undecodable(num, err.Error())
	}
	if p.ipVer == 0 {
		if len(st.outer.decoded) > 0 {
			s.NonIP++
		}
		return
	}
	st.network(num, ns, int64(rec.wireLen), &p)
}

// panicSite names the function that panicked, for the diagnostic (and for
// the fuzz test, which tells gopacket's panics from ours by it).
func panicSite() string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return f.Function
		}
		if !more {
			return "?"
		}
	}
}

// rawFirst picks the parser of a raw IP packet by its version nibble.
func rawFirst(data []byte) gopacket.LayerType {
	if len(data) == 0 {
		return gopacket.LayerTypeZero
	}
	switch data[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

// network handles an outer IP packet: tunnel, DNS, ICMP error.
func (st *state) network(num int, ns, wireLen int64, p *pkt) {
	if p.proto == uint8(layers.IPProtocolIPv4) {
		t := st.tunnel(p, encapIPIP, 0, num, ns, wireLen)
		if !p.laterFr {
			st.innerPacket(num, ns, t, layers.LayerTypeIPv4, p.ipPay)
		}
		return
	}
	switch p.l4 {
	case layers.LayerTypeUDP:
		if st.isVXLAN(p.sport, p.dport) {
			if pay := p.l4pay; vxlanHeader(pay) {
				vni := uint32(pay[4])<<16 | uint32(pay[5])<<8 | uint32(pay[6])
				t := st.tunnel(p, encapVXLAN, vni, num, ns, wireLen)
				st.innerPacket(num, ns, t, layers.LayerTypeEthernet, pay[8:])
				return
			}
			// A port is no proof: a DNS client may have drawn 4789 as
			// its ephemeral port. What is not VXLAN is read as what
			// its other port says.
			st.s.VXLANPortOther++
		}
		if p.sport == 53 || p.dport == 53 {
			st.dns.udp(st, num, ns, p, false)
		}
	case layers.LayerTypeTCP:
		if p.sport == 53 || p.dport == 53 {
			st.dns.tcp(st, num, ns, p, false)
		}
	case layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
		st.icmpError(num, p, false)
	}
}

// vxlanHeader tells a VXLAN header (RFC 7348) followed by an inner Ethernet
// frame from other UDP payloads on a VXLAN port: the I flag set, the reserved
// flag bits and the reserved byte after the VNI clear, and an Ethernet type
// the kernel's VXLAN devices carry. The group-policy extension (G flag, Linux
// "gbp") puts its policy ID in bytes 1-3, so those bytes are only checked
// without it. A DNS message there fails at least one check: its flags or
// counts fill the reserved bytes, or its question the Ethernet type.
func vxlanHeader(pay []byte) bool {
	if len(pay) < 8+14 || pay[0]&0x08 == 0 || pay[0]&0x77 != 0 || pay[7] != 0 {
		return false
	}
	if pay[0]&0x80 == 0 && (pay[1] != 0 || pay[2] != 0 || pay[3] != 0) {
		return false
	}
	switch layers.EthernetType(uint16(pay[8+12])<<8 | uint16(pay[8+13])) {
	case layers.EthernetTypeIPv4, layers.EthernetTypeIPv6, layers.EthernetTypeARP, layers.EthernetTypeDot1Q:
		return true
	}
	return false
}

// tunnel counts one outer packet of a tunnel flow; nil when over the cap.
func (st *state) tunnel(p *pkt, encap uint8, vni uint32, num int, ns, wireLen int64) *tunnelState {
	rest := uint64(vni)<<8 | uint64(encap)
	v4 := p.ipVer == 4
	k4 := key4{p.v4, rest}
	t := st.lastTun
	if t == nil || !v4 || k4 != st.lastTK {
		var i int
		var ok bool
		var k6 key6
		if v4 {
			i, ok = st.tun4.get(k4)
		} else {
			k6 = key6Of(p, rest)
			i, ok = st.tun6[k6]
		}
		if ok {
			t = st.tunList[i]
		} else {
			if len(st.tunList) >= st.opts.MaxTunnels {
				st.s.TunnelOtherPackets++
				return nil
			}
			name := EncapIPIP
			if encap == encapVXLAN {
				name = EncapVXLAN
			}
			t = &tunnelState{lastInner: -1, flow: TunnelFlow{Src: p.src, Dst: p.dst, Encap: name, VNI: vni, FirstNs: ns, LastNs: ns, FirstPacket: num}}
			if v4 {
				st.tun4.put(k4, len(st.tunList))
			} else {
				st.tun6[k6] = len(st.tunList)
			}
			st.tunList = append(st.tunList, t)
		}
		if v4 {
			st.lastTK, st.lastTun = k4, t
		} else {
			st.lastTun = nil
		}
	}
	f := &t.flow
	f.Packets++
	f.Bytes += wireLen
	if ns < f.FirstNs {
		f.FirstNs = ns
	}
	if ns > f.LastNs {
		f.LastNs = ns
	}
	if p.frag {
		f.Fragments++
	}
	return t
}

// innerPacket decodes what a tunnel carried with the inner layer set.
func (st *state) innerPacket(num int, ns int64, t *tunnelState, first gopacket.LayerType, data []byte) {
	var p pkt
	if err := st.inner.decode(first, data, &p); err != nil && p.ipVer == 0 {
		if t != nil {
			t.flow.InnerOther++
		}
		return
	}
	if p.ipVer == 0 {
		if t != nil {
			t.flow.InnerOther++
		}
		return
	}
	if t != nil {
		st.innerFlow(t, &p)
	}
	switch p.l4 {
	case layers.LayerTypeUDP:
		if p.sport == 53 || p.dport == 53 {
			st.dns.udp(st, num, ns, &p, true)
		}
	case layers.LayerTypeTCP:
		if p.sport == 53 || p.dport == 53 {
			st.dns.tcp(st, num, ns, &p, true)
		}
	case layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
		st.icmpError(num, &p, true)
	}
}

func (st *state) innerFlow(t *tunnelState, p *pkt) {
	var sport, dport uint16
	if p.l4 == layers.LayerTypeUDP || p.l4 == layers.LayerTypeTCP {
		sport, dport = p.sport, p.dport
		// DNS from a pod is a new flow per query (a new source port
		// each time): one flow per client and server says more, and
		// keeps the list of a busy tunnel from filling up with them.
		if dport == 53 {
			sport = 0
		} else if sport == 53 {
			dport = 0
		}
	}
	rest := uint64(sport)<<32 | uint64(dport)<<16 | uint64(p.proto)
	v4 := p.ipVer == 4
	k4 := key4{p.v4, rest}
	if v4 && t.lastInner >= 0 && t.last == k4 {
		t.flow.Inner[t.lastInner].Packets++
		return
	}
	var i int
	var ok bool
	var k6 key6
	if v4 {
		i, ok = t.in4.get(k4)
	} else {
		k6 = key6Of(p, rest)
		i, ok = t.in6[k6]
	}
	if !ok {
		if len(t.flow.Inner) >= st.opts.MaxInnerFlows {
			t.flow.InnerOther++
			return
		}
		i = len(t.flow.Inner)
		if v4 {
			t.in4.put(k4, i)
		} else {
			if t.in6 == nil {
				t.in6 = map[key6]int{}
			}
			t.in6[k6] = i
		}
		t.flow.Inner = append(t.flow.Inner, InnerFlow{Src: p.src, Dst: p.dst, Proto: p.proto, SrcPort: sport, DstPort: dport})
	}
	t.flow.Inner[i].Packets++
	if v4 {
		t.last, t.lastInner = k4, i
	}
}

// finish closes the pending DNS queries and orders the lists.
func (st *state) finish() {
	s := st.s
	st.dns.finish(st)
	for _, t := range st.tunList {
		f := t.flow
		if f.Inner == nil {
			f.Inner = []InnerFlow{}
		} else if cap(f.Inner) > len(f.Inner)+len(f.Inner)/8 {
			// The list grew by doubling; a fleet's analysis holds every
			// node's summary until the captures are joined.
			f.Inner = slices.Clone(f.Inner)
		}
		sort.SliceStable(f.Inner, func(i, j int) bool { return f.Inner[i].Packets > f.Inner[j].Packets })
		s.Tunnels = append(s.Tunnels, f)
	}
	sort.SliceStable(s.Tunnels, func(i, j int) bool {
		a, b := &s.Tunnels[i], &s.Tunnels[j]
		if a.Packets != b.Packets {
			return a.Packets > b.Packets
		}
		return a.FirstPacket < b.FirstPacket
	})
	sort.SliceStable(s.ICMP, func(i, j int) bool {
		if s.ICMP[i].Count != s.ICMP[j].Count {
			return s.ICMP[i].Count > s.ICMP[j].Count
		}
		return s.ICMP[i].FirstPacket < s.ICMP[j].FirstPacket
	})
}
