package livecap

import (
	"encoding/json"
	"errors"
	"io"
	"time"
)

// Options configures one capture.
type Options struct {
	// Iface is the interface to capture on (as named in Netns).
	Iface string
	// Netns is the path of a network namespace file (/run/netns/NAME,
	// /proc/PID/ns/net) to capture in; empty for the caller's namespace.
	Netns string
	// Duration bounds the capture (required). It also ends when ctx is done.
	Duration time.Duration
	// MaxPackets and MaxBytes bound what is written (0: no bound); MaxBytes
	// counts the pcap file's bytes.
	MaxPackets int
	MaxBytes   int64
	// SnapLen is how much of each packet is kept (DefaultSnapLen when 0):
	// enough for outer and inner headers and a DNS message.
	SnapLen int
	// VXLANPorts are the VXLAN UDP ports to capture (4789 when empty).
	VXLANPorts []int
	// Out receives the pcap stream.
	Out io.Writer
	// OnStart, when set, is called once the filter is in place and packets are
	// being captured, so that the caller can start the traffic it wants seen.
	OnStart func()
}

// DefaultSnapLen keeps Ethernet + IPv4 + UDP + VXLAN + inner Ethernet + IPv4 +
// UDP (100 bytes) and a 512-byte DNS message.
const DefaultSnapLen = 640

// Stats describes a finished capture.
type Stats struct {
	Iface string
	// Packets and Bytes are what was written: packet records, and the pcap
	// file's size.
	Packets int64
	Bytes   int64
	// Dropped is the kernel's count of packets that matched the filter but
	// did not fit the socket's ring (PACKET_STATISTICS).
	Dropped int64
	// Seen is the kernel's count of packets that matched the filter.
	Seen       int64
	Start, End time.Time
	Filter     string
	// LinkType is "ethernet" (LINKTYPE_ETHERNET, 1) or "raw" (LINKTYPE_RAW,
	// 101: the packet starts with its IP header, as on tunl0).
	LinkType string
	SnapLen  int
	// StoppedBy says which bound ended the capture: "duration", "packets",
	// "bytes" or "cancelled".
	StoppedBy string
}

// Meta is pcap/IFNAME.json.
type Meta struct {
	Interface  string `json:"interface"`
	Filter     string `json:"filter"`
	LinkType   string `json:"linkType"`
	SnapLen    int    `json:"snapLen"`
	Start      string `json:"start"`
	End        string `json:"end"`
	DurationMs int64  `json:"durationMs"`
	Packets    int64  `json:"packets"`
	Bytes      int64  `json:"bytes"`
	Dropped    int64  `json:"dropped"`
	KernelSeen int64  `json:"kernelSeen"`
	StoppedBy  string `json:"stoppedBy"`
	Error      string `json:"error,omitempty"`
}

// MetaOf turns capture statistics (and the capture's error, if any) into
// pcap/IFNAME.json's content.
func MetaOf(s Stats, capErr error) Meta {
	m := Meta{
		Interface: s.Iface, Filter: s.Filter, LinkType: s.LinkType, SnapLen: s.SnapLen,
		Packets: s.Packets, Bytes: s.Bytes, Dropped: s.Dropped, KernelSeen: s.Seen,
		StoppedBy: s.StoppedBy,
	}
	if !s.Start.IsZero() {
		m.Start = s.Start.UTC().Format(time.RFC3339Nano)
		if !s.End.IsZero() {
			m.End = s.End.UTC().Format(time.RFC3339Nano)
			m.DurationMs = s.End.Sub(s.Start).Milliseconds()
		}
	}
	if capErr != nil {
		m.Error = capErr.Error()
	}
	return m
}

// WriteMeta writes pcap/IFNAME.json for a capture.
func WriteMeta(w io.Writer, s Stats, capErr error) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(MetaOf(s, capErr))
}

var errNoDuration = errors.New("livecap: capture needs a Duration")

// countingWriter counts the bytes written through it into *n.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}
