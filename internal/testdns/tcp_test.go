package testdns

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// pipeListener hands out the server ends of in-memory connections.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) dial() net.Conn {
	c, s := net.Pipe()
	l.conns <- s
	return c
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *pipeListener) Close() error   { close(l.closed); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{} }

func TestServeTCPModes(t *testing.T) {
	q := Query(11, Name)
	for _, tc := range []struct {
		name string
		mode Mode
		want []byte // nil: no reply before the deadline
	}{
		{"answers", Answers, Answer(q)},
		{"echo", Echo, q},
		{"silent", Silent, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newPipeListener()
			s := ServeTCP(l, tc.mode)
			c := l.dial()
			// Two queries on one connection, as a resolver reuses it.
			for i := 0; i < 2; i++ {
				got, err := ExchangeTCP(c, q, time.Now().Add(200*time.Millisecond))
				if tc.want == nil {
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						t.Fatalf("silent server: reply % x, err %v; want the deadline", got, err)
					}
					break
				}
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Fatalf("query %d: % x, %v; want % x", i, got, err, tc.want)
				}
			}
			c.Close()
			l.Close()
			s.Wait()
			want := int64(2)
			if tc.want == nil {
				want = 1
			}
			if n := s.Received.Load(); n != want {
				t.Errorf("received %d, want %d", n, want)
			}
		})
	}
}

func TestMessageFraming(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMessage(&b, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), []byte{0, 3, 1, 2, 3}) {
		t.Errorf("framed % x", b.Bytes())
	}
	if err := WriteMessage(&b, make([]byte, 70000)); err == nil {
		t.Error("a message over 65535 bytes was written")
	}
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"half a length", []byte{0}},
		{"shorter than its length", []byte{0, 5, 1, 2}},
	} {
		if m, err := ReadMessage(bytes.NewReader(tc.in)); err == nil {
			t.Errorf("%s: read % x", tc.name, m)
		}
	}
}
