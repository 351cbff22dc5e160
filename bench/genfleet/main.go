// Command genfleet writes the bundles of a whole synthetic Calico cluster for
// the fleet benchmark (bench/fleet.sh): one NODE-YYYYMMDDTHHMMSSZ.tgz per node,
// as `collect` writes them (manifest.json with one item per attempt, the
// commands' own text formats, the cluster-wide kube objects fetched on every
// node), with one planted fault whose rule must come out as the root cause.
//
//	genfleet -o DIR [-n 100] [-services 2000] [-reals 3] [-encap ipip|vxlan]
//	         [-capture 20M] [-capture-peers 8] [-storm QPS] [-storm-node I]
//	         [-fault route-next-hop-wrong|ipvs-dns-no-backends|link-tunnel-one-way|none]
//	         [-fault-node I]
//
// What grows with the cluster grows as on a real node: every node holds a
// route per peer's pod block, a BGP session per peer (full mesh), the peers in
// cali40all-hosts-net and in route-get.txt, and kube/nodes.json lists all N
// nodes; every node's IPVS table has the same S services × R real servers, with
// each ClusterIP on kube-ipvs0 and in the local routing table and the
// KUBE-CLUSTER-IP ipset. The optional capture of each node (pkg/capture/synth)
// carries tunnel traffic to and from its capture peers (its neighbours on a
// ring, so that every flow is also in the peer's capture and the two join) and
// DNS queries, all answered unless the node is the storm's.
//
// It prints a JSON summary (bundles, bytes, the expected root cause) on stdout.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/capture/synth"
	"github.com/podnetdiag/podnetdiag/pkg/nativenet"
)

// Faults that can be planted, by the id of the rule that must find them.
const (
	FaultNone          = "none"
	FaultRouteNextHop  = "route-next-hop-wrong"
	FaultIPVSNoBackend = "ipvs-dns-no-backends"
	// FaultTunnelOneWay: the underlay drops the tunnel packets from the
	// faulty node to the next node on the ring (needs captures).
	FaultTunnelOneWay = "link-tunnel-one-way"
)

// Config says what cluster to write.
type Config struct {
	Out      string
	Nodes    int
	Services int // IPVS virtual services, the DNS ones and kubernetes included
	Reals    int // real servers per ordinary service
	Pods     int // workload pods per node
	Encap    string
	// CaptureBytes is the size of each node's pcap/eth0.pcap; 0: no capture.
	CaptureBytes int64
	CapturePeers int // peers each node's capture has tunnel traffic with
	StormQPS     int // a DNS storm in StormNode's capture; 0: none
	StormNode    int
	Fault        string
	FaultNode    int
	Seed         uint64
	Parallel     int
	// At is when the bundles were "collected" (their names and manifests).
	At time.Time
}

// Summary is what was written.
type Summary struct {
	Dir            string   `json:"dir"`
	Bundles        []string `json:"bundles"`
	Bytes          int64    `json:"bytes"`
	Nodes          int      `json:"nodes"`
	Services       int      `json:"services"`
	Reals          int      `json:"reals"`
	Encap          string   `json:"encap"`
	CaptureBytes   int64    `json:"captureBytes"`
	Fault          string   `json:"fault"`
	FaultNode      string   `json:"faultNode,omitempty"`
	ExpectRule     string   `json:"expectRootCauseRule,omitempty"`
	ExpectNode     string   `json:"expectRootCauseNode,omitempty"`
	CoreDNSNodes   []string `json:"corednsNodes"`
	StormNode      string   `json:"stormNode,omitempty"`
	GenerateSecond float64  `json:"generateSeconds"`
}

func main() {
	c := Config{At: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	flag.StringVar(&c.Out, "o", "/tmp/podnetdiag-bench/fleet", "output folder (its *.tgz are replaced)")
	flag.IntVar(&c.Nodes, "n", 10, "nodes (at least 3)")
	flag.IntVar(&c.Services, "services", 2000, "IPVS virtual services per node")
	flag.IntVar(&c.Reals, "reals", 3, "real servers per service")
	flag.IntVar(&c.Pods, "pods", 20, "workload pods per node (at most 40)")
	flag.StringVar(&c.Encap, "encap", "ipip", "ipip or vxlan")
	capture := flag.String("capture", "0", "capture size per node (e.g. 20M, 1M; 0: no capture)")
	flag.IntVar(&c.CapturePeers, "capture-peers", 8, "nodes each capture has tunnel traffic with")
	flag.IntVar(&c.StormQPS, "storm", 0, "a DNS timeout storm of this many queries/s in one node's capture")
	flag.IntVar(&c.StormNode, "storm-node", -1, "index of the storm's node (default: the fault's node)")
	flag.StringVar(&c.Fault, "fault", FaultRouteNextHop, "planted fault: "+FaultRouteNextHop+", "+FaultIPVSNoBackend+", "+FaultTunnelOneWay+" (needs -capture) or "+FaultNone)
	flag.IntVar(&c.FaultNode, "fault-node", -1, "index of the faulty node (default: the last)")
	flag.Uint64Var(&c.Seed, "seed", 1, "seed of the captures")
	flag.IntVar(&c.Parallel, "parallel", runtime.GOMAXPROCS(0), "bundles written at once")
	flag.Parse()
	var err error
	if c.CaptureBytes, err = parseSize(*capture); err != nil {
		fmt.Fprintln(os.Stderr, "genfleet: -capture:", err)
		os.Exit(2)
	}
	start := time.Now()
	sum, err := Generate(context.Background(), c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genfleet:", err)
		os.Exit(1)
	}
	sum.GenerateSecond = time.Since(start).Seconds()
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	sum.Bundles = nil // the folder says it; 1,000 names are noise
	_ = enc.Encode(sum)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * mult, nil
}

// Addresses of the cluster. Nodes sit in one /16; node i owns the i-th /26 of
// the pool and uses its first address as its tunnel address, as Calico does.
const (
	nodeNet   = 0x0A140000 // 10.20.0.0/16
	gateway   = nodeNet + 1
	poolBase  = 0x0A400000 // 10.64.0.0/14: 4,096 blocks of /26
	poolCIDR  = "10.64.0.0/14"
	svcBase   = 0x0A600000 // 10.96.0.0/12
	dnsVIP    = "10.96.0.10"
	corePodK  = 53 // a CoreDNS pod is the 53rd address of its block (synth's DNS server)
	firstPodK = 2
)

func ip4(u uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", u>>24, u>>16&0xff, u>>8&0xff, u&0xff)
}

// cluster holds the derived addresses and the objects every bundle shares.
type cluster struct {
	c        Config
	names    []string
	coreDNS  []int // nodes of the two CoreDNS pods
	kubeObjs map[string][]byte
	svcs     []nativenet.IPVSService // the healthy IPVS table (sorted by RenderIPVS)
	vips     []uint32                // ClusterIPs, on kube-ipvs0
}

func (cl *cluster) nodeIP(i int) uint32 { return nodeNet + 10 + uint32(i) }
func (cl *cluster) block(i int) uint32  { return poolBase + 64*uint32(i) }
func (cl *cluster) podIP(i, k int) uint32 {
	return cl.block(i) + uint32(k)
}
func (cl *cluster) mac(i int) string {
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff)
}
func (cl *cluster) vxlanMAC(i int) string {
	h := hash("vxlan", i, 0)
	return fmt.Sprintf("66:%02x:%02x:%02x:%02x:%02x", h>>32&0xff, h>>24&0xff, h>>16&0xff, h>>8&0xff, h&0xff)
}

// caliName is the host side of a pod's veth: "cali" and 11 hex digits of a
// hash, as Calico names them.
func caliName(node, k int) string {
	return fmt.Sprintf("cali%011x", hash("cali", node, k)&0xfffffffffff)
}

func hash(s string, a, b int) uint64 {
	h := fnv.New64a()
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(a))
	binary.LittleEndian.PutUint64(buf[8:], uint64(b))
	h.Write([]byte(s))
	h.Write(buf[:])
	return h.Sum64()
}

func (cl *cluster) tunnelDev() string {
	if cl.c.Encap == "vxlan" {
		return "vxlan.calico"
	}
	return "tunl0"
}

func (cl *cluster) tunnelMTU() int {
	if cl.c.Encap == "vxlan" {
		return 1450
	}
	return 1480
}

func (cl *cluster) isCoreDNS(i int) bool {
	for _, c := range cl.coreDNS {
		if c == i {
			return true
		}
	}
	return false
}

// pods are the workload pod indexes of node i within its block (plus the
// CoreDNS pod's, where one runs).
func (cl *cluster) pods(i int) []int {
	var ks []int
	for k := firstPodK; k < firstPodK+cl.c.Pods; k++ {
		ks = append(ks, k)
	}
	if cl.isCoreDNS(i) {
		ks = append(ks, corePodK)
	}
	return ks
}

// capturePeers are node i's neighbours on a ring: symmetric, so that what i's
// capture shows leaving for a peer the peer's capture shows arriving.
func (cl *cluster) capturePeers(i int) []int {
	n := cl.c.Nodes
	half := max(1, cl.c.CapturePeers/2)
	seen := map[int]bool{i: true}
	var ps []int
	for d := 1; d <= half; d++ {
		for _, p := range []int{(i + d) % n, ((i-d)%n + n) % n} {
			if !seen[p] {
				seen[p] = true
				ps = append(ps, p)
			}
		}
	}
	sort.Ints(ps)
	return ps
}

func (c *Config) check() error {
	switch {
	case c.Nodes < 3:
		return fmt.Errorf("-n %d: at least 3 nodes (two run CoreDNS, one has the fault)", c.Nodes)
	case c.Nodes > 4000:
		return fmt.Errorf("-n %d: at most 4,000 nodes (the pool's /26 blocks)", c.Nodes)
	case c.Pods < 6 || c.Pods > 40:
		return fmt.Errorf("-pods %d: 6 to 40 (the capture's clients are pods 2-61, CoreDNS is pod 53)", c.Pods)
	case c.Services < 4 || c.Services > 60000:
		return fmt.Errorf("-services %d: 4 to 60,000", c.Services)
	case c.Reals < 1 || c.Reals > 50:
		return fmt.Errorf("-reals %d: 1 to 50", c.Reals)
	case c.Encap != "ipip" && c.Encap != "vxlan":
		return fmt.Errorf("-encap %q: ipip or vxlan", c.Encap)
	}
	switch c.Fault {
	case FaultNone, FaultRouteNextHop, FaultIPVSNoBackend, FaultTunnelOneWay:
	default:
		return fmt.Errorf("-fault %q: %s, %s, %s or %s", c.Fault, FaultRouteNextHop, FaultIPVSNoBackend, FaultTunnelOneWay, FaultNone)
	}
	if c.Fault == FaultTunnelOneWay && c.CaptureBytes == 0 {
		return fmt.Errorf("-fault %s needs -capture: only captures show it", c.Fault)
	}
	if c.FaultNode < 0 {
		c.FaultNode = c.Nodes - 1
	}
	if c.Fault == FaultRouteNextHop && c.FaultNode < 2 {
		// Nodes 0 and 1 run CoreDNS; the wrong next hop of the route to
		// node 0's block is node 1.
		return fmt.Errorf("-fault-node %d: %s needs a node without CoreDNS (2 or more)", c.FaultNode, c.Fault)
	}
	if c.FaultNode >= c.Nodes {
		return fmt.Errorf("-fault-node %d: only %d nodes", c.FaultNode, c.Nodes)
	}
	if c.StormNode < 0 {
		c.StormNode = c.FaultNode
	}
	if c.StormNode >= c.Nodes {
		return fmt.Errorf("-storm-node %d: only %d nodes", c.StormNode, c.Nodes)
	}
	if c.StormQPS > 0 && c.CaptureBytes == 0 {
		return errors.New("-storm needs -capture")
	}
	if c.CapturePeers < 1 {
		c.CapturePeers = 1
	}
	if c.Parallel < 1 {
		c.Parallel = 1
	}
	if c.At.IsZero() {
		c.At = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	}
	return nil
}

// Generate writes the bundles into c.Out (created; *.tgz already there are
// removed first, so that a smaller run leaves no stale nodes behind).
func Generate(ctx context.Context, c Config) (*Summary, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(c.Out, "*.tgz"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return nil, fmt.Errorf("removing an old bundle: %w", err)
		}
	}
	cl := newCluster(c)
	sum := &Summary{
		Dir: c.Out, Nodes: c.Nodes, Services: c.Services, Reals: c.Reals, Encap: c.Encap,
		CaptureBytes: c.CaptureBytes, Fault: c.Fault,
		CoreDNSNodes: []string{cl.names[cl.coreDNS[0]], cl.names[cl.coreDNS[1]]},
	}
	if c.Fault != FaultNone {
		sum.FaultNode = cl.names[c.FaultNode]
		sum.ExpectRule, sum.ExpectNode = c.Fault, cl.names[c.FaultNode]
	}
	if c.StormQPS > 0 {
		sum.StormNode = cl.names[c.StormNode]
	}
	sum.Bundles = make([]string, c.Nodes)
	sizes := make([]int64, c.Nodes)
	errs := make([]error, c.Nodes)
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(c.Parallel, c.Nodes); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				sum.Bundles[i], sizes[i], errs[i] = cl.writeNode(i)
			}
		}()
	}
feed:
	for i := 0; i < c.Nodes; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range sizes {
		sum.Bytes += s
	}
	return sum, nil
}

func newCluster(c Config) *cluster {
	cl := &cluster{c: c, coreDNS: []int{0, 1}, kubeObjs: map[string][]byte{}}
	width := max(3, len(strconv.Itoa(c.Nodes-1)))
	for i := 0; i < c.Nodes; i++ {
		cl.names = append(cl.names, fmt.Sprintf("node-%0*d", width, i))
	}
	cl.buildServices()
	cl.buildKubeObjects()
	return cl
}

// buildServices makes the IPVS table every node holds: kubernetes (the API
// servers of the first three nodes), kube-dns (UDP 53, TCP 53, TCP 9153 to the
// CoreDNS pods), then ordinary services of one TCP port each, whose real
// servers are pods spread over the cluster.
func (cl *cluster) buildServices() {
	c := cl.c
	tcp, udp := uint16(6), uint16(17)
	masq := uint32(0) // IP_VS_CONN_F_MASQ
	mk := func(proto uint16, vip uint32, port uint16, dests []nativenet.IPVSDest) nativenet.IPVSService {
		return nativenet.IPVSService{AF: 2, Protocol: proto, Addr: addr(vip), Port: port, Sched: "rr", Netmask: 0xFFFFFFFF, Dests: dests}
	}
	var api []nativenet.IPVSDest
	for i := 0; i < 3; i++ {
		api = append(api, nativenet.IPVSDest{Addr: addr(cl.nodeIP(i)), Port: 6443, ConnFlags: masq, Weight: 1, Active: uint32(2 + i)})
	}
	core := func(port uint16, inact uint32) []nativenet.IPVSDest {
		var ds []nativenet.IPVSDest
		for j, n := range cl.coreDNS {
			ds = append(ds, nativenet.IPVSDest{Addr: addr(cl.podIP(n, corePodK)), Port: port, ConnFlags: masq, Weight: 1, Inactive: inact + uint32(j)*7})
		}
		return ds
	}
	dns := uint32(svcBase + 10)
	cl.vips = []uint32{svcBase + 1, dns}
	cl.svcs = []nativenet.IPVSService{
		mk(tcp, svcBase+1, 443, api),
		mk(tcp, dns, 53, core(53, 0)),
		mk(tcp, dns, 9153, core(9153, 0)),
		mk(udp, dns, 53, core(53, 112)),
	}
	ports := []uint16{80, 8080, 443, 9090, 5432, 6379, 8443, 3000}
	for s := 0; len(cl.svcs) < c.Services; s++ {
		vip := svcBase + 0x100 + uint32(s) // 10.96.1.0 onwards
		cl.vips = append(cl.vips, vip)
		port := ports[s%len(ports)]
		var ds []nativenet.IPVSDest
		for r := 0; r < c.Reals; r++ {
			h := hash("real", s, r)
			node := int(h % uint64(c.Nodes))
			k := firstPodK + int(h>>20)%c.Pods
			ds = append(ds, nativenet.IPVSDest{Addr: addr(cl.podIP(node, k)), Port: port, ConnFlags: masq, Weight: 1,
				Active: uint32(h >> 40 % 4), Inactive: uint32(h >> 44 % 30)})
		}
		cl.svcs = append(cl.svcs, mk(tcp, vip, port, ds))
	}
}

func addr(u uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], u)
	return netip.AddrFrom4(b)
}

func ip4From(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func addrBytes(u uint32) []byte {
	b := addr(u).As4()
	return b[:]
}

// writeNode writes node i's bundle and returns its path and size.
func (cl *cluster) writeNode(i int) (string, int64, error) {
	c := cl.c
	name := cl.names[i]
	at := c.At.Add(time.Duration(i%7) * 100 * time.Millisecond) // nodes finish a little apart
	file := fmt.Sprintf("%s-%s.tgz", name, at.Format("20060102T150405Z"))
	path := filepath.Join(c.Out, file)
	m := &bundle.Manifest{Schema: bundle.SchemaV1, Node: name, CollectedAt: at,
		Collector: bundle.Collector{Name: "podnetdiag-collect", Version: "v0.9.0"}}
	f, err := os.Create(path)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	w := bundle.NewWriter(f, name+"-"+at.Format("20060102T150405Z"))
	w.SetManifest(m)
	nb := &nodeBundle{cl: cl, i: i, w: w, m: m}
	var pcapTmp string
	if c.CaptureBytes > 0 {
		pcapTmp = path + ".pcap.tmp"
		defer os.Remove(pcapTmp)
	}
	if err := nb.write(pcapTmp); err != nil {
		return "", 0, fmt.Errorf("%s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return "", 0, fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("%s: %w", name, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	return path, fi.Size(), nil
}

// nodeBundle writes one node's files and records each as a manifest item.
type nodeBundle struct {
	cl  *cluster
	i   int
	w   *bundle.Writer
	m   *bundle.Manifest
	err error
}

func (nb *nodeBundle) add(path, source, command string, ms int64, data []byte) {
	if nb.err != nil {
		return
	}
	if err := nb.w.AddFile(path, data); err != nil {
		nb.err = err
		return
	}
	it := bundle.Item{Path: path, Source: source, Command: command, Status: bundle.StatusOK, DurationMs: ms}
	if source == bundle.SourceCommand {
		zero := 0
		it.ExitCode = &zero
	}
	nb.m.Items = append(nb.m.Items, it)
}

func (nb *nodeBundle) skip(path, source, command, why string) {
	nb.m.Items = append(nb.m.Items, bundle.Item{Path: path, Source: source, Command: command, Status: bundle.StatusSkipped, Error: why})
}

func (nb *nodeBundle) write(pcapTmp string) error {
	cl, i := nb.cl, nb.i
	name := cl.names[i]
	nb.add(bundle.HostnamePath, bundle.SourceFile, "/proc/sys/kernel/hostname", 0, []byte(name+"\n"))
	nb.add(bundle.UnamePath, bundle.SourceFile, "/proc/sys/kernel/{ostype,hostname,osrelease,version} + uname(2) machine", 0,
		[]byte("Linux "+name+" 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 GNU/Linux\n"))
	nb.add(bundle.OSReleasePath, bundle.SourceFile, "/etc/os-release", 0, []byte(osRelease))
	nb.add(bundle.SysctlPath, bundle.SourceFile, "/proc/sys", 41, nb.sysctl())
	nb.add(bundle.ResolvConfPath, bundle.SourceFile, "/etc/resolv.conf", 0,
		[]byte("# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\nnameserver "+ip4(gateway)+"\nsearch cluster.example.internal\n"))
	nb.skip("dns/systemd-resolved-resolv.conf", bundle.SourceFile, "/run/systemd/resolve/resolv.conf", "no such file")
	nb.add(bundle.IPAddrPath, bundle.SourceNetlink, "ip addr show (native)", 3, nb.ipAddr())
	nb.add(bundle.IPLinkPath, bundle.SourceNetlink, "ip -d link show (native)", 2, nb.ipLink())
	routes := nb.ipRoute()
	nb.add(bundle.IPRoutePath, bundle.SourceNetlink, "ip route show (native)", 2, routes)
	nb.add(bundle.IPRouteAllPath, bundle.SourceNetlink, "ip route show table all (native)", 4, nb.ipRouteAll(routes))
	nb.add(bundle.IPRulePath, bundle.SourceNetlink, "ip rule show (native)", 0,
		[]byte("0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n"))
	nb.add(bundle.IPNeighPath, bundle.SourceNetlink, "ip neigh show (native)", 1, nb.ipNeigh())
	nb.add(bundle.BridgeFDBPath, bundle.SourceNetlink, "bridge fdb show (native)", 1, nb.bridgeFDB())
	nb.add(bundle.IPTablesSavePath, bundle.SourceCommand, "iptables-save -c", 38, nb.iptables(0))
	nb.skip(bundle.NFTRulesetPath, bundle.SourceCommand, "nft list ruleset", "nft: not in PATH")
	nb.add(bundle.IPSetListPath, bundle.SourceCommand, "ipset list", 12, nb.ipsets())
	nb.add(bundle.ConntrackStats, bundle.SourceCommand, "conntrack -S", 3, nb.conntrack(0))
	nb.add(bundle.ProcConntrackStatPath, bundle.SourceFile, "/proc/net/stat/nf_conntrack", 0, procConntrack)
	nb.add(bundle.DmesgPath, bundle.SourceCommand, "dmesg -T", 6, []byte(dmesg))
	nb.add(bundle.KubeletConfigPath, bundle.SourceFile, "/var/lib/kubelet/config.yaml", 0, []byte(kubeletConfig))
	svcs := nb.ipvsServices()
	nb.add(bundle.IPVSPath, bundle.SourceNetlink, "ipvsadm -Ln (native)", 9, nativenet.RenderIPVS(ipvsInfo, svcs, false))
	nb.add(bundle.IPVSStatsPath, bundle.SourceNetlink, "ipvsadm -Ln --stats (native)", 9, nativenet.RenderIPVS(ipvsInfo, withStats(svcs, 0), true))
	nb.add(bundle.CalicoEnvPath, bundle.SourceCommand, "crictl inspect (calico-node) .info.config.envs", 80, nb.calicoEnv())
	if cl.c.Encap == "ipip" {
		nb.add(bundle.BirdProtocolsPath, bundle.SourceCommand, "birdcl -s /var/run/calico/bird.ctl show protocols", 14, nb.bird())
	} else {
		nb.skip(bundle.BirdProtocolsPath, bundle.SourceCommand, "birdcl -s /var/run/calico/bird.ctl show protocols", "CALICO_NETWORKING_BACKEND=vxlan: no BIRD")
	}
	nb.add(bundle.CalicoNodeLogPath, bundle.SourceCommand, "crictl logs --tail 2000 (calico-node)", 60, nb.calicoLog())
	nb.add(bundle.KubeProxyLogPath, bundle.SourceCommand, "crictl logs --tail 2000 (kube-proxy)", 50, nb.kubeProxyLog())
	nb.skip(bundle.NodeLocalDNSLogPath, bundle.SourceCommand, "crictl logs --tail 2000 (node-local-dns)", "no node-local-dns container on this node")
	for _, o := range kubeObjectOrder {
		nb.add(o.path, bundle.SourceKubectl, "GET "+o.url, 20+int64(len(cl.kubeObjs[o.path])>>16), cl.kubeObjs[o.path])
	}
	for _, ifc := range []string{"eth0", cl.tunnelDev()} {
		nb.add(bundle.EthtoolDir+"/"+ifc+".txt", bundle.SourceIoctl, "ethtool -k "+ifc+" (native)", 0, ethtoolK(ifc))
	}
	nb.add(bundle.RouteGetPath, bundle.SourceNetlink, "ip route get ADDR (native), for the peers, CoreDNS and the DNS Service", 5, nb.routeGet())
	nb.counters(bundle.CountersBeforeDir, 0)
	if pcapTmp != "" {
		if err := nb.capture(pcapTmp); err != nil {
			return err
		}
	} else {
		nb.skip(bundle.PcapDir, bundle.SourceCapture, "", "no capture window (--capture-seconds 0)")
	}
	nb.skip(bundle.DNSProbePath, bundle.SourceCapture, "DNS queries for "+dnsVIP, "no native DNS prober in this build")
	if pcapTmp != "" {
		nb.counters(bundle.CountersAfterDir, 1)
	}
	return nb.err
}

var ipvsInfo = nativenet.IPVSInfo{Version: 0x010201, Size: 4096}

// ipvsServices is the node's table: the cluster's, with the planted fault.
func (nb *nodeBundle) ipvsServices() []nativenet.IPVSService {
	svcs := make([]nativenet.IPVSService, len(nb.cl.svcs))
	copy(svcs, nb.cl.svcs)
	if nb.cl.c.Fault == FaultIPVSNoBackend && nb.i == nb.cl.c.FaultNode {
		// kube-proxy on this node stopped syncing when the CoreDNS pods were
		// rescheduled: the DNS services are there, their real servers gone.
		for k := range svcs {
			if ip4From(svcs[k].Addr) == svcBase+10 && svcs[k].Port == 53 {
				svcs[k].Dests = nil
			}
		}
	}
	return svcs
}

// withStats fills the counters of `ipvsadm -Ln --stats` (the after reading
// a little higher than the before one).
func withStats(svcs []nativenet.IPVSService, after int) []nativenet.IPVSService {
	out := make([]nativenet.IPVSService, len(svcs))
	for k, s := range svcs {
		s.Dests = append([]nativenet.IPVSDest(nil), s.Dests...)
		var tot nativenet.IPVSCounters
		for j := range s.Dests {
			h := hash("stats", k, j)
			conns := h%5000 + uint64(after)*(h%7)
			d := &s.Dests[j]
			d.Stats = nativenet.IPVSCounters{Conns: conns, InPkts: conns * 9, OutPkts: conns * 8, InBytes: conns * 1100, OutBytes: conns * 5400}
			tot.Conns += d.Stats.Conns
			tot.InPkts += d.Stats.InPkts
			tot.OutPkts += d.Stats.OutPkts
			tot.InBytes += d.Stats.InBytes
			tot.OutBytes += d.Stats.OutBytes
		}
		s.Stats = tot
		out[k] = s
	}
	return out
}

func (nb *nodeBundle) counters(dir string, after int) {
	svcs := nb.ipvsServices()
	nb.add(dir+"/ipvsadm-Ln-stats.txt", bundle.SourceNetlink, "ipvsadm -Ln --stats (native)", 9, nativenet.RenderIPVS(ipvsInfo, withStats(svcs, after), true))
	nb.add(dir+"/iptables-save.txt", bundle.SourceCommand, "iptables-save -c", 37, nb.iptables(after))
	nb.add(dir+"/proc-net-snmp", bundle.SourceFile, "/proc/net/snmp", 0, procSNMP(after))
	nb.add(dir+"/proc-net-netstat", bundle.SourceFile, "/proc/net/netstat", 0, []byte(procNetstat))
	nb.add(dir+"/conntrack-stats.txt", bundle.SourceCommand, "conntrack -S", 3, nb.conntrack(after))
	nb.add(dir+"/proc-net-stat-nf_conntrack", bundle.SourceFile, "/proc/net/stat/nf_conntrack", 0, procConntrack)
	nb.add(dir+"/ethtool-S-eth0.txt", bundle.SourceIoctl, "ethtool -S eth0 (native)", 0, ethtoolS(after))
	nb.m.Items = append(nb.m.Items, bundle.Item{Path: dir + "/ethtool-S-" + nb.cl.tunnelDev() + ".txt", Source: bundle.SourceIoctl,
		Command: "ethtool -S " + nb.cl.tunnelDev() + " (native)", Status: bundle.StatusSkipped, Error: "no stats available"})
}

// capture writes pcap/eth0.pcap (through a temporary file, as collect does)
// and pcap/eth0.json.
func (nb *nodeBundle) capture(tmp string) error {
	cl, i := nb.cl, nb.i
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	sc := synth.Config{
		Bytes: cl.c.CaptureBytes, Seed: cl.c.Seed*1_000_003 + uint64(i),
		UnansweredPermille: -1,
		Cluster: &synth.Cluster{
			Self: i, Peers: cl.capturePeers(i),
			NodeIP:    func(n int) net.IP { return net.IP(addrBytes(cl.nodeIP(n))) },
			PodIP:     func(n, k int) net.IP { return net.IP(addrBytes(cl.podIP(n, k))) },
			IPIPOnly:  cl.c.Encap == "ipip",
			VXLANOnly: cl.c.Encap == "vxlan",
			Joinable:  true, PairSeed: cl.c.Seed,
			Lost: func(from, to int) bool {
				return cl.c.Fault == FaultTunnelOneWay && from == cl.c.FaultNode && to == (cl.c.FaultNode+1)%cl.c.Nodes
			},
		},
	}
	if cl.c.StormQPS > 0 && i == cl.c.StormNode {
		sc.StormQPS, sc.UnansweredPermille = cl.c.StormQPS, 0
	}
	st, err := synth.Write(f, sc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	first, last, err := pcapSpan(tmp)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if nb.err != nil {
		return nb.err
	}
	if err := nb.w.AddFromDisk(bundle.PcapDir+"/eth0.pcap", tmp); err != nil {
		return err
	}
	nb.m.Items = append(nb.m.Items, bundle.Item{Path: bundle.PcapDir + "/eth0.pcap", Source: bundle.SourceCapture,
		Command: "AF_PACKET capture on eth0", Status: bundle.StatusOK, DurationMs: last.Sub(first).Milliseconds()})
	// pkg/livecap's Meta, as the native capture writes it.
	meta, _ := json.MarshalIndent(map[string]any{
		"interface": "eth0", "filter": "ip proto 4 or udp port 4789 or port 53 or icmp", "linkType": "EN10MB",
		"snapLen": 262144, "start": first.Format(time.RFC3339Nano), "end": last.Format(time.RFC3339Nano),
		"durationMs": last.Sub(first).Milliseconds(), "packets": st.Packets, "bytes": st.Bytes,
		"dropped": 0, "kernelSeen": st.Packets, "stoppedBy": "duration",
	}, "", "  ")
	nb.add(bundle.PcapDir+"/eth0.json", bundle.SourceCapture, "", 0, append(meta, '\n'))
	return nil
}

// pcapSpan reads the first and last packet times of a pcap (µs) file.
func pcapSpan(path string) (first, last time.Time, err error) {
	f, err := os.Open(path)
	if err != nil {
		return first, last, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [24]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return first, last, err
	}
	var rec [16]byte
	for n := 0; ; n++ {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return first, last, nil
			}
			return first, last, err
		}
		t := time.Unix(int64(binary.LittleEndian.Uint32(rec[0:4])), int64(binary.LittleEndian.Uint32(rec[4:8]))*1000).UTC()
		if n == 0 {
			first = t
		}
		last = t
		if _, err := r.Discard(int(binary.LittleEndian.Uint32(rec[8:12]))); err != nil {
			return first, last, err
		}
	}
}
