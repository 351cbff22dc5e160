package nativenet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// IPVSInfo is what IPVS_CMD_GET_INFO reports: the version (0x010201 for
// 1.2.1) and the connection hash table size.
type IPVSInfo struct {
	Version uint32
	Size    uint32
}

// IPVSService is one virtual service and its real servers, in ipvsadm's terms.
type IPVSService struct {
	// AF is 2 (IPv4) or 10 (IPv6).
	AF uint16
	// Protocol is 6 (TCP), 17 (UDP) or 132 (SCTP); unused for FWM services.
	Protocol uint16
	Addr     netip.Addr
	Port     uint16
	FWMark   uint32
	Sched    string
	// Flags are IP_VS_SVC_F_*: persistent 0x1, one-packet 0x4, scheduler flags
	// 0x8/0x10/0x20.
	Flags   uint32
	Timeout uint32
	// Netmask is the persistence mask: for IPv4 the mask's bytes in network
	// order read as a native integer (as the kernel sends it), for IPv6 a
	// prefix length.
	Netmask uint32
	PE      string
	Stats   IPVSCounters
	Dests   []IPVSDest
}

// IPVSDest is one real server.
type IPVSDest struct {
	Addr      netip.Addr
	Port      uint16
	ConnFlags uint32
	Weight    int
	Active    uint32
	Inactive  uint32
	Stats     IPVSCounters
}

// IPVSCounters are a service's or server's counters and rates.
type IPVSCounters struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
	CPS, InPPS, OutPPS, InBPS, OutBPS         uint64
}

const (
	ipvsSvcPersistent = 0x1
	ipvsSvcOnePacket  = 0x4
	ipvsSvcSched1     = 0x8
	ipvsSvcSched2     = 0x10
	ipvsSvcSched3     = 0x20
)

// sortIPVS orders services and their servers as ipvsadm does before listing
// (ipvs_cmp_services: mark, family, protocol, address, port; ipvs_cmp_dests:
// address, port). ipvsadm compares addresses by subtracting them as C ints,
// which misorders addresses more than 2^31 apart; plain numeric order is used
// here instead, so that the output does not depend on qsort's behaviour with an
// inconsistent comparison.
func sortIPVS(svcs []IPVSService) {
	sort.SliceStable(svcs, func(i, j int) bool {
		a, b := &svcs[i], &svcs[j]
		if a.FWMark != b.FWMark {
			return a.FWMark < b.FWMark
		}
		if a.AF != b.AF {
			return a.AF < b.AF
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c < 0
		}
		return a.Port < b.Port
	})
	for i := range svcs {
		d := svcs[i].Dests
		sort.SliceStable(d, func(i, j int) bool {
			if c := d[i].Addr.Compare(d[j].Addr); c != 0 {
				return c < 0
			}
			return d[i].Port < d[j].Port
		})
	}
}

func ipvsProto(p uint16) string {
	switch p {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 132:
		return "SCTP"
	}
	return "?"
}

func ipvsAddrPort(a netip.Addr, port uint16) string {
	if a.Is6() && !a.Is4In6() {
		return fmt.Sprintf("[%s]:%d", ntop(a), port)
	}
	return fmt.Sprintf("%s:%d", a.Unmap(), port)
}

func ipvsFwd(flags uint32) string {
	switch flags & 7 {
	case 0:
		return "Masq"
	case 1:
		return "Local"
	case 2:
		return "Tunnel"
	case 3:
		return "Route"
	}
	// fwd_name returns NULL, which glibc's printf shows as "(null)".
	return "(null)"
}

// largeNum is print_largenum without --exact: 9 columns, values of 10^8 and
// more rounded down to K, M, G or T.
func largeNum(n uint64) string {
	switch {
	case n < 100000000:
		return fmt.Sprintf("%9d", n)
	case n < 1000000000:
		return fmt.Sprintf("%8dK", n/1000)
	case n < 100000000000:
		return fmt.Sprintf("%8dM", n/1000000)
	case n < 100000000000000:
		return fmt.Sprintf("%8dG", n/1000000000)
	}
	return fmt.Sprintf("%8dT", n/1000000000000)
}

func (s *IPVSService) name() string {
	if s.FWMark != 0 {
		if s.AF == afInet6 {
			return fmt.Sprintf("FWM  %d IPv6", s.FWMark)
		}
		return fmt.Sprintf("FWM  %d", s.FWMark)
	}
	return ipvsProto(s.Protocol) + "  " + ipvsAddrPort(s.Addr, s.Port)
}

func (s *IPVSService) schedFlags() string {
	var f []string
	switch s.Sched {
	case "sh", "mh":
		if s.Flags&ipvsSvcSched1 != 0 {
			f = append(f, s.Sched+"-fallback")
		}
		if s.Flags&ipvsSvcSched2 != 0 {
			f = append(f, s.Sched+"-port")
		}
	default:
		if s.Flags&ipvsSvcSched1 != 0 {
			f = append(f, "flag-1")
		}
		if s.Flags&ipvsSvcSched2 != 0 {
			f = append(f, "flag-2")
		}
	}
	if s.Flags&ipvsSvcSched3 != 0 {
		f = append(f, "flag-3")
	}
	return strings.Join(f, ",")
}

// RenderIPVS renders a service table as `ipvsadm -Ln` (stats false) or
// `ipvsadm -Ln --stats` (ipvsadm 1.31's print_title and print_service_entry),
// trailing blanks of the padded columns included. Services and servers are
// sorted as ipvsadm sorts them (see sortIPVS); svcs is sorted in place.
func RenderIPVS(info IPVSInfo, svcs []IPVSService, stats bool) []byte {
	sortIPVS(svcs)
	var b bytes.Buffer
	fmt.Fprintf(&b, "IP Virtual Server version %d.%d.%d (size=%d)\n",
		(info.Version>>16)&0xFF, (info.Version>>8)&0xFF, info.Version&0xFF, int32(info.Size))
	if stats {
		fmt.Fprintf(&b, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes")
	} else {
		b.WriteString("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
	for i := range svcs {
		s := &svcs[i]
		if stats {
			fmt.Fprintf(&b, "%-33s", s.name())
			writeLargeNums(&b, &s.Stats)
		} else {
			fmt.Fprintf(&b, "%s %s", s.name(), s.Sched)
			if f := s.schedFlags(); f != "" {
				fmt.Fprintf(&b, " (%s)", f)
			}
			if s.Flags&ipvsSvcPersistent != 0 {
				fmt.Fprintf(&b, " persistent %d", s.Timeout)
				if s.AF == afInet6 {
					if s.Netmask != 128 {
						fmt.Fprintf(&b, " mask %d", int32(s.Netmask))
					}
				} else if s.Netmask != 0xFFFFFFFF {
					var m [4]byte
					binary.NativeEndian.PutUint32(m[:], s.Netmask)
					fmt.Fprintf(&b, " mask %s", netip.AddrFrom4(m))
				}
				if s.PE != "" {
					fmt.Fprintf(&b, " pe %s", s.PE)
				}
			}
			if s.Flags&ipvsSvcOnePacket != 0 {
				b.WriteString(" ops")
			}
		}
		b.WriteByte('\n')
		for j := range s.Dests {
			d := &s.Dests[j]
			name := ipvsAddrPort(d.Addr, d.Port)
			if stats {
				fmt.Fprintf(&b, "  -> %-28s", name)
				writeLargeNums(&b, &d.Stats)
				b.WriteByte('\n')
			} else {
				fmt.Fprintf(&b, "  -> %-28s %-7s %-6d %-10d %-10d\n",
					name, ipvsFwd(d.ConnFlags), d.Weight, d.Active, d.Inactive)
			}
		}
	}
	return b.Bytes()
}

func writeLargeNums(b *bytes.Buffer, s *IPVSCounters) {
	for _, n := range []uint64{s.Conns, s.InPkts, s.OutPkts, s.InBytes, s.OutBytes} {
		b.WriteString(largeNum(n))
	}
}
