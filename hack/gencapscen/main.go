// Command gencapscen writes the capture scenarios of the regression suite:
// bundle folders (one per node) made from a healthy txtar cluster plus a
// pcap/eth0.pcap per node, crafted with gopacket's serializer (this kernel has
// no IP-in-IP to capture for real). Run from the repository root:
//
//	go run ./hack/gencapscen
package main

import (
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/tools/txtar"
)

// flow is count packets of one kind, sent from node src to node dst.
type flow struct {
	encap     string // ipip, vxlan, plain
	from, to  int    // node indexes
	count     int
	dns       bool   // inner packets are DNS queries to innerDst:53
	innerDst  string // pod address inside the tunnel
	answered  bool   // each query gets a response (in the reverse direction)
	lostEvery int    // the receiver misses every n-th packet (0: none)
	blocked   bool   // the receiver sees none of it
	size      int    // inner payload bytes
	idBase    int    // keeps the DNS ids of two flows of one pair apart
}

type scenario struct {
	name, from, header string
	flows              []flow
	skewMs             []int // per node clock offset
	edit               func(node, path, text string) string
}

type cluster struct {
	names, ips []string
	macs       []net.HardwareAddr
	files      map[string]map[string]string
	pods       []string // an address of a pod on each node
}

func loadCluster(path string) cluster {
	a, err := txtar.ParseFile(path)
	if err != nil {
		log.Fatal(err)
	}
	c := cluster{files: map[string]map[string]string{}}
	for _, f := range a.Files {
		node, rel, _ := strings.Cut(f.Name, "/")
		if c.files[node] == nil {
			c.files[node] = map[string]string{}
			c.names = append(c.names, node)
		}
		c.files[node][rel] = string(f.Data)
	}
	for i, n := range c.names {
		for _, line := range strings.Split(c.files[n]["net/ip-addr.txt"], "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "inet" && strings.HasSuffix(line, " eth0") {
				p := netip.MustParsePrefix(f[1])
				c.ips = append(c.ips, p.Addr().String())
				b := p.Addr().As4()
				c.pods = append(c.pods, "")
				c.macs = append(c.macs, net.HardwareAddr{0x52, 0x54, 0, b[1], b[2], b[3]})
				_ = i
			}
		}
	}
	return c
}

const base = 1732780800 // capture start, node clock

func main() {
	ipip := "testdata/bundles/ipip-healthy.txtar"
	vxlan := "testdata/bundles/vxlan-healthy.txtar"
	// CoreDNS pods of the healthy clusters (on the second node), and a pod on
	// each other node that queries them.
	coreIPIP, coreVX := "10.40.52.149", "172.22.19.200"
	podsIPIP := []string{"10.40.33.5", "10.40.52.149", "10.40.7.69"}
	podsVX := []string{"172.22.140.69", "172.22.19.200", "172.22.201.5"}
	// Each node's eth0 capture holds what left and what arrived.
	all := func(encap string, pods []string, core string, mod func(*flow)) []flow {
		var fs []flow
		for a := 0; a < 3; a++ {
			for b := 0; b < 3; b++ {
				if a == b {
					continue
				}
				f := flow{encap: encap, from: a, to: b, count: 12, innerDst: pods[b], size: 400}
				if b == 1 {
					f.dns, f.innerDst, f.answered = true, core, true
				}
				if mod != nil {
					mod(&f)
				}
				fs = append(fs, f)
			}
		}
		return fs
	}
	scenarios := []scenario{
		{name: "ipip-healthy-captures", from: ipip, header: "The healthy IPIP cluster with a capture on each node's eth0: IP-in-IP flows both ways\nbetween every pair and pods' DNS queries to CoreDNS are answered. node-c's clock\nruns 1.2 s ahead. No rule may report a warning or worse.",
			flows: all("ipip", podsIPIP, coreIPIP, nil), skewMs: []int{0, 0, 1200}},
		{name: "link-ipip-blocked", from: ipip, header: "The underlay drops IP protocol 4 (a cloud security group allows only TCP/UDP/ICMP):\nevery node's capture shows IP-in-IP leaving for its peers and none arriving;\npods' DNS queries to CoreDNS on node-b get no answer.",
			flows: all("ipip", podsIPIP, coreIPIP, func(f *flow) { f.blocked, f.answered = true, false })},
		{name: "link-tunnel-one-way", from: vxlan, header: "VXLAN from cp-1 to worker-1 is lost on the way (a firewall drops UDP 4789 in one\ndirection): cp-1's capture shows it leaving, worker-1's shows none of it, while\nworker-1's VXLAN to cp-1 arrives. cp-1's pods get no DNS answers from CoreDNS.",
			flows: all("vxlan", podsVX, coreVX, func(f *flow) {
				if f.from == 0 && f.to == 1 {
					f.blocked, f.answered = true, false
				}
			}), skewMs: []int{0, -800, 0}},
		{name: "kernel-gso-ipip-drop", from: ipip, header: "GSO on eth0 of node-a, whose NIC drops large IP-in-IP segments: of node-a's\nIP-in-IP to node-b about half arrives; small packets pass. Other paths are fine.",
			flows: all("ipip", podsIPIP, coreIPIP, func(f *flow) {
				if f.from == 0 && f.to == 1 {
					f.count, f.lostEvery, f.size = 40, 2, 1400
				}
			})},
		{name: "dns-queries-unanswered", from: vxlan, header: "Tunnels are healthy, but worker-2's pod gets no answer from the CoreDNS pod on\nworker-1 for 9 of its queries (CoreDNS overloaded: it answers some).",
			flows: append(all("vxlan", podsVX, coreVX, func(f *flow) {
				if f.from == 2 && f.to == 1 {
					f.count = 4
				}
			}), flow{encap: "vxlan", from: 2, to: 1, count: 9, dns: true, innerDst: coreVX, size: 60, idBase: 50})},
		// Captures that hold no tunnel packet at all (taken while nothing
		// crossed between pods of different nodes): the tunnel link rules
		// have no pair to judge and must say "not checked", not pass.
		{name: "vxlan-captures-no-tunnel", from: vxlan, header: "The healthy VXLAN cluster with a capture on each node's eth0 that holds only\nunderlay TCP between the nodes (to the API server), no VXLAN: whether tunnel\npackets arrive cannot be told from these captures. link-tunnel-one-way and\nlink-tunnel-dropped-on-arrival must say \"not checked\" on every node, never pass.",
			flows: []flow{{encap: "plain", from: 0, to: 1, count: 12}, {encap: "plain", from: 1, to: 0, count: 12},
				{encap: "plain", from: 2, to: 0, count: 12}, {encap: "plain", from: 0, to: 2, count: 12}}},
	}
	for _, s := range scenarios {
		write(s)
	}
}

func write(s scenario) {
	c := loadCluster(s.from)
	dir := filepath.Join("testdata", "bundles", s.name)
	if err := os.RemoveAll(dir); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(s.header+"\n\nWritten by `go run ./hack/gencapscen` from "+filepath.Base(s.from)+".\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	caps := make([][]capPkt, len(c.names))
	for _, f := range s.flows {
		for i := 0; i < f.count; i++ {
			t := time.Unix(base, 0).Add(time.Duration(100*i+37*f.from+11*f.to) * time.Millisecond)
			id := uint16(1000*f.from + 100*f.to + i + f.idBase)
			q := packet(c, f, f.from, f.to, id, false, i)
			caps[f.from] = append(caps[f.from], capPkt{t, q})
			lost := f.blocked || f.lostEvery > 0 && i%f.lostEvery == 0
			if !lost {
				caps[f.to] = append(caps[f.to], capPkt{t.Add(300 * time.Microsecond), q})
			}
			if f.dns && f.answered && !lost {
				r := packet(c, f, f.to, f.from, id, true, i)
				caps[f.to] = append(caps[f.to], capPkt{t.Add(2 * time.Millisecond), r})
				caps[f.from] = append(caps[f.from], capPkt{t.Add(2300 * time.Microsecond), r})
			}
		}
	}
	// Every capture runs 15 s, as collect's default window: queries of the
	// first seconds are past their timeout when it ends. The node's last packet
	// is a plain TCP segment to the API server.
	for i := range c.names {
		end := flow{encap: "plain", from: i, to: (i + 1) % len(c.names), size: 0}
		caps[i] = append(caps[i], capPkt{time.Unix(base+15, 0), packet(c, end, i, end.to, 1, false, 0)})
	}
	for i, n := range c.names {
		nd := filepath.Join(dir, n)
		for rel, text := range c.files[n] {
			p := filepath.Join(nd, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				log.Fatal(err)
			}
			if s.edit != nil {
				text = s.edit(n, rel, text)
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				log.Fatal(err)
			}
		}
		skew := 0
		if i < len(s.skewMs) {
			skew = s.skewMs[i]
		}
		writePcap(filepath.Join(nd, "pcap", "eth0.pcap"), caps[i], skew)
	}
	fmt.Println("wrote", dir)
}

type capPkt struct {
	t    time.Time
	data []byte
}

func writePcap(p string, pkts []capPkt, skewMs int) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		log.Fatal(err)
	}
	// Packets in time order, as a capture has them.
	for i := 1; i < len(pkts); i++ {
		for j := i; j > 0 && pkts[j].t.Before(pkts[j-1].t); j-- {
			pkts[j], pkts[j-1] = pkts[j-1], pkts[j]
		}
	}
	for _, pk := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: pk.t.Add(time.Duration(skewMs) * time.Millisecond), CaptureLength: len(pk.data), Length: len(pk.data)}
		if err := w.WritePacket(ci, pk.data); err != nil {
			log.Fatal(err)
		}
	}
}

// packet builds one tunnel packet from node a to node b. Inside: a DNS query
// (or its response) between a pod of a and innerDst, or a TCP segment.
func packet(c cluster, f flow, a, b int, id uint16, response bool, seq int) []byte {
	if f.encap == "plain" {
		f.innerDst = "127.0.0.1"
	}
	podA := podAddr(c, f, a)
	inSrc, inDst := podA, net.ParseIP(f.innerDst).To4()
	if response {
		inSrc, inDst = net.ParseIP(f.innerDst).To4(), podAddr(c, f, b)
	}
	var inner []gopacket.SerializableLayer
	ip4 := &layers.IPv4{Version: 4, TTL: 63, SrcIP: inSrc, DstIP: inDst, Id: id}
	if f.dns {
		ip4.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(40000 + seq), DstPort: 53}
		if response {
			udp.SrcPort, udp.DstPort = 53, layers.UDPPort(40000+seq)
		}
		_ = udp.SetNetworkLayerForChecksum(ip4)
		d := &layers.DNS{ID: id, QR: response, OpCode: layers.DNSOpCodeQuery, RD: true, RA: response,
			Questions: []layers.DNSQuestion{{Name: []byte("kubernetes.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
		if response {
			d.Answers = []layers.DNSResourceRecord{{Name: []byte("kubernetes.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 30, IP: net.IP{10, 96, 0, 1}}}
		}
		inner = []gopacket.SerializableLayer{ip4, udp, d}
	} else {
		ip4.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: layers.TCPPort(50000 + a), DstPort: 8080, Seq: uint32(seq * f.size), ACK: true, Window: 502}
		_ = tcp.SetNetworkLayerForChecksum(ip4)
		inner = []gopacket.SerializableLayer{ip4, tcp, gopacket.Payload(make([]byte, f.size))}
	}
	outerSrc, outerDst := net.ParseIP(c.ips[a]).To4(), net.ParseIP(c.ips[b]).To4()
	eth := &layers.Ethernet{SrcMAC: c.macs[a], DstMAC: c.macs[b], EthernetType: layers.EthernetTypeIPv4}
	outer := &layers.IPv4{Version: 4, TTL: 64, SrcIP: outerSrc, DstIP: outerDst, Id: id, Flags: layers.IPv4DontFragment}
	var ls []gopacket.SerializableLayer
	switch f.encap {
	case "plain":
		outer.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: 43210, DstPort: 6443, ACK: true, Window: 502}
		_ = tcp.SetNetworkLayerForChecksum(outer)
		ls = []gopacket.SerializableLayer{eth, outer, tcp}
	case "ipip":
		outer.Protocol = layers.IPProtocolIPv4
		ls = append([]gopacket.SerializableLayer{eth, outer}, inner...)
	case "vxlan":
		outer.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: layers.UDPPort(30000 + seq), DstPort: 4789}
		_ = u.SetNetworkLayerForChecksum(outer)
		v := &layers.VXLAN{ValidIDFlag: true, VNI: 4096}
		ieth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0x66, 0, 0, 0, 0, byte(a)}, DstMAC: net.HardwareAddr{0x66, 0, 0, 0, 0, byte(b)}, EthernetType: layers.EthernetTypeIPv4}
		ls = append([]gopacket.SerializableLayer{eth, outer, u, v, ieth}, inner...)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func podAddr(c cluster, f flow, node int) net.IP {
	pods := map[string][]string{
		"ipip":  {"10.40.33.5", "10.40.52.149", "10.40.7.69"},
		"vxlan": {"172.22.140.69", "172.22.19.200", "172.22.201.5"},
		"plain": {"127.0.0.1", "127.0.0.1", "127.0.0.1"},
	}[f.encap]
	return net.ParseIP(pods[node]).To4()
}
