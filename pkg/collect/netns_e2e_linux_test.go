package collect

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/internal/testdns"
	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ethtool"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iplink"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iproute"
)

// calicoLab is two Calico-like VXLAN nodes and one pod on each, in network
// namespaces: node-a and node-b joined by a veth "underlay" (eth0), each with
// vxlan.calico, Felix-style routes to the other's block via its tunnel address
// (onlink), a blackhole for its own block (proto bird), and a cali* veth with a
// /32 route to its pod.
type calicoLab struct {
	t                    *testing.T
	nodeA, nodeB         string // namespace names
	podA, podB           string
	podAAddr, podBAddr   string
	underlayA, underlayB string
}

func skipUnlessRootWithIP(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip to build the namespaces")
	}
}

func (l *calicoLab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func (l *calicoLab) sysctl(ns, key, val string) {
	l.t.Helper()
	l.ip("netns", "exec", ns, "sh", "-c", "echo "+val+" > /proc/sys/"+strings.ReplaceAll(key, ".", "/"))
}

func newCalicoLab(t *testing.T) *calicoLab {
	t.Helper()
	skipUnlessRootWithIP(t)
	id := fmt.Sprintf("pnd%d", os.Getpid()%100000)
	l := &calicoLab{t: t, nodeA: id + "-a", nodeB: id + "-b", podA: id + "-pa", podB: id + "-pb",
		podAAddr: "10.244.0.130", podBAddr: "10.244.1.130", underlayA: "192.168.77.1", underlayB: "192.168.77.2"}
	for _, ns := range []string{l.nodeA, l.nodeB, l.podA, l.podB} {
		l.ip("netns", "add", ns)
		ns := ns
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		l.ip("-n", ns, "link", "set", "lo", "up")
	}
	if out, err := exec.Command("ip", "-n", l.nodeA, "link", "add", "vxtest", "type", "vxlan", "id", "1", "dstport", "4789").CombinedOutput(); err != nil {
		t.Skipf("no VXLAN support in this kernel: %s", out)
	}
	l.ip("-n", l.nodeA, "link", "del", "vxtest")

	l.ip("link", "add", "eth0", "netns", l.nodeA, "type", "veth", "peer", "name", "eth0", "netns", l.nodeB)
	type side struct {
		ns, pod, under, peerUnder, vtep, peerVtep, mac, peerMac, block, peerBlock, pod32, cali string
	}
	sides := []side{
		{l.nodeA, l.podA, l.underlayA, l.underlayB, "10.244.0.128", "10.244.1.128", "66:2f:3c:aa:10:01", "66:2f:3c:aa:10:02", "10.244.0.128/26", "10.244.1.128/26", l.podAAddr, "cali1a2b3c4d5e6"},
		{l.nodeB, l.podB, l.underlayB, l.underlayA, "10.244.1.128", "10.244.0.128", "66:2f:3c:aa:10:02", "66:2f:3c:aa:10:01", "10.244.1.128/26", "10.244.0.128/26", l.podBAddr, "cali6e5d4c3b2a1"},
	}
	for _, s := range sides {
		for _, k := range []string{"net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"} {
			v := "0"
			if k == "net.ipv4.ip_forward" {
				v = "1"
			}
			l.sysctl(s.ns, k, v)
		}
		l.ip("-n", s.ns, "addr", "add", s.under+"/24", "dev", "eth0")
		l.ip("-n", s.ns, "link", "set", "eth0", "up")
		l.ip("-n", s.ns, "route", "add", "default", "via", "192.168.77.254", "dev", "eth0", "onlink")
		l.ip("-n", s.ns, "link", "add", "vxlan.calico", "address", s.mac, "mtu", "1450", "type", "vxlan", "id", "4096",
			"local", s.under, "dev", "eth0", "dstport", "4789", "nolearning")
		l.ip("-n", s.ns, "addr", "add", s.vtep+"/32", "dev", "vxlan.calico")
		l.ip("-n", s.ns, "link", "set", "vxlan.calico", "up")
		l.ip("-n", s.ns, "neigh", "add", s.peerVtep, "lladdr", s.peerMac, "dev", "vxlan.calico", "nud", "permanent")
		l.ip("netns", "exec", s.ns, "bridge", "fdb", "add", s.peerMac, "dev", "vxlan.calico", "dst", s.peerUnder, "self", "permanent")
		l.ip("-n", s.ns, "route", "add", s.peerBlock, "via", s.peerVtep, "dev", "vxlan.calico", "onlink", "proto", "80")
		l.ip("-n", s.ns, "route", "add", "blackhole", s.block, "proto", "bird")
		// The pod: a veth whose host side is cali*, proxy ARP answering for
		// 169.254.1.1 as Calico does.
		l.ip("link", "add", s.cali, "netns", s.ns, "type", "veth", "peer", "name", "eth0", "netns", s.pod)
		l.ip("-n", s.ns, "link", "set", s.cali, "address", "ee:ee:ee:ee:ee:ee", "up")
		l.sysctl(s.ns, "net.ipv4.conf."+s.cali+".proxy_arp", "1")
		l.ip("-n", s.ns, "route", "add", s.pod32, "dev", s.cali, "scope", "link")
		l.ip("-n", s.pod, "addr", "add", s.pod32+"/32", "dev", "eth0")
		l.ip("-n", s.pod, "link", "set", "eth0", "up")
		l.ip("-n", s.pod, "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link")
		l.ip("-n", s.pod, "route", "add", "default", "via", "169.254.1.1", "dev", "eth0")
	}
	return l
}

// inNS runs fn on a thread in namespace ns, then moves the thread back.
func inNS(t *testing.T, ns string, fn func()) {
	t.Helper()
	testdns.InNetns(t, ns, fn)
}

// udpExchange runs a ping-like UDP exchange from pod A to pod B across the
// overlay until stop is closed; it returns the count of answers.
func (l *calicoLab) udpExchange(stop <-chan struct{}) *atomic.Int64 {
	var srv, cli net.PacketConn
	var err error
	inNS(l.t, l.podB, func() { srv, err = net.ListenPacket("udp4", l.podBAddr+":7777") })
	if err != nil {
		l.t.Fatal(err)
	}
	inNS(l.t, l.podA, func() { cli, err = net.ListenPacket("udp4", l.podAAddr+":0") })
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { srv.Close(); cli.Close() })
	testdns.Serve(srv, testdns.Echo)
	var answers atomic.Int64
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := cli.ReadFrom(buf); err != nil {
				return
			}
			answers.Add(1)
		}
	}()
	dst := &net.UDPAddr{IP: net.ParseIP(l.podBAddr), Port: 7777}
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for seq := 0; ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				cli.WriteTo([]byte(fmt.Sprintf("ping %d", seq)), dst)
			}
		}
	}()
	return &answers
}

// lineless zeroes every int field called Line or ending in "Line" (the parsed
// structures of two outputs are compared on content, not position).
func lineless(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			lineless(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if strings.HasSuffix(f.Name, "Line") && v.Field(i).CanSet() && v.Field(i).Kind() == reflect.Int {
				v.Field(i).SetInt(0)
				continue
			}
			if v.Field(i).CanSet() {
				lineless(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			lineless(v.Index(i))
		}
	}
}

func ipOutput(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := exec.Command("ip", args...).Output()
	if err != nil {
		t.Fatalf("ip %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestCollectInACalicoLikeNamespaceMatchesIPAndCapturesTheOverlay(t *testing.T) {
	l := newCalicoLab(t)
	stop := make(chan struct{})
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }) }
	defer halt()
	answers := l.udpExchange(stop)
	deadline := time.Now().Add(5 * time.Second)
	for answers.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if answers.Load() == 0 {
		t.Fatalf("no UDP answer across the overlay before collecting:\n%s\n%s",
			ipOutput(t, "-n", l.nodeA, "route"), ipOutput(t, "-n", l.nodeA, "neigh"))
	}

	// The stand-in API: an RKE2-shaped DNS Service (labelled k8s-app=kube-dns,
	// named rke2-coredns-rke2-coredns) with EndpointSlices only, a decoy
	// Endpoints named kube-dns, two CoreDNS pods of which one's log is
	// served and the other's denied, and this node's NodeLocal DNSCache pod
	// whose log is denied. (The API is reached from the host's namespace:
	// net/http dials on its own goroutines, outside the collector's.)
	loopLog := corednsLoopLog + "2024-05-01T10:00:03.000000000Z [ERROR] plugin/errors: upstream password=E2EPLANTpw\n"
	api := dnsStandIn{node: "node-a", svcName: "rke2-coredns-rke2-coredns", svcLabels: map[string]string{"k8s-app": "kube-dns", "app.kubernetes.io/instance": "rke2-coredns"},
		selector: map[string]string{"app.kubernetes.io/instance": "rke2-coredns", "k8s-app": "kube-dns"}, podIPs: []string{"10.244.1.130", "10.244.1.131"},
		logs: map[string]string{"coredns-7d8f9b-0": loopLog}, secret: "E2EPLANTobj"}
	kubeconfig := api.serve(t)

	out := filepath.Join(t.TempDir(), "node-a.tgz")
	progress := &syncBuffer{}
	start := time.Now()
	res, err := Collect(context.Background(), Options{
		Output: out, Netns: filepath.Join("/run/netns", l.nodeA), Node: "node-a", Kubeconfig: kubeconfig,
		CaptureSeconds: 2, Env: func(string) string { return "" }, Progress: progress, Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	halt()
	t.Logf("collect in a namespace: %s, bundle %d bytes\n%s", time.Since(start).Round(time.Millisecond), res.Size, progress.String())

	b, err := bundle.Open(res.Path, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	node, err := load.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bundle.IPRoutePath, bundle.IPLinkPath, bundle.IPAddrPath, bundle.BridgeFDBPath, bundle.IPNeighPath} {
		if it := item(t, res, p); it.Status != bundle.StatusOK {
			t.Errorf("%s: %+v", p, it)
		}
	}

	// net/ip-route.txt parses to what `ip -n NS route` gives.
	want, _ := iproute.Parse(ipOutput(t, "-n", l.nodeA, "route", "show"))
	lineless(reflect.ValueOf(want))
	lineless(reflect.ValueOf(node.Routes))
	if !reflect.DeepEqual(node.Routes, want) {
		t.Errorf("routes differ\nbundle: %+v\nip:     %+v", node.Routes, want)
	}
	var sawOnlink, sawBlackhole, sawCali bool
	for _, r := range node.Routes.Routes {
		sawOnlink = sawOnlink || (r.Dev == "vxlan.calico" && r.Has("onlink") && r.Via.String() == "10.244.1.128")
		sawBlackhole = sawBlackhole || (r.Type == "blackhole" && r.Proto == "bird")
		sawCali = sawCali || (strings.HasPrefix(r.Dev, "cali") && r.Dst.Bits() == 32)
	}
	if !sawOnlink || !sawBlackhole || !sawCali {
		t.Errorf("Calico routes missing from the bundle (onlink %v, blackhole %v, cali %v)", sawOnlink, sawBlackhole, sawCali)
	}

	// net/ip-link.txt parses to what `ip -n NS -d link` gives.
	wantLinks, _ := iplink.Parse(ipOutput(t, "-n", l.nodeA, "-d", "link", "show"))
	lineless(reflect.ValueOf(wantLinks))
	lineless(reflect.ValueOf(node.Link))
	if !reflect.DeepEqual(node.Link, wantLinks) {
		t.Errorf("links differ\nbundle: %+v\nip:     %+v", node.Link, wantLinks)
	}
	vx := node.Link.ByName("vxlan.calico")
	if vx == nil || vx.VXLAN == nil || vx.VXLAN.DstPort != 4789 || vx.VXLAN.ID != 4096 || vx.MTU != 1450 {
		t.Errorf("vxlan.calico in the bundle: %+v", vx)
	}

	// ethtool/IFNAME.txt parses to what `ethtool -k IFNAME` gives in the namespace.
	if _, err := exec.LookPath("ethtool"); err == nil {
		for _, ifc := range []string{"eth0", "vxlan.calico"} {
			got := node.Ethtool[ifc]
			if got == nil {
				t.Errorf("no ethtool/%s.txt", ifc)
				continue
			}
			out, err := exec.Command("ip", "netns", "exec", l.nodeA, "ethtool", "-k", ifc).Output()
			if err != nil {
				t.Fatalf("ethtool -k %s: %v", ifc, err)
			}
			want, _ := ethtool.ParseFeatures(out)
			lineless(reflect.ValueOf(want))
			lineless(reflect.ValueOf(got))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ethtool -k %s differs\nbundle: %+v\nethtool: %+v", ifc, got, want)
			}
		}
	} else {
		t.Log("ethtool not installed: ethtool/*.txt not compared")
	}

	// The capture on the uplink holds the VXLAN packets of the exchange.
	if it := item(t, res, bundle.PcapDir+"/eth0.pcap"); it.Status != bundle.StatusOK {
		t.Fatalf("capture: %+v", it)
	}
	f, err := b.Open(bundle.PcapDir + "/eth0.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, diags := capture.Summarize(f, capture.Options{})
	if hasError(diags) {
		t.Errorf("capture diagnostics %v", diags)
	}
	var vxPkts int64
	innerSeen := false
	for _, tf := range sum.Tunnels {
		if tf.Encap == capture.EncapVXLAN && tf.VNI == 4096 {
			vxPkts += tf.Packets
			for _, in := range tf.Inner {
				innerSeen = innerSeen || strings.Contains(fmt.Sprintf("%+v", in), l.podBAddr)
			}
		}
	}
	if vxPkts < 10 || !innerSeen {
		t.Errorf("capture: %d VXLAN packets, inner pod flow seen %v; tunnels %+v", vxPkts, innerSeen, sum.Tunnels)
	}
	if _, ok := node.Bundle.Manifest.Lookup(bundle.CountersAfterDir + "/proc-net-snmp"); !ok {
		t.Error("no counters after the window")
	}
	after, _ := b.ReadFile(bundle.CountersAfterDir + "/proc-net-snmp")
	host, _ := os.ReadFile("/proc/self/net/snmp")
	if len(after) == 0 || string(after) == string(host) {
		t.Error("counters/after/proc-net-snmp is empty or the host's, not the namespace's")
	}

	// The DNS items of the API: the Service found by label, its endpoints by
	// the slices' label (not the decoy named kube-dns), the CoreDNS log with
	// the served pod and the 403 said, NodeLocal DNSCache's log forbidden.
	for p, want := range map[string]string{
		bundle.KubeDNSServicePath: bundle.StatusOK, bundle.KubeDNSEndpointsPath: bundle.StatusOK, bundle.KubeCoreDNSPodsPath: bundle.StatusOK,
		bundle.CorednsLogPath: bundle.StatusError, bundle.NodeLocalDNSLogPath: bundle.StatusForbidden,
	} {
		if it := item(t, res, p); it.Status != want {
			t.Errorf("%s: %+v, want status %s", p, it, want)
		}
	}
	if node.DNSService == nil || len(node.DNSService.Services) != 1 || node.DNSService.Services[0].Name != "rke2-coredns-rke2-coredns" {
		t.Errorf("DNS Service in the bundle: %+v", node.DNSService)
	}
	var epIPs []string
	if node.Endpoints != nil {
		for _, e := range node.Endpoints.Items {
			for _, a := range e.Addresses {
				epIPs = append(epIPs, e.Kind+" "+e.Service+" "+a.IP.String())
			}
		}
	}
	if strings.Join(epIPs, ",") != "EndpointSlice rke2-coredns-rke2-coredns 10.244.1.130,EndpointSlice rke2-coredns-rke2-coredns 10.244.1.131" {
		t.Errorf("endpoints in the bundle: %v", epIPs)
	}
	if cl := item(t, res, bundle.CorednsLogPath); !cl.Partial || !strings.Contains(cl.Error, "coredns-7d8f9b-1: forbidden") {
		t.Errorf("coredns.log item: %+v", cl)
	}
	if node.CorednsLog == nil || len(node.CorednsLog.Blocks) != 1 || node.CorednsLog.Blocks[0].Pod != "coredns-7d8f9b-0" || node.CorednsLog.Count("loop") != 1 {
		t.Errorf("coredns.log as analyze reads it: %+v", node.CorednsLog)
	}
	if nl := item(t, res, bundle.NodeLocalDNSLogPath); !strings.Contains(nl.Error, "403") {
		t.Errorf("node-local-dns.log: the API's 403 not said: %+v", nl)
	}
	rg, _ := b.ReadFile(bundle.RouteGetPath)
	for _, a := range []string{"10.43.0.10", "10.244.1.130", "10.244.1.131"} {
		if !strings.Contains(string(rg), "# ip route get "+a+"\n") {
			t.Errorf("route-get lacks %s (DNS Service or CoreDNS pod found through the API):\n%s", a, rg)
		}
	}
	raw, _ := os.ReadFile(res.Path)
	for _, p := range []string{bundle.CorednsLogPath, bundle.KubeDNSServicePath, bundle.KubeCoreDNSPodsPath} {
		data, _ := b.ReadFile(p)
		if strings.Contains(string(data), "E2EPLANT") || strings.Contains(string(raw), "E2EPLANT") {
			t.Errorf("a planted secret reached %s or the tarball", p)
		}
	}
}
