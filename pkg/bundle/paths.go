package bundle

// Paths of the bundle layout (../shared/spec/bundle-layout.md), relative to the
// bundle's top folder. The collector writes them and the analyzer reads them, so
// they are defined once, here.
const (
	ManifestPath = "manifest.json"

	HostnamePath  = "host/hostname"
	UnamePath     = "host/uname.txt"
	OSReleasePath = "host/os-release"
	SysctlPath    = "host/sysctl.txt"
	// KubeletConfigPath is the kubelet's configuration file (clusterDNS).
	KubeletConfigPath = "host/kubelet-config.yaml"

	IPAddrPath       = "net/ip-addr.txt"
	IPLinkPath       = "net/ip-link.txt"
	IPRoutePath      = "net/ip-route.txt"
	IPRulePath       = "net/ip-rule.txt"
	IPNeighPath      = "net/ip-neigh.txt"
	BridgeFDBPath    = "net/bridge-fdb.txt"
	IPRouteAllPath   = "net/ip-route-all.txt"
	RouteGetPath     = "net/route-get.txt"
	IPTablesSavePath = "net/iptables-save.txt"
	NFTRulesetPath   = "net/nft-ruleset.txt"
	IPSetListPath    = "net/ipset-list.txt"
	ConntrackStats   = "net/conntrack-stats.txt"

	IPVSPath      = "ipvs/ipvsadm-Ln.txt"
	IPVSStatsPath = "ipvs/ipvsadm-Ln-stats.txt"

	EthtoolDir = "ethtool" // ethtool/IFNAME.txt: `ethtool -k IFNAME`

	CalicoEnvPath       = "calico/calico-node-env.txt"
	CalicoDaemonSetPath = "calico/calico-node-daemonset.yaml"
	CalicoIPPoolsPath   = "calico/ippools.yaml"
	CalicoFelixPath     = "calico/felixconfig.yaml"
	BirdProtocolsPath   = "calico/bird-protocols.txt"

	KubeNodesPath        = "kube/nodes.json"
	KubeDNSEndpointsPath = "kube/kube-dns-endpoints.json"
	KubeCoreDNSPodsPath  = "kube/coredns-pods.json"
	KubeProxyConfigPath  = "kube/kube-proxy-config.yaml"
	// KubeDNSServicePath holds the DNS Service selected by its label
	// k8s-app=kube-dns, whatever its name; KubeDNSServiceLegacyPath is where
	// collectors before layout 1.1 wrote the kube-dns Service by name.
	KubeDNSServicePath       = "kube/dns-service.json"
	KubeDNSServiceLegacyPath = "kube/kube-dns-service.json"

	ResolvConfPath = "dns/resolv.conf"
	DNSProbePath   = "dns/probe.json"

	PcapDir = "pcap" // pcap/IFNAME.pcap and pcap/IFNAME.json

	CountersBeforeDir = "counters/before"
	CountersAfterDir  = "counters/after"

	CalicoNodeLogPath = "logs/calico-node.log"
	KubeProxyLogPath  = "logs/kube-proxy.log"
)

// Files of the causes beyond the runbook's path (layout 1.1): kernel log,
// conntrack statistics without conntrack-tools, CoreDNS's configuration and
// logs, network policies of both kinds.
const (
	DmesgPath             = "host/dmesg.txt"
	ProcConntrackStatPath = "host/proc-net-stat-nf_conntrack"
	CorednsConfigMapPath  = "kube/coredns-configmap.yaml"
	NetworkPoliciesPath   = "kube/networkpolicies.json"
	NamespacesPath        = "kube/namespaces.json"
	CalicoPoliciesPath    = "calico/networkpolicies.yaml"
	CalicoGlobalPolicies  = "calico/globalnetworkpolicies.yaml"
	CorednsLogPath        = "logs/coredns.log"
	NodeLocalDNSLogPath   = "logs/node-local-dns.log"
)

// DNSServiceSelectors are the labels that mark the cluster's DNS Service,
// whatever its name, in the order they are tried: kubeadm, EKS, AKS, GKE,
// k3s, RKE2 and kubespray label it k8s-app=kube-dns (kubespray names it
// coredns, RKE2 rke2-coredns-rke2-coredns); the CoreDNS Helm chart without
// isClusterService labels it app.kubernetes.io/name=coredns, some
// distributions k8s-app=coredns. collect finds the Service with them, analyze
// recognises it in kube/dns-service.json with them.
func DNSServiceSelectors() []string {
	return []string{
		"k8s-app=kube-dns",
		"k8s-app=coredns",
		"app.kubernetes.io/name=coredns",
		"app.kubernetes.io/name=rke2-coredns",
		"kubernetes.io/name=CoreDNS",
	}
}

// MaxRouteGets bounds the lookups collect writes into RouteGetPath: the
// can-reach target, the DNS Service IP, the CoreDNS pods, then peer nodes
// until the bound (a big cluster's node does not ask about every peer).
const MaxRouteGets = 256
