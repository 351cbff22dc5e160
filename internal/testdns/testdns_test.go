package testdns

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

func TestAnswer(t *testing.T) {
	aaaa := Query(3, Name)
	aaaa[len(aaaa)-3] = 28 // type AAAA
	response := Query(4, Name)
	response[2] |= 0x80
	compressed := append(Query(5, "x")[:12], 0xc0, 0x0c, 0, 1, 0, 1)
	for _, tc := range []struct {
		name    string
		q       []byte
		nilResp bool
		rcode   byte
		answers uint16
	}{
		{name: "A for the known name", q: Query(1, Name), answers: 1},
		{name: "the known name in capitals", q: Query(2, "KUBERNETES.default.svc.cluster.local"), answers: 1},
		{name: "AAAA for the known name: no data", q: aaaa},
		{name: "another name: NXDOMAIN", q: Query(6, "example.com"), rcode: 3},
		{name: "a response is not answered", q: response, nilResp: true},
		{name: "a truncated question", q: Query(7, Name)[:20], nilResp: true},
		{name: "a compressed question", q: compressed, nilResp: true},
		{name: "shorter than a header", q: []byte{0, 1, 2}, nilResp: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Answer(tc.q)
			if tc.nilResp {
				if r != nil {
					t.Fatalf("answered % x", r)
				}
				return
			}
			if r == nil {
				t.Fatal("no answer")
			}
			if !bytes.Equal(r[:2], tc.q[:2]) || r[2]&0x80 == 0 || r[2]&0x01 != tc.q[2]&0x01 {
				t.Errorf("header % x for query % x: want the id, QR and RD copied", r[:4], tc.q[:4])
			}
			if got := r[3] & 0x0f; got != tc.rcode {
				t.Errorf("rcode %d, want %d", got, tc.rcode)
			}
			if got := binary.BigEndian.Uint16(r[6:8]); got != tc.answers {
				t.Errorf("%d answers, want %d", got, tc.answers)
			}
			if tc.answers == 1 && !bytes.Equal(r[len(r)-4:], Address[:]) {
				t.Errorf("answer % x, want %v", r[len(r)-4:], Address)
			}
		})
	}
}

// pipeConn is a PacketConn fed from a channel, recording what is written.
type pipeConn struct {
	in  chan []byte
	out chan []byte
}

func (p *pipeConn) ReadFrom(b []byte) (int, net.Addr, error) {
	d, ok := <-p.in
	if !ok {
		return 0, nil, net.ErrClosed
	}
	return copy(b, d), &net.UDPAddr{}, nil
}
func (p *pipeConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	p.out <- append([]byte(nil), b...)
	return len(b), nil
}
func (p *pipeConn) Close() error                     { return nil }
func (p *pipeConn) LocalAddr() net.Addr              { return &net.UDPAddr{} }
func (p *pipeConn) SetDeadline(time.Time) error      { return nil }
func (p *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (p *pipeConn) SetWriteDeadline(time.Time) error { return nil }

func TestServeModes(t *testing.T) {
	q := Query(9, Name)
	for _, tc := range []struct {
		mode Mode
		want []byte // nil: no reply
	}{
		{Answers, Answer(q)},
		{Echo, q},
		{Silent, nil},
	} {
		c := &pipeConn{in: make(chan []byte, 1), out: make(chan []byte, 1)}
		s := Serve(c, tc.mode)
		c.in <- q
		close(c.in)
		s.Wait()
		var got []byte
		select {
		case got = <-c.out:
		default:
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("mode %d: replied % x, want % x", tc.mode, got, tc.want)
		}
		if n := s.Received.Load(); n != 1 {
			t.Errorf("mode %d: received %d, want 1", tc.mode, n)
		}
	}
}
