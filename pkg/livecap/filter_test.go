package livecap

import (
	"net"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// packet serialises layers with lengths and checksums filled in; with l2 false
// the Ethernet header is left off (LINKTYPE_RAW).
func packet(t *testing.T, l2 bool, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	if l2 {
		var et layers.EthernetType
		switch ls[0].(type) {
		case *layers.IPv4:
			et = layers.EthernetTypeIPv4
		case *layers.IPv6:
			et = layers.EthernetTypeIPv6
		case *layers.ARP:
			et = layers.EthernetTypeARP
		}
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: et}
		ls = append([]gopacket.SerializableLayer{eth}, ls...)
	}
	buf := gopacket.NewSerializeBuffer()
	for _, l := range ls {
		if n, ok := l.(interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}); ok {
			for _, nl := range ls {
				if ip, ok := nl.(gopacket.NetworkLayer); ok {
					n.SetNetworkLayerForChecksum(ip)
				}
			}
		}
	}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func v4(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto,
		SrcIP: net.IP{10, 41, 1, 20}, DstIP: net.IP{10, 41, 1, 21}}
}

func v6(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next,
		SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
}

func udp(src, dst uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(src), DstPort: layers.UDPPort(dst)}
}

func tcp(src, dst uint16) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(src), DstPort: layers.TCPPort(dst), SYN: true, Window: 1000}
}

func TestFilterKeepsTunnelsDNSAndICMP(t *testing.T) {
	payload := gopacket.Payload(make([]byte, 900))
	withOptions := v4(layers.IPProtocolUDP)
	withOptions.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
	frag := v4(layers.IPProtocolUDP)
	frag.FragOffset = 100
	tests := []struct {
		name   string
		ports  []int
		layers []gopacket.SerializableLayer
		keep   bool
	}{
		{"VXLAN on the IANA port", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolUDP), udp(41000, 4789), payload}, true},
		{"VXLAN on Linux's old port when configured", []int{8472}, []gopacket.SerializableLayer{v4(layers.IPProtocolUDP), udp(8472, 8472), payload}, true},
		{"VXLAN on 8472 when only 4789 is configured", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolUDP), udp(8472, 8472), payload}, false},
		{"a DNS query over UDP", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolUDP), udp(40000, 53), payload}, true},
		{"a DNS answer over UDP", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolUDP), udp(53, 40000), payload}, true},
		{"DNS behind IPv4 options", nil, []gopacket.SerializableLayer{withOptions, udp(40000, 53), payload}, true},
		{"DNS over TCP", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolTCP), tcp(40000, 53)}, true},
		{"IP-in-IP", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolIPv4), v4(layers.IPProtocolUDP), udp(1, 2)}, true},
		{"ICMP", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 4)}}, true},
		{"the rest of a fragmented UDP datagram", nil, []gopacket.SerializableLayer{frag, payload}, true},
		{"HTTPS", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolTCP), tcp(40000, 443)}, false},
		{"NTP", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolUDP), udp(123, 123)}, false},
		{"GRE", nil, []gopacket.SerializableLayer{v4(layers.IPProtocolGRE), payload}, false},
		{"DNS over IPv6", nil, []gopacket.SerializableLayer{v6(layers.IPProtocolUDP), udp(40000, 53), payload}, true},
		{"VXLAN over IPv6", nil, []gopacket.SerializableLayer{v6(layers.IPProtocolUDP), udp(40000, 4789), payload}, true},
		{"ICMPv6", nil, []gopacket.SerializableLayer{v6(layers.IPProtocolICMPv6), &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(2, 0)}}, true},
		{"HTTP over IPv6", nil, []gopacket.SerializableLayer{v6(layers.IPProtocolTCP), tcp(40000, 80)}, false},
	}
	for _, tt := range tests {
		for _, l2 := range []bool{true, false} {
			name := tt.name + " (raw IP)"
			if l2 {
				name = tt.name + " (Ethernet)"
			}
			t.Run(name, func(t *testing.T) {
				f, err := NewFilter(l2, 256, tt.ports)
				if err != nil {
					t.Fatal(err)
				}
				vm, err := bpf.NewVM(f.Program)
				if err != nil {
					t.Fatal(err)
				}
				n, err := vm.Run(packet(t, l2, tt.layers...))
				if err != nil {
					t.Fatal(err)
				}
				if keep := n > 0; keep != tt.keep {
					t.Fatalf("kept = %v (returned %d), want %v", keep, n, tt.keep)
				}
				if tt.keep && n != 256 {
					t.Errorf("accepted with length %d, want the snap length 256", n)
				}
			})
		}
	}
}

func TestFilterDropsNonIPFrames(t *testing.T) {
	f, err := NewFilter(true, 640, nil)
	if err != nil {
		t.Fatal(err)
	}
	vm, _ := bpf.NewVM(f.Program)
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6,
		ProtAddressSize: 4, Operation: 1, SourceHwAddress: make([]byte, 6), SourceProtAddress: make([]byte, 4),
		DstHwAddress: make([]byte, 6), DstProtAddress: make([]byte, 4)}
	if n, _ := vm.Run(packet(t, true, arp)); n != 0 {
		t.Errorf("ARP kept (%d)", n)
	}
	if n, _ := vm.Run([]byte{1, 2, 3}); n != 0 {
		t.Errorf("a runt frame kept (%d)", n)
	}
}

func TestFilterExpressionNamesThePorts(t *testing.T) {
	f, err := NewFilter(true, 640, []int{8472, 4789, 8472, 53, -1, 70000})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Expr, "udp port 4789 or udp port 8472") || strings.Count(f.Expr, "8472") != 1 ||
		!strings.Contains(f.Expr, "ip proto 4") {
		t.Errorf("expr = %q", f.Expr)
	}
	many := make([]int, 100)
	for i := range many {
		many[i] = 10000 + i
	}
	if _, err := NewFilter(true, 640, many); err != nil {
		t.Errorf("100 ports: %v", err)
	}
	if _, err := bpf.Assemble(f.Program); err != nil {
		t.Errorf("assemble: %v", err)
	}
}
