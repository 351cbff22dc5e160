package assemble

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/netpol"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/calico"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/conntrack"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/dnslog"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/iptables"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kernlog"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/nft"
)

// linkLocal is where NodeLocal DNSCache addresses live (169.254.20.10,
// 169.254.25.10, ...).
var linkLocal = netip.MustParsePrefix("169.254.0.0/16")

// dnsCauses fills the facts of the causes beyond the runbook's path: kernel
// log, conntrack counters, NodeLocal DNSCache, CoreDNS's configuration, logs
// and pods, network policy, Calico's policy-only mode and pools overlapping
// addresses outside the pod network.
func (b *builder) dnsCauses() {
	b.coreDNSConfig()
	b.coreDNSLog()
	b.coreDNSPodStates()
	b.policyOnly()
	b.calicoAbsent()
	b.poolOverlaps()
	b.policies()
}

func kernelLog(n *load.Node, f *facts.Node) {
	if n.Dmesg == nil {
		return
	}
	f.Has[facts.HasKernelLog] = true
	k := &f.KernelLog
	k.Known, k.Ref = true, facts.FileRef(n.Name, bundle.DmesgPath)
	k.ConntrackFull = n.Dmesg.Count(kernlog.KindConntrackFull)
	if e, ok := n.Dmesg.First(kernlog.KindConntrackFull); ok {
		k.ConntrackFullRef = refAt(n, bundle.DmesgPath, e.Line)
	}
	k.NeighOverflow = n.Dmesg.Count(kernlog.KindNeighOverflow)
	if e, ok := n.Dmesg.First(kernlog.KindNeighOverflow); ok {
		k.NeighOverflowRef = refAt(n, bundle.DmesgPath, e.Line)
	}
}

// conntrackFacts takes the totals from conntrack -S or, where conntrack-tools
// is not installed, /proc/net/stat/nf_conntrack, and the growth over the
// capture window.
func conntrackFacts(n *load.Node, f *facts.Node) {
	switch {
	case n.Conntrack != nil:
		f.ConntrackSource, f.ConntrackRef = "conntrack -S", facts.FileRef(n.Name, bundle.ConntrackStats)
	case n.ProcConntrack != nil:
		f.ConntrackSource, f.ConntrackRef = "/proc/net/stat/nf_conntrack", facts.FileRef(n.Name, bundle.ProcConntrackStatPath)
		f.Has[facts.HasConntrack] = true
		if f.Conntrack == nil {
			f.Conntrack = map[string]int{}
			for k, v := range n.ProcConntrack.Total {
				f.Conntrack[k] = int(v)
			}
		}
	}
	pick := func(c load.Counters, dir string) (*conntrack.Result, string) {
		if c.Conntrack != nil {
			return c.Conntrack, dir + "/conntrack-stats.txt"
		}
		if c.ProcConntrack != nil {
			return c.ProcConntrack, dir + "/proc-net-stat-nf_conntrack"
		}
		return nil, ""
	}
	before, _ := pick(n.Before, bundle.CountersBeforeDir)
	after, afterPath := pick(n.After, bundle.CountersAfterDir)
	if before == nil || after == nil {
		return
	}
	f.ConntrackGrowth = map[string]int{}
	for k, a := range after.Total {
		bv, ok := before.Total[k]
		if !ok || a < bv || k == "entries" {
			continue // a counter that went down was reset (module reload)
		}
		f.ConntrackGrowth[k] = int(a - bv)
	}
	f.ConntrackGrowthRef = facts.FileRef(n.Name, afterPath)
}

func nodeLocalDNS(n *load.Node, f *facts.Node) {
	nl := &f.NodeLocalDNS
	if n.Kubelet != nil {
		f.Has[facts.HasKubelet] = true
		for _, a := range n.Kubelet.ClusterDNS {
			if linkLocal.Contains(a.Addr) {
				nl.Addr, nl.AddrRef = a.Addr.String(), refAt(n, bundle.KubeletConfigPath, a.Line)
				break
			}
		}
	}
	if n.NodeLocalLog != nil {
		f.Has[facts.HasNodeLocalLog] = true
		for _, e := range n.NodeLocalLog.Events {
			if e.Kind == dnslog.KindBind || e.Kind == dnslog.KindSetup {
				nl.Errors = append(nl.Errors, facts.LogEvent{Level: e.Level, Msg: e.Msg, Ref: refAt(n, bundle.NodeLocalDNSLogPath, e.Line)})
			}
		}
	}
	if nl.Addr == "" {
		return
	}
	addr := netip.MustParseAddr(nl.Addr)
	if f.Has[facts.HasAddrs] || f.Has[facts.HasLinks] {
		nl.IfaceKnown = true
		for li := range f.Links {
			l := &f.Links[li]
			for j, p := range l.Addrs {
				if pp, err := netip.ParsePrefix(p); err == nil && pp.Addr() == addr {
					nl.OnIface, nl.Iface = true, l.Name
					if j < len(l.AddrLines) {
						nl.IfaceRef = addrRef(n, l, j)
					}
				}
			}
		}
	}
	if n.IPTables != nil {
		nl.RulesKnown = true
		for _, r := range n.IPTables.Rules {
			if r.Table == "raw" && (r.Target == "NOTRACK" || (r.Target == "CT" && contains(r.TargetArgs, "--notrack"))) &&
				(r.DstPrefix.Contains(addr) || r.SrcPrefix.Contains(addr)) {
				nl.NotrackRules++
			}
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// felixDropComment ends the comment felix puts on the last rule of each
// workload chain: the packet met no policy that allowed it ("Drop if no
// policies passed packet", since tiers "End of tier default. Drop if no
// policies passed packet").
const felixDropComment = nft.PolicyDropComment

// felixDrops counts what felix's policy drop rules dropped: in iptables
// mode over the capture window where counters were read before and after it,
// else since boot; in nftables mode (table ip calico) the one snapshot.
func felixDrops(n *load.Node, f *facts.Node) {
	f.FelixPolicyDrops = -1
	sum := func(r *iptables.Result) (total, bestLine int, found bool) {
		if r == nil {
			return 0, 0, false
		}
		best := -1
		for _, rule := range r.Rules {
			if !rule.HasCounters || !hasCommentSuffix(rule, felixDropComment) {
				continue
			}
			found = true
			total += int(rule.Packets)
			if int(rule.Packets) > best {
				best, bestLine = int(rule.Packets), rule.Line
			}
		}
		return total, bestLine, found
	}
	// Felix in nftables mode: its drop rules are in table ip calico, not in
	// what iptables-save lists (which then holds no felix drop rule).
	if t, ref, ok := nftPolicyDrops(n); ok {
		_, _, inSnap := sum(n.IPTables)
		_, _, inAfter := sum(n.After.IPTables)
		if !inSnap && !inAfter {
			f.FelixPolicyDrops, f.FelixPolicyDropsRef = t, ref
			return
		}
	}
	ap := bundle.CountersAfterDir + "/iptables-save.txt"
	if n.Before.IPTables != nil && n.After.IPTables != nil {
		b, _, _ := sum(n.Before.IPTables)
		a, line, _ := sum(n.After.IPTables)
		if a >= b {
			f.FelixPolicyDrops, f.FelixPolicyDropsRef = a-b, refAt(n, ap, line)
		}
		return
	}
	if n.IPTables != nil && n.IPTables.CalicoChains > 0 {
		t, line, _ := sum(n.IPTables)
		f.FelixPolicyDrops, f.FelixPolicyDropsRef = t, refAt(n, bundle.IPTablesSavePath, line)
	}
}

func hasCommentSuffix(r iptables.Rule, s string) bool {
	for _, c := range r.Comments {
		if strings.HasSuffix(c, s) {
			return true
		}
	}
	return false
}

// first returns the first node whose bundle holds path with a parsed value.
func (b *builder) first(path string, ok func(*load.Node) bool) *load.Node {
	// The cluster/ folder of collect cluster comes first in sources.
	for _, n := range b.sources {
		if ok(n) {
			return n
		}
	}
	return nil
}

func (b *builder) coreDNSConfig() {
	n := b.first(bundle.CorednsConfigMapPath, func(n *load.Node) bool { return n.Corefile != nil && len(n.Corefile.Servers) > 0 })
	if n == nil {
		return
	}
	for i := range b.c.Nodes {
		if b.nodes[i] == n {
			b.c.Nodes[i].Has[facts.HasCorefile] = true
		}
	}
	c := &b.c.CoreDNSConfig
	c.Known, c.Ref = true, facts.FileRef(n.Name, bundle.CorednsConfigMapPath)
	for _, fw := range n.Corefile.Forwards() {
		cf := facts.CoreDNSForward{Zone: fw.Server, To: fw.To, Ref: refAt(n, bundle.CorednsConfigMapPath, fw.Line)}
		for _, t := range fw.To {
			if t == "/etc/resolv.conf" {
				cf.ToResolvConf = true
			}
		}
		c.Forwards = append(c.Forwards, cf)
	}
	if line, ok := n.Corefile.Has("loop"); ok {
		c.Loop, c.LoopRef = true, refAt(n, bundle.CorednsConfigMapPath, line)
	}
}

func (b *builder) coreDNSLog() {
	l := &b.c.CoreDNSLog
	seen := map[string]bool{}
	own := make(map[*load.Node]int, len(b.nodes))
	for i, n := range b.nodes {
		own[n] = i
	}
	// The cluster/ folder of collect cluster first: it holds the CoreDNS logs
	// once for all nodes.
	for _, n := range b.sources {
		if n.CorednsLog == nil {
			continue
		}
		if i, ok := own[n]; ok {
			b.c.Nodes[i].Has[facts.HasCoreDNSLog] = true
		}
		l.Known = true
		loopPods := map[string]bool{}
		for _, e := range n.CorednsLog.Events {
			ev := facts.LogEvent{Level: e.Level, Msg: e.Msg, Ref: refAt(n, bundle.CorednsLogPath, e.Line)}
			switch e.Kind {
			case dnslog.KindLoop:
				if !loopPods[e.Pod] {
					loopPods[e.Pod] = true
					l.Loops = append(l.Loops, ev)
				}
			case dnslog.KindUpstreamTimeout:
				l.UpstreamTimeouts++
				if len(l.TimeoutEvents) < 5 {
					l.TimeoutEvents = append(l.TimeoutEvents, ev)
				}
				if e.Upstream.IsValid() && !seen[e.Upstream.Addr().String()] {
					seen[e.Upstream.Addr().String()] = true
					l.Upstreams = append(l.Upstreams, e.Upstream.Addr().String())
				}
			}
		}
		for _, d := range n.Files {
			if d.Path != bundle.CorednsLogPath {
				continue
			}
			for _, dg := range d.Diags {
				l.Unreadable = append(l.Unreadable, facts.LogEvent{Level: "warning", Msg: dg.Msg, Ref: refAt(n, bundle.CorednsLogPath, dg.Line)})
			}
		}
		break // one copy of the cluster's CoreDNS logs is enough
	}
	sort.Strings(l.Upstreams)
}

func (b *builder) coreDNSPodStates() {
	n := b.first(bundle.KubeCoreDNSPodsPath, func(n *load.Node) bool { return n.Pods != nil })
	if n == nil {
		return
	}
	for _, p := range n.Pods.Pods {
		ps := facts.PodState{Name: p.Name, Node: p.NodeName, Ready: p.Ready, Restarts: p.Restarts, Ref: refAt(n, bundle.KubeCoreDNSPodsPath, p.Line)}
		for _, c := range p.Containers {
			if c.Reason != "" && c.State != "running" {
				ps.Reason = c.Reason
				ps.Ref = refAt(n, bundle.KubeCoreDNSPodsPath, c.Line)
			}
			if c.LastReason != "" {
				ps.LastReason = c.LastReason
			}
		}
		b.c.CoreDNSPodStates = append(b.c.CoreDNSPodStates, ps)
	}
}

// poolOverlaps finds enabled pools that contain a node address or an upstream
// resolver: Calico treats them as pod addresses, so natOutgoing skips them and
// routes may point into the pod network.
func (b *builder) poolOverlaps() {
	type addr struct {
		ip   netip.Addr
		what string
		ref  facts.Ref
	}
	var addrs []addr
	seen := map[netip.Addr]bool{}
	add := func(s, what string, ref facts.Ref) {
		a, err := netip.ParseAddr(s)
		if err != nil || seen[a] || a.IsLoopback() || linkLocal.Contains(a) {
			return
		}
		seen[a] = true
		addrs = append(addrs, addr{a, what, ref})
	}
	for i := range b.c.Nodes {
		n := &b.c.Nodes[i]
		for li := range n.Links {
			l := &n.Links[li]
			if internalLink(*l) {
				continue
			}
			for j, p := range l.Addrs {
				if pp, err := netip.ParsePrefix(p); err == nil && j < len(l.AddrLines) {
					add(pp.Addr().String(), "address of node "+n.Name+" ("+l.Name+")", addrRef(b.nodes[i], l, j))
				}
			}
		}
	}
	for _, k := range b.c.KubeNodes {
		add(k.InternalIP, "InternalIP of node "+k.Name, k.Ref)
	}
	resolvers := map[string]bool{}
	for _, fw := range b.c.CoreDNSConfig.Forwards {
		for _, t := range fw.To {
			h := strings.TrimPrefix(strings.TrimPrefix(t, "dns://"), "udp://")
			if ap, err := netip.ParseAddrPort(h); err == nil {
				h = ap.Addr().String()
			}
			if _, err := netip.ParseAddr(h); err == nil {
				add(h, "upstream resolver CoreDNS forwards to", fw.Ref)
				resolvers[h] = true
			}
		}
		if fw.ToResolvConf {
			for i, n := range b.nodes {
				if n.Resolv == nil {
					continue
				}
				for _, e := range n.Resolv.Nameservers {
					add(e.Addr.WithZone("").String(), "upstream resolver in "+b.c.Nodes[i].Name+"'s resolv.conf", refAt(n, bundle.ResolvConfPath, e.Line))
				}
			}
		}
	}
	for _, u := range b.c.CoreDNSLog.Upstreams {
		add(u, "upstream resolver CoreDNS times out on", facts.Ref{})
	}
	for _, p := range b.c.Pools {
		if p.Disabled {
			continue
		}
		pp, err := netip.ParsePrefix(p.CIDR)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if pp.Contains(a.ip) {
				b.c.PoolOverlaps = append(b.c.PoolOverlaps, facts.PoolOverlap{Pool: p.Name, CIDR: p.CIDR, Addr: a.ip.String(), What: a.what, Ref: p.Ref, AddrRef: a.ref})
			}
		}
	}
}

// policies evaluates network policy for pod → DNS.
func (b *builder) policies() {
	pc := &b.c.Policies
	var k8s *kube.NetworkPolicies
	var cal []*calico.Policies
	var ns *kube.Namespaces
	var pods *kube.Pods
	var src = map[string]string{} // policy source → node holding it
	var svc string
	for _, n := range b.sources {
		if k8s == nil && n.NetPols != nil {
			k8s, src["kube"] = n.NetPols, n.Name
			b.markHas(n, facts.HasNetPol)
		}
		for _, p := range []struct {
			path string
			r    *calico.Policies
		}{{bundle.CalicoPoliciesPath, n.CalicoPolicies}, {bundle.CalicoGlobalPolicies, n.CalicoGlobal}} {
			if p.r != nil && src[p.path] == "" {
				cal = append(cal, p.r)
				src[p.path] = n.Name
				b.markHas(n, facts.HasCalicoPolicies)
			}
		}
		if ns == nil && n.Namespaces != nil {
			ns = n.Namespaces
			b.markHas(n, facts.HasNamespaces)
		}
		if pods == nil && n.Pods != nil {
			pods = n.Pods
		}
		if svc == "" && n.DNSService != nil {
			for _, s := range n.DNSService.Services {
				svc = s.Namespace + "/" + s.Name
				break
			}
		}
	}
	if k8s == nil && len(cal) == 0 {
		pc.Why = "no network policies in the bundles (kube/networkpolicies.json, calico/networkpolicies.yaml, calico/globalnetworkpolicies.yaml)"
		return
	}
	set := netpol.New(k8s, cal, ns)
	if k8s != nil {
		pc.Count += len(k8s.Policies)
	}
	for _, c := range cal {
		pc.Count += len(c.Policies)
	}
	var targets []netpol.Endpoint
	if pods != nil {
		for _, p := range pods.Pods {
			if !p.PodIP.IsValid() || p.HostNetwork {
				continue
			}
			targets = append(targets, netpol.Endpoint{Pod: true, Name: fmt.Sprintf("CoreDNS pod %s (%s)", p.Name, p.PodIP), Namespace: p.Namespace,
				Labels: p.Labels, NSLabels: set.NSLabels[p.Namespace], ServiceAccount: p.ServiceAccount, IP: p.PodIP, Ports: p.Ports, Service: svc})
			break // CoreDNS pods share labels and ports: one stands for all
		}
	}
	nodeLocal := map[string]bool{}
	for _, n := range b.c.Nodes {
		if a := n.NodeLocalDNS.Addr; a != "" && !nodeLocal[a] {
			nodeLocal[a] = true
			targets = append(targets, netpol.Endpoint{Name: "NodeLocal DNS " + a, IP: netip.MustParseAddr(a)})
		}
	}
	if len(targets) == 0 {
		pc.Why = "the CoreDNS pods (kube/coredns-pods.json: labels, ports, address) are not in the bundles and no NodeLocal DNS address is known"
		return
	}
	pc.Checked = true
	if ns == nil {
		pc.Why = "namespace labels are not in the bundles (kube/namespaces.json): namespace selectors were judged on the kubernetes.io/metadata.name label alone"
	}
	var names []string
	seenNS := map[string]bool{}
	addNS := func(s string) {
		if s != "" && !seenNS[s] {
			seenNS[s] = true
			names = append(names, s)
		}
	}
	if ns != nil {
		for _, x := range ns.Namespaces {
			addNS(x.Name)
		}
	}
	if k8s != nil {
		for _, p := range k8s.Policies {
			addNS(p.Namespace)
		}
	}
	for _, c := range cal {
		for _, p := range c.Policies {
			addNS(p.Namespace)
		}
	}
	sort.Strings(names)
	for _, d := range set.CheckDNS(names, targets) {
		file := bundle.NetworkPoliciesPath
		if d.Source == "calico" {
			file = bundle.CalicoPoliciesPath
			if d.Kind == netpol.KindCalicoGloba {
				file = bundle.CalicoGlobalPolicies
			}
		}
		line := d.PolicyLine
		if d.RuleLine > 0 {
			line = d.RuleLine
		}
		var ref facts.Ref
		if owner := b.node(src[map[bool]string{true: "kube", false: file}[d.Source == "kube"]]); owner != nil {
			ref = refAt(owner, file, line)
		}
		pc.Denials = append(pc.Denials, facts.PolicyDenial{
			Direction: string(d.Direction), Scope: d.Scope, Namespace: d.Namespace, Client: d.Client,
			Target: d.Target.Name, TargetIP: d.Target.IP.String(), Protos: d.Protos,
			Policy: d.Policy, Kind: d.Kind, Tier: d.Tier, Why: d.Why, Fix: d.Fix, Ref: ref,
		})
	}
}

func (b *builder) node(name string) *load.Node {
	for _, n := range b.nodes {
		if n.Name == name && name != "" {
			return n
		}
	}
	return nil
}

// markHas records that src holds what key names: on its node, or on every
// node when src is the cluster/ folder of collect cluster (it holds the
// cluster's objects for all of them).
func (b *builder) markHas(src *load.Node, key string) {
	for i, n := range b.nodes {
		if n == src || src.ClusterScope() {
			b.c.Nodes[i].Has[key] = true
		}
	}
}
