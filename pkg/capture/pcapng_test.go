package capture_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// ngOpt is one pcapng option, padded.
func ngOpt(code uint16, v []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// swapBlock turns a little-endian block of 32-bit words into a big-endian
// one where every field is a 32-bit word (section headers and packets carry
// 16-bit fields too; those are rewritten by the caller).
func beSHB() []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint32(b[0:], 0x0A0D0D0A)
	binary.BigEndian.PutUint32(b[4:], 28)
	binary.BigEndian.PutUint32(b[8:], 0x1A2B3C4D)
	binary.BigEndian.PutUint16(b[12:], 1)
	binary.BigEndian.PutUint64(b[16:], ^uint64(0))
	binary.BigEndian.PutUint32(b[24:], 28)
	return b
}

func beIDB(lt uint16) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint32(b[0:], 1)
	binary.BigEndian.PutUint32(b[4:], 20)
	binary.BigEndian.PutUint16(b[8:], lt)
	binary.BigEndian.PutUint32(b[12:], 65535)
	binary.BigEndian.PutUint32(b[16:], 20)
	return b
}

func beEPB(iface uint32, ts uint64, data []byte) []byte {
	pad := (4 - len(data)%4) % 4
	n := 32 + len(data) + pad
	b := make([]byte, 28, n)
	binary.BigEndian.PutUint32(b[0:], 6)
	binary.BigEndian.PutUint32(b[4:], uint32(n))
	binary.BigEndian.PutUint32(b[8:], iface)
	binary.BigEndian.PutUint32(b[12:], uint32(ts>>32))
	binary.BigEndian.PutUint32(b[16:], uint32(ts))
	binary.BigEndian.PutUint32(b[20:], uint32(len(data)))
	binary.BigEndian.PutUint32(b[24:], uint32(len(data)))
	b = append(b, data...)
	b = append(b, make([]byte, pad)...)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

// TestPcapngBlocks reads hand-made pcapng files: options that change the
// time unit, both byte orders, simple and obsolete packet blocks, sections
// that start their interfaces anew, and blocks cut short or corrupt, which
// end the summary with a warning naming the packet, what was read before
// kept.
func TestPcapngBlocks(t *testing.T) {
	pkt := ngFloodPacket(t)
	shb := ngBlock(0x0A0D0D0A, shbBody())
	eth := ngBlock(1, idbBody(1, nil))
	epb := func(iface uint32, us uint64) []byte { return ngBlock(6, epbBody(iface, us, pkt)) }
	const us = 1_700_000_000_000_000 // µs
	spb := ngBlock(3, cat(binary.LittleEndian.AppendUint32(nil, uint32(len(pkt))), pkt, make([]byte, (4-len(pkt)%4)%4)))
	opb := func() []byte {
		b := epbBody(0, us+5, pkt)
		binary.LittleEndian.PutUint32(b[0:], 0) // interface 0, no drops
		return ngBlock(2, b)
	}()
	whole := cat(shb, eth, epb(0, us), epb(0, us+1))
	tests := []struct {
		name            string
		data            []byte
		packets         int64
		undecodable     int64
		firstNs, lastNs int64
		truncated       bool
		diagSev         diag.Severity
		diagMsg         string // a diagnostic containing it is expected; "" none
		queries         int
	}{
		{name: "two packets", data: whole, packets: 2, firstNs: us * 1000, lastNs: (us + 1) * 1000, queries: 2},
		{name: "nanosecond resolution and an offset", data: cat(shb,
			ngBlock(1, idbBody(1, cat(ngOpt(2, []byte("eth0 with a long name")), ngOpt(9, []byte{9}), ngOpt(14, binary.LittleEndian.AppendUint64(nil, 100)), ngOpt(0, nil)))),
			epb(0, 5)), packets: 1, firstNs: 100e9 + 5, lastNs: 100e9 + 5, queries: 1},
		{name: "binary resolution", data: cat(shb, ngBlock(1, idbBody(1, ngOpt(9, []byte{0x80 | 10}))), epb(0, 3*1024+512)),
			packets: 1, firstNs: 3_500_000_000, lastNs: 3_500_000_000, queries: 1},
		{name: "big-endian section", data: cat(beSHB(), beIDB(1), beEPB(0, us, pkt)), packets: 1, firstNs: us * 1000, lastNs: us * 1000, queries: 1},
		{name: "simple and obsolete packet blocks", data: cat(shb, eth, epb(0, us), spb, opb), packets: 3, firstNs: us * 1000, lastNs: (us + 5) * 1000, queries: 3},
		{name: "unknown blocks skipped", data: cat(shb, ngBlock(0xBAD, make([]byte, 100000)), eth, ngBlock(5, make([]byte, 8)), epb(0, us)), packets: 1, firstNs: us * 1000, lastNs: us * 1000, queries: 1},
		{name: "packet on an interface not described", data: cat(shb, eth, epb(3, us), epb(0, us+1)), packets: 2, undecodable: 1, firstNs: (us + 1) * 1000, lastNs: (us + 1) * 1000, queries: 1},
		{name: "a new section describes its interfaces anew", data: cat(whole, shb, epb(0, us+2)), packets: 3, undecodable: 1, firstNs: us * 1000, lastNs: (us + 1) * 1000, queries: 2},
		{name: "cut in a packet's header", data: whole[:len(whole)-len(epb(0, 0))+20], packets: 1, firstNs: us * 1000, lastNs: us * 1000, truncated: true, diagSev: diag.Warning, diagMsg: "capture cut short in packet 2", queries: 1},
		{name: "cut in a packet's data", data: whole[:len(whole)-10], packets: 1, firstNs: us * 1000, lastNs: us * 1000, truncated: true, diagSev: diag.Warning, diagMsg: "capture cut short in packet 2", queries: 1},
		{name: "cut in an interface block", data: cat(shb, eth[:14]), truncated: true, diagSev: diag.Warning, diagMsg: "capture cut short in packet 1"},
		{name: "cut in the section header", data: shb[:20], diagSev: diag.Error, diagMsg: "pcapng file header cut short"},
		{name: "length not a multiple of 4", data: func() []byte {
			b := cat(whole)
			binary.LittleEndian.PutUint32(b[len(shb)+len(eth)+4:], 63)
			return b
		}(), truncated: true, diagSev: diag.Warning, diagMsg: "block 3: length 63 invalid"},
		{name: "trailing length differs", data: func() []byte {
			b := cat(whole)
			binary.LittleEndian.PutUint32(b[len(shb)+len(eth)+len(epb(0, 0))-4:], 44)
			return b
		}(), packets: 1, firstNs: us * 1000, lastNs: us * 1000, truncated: true, diagSev: diag.Warning, diagMsg: "trailing length 44 differs", queries: 1},
		{name: "captured length past the block", data: func() []byte {
			b := cat(whole)
			binary.LittleEndian.PutUint32(b[len(shb)+len(eth)+20:], 4000)
			return b
		}(), truncated: true, diagSev: diag.Warning, diagMsg: "block 3: captured length 4000 past the block's end"},
		{name: "a 4 GB block length in a small file", data: func() []byte {
			b := cat(shb, eth, ngBlock(0xBAD, nil))
			binary.LittleEndian.PutUint32(b[len(shb)+len(eth)+4:], 0xFFFFFFF0)
			return b
		}(), truncated: true, diagSev: diag.Warning, diagMsg: "capture cut short in packet 1"},
		{name: "unknown section version", data: func() []byte {
			b := cat(whole)
			binary.LittleEndian.PutUint16(b[12:], 2)
			return b
		}(), diagSev: diag.Error, diagMsg: "section version 2.0 not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, ds := capture.Summarize(bytes.NewReader(tc.data), capture.Options{})
			if s.Format != "pcapng" && tc.diagSev != diag.Error {
				t.Errorf("format %q", s.Format)
			}
			if s.Packets != tc.packets || s.Undecodable.Count != tc.undecodable || s.Truncated != tc.truncated {
				t.Errorf("packets %d undecodable %d (%s) truncated %v, want %d %d %v", s.Packets, s.Undecodable.Count, s.Undecodable.FirstReason, s.Truncated, tc.packets, tc.undecodable, tc.truncated)
			}
			if s.FirstNs != tc.firstNs || s.LastNs != tc.lastNs {
				t.Errorf("time %d..%d, want %d..%d", s.FirstNs, s.LastNs, tc.firstNs, tc.lastNs)
			}
			q := 0
			for _, d := range s.DNS {
				q += d.Queries
			}
			if q != tc.queries {
				t.Errorf("%d DNS queries, want %d", q, tc.queries)
			}
			found := tc.diagMsg == ""
			for _, d := range ds {
				if tc.diagMsg != "" && strings.Contains(d.Msg, tc.diagMsg) && d.Severity == tc.diagSev {
					found = true
				} else if d.Severity != diag.Info {
					t.Errorf("unexpected diagnostic %v", d)
				}
			}
			if !found {
				t.Errorf("no %v diagnostic %q in %v", tc.diagSev, tc.diagMsg, ds)
			}
		})
	}
}

func shbBody() []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b[0:], 0x1A2B3C4D)
	binary.LittleEndian.PutUint16(b[4:], 1)
	binary.LittleEndian.PutUint64(b[8:], ^uint64(0)) // section length unknown
	return b
}

func idbBody(lt uint16, opts []byte) []byte {
	b := make([]byte, 8, 8+len(opts))
	binary.LittleEndian.PutUint16(b[0:], lt)
	binary.LittleEndian.PutUint32(b[4:], 65535)
	return append(b, opts...)
}

func epbBody(iface uint32, tsMicros uint64, data []byte) []byte {
	b := make([]byte, 20, 20+len(data)+3)
	binary.LittleEndian.PutUint32(b[0:], iface)
	binary.LittleEndian.PutUint32(b[4:], uint32(tsMicros>>32))
	binary.LittleEndian.PutUint32(b[8:], uint32(tsMicros))
	binary.LittleEndian.PutUint32(b[12:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[16:], uint32(len(data)))
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// ngBlock frames a little-endian pcapng block.
func ngBlock(typ uint32, body []byte) []byte {
	b := make([]byte, 8, 12+len(body))
	binary.LittleEndian.PutUint32(b[0:], typ)
	binary.LittleEndian.PutUint32(b[4:], uint32(12+len(body)))
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, uint32(12+len(body)))
}

// ngFloodPacket is an Ethernet frame of a DNS query.
func ngFloodPacket(t testing.TB) []byte {
	return onEth(t, macA, macB, udpDNS(t, podA, 40000, vip, 53, dnsQuery(1, "kubernetes.default.svc.cluster.local.", 1)))
}
