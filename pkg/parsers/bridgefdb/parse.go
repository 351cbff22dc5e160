// Package bridgefdb parses the forwarding database as iproute2's `bridge fdb show`
// prints it (also `bridge -s fdb show`). With VXLAN the FDB of the VXLAN device maps
// each peer's VTEP MAC to the peer node's underlay address ("dst"): for Calico
// VXLAN, an entry per remote node on vxlan.calico. A missing or stale entry there
// black-holes pod traffic to that node, DNS queries to its CoreDNS pods included.
package bridgefdb

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Result is one `bridge fdb show` listing.
type Result struct {
	Entries []FDBEntry
}

// FDBEntry is one forwarding entry.
type FDBEntry struct {
	Line int
	// MAC is the hardware address in lower case; 00:00:00:00:00:00 on a VXLAN
	// device is the default destination for flooded traffic.
	MAC string
	// Dev is empty when the listing was filtered by device (`bridge fdb show dev X`).
	Dev string
	// Dst is the remote VTEP address of a VXLAN entry; zero otherwise.
	Dst netip.Addr
	// Master is the bridge a port entry belongs to ("master br0").
	Master string
	VLAN   int
	VNI    uint32
	SrcVNI uint32
	Port   int // UDP destination port of a VXLAN entry, when not the device's
	// Via is the outgoing device of a VXLAN entry ("via eth0", or "ifindex 5" when
	// that device is in another namespace).
	Via string
	// Flags are the words as printed, in order: self, router, extern_learn,
	// offload, master (the flag form, without a bridge name), sticky, locked, ...
	// and the state: permanent, static, stale (dynamic entries print none), or
	// "state=0x.." for states iproute2 has no name for. "Deleted" (bridge monitor)
	// is kept here too.
	Flags []string
	// Attrs keeps other valued words: nhid, link-netnsid, proto (newer iproute2),
	// used (bridge -s).
	Attrs map[string]string
}

// HasFlag reports whether f is among the entry's flags.
func (e *FDBEntry) HasFlag(f string) bool {
	for _, x := range e.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// Permanent reports whether the entry is permanent (local, or added by hand or by
// an agent like Calico's Felix) rather than learned.
func (e *FDBEntry) Permanent() bool { return e.HasFlag("permanent") }

const zeroMAC = "00:00:00:00:00:00"

// VTEPs maps each remote VTEP MAC on dev (every device when dev is empty) to the
// underlay address its "dst" names: for vxlan.calico, peer VTEP MAC -> peer node
// address. The all-zero MAC (flooding default) is left out, and so are entries a
// monitor reported as deleted. When a MAC has several destinations the first is
// kept.
func (r *Result) VTEPs(dev string) map[string]netip.Addr {
	m := map[string]netip.Addr{}
	for i := range r.Entries {
		e := &r.Entries[i]
		if !e.Dst.IsValid() || e.MAC == zeroMAC || (dev != "" && e.Dev != dev) || e.HasFlag("Deleted") {
			continue
		}
		if _, ok := m[e.MAC]; !ok {
			m[e.MAC] = e.Dst
		}
	}
	return m
}

// Summary counts entries, devices, permanent entries and remote VTEPs:
// "7 entries on 3 devices (7 permanent), 1 remote VTEP".
func (r *Result) Summary() string {
	devs := map[string]bool{}
	vteps := map[string]bool{}
	perm := 0
	for i := range r.Entries {
		e := &r.Entries[i]
		devs[e.Dev] = true
		if e.Permanent() {
			perm++
		}
		if e.Dst.IsValid() && e.MAC != zeroMAC {
			vteps[e.Dev+"\x00"+e.MAC] = true
		}
	}
	s := plural(len(r.Entries), "entry", "entries")
	if len(r.Entries) > 0 {
		s += " on " + plural(len(devs), "device", "devices") + fmt.Sprintf(" (%d permanent)", perm)
	}
	return s + ", " + plural(len(vteps), "remote VTEP", "remote VTEPs")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// flagWords are the value-less words print_fdb can print; "master" is among them
// because NTF_MASTER prints it alone, while NDA_MASTER prints "master BRIDGE".
var flagWords = map[string]bool{
	"self": true, "router": true, "extern_learn": true, "offload": true,
	"master": true, "sticky": true, "locked": true, "blackhole": true,
	"permanent": true, "static": true, "stale": true, "dynamic": true,
	"activity_notify": true, "inactive": true, "norefresh": true,
}

// Parse reads `bridge [-s] fdb show` output. A line it cannot read is skipped with a
// warning; input with no entry at all yields one error. An empty input is an
// empty table, not a diagnostic.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	res := &Result{}
	var diags diag.List
	if d, bad := notText(data); bad {
		return res, []diag.Diagnostic{d}
	}
	var f [][]byte
	first, firstLine, bad := []byte(nil), 0, 0
	s := lines.New(data)
	for s.Next() {
		b := bytes.TrimLeft(s.Bytes(), " \t")
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if firstLine == 0 {
			first, firstLine = b, s.Num()
		}
		f = lines.Fields(f, b)
		e, msg := parseLine(f)
		if msg != "" {
			bad++
			diags.Warnf(s.Num(), "%s: %s", msg, quote(b))
			continue
		}
		e.Line = s.Num()
		res.Entries = append(res.Entries, e)
	}
	if len(res.Entries) == 0 && bad > 0 {
		return res, []diag.Diagnostic{{Severity: diag.Error, Line: firstLine,
			Msg: fmt.Sprintf("not bridge fdb output: no entry found (first line %s)", quote(first))}}
	}
	return res, diags
}

// parseLine reads "[Deleted] MAC [dev DEV] [vlan N] [src_vni N] [dst ADDR] [port N]
// [vni N] [nhid N] [via DEV|via ifindex N] [link-netnsid N] [used A/B] FLAGS...
// [master BR] [proto P] [STATE]". Word order changed between iproute2 versions, so it is
// not relied on.
func parseLine(f [][]byte) (e FDBEntry, msg string) {
	i := 0
	if string(f[0]) == "Deleted" {
		e.Flags = append(e.Flags, "Deleted")
		i++
	}
	if i >= len(f) {
		return e, "no MAC address"
	}
	if !isMAC(f[i]) {
		return e, "not an FDB entry (no MAC address first)"
	}
	e.MAC = strings.ToLower(string(f[i]))
	for i++; i < len(f); i++ {
		k := string(f[i])
		if k == "master" && (i+1 >= len(f) || flagWords[string(f[i+1])]) {
			e.Flags = append(e.Flags, k)
			continue
		}
		switch k {
		case "dev", "dst", "vlan", "port", "vni", "src_vni", "via", "nhid", "link-netnsid", "used", "proto", "master":
			if i+1 >= len(f) {
				return e, fmt.Sprintf("%q without a value", k)
			}
			i++
			v := string(f[i])
			switch k {
			case "dev":
				e.Dev = v
			case "master":
				e.Master = v
			case "dst":
				a, err := netip.ParseAddr(v)
				if err != nil {
					return e, fmt.Sprintf("dst %q is not an address", v)
				}
				e.Dst = a
			case "vlan", "port":
				n, err := strconv.ParseUint(v, 10, 16)
				if err != nil {
					return e, fmt.Sprintf("%s %q is not a number 0-65535", k, v)
				}
				if k == "vlan" {
					e.VLAN = int(n)
				} else {
					e.Port = int(n)
				}
			case "vni", "src_vni":
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return e, fmt.Sprintf("%s %q is not a number", k, v)
				}
				if k == "vni" {
					e.VNI = uint32(n)
				} else {
					e.SrcVNI = uint32(n)
				}
			case "via":
				if v == "ifindex" && i+1 < len(f) {
					i++
					v += " " + string(f[i])
				}
				e.Via = v
			default:
				if e.Attrs == nil {
					e.Attrs = map[string]string{}
				}
				e.Attrs[k] = v
			}
		default:
			e.Flags = append(e.Flags, k)
		}
	}
	return e, ""
}

// isMAC accepts colon-separated hex bytes: 6 for Ethernet, and the longer
// addresses of other link types.
func isMAC(b []byte) bool {
	if len(b) < 17 || len(b)%3 != 2 {
		return false
	}
	for i, c := range b {
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// notText recognises input that is not bridge fdb's text output at all.
func notText(data []byte) (diag.Diagnostic, bool) {
	head := bytes.TrimLeft(data, " \t\r\n")
	if len(head) > 0 && (head[0] == '[' || head[0] == '{') {
		return diag.Diagnostic{Severity: diag.Error,
			Msg: "JSON output (bridge -j) is not supported: collect the plain text of bridge fdb show"}, true
	}
	if len(head) > 512 {
		head = head[:512]
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			ctl++
		}
	}
	if ctl*10 > len(head) {
		return diag.Diagnostic{Severity: diag.Error, Msg: "binary data, not bridge fdb output"}, true
	}
	return diag.Diagnostic{}, false
}

func quote(b []byte) string {
	const max = 80
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
