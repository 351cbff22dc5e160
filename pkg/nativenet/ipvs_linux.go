//go:build linux

package nativenet

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// IPVS renders the namespace's IPVS table as `ipvsadm -Ln`.
func IPVS(h *Handle) ([]byte, error) { return h.ipvs(false) }

// IPVSStats renders the namespace's IPVS table as `ipvsadm -Ln --stats`.
func IPVSStats(h *Handle) ([]byte, error) { return h.ipvs(true) }

func (h *Handle) ipvs(stats bool) ([]byte, error) {
	info, err := h.ipvsInfo()
	if err != nil {
		return nil, err
	}
	path := ""
	if h.ns.IsOpen() {
		path = fmt.Sprintf("/proc/self/fd/%d", int(h.ns))
	}
	ih, err := ipvs.New(path)
	if err != nil {
		return nil, fmt.Errorf("ipvs: %w", err)
	}
	defer ih.Close()
	svcs, err := ih.GetServices()
	if err != nil {
		return nil, fmt.Errorf("ipvs services: %w", err)
	}
	out := make([]IPVSService, 0, len(svcs))
	for _, s := range svcs {
		dests, err := ih.GetDestinations(s)
		if err != nil {
			return nil, fmt.Errorf("ipvs destinations of %s: %w", (&IPVSService{AF: s.AddressFamily, Protocol: s.Protocol, FWMark: s.FWMark}).name(), err)
		}
		out = append(out, FromMoby(s, dests))
	}
	return RenderIPVS(info, out, stats), nil
}

// FromMoby converts the moby/ipvs view of a service and its destinations. The
// library reads the 32-bit counter attributes, so Conns, InPkts and OutPkts
// wrap at 2^32 where ipvsadm (which reads the 64-bit ones) does not.
func FromMoby(s *ipvs.Service, dests []*ipvs.Destination) IPVSService {
	out := IPVSService{
		AF: s.AddressFamily, Protocol: s.Protocol, Port: s.Port, FWMark: s.FWMark,
		Sched: s.SchedName, Flags: s.Flags, Timeout: s.Timeout, Netmask: s.Netmask,
		PE: s.PEName, Stats: statsFromMoby(ipvs.DstStats(s.Stats)),
		Addr: ipFromMoby(s.Address, s.AddressFamily),
	}
	for _, d := range dests {
		af := d.AddressFamily
		if af == 0 {
			af = s.AddressFamily
		}
		out.Dests = append(out.Dests, IPVSDest{
			Addr: ipFromMoby(d.Address, af), Port: d.Port, ConnFlags: d.ConnectionFlags,
			Weight: d.Weight, Active: uint32(d.ActiveConnections), Inactive: uint32(d.InactiveConnections),
			Stats: statsFromMoby(d.Stats),
		})
	}
	return out
}

func ipFromMoby(ip []byte, af uint16) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		if af == afInet6 {
			return netip.IPv6Unspecified()
		}
		return netip.IPv4Unspecified()
	}
	if af == afInet {
		return a.Unmap()
	}
	return a
}

func statsFromMoby(s ipvs.DstStats) IPVSCounters {
	return IPVSCounters{
		Conns: uint64(s.Connections), InPkts: uint64(s.PacketsIn), OutPkts: uint64(s.PacketsOut),
		InBytes: s.BytesIn, OutBytes: s.BytesOut, CPS: uint64(s.CPS), InPPS: uint64(s.PPSIn),
		OutPPS: uint64(s.PPSOut), InBPS: uint64(s.BPSIn), OutBPS: uint64(s.BPSOut),
	}
}

// ipvsInfo asks the IPVS generic-netlink family for its version and table size
// (IPVS_CMD_GET_INFO), which moby/ipvs does not expose.
func (h *Handle) ipvsInfo() (IPVSInfo, error) {
	const cmdGetInfo, genlVersion = 15, 1
	const attrVersion, attrConnTabSize = 1, 2
	fam, err := netlink.GenlFamilyGet("IPVS")
	if err != nil {
		return IPVSInfo{}, fmt.Errorf("ipvs: generic netlink family IPVS: %w (is the ip_vs module loaded?)", err)
	}
	s, err := nl.GetNetlinkSocketAt(h.ns, netns.None(), unix.NETLINK_GENERIC)
	if err != nil {
		return IPVSInfo{}, fmt.Errorf("ipvs: %w", err)
	}
	defer s.Close()
	tv := unix.NsecToTimeval(int64(10e9))
	if err := s.SetReceiveTimeout(&tv); err != nil {
		return IPVSInfo{}, err
	}
	req := nl.NewNetlinkRequest(int(fam.ID), unix.NLM_F_ACK)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_GENERIC: {Socket: s}}
	req.AddData(&nl.Genlmsg{Command: cmdGetInfo, Version: genlVersion})
	msgs, err := req.Execute(unix.NETLINK_GENERIC, 0)
	if err != nil {
		return IPVSInfo{}, fmt.Errorf("ipvs info: %w", err)
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		a := attrTable(m[4:])
		v, ok1 := a.u32(attrVersion)
		sz, ok2 := a.u32(attrConnTabSize)
		if ok1 && ok2 {
			return IPVSInfo{Version: v, Size: sz}, nil
		}
	}
	return IPVSInfo{}, errors.New("ipvs info: no version in the kernel's answer")
}
