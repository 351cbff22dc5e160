package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/safefile"
)

// probeTimeout is how long one DNS query waits for its answer; a healthy
// cluster answers in milliseconds. maxProbeServers bounds the servers asked
// (the Service and the CoreDNS pods; big clusters run many).
const (
	probeTimeout    = 2 * time.Second
	maxProbeServers = 8
)

// writeReserve is kept from the run's time limit for the counters after the
// window and for writing the bundle.
const writeReserve = 8 * time.Second

// probeNames are asked of every DNS server: the API server's Service name
// exists in every cluster, so NXDOMAIN means a broken CoreDNS, not a typo.
var probeNames = []string{"kubernetes.default.svc.cluster.local.", "kube-dns.kube-system.svc.cluster.local."}

// window reads the counters, captures on the chosen interfaces while DNS
// queries are sent, and reads the counters again. Without a capture window the
// counters are read once (counters/before) and the DNS probe still runs.
func (c *collector) window(ctx context.Context) {
	d := time.Duration(c.opts.CaptureSeconds) * time.Second
	capture := d > 0
	if capture {
		c.waitCaptureStart(ctx)
	}
	if capture && !c.root {
		// No capture without root: no window to wait for.
		for _, ifc := range c.topo.Interfaces {
			it := bundle.Item{Path: bundle.PcapDir + "/" + ifc + ".pcap", Source: bundle.SourceCapture,
				Status: bundle.StatusSkipped, Error: fmt.Sprintf("needs root (running as uid %d)", c.uid)}
			c.files.record(it, nil)
			c.progress.item(it, false)
		}
		capture = false
	}
	if capture {
		if dl, ok := ctx.Deadline(); ok {
			if left := time.Until(dl) - writeReserve; left < d {
				if left < time.Second {
					c.progress.warn("no time left for the capture window (--timeout %s)", c.opts.Timeout)
					for _, ifc := range c.topo.Interfaces {
						c.files.record(bundle.Item{Path: bundle.PcapDir + "/" + ifc + ".pcap", Source: bundle.SourceCapture,
							Status: bundle.StatusSkipped, Error: "the run's time limit left no time for the capture window"}, nil)
					}
					capture = false
				} else {
					c.progress.warn("capture window shortened to %s to end within --timeout %s", left.Round(time.Second), c.opts.Timeout)
					d = left
				}
			}
		}
	}
	c.runTasks(ctx, c.counterTasks(bundle.CountersBeforeDir))

	var wg sync.WaitGroup
	wctx, cancel := context.WithTimeout(ctx, d+2*time.Second)
	defer cancel()
	if capture {
		if len(c.topo.Interfaces) == 0 {
			c.files.record(bundle.Item{Path: bundle.PcapDir, Source: bundle.SourceCapture, Status: bundle.StatusSkipped,
				Error: "no interface to capture on (no default route, no tunnel device; see --interfaces)"}, nil)
		}
		for _, ifc := range c.topo.Interfaces {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.captureOne(wctx, ifc, d)
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if capture {
			// Let the capture sockets open before the queries leave.
			select {
			case <-time.After(min(time.Second, d/4)):
			case <-wctx.Done():
			}
		}
		// The run's context, not the window's: with DNS broken the queries time
		// out one after the other and may outlast the window.
		c.probe(ctx)
	}()
	if capture {
		c.progress.say("capturing on %s for %s (IPIP, VXLAN %s, DNS, ICMP)", strings.Join(c.topo.Interfaces, ","), d, joinInts(c.topo.VXLANPorts))
		start := time.Now()
		tick := time.NewTicker(500 * time.Millisecond)
		for el := time.Duration(0); el < d; el = time.Since(start) {
			c.progress.tick(el, d, fmt.Sprintf("(%d KiB captured)", c.capturedBytes()>>10))
			select {
			case <-tick.C:
			case <-ctx.Done():
				el = d
			}
			if ctx.Err() != nil {
				break
			}
		}
		tick.Stop()
		c.progress.tick(d, d, fmt.Sprintf("(%d KiB captured)", c.capturedBytes()>>10))
		c.progress.endBar()
	}
	wg.Wait()
	if capture {
		c.runTasks(ctx, c.counterTasks(bundle.CountersAfterDir))
	}
}

// waitCaptureStart waits for the common start of the capture windows. A node
// that is already late starts at once and says by how much, so that the
// analyzer's overlap of windows is explained rather than silently shorter.
func (c *collector) waitCaptureStart(ctx context.Context) {
	at := c.opts.CaptureAt
	if at.IsZero() {
		return
	}
	wait := at.Sub(c.opts.Now())
	if wait <= 0 {
		if wait < -time.Second {
			c.progress.warn("capture window starts %s after the common start %s", (-wait).Round(time.Second), at.UTC().Format(time.RFC3339))
		}
		return
	}
	c.progress.say("waiting %s for the common capture start %s", wait.Round(time.Second), at.UTC().Format(time.RFC3339))
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// counterTasks read the counters the analyzer compares across the window.
func (c *collector) counterTasks(dir string) []Task {
	n := c.native
	procNet := "/proc/net"
	if c.ns.set && c.opts.Root == "/" {
		// /proc/net is the namespace of the process; the reading thread's is
		// the one that matters here.
		procNet = "/proc/thread-self/net"
	}
	tasks := []Task{
		ipvsTask(c.rooted(nativeOr(dir+"/ipvsadm-Ln-stats.txt", "IPVS statistics", bundle.SourceNetlink, n.IPVSStats, "ipvsadm", "-Ln", "--stats"))),
		commandTask(dir+"/iptables-save.txt", "iptables counters", true, "iptables-save", "-c"),
		c.fileTask(dir+"/proc-net-snmp", "SNMP counters", procNet+"/snmp", false),
		c.fileTask(dir+"/proc-net-netstat", "netstat counters", procNet+"/netstat", false),
		commandTask(dir+"/conntrack-stats.txt", "conntrack statistics", true, "conntrack", "-S"),
		c.fileTask(dir+"/proc-net-stat-nf_conntrack", "conntrack statistics (/proc)", procNet+"/stat/nf_conntrack", true),
	}
	for _, ifc := range c.topo.Interfaces {
		if len(c.topo.Links) > 0 && !c.topo.Links[ifc] {
			continue
		}
		var fn func() ([]byte, error)
		if n.EthtoolStats != nil {
			fn = func() ([]byte, error) { return n.EthtoolStats(ifc) }
		}
		t := nativeOr(dir+"/ethtool-S-"+ifc+".txt", "NIC statistics of "+ifc, bundle.SourceIoctl, fn, "ethtool", "-S", ifc)
		// Virtual devices (vxlan.calico, tunl0) have no driver statistics.
		t.Absent = []string{"no stats available", "Operation not supported"}
		if t.Fallback != nil {
			fb := *t.Fallback
			fb.Absent = t.Absent
			t.Fallback = &fb
		}
		tasks = append(tasks, t)
	}
	return tasks
}

// captureOne captures on one interface for d, natively or with tcpdump.
func (c *collector) captureOne(ctx context.Context, ifc string, d time.Duration) {
	path := bundle.PcapDir + "/" + ifc + ".pcap"
	it := bundle.Item{Path: path, Source: bundle.SourceCapture}
	if !c.root {
		it.Status, it.Error = bundle.StatusSkipped, fmt.Sprintf("needs root (running as uid %d)", c.uid)
		c.files.record(it, nil)
		c.progress.item(it, false)
		return
	}
	if len(c.topo.Links) > 0 && !c.topo.Links[ifc] {
		it.Status, it.Error = bundle.StatusSkipped, "no such interface on this node"
		c.files.record(it, nil)
		c.progress.item(it, false)
		return
	}
	file := filepath.Join(c.tmp, safeName(ifc)+".pcap")
	start := time.Now()
	meta, err := c.captureTo(ctx, ifc, file, d, &it)
	it.DurationMs = time.Since(start).Milliseconds()
	if fi, serr := os.Stat(file); serr == nil && fi.Size() > 0 {
		c.files.putDisk(path, file)
	}
	if err != nil {
		it.Status, it.Error = bundle.StatusError, err.Error()
	} else {
		it.Status = bundle.StatusOK
	}
	if meta != nil {
		c.files.put(bundle.PcapDir+"/"+ifc+".json", meta)
	}
	c.files.record(it, nil)
	c.progress.item(it, false)
}

func (c *collector) captureTo(ctx context.Context, ifc, file string, d time.Duration, it *bundle.Item) ([]byte, error) {
	if c.native.Capture != nil {
		it.Command = "AF_PACKET capture on " + ifc + " (native)"
		f, err := safefile.CreateIn(filepath.Dir(file), filepath.Base(file))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var meta []byte
		var cerr error
		c.inNetnsWait(func(nsErr error) {
			if nsErr != nil {
				cerr = nsErr
				return
			}
			meta, cerr = c.native.Capture(ctx, CaptureOptions{
				Iface: ifc, Duration: d, MaxPackets: captureMaxPackets, MaxBytes: captureMaxBytes,
				SnapLen: captureSnapLen, VXLANPorts: c.topo.VXLANPorts, Out: f,
			})
		})
		if cerr == nil {
			return meta, nil
		}
		if _, lerr := c.lookPath("tcpdump"); lerr != nil {
			return meta, cerr
		}
		// Record the native failure, then try tcpdump.
		failed := *it
		failed.Status, failed.Error = bundle.StatusError, cerr.Error()
		c.files.record(failed, nil)
		c.progress.item(failed, false)
	}
	return c.tcpdump(ctx, ifc, file, d, it)
}

// captureFilter is the kernel filter of the fallback capture: the tunnels (IPIP
// and VXLAN on every port in use), DNS and ICMP (PMTU and unreachable errors).
func (c *collector) captureFilter() string {
	parts := []string{"ip proto 4"}
	for _, p := range c.topo.VXLANPorts {
		parts = append(parts, "udp port "+strconv.Itoa(p))
	}
	parts = append(parts, "port 53", "icmp", "icmp6")
	return strings.Join(parts, " or ")
}

// tcpdump captures with tcpdump when no native capture is available: it is
// stopped with SIGINT at the end of the window so that it flushes the file and
// prints its counters.
func (c *collector) tcpdump(ctx context.Context, ifc, file string, d time.Duration, it *bundle.Item) ([]byte, error) {
	filter := c.captureFilter()
	argv := []string{"tcpdump", "-i", ifc, "-n", "-s", strconv.Itoa(captureSnapLen), "-U", "-Z", "root",
		"-c", strconv.Itoa(captureMaxPackets), "-w", file, filter}
	it.Command = strings.Join(argv[:len(argv)-1], " ") + " '" + filter + "'"
	if _, err := c.lookPath("tcpdump"); err != nil {
		it.Command = "AF_PACKET capture on " + ifc
		return nil, fmt.Errorf("no native capture in this build and tcpdump not found: %w", err)
	}
	start := time.Now().UTC()
	out, err := c.interruptAfter(ctx, argv, d)
	st := parseTcpdumpStats(out)
	meta, _ := json.MarshalIndent(map[string]any{
		"interface":       ifc,
		"filter":          filter,
		"snapLen":         captureSnapLen,
		"start":           start.Format(time.RFC3339Nano),
		"durationSeconds": d.Seconds(),
		"packetsCaptured": st["captured"],
		"packetsReceived": st["received by filter"],
		"packetsDropped":  st["dropped by kernel"],
		"writer":          "tcpdump",
	}, "", "  ")
	return append(meta, '\n'), err
}

// parseTcpdumpStats reads "N packets captured", "N packets received by filter",
// "N packets dropped by kernel" from tcpdump's stderr.
func parseTcpdumpStats(stderr []byte) map[string]int64 {
	out := map[string]int64{}
	for _, ln := range strings.Split(string(stderr), "\n") {
		f := strings.Fields(ln)
		if len(f) >= 3 && f[1] == "packets" {
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				out[strings.Join(f[2:], " ")] = n
			}
		}
	}
	return out
}

// capturedBytes sums the capture files written so far, for the progress bar.
func (c *collector) capturedBytes() int64 {
	var n int64
	ents, _ := os.ReadDir(c.tmp)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// probe sends the DNS queries and writes dns/probe.json.
func (c *collector) probe(ctx context.Context) {
	var servers []netip.Addr
	// kubeadm's default address is a guess: on a host that shows no sign of
	// Kubernetes (no kube-dns Service, no IPVS service, no CoreDNS pod) it may be
	// somebody else's network, and nothing is sent there.
	if c.topo.DNSSource != "kubeadm default" || len(c.topo.CoreDNS) > 0 {
		servers = append(servers, c.topo.DNSService)
	}
	servers = append(servers, c.topo.CoreDNS...)
	if len(servers) > maxProbeServers {
		servers = servers[:maxProbeServers]
	}
	t := Task{
		Path: bundle.DNSProbePath, Description: "DNS probe", Source: bundle.SourceCapture,
		Command: fmt.Sprintf("DNS queries for %s to %s", strings.Join(probeNames, " "), strings.Join(addrStrings(servers), " ")),
		// Servers are asked in parallel, names one after the other, and each
		// query may wait for its whole timeout when DNS is broken.
		Timeout: time.Duration(len(probeNames))*probeTimeout + 3*time.Second,
	}
	switch {
	case len(servers) == 0:
		t.Command = "DNS queries"
		t.Run = func(context.Context) ([]byte, error) {
			return nil, skipped("no sign of Kubernetes on this host (DNS Service IP unknown, no CoreDNS pod): nothing to probe")
		}
	case c.native.Probe == nil:
		t.Run = func(context.Context) ([]byte, error) {
			return nil, skipped("no native DNS prober in this build")
		}
	default:
		t.Run = func(ctx context.Context) ([]byte, error) {
			return c.native.Probe(ctx, servers, probeNames, probeTimeout)
		}
	}
	c.runTask(ctx, t)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
