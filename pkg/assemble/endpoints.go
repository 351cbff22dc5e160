package assemble

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/celext"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// peerFacing finds, for each node, the address its peers send its pods' traffic
// to: the next hop of their IPIP (or plain) route to its block, or, for VXLAN,
// the VTEP address their fdb holds for the MAC their neighbour table gives its
// vxlan.calico address. With no peer bundle, Calico's own record of the node
// address (projectcalico.org/IPv4Address) stands in: it is what BIRD peers and
// felix's VTEP entries use.
func (b *builder) peerFacing() {
	c := b.c
	// Every node is asked about every other node's blocks: indexed once,
	// not scanned per question.
	idx := make([]*celext.RouteIndex, len(c.Nodes))
	for j := range c.Nodes {
		idx[j] = celext.NewRouteIndex(&c.Nodes[j])
	}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		votes := map[string][]facts.Ref{}
		for j := range c.Nodes {
			if i == j {
				continue
			}
			for _, blk := range n.PodBlocks {
				bp, err := netip.ParsePrefix(blk)
				if err != nil {
					continue
				}
				r, ok := idx[j].Get(bp.Addr())
				if !ok || r.Default || r.Type != "unicast" || r.Via == "" {
					continue
				}
				via := r.Via
				if r.Dev == devVXLAN {
					via = b.vtep(j, r.Via)
					if via == "" {
						continue
					}
				}
				votes[via] = append(votes[via], r.Ref)
			}
		}
		// Peers may disagree (a wrong route is what some rules look for): an
		// address of the node itself wins over a foreign one, then the most
		// votes, then the address order.
		own := map[string]bool{n.InternalIP: n.InternalIP != ""}
		for _, ip := range n.IPs {
			own[ip] = true
		}
		for _, k := range c.KubeNodes {
			if k.Name == n.Name && k.CalicoIP != "" {
				if p, err := netip.ParsePrefix(k.CalicoIP); err == nil {
					own[p.Addr().String()] = true
				}
			}
		}
		best, bestN, bestOwn := "", 0, false
		keys := make([]string, 0, len(votes))
		for k := range votes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if better := own[k] && !bestOwn || own[k] == bestOwn && len(votes[k]) > bestN; better {
				best, bestN, bestOwn = k, len(votes[k]), own[k]
			}
		}
		if best != "" {
			n.PeerFacingIP, n.PeerFacingRefs, n.PeerFacingSource = best, votes[best], "routes"
			continue
		}
		for _, k := range c.KubeNodes {
			if k.Name == n.Name && k.CalicoIP != "" {
				if p, err := netip.ParsePrefix(k.CalicoIP); err == nil {
					n.PeerFacingIP = p.Addr().String()
					n.PeerFacingRefs = []facts.Ref{k.Ref}
					n.PeerFacingSource = "annotation"
				}
			}
		}
	}
}

// vtep maps a peer's vxlan.calico address, as node j routes to it, to the
// peer's underlay address: ip neigh gives the VTEP MAC, bridge fdb its dst.
func (b *builder) vtep(j int, tunnelIP string) string {
	ln := b.nodes[j]
	if ln.Neigh == nil || ln.FDB == nil {
		return ""
	}
	a, err := netip.ParseAddr(tunnelIP)
	if err != nil {
		return ""
	}
	nb := ln.Neigh.Lookup(a, devVXLAN)
	if nb == nil || nb.LLAddr == "" {
		return ""
	}
	if dst, ok := ln.FDB.VTEPs(devVXLAN)[strings.ToLower(nb.LLAddr)]; ok && dst.IsValid() {
		return dst.String()
	}
	return ""
}

// sendAddress finds the address a node's tunnel packets leave from. VXLAN: the
// device's `local` address, else the source of the route to a peer's VTEP.
// IPIP: tunl0 is "local any", so the kernel picks the source of the route to
// the outer destination, a peer's next hop.
func (b *builder) sendAddress() {
	c := b.c
	defer func() {
		for i := range c.Nodes {
			b.uplink(&c.Nodes[i])
		}
	}()
	for i := range c.Nodes {
		n := &c.Nodes[i]
		if l, ok := celext.LinkNamed(n, devVXLAN); ok && n.Encapsulation == facts.EncapVXLAN && l.VXLANLocal != "" {
			n.SendIP, n.SendIface, n.SendRef = l.VXLANLocal, l.VXLANDev, l.Ref
			if n.SendIface == "" {
				n.SendIface = b.routeIface(n, l.VXLANLocal)
			}
			continue
		}
		// The outer destinations: next hops of its tunnel routes (IPIP), or peers'
		// peer-facing addresses.
		var dsts []string
		for _, r := range n.Routes {
			if r.Dev == devIPIP && r.Via != "" {
				dsts = append(dsts, r.Via)
			}
		}
		if len(dsts) == 0 {
			for _, m := range c.Nodes {
				if m.Name != n.Name && m.PeerFacingIP != "" {
					dsts = append(dsts, m.PeerFacingIP)
				}
			}
		}
		for _, d := range dsts {
			a, err := netip.ParseAddr(d)
			if err != nil {
				continue
			}
			if g, ok := recordedRouteGet(n, d); ok && g.Route.Src != "" {
				n.SendIP, n.SendIface, n.SendRef = g.Route.Src, g.Route.Dev, g.Ref
				break
			}
			r, ok := celext.RouteGet(n, a)
			if !ok || r.Type != "unicast" || r.Dev == devIPIP || r.Dev == devVXLAN {
				continue
			}
			src := r.Src
			if src == "" {
				src = ifaceAddrFor(n, r.Dev, a)
			}
			if src != "" {
				n.SendIP, n.SendIface, n.SendRef = src, r.Dev, r.Ref
				break
			}
		}
	}
}

func recordedRouteGet(n *facts.Node, addr string) (facts.RouteGet, bool) {
	for _, g := range n.RouteGets {
		if g.Query == addr && g.Found {
			return g, true
		}
	}
	return facts.RouteGet{}, false
}

// ifaceAddrFor picks the source address the kernel would use on dev for dst:
// the first address of dev whose subnet holds dst, else dev's first address.
func ifaceAddrFor(n *facts.Node, dev string, dst netip.Addr) string {
	l, ok := celext.LinkNamed(n, dev)
	if !ok {
		return ""
	}
	first := ""
	for _, s := range l.Addrs {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().IsGlobalUnicast() || p.Addr().Is4() != dst.Is4() {
			continue
		}
		if p.Contains(dst) {
			return p.Addr().String()
		}
		if first == "" {
			first = p.Addr().String()
		}
	}
	return first
}

func (b *builder) routeIface(n *facts.Node, addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	if l, ok := celext.LinkOf(n, a); ok {
		return l.Name
	}
	return ""
}

// ifaceHolding names the link that has addr, else fallback.
func ifaceHolding(n *facts.Node, addr, fallback string) string {
	if a, err := netip.ParseAddr(addr); err == nil {
		if l, ok := celext.LinkOf(n, a); ok {
			return l.Name
		}
	}
	return fallback
}

// Calico's first-found exclusions (node/pkg/lifecycle/startup/autodetection).
var defaultExcludes = regexp.MustCompile(`^(docker.*|cbr.*|dummy.*|virbr.*|lxcbr.*|veth.*|lo.*|cali.*|tunl.*|flannel.*|kube-ipvs.*|cni.*|vxlan\.calico.*|vxlan-v6\.calico.*|wireguard\.cali.*|wg-v6\.cali.*|nodelocaldns.*)$`)

// autodetect resolves IP_AUTODETECTION_METHOD against the node's own links,
// addresses and routes, the way calico-node does at start-up.
func (b *builder) autodetect() {
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		method := n.Calico.AutodetectMethod
		if method == "" || !n.Has[facts.HasLinks] {
			continue
		}
		iface, ip, why := b.resolveMethod(n, method)
		n.Calico.AutodetectIface, n.Calico.AutodetectIP, n.Calico.AutodetectWhy = iface, ip, why
	}
}

func (b *builder) resolveMethod(n *facts.Node, method string) (iface, ip, why string) {
	switch {
	case method == "first-found":
		return firstFound(n, func(name string) bool { return !defaultExcludes.MatchString(name) }, nil, "first-found: first interface not excluded by Calico's defaults")
	case strings.HasPrefix(method, "interface="):
		res, err := compileList(strings.TrimPrefix(method, "interface="))
		if err != nil {
			return "", "", "interface=: " + err.Error()
		}
		return firstFound(n, func(name string) bool { return matchAny(res, name) }, nil, "interface=: first interface matching "+strings.TrimPrefix(method, "interface="))
	case strings.HasPrefix(method, "skip-interface="):
		res, err := compileList(strings.TrimPrefix(method, "skip-interface="))
		if err != nil {
			return "", "", "skip-interface=: " + err.Error()
		}
		return firstFound(n, func(name string) bool { return !defaultExcludes.MatchString(name) && !matchAny(res, name) }, nil, "skip-interface=: first interface not skipped")
	case strings.HasPrefix(method, "cidr="):
		var cidrs []netip.Prefix
		for _, s := range splitList(strings.TrimPrefix(method, "cidr=")) {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return "", "", fmt.Sprintf("cidr=: %q is not a CIDR", s)
			}
			cidrs = append(cidrs, p)
		}
		return firstFound(n, func(string) bool { return true }, cidrs, "cidr=: first address in "+strings.TrimPrefix(method, "cidr="))
	case strings.HasPrefix(method, "can-reach="):
		dest := strings.TrimPrefix(method, "can-reach=")
		a, err := netip.ParseAddr(dest)
		if err != nil {
			return "", "", "can-reach= names a host, not an address: cannot resolve offline"
		}
		// Calico connects a UDP socket to the target and takes its local address;
		// the interface it names is the one holding that address.
		if g, ok := recordedRouteGet(n, a.String()); ok && g.Route.Src != "" {
			return ifaceHolding(n, g.Route.Src, g.Route.Dev), g.Route.Src, "can-reach=: recorded `ip route get " + a.String() + "`"
		}
		r, ok := celext.RouteGet(n, a)
		if !ok || r.Type != "unicast" {
			return "", "", "can-reach=: no route to " + dest
		}
		src := r.Src
		if src == "" {
			src = ifaceAddrFor(n, r.Dev, a)
		}
		return ifaceHolding(n, src, r.Dev), src, "can-reach=: the source of the route to " + dest
	case method == "kubernetes-internal-ip":
		if n.InternalIP == "" {
			return "", "", "kubernetes-internal-ip: the Node's InternalIP is not in the bundles"
		}
		a, _ := netip.ParseAddr(n.InternalIP)
		if l, ok := celext.LinkOf(n, a); ok {
			return l.Name, n.InternalIP, "kubernetes-internal-ip: the Node's InternalIP"
		}
		return "", n.InternalIP, "kubernetes-internal-ip: the Node's InternalIP, on no interface of this node"
	case strings.HasPrefix(method, "ip="):
		v := strings.TrimPrefix(method, "ip=")
		if p, err := netip.ParsePrefix(v); err == nil {
			v = p.Addr().String()
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", "", "IP=" + v + " is not an address"
		}
		if l, ok := celext.LinkOf(n, a); ok {
			return l.Name, a.String(), "IP set explicitly"
		}
		return "", a.String(), "IP set explicitly, on no interface of this node"
	}
	return "", "", "unknown autodetection method " + method
}

// firstFound walks links in index order, as calico-node enumerates them, and
// returns the first global unicast IPv4 address that passes the filters.
func firstFound(n *facts.Node, keep func(string) bool, cidrs []netip.Prefix, why string) (string, string, string) {
	for _, l := range n.Links {
		if !keep(l.Name) {
			continue
		}
		for _, s := range l.Addrs {
			p, err := netip.ParsePrefix(s)
			if err != nil || !p.Addr().Is4() || !p.Addr().IsGlobalUnicast() {
				continue
			}
			if len(cidrs) > 0 && !containsAny(cidrs, p.Addr()) {
				continue
			}
			return l.Name, p.Addr().String(), why
		}
	}
	return "", "", why + ": no interface qualifies"
}

func containsAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func compileList(s string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, part := range splitList(s) {
		re, err := regexp.Compile(part)
		if err != nil {
			return nil, fmt.Errorf("bad regular expression %q: %w", part, err)
		}
		out = append(out, re)
	}
	return out, nil
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// uplink names the interface a node talks to its peers through.
func (b *builder) uplink(n *facts.Node) {
	if n.SendIface != "" {
		n.Uplink = n.SendIface
		return
	}
	for _, r := range n.Routes {
		if r.Default && r.Dev != "" {
			n.Uplink = r.Dev
			return
		}
	}
}
