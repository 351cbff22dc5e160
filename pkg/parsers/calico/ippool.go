package calico

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Encapsulation modes of a pool, as Calico spells them.
const (
	ModeAlways      = "Always"
	ModeCrossSubnet = "CrossSubnet"
	ModeNever       = "Never"
)

// IPPools is the result of ParseIPPools.
type IPPools struct {
	Pools []Pool
}

// Pool is one IP pool.
type Pool struct {
	Line int // line of metadata.name (metadata.cidr in the v1 form)
	Name string
	// APIVersion tells the form: projectcalico.org/v3 (calicoctl),
	// crd.projectcalico.org/v1 (the CRD kubectl shows) or v1 (calicoctl v1).
	APIVersion string
	CIDR       netip.Prefix
	CIDRLine   int
	// BlockSize is 26 (IPv4) or 122 (IPv6) when the pool does not say;
	// BlockSizeLine is then 0.
	BlockSize     int
	BlockSizeLine int
	// IPIPMode and VXLANMode are Always, CrossSubnet or Never, "" when the pool
	// does not set them: pools created with kubectl lack them, and Calico then
	// defaults differently across versions, so absent is not "Never". Their line
	// is 0 when absent. The v1 form, which predates VXLAN, says Never for both
	// when it has no ipip section.
	IPIPMode      string
	IPIPModeLine  int
	VXLANMode     string
	VXLANModeLine int
	NATOutgoing   bool
	Disabled      bool
	NodeSelector  string
	AllowedUses   []string
}

// Encapsulation is "ipip", "vxlan", "none" (both modes Never), or "" when it
// cannot be told: a mode absent while the other does not enable a tunnel, or both
// enabled (a pool Calico rejects).
func (p Pool) Encapsulation() string {
	ipip := p.IPIPMode == ModeAlways || p.IPIPMode == ModeCrossSubnet
	vxlan := p.VXLANMode == ModeAlways || p.VXLANMode == ModeCrossSubnet
	switch {
	case ipip && vxlan:
		return ""
	case ipip:
		return "ipip"
	case vxlan:
		return "vxlan"
	case p.IPIPMode == ModeNever && p.VXLANMode == ModeNever:
		return "none"
	}
	return ""
}

// Summary is one line for `analyze inspect`.
func (r *IPPools) Summary() string {
	count := map[string]int{}
	disabled := 0
	for _, p := range r.Pools {
		e := p.Encapsulation()
		if e == "" {
			e = "unknown"
		}
		count[e]++
		if p.Disabled {
			disabled++
		}
	}
	var parts []string
	for _, e := range []string{"ipip", "vxlan", "none", "unknown"} {
		if count[e] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", e, count[e]))
		}
	}
	s := fmt.Sprintf("%d IP pools", len(r.Pools))
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if disabled > 0 {
		s += fmt.Sprintf(", %d disabled", disabled)
	}
	return s
}

// ParseIPPools reads `calicoctl get ippool -o yaml|json` (IPPool or IPPoolList),
// `kubectl get ippools.crd.projectcalico.org -o yaml|json`, and the calicoctl v1
// ipPool form. Objects of other kinds are ignored.
func ParseIPPools(data []byte) (*IPPools, []diag.Diagnostic) {
	var ds diag.List
	res := &IPPools{}
	objs, lists := yamlnode.Objects(yamlnode.Load(data, &ds))
	for _, o := range objs {
		if !kindIs(o, "IPPool") {
			continue
		}
		res.Pools = append(res.Pools, readPool(o, &ds))
	}
	if len(res.Pools) == 0 && lists == 0 {
		notFound(&ds, "IPPool", objs)
	}
	return res, ds
}

func readPool(o *yaml.Node, ds *diag.List) Pool {
	meta, spec := yamlnode.Get(o, "metadata"), yamlnode.Get(o, "spec")
	p := Pool{
		Line:         yamlnode.ObjectLine(o),
		Name:         yamlnode.Str(yamlnode.Get(meta, "name")),
		APIVersion:   yamlnode.Str(yamlnode.Get(o, "apiVersion")),
		NodeSelector: yamlnode.Str(yamlnode.Get(spec, "nodeSelector")),
	}
	for _, u := range yamlnode.Seq(yamlnode.Get(spec, "allowedUses")) {
		if s := yamlnode.Str(u); s != "" {
			p.AllowedUses = append(p.AllowedUses, s)
		}
	}
	v1 := p.APIVersion == "v1"
	ck, cv := yamlnode.Lookup(spec, "cidr")
	if v1 || cv == nil {
		// calicoctl v1 keeps the CIDR in metadata.
		if k, v := yamlnode.Lookup(meta, "cidr"); v != nil {
			ck, cv = k, v
		}
	}
	if ck != nil {
		p.CIDRLine = ck.Line
		if v1 && p.Name == "" {
			p.Name = yamlnode.Str(cv)
			p.Line = ck.Line
		}
		pfx, err := netip.ParsePrefix(strings.TrimSpace(yamlnode.Str(cv)))
		if err != nil {
			ds.Warnf(ck.Line, "pool %s: cidr %q is not a prefix", p.Name, yamlnode.Str(cv))
		} else {
			p.CIDR = pfx.Masked()
		}
	} else {
		ds.Warnf(p.Line, "pool %s has no cidr", p.Name)
	}

	if k, v := yamlnode.Lookup(spec, "blockSize"); k != nil {
		n, ok := yamlnode.Int(v)
		if !ok || n < 0 || n > 128 {
			ds.Warnf(k.Line, "pool %s: blockSize %q is not a prefix length", p.Name, yamlnode.Str(v))
		} else {
			p.BlockSize, p.BlockSizeLine = int(n), k.Line
		}
	}
	if p.BlockSizeLine == 0 {
		p.BlockSize = 26
		if p.CIDR.IsValid() && p.CIDR.Addr().Is6() {
			p.BlockSize = 122
		}
	}

	if k, v := yamlnode.Lookup(spec, "ipipMode"); k != nil {
		p.IPIPMode, p.IPIPModeLine = mode(v, k, "ipipMode", p.Name, ds), k.Line
	} else if k, v := yamlnode.Lookup(spec, "ipip"); k != nil {
		// The ipip {enabled, mode} section of calicoctl v1 and early v3.
		p.IPIPMode, p.IPIPModeLine = legacyIPIP(v, k, p.Name, ds), k.Line
	} else if v1 {
		p.IPIPMode = ModeNever
	}
	if k, v := yamlnode.Lookup(spec, "vxlanMode"); k != nil {
		p.VXLANMode, p.VXLANModeLine = mode(v, k, "vxlanMode", p.Name, ds), k.Line
	} else if v1 {
		p.VXLANMode = ModeNever
	}

	for _, key := range []string{"natOutgoing", "nat-outgoing"} {
		if k, v := yamlnode.Lookup(spec, key); k != nil {
			b, ok := yamlnode.Bool(v)
			if !ok {
				ds.Warnf(k.Line, "pool %s: %s %q is not a boolean", p.Name, key, yamlnode.Str(v))
			}
			p.NATOutgoing = b
		}
	}
	if k, v := yamlnode.Lookup(spec, "disabled"); k != nil {
		b, ok := yamlnode.Bool(v)
		if !ok {
			ds.Warnf(k.Line, "pool %s: disabled %q is not a boolean", p.Name, yamlnode.Str(v))
		}
		p.Disabled = b
	}
	return p
}

// mode normalises an encapsulation mode; Calico's API accepts only the canonical
// spelling, but older tools and hand-written files use "always" or "cross-subnet".
func mode(v, k *yaml.Node, key, pool string, ds *diag.List) string {
	s := yamlnode.Str(v)
	switch strings.ToLower(strings.ReplaceAll(s, "-", "")) {
	case "always":
		return ModeAlways
	case "crosssubnet":
		return ModeCrossSubnet
	case "never", "off":
		return ModeNever
	case "":
		// An explicit empty mode is what the API defaults, so it is absent.
		return ""
	}
	ds.Warnf(k.Line, "pool %s: unknown %s %q", pool, key, s)
	return s
}

// legacyIPIP reads ipip: {enabled: true, mode: always|cross-subnet}; enabled
// without a mode meant always.
func legacyIPIP(v, k *yaml.Node, pool string, ds *diag.List) string {
	en, ok := yamlnode.Bool(yamlnode.Get(v, "enabled"))
	if !ok || !en {
		if !ok && yamlnode.Get(v, "enabled") != nil {
			ds.Warnf(k.Line, "pool %s: ipip.enabled is not a boolean", pool)
		}
		return ModeNever
	}
	mk, mv := yamlnode.Lookup(v, "mode")
	if mk == nil {
		return ModeAlways
	}
	if m := mode(mv, mk, "ipip.mode", pool, ds); m != "" {
		return m
	}
	return ModeAlways
}
