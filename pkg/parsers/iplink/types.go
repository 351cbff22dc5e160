package iplink

import (
	"fmt"
	"net/netip"
	"strings"
)

// Result is one `ip link` or `ip addr` listing.
type Result struct {
	Links []Link
}

// Link is one interface: its header line ("2: eth0@if32: <...> mtu 1500 ..."), the
// link/TYPE line, the -d details and, from `ip addr`, its addresses.
type Link struct {
	// Line is the header line; for `ip -o addr` (no header) the first address line.
	Line  int
	Index int
	Name  string
	// Parent is what iproute2 prints after '@': the lower device's name
	// ("vlan100@eth0"), "ifN" when that device is in another namespace (a veth peer,
	// "eth0@if32"), or "NONE" for a tunnel with no lower device ("tunl0@NONE").
	Parent string
	// Netns is the namespace named by a "netns: NAME" line of
	// `ip -all netns exec ip link`; empty for the namespace the command ran in.
	Netns string
	// Flags are the words between < and >, as printed (UP, LOWER_UP, NOARP,
	// NO-CARRIER, M-DOWN, ...).
	Flags []string
	MTU   int
	Qdisc string
	// Master is the bridge, bond or VRF this link is enslaved to.
	Master string
	// State is the operational state: UP, DOWN, UNKNOWN, LOWERLAYERDOWN, DORMANT, ...
	// (empty in old iproute2 versions that did not print it).
	State string
	Mode  string // link mode (DEFAULT, DORMANT), `ip link` only
	Group string
	Qlen  int
	// Attrs keeps the other header words, keyed by word (portid, switchid, words of
	// newer iproute2 versions; value-less words map to ""); an attached XDP program
	// is kept as "xdp" -> "xdpgeneric/id:42".
	Attrs map[string]string

	// LinkType is the TYPE of the "link/TYPE" line: ether, loopback, ipip, none,
	// tunnel6, sit, gre, void, ... ("[65534]" for types iproute2 has no name for).
	LinkType string
	// LinkAddr and LinkBrd are the two addresses of that line as printed: a MAC and
	// its broadcast for ether; for ipip the tunnel's local address and its "brd" or
	// "peer" (remote) address, 0.0.0.0 meaning any.
	LinkAddr string
	LinkBrd  string
	// LinkPeer is set instead of LinkBrd when the link is point-to-point ("peer").
	LinkPeer string
	// MAC is LinkAddr in lower case when it is a 6-byte hardware address.
	MAC      string
	PermAddr string
	// LinkNetns is where the other end of a veth or tunnel lives: the name of
	// "link-netns NAME" or the number of "link-netnsid N".
	LinkNetns string

	// Details holds the generic `-d` key/values (promiscuity, allmulti, minmtu,
	// maxmtu, addrgenmode, numtxqueues, gso_max_size, parentbus, ...).
	Details map[string]string
	// Kind is the device kind of the `-d` kind line (vxlan, ipip, veth, bridge, bond,
	// dummy, vlan, tun, wireguard, ...). Empty without -d, and for devices with no
	// kind (physical NICs, lo); then see LinkType, IsIPIP.
	Kind string
	// KindArgs are the words after the kind up to the generic details, as printed.
	KindArgs []string
	KindLine int
	// SlaveKind is the port kind line of an enslaved link (bridge_slave, bond_slave).
	SlaveKind string
	SlaveArgs []string
	// VXLAN is set for Kind vxlan, IPIP for Kind ipip (with -d only).
	VXLAN *VXLANInfo
	IPIP  *TunnelInfo

	AltNames []string
	Alias    string
	Addrs    []Addr
	// Other keeps indented lines this parser does not interpret (vf lines, xdp
	// program lines, ...), verbatim without their indent.
	Other []string
}

// VXLANInfo is what `ip -d link` prints on a vxlan kind line.
type VXLANInfo struct {
	ID uint32
	// Local is the source address of encapsulated packets; Remote the single peer
	// of a point-to-point VXLAN; Group a multicast group. Zero when not printed
	// (Calico prints local only: peers come from the FDB).
	Local, Remote, Group netip.Addr
	Dev                  string
	// DstPort is the UDP port. 0 means iproute2 did not print one (versions before
	// 3.x); the kernel then used its built-in default, 8472 on old kernels.
	DstPort int
	// SrcPortMin and SrcPortMax give the source port range; 0 0 means the kernel's
	// own range.
	SrcPortMin, SrcPortMax int
	// Learning is true unless "nolearning" is printed (the kernel default is on).
	Learning bool
	// UDPCsum is true when "udpcsum" is printed; false for "noudpcsum" or when
	// the version does not print it.
	UDPCsum bool
	TTL     string // "auto", "inherit" or a number; empty when not printed
	Ageing  int    // seconds; 0 for "ageing none" or when not printed
	// External is the collect-metadata mode ("external").
	External bool
	// Flags keeps the other words (proxy, l2miss, gbp, noudp6zerocsumtx, ...), and
	// valued options as "tos inherit", "df set", "maxaddr 10".
	Flags []string
}

// TunnelInfo is what `ip -d link` prints on an ipip kind line.
type TunnelInfo struct {
	// Proto is the inner protocol word some versions print first: "any", "ipip",
	// "mplsip"; empty when absent.
	Proto string
	// Local and Remote are the tunnel endpoints; the zero Addr means "any", which
	// is what Calico's tunl0 has.
	Local, Remote netip.Addr
	Dev           string
	TTL           string // "inherit" or a number
	// PMTUDisc is false when "nopmtudisc" is printed (Calico's tunl0), true
	// otherwise (the kernel default).
	PMTUDisc bool
	External bool
	Flags    []string
}

// Addr is one address line of `ip addr`.
type Addr struct {
	Line   int
	Family string // "inet" or "inet6" (or another family word as printed)
	// Prefix is the local address with the prefix length as printed
	// ("10.0.0.1/24": Prefix.Addr() is the address, Prefix.Masked() the subnet).
	// With a peer, iproute2 prints the length on the peer; Prefix then carries
	// that same length.
	Prefix    netip.Prefix
	Peer      netip.Prefix
	Broadcast netip.Addr
	Anycast   netip.Addr
	Scope     string // global, link, host, site, nowhere or a number
	// Label is the IPv4 address label ("eth0", "eth0:1").
	Label string
	// Flags are the address flags as printed: secondary, dynamic, noprefixroute,
	// tentative, deprecated, dadfailed, temporary, mngtmpaddr, ...
	Flags  []string
	Metric int
	Proto  string
	// ValidLft and PreferredLft are "forever" or "NNNsec" from the lifetime line.
	ValidLft     string
	PreferredLft string
}

// Up reports whether the administrative UP flag is set (false also when the flags
// are unknown, as for links seen only in `ip -o addr`).
func (l *Link) Up() bool { return l.HasFlag("UP") }

// LowerUp reports whether the link has carrier (LOWER_UP); an UP link without it
// shows NO-CARRIER.
func (l *Link) LowerUp() bool { return l.HasFlag("LOWER_UP") }

// HasFlag reports whether flag f is among the link's flags.
func (l *Link) HasFlag(f string) bool {
	for _, x := range l.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// IsIPIP reports whether the link is an IP-in-IP tunnel: by its -d kind, or by its
// link/ipip type when the listing has no details.
func (l *Link) IsIPIP() bool {
	return l.Kind == "ipip" || (l.Kind == "" && l.LinkType == "ipip")
}

// IsVXLAN reports whether the -d kind is vxlan. Without -d a VXLAN device looks like
// any Ethernet device (link/ether), so this is false then.
func (l *Link) IsVXLAN() bool { return l.Kind == "vxlan" }

// KindOrType is the kind when known, the link type otherwise: the category
// Summary counts.
func (l *Link) KindOrType() string {
	if l.Kind != "" {
		return l.Kind
	}
	return l.LinkType
}

// KindArg returns the word after key among KindArgs ("" when absent), e.g.
// KindArg("id") of "vlan protocol 802.1Q id 100 <REORDER_HDR>" is "100".
func (l *Link) KindArg(key string) string {
	for i := 0; i+1 < len(l.KindArgs); i++ {
		if l.KindArgs[i] == key {
			return l.KindArgs[i+1]
		}
	}
	return ""
}

// ByName returns the link called name, preferring the namespace the command ran in
// over others of `ip -all netns exec` output; nil when absent.
func (r *Result) ByName(name string) *Link {
	var other *Link
	for i := range r.Links {
		l := &r.Links[i]
		if l.Name != name {
			continue
		}
		if l.Netns == "" {
			return l
		}
		if other == nil {
			other = l
		}
	}
	return other
}

// ByIndex returns the link with ifindex i in the namespace the command ran in.
func (r *Result) ByIndex(i int) *Link {
	for j := range r.Links {
		if l := &r.Links[j]; l.Index == i && l.Netns == "" {
			return l
		}
	}
	return nil
}

func (r *Result) find(netns, name string) *Link {
	for i := range r.Links {
		if l := &r.Links[i]; l.Name == name && l.Netns == netns {
			return l
		}
	}
	return nil
}

// Merge fills in, by link name (and namespace), what r lacks from other: typically
// r is `ip -d link` and other `ip addr`, or the reverse. Fields r already has are
// kept; links only other has are appended. Items copied from other keep their Line,
// which then refers to other's input.
func (r *Result) Merge(other *Result) {
	if other == nil || other == r {
		return
	}
	for i := range other.Links {
		o := &other.Links[i]
		if l := r.find(o.Netns, o.Name); l != nil {
			l.fill(o)
			continue
		}
		var l Link
		l.fill(o)
		r.Links = append(r.Links, l)
	}
}

// fill copies into l each field of o that l lacks; the copy shares nothing with o.
func (l *Link) fill(o *Link) {
	setInt := func(dst *int, v int) {
		if *dst == 0 {
			*dst = v
		}
	}
	setStr := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	setInt(&l.Line, o.Line)
	setInt(&l.Index, o.Index)
	setStr(&l.Name, o.Name)
	setStr(&l.Parent, o.Parent)
	setStr(&l.Netns, o.Netns)
	if l.Flags == nil {
		l.Flags = cloneStrings(o.Flags)
	}
	setInt(&l.MTU, o.MTU)
	setStr(&l.Qdisc, o.Qdisc)
	setStr(&l.Master, o.Master)
	setStr(&l.State, o.State)
	setStr(&l.Mode, o.Mode)
	setStr(&l.Group, o.Group)
	setInt(&l.Qlen, o.Qlen)
	l.Attrs = mergeMap(l.Attrs, o.Attrs)
	if l.LinkType == "" {
		l.LinkType, l.LinkAddr, l.LinkBrd, l.LinkPeer = o.LinkType, o.LinkAddr, o.LinkBrd, o.LinkPeer
	}
	setStr(&l.MAC, o.MAC)
	setStr(&l.PermAddr, o.PermAddr)
	setStr(&l.LinkNetns, o.LinkNetns)
	l.Details = mergeMap(l.Details, o.Details)
	if l.Kind == "" && o.Kind != "" {
		l.Kind, l.KindArgs, l.KindLine = o.Kind, cloneStrings(o.KindArgs), o.KindLine
		l.VXLAN, l.IPIP = nil, nil
		if o.VXLAN != nil {
			v := *o.VXLAN
			v.Flags = cloneStrings(v.Flags)
			l.VXLAN = &v
		}
		if o.IPIP != nil {
			t := *o.IPIP
			t.Flags = cloneStrings(t.Flags)
			l.IPIP = &t
		}
	}
	if l.SlaveKind == "" && o.SlaveKind != "" {
		l.SlaveKind, l.SlaveArgs = o.SlaveKind, cloneStrings(o.SlaveArgs)
	}
	if l.AltNames == nil {
		l.AltNames = cloneStrings(o.AltNames)
	}
	setStr(&l.Alias, o.Alias)
	if l.Addrs == nil && o.Addrs != nil {
		l.Addrs = make([]Addr, len(o.Addrs))
		for i, a := range o.Addrs {
			a.Flags = cloneStrings(a.Flags)
			l.Addrs[i] = a
		}
	}
	if l.Other == nil {
		l.Other = cloneStrings(o.Other)
	}
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

func mergeMap(dst, src map[string]string) map[string]string {
	for k, v := range src {
		if dst == nil {
			dst = make(map[string]string, len(src))
		}
		if _, ok := dst[k]; !ok {
			dst[k] = v
		}
	}
	return dst
}

// Summary counts links by kind (or link type without -d), down links (those
// whose flags are known and lack UP) and addresses: "9 links (ether 3, ipip 1, vxlan 1, veth 4; 2 down), 6 addresses".
func (r *Result) Summary() string {
	var order []string
	count := map[string]int{}
	down, addrs := 0, 0
	for i := range r.Links {
		l := &r.Links[i]
		k := l.KindOrType()
		if k == "" {
			k = "unknown"
		}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
		if l.Flags != nil && !l.Up() {
			down++
		}
		addrs += len(l.Addrs)
	}
	var b strings.Builder
	b.WriteString(plural(len(r.Links), "link", "links"))
	if len(r.Links) > 0 {
		b.WriteString(" (")
		for i, k := range order {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %d", k, count[k])
		}
		fmt.Fprintf(&b, "; %d down)", down)
	}
	b.WriteString(", ")
	b.WriteString(plural(addrs, "address", "addresses"))
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
