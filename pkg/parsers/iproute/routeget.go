package iproute

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// RouteGet is the kernel's answer to one `ip route get ADDR`.
type RouteGet struct {
	// Line is the "# ip route get ADDR" header, or the answer's first line when
	// the file has no headers.
	Line int
	// Query is the address asked about: from the header, else the answer's
	// destination.
	Query netip.Addr
	// Route is the answer; nil when the command printed an error or nothing.
	Route *Route
	// Err is the error the command printed ("RTNETLINK answers: Network is
	// unreachable", "Error: ..."), as printed.
	Err string
}

// RouteGetResult is the content of net/route-get.txt.
type RouteGetResult struct {
	Gets []RouteGet
}

// Find returns the answer for addr, or nil.
func (r *RouteGetResult) Find(addr netip.Addr) *RouteGet {
	for i := range r.Gets {
		if r.Gets[i].Query == addr {
			return &r.Gets[i]
		}
	}
	return nil
}

// Summary is e.g. "4 lookups (3 routed, 1 error)".
func (r *RouteGetResult) Summary() string {
	routed, errs, none := 0, 0, 0
	for _, g := range r.Gets {
		switch {
		case g.Route != nil:
			routed++
		case g.Err != "":
			errs++
		default:
			none++
		}
	}
	s := fmt.Sprintf("%s (%d routed, %s", plural(len(r.Gets), "lookup", "lookups"), routed, plural(errs, "error", "errors"))
	if none > 0 {
		s += fmt.Sprintf(", %d without an answer", none)
	}
	return s + ")"
}

// ParseRouteGet reads `ip route get` answers, each preceded by a header line
// "# ip route get ADDR" (the bundle's net/route-get.txt), or a single answer
// without header. Other lines starting with '#' are comments.
func ParseRouteGet(data []byte) (*RouteGetResult, []diag.Diagnostic) {
	p := newParser(data)
	res := &RouteGetResult{}
	cur := -1 // index of the block lines belong to
	var fieldBuf [64][]byte
	fields := fieldBuf[:0]
	s := lines.New(data)
	for s.Next() {
		num := s.Num()
		b := s.Bytes()
		t := b[lines.Indent(b):]
		if len(t) == 0 {
			continue
		}
		if t[0] == '#' || t[0] == '$' {
			if q, isHeader, ok := parseGetHeader(t[1:]); isHeader {
				p.routeLike = true
				res.Gets = append(res.Gets, RouteGet{Line: num, Query: q})
				cur = len(res.Gets) - 1
				if !ok {
					p.diags.Warnf(num, "no address in the ip route get header %s", quote(t))
				}
			}
			continue
		}
		p.nonBlank(num, t)
		if isErrorLine(t) {
			p.routeLike = true
			if cur < 0 || res.Gets[cur].Route != nil || res.Gets[cur].Err != "" {
				res.Gets = append(res.Gets, RouteGet{Line: num})
				cur = len(res.Gets) - 1
			}
			res.Gets[cur].Err = string(t)
			continue
		}
		f := lines.Fields(fields, t)
		fields = f
		switch string(f[0]) {
		case "nexthop", "cache":
			if cur < 0 || res.Gets[cur].Route == nil {
				p.orphan(num, f[0])
				continue
			}
			p.continuation(num, res.Gets[cur].Route, f)
			continue
		}
		r := new(Route)
		if !p.route(num, f, r) {
			continue
		}
		if cur < 0 || res.Gets[cur].Route != nil || res.Gets[cur].Err != "" {
			res.Gets = append(res.Gets, RouteGet{Line: num, Query: r.Dst.Addr()})
			cur = len(res.Gets) - 1
		}
		res.Gets[cur].Route = r
	}
	if len(res.Gets) == 0 {
		p.notTheFormat("ip route get")
	}
	return res, p.diags
}

// isErrorLine matches what ip and the kernel print instead of an answer.
func isErrorLine(t []byte) bool {
	for _, pre := range [...]string{"RTNETLINK answers:", "Error:", "Cannot ", "Device ", "ip: "} {
		if bytes.HasPrefix(t, []byte(pre)) {
			return true
		}
	}
	return false
}

// parseGetHeader reads " ip [-4|-6|...] route get [fibmatch] [to] ADDR [from
// ...]" (after the '#'). isHeader says whether it is such a line at all.
func parseGetHeader(b []byte) (q netip.Addr, isHeader, ok bool) {
	f := lines.Fields(make([][]byte, 0, 12), b)
	i := 0
	if i < len(f) && (string(f[i]) == "ip" || bytes.HasSuffix(f[i], []byte("/ip"))) {
		i++
	} else {
		return q, false, false
	}
	for i < len(f) && len(f[i]) > 0 && f[i][0] == '-' {
		i++
	}
	// ip accepts any prefix of "route" and "get".
	if i+1 >= len(f) || !isAbbrev(f[i], "route") || !isAbbrev(f[i+1], "get") {
		return q, false, false
	}
	for _, w := range f[i+2:] {
		switch string(w) {
		case "fibmatch", "to", "connected":
			continue
		}
		if pfx, ok := parsePrefix(w); ok {
			return pfx.Addr(), true, true
		}
		break
	}
	return q, true, false
}

func isAbbrev(w []byte, full string) bool {
	return len(w) > 0 && len(w) <= len(full) && string(w) == full[:len(w)]
}
