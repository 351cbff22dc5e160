package calico

import (
	"fmt"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
)

// FelixConfigs is the result of ParseFelixConfig.
type FelixConfigs struct {
	Configs []FelixConfiguration
}

// FelixConfiguration is one FelixConfiguration object: "default" (cluster-wide) or
// "node.NAME" (one node's overrides).
type FelixConfiguration struct {
	Name string
	Line int    // line of metadata.name
	Node string // NAME of a node.NAME object, "" otherwise
	// The fields the analyzer's rules read; zero (Set() false) when absent, which
	// means Felix's default (or the calico-node environment) applies.
	IPIPEnabled           Field
	IPIPMTU               Field
	VXLANEnabled          Field
	VXLANPort             Field
	VXLANVNI              Field
	VXLANMTU              Field
	VXLANMTUV6            Field
	FeatureDetectOverride Field
	IgnoreLooseRPF        Field
	BPFEnabled            Field
	IptablesBackend       Field
	MTUIfacePattern       Field
	// Spec holds every scalar of spec by its key as written.
	Spec map[string]Field
}

// Field returns a spec field by name, ignoring case, as Felix does.
func (c *FelixConfiguration) Field(name string) (Field, bool) {
	return lookupFold(c.Spec, name)
}

// Default returns the "default" object, or nil.
func (r *FelixConfigs) Default() *FelixConfiguration {
	for i := range r.Configs {
		if r.Configs[i].Name == "default" {
			return &r.Configs[i]
		}
	}
	return nil
}

// ForNode returns the node.NAME object of node, or nil.
func (r *FelixConfigs) ForNode(node string) *FelixConfiguration {
	for i := range r.Configs {
		if r.Configs[i].Node == node && node != "" {
			return &r.Configs[i]
		}
	}
	return nil
}

// Effective returns field name as Felix on node sees it from these objects: the
// node's own object overrides the default one. ok is false when neither sets it.
func (r *FelixConfigs) Effective(node, name string) (Field, bool) {
	if c := r.ForNode(node); c != nil {
		if f, ok := c.Field(name); ok {
			return f, true
		}
	}
	if c := r.Default(); c != nil {
		return c.Field(name)
	}
	return Field{}, false
}

// Summary is one line for `analyze inspect`.
func (r *FelixConfigs) Summary() string {
	nodes := 0
	for _, c := range r.Configs {
		if c.Node != "" {
			nodes++
		}
	}
	s := fmt.Sprintf("%d FelixConfigurations (%d per-node)", len(r.Configs), nodes)
	if d := r.Default(); d != nil {
		var set []string
		for _, f := range []struct {
			name string
			f    Field
		}{{"ipipEnabled", d.IPIPEnabled}, {"vxlanEnabled", d.VXLANEnabled}, {"ipipMTU", d.IPIPMTU}, {"vxlanMTU", d.VXLANMTU}} {
			if f.f.Set() {
				set = append(set, f.name+"="+f.f.Value)
			}
		}
		if len(set) > 0 {
			s += "; default: " + strings.Join(set, " ")
		}
	}
	return s
}

// ParseFelixConfig reads `calicoctl get felixconfiguration -o yaml|json` and the
// CRD form (`kubectl get felixconfigurations.crd.projectcalico.org -o yaml`), one
// object or a list.
func ParseFelixConfig(data []byte) (*FelixConfigs, []diag.Diagnostic) {
	var ds diag.List
	res := &FelixConfigs{}
	objs, lists := yamlnode.Objects(yamlnode.Load(data, &ds))
	for _, o := range objs {
		if !kindIs(o, "FelixConfiguration") {
			continue
		}
		c := FelixConfiguration{
			Name: yamlnode.Str(yamlnode.Path(o, "metadata", "name")),
			Line: yamlnode.ObjectLine(o),
			Spec: scalarFields(yamlnode.Get(o, "spec")),
		}
		if n, ok := strings.CutPrefix(c.Name, "node."); ok {
			c.Node = n
		}
		if c.Name == "" {
			ds.Warnf(c.Line, "FelixConfiguration without a name")
		}
		for _, t := range []struct {
			dst  *Field
			name string
		}{
			{&c.IPIPEnabled, "ipipEnabled"}, {&c.IPIPMTU, "ipipMTU"},
			{&c.VXLANEnabled, "vxlanEnabled"}, {&c.VXLANPort, "vxlanPort"},
			{&c.VXLANVNI, "vxlanVNI"}, {&c.VXLANMTU, "vxlanMTU"}, {&c.VXLANMTUV6, "vxlanMTUV6"},
			{&c.FeatureDetectOverride, "featureDetectOverride"}, {&c.IgnoreLooseRPF, "ignoreLooseRPF"},
			{&c.BPFEnabled, "bpfEnabled"}, {&c.IptablesBackend, "iptablesBackend"},
			{&c.MTUIfacePattern, "mtuIfacePattern"},
		} {
			*t.dst, _ = c.Field(t.name)
		}
		res.Configs = append(res.Configs, c)
	}
	if len(res.Configs) == 0 && lists == 0 {
		notFound(&ds, "FelixConfiguration", objs)
	}
	return res, ds
}
