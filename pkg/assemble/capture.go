package assemble

import (
	"fmt"
	"net/netip"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/celext"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

// maxClockSkew is how far apart two nodes' clocks are allowed to be when their
// captures are compared: NTP keeps nodes within milliseconds, a node without
// it drifts seconds.
const maxClockSkew = 2 * time.Second

func pktRef(n *load.Node, file string, packet int, text string) facts.Ref {
	return facts.PacketRef(n.Name, file, packet, text)
}

// captures turns each node's capture summaries into facts, then joins what
// senders and receivers saw of each tunnel direction.
func (b *builder) captures() {
	for i, ln := range b.nodes {
		n := &b.c.Nodes[i]
		paths := make([]string, 0, len(ln.Captures))
		for p, s := range ln.Captures {
			if s != nil && s.Packets > 0 {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths)
		for _, p := range paths {
			n.Captures = append(n.Captures, captureFact(ln, p, ln.Captures[p]))
		}
		if len(n.Captures) > 0 {
			n.Has[facts.HasCapture] = true
		}
	}
	b.capturedSend()
	b.tunnelPaths()
}

func captureFact(n *load.Node, file string, s *capture.Summary) facts.Capture {
	base := path.Base(file)
	fc := facts.Capture{
		File: file, Iface: strings.TrimSuffix(strings.TrimSuffix(base, path.Ext(base)), ".pcap"),
		StartMs: int(s.FirstNs / 1e6), EndMs: int(s.LastNs / 1e6), Packets: int(s.Packets),
		Ref: facts.FileRef(n.Name, file),
	}
	for _, t := range s.Tunnels {
		fc.Tunnels = append(fc.Tunnels, facts.TunnelFlow{
			Src: t.Src.String(), Dst: t.Dst.String(), Encap: t.Encap,
			Packets: int(t.Packets), Bytes: int(t.Bytes), FirstMs: int(t.FirstNs / 1e6), LastMs: int(t.LastNs / 1e6),
			Ref: pktRef(n, file, t.FirstPacket, fmt.Sprintf("first of %d %s packets %s > %s", t.Packets, t.Encap, t.Src, t.Dst)),
		})
	}
	for _, d := range s.DNS {
		// Queries still within their timeout when the capture stopped may have
		// been answered after it: the summary counts them apart. Those that
		// had already waited far longer than the server takes to answer are
		// unanswered all the same.
		stale := staleAtEnd(s, d)
		un := d.Unanswered + stale
		ref := pktRef(n, file, d.FirstQueryPacket, fmt.Sprintf("first query to %s", d.Server))
		if first := d.FirstUnansweredPacket; un > 0 && (first > 0 || d.FirstPendingPacket > 0) {
			if first == 0 || (d.FirstPendingPacket > 0 && d.Unanswered == 0) {
				first = d.FirstPendingPacket
			}
			ref = pktRef(n, file, first, fmt.Sprintf("first unanswered query to %s", d.Server))
		}
		fc.DNS = append(fc.DNS, facts.DNSServer{
			Server: d.Server.String(), Queries: d.Answered + d.Unanswered + d.PendingAtEnd, Answered: d.Answered, Unanswered: un, Pending: d.PendingAtEnd - stale, Ref: ref,
		})
	}
	for _, e := range s.ICMP {
		fe := facts.ICMPError{
			Type: e.Type, Src: e.Src.String(), Dst: e.Dst.String(), MTU: e.MTU, Count: int(e.Count),
			Ref:         pktRef(n, file, e.FirstPacket, fmt.Sprintf("%s from %s about %s", e.Type, e.Src, e.QuotedDst)),
			QuotedProto: protoName(e.QuotedProto),
		}
		if e.QuotedDst.IsValid() {
			fe.QuotedDst, fe.QuotedPort = e.QuotedDst.Addr().String(), int(e.QuotedDst.Port())
		}
		fc.ICMP = append(fc.ICMP, fe)
	}
	return fc
}

func protoName(p uint8) string {
	switch p {
	case 0:
		return ""
	case 6:
		return "tcp"
	case 17:
		return "udp"
	}
	return fmt.Sprint(p)
}

// pendingGrace is how long a query may wait, when the capture ends, and still
// be taken for one whose answer is on its way. A DNS server in a cluster
// answers in milliseconds; the resolver's 5 s timeout is the client's
// patience, not the server's speed, and with captures of a few seconds it
// would excuse every query of a server that never answers.
const pendingGrace = time.Second

// staleAtEnd counts the queries to d's server pending at the end of the
// capture that had waited longer than pendingGrace, or twice the slowest
// answer the server gave in the capture. Only listed transactions are known
// by time; a capture listing none of them counts none.
func staleAtEnd(s *capture.Summary, d capture.DNSServer) int {
	if d.PendingAtEnd == 0 {
		return 0
	}
	grace := max(int64(pendingGrace), 2*d.LatencyMaxNs)
	n := 0
	for _, tx := range s.DNSUnanswered {
		if tx.AtEnd && tx.Server.Addr() == d.Server && s.LastNs-tx.TimeNs > grace {
			n++
		}
	}
	return min(n, d.PendingAtEnd)
}

// owner names the node an outer tunnel address belongs to: one of its own
// addresses, or the address peers route it by.
func (b *builder) owner(addr string) string {
	a, err := celext.ParseAddr(addr)
	if err != nil {
		return ""
	}
	if b.owners == nil {
		b.indexOwners()
	}
	if name, ok := b.owners[a.WithZone("").Unmap()]; ok {
		return name
	}
	return b.facing[addr]
}

// indexOwners maps every node address to the first node (in cluster order)
// holding it, as celext.NodeOwningIP answers, and the peer-facing and send
// addresses likewise: a node's links carry thousands of addresses (kube-ipvs0
// holds every Service IP), and scanning every node's for each tunnel flow
// made the captures of a fleet cost N² parses.
func (b *builder) indexOwners() {
	b.owners = map[netip.Addr]string{}
	b.facing = map[string]string{}
	add := func(s, name string, parse func(string) (netip.Addr, error)) {
		a, err := parse(s)
		if err != nil {
			return
		}
		a = a.WithZone("").Unmap()
		if _, ok := b.owners[a]; !ok {
			b.owners[a] = name
		}
	}
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		for _, s := range n.IPs {
			add(s, n.Name, celext.AddrOf)
		}
		if n.InternalIP != "" {
			add(n.InternalIP, n.Name, celext.ParseAddr)
		}
		for _, l := range n.Links {
			for _, s := range l.Addrs {
				add(s, n.Name, celext.AddrOf)
			}
		}
	}
	for _, n := range b.c.Nodes {
		for _, s := range []string{n.PeerFacingIP, n.SendIP} {
			if _, ok := b.facing[s]; !ok && s != "" {
				b.facing[s] = n.Name
			}
		}
	}
}

// capturedSend lists the outer source addresses a node's own captures show its
// tunnel packets to other nodes leaving with.
func (b *builder) capturedSend() {
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		seen := map[string]*facts.AddrSeen{}
		var order []string
		for _, c := range n.Captures {
			for _, t := range c.Tunnels {
				dst := b.owner(t.Dst)
				if dst == "" || dst == n.Name || b.owner(t.Src) != n.Name {
					continue
				}
				s, ok := seen[t.Src]
				if !ok {
					s = &facts.AddrSeen{IP: t.Src, Ref: t.Ref}
					seen[t.Src] = s
					order = append(order, t.Src)
				}
				s.Packets += t.Packets
			}
		}
		for _, ip := range order {
			n.CapturedSend = append(n.CapturedSend, *seen[ip])
		}
		sort.SliceStable(n.CapturedSend, func(x, y int) bool { return n.CapturedSend[x].Packets > n.CapturedSend[y].Packets })
	}
}

type pathKey struct{ from, to, encap, src, dst string }

// tunnelPaths compares, for each tunnel direction a sender's capture shows,
// what the receiver's captures saw over the time both were capturing.
func (b *builder) tunnelPaths() {
	c := b.c
	byName := map[string]*facts.Node{}
	for i := range c.Nodes {
		byName[c.Nodes[i].Name] = &c.Nodes[i]
	}
	skew := int(maxClockSkew / time.Millisecond)
	paths := map[pathKey]*facts.TunnelPath{}
	var order []pathKey
	for i := range c.Nodes {
		a := &c.Nodes[i]
		for _, ca := range a.Captures {
			for _, t := range ca.Tunnels {
				if b.owner(t.Src) != a.Name {
					continue
				}
				to := b.owner(t.Dst)
				if to == "" || to == a.Name {
					continue
				}
				k := pathKey{a.Name, to, t.Encap, t.Src, t.Dst}
				p, ok := paths[k]
				if !ok {
					p = &facts.TunnelPath{From: a.Name, To: to, Encap: t.Encap, Src: t.Src, Dst: t.Dst, Received: -1, SentRef: t.Ref}
					paths[k] = p
					order = append(order, k)
				}
				recv := byName[to]
				if len(recv.Captures) == 0 {
					p.Sent = max(p.Sent, t.Packets)
					p.Why = "no capture on " + to
					continue
				}
				if dev := uncapturedHolder(recv, t.Dst); dev != "" {
					// The packets arrive where no capture looked: their
					// absence from the captures says nothing.
					p.Sent = max(p.Sent, t.Packets)
					p.Why = fmt.Sprintf("%s's captures do not include %s, which holds %s", to, dev, t.Dst)
					continue
				}
				// The receiver's captures that ran while these packets were sent.
				got, overlapped := 0, false
				var ref facts.Ref
				for _, cb := range recv.Captures {
					if t.LastMs < cb.StartMs-skew || t.FirstMs > cb.EndMs+skew {
						continue
					}
					overlapped = true
					for _, u := range cb.Tunnels {
						if u.Src == t.Src && u.Dst == t.Dst && u.Encap == t.Encap && u.Packets > got {
							got, ref = u.Packets, u.Ref
						}
					}
				}
				if !overlapped {
					if p.Received < 0 {
						p.Sent = max(p.Sent, t.Packets)
						p.Why = fmt.Sprintf("the captures of %s and %s do not overlap in time (%s sent %s–%s; allowing %s of clock skew)",
							a.Name, to, a.Name, msTime(t.FirstMs), msTime(t.LastMs), maxClockSkew)
					}
					continue
				}
				if p.Received < 0 {
					p.Sent, p.Why = 0, ""
				}
				p.Sent = max(p.Sent, t.Packets)
				if got >= p.Received {
					p.Received, p.RecvRef = got, ref
				}
			}
		}
	}
	for _, k := range order {
		p := paths[k]
		p.DeliveredDNS = -1
		if p.Received > 0 {
			b.delivered(p)
		}
		c.TunnelPaths = append(c.TunnelPaths, *p)
	}
}

// delivered compares the DNS traffic the path's tunnel packets carried into the
// receiver (as its uplink capture shows them arriving) with what the
// receiver's capture on its tunnel device shows coming out of the tunnel: a
// packet seen on the wire but never decapsulated was dropped by the receiving
// host itself (its firewall, rp_filter, a VXLAN port or VNI it does not
// listen on), which the sender's and receiver's uplink captures alone cannot
// tell from a healthy path.
func (b *builder) delivered(p *facts.TunnelPath) {
	var ln *load.Node
	var fn *facts.Node
	for i := range b.c.Nodes {
		if b.c.Nodes[i].Name == p.To && i < len(b.nodes) {
			ln, fn = b.nodes[i], &b.c.Nodes[i]
		}
	}
	if ln == nil || p.RecvRef.File() == "" {
		return
	}
	sum := ln.Captures[p.RecvRef.File()]
	if sum == nil {
		return
	}
	// DNS inside the arriving packets: answers from, queries to each server.
	answersFrom, queriesTo := map[string]int{}, map[string]int{}
	for _, t := range sum.Tunnels {
		if t.Src.String() != p.Src || t.Dst.String() != p.Dst || t.Encap != p.Encap {
			continue
		}
		for _, in := range t.Inner {
			switch {
			case in.Proto != 17:
			case in.SrcPort == 53:
				answersFrom[in.Src.String()] += int(in.Packets)
				p.ArrivedDNS += int(in.Packets)
			case in.DstPort == 53:
				queriesTo[in.Dst.String()] += int(in.Packets)
				p.ArrivedDNS += int(in.Packets)
			}
		}
	}
	if p.ArrivedDNS == 0 {
		return
	}
	var recv *facts.Capture
	for i := range fn.Captures {
		if fn.Captures[i].File == p.RecvRef.File() {
			recv = &fn.Captures[i]
		}
	}
	if recv == nil {
		return
	}
	for i := range fn.Captures {
		dc := &fn.Captures[i]
		if !tunnelDevice(fn, dc.Iface, p.Encap) || dc.EndMs < recv.StartMs || dc.StartMs > recv.EndMs {
			continue
		}
		ds := ln.Captures[dc.File]
		if ds == nil {
			continue
		}
		got := 0
		for _, d := range ds.DNS {
			got += min(d.Responses, answersFrom[d.Server.String()]) + min(d.Queries, queriesTo[d.Server.String()])
		}
		if p.DeliveredDNS < 0 || got > p.DeliveredDNS {
			p.DeliveredDNS, p.Device, p.DeliveredRef = got, dc.Iface, dc.Ref
		}
	}
}

// uncapturedHolder names the interface of n holding addr when no capture of n
// ran on it (nor on a port of it, as a bridge's or bond's): the packets sent to
// addr arrive there. Addresses on lo or a dummy device are reached through
// whichever NIC routes them, so any capture may see those.
func uncapturedHolder(n *facts.Node, addr string) string {
	dev, kind := "", ""
	for _, l := range n.Links {
		for _, a := range l.Addrs {
			if pfx, _, _ := strings.Cut(a, "/"); pfx == addr {
				dev, kind = l.Name, l.Kind
			}
		}
	}
	if dev == "" || kind == "loopback" || kind == "dummy" {
		return ""
	}
	ports := map[string]bool{dev: true, "any": true}
	for _, l := range n.Links {
		if l.Master == dev {
			ports[l.Name] = true
		}
	}
	for _, c := range n.Captures {
		if ports[c.Iface] {
			return ""
		}
	}
	return dev
}

// tunnelDevice says whether iface is the node's device of encapsulation encap.
func tunnelDevice(n *facts.Node, iface, encap string) bool {
	for _, l := range n.Links {
		if l.Name == iface {
			return l.Kind == encap
		}
	}
	return false
}

func msTime(ms int) string {
	return time.UnixMilli(int64(ms)).UTC().Format("15:04:05.000")
}
