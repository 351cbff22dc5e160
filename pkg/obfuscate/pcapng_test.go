package obfuscate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
)

// ngb builds pcapng blocks in one byte order.
type ngb struct{ bo byteOrder }

func (g ngb) opt(code uint16, v []byte) []byte {
	b := g.bo.AppendUint16(nil, code)
	b = g.bo.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func (g ngb) block(typ uint32, body ...[]byte) []byte {
	bd := bytes.Join(body, nil)
	b := g.bo.AppendUint32(nil, typ)
	b = g.bo.AppendUint32(b, uint32(12+len(bd)))
	b = append(b, bd...)
	return g.bo.AppendUint32(b, uint32(12+len(bd)))
}

func (g ngb) shb(opts ...[]byte) []byte {
	f := g.bo.AppendUint32(nil, 0x1A2B3C4D)
	f = g.bo.AppendUint16(f, 1)
	f = g.bo.AppendUint16(f, 0)
	f = g.bo.AppendUint64(f, 12345) // a section length the rewrite cannot keep
	return g.block(0x0A0D0D0A, append([][]byte{f}, opts...)...)
}

func (g ngb) idb(lt layers.LinkType, opts ...[]byte) []byte {
	f := g.bo.AppendUint16(nil, uint16(lt))
	f = g.bo.AppendUint16(f, 0)
	f = g.bo.AppendUint32(f, 262144)
	return g.block(1, append([][]byte{f}, opts...)...)
}

func (g ngb) epb(iface uint32, ts uint64, data []byte, opts ...[]byte) []byte {
	f := g.bo.AppendUint32(nil, iface)
	f = g.bo.AppendUint32(f, uint32(ts>>32))
	f = g.bo.AppendUint32(f, uint32(ts))
	f = g.bo.AppendUint32(f, uint32(len(data)))
	f = g.bo.AppendUint32(f, uint32(len(data)))
	f = append(f, data...)
	for len(f)%4 != 0 {
		f = append(f, 0)
	}
	return g.block(6, append([][]byte{f}, opts...)...)
}

func (g ngb) spb(data []byte) []byte {
	f := g.bo.AppendUint32(nil, uint32(len(data)))
	f = append(f, data...)
	for len(f)%4 != 0 {
		f = append(f, 0)
	}
	return g.block(3, f)
}

func (g ngb) end() []byte { return g.opt(0, nil) }

// pkt is one packet and its link type.
type pkt struct {
	data []byte
	lt   layers.LinkType
}

func readPcap(t *testing.T, data []byte) []pkt {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out []pkt
	for {
		b, _, err := r.ReadPacketData()
		if err != nil {
			return out
		}
		out = append(out, pkt{b, r.LinkType()})
	}
}

// readNg reads a pcapng with gopacket's reader, independent of ours.
func readNg(t *testing.T, data []byte) []pkt {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []pkt
	for {
		b, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("pcapgo cannot read the rewritten pcapng after %d packets: %v", len(out), err)
		}
		out = append(out, pkt{b, ci.AncillaryData[0].(layers.LinkType)})
	}
}

// ngCapture is a pcapng of every scenario capture (IP-in-IP, VXLAN, DNS,
// Ethernet and raw IP) and the crafted one (DNS answers, ICMP errors, ARP, a
// bad checksum), one interface per file, in both byte orders; around the
// packets, every block and option that can carry an address, a host name
// or free text, each naming node-a.example or 10.244.1.5.
func ngCapture(t *testing.T, g ngb) ([]byte, []pkt) {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/bundles/*/*/pcap/*.pcap")
	srcs := [][]byte{craftedCapture(t)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, b)
	}
	leak := []byte("node-a.example 10.244.1.5")
	var b bytes.Buffer
	b.Write(g.shb(g.opt(1, leak), g.opt(2, leak), g.opt(3, []byte("Linux node-a.example")), g.opt(4, leak), g.end()))
	var pkts []pkt
	for i, src := range srcs {
		ps := readPcap(t, src)
		if len(ps) == 0 {
			continue
		}
		v4 := append(netip.MustParseAddr("10.244.1.5").AsSlice(), 255, 255, 255, 0)
		v6 := append(netip.MustParseAddr("fd00::a:1:5").AsSlice(), 64)
		b.Write(g.idb(ps[0].lt, g.opt(2, []byte("cali1234abcd")), g.opt(3, leak), g.opt(4, v4), g.opt(5, v6),
			g.opt(9, []byte{6}), g.opt(11, append([]byte{0}, "host 10.244.1.5"...)), g.opt(12, leak), g.opt(15, leak),
			g.opt(1, leak), g.opt(2988, leak), g.end()))
		if i == 0 {
			// Name resolution, decryption secrets, a custom block, an
			// unknown one and statistics with a comment.
			nrb := g.bo.AppendUint16(nil, 1)
			nrb = g.bo.AppendUint16(nrb, 4+uint16(len("node-a.example"))+1)
			nrb = append(nrb, 10, 244, 1, 5)
			nrb = append(nrb, "node-a.example\x00"...)
			for len(nrb)%4 != 0 {
				nrb = append(nrb, 0)
			}
			nrb = append(nrb, 0, 0, 0, 0)
			b.Write(g.block(4, nrb))
			b.Write(g.block(0x0A, g.bo.AppendUint32(nil, 0x544c534b), g.bo.AppendUint32(nil, uint32(len(leak))), leak, []byte{0, 0, 0}))
			b.Write(g.block(0x40000BAD, g.bo.AppendUint32(nil, 32473), leak, []byte{0, 0, 0}))
			b.Write(g.block(0x77, leak, []byte{0, 0, 0}))
		}
		for k, p := range ps {
			if i == 0 && k == 1 {
				continue // the simple packet below, on interface 0
			}
			b.Write(g.epb(uint32(len(pkts)*0+i), uint64(k), p.data, g.opt(1, leak), g.opt(2, g.bo.AppendUint32(nil, 1)),
				g.opt(3, append([]byte{2}, leak[:16]...)), g.opt(4, g.bo.AppendUint64(nil, 0)), g.end()))
		}
		if i == 0 {
			b.Write(g.spb(ps[1].data))
			// The simple packet comes after interface 0's packets in
			// the file; keep pkts in file order.
			pkts = append(pkts, ps[0])
			pkts = append(pkts, ps[2:]...)
			pkts = append(pkts, ps[1])
			isb := g.bo.AppendUint32(nil, 0)
			isb = append(isb, make([]byte, 8)...)
			b.Write(g.block(5, isb, g.opt(1, leak), g.opt(4, g.bo.AppendUint64(nil, 7)), g.end()))
			continue
		}
		pkts = append(pkts, ps...)
	}
	return b.Bytes(), pkts
}

// TestObfuscatedPcapngKeepsEverythingButTheAddresses: a pcapng of the
// scenario and crafted captures comes out parseable by gopacket's reader and
// ours, with the same packets, sizes and layers, every address at every layer
// (through IP-in-IP and VXLAN) mapped as Text maps it, every checksum as
// valid as before, the interface addresses mapped, and no original address
// (in binary or text) or name left anywhere in the file.
func TestObfuscatedPcapngKeepsEverythingButTheAddresses(t *testing.T) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(fmt.Sprint(bo), func(t *testing.T) {
			in, want := ngCapture(t, ngb{bo})
			o := New(Key{1, 2, 3})
			var out bytes.Buffer
			n, err := o.Pcap(&out, bytes.NewReader(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := readNg(t, out.Bytes())
			before := readNg(t, in)
			if n != len(want) || len(got) != len(want) || len(before) != len(want) {
				t.Fatalf("%d packets written, %d read back by pcapgo, %d in, want %d", n, len(got), len(before), len(want))
			}
			// Our reader: the same packets, nothing cut short, as the
			// input reads.
			sIn, _ := capture.Summarize(bytes.NewReader(in), capture.Options{})
			sOut, ds := capture.Summarize(bytes.NewReader(out.Bytes()), capture.Options{})
			if sOut.Packets != int64(len(want)) || sOut.Truncated || sOut.Undecodable.Count != sIn.Undecodable.Count || len(sOut.Tunnels) != len(sIn.Tunnels) || len(sOut.DNS) != len(sIn.DNS) {
				t.Errorf("our reader: %d packets (truncated %v), %d undecodable, %d tunnels, %d DNS servers; the input: %d, %d, %d, %d; %v",
					sOut.Packets, sOut.Truncated, sOut.Undecodable.Count, len(sOut.Tunnels), len(sOut.DNS), sIn.Packets, sIn.Undecodable.Count, len(sIn.Tunnels), len(sIn.DNS), ds)
			}
			originals := map[netip.Addr]bool{netip.MustParseAddr("10.244.1.5"): true, netip.MustParseAddr("fd00::a:1:5"): true}
			mapped := 0
			for i := range want {
				b, a := decodePacket(want[i].data, want[i].lt), decodePacket(got[i].data, got[i].lt)
				if got[i].lt != want[i].lt || b.size != a.size || b.layerList != a.layerList {
					t.Errorf("#%d: %d bytes %s became %d bytes %s", i+1, b.size, b.layerList, a.size, a.layerList)
					continue
				}
				if fmt.Sprint(b.badCsums) != fmt.Sprint(a.badCsums) {
					t.Errorf("#%d (%s): wrong checksums %v became %v", i+1, b.layerList, b.badCsums, a.badCsums)
				}
				for k := range b.addrs {
					w := o.Addr(b.addrs[k])
					if a.addrs[k] != w {
						t.Errorf("#%d (%s): address %s became %s, want %s", i+1, b.layerList, b.addrs[k], a.addrs[k], w)
					}
					if w != b.addrs[k] {
						originals[b.addrs[k]] = true
						mapped++
					}
				}
			}
			if mapped == 0 {
				t.Fatal("no address was changed")
			}
			// Interface addresses, mapped.
			r, err := pcapgo.NewNgReader(bytes.NewReader(out.Bytes()), pcapgo.NgReaderOptions{WantMixedLinkType: true})
			if err != nil {
				t.Fatal(err)
			}
			r.ReadPacketData()
			ifc, err := r.Interface(0)
			if err != nil {
				t.Fatal(err)
			}
			if ifc.Name != "" || ifc.Description != "" || ifc.Filter != "" || ifc.OS != "" || ifc.TimestampResolution != 6 {
				t.Errorf("interface kept %+v", ifc)
			}
			for a := range originals {
				raw := a.AsSlice()
				if i := bytes.Index(out.Bytes(), raw); i >= 0 {
					t.Errorf("original address %s still in the file at byte %d", a, i)
				}
				if bytes.Contains(out.Bytes(), []byte(a.String())) {
					t.Errorf("original address %s still in the file as text", a)
				}
			}
			for _, f := range []string{"node-a", "cali1234abcd", "host ", "TLSK"} {
				if bytes.Contains(out.Bytes(), []byte(f)) {
					t.Errorf("%q still in the file", f)
				}
			}
			if !bytes.Contains(out.Bytes(), o.Addr(netip.MustParseAddr("10.244.1.5")).AsSlice()) {
				t.Error("the interface address is not in the file mapped")
			}
		})
	}
}

// TestObfuscatingADamagedPcapng: a file cut inside a block keeps the blocks
// before, whole; a corrupt block, a packet on an interface never described or
// of a link type whose addresses cannot be found is an error (the capture is
// left out, not shipped unrewritten).
func TestObfuscatingADamagedPcapng(t *testing.T) {
	g := ngb{binary.LittleEndian}
	p := readPcap(t, craftedCapture(t))[0].data
	whole := bytes.Join([][]byte{g.shb(), g.idb(layers.LinkTypeEthernet), g.epb(0, 1, p), g.epb(0, 2, p)}, nil)
	last := len(g.epb(0, 2, p))
	tests := []struct {
		name    string
		in      []byte
		packets int
		err     string
	}{
		{"whole", whole, 2, ""},
		{"cut in the last packet", whole[:len(whole)-10], 1, ""},
		{"cut in the last packet's header", whole[:len(whole)-last+6], 1, ""},
		{"cut in the section header", whole[:10], 0, "header cut short"},
		{"trailing length differs", func() []byte {
			b := bytes.Clone(whole)
			b[len(b)-4] ^= 4
			return b
		}(), 1, "trailing length"},
		{"length not a multiple of 4", func() []byte {
			b := bytes.Clone(whole)
			b[len(b)-last+4]++
			return b
		}(), 1, "length"},
		{"packet on an interface not described", bytes.Join([][]byte{g.shb(), g.idb(layers.LinkTypeEthernet), g.epb(1, 1, p)}, nil), 1, "interface 1"},
		{"link type not rewritten", bytes.Join([][]byte{g.shb(), g.idb(layers.LinkType(147)), g.epb(0, 1, p)}, nil), 1, "link type 147 not rewritten"},
		{"captured length past the block", func() []byte {
			b := bytes.Clone(whole)
			binary.LittleEndian.PutUint32(b[len(b)-last+20:], 5000)
			return b
		}(), 2, "captured length 5000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			n, err := New(Key{5}).Pcap(&out, bytes.NewReader(tc.in), nil)
			if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if n != tc.packets {
				t.Errorf("%d packets, want %d", n, tc.packets)
			}
			if err == nil {
				if got := readNg(t, out.Bytes()); len(got) != n {
					t.Errorf("%d packets read back, %d written", len(got), n)
				}
			}
		})
	}
}
