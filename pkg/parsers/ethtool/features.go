// Package ethtool parses `ethtool -k IFNAME` (also spelled --show-features and
// --show-offload) and `ethtool -S IFNAME`. Offload flags decide two failure modes of
// tunnelled pod traffic (VXLAN tx checksum offload on kernels before 5.7, broken IPIP
// segmentation offload), and NIC counters taken around a capture show where packets
// were dropped.
package ethtool

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Feature is one offload flag as ethtool printed it.
type Feature struct {
	Line int
	// Name is the modern spelling: ethtool before 2.6.36 printed
	// "tcp segmentation offload" where today's prints "tcp-segmentation-offload".
	Name  string
	On    bool
	Fixed bool // "[fixed]": the driver does not let it change
	// RequestedSet is true when ethtool printed "[requested on|off]", i.e. the
	// administrator asked for RequestedOn but the kernel keeps On (usually because a
	// lower device or a dependency forbids it).
	RequestedSet bool
	RequestedOn  bool
	// Parent is the group flag an indented sub-feature belongs to
	// (tx-checksum-ip-generic → tx-checksumming); empty for top-level flags.
	Parent string
}

// Wanted is the state the administrator asked for: the requested one where ethtool
// shows it differs, else the active one.
func (f Feature) Wanted() bool {
	if f.RequestedSet {
		return f.RequestedOn
	}
	return f.On
}

// FeaturesResult is what `ethtool -k` printed for one interface.
type FeaturesResult struct {
	// Interface is taken from the "Features for eth0:" header; empty for a pasted
	// excerpt without it.
	Interface string
	// Legacy marks the "Offload parameters for eth0:" output of ethtool before 3.0,
	// which shows only the dozen group flags and no [fixed] markers.
	Legacy   bool
	Features []Feature
}

// Get returns the feature called name, which may be given in a legacy spelling.
func (r *FeaturesResult) Get(name string) (Feature, bool) {
	name = normalizeName(name)
	for _, f := range r.Features {
		if f.Name == name {
			return f, true
		}
	}
	return Feature{}, false
}

// Summary gives the counts `analyze inspect` prints.
func (r *FeaturesResult) Summary() string {
	on, fixed, req := 0, 0, 0
	for _, f := range r.Features {
		if f.On {
			on++
		}
		if f.Fixed {
			fixed++
		}
		if f.RequestedSet {
			req++
		}
	}
	iface := r.Interface
	if iface == "" {
		iface = "unnamed interface"
	}
	s := fmt.Sprintf("%s: %d features (%d on, %d fixed)", iface, len(r.Features), on, fixed)
	if req > 0 {
		s += fmt.Sprintf(", %d not as requested", req)
	}
	return s
}

// ParseFeatures reads `ethtool -k IFNAME` output: modern, pre-3.0, or the JSON of
// `ethtool --json -k`.
func ParseFeatures(data []byte) (*FeaturesResult, []diag.Diagnostic) {
	r := &FeaturesResult{}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not `ethtool -k` output")
		return r, ds
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		parseFeaturesJSON(data, r, &ds)
		return r, ds
	}

	var (
		sawHeader  bool
		baseIndent = -1 // indentation of top-level flags; excerpts may be indented as a whole
		parent     string
		unreadable int
		nonBlank   bool
		seen       = map[string]int{}
	)
	sc := lines.New(data)
	for sc.Next() {
		raw := sc.Bytes()
		ind := lines.Indent(raw)
		line := raw[ind:]
		if len(line) == 0 {
			continue
		}
		n := sc.Num()
		nonBlank = true

		if iface, legacy, ok := featuresHeader(line); ok {
			if sawHeader || len(r.Features) > 0 {
				ds.Warnf(n, "second header %q: only the first interface's features are read", lines.Clip(line))
				break
			}
			sawHeader = true
			r.Interface, r.Legacy = iface, legacy
			baseIndent = ind
			continue
		}
		if ethtoolMessage(line) {
			ds.Addf(diag.Info, n, "ethtool said: %s", lines.Clip(line))
			continue
		}

		f, ok := parseFeatureLine(line)
		if !ok {
			unreadable++
			ds.Warnf(n, "unreadable feature line %q", lines.Clip(line))
			continue
		}
		f.Line = n
		if baseIndent < 0 || ind < baseIndent {
			baseIndent = ind
		}
		if ind > baseIndent {
			f.Parent = parent
		} else {
			parent = f.Name
		}
		if first, dup := seen[f.Name]; dup {
			ds.Warnf(n, "feature %s listed again (first on line %d); the first is kept", f.Name, first)
			continue
		}
		seen[f.Name] = n
		r.Features = append(r.Features, f)
	}

	if len(r.Features) == 0 {
		switch {
		case unreadable > 0:
			ds.Addf(diag.Error, 0, "no feature lines found: not `ethtool -k` output")
		case nonBlank:
			ds.Warnf(0, "no features listed")
		default:
			ds.Addf(diag.Info, 0, "empty input")
		}
	}
	return r, ds
}

// featuresHeader recognises "Features for eth0:" and the pre-3.0 "Offload
// parameters for eth0:".
func featuresHeader(line []byte) (iface string, legacy, ok bool) {
	if line[len(line)-1] != ':' {
		return "", false, false
	}
	body := line[:len(line)-1]
	for _, h := range [...]struct {
		prefix string
		legacy bool
	}{{"Features for ", false}, {"Offload parameters for ", true}} {
		if bytes.HasPrefix(body, []byte(h.prefix)) {
			return string(bytes.TrimSpace(body[len(h.prefix):])), h.legacy, true
		}
	}
	return "", false, false
}

// ethtoolMessage recognises what ethtool prints (often to stderr, merged into the
// file by whoever collected it) instead of or besides the flags: "Cannot get device
// udp-fragmentation-offload settings: Operation not supported", "netlink error: no
// device matches name", "no offload info available".
func ethtoolMessage(line []byte) bool {
	for _, p := range [...]string{"Cannot ", "Could not ", "netlink error", "netlink warning", "no offload info", "no feature info", "ethtool: ", "ethtool version", "Actual changes:"} {
		if bytes.HasPrefix(line, []byte(p)) {
			return true
		}
	}
	return false
}

// parseFeatureLine reads "name: on|off [fixed]|[requested on|off]". line has no
// leading or trailing blanks.
func parseFeatureLine(line []byte) (Feature, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return Feature{}, false
	}
	name := normalizeName(string(bytes.TrimSpace(line[:i])))
	if name == "" || strings.ContainsAny(name, "[]=") {
		return Feature{}, false
	}
	f := Feature{Name: name}
	var fields [4][]byte
	fs := lines.Fields(fields[:0], line[i+1:])
	if len(fs) == 0 {
		return Feature{}, false
	}
	on, ok := onOff(fs[0])
	if !ok {
		return Feature{}, false
	}
	f.On = on
	for rest := fs[1:]; len(rest) > 0; {
		switch {
		case eqFold(rest[0], "[fixed]"):
			f.Fixed = true
			rest = rest[1:]
		case eqFold(rest[0], "[requested") && len(rest) > 1 && len(rest[1]) > 1 && rest[1][len(rest[1])-1] == ']':
			v, ok := onOff(rest[1][:len(rest[1])-1])
			if !ok {
				return Feature{}, false
			}
			f.RequestedSet, f.RequestedOn = true, v
			rest = rest[2:]
		case eqFold(rest[0], "[not") && len(rest) > 1 && eqFold(rest[1], "requested]"):
			// `ethtool -K` reports side effects this way; nothing to record.
			rest = rest[2:]
		default:
			return Feature{}, false
		}
	}
	return f, true
}

func onOff(b []byte) (bool, bool) {
	switch {
	case eqFold(b, "on"):
		return true, true
	case eqFold(b, "off"):
		return false, true
	}
	return false, false
}

func eqFold(b []byte, s string) bool { return bytes.EqualFold(b, []byte(s)) }

// normalizeName maps the spellings of old ethtool versions ("tcp segmentation
// offload", "Generic Receive Offload") to today's ("tcp-segmentation-offload"). Modern
// names never contain spaces or capitals, so the mapping cannot collide with them.
func normalizeName(s string) string {
	s = strings.TrimSpace(s)
	if strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || (r >= 'A' && r <= 'Z') }) < 0 {
		return s
	}
	return strings.ToLower(strings.Join(strings.Fields(s), "-"))
}
