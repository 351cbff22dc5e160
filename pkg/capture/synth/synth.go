// Package synth writes synthetic pcap captures for the capture summariser's
// benchmarks: what `tcpdump -i eth0` shows on a Calico node, with its tunnels
// to the other nodes, IP-in-IP and VXLAN (VNI 4096, UDP 4789), carrying pod TCP
// traffic and pod DNS
// to CoreDNS, plus plain DNS to the kube-dns VIP, a share of the queries left
// unanswered. Packets are built once with gopacket's serializer and written
// many times with their IDs, ports and timestamps changed, so that gigabytes
// are written in seconds.
package synth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Config says how much to write. Generation stops at whichever of Packets and
// Bytes (of file) is reached first; zero means no limit on that one.
type Config struct {
	Packets int64
	Bytes   int64
	Nodes   int    // nodes of the cluster; default 16
	Seed    uint64 // of the packet mix
	// UnansweredPermille of the DNS queries get no answer; default (0) 20,
	// or 950 in a storm; negative: every query is answered (a healthy
	// capture, as the fleet benchmark's nodes without a planted fault).
	UnansweredPermille int
	// StormQPS, when set, makes the capture a DNS timeout storm: every
	// exchange a DNS query (plain to the VIP, or through a tunnel) at this
	// many queries per second of capture time, most of them unanswered.
	StormQPS int
	// AnswerLag delays each answer by this many further packets (default
	// 0: right after its query), so that a summariser's pending table
	// holds more queries at once than its size.
	AnswerLag int
	// Cluster, when set, places the capture in a cluster of its own
	// addresses (the fleet benchmark writes one capture per node); by
	// default node i is 10.0.0.(10+i) with pods 10.244.i.x, the capture is
	// node 0's and its peers all the other nodes.
	Cluster *Cluster
}

// Cluster says whose capture it is and what the nodes' addresses are.
type Cluster struct {
	Self     int
	Peers    []int                    // the nodes Self's tunnels go to and come from
	NodeIP   func(node int) net.IP    // the node's underlay address
	PodIP    func(node, k int) net.IP // the k-th pod address of the node's block
	IPIPOnly bool                     // no VXLAN packets (an IPIP cluster)
	// VXLANOnly: no IP-in-IP packets (a VXLAN cluster); ignored with IPIPOnly.
	VXLANOnly bool
	// Joinable makes the tunnel traffic of each direction of each pair of
	// nodes a stream of its own, drawn from PairSeed and the two nodes, and
	// gives every pair the same number of exchanges, so that the capture of
	// Self and the capture of a peer (written with the same PairSeed, the
	// same number of peers and the same size) hold exactly the same packets
	// between them, as two healthy nodes' captures would; the analyzer's join
	// of sent with received then finds nothing lost. Tunnelled queries are
	// left unanswered at TunnelUnansweredPermille (cluster-wide, default
	// none); UnansweredPermille and StormQPS apply to Self's plain DNS to the
	// VIP only, so that a storm on one node does not unbalance its tunnels.
	// The size is met approximately: the number of rounds (one exchange per
	// pair direction and a few plain queries each) is estimated from it the
	// same way on every node.
	Joinable                 bool
	PairSeed                 uint64
	TunnelUnansweredPermille int
	// Lost, in a Joinable capture, says that the underlay drops the tunnel
	// packets from one node to another: they are seen leaving the sender
	// and never arriving, and the queries among them are never answered.
	Lost func(from, to int) bool
}

// Stats is what was written, for the benchmark to compare counts with.
type Stats struct {
	Packets, Bytes              int64
	IPIP, VXLAN                 int64 // tunnel packets
	DNSQueries, DNSResponses    int64
	DNSUnanswered               int64
	PlainDNSQueries, InnerQuery int64
}

// template is a frame with the offsets of the fields changed per packet.
type template struct {
	data   []byte
	dnsID  int // offset of the DNS ID, or 0
	cport  int // offset of the client port (UDP source of a query, destination of a response), or 0
	cip    int // offset of the last byte of the client IP, or 0
	isIPIP bool
	isVX   bool
}

func ip4(src, dst net.IP, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: proto, SrcIP: src.To4(), DstIP: dst.To4()}
}

func build(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err) // the templates are fixed: an error here is a bug in this file
	}
	return append([]byte(nil), buf.Bytes()...)
}

var (
	macA = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

// inner builds the pod-level layers of one template.
type innerKind int

const (
	innerTCPAck innerKind = iota
	innerTCPData
	innerDNSQuery
	innerDNSAnswer
)

func innerLayers(kind innerKind, clientPod, serverPod net.IP) []gopacket.SerializableLayer {
	switch kind {
	case innerTCPAck, innerTCPData:
		ip := ip4(clientPod, serverPod, layers.IPProtocolTCP)
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 8080, Seq: 1, Ack: 1, ACK: true, Window: 502}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		if kind == innerTCPAck {
			return []gopacket.SerializableLayer{ip, tcp}
		}
		tcp.PSH = true
		return []gopacket.SerializableLayer{ip, tcp, gopacket.Payload(make([]byte, 600))}
	case innerDNSQuery:
		ip := ip4(clientPod, serverPod, layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: 40000, DstPort: 53}
		_ = u.SetNetworkLayerForChecksum(ip)
		return []gopacket.SerializableLayer{ip, u, &layers.DNS{ID: 1, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("kubernetes.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}}
	default:
		ip := ip4(serverPod, clientPod, layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: 53, DstPort: 40000}
		_ = u.SetNetworkLayerForChecksum(ip)
		return []gopacket.SerializableLayer{ip, u, &layers.DNS{ID: 1, QR: true, RD: true, RA: true,
			Questions: []layers.DNSQuestion{{Name: []byte("kubernetes.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}},
			Answers:   []layers.DNSResourceRecord{{Name: []byte("kubernetes.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 30, IP: net.IP{10, 96, 0, 1}}}}}
	}
}

// offsets finds the DNS ID and client port of a frame whose innermost UDP
// header starts at udpOff.
func dnsOffsets(t *template, udpOff int, query bool) {
	t.dnsID = udpOff + 8
	if query {
		t.cport = udpOff
		t.cip = udpOff - 20 + 15 // source address of the IP header before UDP
	} else {
		t.cport = udpOff + 2
		t.cip = udpOff - 20 + 19
	}
}

type pairTemplates struct {
	ipip, vxlan [4]template // by innerKind
}

func makePair(cl *Cluster, a, b int) pairTemplates {
	nodeA, nodeB := cl.NodeIP(a), cl.NodeIP(b)
	podA, podB := cl.PodIP(a, 5), cl.PodIP(b, 53)
	var p pairTemplates
	for k := innerTCPAck; k <= innerDNSAnswer; k++ {
		// Answers travel back from B to A.
		src, dst := nodeA, nodeB
		if k == innerDNSAnswer {
			src, dst = nodeB, nodeA
		}
		in := innerLayers(k, podA, podB)
		ls := append([]gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}, ip4(src, dst, layers.IPProtocolIPv4)}, in...)
		t := template{data: build(ls...), isIPIP: true}
		if k >= innerDNSQuery {
			dnsOffsets(&t, 14+20+20, k == innerDNSQuery)
		}
		p.ipip[k] = t

		oip := ip4(src, dst, layers.IPProtocolUDP)
		ou := &layers.UDP{SrcPort: layers.UDPPort(32768 + a*100 + b), DstPort: 4789}
		_ = ou.SetNetworkLayerForChecksum(oip)
		ls = append([]gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}, oip, ou,
			&layers.VXLAN{ValidIDFlag: true, VNI: 4096},
			&layers.Ethernet{SrcMAC: net.HardwareAddr{0x66, 0, 0, 0, 0, byte(a)}, DstMAC: net.HardwareAddr{0x66, 0, 0, 0, 0, byte(b)}, EthernetType: layers.EthernetTypeIPv4}}, in...)
		t = template{data: build(ls...), isVX: true}
		if k >= innerDNSQuery {
			dnsOffsets(&t, 14+20+8+8+14+20, k == innerDNSQuery)
		}
		p.vxlan[k] = t
	}
	return p
}

func plainDNS(cl *Cluster, query bool) template {
	pod, vip := cl.PodIP(cl.Self, 7), net.IP{10, 96, 0, 10}
	var ls []gopacket.SerializableLayer
	if query {
		ls = innerLayers(innerDNSQuery, pod, vip)
	} else {
		ls = innerLayers(innerDNSAnswer, pod, vip)
	}
	t := template{data: build(append([]gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}}, ls...)...)}
	dnsOffsets(&t, 14+20, query)
	return t
}

// Write writes a pcap file (Ethernet, microseconds) to w.
func Write(w io.Writer, c Config) (Stats, error) {
	if c.Nodes < 2 {
		c.Nodes = 16
	}
	if c.Nodes > 200 {
		return Stats{}, fmt.Errorf("at most 200 nodes")
	}
	switch {
	case c.UnansweredPermille < 0:
		c.UnansweredPermille = 0
	case c.UnansweredPermille == 0:
		c.UnansweredPermille = 20
		if c.StormQPS > 0 {
			c.UnansweredPermille = 950
		}
	}
	// The gap between packets, in µs: 1-20 in the mix; in a storm, spread
	// evenly around the mean gap of its rate (answers come as fast).
	gap := func(rng *rand.Rand) int64 { return 1 + int64(rng.IntN(20)) }
	if c.StormQPS > 0 {
		mean := max(1, 1e6/int64(c.StormQPS))
		gap = func(rng *rand.Rand) int64 { return rng.Int64N(2*mean + 1) }
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	cl := c.Cluster
	if cl == nil {
		cl = &Cluster{
			NodeIP: func(i int) net.IP { return net.IP{10, 0, 0, byte(10 + i)} },
			PodIP:  func(i, k int) net.IP { return net.IP{10, 244, byte(i), byte(k)} },
		}
		for b := 1; b < c.Nodes; b++ {
			cl.Peers = append(cl.Peers, b)
		}
	}
	var pairs []pairTemplates
	// The capture is Self's: its tunnels go to and come from each peer.
	for _, b := range cl.Peers {
		pairs = append(pairs, makePair(cl, cl.Self, b), makePair(cl, b, cl.Self))
	}
	if len(pairs) == 0 {
		return Stats{}, fmt.Errorf("a capture with no peers")
	}
	pq, pa := plainDNS(cl, true), plainDNS(cl, false)

	bw := bufio.NewWriterSize(w, 1<<20)
	var st Stats
	var hdr [24]byte
	binary.LittleEndian.PutUint32(hdr[0:4], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:6], 2)
	binary.LittleEndian.PutUint16(hdr[6:8], 4)
	binary.LittleEndian.PutUint32(hdr[16:20], 262144)
	binary.LittleEndian.PutUint32(hdr[20:24], 1)
	if _, err := bw.Write(hdr[:]); err != nil {
		return st, err
	}
	st.Bytes = 24
	usec := int64(1714557600) * 1e6 // 2024-05-01 10:00 UTC
	var id uint16
	var port uint16 = 30000
	buf := make([]byte, 0, 2048)
	var rec [16]byte
	emitAs := func(t *template, clientLow byte, id, port uint16) error {
		buf = append(buf[:0], t.data...)
		if t.dnsID != 0 {
			binary.BigEndian.PutUint16(buf[t.dnsID:], id)
			binary.BigEndian.PutUint16(buf[t.cport:], port)
			// Another client of the same /26 pod block.
			buf[t.cip] = buf[t.cip]&^63 | clientLow&63
		}
		usec += gap(rng)
		binary.LittleEndian.PutUint32(rec[0:4], uint32(usec/1e6))
		binary.LittleEndian.PutUint32(rec[4:8], uint32(usec%1e6))
		binary.LittleEndian.PutUint32(rec[8:12], uint32(len(buf)))
		binary.LittleEndian.PutUint32(rec[12:16], uint32(len(buf)))
		if _, err := bw.Write(rec[:]); err != nil {
			return err
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
		st.Packets++
		st.Bytes += int64(16 + len(buf))
		switch {
		case t.isIPIP:
			st.IPIP++
		case t.isVX:
			st.VXLAN++
		}
		return nil
	}
	emit := func(t *template, clientLow byte) error { return emitAs(t, clientLow, id, port) }
	type lagged struct {
		t        *template
		client   byte
		id, port uint16
	}
	var lag []lagged // answers waiting for their turn, oldest first
	done := func() bool {
		return (c.Packets > 0 && st.Packets >= c.Packets) || (c.Bytes > 0 && st.Bytes >= c.Bytes)
	}
	if cl.Joinable {
		if c.AnswerLag > 0 {
			return st, fmt.Errorf("a joinable capture has no answer lag")
		}
		// One stream per pair direction: pairs[2j] is Self to Peers[j],
		// pairs[2j+1] the way back.
		streams := make([]*rand.Rand, len(pairs))
		for j := range pairs {
			a, b := cl.Self, cl.Peers[j/2]
			if j%2 == 1 {
				a, b = b, a
			}
			streams[j] = rand.New(rand.NewPCG(cl.PairSeed^uint64(a)<<32^uint64(b), 0x243f6a8885a308d3))
		}
		plain := max(1, len(pairs)*15/85) // the mix's share of plain DNS
		// Estimated bytes per round (tunnel exchange ~260, plain ~230): the
		// same on every node with as many peers, whatever its streams drew
		// and whether it has a storm (whose capture is the larger for it).
		est := int64(len(pairs))*260 + int64(plain)*230
		rounds := int64(1)
		if c.Bytes > 0 {
			rounds = max(1, (c.Bytes+est-1)/est)
		}
		if c.Packets > 0 {
			byPackets := max(1, c.Packets/(int64(len(pairs))*3/2+int64(plain)*2))
			if c.Bytes == 0 || byPackets < rounds {
				rounds = byPackets
			}
		}
		exchange := func(q, a *template, client byte, unansweredPermille int, draw *rand.Rand) error {
			id++
			port++
			if port < 30000 {
				port = 30000
			}
			if err := emit(q, client); err != nil {
				return err
			}
			st.DNSQueries++
			if draw.IntN(1000) < unansweredPermille {
				st.DNSUnanswered++
				return nil
			}
			st.DNSResponses++
			return emit(a, client)
		}
		if c.StormQPS > 0 {
			plain = 4 * len(pairs)
		}
		lost := func(from, to int) bool { return cl.Lost != nil && cl.Lost(from, to) }
		// seen: a packet from one node to another is in Self's capture when
		// Self sent it, or received it and the underlay delivered it.
		seen := func(from, to int) bool { return from == cl.Self || to == cl.Self && !lost(from, to) }
		for r := int64(0); r < rounds; r++ {
			for j, draw := range streams {
				p := &pairs[j]
				a, b := cl.Self, cl.Peers[j/2]
				if j%2 == 1 {
					a, b = b, a
				}
				ts := &p.ipip
				if !cl.IPIPOnly && (cl.VXLANOnly || draw.IntN(2) == 0) {
					ts = &p.vxlan
				}
				var err error
				// Every draw is made whatever is seen, so that the stream
				// stays the same in both nodes' captures.
				if k := draw.IntN(100); k < 65 {
					kind := innerTCPAck
					if k < 16 {
						kind = innerTCPData
					}
					if seen(a, b) {
						err = emit(&ts[kind], 0)
					}
				} else if !lost(a, b) && !lost(b, a) {
					st.InnerQuery++
					err = exchange(&ts[innerDNSQuery], &ts[innerDNSAnswer], byte(2+draw.IntN(60)), cl.TunnelUnansweredPermille, draw)
				} else {
					client := byte(2 + draw.IntN(60))
					answered := draw.IntN(1000) >= cl.TunnelUnansweredPermille && !lost(a, b)
					id++
					port++
					if port < 30000 {
						port = 30000
					}
					if seen(a, b) {
						st.InnerQuery++
						st.DNSQueries++
						if err = emit(&ts[innerDNSQuery], client); err == nil {
							if answered && seen(b, a) {
								st.DNSResponses++
								err = emit(&ts[innerDNSAnswer], client)
							} else {
								st.DNSUnanswered++
							}
						}
					}
				}
				if err != nil {
					return st, err
				}
			}
			for k := 0; k < plain; k++ {
				st.PlainDNSQueries++
				if err := exchange(&pq, &pa, byte(2+rng.IntN(60)), c.UnansweredPermille, rng); err != nil {
					return st, err
				}
			}
		}
		return st, bw.Flush()
	}
	for !done() {
		p := &pairs[rng.IntN(len(pairs))]
		r := rng.IntN(100)
		if c.StormQPS > 0 {
			r = 55 + r*45/100 // DNS only, in the mix's proportions
		}
		var err error
		switch {
		case r < 55: // pod TCP through the tunnel: mostly ACKs, some data
			k := innerTCPAck
			if rng.IntN(4) == 0 {
				k = innerTCPData
			}
			if cl.IPIPOnly || r < 30 && !cl.VXLANOnly {
				err = emit(&p.ipip[k], 0)
			} else {
				err = emit(&p.vxlan[k], 0)
			}
		default: // a DNS exchange: inside IPIP, inside VXLAN, or plain to the VIP
			id++
			port++
			if port < 30000 {
				port = 30000
			}
			client := byte(2 + rng.IntN(60))
			q, a := &pq, &pa
			switch {
			case !cl.VXLANOnly && (r < 70 || r < 85 && cl.IPIPOnly):
				q, a = &p.ipip[innerDNSQuery], &p.ipip[innerDNSAnswer]
				st.InnerQuery++
			case r < 85:
				q, a = &p.vxlan[innerDNSQuery], &p.vxlan[innerDNSAnswer]
				st.InnerQuery++
			default:
				st.PlainDNSQueries++
			}
			if err = emit(q, client); err != nil {
				break
			}
			st.DNSQueries++
			if rng.IntN(1000) < c.UnansweredPermille {
				st.DNSUnanswered++
				break
			}
			st.DNSResponses++
			if c.AnswerLag == 0 {
				err = emit(a, client)
				break
			}
			lag = append(lag, lagged{a, client, id, port})
		}
		if err == nil && len(lag) > 0 && (len(lag) > c.AnswerLag || done()) {
			err = emitAs(lag[0].t, lag[0].client, lag[0].id, lag[0].port)
			lag = lag[1:]
		}
		if err != nil {
			return st, err
		}
	}
	// The answers still waiting come last, so that every answer counted
	// is written.
	for _, l := range lag {
		if err := emitAs(l.t, l.client, l.id, l.port); err != nil {
			return st, err
		}
	}
	return st, bw.Flush()
}
