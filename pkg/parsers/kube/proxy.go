package kube

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// ProxyConfig is a KubeProxyConfiguration. Every line is a line of the input
// file, also when the configuration is embedded in a ConfigMap.
type ProxyConfig struct {
	// ConfigMap and DataKey name where the configuration was found ("" for a bare
	// KubeProxyConfiguration file); Line is where it starts.
	ConfigMap, DataKey string
	Line               int
	APIVersion         string
	// Mode is as written: "ipvs", "iptables", "nftables", "kernelspace", or ""
	// (empty or absent), which kube-proxy on Linux takes as iptables.
	// ModeSet tells whether the mode key is present at all.
	Mode     string
	ModeLine int
	ModeSet  bool
	// IPVS settings; an empty Scheduler means rr.
	Scheduler         string
	SchedulerLine     int
	StrictARP         bool
	StrictARPLine     int
	IPVSTCPTimeout    Field
	IPVSTCPFinTimeout Field
	IPVSUDPTimeout    Field
	// ClusterCIDR as written; ClusterCIDRs parsed (comma-separated in dual stack).
	ClusterCIDR     string
	ClusterCIDRs    []netip.Prefix
	ClusterCIDRLine int
	// FeatureGates by gate name.
	FeatureGates map[string]Field
	// Fields holds every scalar of the configuration by dotted path
	// ("ipvs.scheduler", "conntrack.maxPerCore"); null values are absent.
	Fields map[string]Field
}

// EffectiveMode is the mode kube-proxy on Linux runs: Mode, or iptables when
// the mode is empty or absent.
func (c *ProxyConfig) EffectiveMode() string {
	if c.Mode == "" {
		return "iptables"
	}
	return c.Mode
}

// Summary is one line for `analyze inspect`.
func (c *ProxyConfig) Summary() string {
	if c.Line == 0 {
		return "no kube-proxy configuration"
	}
	mode := c.Mode
	if mode == "" {
		mode = `"" (iptables)`
	}
	s := fmt.Sprintf("kube-proxy mode %s", mode)
	if c.EffectiveMode() == "ipvs" {
		sched := c.Scheduler
		if sched == "" {
			sched = "rr"
		}
		s += fmt.Sprintf(", scheduler %s, strictARP %v", sched, c.StrictARP)
	}
	if c.ClusterCIDR != "" {
		s += ", clusterCIDR " + c.ClusterCIDR
	}
	return s + fmt.Sprintf(", %d fields", len(c.Fields))
}

// ParseKubeProxyConfig reads `kubectl -n kube-system get configmap kube-proxy -o
// yaml|json` (kubeadm's config.conf key, EKS's config key, or any key holding a
// KubeProxyConfiguration), or a bare KubeProxyConfiguration file (a kubeadm
// config of several documents included).
func ParseKubeProxyConfig(data []byte) (*ProxyConfig, []diag.Diagnostic) {
	var ds diag.List
	res := &ProxyConfig{}
	objs, others, _ := objectsOf(data, &ds, "KubeProxyConfiguration", "ConfigMap")
	for _, o := range objs {
		if strings.EqualFold(yamlnode.Str(yamlnode.Get(o, "kind")), "KubeProxyConfiguration") {
			readProxyConfig(res, o, func(l int) int { return l })
			return res, ds
		}
	}
	// Prefer the ConfigMap named kube-proxy when the file holds several.
	sort.SliceStable(objs, func(i, j int) bool {
		ni, _ := meta(objs[i])
		nj, _ := meta(objs[j])
		return ni == "kube-proxy" && nj != "kube-proxy"
	})
	for _, o := range objs {
		if readConfigMapProxy(res, o, &ds) {
			return res, ds
		}
	}
	if len(objs) > 0 {
		others = append(others, objs...)
	}
	notFound(&ds, "KubeProxyConfiguration", others)
	return res, ds
}

// readConfigMapProxy looks for the configuration in a ConfigMap's data and reads
// it, mapping its lines to the outer file's.
func readConfigMapProxy(res *ProxyConfig, cm *yaml.Node, ds *diag.List) bool {
	var key, val *yaml.Node
	for _, p := range yamlnode.Pairs(yamlnode.Get(cm, "data")) {
		if !yamlnode.IsScalar(p.Value) {
			continue
		}
		if p.Key.Value == "config.conf" || strings.Contains(p.Value.Value, "KubeProxyConfiguration") {
			key, val = p.Key, p.Value
			break
		}
	}
	if key == nil {
		return false
	}
	// A literal block (`config.conf: |-`, what kubectl prints unless a line has
	// trailing blanks) keeps lines one to one, starting on the line after the key.
	// Any other style (a JSON string, a double-quoted YAML string) is one value on
	// the key's line as far as a person reading the file is concerned.
	mapLine := func(int) int { return key.Line }
	if val.Style&yaml.LiteralStyle != 0 {
		base := val.Line
		mapLine = func(l int) int { return base + l }
	}
	var inner diag.List
	docs := yamlnode.Load([]byte(val.Value), &inner)
	for _, d := range inner {
		if d.Line > 0 {
			d.Line = mapLine(d.Line)
		} else {
			d.Line = key.Line
		}
		d.Msg = key.Value + ": " + d.Msg
		if d.Severity == diag.Error {
			d.Severity = diag.Warning
		}
		ds.Addf(d.Severity, d.Line, "%s", d.Msg)
	}
	name, ns := meta(cm)
	res.ConfigMap = name
	if ns != "" {
		res.ConfigMap = ns + "/" + name
	}
	res.DataKey = key.Value
	objs, _ := yamlnode.Objects(docs)
	for _, o := range objs {
		k := yamlnode.Str(yamlnode.Get(o, "kind"))
		if k == "" || strings.EqualFold(k, "KubeProxyConfiguration") {
			readProxyConfig(res, o, mapLine)
			return true
		}
	}
	ds.Addf(diag.Error, key.Line, "%s holds no KubeProxyConfiguration", key.Value)
	return true
}

func readProxyConfig(res *ProxyConfig, o *yaml.Node, mapLine func(int) int) {
	res.Line = mapLine(yamlnode.Line(o))
	res.Fields = map[string]Field{}
	flatten(res.Fields, "", o, mapLine, 0)
	res.APIVersion = res.Fields["apiVersion"].Value
	f := func(path string) Field { return res.Fields[path] }

	if k, _ := yamlnode.Lookup(o, "mode"); k != nil {
		res.ModeSet, res.ModeLine, res.Mode = true, mapLine(k.Line), f("mode").Value
	}
	sched := f("ipvs.scheduler")
	res.Scheduler, res.SchedulerLine = sched.Value, sched.Line
	sa := f("ipvs.strictARP")
	res.StrictARP, _ = sa.Bool()
	res.StrictARPLine = sa.Line
	res.IPVSTCPTimeout = f("ipvs.tcpTimeout")
	res.IPVSTCPFinTimeout = f("ipvs.tcpFinTimeout")
	res.IPVSUDPTimeout = f("ipvs.udpTimeout")
	cc := f("clusterCIDR")
	res.ClusterCIDR, res.ClusterCIDRLine = cc.Value, cc.Line
	for _, part := range strings.Split(cc.Value, ",") {
		if p, err := netip.ParsePrefix(strings.TrimSpace(part)); err == nil {
			res.ClusterCIDRs = append(res.ClusterCIDRs, p)
		}
	}
	for path, fld := range res.Fields {
		if gate, ok := strings.CutPrefix(path, "featureGates."); ok {
			if res.FeatureGates == nil {
				res.FeatureGates = map[string]Field{}
			}
			res.FeatureGates[gate] = fld
		}
	}
}

// maxFlattenDepth bounds the recursion of flatten; KubeProxyConfiguration nests
// four levels deep (logging.options.json.infoBufferSize).
const maxFlattenDepth = 8

// flatten stores every scalar under m by dotted path, and lists of scalars
// joined by commas (nodePortAddresses, excludeCIDRs).
func flatten(out map[string]Field, prefix string, m *yaml.Node, mapLine func(int) int, depth int) {
	if depth > maxFlattenDepth {
		return
	}
	for _, p := range yamlnode.Pairs(m) {
		path := p.Key.Value
		if prefix != "" {
			path = prefix + "." + path
		}
		v := p.Value
		switch {
		case v == nil:
		case yamlnode.IsScalar(v):
			out[path] = Field{Value: v.Value, Line: mapLine(p.Key.Line)}
		case v.Kind == yaml.MappingNode:
			flatten(out, path, v, mapLine, depth+1)
		case v.Kind == yaml.SequenceNode:
			var parts []string
			for _, it := range yamlnode.Seq(v) {
				if !yamlnode.IsScalar(it) {
					parts = nil
					break
				}
				parts = append(parts, it.Value)
			}
			if parts != nil {
				out[path] = Field{Value: strings.Join(parts, ","), Line: mapLine(p.Key.Line)}
			}
		}
	}
}
