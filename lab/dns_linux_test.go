package lab

import (
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/internal/testdns"
	"github.com/vishvananda/netns"
)

// dnsMode is how the CoreDNS pod behaves.
type dnsMode int

const (
	dnsServe  dnsMode = iota // answers
	dnsStop                  // nothing listens on 53: the kernel answers ICMP port unreachable
	dnsSilent                // listens, never answers
)

// startDNS starts the CoreDNS pod's server on UDP and TCP 53
// (internal/testdns: A for kubernetes.default.svc.cluster.local, NXDOMAIN for
// the rest, nothing forwarded); with dnsStop nothing listens. Their Received
// count the queries that reached the pod.
func startDNS(t *testing.T, c *cluster, mode dnsMode) (udp, tcp *testdns.Server) {
	if mode == dnsStop {
		return &testdns.Server{}, &testdns.Server{}
	}
	var (
		conn net.PacketConn
		l    net.Listener
		err  error
	)
	testdns.InNetns(t, c.dnsPod.ns, func() {
		if conn, err = net.ListenPacket("udp4", ":53"); err == nil {
			l, err = net.Listen("tcp4", ":53")
		}
	})
	if err != nil {
		t.Fatalf("DNS server: %v", err)
	}
	c.addUndo(func() { conn.Close(); l.Close() })
	m := testdns.Answers
	if mode == dnsSilent {
		m = testdns.Silent
	}
	return testdns.Serve(conn, m), testdns.ServeTCP(l, m)
}

// dnsClient is the client pod resolving through the DNS Service IP, over UDP
// every 200 ms and, when asked, over TCP every second (a new connection each
// time, as a resolver retrying a truncated answer does), until stopped,
// counting answers.
type dnsClient struct {
	conn        net.PacketConn
	sent        atomic.Int64
	answered    atomic.Int64
	tcpSent     atomic.Int64
	tcpAnswered atomic.Int64
	stop        chan struct{}
	once        sync.Once
	tcpDone     chan struct{}
}

func startClient(t *testing.T, c *cluster, tcp bool) *dnsClient {
	cl := &dnsClient{stop: make(chan struct{}), tcpDone: make(chan struct{})}
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
	if !tcp {
		close(cl.tcpDone)
		return cl
	}
	h, err := netns.GetFromName(c.client.ns)
	if err != nil {
		t.Fatalf("DNS client: network namespace %s: %v", c.client.ns, err)
	}
	go cl.tcpLoop(h, c.client.ip, c.dnsIP)
	return cl
}

// tcpLoop runs on a thread of its own in the client pod's namespace (each
// connection's socket is made there) until the client is halted.
func (cl *dnsClient) tcpLoop(h netns.NsHandle, src, dnsIP string) {
	defer close(cl.tcpDone)
	defer h.Close()
	runtime.LockOSThread()
	// The thread is left locked and in the pod's namespace: the runtime
	// drops it when this goroutine ends.
	if err := netns.Set(h); err != nil {
		return
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: time.Second}
	dst := net.JoinHostPort(dnsIP, "53")
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for id := uint16(0x8000); ; id++ {
		cl.tcpSent.Add(1)
		if c, err := d.Dial("tcp4", dst); err == nil {
			r, err := testdns.ExchangeTCP(c, testdns.Query(id, testdns.Name), time.Now().Add(time.Second))
			if err == nil && len(r) >= 12 && r[2]&0x80 != 0 {
				cl.tcpAnswered.Add(1)
			}
			c.Close()
		}
		select {
		case <-cl.stop:
			return
		case <-tick.C:
		}
	}
}

func (cl *dnsClient) halt() {
	cl.once.Do(func() { close(cl.stop); cl.conn.Close() })
	<-cl.tcpDone
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
