package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/gopacket/gopacket/layers"
)

// MaxInterfaces caps the interface descriptions kept per pcapng section. Real
// captures describe a handful: tcpdump writes one (`-i any` is one Linux
// cooked interface), dumpcap one per -i; a capture of every veth of a node
// running a few hundred pods describes a few hundred. Each costs 32 bytes
// here, so the cap costs at most 128 KiB, where gopacket's reader kept ~780 B
// per 20-byte block without a bound. Interfaces past the cap are counted, not
// kept, and their packets are counted in Summary.NotSummarised.
const MaxInterfaces = 4096

// Sentinel link types ngReader hands out for packets it cannot attribute.
const (
	ltOverCap layers.LinkType = 0xfffe // on an interface past MaxInterfaces
	ltNoIface layers.LinkType = 0xfffd // on an interface never described
)

// Block types of pcapng (draft-ietf-opsawg-pcapng).
const (
	ngSHB = 0x0A0D0D0A // section header
	ngIDB = 1          // interface description
	ngOPB = 2          // packet (obsolete)
	ngSPB = 3          // simple packet
	ngEPB = 6          // enhanced packet
)

// ngIface is what a packet needs of its interface.
type ngIface struct {
	lt        layers.LinkType
	maxCapLen int
	decimal   bool  // if_tsresol: 10^-res seconds, else 2^-res
	res       uint8 // default 6: microseconds
	offsetNs  int64 // if_tsoffset
}

// ngReader reads pcapng files block by block from a window, handing out each
// packet as a slice of the window as pcapReader does. Memory is bounded
// whatever the file says: packet data by the snap length, a block's options
// and unknown blocks are skipped without being buffered, and interfaces by
// MaxInterfaces per section.
type ngReader struct {
	window
	order  // of the current section
	ifaces []ngIface
	// described counts the interface descriptions of the current section,
	// kept or not: an interface ID at or past it names no interface.
	described int
	block     int   // 1-based number of the block being read
	skip      int   // bytes of the previous block still to consume, trailer included
	blockLen  int   // of the block whose tail skip holds, to check its trailer
	lastNs    int64 // of the previous timestamped packet, for simple packets

	// OverCap counts interface descriptions past MaxInterfaces;
	// OverCapFirst is the block number of the first.
	OverCap      int
	OverCapFirst int
}

func newNgReader(r io.Reader) (*ngReader, error) {
	p := &ngReader{window: window{r: r, buf: make([]byte, readBuffer)}}
	if err := p.fill(12); err != nil {
		return nil, err
	}
	if err := p.section(); err != nil {
		return nil, err
	}
	if err := p.finishBlock(); err != nil {
		return nil, err
	}
	return p, nil
}

// section reads a section header block at start (12 bytes available): its
// byte-order magic sets the byte order of the section, and the section's
// interfaces start anew.
func (p *ngReader) section() error {
	p.block++
	h := p.buf[p.start : p.start+12]
	switch binary.LittleEndian.Uint32(h[8:12]) {
	case 0x1A2B3C4D:
		p.big = false
	case 0x4D3C2B1A:
		p.big = true
	default:
		return fmt.Errorf("block %d: section header without a byte-order magic", p.block)
	}
	n, err := p.blockLength(h, 28)
	if err != nil {
		return err
	}
	if err := p.fill(16); err != nil {
		return noEOF(err)
	}
	if major := p.u16(p.buf[p.start+12:]); major != 1 {
		return fmt.Errorf("block %d: section version %d.%d not supported", p.block, major, p.u16(p.buf[p.start+14:]))
	}
	p.ifaces, p.described = p.ifaces[:0], 0
	p.start += 16
	p.skip, p.blockLen = n-16, n
	return nil
}

// blockLength reads and checks the total length of the block whose header
// is h: at least min, and a multiple of 4.
func (p *ngReader) blockLength(h []byte, min int) (int, error) {
	n := int64(p.u32(h[4:8]))
	if n < int64(min) || n%4 != 0 {
		return 0, fmt.Errorf("block %d: length %d invalid", p.block, n)
	}
	return int(n), nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// finishBlock consumes the rest of the previous block and checks that its
// trailing length repeats its leading one.
func (p *ngReader) finishBlock() error {
	if p.skip == 0 {
		return nil
	}
	if err := p.discard(p.skip - 4); err != nil {
		return err
	}
	if err := p.fill(4); err != nil {
		return noEOF(err)
	}
	if got := p.u32(p.buf[p.start:]); int(got) != p.blockLen {
		return fmt.Errorf("block %d: trailing length %d differs from the leading %d", p.block, got, p.blockLen)
	}
	p.start += 4
	p.skip = 0
	return nil
}

func (p *ngReader) next() ([]byte, record, layers.LinkType, error) {
	for {
		if err := p.finishBlock(); err != nil {
			return nil, record{}, 0, err
		}
		if err := p.fill(8); err != nil {
			if err == io.EOF {
				return nil, record{}, 0, io.EOF
			}
			return nil, record{}, 0, err
		}
		typ := p.u32(p.buf[p.start:])
		if typ == ngSHB {
			if err := p.fill(12); err != nil {
				return nil, record{}, 0, noEOF(err)
			}
			if err := p.section(); err != nil {
				return nil, record{}, 0, err
			}
			continue
		}
		p.block++
		switch typ {
		case ngIDB:
			if err := p.iface(); err != nil {
				return nil, record{}, 0, err
			}
		case ngEPB, ngOPB, ngSPB:
			return p.packet(typ)
		default:
			// Name resolution, statistics, decryption secrets,
			// custom blocks: nothing the summary reads.
			n, err := p.blockLength(p.buf[p.start:p.start+8], 12)
			if err != nil {
				return nil, record{}, 0, err
			}
			p.start += 8
			p.skip, p.blockLen = n-8, n
		}
	}
}

// iface reads an interface description block: its link type, snap length and
// the two options that change how its timestamps read (if_tsresol,
// if_tsoffset); the other options are skipped without being buffered.
func (p *ngReader) iface() error {
	n, err := p.blockLength(p.buf[p.start:p.start+8], 20)
	if err != nil {
		return err
	}
	if err := p.fill(16); err != nil {
		return noEOF(err)
	}
	h := p.buf[p.start : p.start+16]
	ifc := ngIface{lt: layers.LinkType(p.u16(h[8:10])), res: 6, decimal: true, maxCapLen: maxSnapLen}
	if snap := int(p.u32(h[12:16])); snap > maxSnapLen && snap <= 1<<26 {
		ifc.maxCapLen = snap
	}
	p.start += 16
	rest := n - 20 // options
	p.described++
	keep := len(p.ifaces) < MaxInterfaces
	if !keep {
		if p.OverCap == 0 {
			p.OverCapFirst = p.block
		}
		p.OverCap++
	}
	for keep && rest >= 4 {
		if err := p.fill(4); err != nil {
			return noEOF(err)
		}
		code, l := p.u16(p.buf[p.start:]), int(p.u16(p.buf[p.start+2:]))
		padded := (l + 3) &^ 3
		if code == 0 || 4+padded > rest {
			break // opt_endofopt, or an option past the block: the rest is skipped
		}
		p.start += 4
		rest -= 4
		if (code == 9 && l == 1) || (code == 14 && l == 8) {
			if err := p.fill(l); err != nil {
				return noEOF(err)
			}
			v := p.buf[p.start : p.start+l]
			if code == 9 {
				ifc.decimal, ifc.res = v[0]&0x80 == 0, v[0]&0x7f
			} else {
				// Seconds, signed, in the section's byte order.
				ifc.offsetNs = int64(p.u64(v)) * 1e9
			}
		}
		if err := p.discard(padded); err != nil {
			return err
		}
		rest -= padded
	}
	if keep {
		p.ifaces = append(p.ifaces, ifc)
	}
	p.skip, p.blockLen = rest+4, n
	return nil
}

// ns converts a timestamp in the interface's units to Unix nanoseconds.
func (ifc *ngIface) ns(ts uint64) int64 {
	var ns uint64
	switch {
	case ifc.decimal && ifc.res <= 9:
		ns = ts * pow10[9-ifc.res]
	case ifc.decimal && ifc.res-9 < uint8(len(pow10)):
		ns = ts / pow10[ifc.res-9]
	case ifc.decimal:
		ns = 0
	default:
		hi, lo := bits.Mul64(ts, 1e9)
		switch r := uint(ifc.res); {
		case r == 0:
			ns = lo
		case r < 64:
			ns = lo>>r | hi<<(64-r)
		default:
			ns = hi >> (r - 64)
		}
	}
	return int64(ns) + ifc.offsetNs
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// packet reads an enhanced, obsolete or simple packet block (8 bytes
// available at start). The data is valid until the next call.
func (p *ngReader) packet(typ uint32) ([]byte, record, layers.LinkType, error) {
	hdr := 28 // type, length, interface, timestamp, captured and original length
	if typ == ngSPB {
		hdr = 12 // type, length, original length
	}
	n, err := p.blockLength(p.buf[p.start:p.start+8], hdr+4)
	if err != nil {
		return nil, record{}, 0, err
	}
	if err := p.fill(hdr); err != nil {
		return nil, record{}, 0, noEOF(err)
	}
	h := p.buf[p.start : p.start+hdr]
	var id int
	var capLen, wireLen int
	var ts uint64
	if typ == ngSPB {
		wireLen = int(p.u32(h[8:12]))
		capLen = min(wireLen, n-16) // the data is padded to 4 bytes
		if len(p.ifaces) > 0 {
			capLen = min(capLen, p.ifaces[0].maxCapLen)
		}
	} else {
		if typ == ngOPB {
			id = int(p.u16(h[8:10]))
		} else {
			id = int(p.u32(h[8:12]))
		}
		ts = uint64(p.u32(h[12:16]))<<32 | uint64(p.u32(h[16:20]))
		capLen, wireLen = int(p.u32(h[20:24])), int(p.u32(h[24:28]))
	}
	if capLen < 0 || capLen > n-hdr-4 {
		return nil, record{}, 0, fmt.Errorf("block %d: captured length %d past the block's end", p.block, capLen)
	}
	var ifc *ngIface
	lt := ltNoIface
	switch {
	case id < len(p.ifaces):
		ifc = &p.ifaces[id]
		lt = ifc.lt
		if capLen > ifc.maxCapLen {
			return nil, record{}, 0, fmt.Errorf("block %d: captured length %d exceeds the snap length", p.block, capLen)
		}
	case id < p.described:
		lt = ltOverCap
	}
	if ifc == nil && capLen > maxSnapLen {
		// Nothing is read of it: skip its data rather than buffer it.
		capLen = 0
	}
	if err := p.fill(hdr + capLen); err != nil {
		return nil, record{}, 0, noEOF(err)
	}
	data := p.buf[p.start+hdr : p.start+hdr+capLen]
	p.start += hdr + capLen
	p.skip, p.blockLen = n-hdr-capLen, n
	if wireLen < capLen {
		wireLen = capLen
	}
	ns := p.lastNs
	switch {
	case typ == ngSPB:
		// A simple packet has no timestamp: it takes the previous
		// packet's, which keeps the capture's time span honest.
	case ifc != nil:
		ns = ifc.ns(ts)
		p.lastNs = ns
	}
	return data, record{ns: ns, capLen: capLen, wireLen: wireLen}, lt, nil
}
