package capture

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"

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
	if _, ng := src.(*ngSource); !ng {
		s.LinkType = linkTypeName(lt)
	}
	num := 0
	for {
		data, ci, plt, err := src.next()
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
		if num == 1 && s.LinkType == "" {
			s.LinkType = linkTypeName(plt)
		}
		st.packet(num, data, ci, plt)
	}
	st.finish()
	if st.unsupportedLink != 0 {
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

	tunnels          map[tunnelKey]*tunnelState
	tunList          []*tunnelState
	lastTK           tunnelKey
	lastTun          *tunnelState
	dns              dnsTable
	icmp             map[icmpKey]int // index into s.ICMP
	maxNs            int64
	unsupportedLink  layers.LinkType
	unsupportedCount int64
	unsupportedFirst int
}

type tunnelKey struct {
	src, dst netip.Addr
	encap    uint8
	vni      uint32
}

const (
	encapIPIP uint8 = iota + 1
	encapVXLAN
)

type innerKey struct {
	src, dst     netip.Addr
	proto        uint8
	sport, dport uint16
}

type tunnelState struct {
	flow  TunnelFlow
	inner map[innerKey]int // index into flow.Inner
}

func newState(opts Options, s *Summary) *state {
	st := &state{
		opts:    opts,
		s:       s,
		outer:   newLayerSet(),
		inner:   newLayerSet(),
		tunnels: map[tunnelKey]*tunnelState{},
		icmp:    map[icmpKey]int{},
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
func (st *state) packet(num int, data []byte, ci gopacket.CaptureInfo, lt layers.LinkType) {
	s := st.s
	s.Packets++
	s.Bytes += int64(ci.Length)
	ns := ci.Timestamp.UnixNano()
	if s.Packets == 1 || ns < s.FirstNs {
		s.FirstNs = ns
	}
	if s.Packets == 1 || ns > s.LastNs {
		s.LastNs = ns
	}
	if ns > st.maxNs {
		st.maxNs = ns
		st.dns.expire(st, ns)
	}
	snapped := ci.CaptureLength < ci.Length
	if snapped {
		s.Snapped++
	}
	defer func() {
		if r := recover(); r != nil {
			st.undecodable(num, fmt.Sprintf("decoder panic: %v", r))
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
	st.network(num, ns, int64(ci.Length), &p)
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
		t := st.tunnel(tunnelKey{src: p.src, dst: p.dst, encap: encapIPIP}, num, ns, wireLen, p.frag)
		if !p.laterFr {
			st.innerPacket(num, ns, t, layers.LayerTypeIPv4, p.ipPay)
		}
		return
	}
	switch p.l4 {
	case layers.LayerTypeUDP:
		if st.isVXLAN(p.sport, p.dport) {
			var vni uint32
			pay := p.l4pay
			if len(pay) >= 8 {
				vni = uint32(pay[4])<<16 | uint32(pay[5])<<8 | uint32(pay[6])
			}
			t := st.tunnel(tunnelKey{src: p.src, dst: p.dst, encap: encapVXLAN, vni: vni}, num, ns, wireLen, p.frag)
			if len(pay) >= 8 {
				st.innerPacket(num, ns, t, layers.LayerTypeEthernet, pay[8:])
			} else if t != nil {
				t.flow.InnerOther++
			}
			return
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

// tunnel counts one outer packet of a tunnel flow; nil when over the cap.
func (st *state) tunnel(k tunnelKey, num int, ns, wireLen int64, frag bool) *tunnelState {
	t := st.lastTun
	if t == nil || k != st.lastTK {
		t = st.tunnels[k]
		if t == nil {
			if len(st.tunList) >= st.opts.MaxTunnels {
				st.s.TunnelOtherPackets++
				return nil
			}
			encap := EncapIPIP
			if k.encap == encapVXLAN {
				encap = EncapVXLAN
			}
			t = &tunnelState{flow: TunnelFlow{Src: k.src, Dst: k.dst, Encap: encap, VNI: k.vni, FirstNs: ns, LastNs: ns, FirstPacket: num}}
			st.tunnels[k] = t
			st.tunList = append(st.tunList, t)
		}
		st.lastTK, st.lastTun = k, t
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
	if frag {
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
	k := innerKey{src: p.src, dst: p.dst, proto: p.proto}
	if p.l4 == layers.LayerTypeUDP || p.l4 == layers.LayerTypeTCP {
		k.sport, k.dport = p.sport, p.dport
	}
	if t.inner == nil {
		t.inner = map[innerKey]int{}
	}
	i, ok := t.inner[k]
	if !ok {
		if len(t.flow.Inner) >= st.opts.MaxInnerFlows {
			t.flow.InnerOther++
			return
		}
		i = len(t.flow.Inner)
		t.inner[k] = i
		t.flow.Inner = append(t.flow.Inner, InnerFlow{Src: k.src, Dst: k.dst, Proto: k.proto, SrcPort: k.sport, DstPort: k.dport})
	}
	t.flow.Inner[i].Packets++
}

// finish closes the pending DNS queries and orders the lists.
func (st *state) finish() {
	s := st.s
	st.dns.finish(st)
	for _, t := range st.tunList {
		f := t.flow
		if f.Inner == nil {
			f.Inner = []InnerFlow{}
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
