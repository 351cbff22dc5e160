package nativenet

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// Feature is one netdev feature as ETHTOOL_GFEATURES reports it, with its bit
// index in the kernel's feature string set (the order ethtool prints in).
type Feature struct {
	Name                                       string
	Index                                      int
	Available, Requested, Active, NeverChanged bool
}

// legacyFlags are ethtool's off_flag_def groups in print order: the long name
// and the kernel feature-name pattern (one '*' at most) of the features each
// one stands for. UFO is left out, as ethtool 6.x does for kernels with
// netlink (none of them has the feature).
var legacyFlags = [...]struct{ long, pattern string }{
	{"rx-checksumming", "rx-checksum"},
	{"tx-checksumming", "tx-checksum-*"},
	{"scatter-gather", "tx-scatter-gather*"},
	{"tcp-segmentation-offload", "tx-tcp*-segmentation"},
	{"generic-segmentation-offload", "tx-generic-segmentation"},
	{"generic-receive-offload", "rx-gro"},
	{"large-receive-offload", "rx-lro"},
	{"rx-vlan-offload", "rx-vlan-hw-parse"},
	{"tx-vlan-offload", "tx-vlan-hw-insert"},
	{"ntuple-filters", "rx-ntuple-filter"},
	{"receive-hashing", "rx-hashing"},
}

// patternMatch is ethtool's flag_pattern_match: literal up to the '*', then
// the rest must end the name.
func patternMatch(name, pattern string) bool {
	i := strings.IndexByte(pattern, '*')
	if i < 0 {
		return name == pattern
	}
	pre, suf := pattern[:i], pattern[i+1:]
	return len(name) >= len(pre)+len(suf) && strings.HasPrefix(name, pre) && strings.HasSuffix(name, suf)
}

func featureLine(b *bytes.Buffer, prefix, name string, f *Feature) {
	suffix := ""
	switch {
	case !f.Available || f.NeverChanged:
		suffix = " [fixed]"
	case f.Active != f.Requested:
		if f.Requested {
			suffix = " [requested on]"
		} else {
			suffix = " [requested off]"
		}
	}
	fmt.Fprintf(b, "%s%s: %s%s\n", prefix, name, onOff(f.Active), suffix)
}

// RenderFeatures renders features as `ethtool -k IFACE` (ethtool 6.x,
// netlink/features.c dump_features): the legacy groups first, each with its
// features indented by a tab when there are several, then every other feature
// in bit order. Features with an empty name (unused bits) are skipped.
func RenderFeatures(iface string, feats []Feature) []byte {
	fs := make([]Feature, 0, len(feats))
	for _, f := range feats {
		if f.Name != "" {
			fs = append(fs, f)
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Index < fs[j].Index })
	group := make([]int, len(fs))
	for i := range fs {
		group[i] = -1
		for g, lf := range legacyFlags {
			if patternMatch(fs[i].Name, lf.pattern) {
				group[i] = g
				break
			}
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Features for %s:\n", iface)
	for g, lf := range legacyFlags {
		n, on := 0, false
		for i := range fs {
			if group[i] == g {
				n++
				on = on || fs[i].Active
			}
		}
		if n != 1 {
			fmt.Fprintf(&b, "%s: %s\n", lf.long, onOff(on))
		}
		for i := range fs {
			if group[i] != g {
				continue
			}
			if n == 1 {
				featureLine(&b, "", lf.long, &fs[i])
			} else {
				featureLine(&b, "\t", fs[i].Name, &fs[i])
			}
		}
	}
	for i := range fs {
		if group[i] < 0 {
			featureLine(&b, "", fs[i].Name, &fs[i])
		}
	}
	return b.Bytes()
}

// Stat is one driver counter of ETHTOOL_GSTATS, in the driver's order.
type Stat struct {
	Name  string
	Value uint64
}

// RenderStats renders counters as `ethtool -S IFACE` prints them.
func RenderStats(stats []Stat) []byte {
	var b bytes.Buffer
	b.WriteString("NIC statistics:\n")
	for _, s := range stats {
		fmt.Fprintf(&b, "     %s: %d\n", s.Name, s.Value)
	}
	return b.Bytes()
}
