// Package capture summarises the packet captures of a bundle (pcap/IFNAME.pcap, as
// written by `tcpdump -i IFNAME -w` or `tcpdump -i any -w`, pcap or pcapng, possibly
// gzip'd) into what the runbook's last resort asks of tcpdump on both ends of a
// tunnel: which IP-in-IP (IP protocol 4) and VXLAN (UDP 4789/8472) packets went from
// which node to which, what they carried, whether DNS queries got answers, and which
// ICMP errors (fragmentation needed, unreachable, time exceeded) were seen.
//
// Summarize streams: memory is bounded by the options' caps, not by the capture's
// size. Packet decoding uses gopacket's DecodingLayerParser over layers allocated
// once per call; DNS headers are read by hand because gopacket's DNS layer
// allocates per packet. Outer and inner headers of a tunnel are decoded by two
// separate layer sets, since a parser keeps one decoder per layer type.
package capture

import (
	"net/netip"
	"time"
)

// Encapsulations a TunnelFlow can have.
const (
	EncapIPIP  = "ipip"
	EncapVXLAN = "vxlan"
)

// ICMP error kinds of ICMPError.Type.
const (
	ICMPFragNeeded       = "frag-needed" // ICMPv4 3/4, ICMPv6 packet too big
	ICMPPortUnreachable  = "port-unreachable"
	ICMPHostUnreachable  = "host-unreachable"
	ICMPNetUnreachable   = "net-unreachable"
	ICMPTimeExceeded     = "time-exceeded"
	ICMPOtherUnreachable = "other-unreachable" // admin-prohibited and the rest
)

// Options bound what Summarize tracks. The zero value means the defaults.
type Options struct {
	// VXLANPorts are the UDP ports decoded as VXLAN, as source or destination
	// port (as Wireshark does). Default 4789 (IANA, Calico) and 8472 (Linux
	// default, flannel).
	VXLANPorts []uint16
	// DNSTimeout is how long a query waits for its response before it counts
	// as unanswered; a later response is counted as Late. Default 5 s, the
	// resolver's default timeout.
	DNSTimeout time.Duration
	// MaxDNSPending caps the table of queries waiting for a response; when it
	// is full the oldest query leaves it (DNSEvicted) and is kept as a count
	// per server and time of query. Default 16384: about 2.5 MB, small enough
	// to stay in cache in a storm, where it is full.
	MaxDNSPending int
	// MaxDNSServers caps the servers listed; queries to further servers are
	// counted in DNSOtherQueries. Default 1024.
	MaxDNSServers int
	// MaxUnansweredListed caps Summary.DNSUnanswered. Default 100.
	MaxUnansweredListed int
	// MaxTunnels caps the tunnel flows listed; packets of further flows are
	// counted in TunnelOtherPackets. Default 4096.
	MaxTunnels int
	// MaxInnerFlows caps the inner flows kept per tunnel flow; packets of
	// further inner flows are counted in TunnelFlow.InnerOther. Default 64.
	MaxInnerFlows int
	// MaxICMP caps the distinct ICMP errors listed. Default 1024.
	MaxICMP int
}

func (o Options) withDefaults() Options {
	if len(o.VXLANPorts) == 0 {
		o.VXLANPorts = []uint16{4789, 8472}
	}
	if o.DNSTimeout <= 0 {
		o.DNSTimeout = 5 * time.Second
	}
	if o.MaxDNSPending <= 0 {
		o.MaxDNSPending = 16384
	}
	if o.MaxDNSServers <= 0 {
		o.MaxDNSServers = 1024
	}
	if o.MaxUnansweredListed <= 0 {
		o.MaxUnansweredListed = 100
	}
	if o.MaxTunnels <= 0 {
		o.MaxTunnels = 4096
	}
	if o.MaxInnerFlows <= 0 {
		o.MaxInnerFlows = 64
	}
	if o.MaxICMP <= 0 {
		o.MaxICMP = 1024
	}
	return o
}

// Summary is what a capture says about tunnels, DNS and ICMP errors. Packet
// numbers are 1-based record numbers in the file, as tcpdump -# and Wireshark's
// frame.number count them, so a finding can say "pcap/eth0.pcap packet 1234".
// Byte counts are frame lengths on the wire (the original length, not the
// captured length), as Wireshark's conversation table counts them.
type Summary struct {
	Format   string `json:"format"`   // "pcap", "pcapng", "pcap.gz", "pcapng.gz"
	LinkType string `json:"linkType"` // of the file, or the first interface of a pcapng

	Packets int64 `json:"packets"`
	Bytes   int64 `json:"bytes"`
	FirstNs int64 `json:"firstNs"` // Unix ns of the earliest packet
	LastNs  int64 `json:"lastNs"`

	// NonIP counts frames that carry neither IPv4 nor IPv6 (ARP, LLDP, ...).
	NonIP int64 `json:"nonIP"`
	// Snapped counts packets cut by the capture's snap length.
	Snapped     int64       `json:"snapped"`
	Undecodable Undecodable `json:"undecodable"`
	// NotSummarised counts the packets of a pcapng on interfaces past
	// MaxInterfaces: counted in Packets and Bytes, not read.
	NotSummarised int64 `json:"notSummarised,omitempty"`
	// Truncated is set when the file ends inside a record or a record is
	// corrupt: what was read before is summarised.
	Truncated bool `json:"truncated"`

	Tunnels            []TunnelFlow `json:"tunnels"` // most packets first
	TunnelOtherPackets int64        `json:"tunnelOtherPackets,omitempty"`
	// VXLANPortOther counts UDP packets on a VXLAN port that carry no VXLAN
	// header: not counted as tunnel packets, and read as DNS when a port is 53.
	VXLANPortOther int64 `json:"vxlanPortOther,omitempty"`

	DNS             []DNSServer   `json:"dns"` // most queries first
	DNSUnanswered   []Transaction `json:"dnsUnanswered"`
	DNSOtherQueries int64         `json:"dnsOtherQueries,omitempty"`
	// DNSEvicted counts queries that left a full pending table before their
	// timeout. They are counted all the same: answered if an answer from
	// their server came within the timeout, else unanswered (or pending at
	// the end); only their latency and their place in DNSUnanswered are
	// lost, beyond the first MaxUnansweredListed.
	DNSEvicted int64 `json:"dnsEvicted,omitempty"`

	ICMP      []ICMPError `json:"icmp"` // most frequent first
	ICMPOther int64       `json:"icmpOther,omitempty"`
}

// Undecodable counts packets a decoder rejected (a malformed header, or a
// decoder panic on hostile data) although they were captured whole, and
// packets of link types this package does not decode.
type Undecodable struct {
	Count       int64  `json:"count"`
	FirstPacket int    `json:"firstPacket,omitempty"`
	FirstReason string `json:"firstReason,omitempty"`
}

// TunnelFlow is one direction of an encapsulated path: outer source to outer
// destination, with one encapsulation (and VNI for VXLAN).
type TunnelFlow struct {
	Src         netip.Addr `json:"src"`
	Dst         netip.Addr `json:"dst"`
	Encap       string     `json:"encap"`
	VNI         uint32     `json:"vni,omitempty"`
	Packets     int64      `json:"packets"`
	Bytes       int64      `json:"bytes"`
	FirstNs     int64      `json:"firstNs"`
	LastNs      int64      `json:"lastNs"`
	FirstPacket int        `json:"firstPacket"`
	// Fragments counts outer IP fragments: encapsulated packets larger than
	// the underlay MTU, the mark of a tunnel MTU set too high.
	Fragments int64       `json:"fragments,omitempty"`
	Inner     []InnerFlow `json:"inner"` // most packets first
	// InnerOther counts packets whose inner flow was not kept (over the cap,
	// not IP, or not decodable).
	InnerOther int64 `json:"innerOther,omitempty"`
}

// InnerFlow is one inner (pod to pod) flow a tunnel flow carried. Ports are 0
// for protocols without ports; DNS flows (port 53) are counted per client and
// server, their ephemeral port 0, since each query has a port of its own.
type InnerFlow struct {
	Src     netip.Addr `json:"src"`
	Dst     netip.Addr `json:"dst"`
	Proto   uint8      `json:"proto"` // IP protocol number: 6 TCP, 17 UDP, 1 ICMP
	SrcPort uint16     `json:"srcPort,omitempty"`
	DstPort uint16     `json:"dstPort,omitempty"`
	Packets int64      `json:"packets"`
}

// DNSServer is the DNS traffic to one server address: the address queries
// were sent to (a Service VIP before DNAT, a pod IP after). A transaction is a
// query (client address and port, ID, question); copies of it (client
// retransmissions, or the same query seen again on another interface of a
// `tcpdump -i any` capture or after DNAT) are counted in Queries and Repeats
// but make no new transaction, so Answered+Unanswered counts transactions.
type DNSServer struct {
	Server    netip.Addr `json:"server"`
	Queries   int        `json:"queries"`   // query packets
	Responses int        `json:"responses"` // response packets
	Answered  int        `json:"answered"`
	// Unanswered counts the transactions that got no answer within the
	// timeout (Late ones included), whatever the rate: a query that left
	// a full pending table is counted all the same (see DNSEvicted).
	Unanswered int `json:"unanswered"`
	// PendingAtEnd counts the queries still within their timeout when the
	// capture ended: perhaps answered after it, so in neither Answered nor
	// Unanswered.
	PendingAtEnd int `json:"pendingAtEnd,omitempty"`
	// AnsweredAfterEviction is the part of Answered whose query had left a
	// full pending table: matched by count (the oldest such query of the
	// server within its timeout), without a latency.
	AnsweredAfterEviction int `json:"answeredAfterEviction,omitempty"`
	Repeats               int `json:"repeats,omitempty"` // query copies
	// RepeatedResponses counts copies of a response already matched.
	RepeatedResponses int `json:"repeatedResponses,omitempty"`
	// Late counts responses that came after the timeout (the client had
	// given up); Unmatched, responses to no query seen (sent before the
	// capture started, or to a query already answered).
	Late       int `json:"late,omitempty"`
	Unmatched  int `json:"unmatched,omitempty"`
	TCPQueries int `json:"tcpQueries,omitempty"`
	// TruncatedResponses counts UDP responses with the TC bit: the client
	// has to retry over TCP.
	TruncatedResponses int `json:"truncatedResponses,omitempty"`
	InTunnel           int `json:"inTunnel,omitempty"` // query packets seen inside IPIP/VXLAN
	// RCodes counts the responses by code ("NOERROR", "NXDOMAIN",
	// "SERVFAIL", ...), copies of a response already matched excepted.
	RCodes       map[string]int `json:"rcodes,omitempty"`
	LatencyMaxNs int64          `json:"latencyMaxNs"`
	LatencySumNs int64          `json:"latencySumNs"` // over Answered - AnsweredAfterEviction
	// AnsweredBy lists response source addresses other than Server (the
	// pod IP behind a VIP), when DNAT happened before the capture point.
	AnsweredBy            []netip.Addr `json:"answeredBy,omitempty"`
	FirstQueryPacket      int          `json:"firstQueryPacket"`
	FirstUnansweredPacket int          `json:"firstUnansweredPacket,omitempty"`
	// FirstPendingPacket is the first query of those pending at the end
	// that the capture kept whole (evicted ones are counted only).
	FirstPendingPacket int `json:"firstPendingPacket,omitempty"`
}

// Transaction is one DNS query, as listed when it got no answer.
type Transaction struct {
	ID       uint16         `json:"id"`
	Proto    string         `json:"proto"` // "udp" or "tcp"
	Client   netip.AddrPort `json:"client"`
	Server   netip.AddrPort `json:"server"`
	Name     string         `json:"name"` // as queried; "…" ends a name cut short
	QType    uint16         `json:"qtype"`
	Packet   int            `json:"packet"` // of the first query packet
	TimeNs   int64          `json:"timeNs"`
	Repeats  int            `json:"repeats,omitempty"`
	InTunnel bool           `json:"inTunnel,omitempty"`
	// AtEnd: no answer yet, but younger than the timeout when the capture
	// ended.
	AtEnd bool `json:"atEnd,omitempty"`
}

// ICMPError is one kind of ICMP error from one sender to one receiver about one
// destination, counted. Src and Dst are those of the ICMP packet (the router or
// host complaining, and the sender of the offending packet); Quoted* are from
// the offending packet's headers the error quotes.
type ICMPError struct {
	Type        string         `json:"type"`
	ICMPType    uint8          `json:"icmpType"`
	ICMPCode    uint8          `json:"icmpCode"`
	Src         netip.Addr     `json:"src"`
	Dst         netip.Addr     `json:"dst"`
	QuotedProto uint8          `json:"quotedProto,omitempty"`
	QuotedSrc   netip.AddrPort `json:"quotedSrc"` // of the first error
	QuotedDst   netip.AddrPort `json:"quotedDst"`
	MTU         int            `json:"mtu,omitempty"` // frag-needed only
	Count       int64          `json:"count"`
	FirstPacket int            `json:"firstPacket"`
	InTunnel    bool           `json:"inTunnel,omitempty"`
}
