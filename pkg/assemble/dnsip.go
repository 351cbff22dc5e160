package assemble

import (
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/kube"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/nft"
)

// DNS Service IP sources, most authoritative first.
const (
	dnsSrcFlag     = "flag"
	dnsSrcService  = "kube-service"
	dnsSrcKubelet  = "kubelet"
	dnsSrcIPTables = "iptables"
	dnsSrcNFT      = "nftables"
	dnsSrcIPVS     = "ipvs"
	dnsSrcIPVSOnly = "ipvs-udp53"
	dnsSrcDefault  = "default"
)

// proxyDNSEntry is a kube-proxy UDP/53 Service entry: its address, the
// Service it names (iptables comment, nftables chain; "" for IPVS) and where
// it sends the traffic.
type proxyDNSEntry struct {
	ip, ns, name, source string
	backends             []string
	ref                  facts.Ref
}

// dnsServiceIP decides the cluster DNS address from every source the bundles
// hold, in order of authority: the flag; the Service labelled k8s-app=kube-dns
// (whatever its name); the kubelet's clusterDNS (unless it is a NodeLocal
// DNSCache link-local address); kube-proxy's rules for the Service whose
// backends are the CoreDNS pods (iptables, nftables, IPVS); the only IPVS
// UDP/53 service. Only when none speaks is kubeadm's default used, and
// DNSServiceIPKnown then stays false so that no rule judges on it.
func (b *builder) dnsServiceIP(flag string) {
	c := b.c
	var cands []facts.Inference
	addCand := func(ip, source, note string, ref facts.Ref) {
		for _, have := range cands {
			if have.Value == ip && have.Source == source {
				return
			}
		}
		cands = append(cands, facts.Inference{Value: ip, Source: source, Note: note, Ref: ref})
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(flag)); err == nil {
		addCand(a.String(), dnsSrcFlag, "--dns-service-ip", facts.Ref{})
	}

	// The Service by label, whatever its name.
	for _, n := range b.sources {
		if n.DNSService == nil {
			continue
		}
		for _, s := range dnsServices(n.DNSService) {
			if !s.ClusterIP.IsValid() {
				continue
			}
			if c.DNSServiceName == "" {
				c.DNSServiceName, c.DNSServiceNamespace = s.Name, s.Namespace
			}
			addCand(s.ClusterIP.String(), dnsSrcService, "Service "+s.Namespace+"/"+s.Name, refAt(n, n.DNSServicePath, s.ClusterIPLine))
		}
	}

	// The kubelet tells pods which nameserver to use.
	for _, n := range b.sources {
		if n.Kubelet == nil || len(n.Kubelet.ClusterDNS) == 0 {
			continue
		}
		a := n.Kubelet.ClusterDNS[0]
		note := "clusterDNS"
		if a.Addr.IsLinkLocalUnicast() || a.Addr.IsLoopback() {
			note = "clusterDNS is a node-local cache address (NodeLocal DNSCache), not the Service"
		}
		addCand(a.Addr.String(), dnsSrcKubelet, note, refAt(n, bundle.KubeletConfigPath, a.Line))
	}

	// kube-proxy's view: the UDP/53 Service entries of each mode.
	coreIPs := b.coreDNSKubeIPs(c.DNSServiceName)
	var entries []proxyDNSEntry
	for i, n := range b.nodes {
		entries = append(entries, iptablesDNSEntries(n)...)
		entries = append(entries, nftDNSEntries(n)...)
		for _, s := range c.Nodes[i].IPVS {
			if s.Proto != "UDP" || s.Port != 53 {
				continue
			}
			e := proxyDNSEntry{ip: s.VIP, source: dnsSrcIPVS, ref: refAt(n, bundle.IPVSPath, int(s.Line))}
			for _, r := range s.Reals {
				e.backends = append(e.backends, r.IP)
			}
			entries = append(entries, e)
		}
	}
	picked := pickProxyEntries(entries, c.DNSServiceName, coreIPs)
	for _, e := range picked {
		note := "kube-proxy rule"
		if e.name != "" {
			note += " for " + e.ns + "/" + e.name
		}
		if len(coreIPs) > 0 && overlaps(e.backends, coreIPs) {
			note += ", backends are the CoreDNS pods"
		}
		addCand(e.ip, e.source, note, e.ref)
	}
	if len(picked) == 0 {
		// No entry is tied to DNS by name or backends: an IPVS UDP/53 service
		// is DNS when it is the only one.
		ips := map[string]proxyDNSEntry{}
		for _, e := range entries {
			if e.source == dnsSrcIPVS {
				if _, ok := ips[e.ip]; !ok {
					ips[e.ip] = e
				}
			}
		}
		if len(ips) == 1 {
			for _, e := range ips {
				addCand(e.ip, dnsSrcIPVSOnly, "the only IPVS UDP/53 virtual service", e.ref)
			}
		}
	}

	c.DNSServiceIPCandidates = cands
	for _, cand := range cands {
		if cand.Source == dnsSrcKubelet && strings.HasPrefix(cand.Note, "clusterDNS is a node-local") {
			continue
		}
		c.DNSServiceIP, c.DNSServiceIPSource, c.DNSServiceIPRef = cand.Value, cand.Source, cand.Ref
		c.DNSServiceIPKnown = true
		break
	}
	if !c.DNSServiceIPKnown {
		c.DNSServiceIP, c.DNSServiceIPSource = DefaultDNSServiceIP, dnsSrcDefault
	}
	if c.DNSServiceName == "" {
		for _, e := range picked {
			if e.ip == c.DNSServiceIP && e.name != "" {
				c.DNSServiceName, c.DNSServiceNamespace = e.name, e.ns
				break
			}
		}
	}
}

// dnsServices are the Services labelled k8s-app=kube-dns, else those with the
// first other DNS label that any carries (bundle.DNSServiceSelectors, the
// labels collect finds the DNS Service by); without labels in the file (a
// hand-made one), the Service named kube-dns.
func dnsServices(r *kube.Services) []kube.Service {
	var out []kube.Service
	for _, sel := range bundle.DNSServiceSelectors() {
		key, val, _ := strings.Cut(sel, "=")
		for _, s := range r.Services {
			if s.Labels[key] == val {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			break
		}
	}
	if len(out) == 0 {
		for _, s := range r.Services {
			if len(s.Labels) == 0 && s.Name == "kube-dns" {
				out = append(out, s)
			}
		}
	}
	return out
}

// coreDNSKubeIPs are the CoreDNS pod addresses kube data lists.
func (b *builder) coreDNSKubeIPs(svcName string) map[string]bool {
	ips := map[string]bool{}
	for _, n := range b.sources {
		if n.Endpoints != nil {
			for _, e := range n.Endpoints.Items {
				if !isDNSEndpoints(e, svcName, len(n.Endpoints.Items)) {
					continue
				}
				for _, a := range e.Addresses {
					if a.IP.IsValid() {
						ips[a.IP.String()] = true
					}
				}
			}
		}
		if n.Pods != nil {
			for _, p := range n.Pods.Pods {
				if p.PodIP.IsValid() && p.Phase != "Succeeded" && p.Phase != "Failed" {
					ips[p.PodIP.String()] = true
				}
			}
		}
	}
	return ips
}

// isDNSEndpoints says whether an Endpoints object (or slice) of the kube-dns
// endpoints file belongs to the DNS Service: by the Service's name when known,
// else kube-dns, else the only object of the file.
func isDNSEndpoints(e kube.Endpoints, svcName string, count int) bool {
	for _, name := range []string{e.Service, e.Name} {
		if name == "" {
			continue
		}
		if name == "kube-dns" || svcName != "" && name == svcName {
			return true
		}
	}
	if e.Name == "" && e.Service == "" {
		return true
	}
	return count == 1 && (e.Namespace == "" || e.Namespace == "kube-system")
}

// iptablesDNSEntries reads KUBE-SERVICES rules for UDP port 53 of a
// kube-system Service: `-d IP/32 -p udp -m comment --comment
// "kube-system/NAME:PORT cluster IP" -m udp --dport 53 -j KUBE-SVC-...`.
func iptablesDNSEntries(n *load.Node) []proxyDNSEntry {
	if n.IPTables == nil {
		return nil
	}
	var out []proxyDNSEntry
	for _, r := range n.IPTables.RulesIn("nat", "KUBE-SERVICES") {
		if !r.DstPrefix.IsValid() || !r.DstPrefix.IsSingleIP() || r.Protocol != "udp" || r.DPort != "53" {
			continue
		}
		ns, name := "", ""
		for _, cm := range r.Comments {
			svc, _, _ := strings.Cut(strings.Fields(cm + " ")[0], ":")
			if a, b, ok := strings.Cut(svc, "/"); ok {
				ns, name = a, b
			}
		}
		if ns != "kube-system" {
			continue
		}
		ip := r.DstPrefix.Addr()
		e := proxyDNSEntry{ip: ip.String(), ns: ns, name: name, source: dnsSrcIPTables, ref: refAt(n, bundle.IPTablesSavePath, r.Line)}
		for _, be := range n.IPTables.ServiceBackends(ip) {
			e.backends = append(e.backends, be.Dest.Addr().String())
		}
		out = append(out, e)
	}
	return out
}

// nftDNSEntries reads kube-proxy's service-ips map for UDP port 53 of a
// kube-system Service.
func nftDNSEntries(n *load.Node) []proxyDNSEntry {
	if n.NFT == nil {
		return nil
	}
	var out []proxyDNSEntry
	for _, s := range n.NFT.ServiceIPs() {
		if s.Proto != "udp" || s.Port != 53 {
			continue
		}
		ns, name, _, _, ok := nft.ServiceName(s.Chain)
		if !ok || ns != "kube-system" {
			continue
		}
		fam := "ip"
		if s.Addr.Is6() {
			fam = "ip6"
		}
		e := proxyDNSEntry{ip: s.Addr.String(), ns: ns, name: name, source: dnsSrcNFT, ref: refAt(n, bundle.NFTRulesetPath, s.Line)}
		for _, ep := range n.NFT.ServiceEndpoints(fam, s.Chain) {
			e.backends = append(e.backends, ep.Dest.Addr().String())
		}
		out = append(out, e)
	}
	return out
}

// pickProxyEntries keeps the kube-proxy entries that are the DNS Service: by
// the Service's name when a bundle names it; else those sending to the CoreDNS
// pods; else those of a Service named kube-dns or *coredns*.
func pickProxyEntries(entries []proxyDNSEntry, svcName string, coreIPs map[string]bool) []proxyDNSEntry {
	filter := func(keep func(e proxyDNSEntry) bool) []proxyDNSEntry {
		var out []proxyDNSEntry
		for _, e := range entries {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	if svcName != "" {
		if out := filter(func(e proxyDNSEntry) bool { return e.name == svcName }); len(out) > 0 {
			return out
		}
	}
	if len(coreIPs) > 0 {
		if out := filter(func(e proxyDNSEntry) bool { return overlaps(e.backends, coreIPs) }); len(out) > 0 {
			return out
		}
	}
	return filter(func(e proxyDNSEntry) bool {
		return e.name == "kube-dns" || strings.Contains(e.name, "coredns")
	})
}

func overlaps(ips []string, set map[string]bool) bool {
	for _, ip := range ips {
		if set[ip] {
			return true
		}
	}
	return false
}
