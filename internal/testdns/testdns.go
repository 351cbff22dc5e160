// Package testdns is the DNS server the real-kernel tests run inside the
// network namespaces they build (the fault lab's CoreDNS pod, collect's
// namespace test): a codec for the one query they send, a UDP server that
// answers, stays silent or echoes, and a helper that opens sockets in a named
// network namespace. It forwards nothing and never leaves those namespaces.
package testdns

import (
	"encoding/binary"
	"net"
	"strings"
	"sync/atomic"
)

// Name is the name the server knows: A queries for it are answered with
// Address (the kubernetes Service's usual ClusterIP); every other name is
// NXDOMAIN.
const Name = "kubernetes.default.svc.cluster.local"

// Address is the answer to an A query for Name.
var Address = [4]byte{10, 96, 0, 1}

// Answer builds the reply to one query, or nil for what is not a
// single-question query (a response, a truncated or compressed question).
func Answer(q []byte) []byte {
	if len(q) < 12 || q[2]&0x80 != 0 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	// The question: labels up to the zero byte, then type and class.
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if l&0xc0 != 0 || i+1+l > len(q) {
			return nil
		}
		labels = append(labels, strings.ToLower(string(q[i+1:i+1+l])))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qend := i + 5
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	resp := append([]byte(nil), q[:qend]...)
	resp[2] = 0x84 | q[2]&0x01 // QR, AA, RD copied
	resp[3] = 0x00
	binary.BigEndian.PutUint16(resp[6:8], 0)
	binary.BigEndian.PutUint16(resp[8:10], 0)
	binary.BigEndian.PutUint16(resp[10:12], 0)
	name := strings.Join(labels, ".")
	switch {
	case name == Name && qtype == 1:
		binary.BigEndian.PutUint16(resp[6:8], 1)
		resp = append(resp, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4)
		resp = append(resp, Address[:]...)
	case name == Name:
		// NOERROR, no data.
	default:
		resp[3] = 0x03 // NXDOMAIN
	}
	return resp
}

// Query is a recursive query for name, type A, class IN.
func Query(id uint16, name string) []byte {
	b := make([]byte, 12, 64)
	binary.BigEndian.PutUint16(b[0:2], id)
	b[2] = 0x01 // RD
	binary.BigEndian.PutUint16(b[4:6], 1)
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 1, 0, 1)
}

// Mode is how a Server treats what it reads.
type Mode int

const (
	// Answers replies to queries with Answer.
	Answers Mode = iota
	// Silent reads and counts, never replies: queries go unanswered.
	Silent
	// Echo sends every datagram back unchanged (a UDP ping peer).
	Echo
)

// Server serves one UDP socket until the socket is closed. The zero Server
// stands for one that never started: it received nothing (do not Wait on it).
type Server struct {
	// Received counts the datagrams read.
	Received atomic.Int64
	done     chan struct{}
}

// Wait returns once the server has stopped (its socket closed).
func (s *Server) Wait() { <-s.done }

// Serve starts serving conn in mode; closing conn stops it.
func Serve(conn net.PacketConn, mode Mode) *Server {
	s := &Server{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 65535)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			s.Received.Add(1)
			switch mode {
			case Answers:
				if resp := Answer(buf[:n]); resp != nil {
					conn.WriteTo(resp, from)
				}
			case Echo:
				conn.WriteTo(buf[:n], from)
			}
		}
	}()
	return s
}
