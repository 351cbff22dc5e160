package lab

import (
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/internal/testdns"
)

// dnsMode is how the CoreDNS pod behaves.
type dnsMode int

const (
	dnsServe  dnsMode = iota // answers
	dnsStop                  // nothing listens on 53: the kernel answers ICMP port unreachable
	dnsSilent                // listens, never answers
)

// startDNS starts the CoreDNS pod's server (internal/testdns: A for
// kubernetes.default.svc.cluster.local, NXDOMAIN for the rest, nothing
// forwarded); with dnsStop nothing listens. Its Received counts the queries
// that reached the pod.
func startDNS(t *testing.T, c *cluster, mode dnsMode) *testdns.Server {
	if mode == dnsStop {
		return &testdns.Server{}
	}
	var conn net.PacketConn
	var err error
	testdns.InNetns(t, c.dnsPod.ns, func() { conn, err = net.ListenPacket("udp4", ":53") })
	if err != nil {
		t.Fatalf("DNS server: %v", err)
	}
	c.addUndo(func() { conn.Close() })
	m := testdns.Answers
	if mode == dnsSilent {
		m = testdns.Silent
	}
	return testdns.Serve(conn, m)
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
	testdns.InNetns(t, c.client.ns, func() { cl.conn, err = net.ListenPacket("udp4", c.client.ip+":0") })
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
			cl.conn.WriteTo(testdns.Query(id, testdns.Name), dst)
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
