package assemble

import (
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iplink"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iproute"
)

// Tunnel device names Calico creates.
const (
	devIPIP  = "tunl0"
	devVXLAN = "vxlan.calico"
)

// refAt builds the evidence for a line of one of n's files. The line's text
// is quoted only if a finding cites it (facts.Ref.ResolveText).
func refAt(n *load.Node, file string, line int) facts.Ref {
	return facts.RefAt(n.Cite(file), line)
}

// nodeFacts turns what one bundle says about its own node into facts. Cross-node
// inferences come later, in Build.
func nodeFacts(n *load.Node) facts.Node {
	f := facts.Node{
		Name:    n.Name,
		Bundle:  n.Bundle.Path,
		Has:     map[string]bool{},
		Ethtool: map[string]facts.Ethtool{},
		Sysctl:  map[string]facts.Value{},
		Calico:  facts.Calico{Env: map[string]facts.Value{}},
	}
	has := func(key string, ok bool) {
		if ok {
			f.Has[key] = true
		}
	}
	has(facts.HasIPVS, n.IPVS != nil)
	has(facts.HasRoutes, n.Routes != nil || n.RoutesAll != nil)
	has(facts.HasLinks, n.Link != nil || n.Addr != nil)
	has(facts.HasAddrs, n.Addr != nil)
	has(facts.HasEthtool, len(n.Ethtool) > 0)
	has(facts.HasSysctl, n.Sysctl != nil)
	has(facts.HasCalicoEnv, n.CalicoEnv != nil || n.DaemonSet != nil)
	has(facts.HasCalicoLog, n.CalicoLog != nil)
	has(facts.HasBird, n.Bird != nil)
	has(facts.HasIPTables, n.IPTables != nil)
	has(facts.HasNFT, n.NFT != nil)
	has(facts.HasIPSet, n.IPSet != nil)
	has(facts.HasKernel, n.Uname != nil && n.Uname.Release != "")
	has(facts.HasRouteGet, n.RouteGet != nil)
	has(facts.HasNeigh, n.Neigh != nil)
	has(facts.HasFDB, n.FDB != nil)
	has(facts.HasConntrack, n.Conntrack != nil)
	has(facts.HasResolv, n.Resolv != nil)

	f.Links = linkFacts(n)
	f.IPs = nodeIPs(f.Links)
	f.Routes = routeFacts(n)
	f.RouteGets = routeGetFacts(n)
	f.IPVS = ipvsFacts(n)
	iptablesNodeFacts(n, &f.IPTables)
	calicoSets(n, &f.IPTables)
	hostTunnelDrops(n, &f)
	// The counters read before and after the capture window are read by
	// these two alone: built here, their parses can go with the node's own.
	tunnelDrops(n, &f.IPTables)
	felixDrops(n, &f)
	for iface, r := range n.Ethtool {
		file := bundle.EthtoolDir + "/" + iface + ".txt"
		e := facts.Ethtool{Features: map[string]facts.Feature{}, Ref: facts.FileRef(n.Name, file)}
		for _, ft := range r.Features {
			e.Features[n.Intern(ft.Name)] = facts.Feature{On: ft.On, Fixed: ft.Fixed, Ref: refAt(n, file, ft.Line)}
		}
		f.Ethtool[iface] = e
	}
	if n.Sysctl != nil {
		f.Sysctl = make(map[string]facts.Value, len(n.Sysctl.Values))
		for k, v := range n.Sysctl.Values {
			// Keys are per interface (cali* veths): a copy each, not a
			// run-wide entry; values are a small vocabulary.
			f.Sysctl[strings.Clone(k)] = facts.Value{Value: n.Intern(v.Value), Ref: refAt(n, bundle.SysctlPath, v.Line)}
		}
	}
	if u := n.Uname; u != nil && u.Release != "" {
		f.Kernel = facts.Kernel{Known: true, Release: u.Release, Major: u.Major, Minor: u.Minor, Ref: refAt(n, bundle.UnamePath, u.Line)}
	}
	calicoFacts(n, &f)
	if n.Bird != nil {
		// A full mesh is a session per peer: sized once, not grown by doubling.
		f.BGPPeers = make([]facts.BGPPeer, 0, len(n.Bird.Protocols))
		for _, p := range n.Bird.Protocols {
			if p.Proto != "BGP" {
				continue
			}
			peer := ""
			if p.PeerAddr.IsValid() {
				peer = n.AddrString(p.PeerAddr)
			}
			f.BGPPeers = append(f.BGPPeers, facts.BGPPeer{
				Name: n.Intern(p.Name), PeerIP: peer, State: n.Intern(p.State), Info: n.Intern(p.Info),
				Established: p.Established(), Ref: refAt(n, bundle.BirdProtocolsPath, p.Line),
			})
		}
		if len(f.BGPPeers) == 0 {
			f.BGPPeers = nil // as before: no session is null in the model's JSON
		}
	}
	if n.Resolv != nil {
		for _, e := range n.Resolv.Nameservers {
			f.Resolv.Nameservers = append(f.Resolv.Nameservers, e.Addr.String())
		}
		f.Resolv.Ref = facts.FileRef(n.Name, bundle.ResolvConfPath)
	}
	if n.Conntrack != nil {
		f.Conntrack = map[string]int{}
		for k, v := range n.Conntrack.Total {
			f.Conntrack[k] = int(v)
		}
	}
	f.TunnelAddr, f.TunnelDevice = tunnelAddr(f.Links)
	// The causes beyond the runbook's path that need no other node.
	kernelLog(n, &f)
	conntrackFacts(n, &f)
	nodeLocalDNS(n, &f)
	return f
}

// linkFacts joins `ip -d link` (kinds, tunnel details) and `ip addr` (addresses)
// by interface name; each keeps pointing at its own file.
func linkFacts(n *load.Node) []facts.Link {
	var out []facts.Link
	index := map[string]int{}
	add := func(l iplink.Link, file string, withAddrs bool) {
		if i, ok := index[l.Name]; ok {
			fl := &out[i]
			if fl.Kind == "" || fl.Kind == "ether" {
				if k := linkKind(l); k != "" && k != "ether" {
					fl.Kind = k
				}
			}
			if fl.MTU == 0 {
				fl.MTU = l.MTU
			}
			if withAddrs {
				addAddrs(n, fl, l, file)
			}
			return
		}
		fl := facts.Link{
			Name: l.Name, Index: l.Index, Kind: linkKind(l), MTU: l.MTU, Up: l.Up(),
			State: l.State, Flags: l.Flags, Master: l.Master, Ref: refAt(n, file, l.Line),
		}
		if v := l.VXLAN; v != nil {
			fl.VXLANID = int(v.ID)
			if v.Local.IsValid() {
				fl.VXLANLocal = v.Local.String()
			}
			fl.VXLANPort = v.DstPort
			fl.VXLANDev = v.Dev
		}
		if t := l.IPIP; t != nil {
			if t.Local.IsValid() && !t.Local.IsUnspecified() {
				fl.TunnelLocal = t.Local.String()
			}
			if t.Remote.IsValid() && !t.Remote.IsUnspecified() {
				fl.TunnelRemote = t.Remote.String()
			}
		}
		if withAddrs {
			addAddrs(n, &fl, l, file)
		}
		index[l.Name] = len(out)
		out = append(out, fl)
	}
	// A link's addresses come from one file (its lines are cited by line
	// alone): ip addr's, else those `ip -d link` printed (a hand-made bundle
	// whose ip-link.txt is `ip -d addr`).
	if n.Link != nil {
		for _, l := range n.Link.Links {
			if l.Netns == "" {
				add(l, bundle.IPLinkPath, false)
			}
		}
	}
	if n.Addr != nil {
		for _, l := range n.Addr.Links {
			if l.Netns == "" {
				add(l, bundle.IPAddrPath, true)
			}
		}
	}
	if n.Link != nil {
		for _, l := range n.Link.Links {
			if i, ok := index[l.Name]; ok && l.Netns == "" && out[i].AddrFile == "" {
				addAddrs(n, &out[i], l, bundle.IPLinkPath)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

func addAddrs(n *load.Node, fl *facts.Link, l iplink.Link, file string) {
	if len(l.Addrs) == 0 || (fl.AddrFile != "" && fl.AddrFile != file) {
		return
	}
	// kube-ipvs0 holds every Service IP (thousands): the lists are sized
	// once, not grown by doubling, and duplicates found through a set, not
	// a scan of the list per address.
	fl.Addrs = slices.Grow(fl.Addrs, len(l.Addrs))
	fl.AddrLines = slices.Grow(fl.AddrLines, len(l.Addrs))
	have := make(map[netip.Prefix]bool, len(fl.Addrs)+len(l.Addrs))
	for _, s := range fl.Addrs {
		if p, err := netip.ParsePrefix(s); err == nil {
			have[p] = true
		}
	}
	for _, a := range l.Addrs {
		if !a.Prefix.IsValid() || have[a.Prefix] {
			continue
		}
		have[a.Prefix] = true
		fl.Addrs = append(fl.Addrs, n.PrefixString(a.Prefix))
		fl.AddrLines = append(fl.AddrLines, clamp32(int64(a.Line)))
	}
	fl.Addrs, fl.AddrLines = slices.Clip(fl.Addrs), slices.Clip(fl.AddrLines)
	if len(fl.Addrs) == 0 {
		fl.Addrs, fl.AddrLines = nil, nil // as before: no address is null in the model's JSON
		return
	}
	fl.AddrFile = file
	n.Cite(file)
}

// addrRef is the evidence of the j-th address of link l of node n.
func addrRef(n *load.Node, l *facts.Link, j int) facts.Ref {
	if j >= len(l.AddrLines) || l.AddrFile == "" {
		return facts.Ref{}
	}
	return refAt(n, l.AddrFile, int(l.AddrLines[j]))
}

// linkKind names what a link is, from `-d` details when present, else from its
// link type and Calico's naming.
func linkKind(l iplink.Link) string {
	if l.Kind != "" {
		return l.Kind
	}
	switch {
	case l.LinkType == "ipip":
		return "ipip"
	case l.LinkType == "loopback":
		return "loopback"
	case l.Name == devVXLAN || strings.HasPrefix(l.Name, "vxlan"):
		return "vxlan"
	case strings.HasPrefix(l.Name, "cali"):
		return "veth"
	case l.Name == "kube-ipvs0":
		return "dummy"
	}
	return l.LinkType
}

// internalLink says whether a link's addresses are not the node's own: the
// tunnel devices carry pod-block addresses, kube-ipvs0 every Service IP.
func internalLink(l facts.Link) bool {
	switch {
	case l.Kind == "loopback", l.Name == "lo", l.Name == devIPIP, l.Name == devVXLAN,
		strings.HasPrefix(l.Name, "vxlan-v6.calico"), strings.HasPrefix(l.Name, "cali"),
		strings.HasPrefix(l.Name, "kube-ipvs"), strings.HasPrefix(l.Name, "nodelocaldns"),
		l.Kind == "ipip", l.Kind == "vxlan" && strings.Contains(l.Name, "calico"):
		return true
	}
	return false
}

// nodeIPs lists the node's own global IPv4 and IPv6 addresses.
func nodeIPs(links []facts.Link) []string {
	var ips []string
	for _, l := range links {
		if internalLink(l) {
			continue
		}
		for _, a := range l.Addrs {
			p, err := netip.ParsePrefix(a)
			if err != nil || !p.Addr().IsGlobalUnicast() {
				continue
			}
			ips = append(ips, p.Addr().String())
		}
	}
	return ips
}

func tunnelAddr(links []facts.Link) (addr, dev string) {
	for _, want := range []string{devIPIP, devVXLAN} {
		for _, l := range links {
			if l.Name != want {
				continue
			}
			for _, a := range l.Addrs {
				if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
					return p.Addr().String(), l.Name
				}
			}
		}
	}
	return "", ""
}

func routeFacts(n *load.Node) []facts.Route {
	file, res := bundle.IPRoutePath, n.Routes
	if res == nil && n.RoutesAll != nil {
		file, res = bundle.IPRouteAllPath, n.RoutesAll
	}
	if res == nil {
		return nil
	}
	out := make([]facts.Route, 0, len(res.Routes))
	for _, r := range res.Routes {
		if file == bundle.IPRouteAllPath && r.Table != "" && r.Table != "main" && r.Table != "254" {
			continue
		}
		out = append(out, routeFact(n, file, r))
	}
	return out
}

func routeFact(n *load.Node, file string, r iproute.Route) facts.Route {
	fr := facts.Route{
		Type: n.Intern(r.Type), Default: r.Default, Dev: n.Intern(r.Dev), Proto: n.Intern(r.Proto), Scope: n.Intern(r.Scope),
		Metric: r.Metric, Ref: refAt(n, file, r.Line),
	}
	if fr.Type == "" {
		fr.Type = "unicast"
	}
	if r.Dst.IsValid() {
		fr.Dst = n.PrefixString(r.Dst)
	}
	if r.Via.IsValid() {
		fr.Via = n.AddrString(r.Via)
	}
	if r.Src.IsValid() {
		fr.Src = n.AddrString(r.Src)
	}
	for _, fl := range r.Flags {
		switch fl {
		case "onlink":
			fr.Onlink = true
		case "linkdown":
			fr.Linkdown = true
		}
	}
	for _, nh := range r.Nexthops {
		fn := facts.Nexthop{Dev: n.Intern(nh.Dev), Weight: nh.Weight}
		if nh.Via.IsValid() {
			fn.Via = n.AddrString(nh.Via)
		}
		for _, fl := range nh.Flags {
			if fl == "onlink" {
				fn.Onlink = true
			}
		}
		fr.Nexthops = append(fr.Nexthops, fn)
	}
	return fr
}

func routeGetFacts(n *load.Node) []facts.RouteGet {
	if n.RouteGet == nil {
		return nil
	}
	var out []facts.RouteGet
	if len(n.RouteGet.Gets) > 0 {
		// A node asks about every peer: sized once, not grown by doubling.
		out = make([]facts.RouteGet, 0, len(n.RouteGet.Gets))
	}
	for _, g := range n.RouteGet.Gets {
		fg := facts.RouteGet{Err: g.Err, Ref: refAt(n, bundle.RouteGetPath, g.Line)}
		if g.Query.IsValid() {
			fg.Query = n.AddrString(g.Query)
		}
		if g.Route != nil {
			fg.Found = true
			fg.Route = routeFact(n, bundle.RouteGetPath, *g.Route)
		}
		out = append(out, fg)
	}
	return out
}

func ipvsFacts(n *load.Node) []facts.IPVSEntry {
	if n.IPVS == nil {
		return nil
	}
	// The entries cite by line: the text stays for the refs built from them
	// (DNSServices, once the DNS Service IP is known; a rule's own).
	n.Cite(bundle.IPVSPath)
	out := make([]facts.IPVSEntry, 0, len(n.IPVS.Services))
	var scratch []facts.IPVSEntryReal
	for _, s := range n.IPVS.Services {
		fs := facts.IPVSEntry{
			Proto: s.Proto, Scheduler: s.Scheduler, Persistent: clamp32(int64(s.Persistent)), Line: clamp32(int64(s.Line)),
		}
		if s.Addr.IsValid() {
			fs.VIP = n.AddrString(s.Addr.Addr())
			fs.Port = int32(s.Addr.Port())
		}
		scratch = scratch[:0]
		for _, r := range s.Reals {
			fr := facts.IPVSEntryReal{
				Forward: n.Intern(r.Forward), Weight: clamp32(int64(r.Weight)), ActiveConn: clamp32(r.ActiveConn), InActConn: clamp32(r.InActConn),
				Line: clamp32(int64(r.Line)),
			}
			if r.Addr.IsValid() {
				fr.IP = n.AddrString(r.Addr.Addr())
				fr.Port = int32(r.Addr.Port())
			}
			scratch = append(scratch, fr)
		}
		// Shared with the other nodes listing the same real servers.
		fs.Reals = n.IPVSReals(scratch)
		out = append(out, fs)
	}
	return out
}

// clamp32 keeps a count within int32, the type the model's tables use.
func clamp32(v int64) int32 {
	return int32(max(min(v, math.MaxInt32), math.MinInt32))
}

// ipvsService is e with refs into n's ipvsadm -Ln: the form rules cite.
func ipvsService(n *load.Node, e facts.IPVSEntry) facts.IPVSService {
	s := facts.IPVSService{
		Proto: e.Proto, VIP: e.VIP, Port: int(e.Port), Scheduler: e.Scheduler, Persistent: int(e.Persistent),
		Ref: refAt(n, bundle.IPVSPath, int(e.Line)), Reals: make([]facts.IPVSReal, 0, len(e.Reals)),
	}
	for _, r := range e.Reals {
		s.Reals = append(s.Reals, facts.IPVSReal{
			IP: r.IP, Port: int(r.Port), Forward: r.Forward, Weight: int(r.Weight),
			ActiveConn: int(r.ActiveConn), InActConn: int(r.InActConn), Ref: refAt(n, bundle.IPVSPath, int(r.Line)),
		})
	}
	return s
}

// calicoFacts records calico-node's configuration and what its log says.
func calicoFacts(n *load.Node, f *facts.Node) {
	c := &f.Calico
	switch {
	case n.CalicoEnv != nil:
		c.EnvSource = "container"
		for _, v := range n.CalicoEnv.Vars {
			c.Env[v.Name] = facts.Value{Value: v.Value, Ref: refAt(n, bundle.CalicoEnvPath, v.Line)}
		}
	case n.DaemonSet != nil:
		daemonSetEnv(n, f)
	}
	autodetectMethod(c)
	calicoLog(n, c)
}

// daemonSetEnv takes calico-node's environment from the DaemonSet in src's
// bundle (the node's own, or another node's: it is one object per cluster).
func daemonSetEnv(src *load.Node, f *facts.Node) {
	c := &f.Calico
	c.EnvSource = "daemonset"
	f.Has[facts.HasCalicoEnv] = true
	for _, v := range src.DaemonSet.Env {
		val := v.Value
		if v.IsRef {
			r, _, ok := src.DaemonSet.Resolve(v.Name)
			if !ok {
				continue // a value we cannot know is not a value
			}
			val = r
		}
		c.Env[v.Name] = facts.Value{Value: val, Ref: refAt(src, bundle.CalicoDaemonSetPath, v.Line)}
	}
	autodetectMethod(c)
}

// autodetectMethod resolves which IP_AUTODETECTION_METHOD applies.
func autodetectMethod(c *facts.Calico) {
	if c.EnvSource != "" {
		if v, ok := c.Env["IP_AUTODETECTION_METHOD"]; ok && strings.TrimSpace(v.Value) != "" {
			c.AutodetectMethod = strings.TrimSpace(v.Value)
			c.AutodetectRef = v.Ref
		} else {
			c.AutodetectMethod = "first-found"
		}
		if ip, ok := c.Env["IP"]; ok {
			val := strings.TrimSpace(ip.Value)
			if val != "" && val != "autodetect" && val != "none" {
				c.AutodetectMethod = "ip=" + val
				c.AutodetectRef = ip.Ref
			}
		}
	}
}

// calicoLog records what calico-node logged about its address and errors.
func calicoLog(n *load.Node, c *facts.Calico) {
	if lg := n.CalicoLog; lg != nil {
		for _, a := range lg.Autodetect {
			if a.Version != 4 && a.Version != 0 {
				continue
			}
			c.LogIface = a.Interface
			if a.Addr.IsValid() {
				c.LogIP = a.Addr.Addr().String()
			}
			c.LogRef = refAt(n, bundle.CalicoNodeLogPath, a.Line)
		}
		for _, e := range lg.Errors {
			c.Errors = append(c.Errors, facts.LogEvent{Level: e.Level, Msg: e.Msg, Ref: refAt(n, bundle.CalicoNodeLogPath, e.Line)})
		}
		if e := lg.RPFLoose; e != nil && e.Value != "ignored" {
			c.RPFLooseLogged = true
			c.RPFLooseRef = refAt(n, bundle.CalicoNodeLogPath, e.Line)
		}
	}
}

// atoi parses a decimal, 0 on failure.
func atoi(s string) int {
	v, _ := strconv.Atoi(strings.TrimSpace(s))
	return v
}
