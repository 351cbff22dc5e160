package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// readBuffer is the buffer that detects the format, and the first size of a
// reader's window: large enough that reading costs one system call per few
// hundred packets.
const readBuffer = 64 << 10

// record is what a capture file says of one packet besides its bytes.
type record struct {
	ns      int64 // Unix nanoseconds
	capLen  int
	wireLen int
}

// source yields the records of a capture file with the link type of each (a
// pcapng file may mix interfaces of different link types). The data is valid
// until the next call.
type source interface {
	next() (data []byte, rec record, lt layers.LinkType, err error)
}

// errNotCapture marks input that is not a capture at all, as opposed to a
// capture whose header is cut short.
var errNotCapture = errors.New("not a capture")

// openSource detects the format by magic number: pcap (either byte order,
// micro- or nanosecond), pcapng, and either of them gzip'd (tcpdump -z gzip, or
// a collector compressing its captures).
func openSource(r io.Reader) (source, string, layers.LinkType, error) {
	br := bufio.NewReaderSize(r, readBuffer)
	format := ""
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", 0, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReaderSize(zr, readBuffer)
		format = ".gz"
	}
	magic, err := br.Peek(4)
	if len(magic) == 0 {
		if err == nil || err == io.EOF {
			return nil, "", 0, fmt.Errorf("%w: empty file", errNotCapture)
		}
		return nil, "", 0, err
	}
	if len(magic) < 4 {
		return nil, "", 0, fmt.Errorf("%w: %d bytes", errNotCapture, len(magic))
	}
	switch m := binary.LittleEndian.Uint32(magic); m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		p, err := newPcapReader(br)
		if err != nil {
			return nil, "", 0, headerErr("pcap", err)
		}
		return p, "pcap" + format, p.lt, nil
	case 0x0a0d0d0a:
		nr, err := newNgReader(br)
		if err != nil {
			return nil, "", 0, headerErr("pcapng", err)
		}
		// The link type is that of the first packet's interface.
		return nr, "pcapng" + format, 0xffff, nil
	case 0xa1b2cd34, 0x34cdb2a1:
		return nil, "", 0, fmt.Errorf("%w: modified (Kuznetzov) pcap format is not supported; convert it with editcap -F pcap", errNotCapture)
	default:
		return nil, "", 0, fmt.Errorf("%w: unknown magic number %08x (neither pcap nor pcapng)", errNotCapture, m)
	}
}

func headerErr(format string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%s file header cut short", format)
	}
	return fmt.Errorf("%s file header: %v", format, err)
}
