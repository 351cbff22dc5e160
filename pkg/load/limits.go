package load

import (
	"path"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// Size limits per file kind. Each is fitted to what the largest clusters
// Kubernetes supports produce (5,000 nodes, 150,000 pods, 10,000 Services),
// with a wide margin, so that a real file always fits and a hostile or broken
// one is refused before it is read: a parser's structures take several times
// the text they come from, and several bundles are loaded at once. The
// figures are in the README.
const (
	// Routes: one per Calico block of the cluster (5,000 nodes x a few /26
	// blocks) plus the node's pods, ~80 bytes each: ~2 MB.
	limitRoutes = 32 << 20
	// iptables-save -c, nft, ipset of kube-proxy with 10,000 Services and
	// their endpoints: tens of MB.
	limitFirewall = 128 << 20
	// ipvsadm -Ln of 10,000 Services with their real servers: ~10 MB.
	limitIPVS = 32 << 20
	// Kubernetes object lists (nodes with their status, pods, policies): a
	// 5,000-node list is ~60 MB.
	limitKubeList = 128 << 20
	// Links, addresses, neighbours, FDB of a node: hundreds of interfaces,
	// one FDB entry per peer node.
	limitNetTable = 16 << 20
	// Logs: the collector keeps a 2 MiB tail; hand-made bundles may hold more.
	limitLog = 32 << 20
	// sysctl -a, conntrack and ethtool outputs, configuration files.
	limitSmall = 8 << 20
)

// LimitFor is the most that is read of the bundle file p.
func LimitFor(p string) int64 {
	base := path.Base(p)
	switch {
	case p == bundle.IPRoutePath, p == bundle.IPRouteAllPath, p == bundle.RouteGetPath, p == bundle.IPRulePath:
		return limitRoutes
	case strings.Contains(base, "iptables-save"), p == bundle.NFTRulesetPath, p == bundle.IPSetListPath:
		return limitFirewall
	case strings.HasPrefix(base, "ipvsadm"):
		return limitIPVS
	case strings.HasPrefix(p, "kube/"), p == bundle.CalicoPoliciesPath, p == bundle.CalicoGlobalPolicies:
		return limitKubeList
	case p == bundle.IPAddrPath, p == bundle.IPLinkPath, p == bundle.IPNeighPath, p == bundle.BridgeFDBPath:
		return limitNetTable
	case strings.HasSuffix(base, ".log"), p == bundle.DmesgPath:
		return limitLog
	}
	return limitSmall
}
