package capture_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
)

// TestUDPOnAVXLANPortThatIsNoVXLANIsNotATunnel: a port says nothing for sure.
// DNS from a client whose ephemeral port is 4789 (its ID and flags crafted so
// that the first 8 bytes pass for a VXLAN header) is DNS, a VXLAN-like header
// without the I flag or cut short is no tunnel, and a group-policy VXLAN
// header (G flag, policy ID) is one.
func TestUDPOnAVXLANPortThatIsNoVXLANIsNotATunnel(t *testing.T) {
	// ID 0x0800 and no flags: bytes 08 00 00 00 00 01 00 00, a VXLAN
	// header of VNI 256 as far as its first 8 bytes go.
	q := &layers.DNS{ID: 0x0800, Questions: []layers.DNSQuestion{{Name: []byte("kubernetes.default.svc.cluster.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	a := dnsAnswer(0x0800, "kubernetes.default.svc.cluster.local", layers.DNSTypeA, layers.DNSResponseCodeNoErr, "10.96.0.1")
	a.RD = false
	raw := func(sport, dport uint16, pay []byte) []byte {
		ip := ip4L(vxA, vxB, layers.IPProtocolUDP)
		return onEth(t, macA, macB, []gopacket.SerializableLayer{ip, udpL(ip, sport, dport), gopacket.Payload(pay)})
	}
	inner := serialize(t, append([]gopacket.SerializableLayer{ethL(vmacA, vmacB, layers.EthernetTypeIPv4)}, udpDNS(t, podVA, 41000, dnsVB, 53, dnsQuery(1, "a.example.com", layers.DNSTypeA))...)...)
	noIFlag := append([]byte{0, 0, 0, 0, 0, 0x10, 0, 0}, inner...)
	gbp := append([]byte{0x88, 0, 0x12, 0x34, 0, 0x10, 0, 0}, inner...)
	ms := time.Millisecond
	frames := []frame{
		{at: 0, data: onEth(t, macA, macB, udpDNS(t, podA, 4789, vip, 53, q))},
		{at: 1 * ms, data: onEth(t, macB, macA, udpDNS(t, vip, 53, podA, 4789, a))},
		{at: 2 * ms, data: raw(51234, 4789, noIFlag)},
		{at: 3 * ms, data: raw(51234, 4789, []byte{0x08, 0, 0, 0, 0, 0x10, 0, 0})},
		{at: 4 * ms, data: raw(51234, 4789, gbp)},
	}
	s, ds := capture.Summarize(bytes.NewReader(writePcap(t, layers.LinkTypeEthernet, frames)), capture.Options{})
	if len(ds) != 0 || s.Undecodable.Count != 0 {
		t.Fatalf("diagnostics %v, undecodable %+v", ds, s.Undecodable)
	}
	equalMaps(t, "tunnel", tunnelCounts(s), map[string]int64{"192.168.1.11>192.168.1.12 vxlan/4096": 1})
	if s.VXLANPortOther != 4 {
		t.Errorf("VXLANPortOther = %d, want 4 (the DNS query and answer, no I flag, cut short)", s.VXLANPortOther)
	}
	if d := dnsServer(s, vip); d.Queries != 1 || d.Answered != 1 || d.InTunnel != 0 {
		t.Errorf("DNS on port 4789: got %+v", d)
	}
	if d := dnsServer(s, dnsVB); d.Queries != 1 || d.InTunnel != 1 {
		t.Errorf("DNS in the group-policy VXLAN packet: got %+v", d)
	}
}
