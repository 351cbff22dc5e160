package capture

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// dnsMsg is the part of a DNS message the summary needs, read by hand: the
// header, and the question as a hash (to tell a retransmission from a new
// query reusing an ID) and as raw wire bytes (to name an unanswered query).
type dnsMsg struct {
	id     uint16
	qr     bool
	tc     bool
	opcode uint8
	rcode  uint8
	qd     uint16
	hasQ   bool
	qtype  uint16
	qhash  uint64
	name   []byte // the question name in wire format, within the packet
}

// parseDNS reads b as a DNS message; false when it is too short to be one.
func parseDNS(b []byte, m *dnsMsg) bool {
	if len(b) < 12 {
		return false
	}
	flags := binary.BigEndian.Uint16(b[2:4])
	*m = dnsMsg{
		id:     binary.BigEndian.Uint16(b[0:2]),
		qr:     flags&0x8000 != 0,
		opcode: uint8(flags>>11) & 0x0f,
		tc:     flags&0x0200 != 0,
		rcode:  uint8(flags & 0x000f),
		qd:     binary.BigEndian.Uint16(b[4:6]),
	}
	if m.qd == 0 {
		return true
	}
	off := 12
	for {
		if off >= len(b) || off-12 > 255 {
			return true // question cut short: the header still counts
		}
		l := int(b[off])
		if l == 0 {
			off++
			break
		}
		if l&0xc0 != 0 {
			// A compression pointer has no business in a question;
			// hash up to it so that a response still matches.
			off += 2
			break
		}
		off += 1 + l
	}
	if off+4 > len(b) {
		return true
	}
	m.hasQ = true
	m.name = b[12:off]
	m.qtype = binary.BigEndian.Uint16(b[off : off+2])
	h := uint64(14695981039346656037) // FNV-1a
	for _, c := range b[12 : off+4] {
		h ^= uint64(c)
		h *= 1099511628211
	}
	m.qhash = h
	return true
}

// nameString turns a wire-format name into dotted text, escaping as dig does.
func nameString(wire []byte, cut bool) string {
	var sb strings.Builder
	for len(wire) > 0 {
		l := int(wire[0])
		if l == 0 || l&0xc0 != 0 {
			break
		}
		wire = wire[1:]
		if l > len(wire) {
			l = len(wire)
			cut = true
		}
		for _, c := range wire[:l] {
			switch {
			case c == '.' || c == '\\':
				sb.WriteByte('\\')
				sb.WriteByte(c)
			case c < 0x21 || c > 0x7e:
				sb.WriteByte('\\')
				sb.WriteString(strconv.Itoa(int(c) + 1000)[1:])
			default:
				sb.WriteByte(c)
			}
		}
		sb.WriteByte('.')
		wire = wire[l:]
	}
	if sb.Len() == 0 {
		sb.WriteByte('.')
	}
	if cut {
		sb.WriteString("…")
	}
	return sb.String()
}

var rcodeNames = [16]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15"}

type dnsKey struct {
	client netip.AddrPort
	id     uint16
	tcp    bool
}

const (
	txFree uint8 = iota
	txPending
	txAnswered
	txLate // answered after the timeout: the client had given up
)

// nameBytes is how much of a question name a pending query keeps for the
// unanswered list: long enough for cluster names, short enough to keep the
// table small.
const nameBytes = 80

type transaction struct {
	key      dnsKey
	server   netip.AddrPort
	srv      *serverState
	ns       int64
	num      int
	qhash    uint64
	qtype    uint16
	repeats  int32
	state    uint8
	inTunnel bool
	cut      bool
	nameLen  uint8
	name     [nameBytes]byte
}

type serverState struct {
	DNSServer
}

// dnsTable matches queries to responses. Transactions sit in a ring in arrival
// order and leave it twice the timeout after their first query (or when the
// ring is full), so that responses up to then are still recognised (as late)
// and copies of a query or response seen later do not count as new ones.
// Memory is bounded by the ring's capacity, whatever the capture's size.
type dnsTable struct {
	timeout   int64
	retain    int64
	cap       int
	ring      []transaction
	head, n   int
	headSeq   uint64
	byKey     map[dnsKey]uint64 // sequence number of the live transaction
	servers   map[netip.Addr]*serverState
	srvList   []*serverState
	maxSrv    int
	unlisted  []Transaction
	maxListed int
}

func (t *dnsTable) init(o Options) {
	t.timeout = int64(o.DNSTimeout)
	t.retain = 2 * t.timeout
	t.cap = o.MaxDNSPending
	t.byKey = map[dnsKey]uint64{}
	t.servers = map[netip.Addr]*serverState{}
	t.maxSrv = o.MaxDNSServers
	t.maxListed = o.MaxUnansweredListed
}

func (t *dnsTable) server(st *state, a netip.Addr) *serverState {
	if s, ok := t.servers[a]; ok {
		return s
	}
	if len(t.srvList) >= t.maxSrv {
		return nil
	}
	s := &serverState{DNSServer: DNSServer{Server: a}}
	t.servers[a] = s
	t.srvList = append(t.srvList, s)
	return s
}

func (t *dnsTable) udp(st *state, num int, ns int64, p *pkt, inTunnel bool) {
	var m dnsMsg
	if !parseDNS(p.l4pay, &m) {
		return
	}
	t.message(st, num, ns, p, &m, false, inTunnel)
}

// tcp reads the DNS messages of one segment, each behind its 2-byte length.
// Segments are not reassembled: a segment that continues a message is skipped
// by the plausibility checks (one question, standard query).
func (t *dnsTable) tcp(st *state, num int, ns int64, p *pkt, inTunnel bool) {
	b := p.l4pay
	for len(b) >= 14 {
		l := int(binary.BigEndian.Uint16(b))
		if l < 12 {
			return
		}
		msg := b[2:]
		if l < len(msg) {
			msg = msg[:l]
		}
		var m dnsMsg
		if !parseDNS(msg, &m) || m.qd != 1 || m.opcode != 0 {
			return
		}
		t.message(st, num, ns, p, &m, true, inTunnel)
		if 2+l > len(b) {
			return
		}
		b = b[2+l:]
	}
}

func (t *dnsTable) message(st *state, num int, ns int64, p *pkt, m *dnsMsg, tcp, inTunnel bool) {
	if !m.qr {
		t.query(st, num, ns, p, m, tcp, inTunnel)
	} else {
		t.response(st, num, ns, p, m, tcp)
	}
}

func (t *dnsTable) query(st *state, num int, ns int64, p *pkt, m *dnsMsg, tcp, inTunnel bool) {
	key := dnsKey{client: netip.AddrPortFrom(p.src, p.sport), id: m.id, tcp: tcp}
	if seq, ok := t.byKey[key]; ok {
		tx := t.at(seq)
		if tx.state == txPending && tx.qhash == m.qhash && ns-tx.ns >= t.timeout {
			// The client retried after the timeout: the first query
			// went unanswered, the retry is a transaction of its own
			// (the 5 s delays of a lost DNS packet look like this).
			t.unanswered(tx, false)
			tx.state = txFree
		} else if tx.state != txFree && tx.qhash == m.qhash {
			// The same query again: a retransmission, or a copy seen
			// on another interface or after DNAT. It belongs to the
			// server it was first sent to.
			tx.repeats++
			s := tx.srv
			s.Queries++
			s.Repeats++
			if tcp {
				s.TCPQueries++
			}
			if inTunnel {
				s.InTunnel++
			}
			return
		}
	}
	srv := t.server(st, p.dst)
	if srv == nil {
		st.s.DNSOtherQueries++
		return
	}
	srv.Queries++
	if srv.FirstQueryPacket == 0 {
		srv.FirstQueryPacket = num
	}
	if tcp {
		srv.TCPQueries++
	}
	if inTunnel {
		srv.InTunnel++
	}
	tx := t.push(st, ns)
	*tx = transaction{key: key, server: netip.AddrPortFrom(p.dst, p.dport), srv: srv, ns: ns, num: num, qhash: m.qhash, qtype: m.qtype, state: txPending, inTunnel: inTunnel}
	n := copy(tx.name[:], m.name)
	tx.nameLen = uint8(n)
	tx.cut = n < len(m.name) || (m.qd > 0 && !m.hasQ)
	t.byKey[key] = t.headSeq + uint64(t.n-1)
}

func (t *dnsTable) response(st *state, num int, ns int64, p *pkt, m *dnsMsg, tcp bool) {
	key := dnsKey{client: netip.AddrPortFrom(p.dst, p.dport), id: m.id, tcp: tcp}
	var tx *transaction
	if seq, ok := t.byKey[key]; ok {
		tx = t.at(seq)
		// A response that names a different question answers another
		// query (an ID reused after the one we hold).
		if tx.state == txFree || (m.hasQ && tx.qhash != m.qhash) {
			tx = nil
		}
	}
	if tx == nil {
		s := t.server(st, p.src)
		if s != nil {
			s.Responses++
			s.Unmatched++
			if m.tc && !tcp {
				s.TruncatedResponses++
			}
		}
		return
	}
	s := tx.srv
	s.Responses++
	if m.tc && !tcp {
		s.TruncatedResponses++
	}
	if tx.state != txPending {
		s.Repeats++ // a copy of a response already matched
		return
	}
	lat := ns - tx.ns
	if lat > t.timeout {
		tx.state = txLate
		s.Late++
		return
	}
	tx.state = txAnswered
	s.Answered++
	if s.RCodes == nil {
		s.RCodes = map[string]int{}
	}
	s.RCodes[rcodeNames[m.rcode&0x0f]]++
	if lat < 0 {
		lat = 0 // a response stamped before its query (clock steps, merged files)
	}
	s.LatencySumNs += lat
	if lat > s.LatencyMaxNs {
		s.LatencyMaxNs = lat
	}
	if a := p.src; a != tx.server.Addr() && len(s.AnsweredBy) < 8 && !containsAddr(s.AnsweredBy, a) {
		s.AnsweredBy = append(s.AnsweredBy, a)
	}
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func (t *dnsTable) at(seq uint64) *transaction {
	return &t.ring[(t.head+int(seq-t.headSeq))%len(t.ring)]
}

// push appends a transaction slot, growing the ring up to its cap and evicting
// the oldest transaction when full.
func (t *dnsTable) push(st *state, now int64) *transaction {
	if t.n == len(t.ring) {
		if len(t.ring) < t.cap {
			size := 2 * len(t.ring)
			if size < 64 {
				size = 64
			}
			if size > t.cap {
				size = t.cap
			}
			ring := make([]transaction, size)
			for i := 0; i < t.n; i++ {
				ring[i] = t.ring[(t.head+i)%len(t.ring)]
			}
			t.ring, t.head = ring, 0
		} else {
			t.compact(st)
			// Keep an eighth of the ring free, so that a table full of
			// pending queries is not compacted at every query.
			for t.n > len(t.ring)-len(t.ring)/8 {
				t.pop(st, now, true)
			}
		}
	}
	tx := &t.ring[(t.head+t.n)%len(t.ring)]
	t.n++
	return tx
}

// compact drops the transactions that are decided (answered, or answered too
// late) from a full ring, so that the queries still waiting keep their places
// until their timeout: in a busy capture almost every transaction is answered
// within milliseconds, and only the few that are not need the memory.
func (t *dnsTable) compact(st *state) {
	if t.head != 0 {
		slices.Reverse(t.ring[:t.head])
		slices.Reverse(t.ring[t.head:])
		slices.Reverse(t.ring)
		t.head = 0
	}
	w := 0
	for i := 0; i < t.n; i++ {
		tx := &t.ring[i]
		oldSeq := t.headSeq + uint64(i)
		seq, mapped := t.byKey[tx.key]
		mapped = mapped && seq == oldSeq
		if tx.state == txPending {
			if mapped {
				t.byKey[tx.key] = t.headSeq + uint64(w)
			}
			if w != i {
				t.ring[w] = *tx
			}
			w++
			continue
		}
		if tx.state == txLate {
			t.unanswered(tx, false)
		}
		if mapped {
			delete(t.byKey, tx.key)
		}
	}
	clear(t.ring[w:t.n])
	t.n = w
}

// pop retires the oldest transaction: unanswered if still pending (or answered
// too late), evicted when the ring is full before its timeout.
func (t *dnsTable) pop(st *state, now int64, full bool) {
	tx := &t.ring[t.head]
	if seq, ok := t.byKey[tx.key]; ok && seq == t.headSeq {
		delete(t.byKey, tx.key)
	}
	switch tx.state {
	case txPending:
		if full && now-tx.ns < t.timeout {
			st.s.DNSEvicted++
		} else {
			t.unanswered(tx, false)
		}
	case txLate:
		t.unanswered(tx, false)
	}
	tx.state = txFree
	tx.srv = nil
	t.head = (t.head + 1) % len(t.ring)
	t.n--
	t.headSeq++
}

func (t *dnsTable) unanswered(tx *transaction, atEnd bool) {
	s := tx.srv
	s.Unanswered++
	if atEnd {
		s.UnansweredAtEnd++
	}
	if s.FirstUnansweredPacket == 0 || tx.num < s.FirstUnansweredPacket {
		s.FirstUnansweredPacket = tx.num
	}
	if len(t.unlisted) < t.maxListed {
		proto := "udp"
		if tx.key.tcp {
			proto = "tcp"
		}
		t.unlisted = append(t.unlisted, Transaction{
			ID: tx.key.id, Proto: proto, Client: tx.key.client, Server: tx.server,
			Name: nameString(tx.name[:tx.nameLen], tx.cut), QType: tx.qtype,
			Packet: tx.num, TimeNs: tx.ns, Repeats: int(tx.repeats), InTunnel: tx.inTunnel, AtEnd: atEnd,
		})
	}
}

// expire retires the transactions older than the retention time.
func (t *dnsTable) expire(st *state, now int64) {
	for t.n > 0 && now-t.ring[t.head].ns >= t.retain {
		t.pop(st, now, false)
	}
}

// finish retires what is left: a query still pending at the end of the capture
// is unanswered, marked AtEnd when it was younger than the timeout.
func (t *dnsTable) finish(st *state) {
	for t.n > 0 {
		tx := &t.ring[t.head]
		if tx.state == txPending && st.maxNs-tx.ns < t.timeout {
			t.unanswered(tx, true)
			tx.state = txFree
		}
		t.pop(st, st.maxNs, false)
	}
	s := st.s
	sort.SliceStable(t.unlisted, func(i, j int) bool { return t.unlisted[i].Packet < t.unlisted[j].Packet })
	s.DNSUnanswered = append(s.DNSUnanswered, t.unlisted...)
	for _, srv := range t.srvList {
		s.DNS = append(s.DNS, srv.DNSServer)
	}
	sort.SliceStable(s.DNS, func(i, j int) bool {
		if s.DNS[i].Queries != s.DNS[j].Queries {
			return s.DNS[i].Queries > s.DNS[j].Queries
		}
		return s.DNS[i].Responses > s.DNS[j].Responses
	})
}
