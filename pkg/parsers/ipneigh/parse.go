// Package ipneigh parses the neighbour (ARP/NDP) table as iproute2's `ip neigh show`
// prints it, including `ip -s neigh`, `ip neigh show nud all`, `ip neigh show proxy`,
// `ip -br neigh` and the comma-separated states of old versions. It is how the
// analyzer sees whether a node resolved its peers: the upstream gateway, other
// nodes, and, with Calico VXLAN, the permanent entries for peer VTEP addresses on
// vxlan.calico.
package ipneigh

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Result is one `ip neigh show` listing.
type Result struct {
	Neighs []Neigh
}

// Neigh is one neighbour entry.
type Neigh struct {
	Line int
	Addr netip.Addr
	// Dev is empty when the listing was filtered by device (`ip neigh show dev X`).
	Dev string
	// LLAddr is the link-layer address as printed: a MAC on Ethernet (lower case),
	// an IPv4 address on ipip/gre devices; empty for INCOMPLETE and FAILED entries.
	LLAddr string
	Router bool
	Proxy  bool
	// States are the NUD states as printed (REACHABLE, STALE, DELAY, PROBE, FAILED,
	// INCOMPLETE, NOARP, PERMANENT, NONE); usually one, several when the kernel
	// reports a combination. Empty for proxy entries.
	States []string
	// Flags keeps extern_learn, offload, managed, Deleted/miss (ip monitor) and
	// words this parser does not know.
	Flags []string
	// Proto is the "proto X" origin (zebra, bgp, ...) of newer iproute2.
	Proto string
	// Ref, Used and Probes come from `ip -s neigh`: reference count, "used/
	// confirmed/updated" ages in seconds as printed, probes sent.
	Ref    int
	Used   string
	Probes int
}

// HasState reports whether s (upper case) is among the entry's states.
func (n *Neigh) HasState(s string) bool {
	for _, x := range n.States {
		if x == s {
			return true
		}
	}
	return false
}

// Unresolved reports whether resolution failed or has not completed (FAILED or
// INCOMPLETE): the neighbour did not answer ARP/NDP.
func (n *Neigh) Unresolved() bool { return n.HasState("FAILED") || n.HasState("INCOMPLETE") }

// Lookup returns the first entry for addr, on dev unless dev is empty.
func (r *Result) Lookup(addr netip.Addr, dev string) *Neigh {
	for i := range r.Neighs {
		n := &r.Neighs[i]
		if n.Addr == addr && (dev == "" || n.Dev == dev) {
			return n
		}
	}
	return nil
}

// stateOrder is the order iproute2 prints states in, used by Summary.
var stateOrder = []string{"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT", "NONE"}

// Summary counts entries by state:
// "5 neighbours (INCOMPLETE 1, REACHABLE 2, PERMANENT 2), 1 proxy".
func (r *Result) Summary() string {
	count := map[string]int{}
	var extra []string
	proxies := 0
	for i := range r.Neighs {
		n := &r.Neighs[i]
		if n.Proxy {
			proxies++
		}
		for _, s := range n.States {
			if count[s] == 0 && !known(s) {
				extra = append(extra, s)
			}
			count[s]++
		}
	}
	var b strings.Builder
	if len(r.Neighs) == 1 {
		b.WriteString("1 neighbour")
	} else {
		fmt.Fprintf(&b, "%d neighbours", len(r.Neighs))
	}
	sep := " ("
	for _, s := range append(append([]string(nil), stateOrder...), extra...) {
		if count[s] > 0 {
			fmt.Fprintf(&b, "%s%s %d", sep, s, count[s])
			sep = ", "
		}
	}
	if sep == ", " {
		b.WriteString(")")
	}
	if proxies > 0 {
		fmt.Fprintf(&b, ", %d proxy", proxies)
	}
	return b.String()
}

func known(s string) bool {
	for _, k := range stateOrder {
		if k == s {
			return true
		}
	}
	return false
}

// Parse reads `ip [-s] neigh show` output. A line it cannot read is skipped with a
// warning; input with no neighbour line at all yields one error. An empty input
// is an empty table (a node may have no neighbours), not a diagnostic.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	res := &Result{}
	var diags diag.List
	if d, bad := notText(data); bad {
		return res, []diag.Diagnostic{d}
	}
	var f [][]byte
	first, firstLine, bad := []byte(nil), 0, 0
	s := lines.New(data)
	for s.Next() {
		b := bytes.TrimLeft(s.Bytes(), " \t")
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if firstLine == 0 {
			first, firstLine = b, s.Num()
		}
		f = lines.Fields(f, b)
		n, msg := parseLine(f)
		if msg != "" {
			bad++
			diags.Warnf(s.Num(), "%s: %s", msg, quote(b))
			continue
		}
		n.Line = s.Num()
		res.Neighs = append(res.Neighs, n)
	}
	if len(res.Neighs) == 0 && bad > 0 {
		return res, []diag.Diagnostic{{Severity: diag.Error, Line: firstLine,
			Msg: fmt.Sprintf("not ip neigh output: no neighbour entry found (first line %s)", quote(first))}}
	}
	return res, diags
}

// parseLine reads "[Deleted|miss] ADDR [dev DEV] [lladdr LL] [router] [proxy]
// [extern_learn] [offload] [managed] [ref N] [used A/B/C] [probes N] STATE... [proto
// P]" and the `ip -br neigh` form "DEV ADDR [LL]". msg is why a line was skipped.
func parseLine(f [][]byte) (n Neigh, msg string) {
	i := 0
	for i < len(f) && (string(f[i]) == "Deleted" || string(f[i]) == "miss" || string(f[i]) == "Miss") {
		n.Flags = append(n.Flags, string(f[i]))
		i++
	}
	if i >= len(f) {
		return n, "no address"
	}
	a, err := netip.ParseAddr(string(f[i]))
	if err != nil {
		// `ip -br neigh`: "bridge0          172.16.12.100     b0:fc:36:2f:07:43".
		if i+1 < len(f) {
			if a2, err2 := netip.ParseAddr(string(f[i+1])); err2 == nil {
				n.Dev, n.Addr = string(f[i]), a2
				if i+2 < len(f) {
					n.LLAddr = lowerMAC(string(f[i+2]))
				}
				for _, w := range f[min(i+3, len(f)):] {
					n.States = appendStates(n.States, string(w))
				}
				return n, ""
			}
		}
		return n, "not a neighbour entry (no address first)"
	}
	n.Addr = a
	for i++; i < len(f); i++ {
		k := string(f[i])
		switch k {
		case "dev", "lladdr", "proto", "protocol", "ref", "used", "probes":
			if i+1 >= len(f) {
				return n, fmt.Sprintf("%q without a value", k)
			}
			i++
			v := string(f[i])
			switch k {
			case "dev":
				n.Dev = v
			case "lladdr":
				n.LLAddr = lowerMAC(v)
			case "proto", "protocol":
				n.Proto = v
			case "ref":
				n.Ref = atoi(v)
			case "used":
				// iproute2 6.1 prints "used 3/63/3probes 6": the space is missing.
				if u, ok := strings.CutSuffix(v, "probes"); ok {
					n.Used = u
					if i+1 < len(f) {
						i++
						n.Probes = atoi(string(f[i]))
					}
				} else {
					n.Used = v
				}
			case "probes":
				n.Probes = atoi(v)
			}
		case "router":
			n.Router = true
		case "proxy":
			n.Proxy = true
		default:
			if isUpper(k) {
				n.States = appendStates(n.States, k)
			} else {
				n.Flags = append(n.Flags, k)
			}
		}
	}
	return n, ""
}

// appendStates adds "STALE" or the comma-separated "REACHABLE,NOARP" of old
// iproute2 versions.
func appendStates(dst []string, w string) []string {
	for _, s := range strings.Split(w, ",") {
		if s != "" {
			dst = append(dst, s)
		}
	}
	return dst
}

func isUpper(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && c != ',' && c != '_' {
			return false
		}
	}
	return true
}

// lowerMAC lower-cases a colon-separated hardware address so that it compares
// with the MACs of ip link and bridge fdb; anything else is kept as printed.
func lowerMAC(s string) string {
	if strings.IndexByte(s, ':') >= 0 && strings.IndexByte(s, '.') < 0 {
		return strings.ToLower(s)
	}
	return s
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// notText recognises input that is not ip neigh's text output at all.
func notText(data []byte) (diag.Diagnostic, bool) {
	head := bytes.TrimLeft(data, " \t\r\n")
	if len(head) > 0 && (head[0] == '[' || head[0] == '{') {
		return diag.Diagnostic{Severity: diag.Error,
			Msg: "JSON output (ip -j) is not supported: collect the plain text of ip neigh show"}, true
	}
	if len(head) > 512 {
		head = head[:512]
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			ctl++
		}
	}
	if ctl*10 > len(head) {
		return diag.Diagnostic{Severity: diag.Error, Msg: "binary data, not ip neigh output"}, true
	}
	return diag.Diagnostic{}, false
}

func quote(b []byte) string {
	const max = 80
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
