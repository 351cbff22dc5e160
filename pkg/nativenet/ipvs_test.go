package nativenet

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/ipvsadm"
)

var (
	a4 = netip.MustParseAddr
)

// kubeProxyTable is what kube-proxy in IPVS mode programs for the API server
// and kube-dns, plus an IPv6 service, an FWM one and a persistent one, given in
// an order ipvsadm would not print them in.
func kubeProxyTable() []IPVSService {
	return []IPVSService{
		{AF: afInet, Protocol: 17, Addr: a4("10.96.0.10"), Port: 53, Sched: "rr",
			Stats: IPVSCounters{Conns: 100, InPkts: 250000000, OutPkts: 1234567890123, InBytes: 45000000000, OutBytes: 2000000000000000},
			Dests: []IPVSDest{
				{Addr: a4("10.40.52.149"), Port: 53, Weight: 1, Inactive: 6930, Stats: IPVSCounters{Conns: 60}},
				{Addr: a4("10.40.33.2"), Port: 53, Weight: 0, Inactive: 12, Stats: IPVSCounters{Conns: 40}},
			}},
		{AF: afInet, Protocol: 6, Addr: a4("10.96.0.10"), Port: 53, Sched: "rr",
			Dests: []IPVSDest{{Addr: a4("10.40.52.149"), Port: 53, Weight: 1, Active: 2}}},
		{AF: afInet, Protocol: 6, Addr: a4("10.96.0.1"), Port: 443, Sched: "rr", Flags: ipvsSvcPersistent,
			Timeout: 10800, Netmask: 0xFFFFFFFF,
			Dests: []IPVSDest{{Addr: a4("192.168.0.1"), Port: 6443, Weight: 1, Active: 1}}},
		{AF: afInet6, Protocol: 17, Addr: a4("fd00:10:96::a"), Port: 53, Sched: "sh",
			Flags: ipvsSvcSched1 | ipvsSvcSched2 | ipvsSvcOnePacket,
			Dests: []IPVSDest{{Addr: a4("fd00:10:244:1::5"), Port: 53, Weight: 1, ConnFlags: 3}}},
		{AF: afInet, FWMark: 7, Sched: "wrr", Flags: ipvsSvcPersistent, Timeout: 360, Netmask: 0x00FFFFFF, PE: "sip",
			Dests: []IPVSDest{{Addr: a4("10.1.1.1"), Weight: 1, ConnFlags: 2}}},
	}
}

func TestRenderIPVSList(t *testing.T) {
	got := string(RenderIPVS(IPVSInfo{Version: 0x010201, Size: 4096}, kubeProxyTable(), false))
	want := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
		"TCP  10.96.0.1:443 rr persistent 10800\n" +
		"  -> 192.168.0.1:6443             Masq    1      1          0         \n" +
		"TCP  10.96.0.10:53 rr\n" +
		"  -> 10.40.52.149:53              Masq    1      2          0         \n" +
		"UDP  10.96.0.10:53 rr\n" +
		"  -> 10.40.33.2:53                Masq    0      0          12        \n" +
		"  -> 10.40.52.149:53              Masq    1      0          6930      \n" +
		"UDP  [fd00:10:96::a]:53 sh (sh-fallback,sh-port) ops\n" +
		"  -> [fd00:10:244:1::5]:53        Route   1      0          0         \n" +
		"FWM  7 wrr persistent 360 mask 255.255.255.0 pe sip\n" +
		"  -> 10.1.1.1:0                   Tunnel  1      0          0         \n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	res, ds := ipvsadm.Parse([]byte(got))
	noWarnings(t, "ipvsadm", ds)
	if res.Version != "1.2.1" || res.Size != 4096 || len(res.Services) != 5 {
		t.Fatalf("parsed %+v", res)
	}
	udp := res.Find("UDP", netip.MustParseAddrPort("10.96.0.10:53"))
	if udp == nil || udp.Scheduler != "rr" || len(udp.Reals) != 2 || udp.Reals[1].InActConn != 6930 ||
		udp.Reals[0].Weight != 0 || udp.Reals[0].Forward != "Masq" {
		t.Errorf("kube-dns UDP = %+v", udp)
	}
	if api := res.Find("TCP", netip.MustParseAddrPort("10.96.0.1:443")); api == nil || api.Persistent != 10800 || api.Mask != "" {
		t.Errorf("API server = %+v", api)
	}
	if f := res.FindFWM(7); f == nil || f.Mask != "255.255.255.0" || f.PE != "sip" || f.Reals[0].Forward != "Tunnel" {
		t.Errorf("FWM = %+v", f)
	}
	if v6 := res.Find("UDP", netip.MustParseAddrPort("[fd00:10:96::a]:53")); v6 == nil || len(v6.Flags) != 3 {
		t.Errorf("IPv6 service = %+v", v6)
	}
}

func TestRenderIPVSStats(t *testing.T) {
	got := string(RenderIPVS(IPVSInfo{Version: 0x010201, Size: 4096}, kubeProxyTable(), true))
	lines := strings.Split(got, "\n")
	want := map[int]string{
		1: "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes",
		2: "  -> RemoteAddress:Port",
		7: "UDP  10.96.0.10:53                     100  250000K    1234G   45000M    2000T",
		8: "  -> 10.40.33.2:53                      40        0        0        0        0",
	}
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
		}
	}
	res, ds := ipvsadm.Parse([]byte(got))
	noWarnings(t, "ipvsadm --stats", ds)
	udp := res.Find("UDP", netip.MustParseAddrPort("10.96.0.10:53"))
	if !res.Stats || udp == nil || udp.Stats.Conns != 100 || udp.Stats.InPkts != 250000000 || !udp.Stats.Approx ||
		udp.Reals[1].Stats.Conns != 60 {
		t.Errorf("stats = %+v", udp)
	}
}

func TestLargeNumbersRoundDownLikeIpvsadm(t *testing.T) {
	for _, c := range []struct {
		n    uint64
		want string
	}{
		{0, "        0"}, {99999999, " 99999999"}, {100000000, "  100000K"}, {999999999, "  999999K"},
		{1000000000, "    1000M"}, {99999999999, "   99999M"}, {100000000000, "     100G"},
		{100000000000000, "     100T"},
	} {
		if got := largeNum(c.n); got != c.want {
			t.Errorf("largeNum(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestIPVSWithoutServicesStillPrintsTheHeader(t *testing.T) {
	got := string(RenderIPVS(IPVSInfo{Version: 0x010201, Size: 1 << 20}, nil, false))
	if !strings.HasPrefix(got, "IP Virtual Server version 1.2.1 (size=1048576)\nProt LocalAddress:Port") {
		t.Errorf("got %q", got)
	}
	res, ds := ipvsadm.Parse([]byte(got))
	noWarnings(t, "empty ipvsadm", ds)
	if len(res.Services) != 0 || res.Size != 1<<20 {
		t.Errorf("parsed %+v", res)
	}
}
