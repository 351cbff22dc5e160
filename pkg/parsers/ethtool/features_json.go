package ethtool

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// groupPatterns maps the legacy group flags to the kernel features ethtool lists
// under them (ethtool's off_flag_def; a '*' stands for any text). JSON output has no
// indentation, so this is how a sub-feature finds its parent there.
var groupPatterns = map[string]string{
	"rx-checksumming":              "rx-checksum",
	"tx-checksumming":              "tx-checksum-*",
	"scatter-gather":               "tx-scatter-gather*",
	"tcp-segmentation-offload":     "tx-tcp*-segmentation",
	"udp-fragmentation-offload":    "tx-udp-fragmentation",
	"generic-segmentation-offload": "tx-generic-segmentation",
	"generic-receive-offload":      "rx-gro",
	"large-receive-offload":        "rx-lro",
	"rx-vlan-offload":              "rx-vlan-hw-parse",
	"tx-vlan-offload":              "tx-vlan-hw-insert",
	"ntuple-filters":               "rx-ntuple-filter",
	"receive-hashing":              "rx-hashing",
}

func patternMatch(name, pattern string) bool {
	pre, post, star := strings.Cut(pattern, "*")
	if !star {
		return name == pattern
	}
	return len(name) >= len(pre)+len(post) && strings.HasPrefix(name, pre) && strings.HasSuffix(name, post)
}

// jsonFeature is one entry of `ethtool --json -k`; group flags have null fixed and
// requested.
type jsonFeature struct {
	Active    *bool `json:"active"`
	Fixed     *bool `json:"fixed"`
	Requested *bool `json:"requested"`
}

// parseFeaturesJSON reads `ethtool --json -k IFNAME`:
// [ {"ifname": "eth0", "rx-checksumming": {"active": true, "fixed": false, "requested": true}, ...} ]
func parseFeaturesJSON(data []byte, r *FeaturesResult, ds *diag.List) {
	// Offsets mostly grow, so lines are counted incrementally: recounting from the
	// start for every key would make a large file quadratic.
	var seenOff, seenLines int
	lineAt := func(o int64) int {
		off := len(data)
		if o >= 0 && o < int64(len(data)) {
			off = int(o)
		}
		if off < seenOff {
			seenOff, seenLines = 0, 0
		}
		seenLines += bytes.Count(data[seenOff:off], []byte{'\n'})
		seenOff = off
		n := 1 + seenLines
		if off == len(data) && data[len(data)-1] == '\n' {
			n-- // at the end of input, the last line rather than one past it
		}
		return n
	}
	fail := func(dec *json.Decoder, err error) {
		line := lineAt(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = lineAt(se.Offset)
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if len(r.Features) == 0 {
			ds.Addf(diag.Error, line, "unreadable JSON, not `ethtool --json -k` output: %v", err)
			return
		}
		ds.Warnf(line, "JSON ends early (%v); features up to here are kept", err)
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		fail(dec, err)
		return
	}
	if tok == json.Delim('[') {
		if !dec.More() {
			ds.Warnf(0, "no features listed")
			return
		}
		if tok, err = dec.Token(); err != nil {
			fail(dec, err)
			return
		}
	}
	if tok != json.Delim('{') {
		ds.Addf(diag.Error, 1, "JSON is not an object of features: not `ethtool --json -k` output")
		return
	}
	seen := map[string]int{}
	group := ""
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			fail(dec, err)
			return
		}
		key, _ := kt.(string)
		n := lineAt(dec.InputOffset())
		if key == "ifname" {
			var s string
			if err := dec.Decode(&s); err != nil {
				ds.Warnf(n, "ifname is not a string")
				continue
			}
			r.Interface = s
			continue
		}
		var jf jsonFeature
		if err := dec.Decode(&jf); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				fail(dec, err)
				return
			}
			ds.Warnf(n, "feature %q is not an {active, fixed, requested} object", key)
			continue
		}
		if jf.Active == nil || key == "" {
			ds.Warnf(n, "feature %q has no active state", key)
			continue
		}
		f := Feature{Line: n, Name: key, On: *jf.Active}
		f.Fixed = jf.Fixed != nil && *jf.Fixed
		if jf.Requested != nil && *jf.Requested != f.On {
			f.RequestedSet, f.RequestedOn = true, *jf.Requested
		}
		if p, ok := groupPatterns[group]; ok && patternMatch(key, p) {
			f.Parent = group
		} else {
			group = ""
		}
		if jf.Fixed == nil && jf.Requested == nil {
			group = key
		}
		if first, dup := seen[key]; dup {
			ds.Warnf(n, "feature %s listed again (first on line %d); the first is kept", key, first)
			continue
		}
		seen[key] = n
		r.Features = append(r.Features, f)
	}
	if _, err := dec.Token(); err != nil {
		fail(dec, err)
		return
	}
	if dec.More() {
		ds.Warnf(lineAt(dec.InputOffset()), "more than one interface: only the first interface's features are read")
	}
	if len(r.Features) == 0 {
		ds.Warnf(0, "no features listed")
	}
}
