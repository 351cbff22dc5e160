package iplink

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// wantDiag matches one diagnostic by severity, line and a part of its message.
type wantDiag struct {
	sev  diag.Severity
	line int
	msg  string
}

func checkDiags(t *testing.T, got []diag.Diagnostic, want []wantDiag) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics %v, want %d %v", len(got), got, len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if g.Severity != w.sev || g.Line != w.line || !strings.Contains(g.Msg, w.msg) {
			t.Errorf("diagnostic %d = %v, want %v line %d containing %q", i, g, w.sev, w.line, w.msg)
		}
	}
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ip(s string) netip.Addr    { return netip.MustParseAddr(s) }

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []Link
		wantDiags []wantDiag
	}{
		{
			name: "an ip link header gives every key and the link/ether line the MAC",
			in: "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel master br0 state UP mode DEFAULT group default qlen 1000\n" +
				"    link/ether 52:54:00:AB:cd:01 brd ff:ff:ff:ff:ff:ff\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "eth0", Flags: []string{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"},
				MTU: 1500, Qdisc: "fq_codel", Master: "br0", State: "UP", Mode: "DEFAULT", Group: "default", Qlen: 1000,
				LinkType: "ether", LinkAddr: "52:54:00:AB:cd:01", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "52:54:00:ab:cd:01",
			}},
		},
		{
			name: "an old iproute2 header without state or group and with qlen last still parses",
			in:   "31: eth0@if32: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000\n    link/ether ca:7b:89:d7:3a:5a brd ff:ff:ff:ff:ff:ff\n",
			want: []Link{{
				Line: 1, Index: 31, Name: "eth0", Parent: "if32", Flags: []string{"BROADCAST", "MULTICAST", "UP", "LOWER_UP", "M-DOWN"},
				MTU: 1500, Qdisc: "noqueue", Qlen: 1000,
				LinkType: "ether", LinkAddr: "ca:7b:89:d7:3a:5a", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "ca:7b:89:d7:3a:5a",
			}},
		},
		{
			name: "tunl0@NONE without -d keeps link/ipip addresses and no kind",
			in:   "2: tunl0@NONE: <NOARP> mtu 1480 qdisc noop \n    link/ipip 0.0.0.0 brd 0.0.0.0\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "tunl0", Parent: "NONE", Flags: []string{"NOARP"}, MTU: 1480, Qdisc: "noop",
				LinkType: "ipip", LinkAddr: "0.0.0.0", LinkBrd: "0.0.0.0",
			}},
		},
		{
			name: "a point-to-point ipip with -d gives tunnel endpoints and the link peer",
			in: "11: ipip1@eth0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
				"    link/ipip 10.0.0.1 peer 10.0.0.2 promiscuity 0 minmtu 0 maxmtu 0 \n" +
				"    ipip remote 10.0.0.2 local 10.0.0.1 dev eth0 ttl 64 pmtudisc addrgenmode eui64 numtxqueues 1\n",
			want: []Link{{
				Line: 1, Index: 11, Name: "ipip1", Parent: "eth0", Flags: []string{"POINTOPOINT", "NOARP", "UP", "LOWER_UP"},
				MTU: 1480, Qdisc: "noqueue", State: "UNKNOWN", Mode: "DEFAULT", Group: "default", Qlen: 1000,
				LinkType: "ipip", LinkAddr: "10.0.0.1", LinkPeer: "10.0.0.2",
				Details: map[string]string{"promiscuity": "0", "minmtu": "0", "maxmtu": "0", "addrgenmode": "eui64", "numtxqueues": "1"},
				Kind:    "ipip", KindArgs: []string{"remote", "10.0.0.2", "local", "10.0.0.1", "dev", "eth0", "ttl", "64", "pmtudisc"}, KindLine: 3,
				IPIP: &TunnelInfo{Local: ip("10.0.0.1"), Remote: ip("10.0.0.2"), Dev: "eth0", TTL: "64", PMTUDisc: true},
			}},
		},
		{
			name: "Calico's tunl0 kind line gives any endpoints and no path MTU discovery",
			in: "4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN\n" +
				"    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0 minmtu 0 maxmtu 0 \n" +
				"    ipip any remote any local any ttl inherit nopmtudisc\n",
			want: []Link{{
				Line: 1, Index: 4, Name: "tunl0", Parent: "NONE", Flags: []string{"NOARP", "UP", "LOWER_UP"},
				MTU: 1480, Qdisc: "noqueue", State: "UNKNOWN",
				LinkType: "ipip", LinkAddr: "0.0.0.0", LinkBrd: "0.0.0.0",
				Details: map[string]string{"promiscuity": "0", "minmtu": "0", "maxmtu": "0"},
				Kind:    "ipip", KindArgs: []string{"any", "remote", "any", "local", "any", "ttl", "inherit", "nopmtudisc"}, KindLine: 3,
				IPIP: &TunnelInfo{Proto: "any", TTL: "inherit"},
			}},
		},
		{
			name: "a vxlan kind line gives VNI, VTEP address, device, ports and checksums",
			in: "3: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default\n" +
				"    link/ether 66:ab:cd:ef:01:01 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535\n" +
				"    vxlan id 4096 local 10.0.0.11 dev eth0 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx addrgenmode eui64\n",
			want: []Link{{
				Line: 1, Index: 3, Name: "vxlan.calico", Flags: []string{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"},
				MTU: 1450, Qdisc: "noqueue", State: "UNKNOWN", Mode: "DEFAULT", Group: "default",
				LinkType: "ether", LinkAddr: "66:ab:cd:ef:01:01", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "66:ab:cd:ef:01:01",
				Details: map[string]string{"promiscuity": "0", "allmulti": "0", "minmtu": "68", "maxmtu": "65535", "addrgenmode": "eui64"},
				Kind:    "vxlan", KindLine: 3,
				KindArgs: []string{"id", "4096", "local", "10.0.0.11", "dev", "eth0", "srcport", "0", "0", "dstport", "4789",
					"nolearning", "ttl", "auto", "ageing", "300", "udpcsum", "noudp6zerocsumtx"},
				VXLAN: &VXLANInfo{ID: 4096, Local: ip("10.0.0.11"), Dev: "eth0", DstPort: 4789, TTL: "auto", Ageing: 300,
					UDPCsum: true, Flags: []string{"noudp6zerocsumtx"}},
			}},
		},
		{
			name: "a vxlan with a multicast group learns by default and keeps valued options",
			in: "12: vxlan0: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN\n" +
				"    link/ether 8a:9b:0c:1d:2e:3f brd ff:ff:ff:ff:ff:ff promiscuity 0\n" +
				"    vxlan id 42 group 239.1.1.1 dev eth1 srcport 1000 2000 dstport 8472 tos inherit ttl 16 ageing none maxaddr 10 noudpcsum l2miss\n",
			want: []Link{{
				Line: 1, Index: 12, Name: "vxlan0", Flags: []string{"BROADCAST", "MULTICAST"},
				MTU: 1450, Qdisc: "noop", State: "DOWN",
				LinkType: "ether", LinkAddr: "8a:9b:0c:1d:2e:3f", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "8a:9b:0c:1d:2e:3f",
				Details: map[string]string{"promiscuity": "0"},
				Kind:    "vxlan", KindLine: 3,
				KindArgs: []string{"id", "42", "group", "239.1.1.1", "dev", "eth1", "srcport", "1000", "2000", "dstport", "8472",
					"tos", "inherit", "ttl", "16", "ageing", "none", "maxaddr", "10", "noudpcsum", "l2miss"},
				VXLAN: &VXLANInfo{ID: 42, Group: ip("239.1.1.1"), Dev: "eth1", SrcPortMin: 1000, SrcPortMax: 2000, DstPort: 8472,
					Learning: true, TTL: "16", Flags: []string{"tos inherit", "maxaddr 10", "l2miss"}},
			}},
		},
		{
			name: "a vxlan line without dstport leaves the port 0 and says so",
			in: "5: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT\n" +
				"    link/ether 8e:2f:1a:40:7b:3c brd ff:ff:ff:ff:ff:ff promiscuity 0\n" +
				"    vxlan id 1 local 192.168.10.21 dev eth0 port 32768 61000 nolearning ageing 300\n",
			want: []Link{{
				Line: 1, Index: 5, Name: "flannel.1", Flags: []string{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"},
				MTU: 1450, Qdisc: "noqueue", State: "UNKNOWN", Mode: "DEFAULT",
				LinkType: "ether", LinkAddr: "8e:2f:1a:40:7b:3c", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "8e:2f:1a:40:7b:3c",
				Details: map[string]string{"promiscuity": "0"},
				Kind:    "vxlan", KindLine: 3,
				KindArgs: []string{"id", "1", "local", "192.168.10.21", "dev", "eth0", "port", "32768", "61000", "nolearning", "ageing", "300"},
				VXLAN:    &VXLANInfo{ID: 1, Local: ip("192.168.10.21"), Dev: "eth0", SrcPortMin: 32768, SrcPortMax: 61000, Ageing: 300},
			}},
			wantDiags: []wantDiag{{diag.Info, 3, "no dstport"}},
		},
		{
			name: "addresses give prefix, broadcast, scope, flags, label and lifetimes",
			in: "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n" +
				"    link/ether fa:16:3e:41:7c:22 brd ff:ff:ff:ff:ff:ff\n" +
				"    altname enp0s3\n" +
				"    inet 10.0.0.11/24 metric 100 brd 10.0.0.255 scope global dynamic noprefixroute eth0\n" +
				"       valid_lft 85870sec preferred_lft 85870sec\n" +
				"    inet 10.0.0.21/24 brd 10.0.0.255 scope global secondary eth0:1\n" +
				"       valid_lft forever preferred_lft forever\n" +
				"    inet6 fe80::f816:3eff:fe41:7c22/64 scope link \n" +
				"       valid_lft forever preferred_lft forever\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "eth0", Flags: []string{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"},
				MTU: 1500, Qdisc: "mq", State: "UP", Group: "default", Qlen: 1000,
				LinkType: "ether", LinkAddr: "fa:16:3e:41:7c:22", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "fa:16:3e:41:7c:22",
				AltNames: []string{"enp0s3"},
				Addrs: []Addr{
					{Line: 4, Family: "inet", Prefix: pfx("10.0.0.11/24"), Broadcast: ip("10.0.0.255"), Scope: "global",
						Label: "eth0", Flags: []string{"dynamic", "noprefixroute"}, Metric: 100, ValidLft: "85870sec", PreferredLft: "85870sec"},
					{Line: 6, Family: "inet", Prefix: pfx("10.0.0.21/24"), Broadcast: ip("10.0.0.255"), Scope: "global",
						Label: "eth0:1", Flags: []string{"secondary"}, ValidLft: "forever", PreferredLft: "forever"},
					{Line: 8, Family: "inet6", Prefix: pfx("fe80::f816:3eff:fe41:7c22/64"), Scope: "link",
						ValidLft: "forever", PreferredLft: "forever"},
				},
			}},
		},
		{
			name: "a peer address gives its length to the local address too",
			in: "9: tun0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UNKNOWN group default qlen 500\n" +
				"    link/none \n" +
				"    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\n",
			want: []Link{{
				Line: 1, Index: 9, Name: "tun0", Flags: []string{"POINTOPOINT", "MULTICAST", "NOARP", "UP", "LOWER_UP"},
				MTU: 1500, Qdisc: "fq_codel", State: "UNKNOWN", Group: "default", Qlen: 500, LinkType: "none",
				Addrs: []Addr{{Line: 3, Family: "inet", Prefix: pfx("10.8.0.1/32"), Peer: pfx("10.8.0.2/32"), Scope: "global", Label: "tun0"}},
			}},
		},
		{
			name: "an IPv4 address line ending in a flag has no label, an IPv6 one never has",
			in: "2: eth0: <UP> mtu 1500\n" +
				"    inet 10.0.0.5/24 scope global dynamic\n" +
				"    inet6 2001:db8::5/64 scope global temporary dynamic mngtmpaddr\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "eth0", Flags: []string{"UP"}, MTU: 1500,
				Addrs: []Addr{
					{Line: 2, Family: "inet", Prefix: pfx("10.0.0.5/24"), Scope: "global", Flags: []string{"dynamic"}},
					{Line: 3, Family: "inet6", Prefix: pfx("2001:db8::5/64"), Scope: "global", Flags: []string{"temporary", "dynamic", "mngtmpaddr"}},
				},
			}},
		},
		{
			name: "CRLF endings and trailing blanks are ordinary input",
			in:   "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN   \r\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 \r\n    inet 127.0.0.1/8 scope host lo\r\n",
			want: []Link{{
				Line: 1, Index: 1, Name: "lo", Flags: []string{"LOOPBACK", "UP", "LOWER_UP"}, MTU: 65536, Qdisc: "noqueue", State: "UNKNOWN",
				LinkType: "loopback", LinkAddr: "00:00:00:00:00:00", LinkBrd: "00:00:00:00:00:00", MAC: "00:00:00:00:00:00",
				Addrs: []Addr{{Line: 3, Family: "inet", Prefix: pfx("127.0.0.1/8"), Scope: "host", Label: "lo"}},
			}},
		},
		{
			name: "empty flags mean a known-down link, not unknown flags",
			in:   "3: dummy0: <> mtu 1500 qdisc noop state DOWN\n",
			want: []Link{{Line: 1, Index: 3, Name: "dummy0", Flags: []string{}, MTU: 1500, Qdisc: "noop", State: "DOWN"}},
		},
		{
			name: "unknown header words are kept, an xdp program as xdp",
			in:   "2: eth0: <UP> mtu 9000 xdpgeneric/id:42 qdisc mq portid 0123 newword val lonely\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "eth0", Flags: []string{"UP"}, MTU: 9000, Qdisc: "mq",
				Attrs: map[string]string{"xdp": "xdpgeneric/id:42", "portid": "0123", "newword": "val", "lonely": ""},
			}},
		},
		{
			name: "link-netnsid in the header of old versions and link-netns on the link line both give LinkNetns",
			in: "6: cali1@if5: <UP> mtu 1440 qdisc noqueue state UP link-netnsid 0\n" +
				"7: cali2@if5: <UP> mtu 1440 qdisc noqueue state UP\n    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-1234 permaddr 02:00:00:00:00:01\n",
			want: []Link{
				{Line: 1, Index: 6, Name: "cali1", Parent: "if5", Flags: []string{"UP"}, MTU: 1440, Qdisc: "noqueue", State: "UP", LinkNetns: "0"},
				{Line: 2, Index: 7, Name: "cali2", Parent: "if5", Flags: []string{"UP"}, MTU: 1440, Qdisc: "noqueue", State: "UP",
					LinkType: "ether", LinkAddr: "ee:ee:ee:ee:ee:ee", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "ee:ee:ee:ee:ee:ee",
					LinkNetns: "cni-1234", PermAddr: "02:00:00:00:00:01"},
			},
		},
		{
			name: "without -d details an unknown indented line is kept, not taken for a kind",
			in:   "2: eth0: <UP> mtu 1500\n    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n    vxlan id 1\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "eth0", Flags: []string{"UP"}, MTU: 1500,
				LinkType: "ether", LinkAddr: "52:54:00:00:00:01", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "52:54:00:00:00:01",
				Other: []string{"vxlan id 1"},
			}},
		},
		{
			name: "an enslaved veth has a kind line and a slave kind line",
			in: "3: port1@if2: <UP> mtu 1500 master br0\n" +
				"    link/ether d2:a5:f9:9f:fe:23 brd ff:ff:ff:ff:ff:ff promiscuity 1\n" +
				"    veth \n" +
				"    bridge_slave state forwarding priority 32 cost 2 addrgenmode eui64\n" +
				"    alias  to the switch \n",
			want: []Link{{
				Line: 1, Index: 3, Name: "port1", Parent: "if2", Flags: []string{"UP"}, MTU: 1500, Master: "br0",
				LinkType: "ether", LinkAddr: "d2:a5:f9:9f:fe:23", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "d2:a5:f9:9f:fe:23",
				Details: map[string]string{"promiscuity": "1", "addrgenmode": "eui64"},
				Kind:    "veth", KindLine: 3,
				SlaveKind: "bridge_slave", SlaveArgs: []string{"state", "forwarding", "priority", "32", "cost", "2"},
				Alias: "to the switch",
			}},
		},
		{
			name: "-s statistics are skipped and -o one-line records are split at backslashes",
			in: "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
				"    RX:  bytes packets errors dropped  missed   mcast\n" +
				"          1796      21      0       0       0       0\n" +
				"    RX errors:  length    crc   frame    fifo overrun\n" +
				"                     0      0       0       0       0\n",
			want: []Link{{
				Line: 1, Index: 1, Name: "lo", Flags: []string{"LOOPBACK", "UP", "LOWER_UP"}, MTU: 65536, Qdisc: "noqueue",
				State: "UNKNOWN", Mode: "DEFAULT", Group: "default", Qlen: 1000,
				LinkType: "loopback", LinkAddr: "00:00:00:00:00:00", LinkBrd: "00:00:00:00:00:00", MAC: "00:00:00:00:00:00",
			}},
		},
		{
			name: "ip -o addr lines without link headers gather under one link each",
			in: "2: eth0    inet 10.0.0.11/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever preferred_lft forever\n" +
				"2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "eth0",
				Addrs: []Addr{
					{Line: 1, Family: "inet", Prefix: pfx("10.0.0.11/24"), Broadcast: ip("10.0.0.255"), Scope: "global", Label: "eth0",
						ValidLft: "forever", PreferredLft: "forever"},
					{Line: 2, Family: "inet6", Prefix: pfx("fe80::1/64"), Scope: "link", ValidLft: "forever", PreferredLft: "forever"},
				},
			}},
		},
		{
			name: "ip -br link and ip -br addr lines give state, MAC, flags and addresses",
			in: "lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n" +
				"eth0@if32        UP             10.0.0.2/24 fe80::1/64 \n" +
				"tunl0@NONE       DOWN           \n",
			want: []Link{
				{Line: 1, Name: "lo", State: "UNKNOWN", Flags: []string{"LOOPBACK", "UP", "LOWER_UP"},
					LinkType: "loopback", LinkAddr: "00:00:00:00:00:00", MAC: "00:00:00:00:00:00"},
				{Line: 2, Name: "eth0", Parent: "if32", State: "UP", Addrs: []Addr{
					{Line: 2, Family: "inet", Prefix: pfx("10.0.0.2/24")},
					{Line: 2, Family: "inet6", Prefix: pfx("fe80::1/64")},
				}},
				{Line: 3, Name: "tunl0", Parent: "NONE", State: "DOWN"},
			},
		},
		{
			name: "netns sections of ip -all netns exec keep same-named links apart",
			in:   "netns: ns1\n1: lo: <LOOPBACK> mtu 65536\n\nnetns: ns2\n1: lo: <LOOPBACK,UP> mtu 65536\n",
			want: []Link{
				{Line: 2, Index: 1, Name: "lo", Netns: "ns1", Flags: []string{"LOOPBACK"}, MTU: 65536},
				{Line: 5, Index: 1, Name: "lo", Netns: "ns2", Flags: []string{"LOOPBACK", "UP"}, MTU: 65536},
			},
		},
		{
			name: "a concatenated ip link and ip addr of the same link merge into one",
			in: "2: eth0: <UP> mtu 1500 qdisc mq state UP mode DEFAULT\n    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n" +
				"2: eth0: <UP> mtu 1500 qdisc mq state UP\n    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n    inet 10.0.0.1/24 scope global eth0\n",
			want: []Link{{
				Line: 1, Index: 2, Name: "eth0", Flags: []string{"UP"}, MTU: 1500, Qdisc: "mq", State: "UP", Mode: "DEFAULT",
				LinkType: "ether", LinkAddr: "52:54:00:00:00:01", LinkBrd: "ff:ff:ff:ff:ff:ff", MAC: "52:54:00:00:00:01",
				Addrs: []Addr{{Line: 5, Family: "inet", Prefix: pfx("10.0.0.1/24"), Scope: "global", Label: "eth0"}},
			}},
		},
		{
			name: "comment lines and blank lines are not data",
			in:   "# ip -d link show\n\n1: lo: <LOOPBACK> mtu 65536\n",
			want: []Link{{Line: 3, Index: 1, Name: "lo", Flags: []string{"LOOPBACK"}, MTU: 65536}},
		},
		{
			name: "bad values and stray lines are skipped with warnings naming the line",
			in: "    link/ether 00:00:00:00:00:01\n" +
				"2: eth0: <UP mtu big qdisc\n" +
				"    inet 10.0.0.300/24 scope global eth0\n" +
				"    inet6\n" +
				"    inet 10.0.0.1/24 brd nonsense scope\n" +
				"       valid_lft forever preferred_lft forever\n" +
				"Device \"eth9\" does not exist.\n" +
				"3: vx: <UP> mtu 1450\n    link/ether 00:00:00:00:00:02 promiscuity 0\n    vxlan id x local bad dstport 99999 ttl\n",
			want: []Link{
				{Line: 2, Index: 2, Name: "eth0", Flags: []string{"UP mtu big qdisc"},
					Addrs: []Addr{{Line: 5, Family: "inet", Prefix: pfx("10.0.0.1/24"), ValidLft: "forever", PreferredLft: "forever"}}},
				{Line: 8, Index: 3, Name: "vx", Flags: []string{"UP"}, MTU: 1450,
					LinkType: "ether", LinkAddr: "00:00:00:00:00:02", MAC: "00:00:00:00:00:02",
					Details: map[string]string{"promiscuity": "0"},
					Kind:    "vxlan", KindLine: 10, KindArgs: []string{"id", "x", "local", "bad", "dstport", "99999", "ttl"},
					VXLAN: &VXLANInfo{Learning: true}},
			},
			wantDiags: []wantDiag{
				{diag.Warning, 1, "before any interface header"},
				{diag.Warning, 2, "without closing '>'"},
				{diag.Warning, 3, "not an address"},
				{diag.Warning, 4, "without an address"},
				{diag.Warning, 5, "brd \"nonsense\" is not an address"},
				{diag.Warning, 5, "\"scope\" without a value"},
				{diag.Warning, 7, "unrecognised line"},
				{diag.Warning, 10, "vxlan id \"x\" is not a number"},
				{diag.Warning, 10, "vxlan local \"bad\" is not an address"},
				{diag.Warning, 10, "port \"99999\""},
				{diag.Warning, 10, "vxlan \"ttl\" without a value"},
			},
		},
		{
			name:      "text without any interface gives a single error",
			in:        "hello\nworld\n  indented\n",
			wantDiags: []wantDiag{{diag.Error, 1, "not ip link/ip addr output"}},
		},
		{
			name:      "JSON output gives a single error",
			in:        "[{\"ifindex\":1,\"ifname\":\"lo\"}]\n",
			wantDiags: []wantDiag{{diag.Error, 0, "JSON"}},
		},
		{
			name:      "binary data gives a single error",
			in:        "\x00\x01\x02\x03garbage\x00\x00\x05\x06\x07",
			wantDiags: []wantDiag{{diag.Error, 0, "binary"}},
		},
		{
			name:      "empty input warns that the command probably failed",
			in:        "\n\n",
			wantDiags: []wantDiag{{diag.Warning, 0, "empty input"}},
		},
		{
			name:      "input of comments only is empty input too",
			in:        "# ip -d link show\n",
			wantDiags: []wantDiag{{diag.Warning, 0, "empty input"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, diags := Parse([]byte(tt.in))
			if r == nil {
				t.Fatal("nil Result")
			}
			checkDiags(t, diags, tt.wantDiags)
			if !reflect.DeepEqual(r.Links, tt.want) {
				t.Errorf("links differ\n got: %+v\nwant: %+v", r.Links, tt.want)
				for i := range r.Links {
					if i < len(tt.want) && !reflect.DeepEqual(r.Links[i], tt.want[i]) {
						t.Logf("first difference at link %d:\n got %#v\nwant %#v", i, r.Links[i], tt.want[i])
						break
					}
				}
			}
		})
	}
}

// readFile reads a testdata file; the test fails when it is missing.
func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseClean parses p and fails on any warning or error.
func parseClean(t *testing.T, p string) *Result {
	t.Helper()
	r, diags := Parse(readFile(t, p))
	for _, d := range diags {
		if d.Severity >= diag.Warning {
			t.Errorf("%s: %v", p, d)
		}
	}
	return r
}

func TestParseFiles(t *testing.T) {
	checks := map[string]func(t *testing.T, r *Result){
		"good/calico-ipip-node_ip-d-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "7 links (loopback 1, ether 1, dummy 1, ipip 1, veth 3; 1 down), 0 addresses")
			tl := mustLink(t, r, "tunl0")
			if tl.MTU != 1480 || !tl.IsIPIP() || tl.IPIP == nil || tl.IPIP.PMTUDisc || tl.IPIP.TTL != "inherit" ||
				tl.IPIP.Local.IsValid() || tl.IPIP.Remote.IsValid() || tl.IPIP.Proto != "any" {
				t.Errorf("tunl0 = %+v, IPIP %+v", tl, tl.IPIP)
			}
			ens := mustLink(t, r, "ens3")
			if ens.Kind != "" || ens.Details["parentdev"] != "virtio0" || !reflect.DeepEqual(ens.AltNames, []string{"enp0s3"}) {
				t.Errorf("ens3 = %+v", ens)
			}
			if c := mustLink(t, r, "calie4d2b7c36a1"); c.Kind != "veth" || c.LinkNetns != "2" || c.Parent != "if3" || c.MTU != 1480 {
				t.Errorf("calie4d2b7c36a1 = %+v", c)
			}
		},
		"good/calico-ipip-node_ip-addr.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "7 links (loopback 1, ether 5, ipip 1; 1 down), 10 addresses")
			tl := mustLink(t, r, "tunl0")
			want := Addr{Line: 22, Family: "inet", Prefix: pfx("10.40.52.128/32"), Broadcast: ip("10.40.52.128"),
				Scope: "global", Label: "tunl0", ValidLft: "forever", PreferredLft: "forever"}
			if len(tl.Addrs) != 1 || !reflect.DeepEqual(tl.Addrs[0], want) || !tl.IsIPIP() || tl.Kind != "" {
				t.Errorf("tunl0 = %+v", tl)
			}
			ens := mustLink(t, r, "ens3")
			if a := ens.Addrs[0]; a.Metric != 100 || a.ValidLft != "85870sec" || !reflect.DeepEqual(a.Flags, []string{"dynamic"}) {
				t.Errorf("ens3 address = %+v", a)
			}
			if k := mustLink(t, r, "kube-ipvs0"); len(k.Addrs) != 2 || k.Addrs[1].Prefix != pfx("10.96.0.10/32") || k.Up() {
				t.Errorf("kube-ipvs0 = %+v", k)
			}
		},
		"good/calico-vxlan-node_ip-d-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "7 links (loopback 1, ether 1, ipip 1, dummy 1, vxlan 1, veth 2; 2 down), 0 addresses")
			v := mustLink(t, r, "vxlan.calico")
			want := &VXLANInfo{ID: 4096, Local: ip("10.0.0.11"), Dev: "eth0", DstPort: 4789, TTL: "auto", Ageing: 300,
				UDPCsum: true, Flags: []string{"noudp6zerocsumtx", "noudp6zerocsumrx"}}
			if !v.IsVXLAN() || v.MTU != 1450 || v.MAC != "66:d1:4a:6f:2b:01" || !reflect.DeepEqual(v.VXLAN, want) {
				t.Errorf("vxlan.calico = %+v, VXLAN %+v", v, v.VXLAN)
			}
			if tl := mustLink(t, r, "tunl0"); tl.Up() || tl.State != "DOWN" {
				t.Errorf("tunl0 should be down: %+v", tl)
			}
			if c := mustLink(t, r, "cali0f3e7a9d214"); c.LinkNetns != "cni-1d2c3b4a-5e6f-7081-92a3-b4c5d6e7f809" {
				t.Errorf("cali0f3e7a9d214 LinkNetns = %q", c.LinkNetns)
			}
		},
		"good/calico-vxlan-node_ip-addr.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "7 links (loopback 1, ether 5, ipip 1; 2 down), 10 addresses")
			v := mustLink(t, r, "vxlan.calico")
			if len(v.Addrs) != 2 || v.Addrs[0].Prefix != pfx("10.40.52.128/32") || v.Addrs[0].Label != "vxlan.calico" {
				t.Errorf("vxlan.calico addresses = %+v", v.Addrs)
			}
			if a := mustLink(t, r, "eth0").Addrs[1]; !reflect.DeepEqual(a.Flags, []string{"noprefixroute"}) || a.Label != "" {
				t.Errorf("eth0 inet6 = %+v", a)
			}
		},
		"good/old-iproute2_ip-addr.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "5 links (loopback 1, ether 3, ipip 1; 0 down), 7 addresses")
			tl := mustLink(t, r, "tunl0")
			if tl.Qlen != 1 || tl.Group != "" || tl.Addrs[0].Prefix != pfx("10.244.12.0/32") {
				t.Errorf("tunl0 = %+v", tl)
			}
			if d := mustLink(t, r, "docker0"); d.LowerUp() || !d.Up() || !d.HasFlag("NO-CARRIER") {
				t.Errorf("docker0 flags = %v", d.Flags)
			}
		},
		"good/old-iproute2_ip-d-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "6 links (loopback 1, ether 1, bridge 1, ipip 1, vxlan 1, veth 1; 0 down), 0 addresses")
			if f := mustLink(t, r, "flannel.1"); f.VXLAN == nil || f.VXLAN.DstPort != 0 || f.VXLAN.ID != 1 || f.VXLAN.Learning || f.VXLAN.SrcPortMax != 61000 {
				t.Errorf("flannel.1 VXLAN = %+v", f.VXLAN)
			}
			if tl := mustLink(t, r, "tunl0"); tl.IPIP == nil || tl.IPIP.Proto != "" || tl.IPIP.PMTUDisc {
				t.Errorf("tunl0 IPIP = %+v", tl.IPIP)
			}
		},
		"good/misc_ip-d-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "11 links (loopback 1, ether 3, bond 1, vlan 1, wireguard 1, ip6tnl 1, tun 1, ipip 1, vxlan 1; 1 down), 0 addresses")
			e := mustLink(t, r, "eno1")
			if e.SlaveKind != "bond_slave" || e.Kind != "" || e.Master != "bond0" || e.Attrs["xdp"] != "xdpgeneric/id:42" ||
				len(e.Other) != 2 || e.Details["parentdev"] != "0000:19:00.0" || e.PermAddr != "3c:ec:ef:10:20:30" {
				t.Errorf("eno1 = %+v", e)
			}
			if b := mustLink(t, r, "bond0"); b.KindArg("mode") != "802.3ad" || b.Alias != "uplink bond to tor-a/tor-b" {
				t.Errorf("bond0 = %+v", b)
			}
			if v := mustLink(t, r, "bond0.100"); v.Kind != "vlan" || v.KindArg("id") != "100" || v.Parent != "bond0" {
				t.Errorf("bond0.100 = %+v", v)
			}
			if w := mustLink(t, r, "wg0"); w.Kind != "wireguard" || w.LinkType != "none" || w.MAC != "" {
				t.Errorf("wg0 = %+v", w)
			}
			if p := mustLink(t, r, "ipip-peer"); p.IPIP == nil || p.IPIP.Remote != ip("10.0.0.2") || p.IPIP.Proto != "ipip" || !p.IPIP.PMTUDisc {
				t.Errorf("ipip-peer IPIP = %+v", p.IPIP)
			}
			if v := mustLink(t, r, "vxlan0"); v.VXLAN == nil || v.VXLAN.Group != ip("239.1.1.1") || !v.VXLAN.Learning || v.VXLAN.UDPCsum {
				t.Errorf("vxlan0 VXLAN = %+v", v.VXLAN)
			}
		},
		"real/vxlan-node1_ip-d-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 links (loopback 1, veth 2, vxlan 1; 0 down), 0 addresses")
			v := mustLink(t, r, "vxlan.calico")
			if v.VXLAN == nil || v.VXLAN.ID != 4096 || v.VXLAN.Local != ip("10.0.0.11") || v.VXLAN.DstPort != 4789 ||
				v.VXLAN.Learning || v.VXLAN.Dev != "eth0" || v.MTU != 1450 || v.MAC != "66:ab:cd:ef:01:01" {
				t.Errorf("vxlan.calico = %+v, VXLAN %+v", v, v.VXLAN)
			}
			if c := mustLink(t, r, "cali1234abcd"); c.Kind != "veth" || c.LinkNetns != "pndtest-pod1" || c.Parent != "if2" {
				t.Errorf("cali1234abcd = %+v", c)
			}
			if lo := mustLink(t, r, "lo"); lo.Details["tso_max_size"] != "524280" || lo.Details["allmulti"] != "0" {
				t.Errorf("lo details = %v", lo.Details)
			}
		},
		"real/vxlan-node1_ip-s-d-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 links (loopback 1, veth 2, vxlan 1; 0 down), 0 addresses")
			for _, l := range r.Links {
				if len(l.Other) != 0 {
					t.Errorf("%s kept statistics lines: %q", l.Name, l.Other)
				}
			}
		},
		"real/vxlan-node1_ip-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 links (loopback 1, ether 3; 0 down), 0 addresses")
		},
		"real/vxlan-node1_ip-addr.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 links (loopback 1, ether 3; 0 down), 8 addresses")
			e := mustLink(t, r, "eth0")
			if len(e.Addrs) != 3 || e.Addrs[1].Label != "eth0:1" || e.Addrs[1].Flags[0] != "secondary" || e.LinkNetns != "pndtest-lan" {
				t.Errorf("eth0 = %+v", e)
			}
		},
		"real/vxlan-node1_ip-d-addr.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 links (loopback 1, veth 2, vxlan 1; 0 down), 8 addresses")
			v := mustLink(t, r, "vxlan.calico")
			if v.VXLAN == nil || v.VXLAN.ID != 4096 || len(v.Addrs) != 2 || v.Addrs[0].Prefix != pfx("10.40.52.128/32") {
				t.Errorf("vxlan.calico = %+v", v)
			}
		},
		"real/vxlan-node1_ip-o-addr.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 links (unknown 4; 0 down), 8 addresses")
			if e := mustLink(t, r, "eth0"); e.Index != 2 || len(e.Addrs) != 3 || e.Addrs[2].ValidLft != "forever" {
				t.Errorf("eth0 = %+v", e)
			}
		},
		"real/lan_ip-d-link.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "4 links (loopback 1, bridge 1, veth 2; 0 down), 0 addresses")
			p := mustLink(t, r, "port2")
			if p.Kind != "veth" || p.SlaveKind != "bridge_slave" || p.Master != "br0" || p.LinkNetns != "pndtest-node2" {
				t.Errorf("port2 = %+v", p)
			}
			if b := mustLink(t, r, "br0"); b.KindArg("stp_state") != "0" || b.Details["gro_max_size"] != "65536" {
				t.Errorf("br0 = %+v", b)
			}
		},
		"real/pod1_ip-addr.txt": func(t *testing.T, r *Result) {
			wantSummary(t, r, "2 links (loopback 1, ether 1; 0 down), 4 addresses")
			if e := mustLink(t, r, "eth0"); e.Parent != "if4" || e.Addrs[0].Prefix != pfx("10.40.52.130/32") {
				t.Errorf("eth0 = %+v", e)
			}
		},
	}
	files, _ := filepath.Glob("testdata/*/*.txt")
	if len(files) != len(checks) {
		t.Errorf("%d testdata files, %d checks: give each file a check", len(files), len(checks))
	}
	for _, p := range files {
		rel := strings.TrimPrefix(filepath.ToSlash(p), "testdata/")
		t.Run(rel, func(t *testing.T) {
			r := parseClean(t, p)
			if c, ok := checks[rel]; ok {
				c(t, r)
			} else {
				t.Errorf("no check for %s", rel)
			}
		})
	}
}

func mustLink(t *testing.T, r *Result, name string) *Link {
	t.Helper()
	l := r.ByName(name)
	if l == nil {
		t.Fatalf("no link %q", name)
	}
	return l
}

func wantSummary(t *testing.T, r *Result, want string) {
	t.Helper()
	if got := r.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

// realdata returns the shared real-sample folder, or skips the test.
func realdata(t *testing.T, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found, so …/shared/realdata absent")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "realdata", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skip("…/shared/realdata absent")
	}
	return p
}

func TestParseRealData(t *testing.T) {
	dir := realdata(t, "ip-addr")
	r := parseClean(t, filepath.Join(dir, "calicoctl-1010_pod_ip-addr.txt"))
	wantSummary(t, r, "3 links (loopback 1, ipip 1, ether 1; 1 down), 4 addresses")
	tl := mustLink(t, r, "tunl0")
	if tl.Parent != "NONE" || !reflect.DeepEqual(tl.Flags, []string{"NOARP"}) || tl.LinkType != "ipip" || !tl.IsIPIP() ||
		tl.MTU != 1480 || tl.Qdisc != "noop" || tl.State != "" || tl.Up() {
		t.Errorf("tunl0 = %+v", tl)
	}
	e := mustLink(t, r, "eth0")
	if e.Index != 31 || e.Parent != "if32" || e.MAC != "ca:7b:89:d7:3a:5a" || e.Qlen != 1000 || !e.HasFlag("M-DOWN") {
		t.Errorf("eth0 = %+v", e)
	}
	want := Addr{Line: 11, Family: "inet", Prefix: pfx("192.168.255.200/32"), Scope: "global", Label: "eth0",
		ValidLft: "forever", PreferredLft: "forever"}
	if len(e.Addrs) != 2 || !reflect.DeepEqual(e.Addrs[0], want) || e.Addrs[1].Prefix != pfx("fe80::c87b:89ff:fed7:3a5a/64") {
		t.Errorf("eth0 addresses = %+v", e.Addrs)
	}
}

func TestMerge(t *testing.T) {
	link := parseClean(t, "testdata/good/calico-ipip-node_ip-d-link.txt")
	addr := parseClean(t, "testdata/good/calico-ipip-node_ip-addr.txt")
	addr.Links = append(addr.Links, Link{Name: "only-in-addr", Index: 99})
	link.Merge(addr)
	wantSummary(t, link, "8 links (loopback 1, ether 1, dummy 1, ipip 1, veth 3, unknown 1; 1 down), 10 addresses")
	tl := mustLink(t, link, "tunl0")
	if tl.Kind != "ipip" || tl.IPIP == nil || len(tl.Addrs) != 1 || tl.Addrs[0].Prefix != pfx("10.40.52.128/32") || tl.Line != 9 {
		t.Errorf("merged tunl0 = %+v", tl)
	}
	if k := mustLink(t, link, "kube-ipvs0"); k.Mode != "DEFAULT" || k.Kind != "dummy" || len(k.Addrs) != 2 {
		t.Errorf("merged kube-ipvs0 = %+v", k)
	}
	// The merged result shares nothing with its source.
	tl.Addrs[0].Flags = append(tl.Addrs[0].Flags, "x")
	mustLink(t, link, "ens3").AltNames[0] = "changed"
	if a := addr.ByName("tunl0").Addrs[0]; len(a.Flags) != 0 {
		t.Errorf("source address changed: %+v", a)
	}
	if a := addr.ByName("ens3").AltNames[0]; a != "enp0s3" {
		t.Errorf("source altname changed: %q", a)
	}

	// The reverse direction: addresses kept, kind and VXLAN filled in.
	link2 := parseClean(t, "testdata/good/calico-vxlan-node_ip-d-link.txt")
	addr2 := parseClean(t, "testdata/good/calico-vxlan-node_ip-addr.txt")
	addr2.Merge(link2)
	addr2.Merge(nil)
	addr2.Merge(addr2)
	v := mustLink(t, addr2, "vxlan.calico")
	if v.VXLAN == nil || v.VXLAN.DstPort != 4789 || len(v.Addrs) != 2 || v.KindLine != 13 || v.Line != 21 {
		t.Errorf("merged vxlan.calico = %+v", v)
	}
	v.VXLAN.Flags[0] = "changed"
	if f := link2.ByName("vxlan.calico").VXLAN.Flags[0]; f != "noudp6zerocsumtx" {
		t.Errorf("source VXLAN flags changed: %q", f)
	}
}

func TestLookups(t *testing.T) {
	r, _ := Parse([]byte("netns: other\n1: lo: <LOOPBACK> mtu 65536\n\nnetns: \n1: lo: <LOOPBACK,UP> mtu 65536\n2: eth0: <UP> mtu 1500\n"))
	if l := r.ByName("lo"); l == nil || l.Netns != "" || !l.Up() {
		t.Errorf("ByName(lo) = %+v, want the one of the current namespace", l)
	}
	if l := r.ByIndex(2); l == nil || l.Name != "eth0" {
		t.Errorf("ByIndex(2) = %+v", l)
	}
	if l := r.ByName("nope"); l != nil {
		t.Errorf("ByName(nope) = %+v", l)
	}
	if l := r.ByIndex(7); l != nil {
		t.Errorf("ByIndex(7) = %+v", l)
	}
	only, _ := Parse([]byte("netns: x\n1: lo: <LOOPBACK> mtu 65536\n"))
	if l := only.ByName("lo"); l == nil || l.Netns != "x" {
		t.Errorf("ByName(lo) with only another namespace = %+v", l)
	}
	l := Link{KindArgs: []string{"protocol", "802.1Q", "id"}}
	if got := l.KindArg("id"); got != "" {
		t.Errorf("KindArg of a trailing key = %q", got)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"no links", "", "0 links, 0 addresses"},
		{"one link with one address", "1: lo: <LOOPBACK,UP> mtu 65536\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n",
			"1 link (loopback 1; 0 down), 1 address"},
		{"kinds before link types, down counted", "1: a: <UP> mtu 1\n    link/ether 00:00:00:00:00:01 promiscuity 0\n    veth\n2: b: <> mtu 1\n    link/ether 00:00:00:00:00:02\n",
			"2 links (veth 1, ether 1; 1 down), 0 addresses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := Parse([]byte(tt.in))
			wantSummary(t, r, tt.want)
		})
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.txt")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("1: lo: <LOOPBACK> mtu 65536\\    link/loopback 00:00:00:00:00:00\\\n2: eth0    inet 10.0.0.1 peer 10.0.0.2/32 brd\\  valid_lft\n"))
	f.Add([]byte("eth0@ UP <> 10.0.0.1/33 zz\n3: x@: <a,,b> mtu -1 qlen\n    vxlan id 1 srcport 1\n    link/ether promiscuity 0\n    ipip remote local\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, diags := Parse(data)
		if r == nil {
			t.Fatal("nil Result")
		}
		for _, d := range diags {
			if d.Line < 0 || d.Msg == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		for _, l := range r.Links {
			if l.Line <= 0 || l.Name == "" {
				t.Fatalf("link without a line or name: %+v", l)
			}
			for _, a := range l.Addrs {
				if a.Line < l.Line || !a.Prefix.IsValid() {
					t.Fatalf("address %+v of link at line %d", a, l.Line)
				}
			}
		}
		_ = r.Summary()
		r.Merge(r)
		var other Result
		other.Merge(r)
		if len(other.Links) != len(r.Links) && !hasDupNames(r) {
			t.Fatalf("merge into empty gave %d links, want %d", len(other.Links), len(r.Links))
		}
	})
}

func hasDupNames(r *Result) bool {
	seen := map[string]bool{}
	for _, l := range r.Links {
		k := l.Netns + "\x00" + l.Name
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}
