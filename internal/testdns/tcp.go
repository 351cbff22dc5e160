package testdns

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message behind a two-byte
// length. Resolvers fall back to it for truncated answers, so a policy that
// allows UDP 53 but not TCP 53 breaks large answers only.

// maxMessage bounds what ReadMessage accepts (the length prefix's own limit).
const maxMessage = 65535

// WriteMessage writes m behind its length.
func WriteMessage(w io.Writer, m []byte) error {
	if len(m) > maxMessage {
		return fmt.Errorf("dns message of %d bytes, over %d", len(m), maxMessage)
	}
	b := make([]byte, 2+len(m))
	binary.BigEndian.PutUint16(b, uint16(len(m)))
	copy(b[2:], m)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write dns message: %w", err)
	}
	return nil
}

// ReadMessage reads one length-prefixed message.
func ReadMessage(r io.Reader) ([]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, fmt.Errorf("read dns message length: %w", err)
	}
	m := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(r, m); err != nil {
		return nil, fmt.Errorf("read dns message of %d bytes: %w", len(m), err)
	}
	return m, nil
}

// ServeTCP serves the connections l accepts until l is closed: in mode
// Answers each query is answered with Answer, Silent reads and never
// replies, Echo sends each message back. Received counts the messages read.
// Wait returns once l is closed and every connection has ended; connections
// still open when l closes are closed with it.
func ServeTCP(l net.Listener, mode Mode) *Server {
	s := &Server{done: make(chan struct{})}
	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		wg    sync.WaitGroup
	)
	go func() {
		defer close(s.done)
		for {
			c, err := l.Accept()
			if err != nil {
				break
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				for {
					m, err := ReadMessage(c)
					if err != nil {
						return
					}
					s.Received.Add(1)
					var resp []byte
					switch mode {
					case Answers:
						resp = Answer(m)
					case Echo:
						resp = m
					}
					if resp != nil && WriteMessage(c, resp) != nil {
						return
					}
				}
			}()
		}
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	return s
}

// ExchangeTCP sends q on c and reads one message back, giving up at the
// deadline (a dropped query must not hang the caller).
func ExchangeTCP(c net.Conn, q []byte, deadline time.Time) ([]byte, error) {
	if err := c.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("set deadline: %w", err)
	}
	if err := WriteMessage(c, q); err != nil {
		return nil, err
	}
	return ReadMessage(c)
}
