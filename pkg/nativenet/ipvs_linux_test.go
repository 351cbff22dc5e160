//go:build linux

package nativenet

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/moby/ipvs"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipvsadm"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestIPVSFromMobyValuesRoundTripsThroughTheParser(t *testing.T) {
	mask := [4]byte{255, 255, 255, 0}
	svcs := []*ipvs.Service{
		{Address: net.ParseIP("10.96.0.10"), Protocol: unix.IPPROTO_UDP, Port: 53, SchedName: "rr",
			AddressFamily: unix.AF_INET, Netmask: 0xFFFFFFFF,
			Stats: ipvs.SvcStats{Connections: 12, PacketsIn: 40, PacketsOut: 40, BytesIn: 3200, BytesOut: 1234567}},
		{Address: net.ParseIP("10.96.0.1").To4(), Protocol: unix.IPPROTO_TCP, Port: 443, SchedName: "rr",
			AddressFamily: unix.AF_INET, Flags: ipvsSvcPersistent, Timeout: 10800,
			Netmask: binary.NativeEndian.Uint32(mask[:])},
		{Address: net.ParseIP("fd00:10:96::a"), Protocol: unix.IPPROTO_UDP, Port: 53, SchedName: "mh",
			AddressFamily: unix.AF_INET6, Flags: ipvsSvcSched1, Netmask: 128},
	}
	dests := [][]*ipvs.Destination{
		{
			{Address: net.ParseIP("10.40.52.149"), Port: 53, Weight: 1, AddressFamily: unix.AF_INET, InactiveConnections: 6930,
				Stats: ipvs.DstStats{Connections: 6, PacketsIn: 20}},
			{Address: net.ParseIP("10.40.33.2"), Port: 53, Weight: 0, InactiveConnections: 12},
		},
		{{Address: net.ParseIP("192.168.0.1"), Port: 6443, Weight: 1, ActiveConnections: 1, AddressFamily: unix.AF_INET}},
		{{Address: net.ParseIP("fd00:10:244:1::5"), Port: 53, Weight: 1, AddressFamily: unix.AF_INET6,
			ConnectionFlags: ipvs.ConnectionFlagDirectRoute}},
	}
	var conv []IPVSService
	for i := range svcs {
		conv = append(conv, FromMoby(svcs[i], dests[i]))
	}
	if conv[0].Addr != netip.MustParseAddr("10.96.0.10") || conv[0].Dests[1].Addr != netip.MustParseAddr("10.40.33.2") {
		t.Fatalf("addresses not unmapped: %+v", conv[0])
	}
	info := IPVSInfo{Version: 0x010201, Size: 4096}
	list := RenderIPVS(info, conv, false)
	res, ds := ipvsadm.Parse(list)
	noWarnings(t, "ipvsadm -Ln", ds)
	udp := res.Find("UDP", netip.MustParseAddrPort("10.96.0.10:53"))
	if udp == nil || len(udp.Reals) != 2 || udp.Reals[0].Addr != netip.MustParseAddrPort("10.40.33.2:53") ||
		udp.Reals[1].InActConn != 6930 || udp.Reals[0].Weight != 0 {
		t.Errorf("kube-dns = %+v\n%s", udp, list)
	}
	api := res.Find("TCP", netip.MustParseAddrPort("10.96.0.1:443"))
	if api == nil || api.Persistent != 10800 || api.Mask != "255.255.255.0" {
		t.Errorf("API service = %+v\n%s", api, list)
	}
	v6 := res.Find("UDP", netip.MustParseAddrPort("[fd00:10:96::a]:53"))
	if v6 == nil || v6.Scheduler != "mh" || len(v6.Flags) != 1 || v6.Flags[0] != "mh-fallback" || v6.Reals[0].Forward != "Route" {
		t.Errorf("IPv6 service = %+v\n%s", v6, list)
	}
	stats := RenderIPVS(info, conv, true)
	sres, ds := ipvsadm.Parse(stats)
	noWarnings(t, "ipvsadm -Ln --stats", ds)
	if s := sres.Find("UDP", netip.MustParseAddrPort("10.96.0.10:53")); s == nil || s.Stats.OutBytes != 1234567 ||
		s.Stats.Conns != 12 || s.Reals[1].Stats.Conns != 6 {
		t.Errorf("stats = %+v\n%s", s, stats)
	}
}

func TestKernelIPVSMatchesIpvsadm(t *testing.T) {
	requireRoot(t)
	if _, err := netlink.GenlFamilyGet("IPVS"); err != nil {
		t.Skip("the kernel has no IPVS (ip_vs module not loaded)")
	}
	c := newCalicoNode(t)
	ih, err := ipvs.New("/run/netns/" + c.node)
	if err != nil {
		t.Fatal(err)
	}
	defer ih.Close()
	svc := &ipvs.Service{Address: net.ParseIP("10.96.0.10"), Protocol: unix.IPPROTO_UDP, Port: 53,
		SchedName: "rr", AddressFamily: unix.AF_INET, Netmask: 0xFFFFFFFF}
	if err := ih.NewService(svc); err != nil {
		t.Fatal(err)
	}
	if err := ih.NewDestination(svc, &ipvs.Destination{Address: net.ParseIP("10.40.52.149"), Port: 53, Weight: 1,
		AddressFamily: unix.AF_INET}); err != nil {
		t.Fatal(err)
	}
	got, err := IPVS(c.h)
	if err != nil {
		t.Fatal(err)
	}
	res, ds := ipvsadm.Parse(got)
	noWarnings(t, "ipvs", ds)
	if s := res.Find("UDP", netip.MustParseAddrPort("10.96.0.10:53")); s == nil || len(s.Reals) != 1 || res.Version == "" {
		t.Errorf("rendered %s", got)
	}
	if _, err := exec.LookPath("ipvsadm"); err == nil {
		want := output("ip", "netns", "exec", c.node, "ipvsadm", "-Ln")
		if string(got) != want {
			t.Errorf("ipvsadm -Ln differs:\n--- ipvsadm\n%s--- rendered\n%s", want, got)
		}
	}
	if _, err := IPVSStats(c.h); err != nil || !strings.Contains(string(got), "10.96.0.10:53") {
		t.Errorf("IPVSStats: %v", err)
	}
}
