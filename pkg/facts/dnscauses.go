package facts

// Source kinds of the causes beyond the runbook's path.
const (
	HasKernelLog      = "kernelLog"
	HasCorefile       = "corefile"
	HasCoreDNSLog     = "coreDNSLog"
	HasNodeLocalLog   = "nodeLocalDNSLog"
	HasNetPol         = "netpol"       // kube/networkpolicies.json
	HasCalicoPolicies = "calicoPolicy" // calico/*networkpolicies.yaml
	HasNamespaces     = "namespaces"
	HasKubelet        = "kubelet"
)

// KernelLog is what host/dmesg.txt says.
type KernelLog struct {
	Known bool `json:"known"`
	// ConntrackFull counts "nf_conntrack: table full, dropping packet".
	ConntrackFull    int `json:"conntrackFull"`
	ConntrackFullRef Ref `json:"conntrackFullRef"`
	// NeighOverflow counts "neighbor table overflow".
	NeighOverflow    int `json:"neighOverflow"`
	NeighOverflowRef Ref `json:"neighOverflowRef"`
	Ref              Ref `json:"ref"`
}

// NodeLocalDNS is the node's NodeLocal DNSCache as its bundle shows it.
type NodeLocalDNS struct {
	// Addr is the link-local cache address the node's pods are sent to
	// (kubelet clusterDNS), "" when they are not sent to one; AddrRef the line.
	Addr    string `json:"addr"`
	AddrRef Ref    `json:"addrRef"`
	// OnIface: the address sits on an interface of the node (nodelocaldns, a
	// dummy); IfaceKnown: the node's addresses were read.
	OnIface    bool   `json:"onIface"`
	IfaceKnown bool   `json:"ifaceKnown"`
	Iface      string `json:"iface"`
	IfaceRef   Ref    `json:"ifaceRef"`
	// NotrackRules: raw-table NOTRACK rules for the address (the cache installs
	// them so its traffic skips conntrack); RulesKnown: iptables-save was read.
	NotrackRules int  `json:"notrackRules"`
	RulesKnown   bool `json:"rulesKnown"`
	// Errors: bind and setup errors of the cache's log.
	Errors []LogEvent `json:"errors"`
}

// CoreDNSConfig is the Corefile.
type CoreDNSConfig struct {
	Known    bool             `json:"known"`
	Ref      Ref              `json:"ref"`
	Forwards []CoreDNSForward `json:"forwards"`
	// Loop: the loop plugin is loaded (CoreDNS stops on a forwarding loop).
	Loop    bool `json:"loop"`
	LoopRef Ref  `json:"loopRef"`
}

// CoreDNSForward is one forward (or proxy) plugin.
type CoreDNSForward struct {
	Zone string   `json:"zone"`
	To   []string `json:"to"`
	// ToResolvConf: it forwards to /etc/resolv.conf, which in a CoreDNS pod
	// (dnsPolicy Default) is the node's file.
	ToResolvConf bool `json:"toResolvConf"`
	Ref          Ref  `json:"ref"`
}

// CoreDNSLog is what the CoreDNS pods logged (logs/coredns.log).
type CoreDNSLog struct {
	Known bool `json:"known"`
	// Loops: "[FATAL] plugin/loop: Loop ... detected", one per pod at most.
	Loops []LogEvent `json:"loops"`
	// UpstreamTimeouts: errors-plugin timeouts talking to upstream servers.
	UpstreamTimeouts int        `json:"upstreamTimeouts"`
	Upstreams        []string   `json:"upstreams"` // the servers they name
	TimeoutEvents    []LogEvent `json:"timeoutEvents"`
	// Unreadable: the log of some pod could not be fetched (403 and the like).
	Unreadable []LogEvent `json:"unreadable"`
}

// PolicyCheck is the evaluation of network policy for pod → DNS.
type PolicyCheck struct {
	// Checked: policies were read (Kubernetes or Calico) and evaluated; Why
	// says what was missing when not.
	Checked bool           `json:"checked"`
	Why     string         `json:"why"`
	Count   int            `json:"count"` // policies evaluated
	Denials []PolicyDenial `json:"denials"`
}

// PolicyDenial is one DNS flow the policies block.
type PolicyDenial struct {
	Direction string   `json:"direction"` // Egress (at the client), Ingress (at CoreDNS)
	Scope     string   `json:"scope"`     // namespace (every pod), pods (pods with Client's labels)
	Namespace string   `json:"namespace"`
	Client    string   `json:"client"`
	Target    string   `json:"target"` // "CoreDNS pod NAME (IP)", "NodeLocal DNS 169.254.20.10"
	TargetIP  string   `json:"targetIP"`
	Protos    []string `json:"protos"`
	Policy    string   `json:"policy"`
	Kind      string   `json:"kind"`
	Tier      string   `json:"tier"`
	Why       string   `json:"why"`
	Fix       string   `json:"fix"`
	Ref       Ref      `json:"ref"` // the policy (or its deciding rule)
}

// PoolOverlap is a Calico IP pool that contains an address outside the pod
// network: natOutgoing skips traffic to it, so replies never find their way.
type PoolOverlap struct {
	Pool string `json:"pool"`
	CIDR string `json:"cidr"`
	Addr string `json:"addr"`
	What string `json:"what"` // "node address of worker-1", "upstream resolver of CoreDNS"
	Ref  Ref    `json:"ref"`  // the pool
	// AddrRef is where the address comes from.
	AddrRef Ref `json:"addrRef"`
}

// PodState is a pod's health as the API reports it.
type PodState struct {
	Name     string `json:"name"`
	Node     string `json:"node"`
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
	// Reason is a waiting or terminated container's reason (CrashLoopBackOff,
	// Error, OOMKilled), LastReason why it last died.
	Reason     string `json:"reason"`
	LastReason string `json:"lastReason"`
	Ref        Ref    `json:"ref"`
}
