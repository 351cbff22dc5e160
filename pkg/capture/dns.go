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
	m.qhash = hashBytes(b[12 : off+4])
	return true
}

// hashBytes is a multiply-xor hash eight bytes at a time: only equality of
// questions matters, not resistance to crafted input.
func hashBytes(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	h = (h ^ tail) * 0x94d049bb133111eb
	return h ^ h>>29
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
	h        uint32 // hashKey(key), the index slot's high half
	mapped   bool   // the index points at this transaction
	sport    uint16 // the server's port; its address is srv.Server
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
	// evicted counts the queries that left a full pending table before
	// their timeout, by time of query: an answer from this server that
	// matches no pending query answers the oldest of them still within its
	// timeout, and those left when a run's timeout passes are unanswered.
	// The count is kept, not the queries, so that a storm of any rate fits
	// in at most runsPerTimeout runs.
	evicted     []evictedRun
	evictedHead int
}

// evictedRun counts evicted queries first sent within one runWidth.
type evictedRun struct {
	firstNs, lastNs int64
	count           int32
	firstNum        int32 // packet number of the run's first query
}

// runsPerTimeout bounds the evicted runs a server holds: runs are at least
// timeout/runsPerTimeout wide, and a run leaves once its last query's timeout
// has passed. A wider run only blurs, by its width, when its queries time out.
const runsPerTimeout = 1024

func (s *serverState) liveRuns() []evictedRun { return s.evicted[s.evictedHead:] }

// addEvicted counts one evicted query sent at ns (packet num).
func (s *serverState) addEvicted(ns int64, num int, width int64) {
	if r := s.liveRuns(); len(r) > 0 {
		last := &r[len(r)-1]
		if ns < last.firstNs+width {
			last.count++
			last.lastNs = max(last.lastNs, ns)
			last.firstNs = min(last.firstNs, ns)
			return
		}
	}
	if s.evictedHead > 0 && s.evictedHead == len(s.evicted) {
		s.evicted, s.evictedHead = s.evicted[:0], 0
	} else if s.evictedHead >= runsPerTimeout {
		n := copy(s.evicted, s.evicted[s.evictedHead:])
		s.evicted, s.evictedHead = s.evicted[:n], 0
	}
	s.evicted = append(s.evicted, evictedRun{firstNs: ns, lastNs: ns, count: 1, firstNum: int32(min(num, 1<<31-1))})
}

func (s *serverState) rcode(rc uint8) {
	if s.RCodes == nil {
		s.RCodes = map[string]int{}
	}
	s.RCodes[rcodeNames[rc&0x0f]]++
}

// dnsTable matches queries to responses. Transactions sit in a ring in arrival
// order and leave it twice the timeout after their first query, so that
// responses up to then are still recognised (as late) and copies of a query or
// response do not count as new ones; when the ring is full, the transactions
// already decided leave first (see push), and a pending query that must leave
// is counted by its server's evicted runs (see serverState). Memory is bounded
// by the ring's capacity and runsPerTimeout runs per server, whatever the
// capture's size or rate.
type dnsTable struct {
	timeout int64
	retain  int64
	cap     int
	ring    []transaction
	head, n int
	headSeq uint64
	// slots index the ring by key: open addressing with linear probing,
	// each slot the key's hash (high 32 bits, never 0) and the low 32
	// bits of the transaction's sequence number. Smaller than a Go map of
	// the keys by a factor of five, so that it stays in cache.
	slots     []uint64
	nslots    int
	servers   map[netip.Addr]*serverState // IPv6 ones
	srv4      table4                      // IPv4 ones: index into srvList
	lastSrv   *serverState
	srvList   []*serverState
	maxSrv    int
	unlisted  []Transaction
	maxListed int
	// decided counts the answered (or late) transactions in the ring: a
	// full ring is compacted only when that frees a good part of it.
	decided int
	// withRuns are the servers holding evicted runs; nextRunEnd is the
	// earliest time one of those runs times out.
	withRuns   []*serverState
	nextRunEnd int64
	runWidth   int64
	// samples are evicted queries kept whole while the unanswered list has
	// room, so that it names real queries in a storm too: the first
	// evicted ones, oldest first, indexed by key.
	samples     []transaction
	sampleIndex map[dnsKey]int // into samples, offset by samplesHead
	samplesHead int
}

func (t *dnsTable) init(o Options) {
	t.timeout = int64(o.DNSTimeout)
	t.retain = 2 * t.timeout
	t.cap = o.MaxDNSPending
	t.slots = make([]uint64, 1024)
	t.servers = map[netip.Addr]*serverState{}
	t.maxSrv = o.MaxDNSServers
	t.maxListed = o.MaxUnansweredListed
	t.runWidth = max(1, t.timeout/runsPerTimeout)
	t.sampleIndex = map[dnsKey]int{}
}

// server finds the server a, with its IPv4 address a4 (0 for IPv6).
func (t *dnsTable) server(a netip.Addr, a4 uint32) *serverState {
	if t.lastSrv != nil && t.lastSrv.Server == a {
		return t.lastSrv
	}
	var s *serverState
	if a.Is4() {
		if i, ok := t.srv4.get(key4{addrs: uint64(a4)}); ok {
			s = t.srvList[i]
		}
	} else {
		s = t.servers[a]
	}
	if s == nil {
		if len(t.srvList) >= t.maxSrv {
			return nil
		}
		s = &serverState{DNSServer: DNSServer{Server: a}}
		if a.Is4() {
			t.srv4.put(key4{addrs: uint64(a4)}, len(t.srvList))
		} else {
			t.servers[a] = s
		}
		t.srvList = append(t.srvList, s)
	}
	t.lastSrv = s
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
	h := hashKey(&key)
	live, _ := t.lookup(&key, h)
	if tx := live; tx != nil {
		if tx.state == txPending && tx.qhash == m.qhash && ns-tx.ns >= t.timeout {
			// The client retried after the timeout: the first query
			// went unanswered, the retry is a transaction of its own
			// (the 5 s delays of a lost DNS packet look like this).
			t.unanswered(tx)
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
	srv := t.server(p.dst, uint32(p.v4))
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
	seq := t.headSeq + uint64(t.n-1)
	// Looked up again only when the key was live: push may have moved or
	// dropped it, but never adds one.
	if live == nil {
		t.insert(h, seq)
	} else if old, oldSeq := t.lookup(&key, h); old != nil {
		// The same key is live (an ID reused for another question, or
		// a query retried after its timeout): the index moves to the
		// new transaction.
		t.reindex(h, oldSeq, seq)
		old.mapped = false
	} else {
		t.insert(h, seq)
	}
	*tx = transaction{key: key, h: h, mapped: true, sport: p.dport, srv: srv, ns: ns, num: num, qhash: m.qhash, qtype: m.qtype, state: txPending, inTunnel: inTunnel}
	n := copy(tx.name[:], m.name)
	tx.nameLen = uint8(n)
	tx.cut = n < len(m.name) || (m.qd > 0 && !m.hasQ)
}

func (t *dnsTable) response(st *state, num int, ns int64, p *pkt, m *dnsMsg, tcp bool) {
	key := dnsKey{client: netip.AddrPortFrom(p.dst, p.dport), id: m.id, tcp: tcp}
	tx, _ := t.lookup(&key, hashKey(&key))
	if tx != nil {
		// A response that names a different question answers another
		// query (an ID reused after the one we hold).
		if tx.state == txFree || (m.hasQ && tx.qhash != m.qhash) {
			tx = nil
		}
	}
	if tx == nil && (len(t.withRuns) > 0 || len(t.sampleIndex) > 0) && t.answerEvicted(ns, p, m, &key, tcp) {
		return
	}
	if tx == nil {
		s := t.server(p.src, uint32(p.v4>>32))
		if s != nil {
			s.Responses++
			s.Unmatched++
			if m.tc && !tcp {
				s.TruncatedResponses++
			}
			s.rcode(m.rcode)
		}
		return
	}
	s := tx.srv
	s.Responses++
	if m.tc && !tcp {
		s.TruncatedResponses++
	}
	if tx.state != txPending {
		s.RepeatedResponses++
		return
	}
	s.rcode(m.rcode)
	t.decided++
	lat := ns - tx.ns
	if lat > t.timeout {
		tx.state = txLate
		s.Late++
		return
	}
	tx.state = txAnswered
	s.Answered++
	if lat < 0 {
		lat = 0 // a response stamped before its query (clock steps, merged files)
	}
	s.LatencySumNs += lat
	if lat > s.LatencyMaxNs {
		s.LatencyMaxNs = lat
	}
	if a := p.src; a != s.Server && len(s.AnsweredBy) < 8 && !containsAddr(s.AnsweredBy, a) {
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
		// Drop the decided transactions first: the ring then holds the
		// pending ones and those decided since the last compaction,
		// and stays small (and in cache) however busy the capture. In a
		// storm nearly all are pending: compacting would move the whole
		// ring to free nothing.
		if t.decided >= len(t.ring)/8 {
			t.compact(st)
		}
		switch {
		case t.n < len(t.ring)/2:
		case len(t.ring) < t.cap:
			size := 2 * len(t.ring)
			if size < 64 {
				size = 64
			}
			if size > t.cap {
				size = t.cap
			}
			ring := make([]transaction, size)
			copy(ring, t.ring[:t.n]) // compact left the ring starting at 0
			t.ring, t.head = ring, 0
		default:
			// Full of pending queries: keep an eighth of the ring
			// free, so that it is not compacted at every query.
			free := max(1, len(t.ring)/8)
			for t.n > len(t.ring)-free {
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
		if tx.state == txPending {
			if tx.mapped {
				t.reindex(tx.h, oldSeq, t.headSeq+uint64(w))
			}
			if w != i {
				t.ring[w] = *tx
			}
			w++
			continue
		}
		if tx.state == txLate {
			t.unanswered(tx)
		}
		if tx.mapped {
			t.unindex(tx.h, oldSeq)
		}
	}
	clear(t.ring[w:t.n])
	t.n = w
	t.decided = 0
}

// pop retires the oldest transaction: unanswered if still pending (or answered
// too late), evicted when the ring is full before its timeout.
func (t *dnsTable) pop(st *state, now int64, full bool) {
	tx := &t.ring[t.head]
	if tx.mapped {
		t.unindex(tx.h, t.headSeq)
	}
	switch tx.state {
	case txPending:
		if full && now-tx.ns < t.timeout {
			st.s.DNSEvicted++
			t.evict(tx)
		} else {
			t.unanswered(tx)
		}
	case txLate:
		t.decided--
		t.unanswered(tx)
	case txAnswered:
		t.decided--
	}
	tx.state = txFree
	tx.srv = nil
	t.head = (t.head + 1) % len(t.ring)
	t.n--
	t.headSeq++
}

// unanswered counts a query that got no answer within the timeout.
func (t *dnsTable) unanswered(tx *transaction) {
	s := tx.srv
	s.Unanswered++
	if s.FirstUnansweredPacket == 0 || tx.num < s.FirstUnansweredPacket {
		s.FirstUnansweredPacket = tx.num
	}
	t.list(tx, false)
}

// pendingAtEnd counts a query still within its timeout when the capture
// ended: perhaps answered after it, so not unanswered.
func (t *dnsTable) pendingAtEnd(tx *transaction) {
	s := tx.srv
	s.PendingAtEnd++
	if s.FirstPendingPacket == 0 || tx.num < s.FirstPendingPacket {
		s.FirstPendingPacket = tx.num
	}
	t.list(tx, true)
}

// list adds tx to the unanswered list while it has room.
func (t *dnsTable) list(tx *transaction, atEnd bool) {
	s := tx.srv
	if len(t.unlisted) < t.maxListed {
		proto := "udp"
		if tx.key.tcp {
			proto = "tcp"
		}
		t.unlisted = append(t.unlisted, Transaction{
			ID: tx.key.id, Proto: proto, Client: tx.key.client, Server: netip.AddrPortFrom(s.Server, tx.sport),
			Name: nameString(tx.name[:tx.nameLen], tx.cut), QType: tx.qtype,
			Packet: tx.num, TimeNs: tx.ns, Repeats: int(tx.repeats), InTunnel: tx.inTunnel, AtEnd: atEnd,
		})
	}
}

// expire retires the transactions older than the retention time, and the
// evicted queries whose timeout has passed.
func (t *dnsTable) expire(st *state, now int64) {
	for t.n > 0 && now-t.ring[t.head].ns >= t.retain {
		t.pop(st, now, false)
	}
	if len(t.withRuns) > 0 && now-t.nextRunEnd > 0 {
		t.expireRuns(now)
	}
	for len(t.sampleIndex) > 0 {
		tx := &t.samples[t.samplesHead]
		if tx.state == txPending {
			if now-tx.ns <= t.timeout {
				break
			}
			t.unanswered(tx)
			delete(t.sampleIndex, tx.key)
		}
		t.samplesHead++
	}
	if len(t.sampleIndex) == 0 {
		t.samples, t.samplesHead = t.samples[:0], 0
	}
}

// evict moves a pending query out of a full ring: kept whole as a sample
// while the unanswered list could still name it, else counted in a run.
func (t *dnsTable) evict(tx *transaction) {
	if len(t.unlisted)+len(t.sampleIndex) < t.maxListed && len(t.samples)-t.samplesHead < t.maxListed {
		if _, dup := t.sampleIndex[tx.key]; !dup {
			t.sampleIndex[tx.key] = len(t.samples)
			t.samples = append(t.samples, *tx)
			t.samples[len(t.samples)-1].mapped = false
			return
		}
	}
	s := tx.srv
	if len(s.liveRuns()) == 0 {
		t.withRuns = append(t.withRuns, s)
		if len(t.withRuns) == 1 || tx.ns+t.timeout < t.nextRunEnd {
			t.nextRunEnd = tx.ns + t.timeout
		}
	}
	s.addEvicted(tx.ns, tx.num, t.runWidth)
}

// expireRuns counts as unanswered the evicted queries whose timeout has
// passed at now.
func (t *dnsTable) expireRuns(now int64) {
	keep := t.withRuns[:0]
	t.nextRunEnd = 0
	for _, s := range t.withRuns {
		runs := s.liveRuns()
		i := 0
		for ; i < len(runs) && now-runs[i].lastNs > t.timeout; i++ {
			r := &runs[i]
			if r.count == 0 {
				continue
			}
			s.Unanswered += int(r.count)
			if s.FirstUnansweredPacket == 0 || int(r.firstNum) < s.FirstUnansweredPacket {
				s.FirstUnansweredPacket = int(r.firstNum)
			}
		}
		s.evictedHead += i
		if len(s.liveRuns()) == 0 {
			s.evicted, s.evictedHead = s.evicted[:0], 0
			continue
		}
		end := s.liveRuns()[0].lastNs + t.timeout
		if len(keep) == 0 || end < t.nextRunEnd {
			t.nextRunEnd = end
		}
		keep = append(keep, s)
	}
	clear(t.withRuns[len(keep):])
	t.withRuns = keep
}

// answerEvicted matches a response no pending query claims to an evicted
// query: a sample with its key, else the oldest evicted query of the server
// it comes from (or of a server it has answered for, behind DNAT) still
// within its timeout. Answers matched by count have no latency.
func (t *dnsTable) answerEvicted(ns int64, p *pkt, m *dnsMsg, key *dnsKey, tcp bool) bool {
	if i, ok := t.sampleIndex[*key]; ok {
		tx := &t.samples[i]
		if tx.state == txPending && (!m.hasQ || tx.qhash == m.qhash) && ns-tx.ns <= t.timeout {
			delete(t.sampleIndex, *key)
			tx.state = txAnswered
			s := tx.srv
			s.Responses++
			if m.tc && !tcp {
				s.TruncatedResponses++
			}
			s.rcode(m.rcode)
			s.Answered++
			lat := max(0, ns-tx.ns)
			s.LatencySumNs += lat
			s.LatencyMaxNs = max(s.LatencyMaxNs, lat)
			return true
		}
	}
	for _, s := range t.withRuns {
		if s.Server != p.src && !containsAddr(s.AnsweredBy, p.src) {
			continue
		}
		runs := s.liveRuns()
		for i := range runs {
			r := &runs[i]
			if r.count == 0 || ns-r.lastNs > t.timeout {
				continue
			}
			if r.firstNs > ns {
				break // sent after this answer
			}
			r.count--
			s.Responses++
			s.Answered++
			s.AnsweredAfterEviction++
			s.rcode(m.rcode)
			return true
		}
	}
	return false
}

// finish retires what is left: a query still pending at the end of the capture
// is unanswered, marked AtEnd when it was younger than the timeout.
func (t *dnsTable) finish(st *state) {
	for t.n > 0 {
		tx := &t.ring[t.head]
		if tx.state == txPending && st.maxNs-tx.ns < t.timeout {
			t.pendingAtEnd(tx)
			tx.state = txFree
		}
		t.pop(st, st.maxNs, false)
	}
	t.expire(st, st.maxNs)
	for i := t.samplesHead; i < len(t.samples); i++ {
		if tx := &t.samples[i]; tx.state == txPending {
			t.pendingAtEnd(tx)
		}
	}
	for _, srv := range t.withRuns {
		for _, r := range srv.liveRuns() {
			srv.PendingAtEnd += int(r.count)
		}
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
