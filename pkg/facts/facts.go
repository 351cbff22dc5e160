// Package facts is the one cluster model every rule reads: what the bundles of
// several nodes say, joined, plus what a support engineer would work out by hand
// from them (which node hosts each CoreDNS pod, which address a node sends its
// tunnel packets from, ...).
//
// It imports nothing from this repository, so that rules, renderers and future
// producers (a live DaemonSet, an HTML map) share it without pulling in parsers.
// Field names are the JSON tags; the rule engine exposes the same names to CEL, so
// a misspelled field in a rule fails when the rule is loaded, not when it runs.
//
// Addresses and prefixes are strings in canonical form ("10.0.0.1",
// "10.40.52.128/26"); CEL rules handle them with ip()/cidr() helpers. Anything
// that may be unknown has a companion Known flag or an empty value, and
// Node.Has tells which sources a bundle held: a rule must be able to tell
// "absent" from "not collected".
package facts

import (
	"encoding/json"
	"math"
	"net/netip"
	"reflect"
)

// Encapsulation values, as the report contract spells them.
const (
	EncapIPIP    = "ipip"
	EncapVXLAN   = "vxlan"
	EncapNone    = "none"
	EncapMixed   = "mixed"
	EncapUnknown = "unknown"
)

// Source kinds a node may or may not have; the keys of Node.Has and of a rule's
// `needs:` list.
const (
	HasIPVS      = "ipvs"
	HasRoutes    = "routes"
	HasLinks     = "links"
	HasAddrs     = "addrs"
	HasEthtool   = "ethtool"
	HasSysctl    = "sysctl"
	HasCalicoEnv = "calicoEnv"
	HasCalicoLog = "calicoLog"
	HasBird      = "bird"
	HasIPTables  = "iptables"
	HasNFT       = "nft"
	HasIPSet     = "ipset"
	HasKernel    = "kernel"
	HasKubeNodes = "kubeNodes"
	HasKubeDNS   = "kubeDNS" // kube-dns endpoints or CoreDNS pods
	HasKubeProxy = "kubeProxy"
	HasPools     = "pools"
	HasFelix     = "felix"
	HasRouteGet  = "routeGet"
	HasNeigh     = "neigh"
	HasFDB       = "fdb"
	HasConntrack = "conntrack"
	HasCapture   = "capture"
	HasResolv    = "resolv"
)

// Ref points at the evidence: a line of a file of one node's bundle (Line 0: the
// file as a whole). Text is the line as it stands. Its node and file are
// Node() and File(), "node" and "file" in JSON and CEL (see celext).
type Ref struct {
	// loc is the node and file, shared by every ref into that file: a
	// fleet's model holds millions of refs (every route, BGP session,
	// sysctl of every node), and two strings each were half their bytes.
	loc *Loc
	// Line and Packet are int32 (a bundle's files are capped far below 2^31
	// lines or packets): a fleet's model holds millions of refs.
	Line int32 `json:"line,omitempty"`
	// Packet is the 1-based packet number in a capture file (Line is 0 then).
	Packet int32  `json:"packet,omitempty"`
	Text   string `json:"text,omitempty"`
}

// Loc is a file of one node's bundle, and where the text of its lines is
// found once a ref is cited (ResolveText): a fleet's facts hold hundreds of
// thousands of refs, and a report quotes a handful.
type Loc struct {
	node, file string
	src        *Source
}

// NewLoc is node's file, whose lines src quotes (nil: none).
func NewLoc(node, file string, src *Source) *Loc {
	return &Loc{node: node, file: file, src: src}
}

// LineSource gives the text of a line of one node's file, as Ref.Text quotes it.
type LineSource interface {
	LineText(file string, line int) string
}

// Source holds a LineSource by pointer: a Loc carries 8 bytes for it, not
// an interface's 16.
type Source struct{ LineSource }

// FileRef is the ref to node's file as a whole, or to one of its lines or
// packets once Line or Packet is set; it quotes no text of its own.
func FileRef(node, file string) Ref {
	if node == "" && file == "" {
		return Ref{}
	}
	return Ref{loc: &Loc{node: node, file: file}}
}

// NewRef is the ref to line of node's file (0: the whole file) with the text
// it quotes ("": none), for refs built by hand rather than read from a bundle.
func NewRef(node, file string, line int, text string) Ref {
	r := FileRef(node, file)
	r.Line, r.Text = int32(max(min(line, math.MaxInt32), 0)), text
	return r
}

// PacketRef is the ref to the 1-based packet of a capture file of node's
// bundle, with the text that says what the packet is.
func PacketRef(node, file string, packet int, text string) Ref {
	r := FileRef(node, file)
	r.Packet, r.Text = int32(max(min(packet, math.MaxInt32), 0)), text
	return r
}

// WithNode is r with its node set (a ref a rule built with a file alone).
func (r Ref) WithNode(node string) Ref {
	if r.loc == nil {
		return FileRef(node, "")
	}
	l := *r.loc
	l.node = node
	r.loc = &l
	return r
}

// RefAt is the ref to a line of l's file (0: the file as a whole).
func RefAt(l *Loc, line int) Ref {
	return Ref{loc: l, Line: int32(max(min(line, math.MaxInt32), 0))}
}

// Node is the node whose bundle holds the file, "" for the zero ref.
func (r Ref) Node() string {
	if r.loc == nil {
		return ""
	}
	return r.loc.node
}

// File is the bundle path of the file, "" for the zero ref.
func (r Ref) File() string {
	if r.loc == nil {
		return ""
	}
	return r.loc.file
}

// Equal reports whether r and o cite the same thing (node, file, line,
// packet and text): refs read from bundles share their Loc, refs built by
// hand do not, so == is not the test.
func (r Ref) Equal(o Ref) bool {
	return r.Line == o.Line && r.Packet == o.Packet && r.Text == o.Text && r.Node() == o.Node() && r.File() == o.File()
}

// refJSON is Ref as JSON has it.
type refJSON struct {
	Node   string `json:"node"`
	File   string `json:"file"`
	Line   int32  `json:"line,omitempty"`
	Packet int32  `json:"packet,omitempty"`
	Text   string `json:"text,omitempty"`
}

// MarshalJSON writes node and file beside line, packet and text.
func (r Ref) MarshalJSON() ([]byte, error) {
	return json.Marshal(refJSON{Node: r.Node(), File: r.File(), Line: r.Line, Packet: r.Packet, Text: r.Text})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Ref) UnmarshalJSON(b []byte) error {
	var j refJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = FileRef(j.Node, j.File)
	r.Line, r.Packet, r.Text = j.Line, j.Packet, j.Text
	return nil
}

// ResolveText fills Text from the ref's source, if it has one and no text
// yet.
func (r *Ref) ResolveText() {
	if r.loc == nil || r.loc.src == nil || r.loc.src.LineSource == nil {
		return
	}
	if r.Text == "" && r.Line > 0 {
		r.Text = r.loc.src.LineText(r.loc.file, int(r.Line))
	}
}

// ResolveRefs calls ResolveText on every Ref reachable from v (a pointer):
// fields, slices, arrays, maps and pointers are walked, so that a model or a
// list of findings about to be written out quotes every line it cites.
func ResolveRefs(v any) {
	resolveValue(reflect.ValueOf(v))
}

var refType = reflect.TypeOf(Ref{})

func resolveValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			resolveValue(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == refType {
			if v.CanAddr() {
				r := v.Addr().Interface().(*Ref)
				r.ResolveText()
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				resolveValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		if !mayHoldRef(v.Type().Elem()) {
			return
		}
		for i := 0; i < v.Len(); i++ {
			resolveValue(v.Index(i))
		}
	case reflect.Map:
		if !mayHoldRef(v.Type().Elem()) {
			return
		}
		// Map values are not addressable: resolve a copy and put it back.
		it := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var set []kv
		for it.Next() {
			c := reflect.New(it.Value().Type()).Elem()
			c.Set(it.Value())
			resolveValue(c)
			set = append(set, kv{it.Key(), c})
		}
		for _, e := range set {
			v.SetMapIndex(e.k, e.v)
		}
	}
}

// mayHoldRef reports whether a value of type t can reach a Ref, so that the
// walk skips the long lists of strings and numbers.
func mayHoldRef(t reflect.Type) bool {
	return mayHold(t, map[reflect.Type]bool{})
}

func mayHold(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == refType {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return mayHold(t.Elem(), seen)
	case reflect.Map:
		return mayHold(t.Elem(), seen)
	case reflect.Interface:
		return true
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() && mayHold(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// Cluster is every node given to one analysis, plus what holds across them.
type Cluster struct {
	// DNSServiceIP is the cluster DNS Service IP; DNSServiceIPSource says how it
	// was found, the most authoritative source first: "flag", "kube-service"
	// (the Service labelled k8s-app=kube-dns), "kubelet" (clusterDNS),
	// "iptables", "nftables", "ipvs" (kube-proxy's rules for the Service whose
	// backends are the CoreDNS pods), "ipvs-udp53" (the only IPVS UDP/53
	// service), or "default" (kubeadm's 10.96.0.10: nothing said otherwise; a
	// rule must not judge on it).
	DNSServiceIP       string `json:"dnsServiceIP"`
	DNSServiceIPSource string `json:"dnsServiceIPSource"`
	DNSServiceIPRef    Ref    `json:"dnsServiceIPRef"`
	// DNSServiceIPKnown is false when DNSServiceIP is only the default.
	DNSServiceIPKnown bool `json:"dnsServiceIPKnown"`
	// DNSServiceIPCandidates is every address a source named, in order of
	// authority; they disagree when a source is stale or misread.
	DNSServiceIPCandidates []Inference `json:"dnsServiceIPCandidates"`
	// DNSServiceName/DNSServiceNamespace name the DNS Service where a source
	// says so ("kube-dns", "rke2-coredns-rke2-coredns", ...).
	DNSServiceName      string `json:"dnsServiceName"`
	DNSServiceNamespace string `json:"dnsServiceNamespace"`

	// CalicoInstall is how Calico is installed here: "operator" (the tigera
	// operator's Installation resource owns calico-node, in calico-system),
	// "manifest" (the calico.yaml DaemonSet in kube-system, configured by its
	// env), or "" when no bundle tells. CalicoNamespace is calico-node's
	// namespace, CalicoInstallWhy the evidence in words. Remediations pick their
	// commands by it: the operator reverts edits to the DaemonSet.
	CalicoInstall    string `json:"calicoInstall"`
	CalicoNamespace  string `json:"calicoNamespace"`
	CalicoInstallWhy string `json:"calicoInstallWhy"`
	CalicoInstallRef Ref    `json:"calicoInstallRef"`

	// PodCIDRsSource says where PodCIDRs come from: "ippools", "calico-env",
	// "kube-proxy", "node-podcidr", "" (unknown).
	PodCIDRsSource string `json:"podCIDRsSource"`

	PodCIDRs []string `json:"podCIDRs"`
	Pools    []Pool   `json:"pools"`
	// Encapsulation is what the cluster uses: ipip, vxlan, none, mixed, unknown.
	Encapsulation    string `json:"encapsulation"`
	EncapsulationWhy string `json:"encapsulationWhy"`

	CoreDNS []CoreDNSPod `json:"coreDNS"`
	// CoreDNSKnown is true when the CoreDNS pod IPs come from kube data or IPVS.
	CoreDNSKnown bool `json:"coreDNSKnown"`

	Nodes []Node `json:"nodes"`

	// Lookup, when set (assemble sets it once the model is final), answers
	// the cluster-wide lookups (a node by name, the owner of an address or
	// of a pod address, the KubeNodes by name) without a scan: rules ask
	// them per block of every node, which a scan makes cubic in the nodes.
	// Not part of the model's JSON or of CEL.
	Lookup ClusterLookup `json:"-"`

	// Blocks are the pod blocks known anywhere in the bundles, each with the
	// node that owns it: a node's own blackhole/cali routes, the tunnel
	// address Calico annotates on each Node object, the CoreDNS pods' nodes.
	// Route rules judge every node's route to every block it does not own.
	Blocks []PodBlock `json:"blocks"`

	// KubeNodes are the Kubernetes Node objects any bundle held: they name nodes
	// whose bundle is absent and give each its InternalIP.
	KubeNodes []KubeNode `json:"kubeNodes"`

	// TunnelPaths: for each ordered pair of nodes, what the captures say about
	// tunnel packets from one to the other (only pairs a capture saw traffic of).
	TunnelPaths []TunnelPath `json:"tunnelPaths"`

	// FelixIPIPEnabled/FelixVXLANEnabled: "true", "false" or "" (unknown), from the
	// default FelixConfiguration or the calico-node env.
	FelixIPIPEnabled  string `json:"felixIPIPEnabled"`
	FelixVXLANEnabled string `json:"felixVXLANEnabled"`
	FelixRef          Ref    `json:"felixRef"`

	// The causes beyond the runbook's path (dnscauses.go).
	CoreDNSConfig CoreDNSConfig `json:"coreDNSConfig"`
	CoreDNSLog    CoreDNSLog    `json:"coreDNSLog"`
	// CoreDNSPodStates: each CoreDNS pod's readiness and restarts (kube/coredns-pods.json).
	CoreDNSPodStates []PodState  `json:"coreDNSPodStates"`
	Policies         PolicyCheck `json:"policies"`
	// CalicoPolicyOnly: Calico enforces policy only and another CNI routes the
	// pods (AWS VPC CNI, Azure CNI, GKE; flannel in canal): Calico's routes and
	// tunnels do not apply. CalicoPolicyOnlyWhy is the evidence in words,
	// CalicoPolicyOnlyRef the line that shows it (see assemble's policyOnly).
	CalicoPolicyOnly    bool   `json:"calicoPolicyOnly"`
	CalicoPolicyOnlyWhy string `json:"calicoPolicyOnlyWhy"`
	CalicoPolicyOnlyRef Ref    `json:"calicoPolicyOnlyRef"`
	// CalicoPolicyOnlyDoubt: a signal said policy-only mode but a node shows
	// Calico routing pods, so the route and tunnel rules still run; why.
	CalicoPolicyOnlyDoubt string `json:"calicoPolicyOnlyDoubt"`
	// CalicoAbsent: the bundles show Calico is not installed (a cloud CNI,
	// Cilium or flannel alone): Calico's routes and tunnels do not apply.
	// CalicoAbsentWhy is the evidence in words, CalicoAbsentRefs where each
	// node shows it (see assemble's calicoAbsent).
	CalicoAbsent     bool   `json:"calicoAbsent"`
	CalicoAbsentWhy  string `json:"calicoAbsentWhy"`
	CalicoAbsentRefs []Ref  `json:"calicoAbsentRefs"`
	// CloudCNI names the CNI that routes the pods in policy-only mode, where
	// its pod interfaces show it ("the AWS VPC CNI", "Azure CNI", "GKE's
	// dataplane"), "" otherwise.
	CloudCNI     string        `json:"cloudCNI"`
	PoolOverlaps []PoolOverlap `json:"poolOverlaps"`
}

// Inference is one value a source gave, with where it says so.
type Inference struct {
	Value  string `json:"value"`
	Source string `json:"source"`
	Note   string `json:"note,omitempty"`
	Ref    Ref    `json:"ref"`
}

// KubeNode is a Kubernetes Node object.
type KubeNode struct {
	Name       string   `json:"name"`
	InternalIP string   `json:"internalIP"`
	Addresses  []string `json:"addresses"`
	// CalicoIP is the projectcalico.org/IPv4Address annotation (prefix form);
	// TunnelAddr its IPIP or VXLAN tunnel address annotation.
	CalicoIP   string `json:"calicoIP"`
	TunnelAddr string `json:"tunnelAddr"`
	Ready      bool   `json:"ready"`
	Ref        Ref    `json:"ref"`
}

// Pool is a Calico IP pool.
type Pool struct {
	Name      string `json:"name"`
	CIDR      string `json:"cidr"`
	BlockSize int    `json:"blockSize"`
	IPIPMode  string `json:"ipipMode"`  // Always, CrossSubnet, Never, "" (not set)
	VXLANMode string `json:"vxlanMode"` // Always, CrossSubnet, Never, "" (not set)
	// Encapsulation is ipip, vxlan, none, or "" when the modes are not set.
	Encapsulation string `json:"encapsulation"`
	Disabled      bool   `json:"disabled"`
	Ref           Ref    `json:"ref"`
}

// PodBlock is one Calico IPAM block (or one node's pod range).
type PodBlock struct {
	CIDR string `json:"cidr"`
	// Node owns the block ("" when no source says which node does).
	Node string `json:"node"`
	// IP is the address of the block the route rules look up: a CoreDNS pod's
	// when one lives there, else the owner's tunnel address, else the first
	// address of the block.
	IP string `json:"ip"`
	// Source: "routes" (the owner's blackhole or cali* routes), "annotation"
	// (the Node's projectcalico.org tunnel address), "coredns" (a CoreDNS
	// pod's node).
	Source string `json:"source"`
	// BlockSizeKnown is false when the prefix length is Calico's default (26)
	// because no IP pool said otherwise.
	BlockSizeKnown bool `json:"blockSizeKnown"`
	// CoreDNS lists the current CoreDNS pods in the block: a fault on the
	// route to it is on the DNS path.
	CoreDNS []string `json:"coreDNS"`
	Ref     Ref      `json:"ref"`
}

// CoreDNSPod is one CoreDNS pod address and where it lives.
type CoreDNSPod struct {
	IP   string `json:"ip"`
	Name string `json:"name"`
	// Node hosting the pod, "" when unknown. NodeSource: "kube" (pod or
	// endpoints data), "route" (a cali* /32 route on that node), "block" (the node
	// owns the pod block: blackhole route), "".
	Node       string `json:"node"`
	NodeSource string `json:"nodeSource"`
	// Source of the IP: "endpoints", "pods", "ipvs".
	Source string `json:"source"`
	Ready  bool   `json:"ready"`
	// Current is false when kube data exists and does not list this IP (a stale
	// IPVS backend), true otherwise.
	Current bool `json:"current"`
	// StaleWhy says why Current is false.
	StaleWhy string `json:"staleWhy"`
	Refs     []Ref  `json:"refs"`
}

// Node is one node's bundle, parsed, plus what was inferred about it.
type Node struct {
	// RouteLookup, when set (assemble sets it once the routes are final),
	// answers which of Routes `ip route get` picks without a scan: rules ask
	// each node about every other node's blocks. Not part of the model's
	// JSON or of CEL.
	RouteLookup RouteLookup `json:"-"`

	Name   string `json:"name"`
	Bundle string `json:"bundle"`
	// Has lists the sources this bundle held (see the Has* constants).
	Has map[string]bool `json:"has"`

	// IPs: every global address of the node's links (tunnel addresses excluded).
	IPs        []string `json:"ips"`
	InternalIP string   `json:"internalIP"` // from kube Node data, "" if unknown

	Links  []Link  `json:"links"`
	Routes []Route `json:"routes"`
	// RouteGets are the recorded `ip route get` answers (net/route-get.txt).
	RouteGets []RouteGet `json:"routeGets"`

	// IPVS is the whole `ipvsadm -Ln` table. Its entries carry the line, not
	// a Ref: a fleet's tables hold millions of entries and the rules cite the
	// DNS Service's (DNSServices, with refs). Cite an entry as
	// facts.Ref{node: node.name, file: 'ipvs/ipvsadm-Ln.txt', line: s.line}.
	IPVS []IPVSEntry `json:"ipvs"`

	Ethtool map[string]Ethtool `json:"ethtool"` // by interface name
	Sysctl  map[string]Value   `json:"sysctl"`  // by key as sysctl -a prints it

	Kernel Kernel `json:"kernel"`

	Calico Calico `json:"calico"`

	BGPPeers []BGPPeer `json:"bgpPeers"`

	// KubeProxyMode: ipvs, iptables, nftables, "" unknown. KubeProxyModeSource
	// says where it came from ("configmap", "inferred-ipvs", "inferred-iptables").
	KubeProxyMode       string `json:"kubeProxyMode"`
	KubeProxyModeSource string `json:"kubeProxyModeSource"`
	KubeProxyModeRef    Ref    `json:"kubeProxyModeRef"`

	IPTables IPTables `json:"iptables"`
	NFT      NFT      `json:"nft"`

	// Overlay: what the node's own bundle says about its part of the pod network.
	// PodBlocks are the blocks this node owns (blackhole ... proto bird, or the
	// blocks its cali* routes fall in); TunnelAddr the address on tunl0 or
	// vxlan.calico; Encapsulation what its routes to other blocks use.
	PodBlocks     []string `json:"podBlocks"`
	TunnelAddr    string   `json:"tunnelAddr"`
	TunnelDevice  string   `json:"tunnelDevice"`
	Encapsulation string   `json:"encapsulation"`
	EncapRef      Ref      `json:"encapRef"` // a route that shows the node's encapsulation

	// DNSServices are the IPVS virtual services of the DNS Service IP.
	DNSServices []IPVSService `json:"dnsServices"`

	// PeerFacingIP is the address peers route this node's blocks to (IPIP next
	// hop, or the VTEP address a VXLAN peer's fdb names), "" unknown; PeerFacingRefs
	// the peer routes that say so.
	PeerFacingIP   string `json:"peerFacingIP"`
	PeerFacingRefs []Ref  `json:"peerFacingRefs"`
	// PeerFacingSource: "routes" (peers' routes say so) or "annotation"
	// (Calico's projectcalico.org/IPv4Address, when no peer bundle tells).
	PeerFacingSource string `json:"peerFacingSource"`
	// SendIP/SendIface: the address and uplink the node's tunnel packets leave
	// from (source of its route toward a peer; vxlan.calico's local address).
	SendIP    string `json:"sendIP"`
	SendIface string `json:"sendIface"`
	SendRef   Ref    `json:"sendRef"`
	// Uplink is the interface the node talks to its peers through: SendIface,
	// else the device of its default route.
	Uplink string `json:"uplink"`

	Captures []Capture `json:"captures"`
	// CapturedSend: outer source addresses the node's own captures show its
	// tunnel packets leaving with, most packets first.
	CapturedSend []AddrSeen `json:"capturedSend"`

	Resolv Resolv `json:"resolv"`

	Conntrack map[string]int `json:"conntrack"` // totals of conntrack -S
	// ConntrackSource: "conntrack -S" or "/proc/net/stat/nf_conntrack" (the
	// same counters); ConntrackRef the file.
	ConntrackSource string `json:"conntrackSource"`
	ConntrackRef    Ref    `json:"conntrackRef"`
	// ConntrackGrowth: how much each counter grew over the capture window
	// (counters/after minus counters/before), present only when both were read.
	ConntrackGrowth    map[string]int `json:"conntrackGrowth"`
	ConntrackGrowthRef Ref            `json:"conntrackGrowthRef"`

	KernelLog    KernelLog    `json:"kernelLog"`
	NodeLocalDNS NodeLocalDNS `json:"nodeLocalDNS"`
	// FelixPolicyDrops: packets felix dropped because no policy allowed them
	// ("Drop if no policies passed packet" rules of iptables-save -c), grown
	// over the capture window when counters were read, else since boot; in
	// nftables mode the rules of table ip calico in nft list ruleset, once;
	// -1 when not known.
	FelixPolicyDrops    int `json:"felixPolicyDrops"`
	FelixPolicyDropsRef Ref `json:"felixPolicyDropsRef"`
	// HostTunnelDrops: firewall rules other than felix's and kube-proxy's
	// that drop or reject tunnel packets arriving at the node (UDP to the
	// VXLAN port, IP protocol 4): nftables chains on the input and
	// prerouting hooks, iptables filter INPUT. Such a rule is what drops
	// tunnel packets after a capture saw them arrive when felix's allowlist
	// holds the sender.
	HostTunnelDrops []FirewallRule `json:"hostTunnelDrops"`
}

// FirewallRule is one firewall rule found in iptables-save or nft list ruleset.
type FirewallRule struct {
	Kind  string `json:"kind"`  // "vxlan" or "ipip"
	Where string `json:"where"` // "table inet hostfw chain input", "iptables filter INPUT"
	// Packets is the rule's counter, -1 when it has none.
	Packets int `json:"packets"`
	Ref     Ref `json:"ref"`
}

// Value is a scalar with its evidence.
type Value struct {
	Value string `json:"value"`
	Ref   Ref    `json:"ref"`
}

// Link is a network interface.
type Link struct {
	Name   string   `json:"name"`
	Index  int      `json:"index"`
	Kind   string   `json:"kind"` // ipip, vxlan, veth, bridge, ether (plain NIC), loopback, ...
	MTU    int      `json:"mtu"`
	Up     bool     `json:"up"`
	State  string   `json:"state"`
	Flags  []string `json:"flags"`
	Master string   `json:"master"`
	Addrs  []string `json:"addrs"` // prefixes, e.g. "10.0.0.11/24"
	// AddrLines[i] is the line of Addrs[i] in AddrFile (net/ip-addr.txt, or
	// net/ip-link.txt where that is `ip -d addr`): lines, not refs, as
	// kube-ipvs0 holds every Service IP and a fleet every node's.
	AddrLines []int32 `json:"addrLines"`
	AddrFile  string  `json:"addrFile,omitempty"`
	// VXLAN: VNI, local VTEP address, UDP port, underlay device.
	VXLANID      int    `json:"vxlanID"`
	VXLANLocal   string `json:"vxlanLocal"`
	VXLANPort    int    `json:"vxlanPort"`
	VXLANDev     string `json:"vxlanDev"`
	TunnelLocal  string `json:"tunnelLocal"`  // ipip local ("" = any)
	TunnelRemote string `json:"tunnelRemote"` // ipip remote ("" = any)
	Ref          Ref    `json:"ref"`
}

// Route is one route of the main table (or a recorded `ip route get` answer).
type Route struct {
	Type     string    `json:"type"` // unicast, blackhole, unreachable, prohibit, local, broadcast, ...
	Dst      string    `json:"dst"`  // prefix; default is 0.0.0.0/0
	Default  bool      `json:"default"`
	Via      string    `json:"via"`
	Dev      string    `json:"dev"`
	Proto    string    `json:"proto"`
	Scope    string    `json:"scope"`
	Src      string    `json:"src"`
	Metric   int       `json:"metric"`
	Onlink   bool      `json:"onlink"`
	Linkdown bool      `json:"linkdown"`
	Nexthops []Nexthop `json:"nexthops"`
	Ref      Ref       `json:"ref"`
}

// Nexthop is one path of a multipath route.
type Nexthop struct {
	Via    string `json:"via"`
	Dev    string `json:"dev"`
	Weight int    `json:"weight"`
	Onlink bool   `json:"onlink"`
}

// RouteGet is one recorded `ip route get ADDR`.
type RouteGet struct {
	Query string `json:"query"`
	Route Route  `json:"route"`
	Found bool   `json:"found"`
	Err   string `json:"err"`
	Ref   Ref    `json:"ref"`
}

// IPVSEntry is one IPVS virtual service of Node.IPVS, at Line of
// ipvs/ipvsadm-Ln.txt. Counts are int32: the kernel's own (atomic_t).
type IPVSEntry struct {
	Proto      string          `json:"proto"` // TCP, UDP, SCTP, FWM
	VIP        string          `json:"vip"`
	Scheduler  string          `json:"scheduler"`
	Reals      []IPVSEntryReal `json:"reals"`
	Port       int32           `json:"port"`
	Persistent int32           `json:"persistent"`
	Line       int32           `json:"line"`
}

// IPVSEntryReal is one real server of an IPVSEntry, at Line.
type IPVSEntryReal struct {
	IP         string `json:"ip"`
	Forward    string `json:"forward"`
	Port       int32  `json:"port"`
	Weight     int32  `json:"weight"`
	ActiveConn int32  `json:"activeConn"`
	InActConn  int32  `json:"inActConn"`
	Line       int32  `json:"line"`
}

// IPVSService is one IPVS virtual service of the DNS Service IP, with refs.
type IPVSService struct {
	Proto      string     `json:"proto"` // TCP, UDP, SCTP, FWM
	VIP        string     `json:"vip"`
	Port       int        `json:"port"`
	Scheduler  string     `json:"scheduler"`
	Persistent int        `json:"persistent"`
	Reals      []IPVSReal `json:"reals"`
	Ref        Ref        `json:"ref"`
}

// IPVSReal is one real server of a virtual service.
type IPVSReal struct {
	IP         string `json:"ip"`
	Port       int    `json:"port"`
	Forward    string `json:"forward"`
	Weight     int    `json:"weight"`
	ActiveConn int    `json:"activeConn"`
	InActConn  int    `json:"inActConn"`
	Ref        Ref    `json:"ref"`
}

// Ethtool is `ethtool -k` of one interface.
type Ethtool struct {
	Features map[string]Feature `json:"features"`
	Ref      Ref                `json:"ref"` // the file
}

// Feature is one offload flag.
type Feature struct {
	On    bool `json:"on"`
	Fixed bool `json:"fixed"`
	Ref   Ref  `json:"ref"`
}

// Kernel is the node's kernel version (uname -a).
type Kernel struct {
	Known   bool   `json:"known"`
	Release string `json:"release"`
	Major   int    `json:"major"`
	Minor   int    `json:"minor"`
	Ref     Ref    `json:"ref"`
}

// Calico is what calico-node on this node is configured with and what it logged.
type Calico struct {
	// Env: the calico-node container environment; from the running container
	// (calico/calico-node-env.txt) else the DaemonSet spec. EnvSource says which.
	Env       map[string]Value `json:"env"`
	EnvSource string           `json:"envSource"`

	// AutodetectMethod is IP_AUTODETECTION_METHOD as configured ("first-found"
	// when unset and IP is autodetect), with its evidence.
	AutodetectMethod string `json:"autodetectMethod"`
	AutodetectRef    Ref    `json:"autodetectRef"`
	// AutodetectIface/AutodetectIP: what that method selects on this node,
	// resolved against the node's own links, addresses and routes ("" unknown).
	AutodetectIface string `json:"autodetectIface"`
	AutodetectIP    string `json:"autodetectIP"`
	AutodetectWhy   string `json:"autodetectWhy"`
	// LogIface/LogIP: what calico-node logged it autodetected.
	LogIface string `json:"logIface"`
	LogIP    string `json:"logIP"`
	LogRef   Ref    `json:"logRef"`

	// Errors: error-level lines of the calico-node log (BGP, felix).
	Errors []LogEvent `json:"errors"`
	// RPFLooseLogged: felix complained about loose rp_filter.
	RPFLooseLogged bool `json:"rpfLooseLogged"`
	RPFLooseRef    Ref  `json:"rpfLooseRef"`
}

// LogEvent is one log line that matters.
type LogEvent struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Ref   Ref    `json:"ref"`
}

// BGPPeer is one BIRD protocol of type BGP.
type BGPPeer struct {
	Name        string `json:"name"`
	PeerIP      string `json:"peerIP"`
	State       string `json:"state"`
	Info        string `json:"info"`
	Established bool   `json:"established"`
	Ref         Ref    `json:"ref"`
}

// IPTables is what iptables-save says about the DNS VIP and Calico's tunnel rules.
type IPTables struct {
	HasKubeChains   bool `json:"hasKubeChains"`
	HasCalicoChains bool `json:"hasCalicoChains"`
	// DNSServiceRules: KUBE-SERVICES rules for the DNS Service IP.
	DNSServiceRules []Rule `json:"dnsServiceRules"`
	// IPIPAccept/IPIPDrop: Calico's cali-INPUT rules for IP-in-IP.
	IPIPAccept []Rule `json:"ipipAccept"`
	IPIPDrop   []Rule `json:"ipipDrop"`
	// DNSBackends: the DNAT destinations of the DNS Service's rules.
	DNSBackends []ProxyEndpoint `json:"dnsBackends"`
	// DNSNoEndpoints: filter-table rules rejecting the DNS Service because it
	// has no endpoints ("kube-system/kube-dns:dns has no endpoints").
	DNSNoEndpoints []Ref `json:"dnsNoEndpoints"`
	// AllHostsNet: members of the ipset cali40all-hosts-net (IPIP accepted from).
	AllHostsNet      []string `json:"allHostsNet"`
	AllHostsNetKnown bool     `json:"allHostsNetKnown"`
	// AllHostsNetIPs indexes the single addresses of AllHostsNet (a host
	// prefix as its address), AllHostsNetNets lists the wider networks: a
	// rule tests `ip in node.iptables.allHostsNetIPs` in constant time.
	AllHostsNetIPs  map[string]bool `json:"allHostsNetIPs,omitempty"`
	AllHostsNetNets []string        `json:"allHostsNetNets,omitempty"`
	// VXLANAccept/VXLANDrop: Calico's cali-INPUT rules for VXLAN (UDP to the
	// VXLAN port), and AllVXLANNet the members of the ipset
	// cali40all-vxlan-net (VXLAN accepted from).
	VXLANAccept      []Rule   `json:"vxlanAccept"`
	VXLANDrop        []Rule   `json:"vxlanDrop"`
	AllVXLANNet      []string `json:"allVXLANNet"`
	AllVXLANNetKnown bool     `json:"allVXLANNetKnown"`
	// AllVXLANNetIPs and AllVXLANNetNets index AllVXLANNet as AllHostsNetIPs
	// and AllHostsNetNets do AllHostsNet.
	AllVXLANNetIPs  map[string]bool `json:"allVXLANNetIPs,omitempty"`
	AllVXLANNetNets []string        `json:"allVXLANNetNets,omitempty"`
	ForwardPolicy   string          `json:"forwardPolicy"`
	// SetsFrom: where AllHostsNet and AllVXLANNet were read, "ipset" (ipset
	// list) or "nftables" (the sets of felix's table ip calico in nftables
	// mode); AllHostsNetRef/AllVXLANNetRef the set's line there (nftables).
	SetsFrom       string `json:"setsFrom"`
	AllHostsNetRef Ref    `json:"allHostsNetRef"`
	AllVXLANNetRef Ref    `json:"allVXLANNetRef"`
	// IPIPDropped/VXLANDropped: what felix's DROP rules for IP-in-IP and
	// VXLAN from unknown hosts dropped (see TunnelDrops).
	IPIPDropped  TunnelDrops `json:"ipipDropped"`
	VXLANDropped TunnelDrops `json:"vxlanDropped"`
}

// TunnelDrops is the packet count of felix's tunnel DROP rules (summed over
// the rules of one encapsulation).
type TunnelDrops struct {
	// Packets: -1 when no counter was read.
	Packets int `json:"packets"`
	// Source: "window" when counters/after minus counters/before (dropped
	// while the collector watched: a rising counter), "snapshot" when the
	// total of the one iptables-save -c (since felix programmed the rule,
	// which may be old news); "" when not known.
	Source string `json:"source"`
	// Note says why the snapshot was used ("" for the window).
	Note string `json:"note"`
	// Refs: the busiest rule's line in counters/before and counters/after
	// (window), or in net/iptables-save.txt (snapshot).
	Refs []Ref `json:"refs"`
}

// NFT is what `nft list ruleset` says about kube-proxy's nftables mode.
type NFT struct {
	HasKubeProxyTable bool `json:"hasKubeProxyTable"`
	// HasCalicoTable: felix programs nftables (table ip calico, Calico 3.29+
	// nftablesMode Enabled); its tunnel rules, sets and policy drops are read
	// into IPTables and FelixPolicyDrops as their iptables forms are.
	HasCalicoTable bool `json:"hasCalicoTable"`
	// DNSServiceEntries: elements of kube-proxy's service-ips map for the DNS IP.
	DNSServiceEntries []Ref `json:"dnsServiceEntries"`
	// DNSEndpoints: where the DNS Service's UDP and TCP 53 entries send to
	// (the dnat of each endpoint chain).
	DNSEndpoints []ProxyEndpoint `json:"dnsEndpoints"`
	// DNSNoEndpoints: elements of the no-endpoint-services map for the DNS IP:
	// kube-proxy rejects DNS because the Service has no endpoint.
	DNSNoEndpoints []Ref `json:"dnsNoEndpoints"`
}

// ProxyEndpoint is one backend kube-proxy's iptables or nftables rules send a
// Service port to.
type ProxyEndpoint struct {
	Proto string `json:"proto"` // udp, tcp
	Port  int    `json:"port"`  // the Service port
	IP    string `json:"ip"`
	// DestPort is the endpoint's port (0 when the rule keeps the original).
	DestPort int `json:"destPort"`
	Ref      Ref `json:"ref"`
}

// Rule is one iptables rule with its counters.
type Rule struct {
	Chain   string `json:"chain"`
	Target  string `json:"target"`
	Packets int    `json:"packets"`
	Bytes   int    `json:"bytes"`
	Comment string `json:"comment"`
	Ref     Ref    `json:"ref"`
}

// Capture is the summary of one packet capture of the node (pcap/IFNAME.pcap).
// Times are Unix milliseconds of the node's clock.
type Capture struct {
	File    string `json:"file"`
	Iface   string `json:"iface"`
	StartMs int    `json:"startMs"`
	EndMs   int    `json:"endMs"`
	Packets int    `json:"packets"`
	// Tunnels: encapsulated traffic by outer source, destination and protocol.
	Tunnels []TunnelFlow `json:"tunnels"`
	// DNS: queries and answers by server address (inside tunnels too).
	DNS  []DNSServer `json:"dns"`
	ICMP []ICMPError `json:"icmp"`
	Ref  Ref         `json:"ref"`
}

// TunnelPath joins the sender's and the receiver's captures of one direction
// of one tunnel. Times are compared allowing for clock skew between nodes.
type TunnelPath struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Encap string `json:"encap"`
	Src   string `json:"src"`
	Dst   string `json:"dst"`
	// Sent: packets From's captures show leaving for To within the time both
	// captures ran; Received: packets To's captures show arriving from From
	// (-1 when To has no capture that could have seen them).
	Sent     int    `json:"sent"`
	Received int    `json:"received"`
	Why      string `json:"why"` // when Received is -1: why nothing can be said
	SentRef  Ref    `json:"sentRef"`
	RecvRef  Ref    `json:"recvRef"`
	// ArrivedDNS: DNS packets inside the tunnel packets To's capture shows
	// arriving; DeliveredDNS: of the same DNS traffic (queries to, answers
	// from the same servers), what To's capture on its tunnel device shows
	// coming out of the tunnel (-1 when To has no such capture over the same
	// time). DeliveredRef is that capture; Device its interface.
	ArrivedDNS   int    `json:"arrivedDNS"`
	DeliveredDNS int    `json:"deliveredDNS"`
	Device       string `json:"device"`
	DeliveredRef Ref    `json:"deliveredRef"`
}

// AddrSeen is an address with how often a capture saw it.
type AddrSeen struct {
	IP      string `json:"ip"`
	Packets int    `json:"packets"`
	Ref     Ref    `json:"ref"`
}

// TunnelFlow is IPIP or VXLAN traffic between two outer addresses.
type TunnelFlow struct {
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	Encap   string `json:"encap"` // ipip, vxlan
	Packets int    `json:"packets"`
	Bytes   int    `json:"bytes"`
	FirstMs int    `json:"firstMs"`
	LastMs  int    `json:"lastMs"`
	Ref     Ref    `json:"ref"` // the first packet
}

// DNSServer counts DNS transactions with one server.
type DNSServer struct {
	Server     string `json:"server"`
	Queries    int    `json:"queries"`
	Answered   int    `json:"answered"`
	Unanswered int    `json:"unanswered"`
	// Pending counts the queries still within their timeout when the
	// capture ended: neither answered nor unanswered (in Queries).
	Pending int `json:"pending"`
	Ref     Ref `json:"ref"` // the first unanswered query, else the first query
}

// ICMPError is an ICMP error seen in a capture.
type ICMPError struct {
	Type  string `json:"type"` // frag-needed, port-unreachable, ...
	Src   string `json:"src"`
	Dst   string `json:"dst"`
	MTU   int    `json:"mtu"`
	Count int    `json:"count"`
	Ref   Ref    `json:"ref"`
	// QuotedDst and QuotedPort are the destination of the packet the error
	// quotes (of the first error); QuotedProto its protocol ("udp", "tcp",
	// or the number).
	QuotedDst   string `json:"quotedDst"`
	QuotedPort  int    `json:"quotedPort"`
	QuotedProto string `json:"quotedProto"`
}

// Resolv is the node's /etc/resolv.conf.
type Resolv struct {
	Nameservers []string `json:"nameservers"`
	Ref         Ref      `json:"ref"`
}

// RouteLookup names the index in Node.Routes of the route `ip route get A`
// picks for address a, -1 for none.
type RouteLookup interface {
	Index(a netip.Addr) int
}

// ClusterLookup indexes a cluster's nodes and KubeNodes. Each answer is an
// index into Cluster.Nodes or Cluster.KubeNodes, so that it holds for a
// copy of the cluster too.
type ClusterLookup interface {
	// NodeIndex is the first node called name, -1 for none.
	NodeIndex(name string) int
	// IPOwnerIndex is the first node that has address a among its IPs,
	// its InternalIP or its links' addresses, -1 for none.
	IPOwnerIndex(a netip.Addr) int
	// PodIPOwnerIndex is the node whose pod block is the most specific to
	// contain a, the first such node on a tie, -1 for none.
	PodIPOwnerIndex(a netip.Addr) int
	// KubeNodeIndexes are the KubeNodes called name, in order.
	KubeNodeIndexes(name string) []int
}
