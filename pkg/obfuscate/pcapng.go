package obfuscate

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// What a rewritten pcapng keeps. Packets are rewritten as in a classic pcap;
// around them, a block or option is kept only when it can hold no address,
// host name or free text of the node, since those would leave the node
// unmapped:
//
//   - Section headers keep their version and byte order; their options
//     (hardware, OS, application, comments) are dropped and the section
//     length is set to "unknown", since blocks change size.
//   - Interface descriptions keep link type and snap length, and of their
//     options the addresses (if_IPv4addr, if_IPv6addr: rewritten with the
//     mapping), the MAC and EUI addresses (packets keep theirs too), speeds,
//     time resolution, offset and zone, and FCS length. Dropped: if_name and
//     if_description (interface and host names), if_filter (a filter names
//     addresses), if_os, if_hardware, comments and custom options.
//   - Enhanced packets keep their flags, drop count, packet ID and queue;
//     their hash (of the original bytes, which it would give away) and
//     verdict are dropped with comments and custom options. Simple packets
//     have no options; obsolete packets lose theirs.
//   - Interface statistics keep their counters and times, not comments.
//   - Name resolution blocks (addresses with host names), decryption
//     secrets, systemd journal entries, custom blocks and block types this
//     package does not know are dropped whole.
var (
	ngIDBKeep = optSet(4, 5, 6, 7, 8, 9, 10, 13, 14, 16, 17, 18)
	ngEPBKeep = optSet(2, 4, 5, 6)
	ngISBKeep = optSet(2, 3, 4, 5, 6, 7, 8)
	ngNone    = optSet()
)

func optSet(codes ...uint16) map[uint16]bool {
	m := map[uint16]bool{}
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// maxNgInterfaces bounds the interfaces of a section the rewriter keeps the
// link type of (2 bytes each). A capture with more is refused, not written
// with packets it could not rewrite.
const maxNgInterfaces = 1 << 16

// maxNgBlock bounds a block: a packet of the largest snap length pcap allows
// (64 MiB) with room for options.
const maxNgBlock = 1<<26 + 1<<16

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// ngRewriter streams a pcapng file block by block.
type ngRewriter struct {
	o      *Obfuscator
	rw     *packetRewriter
	r      io.Reader
	w      io.Writer
	bo     byteOrder
	ifaces []layers.LinkType
	block  int
	in     bytes.Buffer // the block being read
	out    []byte       // the block being written
}

// pcapng rewrites a pcapng file. A file cut short inside a block keeps the
// blocks before (each block is written whole, so the output parses); a
// corrupt block ends it with an error, so that nothing unrewritten is
// written.
func (o *Obfuscator) pcapng(dst io.Writer, src *bufio.Reader, rw *packetRewriter) (packets int, err error) {
	g := &ngRewriter{o: o, rw: rw, r: src, w: dst}
	for {
		var hdr [12]byte
		if _, err := io.ReadFull(g.r, hdr[:8]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return packets, g.endErr()
			}
			return packets, fmt.Errorf("obfuscate capture: %w", err)
		}
		g.block++
		typ := binary.LittleEndian.Uint32(hdr[:4]) // the section header's type reads alike in both orders
		if typ == 0x0A0D0D0A {
			if _, err := io.ReadFull(g.r, hdr[8:12]); err != nil {
				return packets, g.endErr()
			}
			switch binary.LittleEndian.Uint32(hdr[8:12]) {
			case 0x1A2B3C4D:
				g.bo = binary.LittleEndian
			case 0x4D3C2B1A:
				g.bo = binary.BigEndian
			default:
				return packets, g.errf("section header without a byte-order magic")
			}
		} else if g.bo == nil {
			return packets, errors.New("obfuscate capture: not a pcapng file (no section header first)")
		} else {
			typ = g.bo.Uint32(hdr[:4])
		}
		n := int64(g.bo.Uint32(hdr[4:8]))
		if n < 12 || n%4 != 0 || n > maxNgBlock {
			return packets, g.errf("length %d invalid", n)
		}
		// Read what arrives, not what the length says: a length of
		// 64 MiB in a file of a few bytes costs no 64 MiB.
		g.in.Reset()
		head := 8
		if typ == 0x0A0D0D0A {
			head = 12
		}
		g.in.Write(hdr[:head])
		if m, err := io.CopyN(&g.in, g.r, n-int64(head)); err != nil {
			if err == io.EOF && m < n-int64(head) {
				return packets, g.endErr()
			}
			return packets, fmt.Errorf("obfuscate capture: %w", err)
		}
		b := g.in.Bytes()
		if t := g.bo.Uint32(b[n-4:]); int64(t) != n {
			return packets, g.errf("trailing length %d differs from the leading %d", t, n)
		}
		body := b[8 : n-4]
		switch typ {
		case 0x0A0D0D0A:
			err = g.section(body)
		case 1:
			err = g.iface(body)
		case 6:
			err = g.packet(body, 4, ngEPBKeep)
			packets++
		case 2:
			err = g.packet(body, 2, ngNone)
			packets++
		case 3:
			err = g.simple(body)
			packets++
		case 5:
			err = g.withOptions(5, body, 12, ngISBKeep)
		default:
			continue // dropped whole
		}
		if err != nil {
			return packets, err
		}
	}
}

// endErr is what the end of the file returns, at a block boundary or inside
// a block (a capture window that ended mid-write): nil, the blocks before
// being written whole; an error when not even the section header was whole.
func (g *ngRewriter) endErr() error {
	if g.bo == nil || g.block == 1 && g.out == nil {
		return fmt.Errorf("obfuscate capture: pcapng file header cut short")
	}
	return nil
}

func (g *ngRewriter) errf(format string, args ...any) error {
	return fmt.Errorf("obfuscate capture: pcapng block %d: %s", g.block, fmt.Sprintf(format, args...))
}

// emit writes a block of type typ whose body is fixed followed by the kept
// options of opts.
func (g *ngRewriter) emit(typ uint32, fixed, opts []byte, keep map[uint16]bool, rewrite func(code uint16, v []byte)) error {
	o := g.out[:0]
	o = g.bo.AppendUint32(o, typ)
	o = g.bo.AppendUint32(o, 0) // length, below
	o = append(o, fixed...)
	kept := false
	for len(opts) >= 4 {
		code, l := g.bo.Uint16(opts[0:2]), int(g.bo.Uint16(opts[2:4]))
		padded := (l + 3) &^ 3
		if code == 0 || 4+padded > len(opts) {
			break // opt_endofopt, or options past the block: the rest is dropped
		}
		if keep[code] {
			start := len(o)
			o = append(o, opts[:4+padded]...)
			if rewrite != nil {
				rewrite(code, o[start+4:start+4+l])
			}
			kept = true
		}
		opts = opts[4+padded:]
	}
	if kept {
		o = append(o, 0, 0, 0, 0) // opt_endofopt
	}
	n := len(o) + 4
	g.bo.PutUint32(o[4:8], uint32(n))
	o = g.bo.AppendUint32(o, uint32(n))
	g.out = o
	if _, err := g.w.Write(o); err != nil {
		return fmt.Errorf("obfuscate capture: %w", err)
	}
	return nil
}

func (g *ngRewriter) section(body []byte) error {
	if len(body) < 16 {
		return g.errf("section header too short")
	}
	if major := g.bo.Uint16(body[4:6]); major != 1 {
		return g.errf("section version %d not supported", major)
	}
	g.ifaces = g.ifaces[:0]
	fixed := make([]byte, 16)
	copy(fixed, body[:8])
	g.bo.PutUint64(fixed[8:], ^uint64(0)) // section length unknown: blocks change size
	return g.emit(0x0A0D0D0A, fixed, nil, ngNone, nil)
}

func (g *ngRewriter) iface(body []byte) error {
	if len(body) < 8 {
		return g.errf("interface description too short")
	}
	if len(g.ifaces) >= maxNgInterfaces {
		return g.errf("more than %d interfaces in a section", maxNgInterfaces)
	}
	g.ifaces = append(g.ifaces, layers.LinkType(g.bo.Uint16(body[0:2])))
	return g.emit(1, body[:8], body[8:], ngIDBKeep, func(code uint16, v []byte) {
		switch {
		case code == 4 && len(v) == 8: // address and netmask
			g.rw.replace(v[:4], nil)
		case code == 5 && len(v) == 17: // address and prefix length
			g.rw.replace(v[:16], nil)
		}
	})
}

// packet rewrites an enhanced (idLen 4) or obsolete (idLen 2) packet block:
// interface ID at 0, captured length at 12, data after fixed bytes.
func (g *ngRewriter) packet(body []byte, idLen int, keep map[uint16]bool) error {
	const fixed = 20 // interface, timestamp, captured and original length
	if len(body) < fixed {
		return g.errf("packet block too short")
	}
	var id int
	if idLen == 4 {
		id = int(g.bo.Uint32(body[0:4]))
	} else {
		id = int(g.bo.Uint16(body[0:2]))
	}
	capLen := int(g.bo.Uint32(body[12:16]))
	padded := (capLen + 3) &^ 3
	if capLen < 0 || fixed+padded > len(body) {
		return g.errf("captured length %d past the block's end", capLen)
	}
	if id >= len(g.ifaces) {
		return g.errf("packet on interface %d, which its section does not describe", id)
	}
	data := body[fixed : fixed+capLen]
	if err := g.rewrite(data, g.ifaces[id]); err != nil {
		return err
	}
	typ := uint32(6)
	if idLen == 2 {
		typ = 2
	}
	return g.emit(typ, body[:fixed+padded], body[fixed+padded:], keep, nil)
}

// simple rewrites a simple packet block: interface 0, original length, data
// up to the block's end.
func (g *ngRewriter) simple(body []byte) error {
	if len(body) < 4 {
		return g.errf("simple packet block too short")
	}
	if len(g.ifaces) == 0 {
		return g.errf("simple packet before any interface description")
	}
	data := body[4:]
	if orig := int(g.bo.Uint32(body[0:4])); orig < len(data) {
		data = data[:orig] // the rest is padding
	}
	if err := g.rewrite(data, g.ifaces[0]); err != nil {
		return err
	}
	return g.emit(3, body, nil, ngNone, nil)
}

func (g *ngRewriter) withOptions(typ uint32, body []byte, fixed int, keep map[uint16]bool) error {
	if len(body) < fixed {
		return g.errf("block too short")
	}
	return g.emit(typ, body[:fixed], body[fixed:], keep, nil)
}

func (g *ngRewriter) rewrite(data []byte, lt layers.LinkType) error {
	if !g.rw.link(data, lt) {
		return g.errf("link type %d not rewritten", int(lt))
	}
	return nil
}
