package nativenet

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// names holds the number-to-name tables iproute2 reads from /etc/iproute2 (route
// protocols, tables, scopes, realms, device groups, DS fields) and /etc/protocols,
// so that a renderer prints "proto bird" or "table local" exactly where `ip` would
// on the same node, and the number where `ip` would too ("proto 80").
type names struct {
	protos, tables, scopes, realms, groups, dsfields, ipprotos map[uint32]string
}

// defaultNames are iproute2's built-in tables plus the entries Debian's and
// upstream's shipped files add, used when the node has no /etc/iproute2.
func defaultNames() *names {
	return &names{
		protos: map[uint32]string{
			0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static",
			8: "gated", 9: "ra", 10: "mrt", 11: "zebra", 12: "bird",
			13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp", 18: "keepalived",
			42: "babel", 99: "openr", 186: "bgp", 187: "isis", 188: "ospf",
			189: "rip", 192: "eigrp",
		},
		tables:   map[uint32]string{0: "unspec", 253: "default", 254: "main", 255: "local"},
		scopes:   map[uint32]string{0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"},
		realms:   map[uint32]string{0: "unknown"},
		groups:   map[uint32]string{0: "default"},
		dsfields: map[uint32]string{},
		ipprotos: map[uint32]string{
			0: "ip", 1: "icmp", 2: "igmp", 4: "ipencap", 6: "tcp", 17: "udp",
			41: "ipv6", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp",
			103: "pim", 112: "vrrp", 115: "l2tp", 132: "sctp", 136: "udplite",
		},
	}
}

// loadNames reads the iproute2 configuration under etc (normally "/etc") on top
// of the defaults, the way iproute2 6.x does: the file itself, then its ".d"
// directory's *.conf files in name order. Missing files are not an error.
func loadNames(etc string) *names {
	n := defaultNames()
	dir := filepath.Join(etc, "iproute2")
	usr := filepath.Join(filepath.Dir(etc), "usr", "share", "iproute2")
	for _, t := range []struct {
		file string
		m    map[uint32]string
		dotD bool
	}{
		{"rt_protos", n.protos, true},
		{"rt_tables", n.tables, true},
		{"rt_scopes", n.scopes, false},
		{"rt_realms", n.realms, false},
		{"group", n.groups, false},
		{"rt_dsfield", n.dsfields, false},
	} {
		// iproute2 6.5+ falls back to the distribution's copy under /usr/share
		// when /etc has none.
		if !readTable(filepath.Join(dir, t.file), t.m) {
			readTable(filepath.Join(usr, t.file), t.m)
		}
		if t.dotD {
			for _, d := range []string{filepath.Join(usr, t.file+".d"), filepath.Join(dir, t.file+".d")} {
				files, _ := filepath.Glob(filepath.Join(d, "*.conf"))
				sort.Strings(files)
				for _, f := range files {
					readTable(f, t.m)
				}
			}
		}
	}
	readProtocols(filepath.Join(etc, "protocols"), n.ipprotos)
	return n
}

// readTable reads "NUMBER NAME" lines (numbers may be hex, as rtnl_tab_initialize
// accepts); it reports whether the file could be opened.
func readTable(path string, m map[uint32]string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 2 || fs[1][0] == '#' {
			continue
		}
		id, err := strconv.ParseUint(fs[0], 0, 32)
		if err != nil {
			continue
		}
		m[uint32(id)] = fs[1]
	}
	return true
}

// readProtocols reads /etc/protocols ("udp 17 UDP"), which getprotobynumber, and so
// `ip rule`'s ipproto, uses.
func readProtocols(path string, m map[uint32]string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if id, err := strconv.ParseUint(fs[1], 10, 8); err == nil {
			m[uint32(id)] = fs[0]
		}
	}
}

func (n *names) lookup(m map[uint32]string, id uint32) string {
	if s, ok := m[id]; ok {
		return s
	}
	return strconv.FormatUint(uint64(id), 10)
}

func (n *names) proto(id uint8) string  { return n.lookup(n.protos, uint32(id)) }
func (n *names) table(id uint32) string { return n.lookup(n.tables, id) }
func (n *names) scope(id uint8) string  { return n.lookup(n.scopes, uint32(id)) }
func (n *names) realm(id uint32) string { return n.lookup(n.realms, id) }
func (n *names) group(id uint32) string { return n.lookup(n.groups, id) }
func (n *names) ipproto(id uint8) string {
	return n.lookup(n.ipprotos, uint32(id))
}

// dsfield is rtnl_dsfield_n2a: a name from rt_dsfield, else "0x%02x".
func (n *names) dsfield(id uint8) string {
	if s, ok := n.dsfields[uint32(id)]; ok {
		return s
	}
	return "0x" + hex2(id)
}

func hex2(b uint8) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// routeTypes are rtnl_rtntype_n2a's names (RTN_*).
var routeTypes = [...]string{"none", "unicast", "local", "broadcast", "anycast",
	"multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"}

func routeType(t uint8) string {
	if int(t) < len(routeTypes) {
		return routeTypes[t]
	}
	return strconv.Itoa(int(t))
}
