//go:build linux

package livecap

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// overlay is two Calico-like nodes joined by a veth underlay
// (10.41.1.20 <-> 10.41.1.21) and a VXLAN overlay: node A's pod block is
// 10.40.33.0/26, node B's 10.40.52.128/26, and 10.40.52.149 is a "CoreDNS pod"
// on node B. All traffic stays between the namespaces.
type overlay struct{ a, b string }

func (o overlay) path(ns string) string { return "/run/netns/" + ns }

func newOverlay(t *testing.T) overlay {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2's ip is not installed")
	}
	id := fmt.Sprintf("pndc%d-%d", os.Getpid()%100000, time.Now().UnixNano()%100000)
	o := overlay{a: id + "-a", b: id + "-b"}
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, ns := range []string{o.a, o.b} {
		sh("ip", "netns", "add", ns)
		ns := ns
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		sh("ip", "-n", ns, "link", "set", "lo", "up")
	}
	sh("ip", "-n", o.a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", o.b)
	type side struct {
		ns, under, mac, vtep, block, peerUnder, peerMAC, peerVTEP, peerBlock string
	}
	for _, s := range []side{
		{o.a, "10.41.1.20", "66:ab:cd:ef:01:01", "10.40.33.0", "10.40.33.0/26", "10.41.1.21", "66:ab:cd:ef:01:02", "10.40.52.128", "10.40.52.128/26"},
		{o.b, "10.41.1.21", "66:ab:cd:ef:01:02", "10.40.52.128", "10.40.52.128/26", "10.41.1.20", "66:ab:cd:ef:01:01", "10.40.33.0", "10.40.33.0/26"},
	} {
		ip := func(args ...string) { sh(append([]string{"ip", "-n", s.ns}, args...)...) }
		ip("addr", "add", s.under+"/24", "dev", "eth0")
		ip("link", "set", "eth0", "up")
		ip("link", "add", "vxlan.calico", "type", "vxlan", "id", "4096", "local", s.under, "dev", "eth0", "dstport", "4789", "nolearning")
		ip("link", "set", "vxlan.calico", "mtu", "1450", "address", s.mac, "up")
		ip("addr", "add", s.vtep+"/32", "dev", "vxlan.calico")
		ip("route", "add", s.peerBlock, "via", s.peerVTEP, "dev", "vxlan.calico", "onlink", "proto", "80")
		ip("neigh", "add", s.peerVTEP, "lladdr", s.peerMAC, "dev", "vxlan.calico", "nud", "permanent")
		sh("bridge", "-n", s.ns, "fdb", "add", s.peerMAC, "dev", "vxlan.calico", "dst", s.peerUnder, "self", "permanent")
	}
	sh("ip", "-n", o.b, "addr", "add", "10.40.52.149/32", "dev", "lo")
	return o
}

// dnsPodIn starts a DNS server on 10.40.52.149:53 inside node B.
func dnsPodIn(t *testing.T, o overlay) {
	t.Helper()
	var conn net.PacketConn
	err := inNetns(o.path(o.b), func() error {
		var err error
		conn, err = net.ListenPacket("udp4", "10.40.52.149:53")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	serveDNS(t, conn, map[string]string{"kubernetes.default.svc.cluster.local.": "10.96.0.1"}, 0)
}

func TestCaptureHoldsTheVXLANEncapsulatedDNSOfAProbe(t *testing.T) {
	o := newOverlay(t)
	dnsPodIn(t, o)
	var pcap bytes.Buffer
	var wg sync.WaitGroup
	var probes []ProbeResult
	started := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-started
		probes = ProbeIn(context.Background(), o.path(o.a), []netip.Addr{netip.MustParseAddr("10.40.52.149")},
			[]string{"kubernetes.default.svc.cluster.local", "nosuch.example"}, 2*time.Second)
	}()
	st, err := Capture(context.Background(), Options{Iface: "eth0", Netns: o.path(o.a), Duration: 2 * time.Second,
		SnapLen: 300, Out: &pcap, OnStart: func() { close(started) }})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(probes) != 2 || probes[0].Rcode != "NOERROR" || len(probes[0].Answers) == 0 ||
		probes[0].Answers[len(probes[0].Answers)-1] != "10.96.0.1" || probes[1].Rcode != "NXDOMAIN" {
		t.Fatalf("probes = %+v", probes)
	}
	if st.LinkType != "ethernet" || st.StoppedBy != "duration" || st.Packets < 4 || st.Dropped != 0 ||
		!strings.Contains(st.Filter, "udp port 4789") || st.Bytes != int64(pcap.Len()) {
		t.Errorf("stats = %+v (pcap %d bytes)", st, pcap.Len())
	}
	if d := st.End.Sub(st.Start); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("capture lasted %v", d)
	}

	r, err := pcapgo.NewReader(&pcap)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet || r.Snaplen() != 300 {
		t.Errorf("pcap header: link type %v, snaplen %d", r.LinkType(), r.Snaplen())
	}
	ids := map[uint16]bool{probes[0].ID: true, probes[1].ID: true}
	queries, answers, other := 0, 0, 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if ci.CaptureLength > 300 || ci.Length < ci.CaptureLength {
			t.Errorf("record lengths %d/%d", ci.CaptureLength, ci.Length)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		vx, _ := p.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN)
		dns, _ := p.Layer(layers.LayerTypeDNS).(*layers.DNS)
		outer, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if vx == nil || dns == nil || outer == nil || outer.DstPort != 4789 || vx.VNI != 4096 {
			other++
			continue
		}
		if !ids[dns.ID] {
			// The test server sends a stray answer (id+1) before each real one.
			if !dns.QR || !ids[dns.ID-1] {
				t.Errorf("DNS message with unknown id %d", dns.ID)
			}
			continue
		}
		if dns.QR {
			answers++
		} else {
			queries++
		}
	}
	if queries < 2 || answers < 2 {
		t.Errorf("pcap holds %d encapsulated queries and %d answers (%d other packets)", queries, answers, other)
	}

	var meta bytes.Buffer
	if err := WriteMeta(&meta, st, nil); err != nil || !strings.Contains(meta.String(), `"interface": "eth0"`) {
		t.Errorf("meta: %v\n%s", err, meta.String())
	}
}

func TestCaptureStopsAtThePacketBound(t *testing.T) {
	o := newOverlay(t)
	dnsPodIn(t, o)
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-started
		ProbeIn(context.Background(), o.path(o.a), []netip.Addr{netip.MustParseAddr("10.40.52.149")},
			[]string{"a.example", "b.example", "c.example", "d.example"}, time.Second)
	}()
	var pcap bytes.Buffer
	st, err := Capture(context.Background(), Options{Iface: "vxlan.calico", Netns: o.path(o.a), Duration: 5 * time.Second,
		MaxPackets: 3, Out: &pcap, OnStart: func() { close(started) }})
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if st.StoppedBy != "packets" || st.Packets != 3 {
		t.Errorf("stats = %+v", st)
	}
	if d := st.End.Sub(st.Start); d > 4*time.Second {
		t.Errorf("capture ran %v past its packet bound", d)
	}
}

func TestCaptureFailsCleanlyOnAMissingInterface(t *testing.T) {
	o := newOverlay(t)
	var pcap bytes.Buffer
	st, err := Capture(context.Background(), Options{Iface: "nosuch0", Netns: o.path(o.a), Duration: time.Second, Out: &pcap})
	if err == nil || !strings.Contains(err.Error(), "nosuch0") || st.Packets != 0 || pcap.Len() != 0 {
		t.Errorf("err = %v, stats %+v", err, st)
	}
	if _, err := Capture(context.Background(), Options{Iface: "eth0", Out: &pcap}); err == nil {
		t.Error("a capture without a duration was accepted")
	}
}

func TestCaptureEndsWhenTheContextIsCancelled(t *testing.T) {
	o := newOverlay(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var pcap bytes.Buffer
	st, err := Capture(ctx, Options{Iface: "eth0", Netns: o.path(o.a), Duration: time.Minute, Out: &pcap})
	if err != nil || st.StoppedBy != "cancelled" || st.End.Sub(st.Start) > 5*time.Second {
		t.Errorf("err %v, stats %+v", err, st)
	}
}
