package lab

import (
	"encoding/binary"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// inNetns runs fn on a thread moved into the named network namespace; sockets
// opened by fn stay in it after the thread moves back.
func inNetns(t *testing.T, name string, fn func()) {
	t.Helper()
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("network namespace %s: %v", name, err)
	}
	defer h.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			t.Error(err)
			return
		}
		defer orig.Close()
		if err := netns.Set(h); err != nil {
			t.Error(err)
			return
		}
		fn()
		// On failure the goroutine ends locked and the runtime drops the thread.
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
	}()
	<-done
}

// dnsMode is how the CoreDNS pod behaves.
type dnsMode int

const (
	dnsServe  dnsMode = iota // answers
	dnsStop                  // nothing listens on 53: the kernel answers ICMP port unreachable
	dnsSilent                // listens, never answers
)

// dnsServer is the CoreDNS pod's server: it answers A queries for
// kubernetes.default.svc.cluster.local and NXDOMAIN for every other name;
// it forwards nothing.
type dnsServer struct {
	conn    net.PacketConn
	queries atomic.Int64
}

func startDNS(t *testing.T, c *cluster, mode dnsMode) *dnsServer {
	s := &dnsServer{}
	if mode == dnsStop {
		return s
	}
	var err error
	inNetns(t, c.dnsPod.ns, func() { s.conn, err = net.ListenPacket("udp4", ":53") })
	if err != nil {
		t.Fatalf("DNS server: %v", err)
	}
	c.addUndo(func() { s.conn.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := s.conn.ReadFrom(buf)
			if err != nil {
				return
			}
			s.queries.Add(1)
			if mode == dnsSilent {
				continue
			}
			if resp := dnsAnswer(buf[:n]); resp != nil {
				s.conn.WriteTo(resp, from)
			}
		}
	}()
	return s
}

// dnsAnswer builds the reply to one query, or nil for what is not a query.
func dnsAnswer(q []byte) []byte {
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
	case name == "kubernetes.default.svc.cluster.local" && qtype == 1:
		binary.BigEndian.PutUint16(resp[6:8], 1)
		resp = append(resp, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 1)
	case name == "kubernetes.default.svc.cluster.local":
		// NOERROR, no data.
	default:
		resp[3] = 0x03 // NXDOMAIN
	}
	return resp
}

// dnsQuery is a query for name, type A.
func dnsQuery(id uint16, name string) []byte {
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

// dnsClient is the client pod resolving through the DNS Service IP, every
// 200 ms until stopped, counting answers.
type dnsClient struct {
	conn     net.PacketConn
	sent     atomic.Int64
	answered atomic.Int64
	stop     chan struct{}
	once     sync.Once
}

func startClient(t *testing.T, c *cluster) *dnsClient {
	cl := &dnsClient{stop: make(chan struct{})}
	var err error
	inNetns(t, c.client.ns, func() { cl.conn, err = net.ListenPacket("udp4", c.client.ip+":0") })
	if err != nil {
		t.Fatalf("DNS client: %v", err)
	}
	c.addUndo(cl.halt)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := cl.conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if n >= 12 && buf[2]&0x80 != 0 {
				cl.answered.Add(1)
			}
		}
	}()
	dst := &net.UDPAddr{IP: net.ParseIP(c.dnsIP), Port: 53}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for id := uint16(1); ; id++ {
			cl.conn.WriteTo(dnsQuery(id, "kubernetes.default.svc.cluster.local"), dst)
			cl.sent.Add(1)
			select {
			case <-cl.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return cl
}

func (cl *dnsClient) halt() {
	cl.once.Do(func() { close(cl.stop); cl.conn.Close() })
}

// registry knows every live cluster, so that an interrupt (SIGINT, SIGTERM)
// tears them down before the process exits.
type registry struct {
	mu       sync.Mutex
	clusters map[*cluster]bool
}

func newRegistry() *registry {
	r := &registry{clusters: map[*cluster]bool{}}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-ch
		r.mu.Lock()
		for c := range r.clusters {
			c.teardown()
		}
		r.mu.Unlock()
		signal.Reset()
		p, _ := os.FindProcess(os.Getpid())
		p.Signal(sig)
	}()
	return r
}

func (r *registry) add(c *cluster) {
	r.mu.Lock()
	r.clusters[c] = true
	r.mu.Unlock()
}

func (r *registry) remove(c *cluster) {
	r.mu.Lock()
	delete(r.clusters, c)
	r.mu.Unlock()
}
