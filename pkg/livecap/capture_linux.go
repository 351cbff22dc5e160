//go:build linux

package livecap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/bpf"
)

// Ring geometry: 8 blocks of 1 MiB hold a few thousand snapped packets, enough
// to ride out a burst while the writer catches up, at 8 MiB of memory.
const (
	frameSize  = 2048
	blockSize  = 1 << 20
	numBlocks  = 8
	pollPeriod = 100 * time.Millisecond
)

// Capture captures on o.Iface until o.Duration has passed, ctx is done, or a
// packet or byte bound is reached, writing pcap to o.Out. Ethernet-like
// devices are captured with their link header (LINKTYPE_ETHERNET); devices
// without one (tunl0, wireguard) from the IP header (LINKTYPE_RAW, 101). The
// returned Stats are valid even with an error once the capture has started.
func Capture(ctx context.Context, o Options) (Stats, error) {
	st := Stats{Iface: o.Iface, SnapLen: o.SnapLen}
	if st.SnapLen <= 0 {
		st.SnapLen = DefaultSnapLen
	}
	if st.SnapLen > 65535 {
		st.SnapLen = 65535
	}
	if o.Duration <= 0 {
		return st, errNoDuration
	}
	if o.Out == nil {
		return st, errors.New("livecap: no output")
	}
	var tp *afpacket.TPacket
	var l2 bool
	err := inNetns(o.Netns, func() error {
		link, err := netlink.LinkByName(o.Iface)
		if err != nil {
			return fmt.Errorf("interface %s: %w", o.Iface, err)
		}
		switch link.Attrs().EncapType {
		case "ether", "loopback":
			l2 = true
		}
		sock := afpacket.SocketDgram
		if l2 {
			sock = afpacket.SocketRaw
		}
		tp, err = afpacket.NewTPacket(afpacket.OptInterface(o.Iface), sock,
			afpacket.OptFrameSize(frameSize), afpacket.OptBlockSize(blockSize),
			afpacket.OptNumBlocks(numBlocks), afpacket.OptPollTimeout(pollPeriod),
			afpacket.OptBlockTimeout(20*time.Millisecond), afpacket.TPacketVersion3)
		if err != nil {
			return fmt.Errorf("AF_PACKET socket on %s: %w", o.Iface, err)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	defer tp.Close()
	filter, err := NewFilter(l2, st.SnapLen, o.VXLANPorts)
	if err != nil {
		return st, err
	}
	st.Filter = filter.Expr
	raw, err := bpf.Assemble(filter.Program)
	if err != nil {
		return st, err
	}
	if err := tp.SetBPF(raw); err != nil {
		return st, fmt.Errorf("attach BPF filter: %w", err)
	}
	// The socket was bound before the filter was attached: what it queued in
	// between is filtered again here, with the same program.
	vm, err := bpf.NewVM(filter.Program)
	if err != nil {
		return st, err
	}
	lt := layers.LinkTypeEthernet
	st.LinkType = "ethernet"
	if !l2 {
		lt = layers.LinkTypeRaw
		st.LinkType = "raw"
	}
	w := pcapgo.NewWriter(countingWriter{o.Out, &st.Bytes})
	if err := w.WriteFileHeader(uint32(st.SnapLen), lt); err != nil {
		return st, err
	}
	st.Start = time.Now()
	deadline := st.Start.Add(o.Duration)
	if o.OnStart != nil {
		o.OnStart()
	}
	for {
		if err := ctx.Err(); err != nil {
			st.StoppedBy = "cancelled"
			break
		}
		if !time.Now().Before(deadline) {
			st.StoppedBy = "duration"
			break
		}
		if o.MaxPackets > 0 && st.Packets >= int64(o.MaxPackets) {
			st.StoppedBy = "packets"
			break
		}
		if o.MaxBytes > 0 && st.Bytes >= o.MaxBytes {
			st.StoppedBy = "bytes"
			break
		}
		data, ci, err := tp.ZeroCopyReadPacketData()
		if errors.Is(err, afpacket.ErrTimeout) {
			continue
		}
		if errors.Is(err, afpacket.ErrPoll) {
			// POLLERR (the device went down, say): the deadline still bounds
			// the capture, so wait and try again rather than give up.
			time.Sleep(pollPeriod / 10)
			continue
		}
		if err != nil {
			st.End = time.Now()
			st.StoppedBy = "error"
			fillDrops(tp, &st)
			return st, fmt.Errorf("read %s: %w", o.Iface, err)
		}
		if n, err := vm.Run(data); err != nil || n == 0 {
			continue
		}
		if len(data) > st.SnapLen {
			data = data[:st.SnapLen]
		}
		ci.CaptureLength = len(data)
		if ci.Length < len(data) {
			ci.Length = len(data)
		}
		// Interface indexes and VLAN data are not part of a pcap record.
		ci.AncillaryData = nil
		if err := w.WritePacket(ci, data); err != nil {
			st.End = time.Now()
			st.StoppedBy = "error"
			fillDrops(tp, &st)
			return st, fmt.Errorf("write pcap: %w", err)
		}
		st.Packets++
	}
	st.End = time.Now()
	fillDrops(tp, &st)
	return st, nil
}

func fillDrops(tp *afpacket.TPacket, st *Stats) {
	_, v3, err := tp.SocketStats()
	if err != nil {
		return
	}
	st.Dropped = int64(v3.Drops())
	st.Seen = int64(v3.Packets())
}
