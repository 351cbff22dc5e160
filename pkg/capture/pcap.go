package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// pcapReader reads classic pcap files (libpcap's savefile format) and hands out
// each packet as a slice of its own read buffer: no copy and no allocation per
// packet, which is a quarter of the summariser's time with a copying reader.
// pcapng files are read by ngReader, on the same window.
type pcapReader struct {
	window
	order     // of the file
	nanos     bool
	maxCapLen int
	lt        layers.LinkType
}

// window is a read buffer that hands out slices of itself: bytes from start
// to end are read and not consumed yet.
type window struct {
	r          io.Reader
	buf        []byte
	start, end int
	eof        error // the error that ended the underlying reader
}

// bigBuffer is the size the read buffer grows to for files larger than it:
// far larger than the bufio buffer in front of it, so that reads into its
// free part bypass bufio's copy.
const bigBuffer = 1 << 20

// maxSnapLen is libpcap's MAXIMUM_SNAPLEN: records longer than the file's snap
// length and than this are corrupt.
const maxSnapLen = 262144

func newPcapReader(r io.Reader) (*pcapReader, error) {
	p := &pcapReader{window: window{r: r, buf: make([]byte, readBuffer)}}
	if err := p.fill(24); err != nil {
		return nil, err
	}
	h := p.buf[p.start : p.start+24]
	switch binary.LittleEndian.Uint32(h) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		p.nanos = true
	case 0xd4c3b2a1:
		p.big = true
	case 0x4d3cb2a1:
		p.big, p.nanos = true, true
	default:
		return nil, errors.New("unknown magic number")
	}
	if major := p.u16(h[4:6]); major != 2 {
		return nil, fmt.Errorf("unknown version %d.%d", major, p.u16(h[6:8]))
	}
	snap := int(p.u32(h[16:20]))
	p.maxCapLen = maxSnapLen
	if snap > maxSnapLen && snap <= 1<<26 {
		p.maxCapLen = snap
	}
	// The upper bits hold the FCS length and flags (pcap-savefile(5)).
	p.lt = layers.LinkType(p.u32(h[20:24]) & 0x0fffffff)
	p.start += 24
	return p, nil
}

// order reads integers in a capture file's byte order: pcap's from its
// magic, pcapng's per section.
type order struct{ big bool }

func (o order) u16(b []byte) uint16 {
	if o.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o order) u32(b []byte) uint32 {
	if o.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (o order) u64(b []byte) uint64 {
	if o.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// fill makes n bytes available from start, reading as much as the buffer
// holds. It returns io.EOF when no byte is left, io.ErrUnexpectedEOF when some
// but fewer than n are.
func (p *window) fill(n int) error {
	for p.end-p.start < n {
		if p.eof != nil {
			if p.end == p.start {
				if p.eof == io.EOF {
					return io.EOF
				}
				return p.eof
			}
			if p.eof == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return p.eof
		}
		if p.start > 0 {
			// The file is larger than the buffer: up to bigBuffer,
			// grow it rather than move its tail to the front, so that
			// small files cost a small buffer and large ones few reads.
			buf := p.buf
			if len(buf) < bigBuffer {
				buf = make([]byte, 2*len(buf))
			}
			p.end = copy(buf, p.buf[p.start:p.end])
			p.buf, p.start = buf, 0
		}
		if p.end == len(p.buf) {
			// A record longer than the buffer: grow it as its bytes
			// arrive, so that a length field of 64 MB in a file of a
			// few bytes costs no 64 MB.
			nb := make([]byte, min(2*len(p.buf), n))
			copy(nb, p.buf[:p.end])
			p.buf = nb
		}
		m, err := p.r.Read(p.buf[p.end:])
		p.end += m
		if err != nil {
			p.eof = err
		}
	}
	return nil
}

// discard consumes n bytes without keeping them: a block's tail costs no
// buffer however long its length field says it is.
func (p *window) discard(n int) error {
	for n > 0 {
		if p.end == p.start {
			if err := p.fill(1); err != nil {
				if err == io.EOF {
					return io.ErrUnexpectedEOF
				}
				return err
			}
		}
		k := min(n, p.end-p.start)
		p.start += k
		n -= k
	}
	return nil
}

func (p *pcapReader) next() ([]byte, record, layers.LinkType, error) {
	if err := p.fill(16); err != nil {
		return nil, record{}, p.lt, err
	}
	h := p.buf[p.start : p.start+16]
	sec, frac := int64(p.u32(h[0:4])), int64(p.u32(h[4:8]))
	capLen, wireLen := int(p.u32(h[8:12])), int(p.u32(h[12:16]))
	if capLen > p.maxCapLen || capLen < 0 {
		return nil, record{}, p.lt, fmt.Errorf("record length %d exceeds the snap length", capLen)
	}
	if err := p.fill(16 + capLen); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, record{}, p.lt, err
	}
	data := p.buf[p.start+16 : p.start+16+capLen]
	p.start += 16 + capLen
	if !p.nanos {
		frac *= 1000
	}
	if wireLen < capLen {
		wireLen = capLen // some writers leave it 0
	}
	return data, record{ns: sec*1e9 + frac, capLen: capLen, wireLen: wireLen}, p.lt, nil
}
