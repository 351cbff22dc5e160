// Package ipvsadm parses the IPVS table as `ipvsadm -Ln` prints it, and its
// `ipvsadm -Ln --stats` and `ipvsadm -Ln --rate` variants: the virtual services
// kube-proxy (IPVS mode) programs for each Service IP and the real servers (pod
// endpoints) behind them. It is how the analyzer sees whether the DNS VIP exists
// on a node and which CoreDNS pods it sends queries to.
//
// The listing mode is taken from the column header ipvsadm prints; a fragment
// without a header is read by the shape of its lines.
package ipvsadm

import (
	"bytes"
	"fmt"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/tok"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Result is one `ipvsadm -Ln` listing.
type Result struct {
	// Version and Size come from "IP Virtual Server version 1.2.1 (size=4096)";
	// Size is the connection hash table size. Empty/0 when the line is absent
	// (ipvsadm -Ln -t VIP:PORT, or a cut excerpt).
	Version string
	Size    int
	// Stats is set for a --stats listing: Service.Stats and Real.Stats hold the
	// counters, and the list-mode columns (Scheduler, Forward, Weight, ...) are
	// absent (see Real).
	Stats bool
	// Rate is set for a --rate listing: Service.Rate and Real.Rate hold the rates.
	Rate     bool
	Services []Service
}

// Service is one virtual service.
type Service struct {
	Line int
	// Proto is TCP, UDP or SCTP for an address service, FWM for a firewall-mark one.
	Proto string
	// Addr is the virtual address and port; zero for FWM services.
	Addr netip.AddrPort
	// FWMark is the mark of an FWM service, 0 otherwise.
	FWMark uint32
	// IPv6 is the service's family: from Addr, or the "IPv6" word after an FWM mark.
	IPv6 bool
	// Scheduler is rr, wrr, lc, sh, mh, ... ("" in --stats/--rate listings).
	Scheduler string
	// Persistent is the persistence timeout in seconds, 0 when not persistent.
	Persistent int
	// Mask is the persistence netmask ("255.255.255.0", or a prefix length for
	// IPv6) when it is not the host mask; PE the persistence engine ("sip").
	Mask string
	PE   string
	// Flags keeps the scheduler flags (sh-fallback, sh-port, flag-1, ...), "ops",
	// and any word this parser does not know, as printed.
	Flags []string
	Stats Counters
	Rate  Rates
	Reals []Real
}

// Real is one real server (destination) of a service.
type Real struct {
	Line int
	Addr netip.AddrPort
	// Forward is the forwarding method as printed: Masq, Route, Tunnel, Local.
	// Tunnel is the TunnelInfo column of `--tun-info` listings ("ipip", "gue:...").
	Forward string
	Tunnel  string
	// Weight, ActiveConn and InActConn are -1 in --stats and --rate listings,
	// which do not show them; a weight of 0 always means a drained server.
	Weight     int
	ActiveConn int64
	InActConn  int64
	Stats      Counters
	Rate       Rates
}

// Counters are the --stats columns. ipvsadm rounds large values down and prints
// them with a K/M/G/T suffix (powers of 1000) unless run with --exact; Approx
// records that at least one value was read from such a suffix.
type Counters struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
	Approx                                    bool
}

// Rates are the --rate columns, per second; Approx as in Counters.
type Rates struct {
	CPS, InPPS, OutPPS, InBPS, OutBPS uint64
	Approx                            bool
}

// Find returns the service with that protocol (case-insensitive) and virtual
// address, or nil.
func (r *Result) Find(proto string, addr netip.AddrPort) *Service {
	for i := range r.Services {
		s := &r.Services[i]
		if s.Addr == addr && strings.EqualFold(s.Proto, proto) {
			return s
		}
	}
	return nil
}

// FindFWM returns the firewall-mark service with that mark, or nil.
func (r *Result) FindFWM(mark uint32) *Service {
	for i := range r.Services {
		if s := &r.Services[i]; s.Proto == "FWM" && s.FWMark == mark {
			return s
		}
	}
	return nil
}

// Summary is e.g. "12 services (TCP 8, UDP 4), 31 real servers".
func (r *Result) Summary() string {
	var counts [4]int // TCP, UDP, SCTP, FWM
	other := 0
	reals := 0
	for i := range r.Services {
		s := &r.Services[i]
		reals += len(s.Reals)
		switch s.Proto {
		case "TCP":
			counts[0]++
		case "UDP":
			counts[1]++
		case "SCTP":
			counts[2]++
		case "FWM":
			counts[3]++
		default:
			other++
		}
	}
	var b strings.Builder
	b.WriteString(plural(len(r.Services), "service", "services"))
	var parts []string
	for i, name := range [...]string{"TCP", "UDP", "SCTP", "FWM"} {
		if counts[i] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, counts[i]))
		}
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("other %d", other))
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	b.WriteString(", " + plural(reals, "real server", "real servers"))
	switch {
	case r.Stats:
		b.WriteString(", with --stats counters")
	case r.Rate:
		b.WriteString(", with --rate columns")
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// mode is the column layout announced by the title lines.
type mode int

const (
	modeUnknown     mode = iota // no title seen: decided per line by its shape
	modeList                    // Scheduler Flags / Forward Weight ActiveConn InActConn
	modeStats                   // Conns InPkts OutPkts InBytes OutBytes
	modeRate                    // CPS InPPS OutPPS InBPS OutBPS
	modeThresholds              // Uthreshold Lthreshold ActiveConn InActConn
	modePersistConn             // Weight PersistConn ActiveConn InActConn
)

// parser carries the state of one Parse call.
type parser struct {
	res   Result
	diags diag.List
	mode  mode
	// reals holds every real server in file order; each service's Reals is cut
	// from it at the end, so that a service does not cost its own allocations.
	reals     []Real
	realStart []int // per service: first index into reals
	// skipReals is set after a service line that could not be read, so that its
	// real servers are not each reported as orphans.
	skipReals bool
	sawHeader bool
	unknown   int // unrecognised non-blank lines
	firstLine int // first non-blank line, for the whole-file error
	first     []byte
	fields    [][]byte
	intern    map[string]string
}

// Parse reads `ipvsadm -Ln` output (plain, --stats, --rate, --exact, --tun-info,
// --thresholds, --persistent-conn). Lines it cannot read are skipped with a
// warning; input with nothing of ipvsadm in it yields one error.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := &parser{fields: make([][]byte, 0, 16)}
	// Sizing both slices up front from a cheap count halves the time spent
	// allocating and copying on tables of thousands of services. The caps keep
	// hostile input from reserving more than a few times its own size: no real
	// server line is shorter than 24 bytes, no service line than 16.
	nReals := min(bytes.Count(data, []byte("  -> ")), len(data)/24)
	nSvcs := min(bytes.Count(data, []byte("TCP  "))+bytes.Count(data, []byte("UDP  "))+
		bytes.Count(data, []byte("SCTP  "))+bytes.Count(data, []byte("FWM  ")), len(data)/16)
	if nReals > 0 {
		p.reals = make([]Real, 0, nReals)
	}
	if nSvcs > 0 {
		p.res.Services = make([]Service, 0, nSvcs)
		p.realStart = make([]int, 0, nSvcs)
	}
	s := lines.New(data)
	for s.Next() {
		p.line(s.Num(), s.Bytes())
	}
	p.finish()
	if len(p.res.Services) == 0 && !p.sawHeader && p.unknown > 0 {
		// Nothing of ipvsadm in it: one error instead of a warning per line.
		d := []diag.Diagnostic{{Severity: diag.Error, Line: p.firstLine,
			Msg: fmt.Sprintf("not ipvsadm -Ln output: %s", quote(p.first))}}
		return &p.res, d
	}
	if p.firstLine == 0 {
		p.diags.Warnf(0, "empty input: ipvsadm -Ln always prints a version line, so the command probably failed")
	}
	return &p.res, p.diags
}

func (p *parser) finish() {
	n := len(p.res.Services)
	for i := 0; i < n; i++ {
		start := p.realStart[i]
		end := len(p.reals)
		if i+1 < n {
			end = p.realStart[i+1]
		}
		if end > start {
			p.res.Services[i].Reals = p.reals[start:end:end]
		}
	}
}

func (p *parser) line(num int, b []byte) {
	if len(b) == 0 {
		return
	}
	if p.firstLine == 0 {
		p.firstLine, p.first = num, b
	}
	t := b[lines.Indent(b):]
	if len(t) == 0 {
		return
	}
	switch {
	case bytes.HasPrefix(t, []byte("->")):
		p.real(num, t[2:])
		return
	case bytes.HasPrefix(t, []byte("IP Virtual Server version")):
		p.version(num, t)
		return
	case bytes.HasPrefix(t, []byte("Prot LocalAddress:Port")):
		p.title(t[len("Prot LocalAddress:Port"):])
		return
	}
	p.fields = lines.Fields(p.fields, t)
	switch string(p.fields[0]) {
	case "TCP", "UDP", "SCTP", "FWM":
		p.service(num, p.fields)
		return
	}
	p.unknown++
	p.diags.Warnf(num, "unrecognised line skipped: %s", quote(t))
}

func (p *parser) version(num int, t []byte) {
	p.sawHeader = true
	f := lines.Fields(p.fields, t)
	// IP Virtual Server version 1.2.1 (size=4096)
	if len(f) >= 5 {
		p.res.Version = p.str(f[4])
	}
	if len(f) >= 6 {
		sz := bytes.TrimSuffix(bytes.TrimPrefix(f[5], []byte("(size=")), []byte(")"))
		if n, ok := tok.ParseUint(sz); ok && n <= 1<<31 {
			p.res.Size = int(n)
		} else {
			p.diags.Warnf(num, "unreadable table size %s in version line", quote(f[5]))
		}
	}
	if p.res.Version == "" {
		p.diags.Warnf(num, "version line without a version number")
	}
}

func (p *parser) title(rest []byte) {
	p.sawHeader = true
	f := lines.Fields(p.fields, rest)
	p.mode = modeList
	if len(f) > 0 {
		switch string(f[0]) {
		case "Conns":
			p.mode = modeStats
		case "CPS":
			p.mode = modeRate
		case "Uthreshold":
			p.mode = modeThresholds
		case "Weight":
			p.mode = modePersistConn
		}
	}
	p.res.Stats = p.mode == modeStats
	p.res.Rate = p.mode == modeRate
}

func (p *parser) service(num int, f [][]byte) {
	svc := Service{Line: num}
	i := 2
	if string(f[0]) == "FWM" {
		svc.Proto = "FWM"
		if len(f) < 2 {
			p.badService(num, "FWM service without a mark")
			return
		}
		m, ok := tok.ParseUint(f[1])
		if !ok || m > 1<<32-1 {
			p.badService(num, fmt.Sprintf("FWM mark %s is not a number", quote(f[1])))
			return
		}
		svc.FWMark = uint32(m)
		if len(f) > 2 && string(f[2]) == "IPv6" {
			svc.IPv6 = true
			i = 3
		}
	} else {
		svc.Proto = p.str(f[0])
		if len(f) < 2 {
			p.badService(num, "service line without an address")
			return
		}
		ap, ok := parseAddrPort(f[1])
		if !ok {
			p.badService(num, fmt.Sprintf("service address %s is not numeric ADDR:PORT (was ipvsadm run without -n?)", quote(f[1])))
			return
		}
		svc.Addr = ap
		svc.IPv6 = ap.Addr().Is6()
	}
	rest := f[i:]
	m := p.mode
	if m == modeUnknown {
		// Without a title line, counters after the address tell --stats apart.
		m = modeList
		if len(rest) > 0 && isDigit(rest[0][0]) {
			m = modeStats
			p.res.Stats = true
		}
	}
	switch m {
	case modeStats, modeRate:
		var v [5]uint64
		approx, n, bad := p.numbers(rest, v[:])
		if bad != nil {
			p.diags.Warnf(num, "unreadable counter %s in service line", quote(bad))
		} else if n < 5 {
			p.diags.Warnf(num, "service line has %d of 5 counters", n)
		}
		if m == modeStats {
			svc.Stats = Counters{v[0], v[1], v[2], v[3], v[4], approx}
		} else {
			svc.Rate = Rates{v[0], v[1], v[2], v[3], v[4], approx}
		}
	default:
		p.serviceFlags(num, &svc, rest)
	}
	p.res.Services = append(p.res.Services, svc)
	p.realStart = append(p.realStart, len(p.reals))
	p.skipReals = false
}

// serviceFlags reads "rr (sh-fallback,sh-port) persistent 10800 mask 255.255.255.0 pe sip ops".
func (p *parser) serviceFlags(num int, svc *Service, f [][]byte) {
	if len(f) == 0 {
		return
	}
	svc.Scheduler = p.str(f[0])
	f = f[1:]
	for j := 0; j < len(f); j++ {
		w := f[j]
		switch {
		case w[0] == '(':
			// Scheduler flags are one comma-separated word in parentheses, but
			// keep reading words until the closing one in case of spaces.
			for {
				inner := bytes.TrimSuffix(bytes.TrimPrefix(f[j], []byte("(")), []byte(")"))
				for _, fl := range bytes.Split(inner, []byte(",")) {
					if len(fl) > 0 {
						svc.Flags = append(svc.Flags, p.str(fl))
					}
				}
				if bytes.HasSuffix(f[j], []byte(")")) || j+1 >= len(f) {
					break
				}
				j++
			}
		case string(w) == "persistent" && j+1 < len(f):
			n, ok := tok.ParseUint(f[j+1])
			if !ok || n > 1<<31 {
				p.diags.Warnf(num, "persistence timeout %s is not a number", quote(f[j+1]))
				svc.Flags = append(svc.Flags, "persistent")
				continue
			}
			svc.Persistent = int(n)
			j++
		case string(w) == "mask" && j+1 < len(f):
			svc.Mask = p.str(f[j+1])
			j++
		case string(w) == "pe" && j+1 < len(f):
			svc.PE = p.str(f[j+1])
			j++
		default:
			svc.Flags = append(svc.Flags, p.str(w))
		}
	}
}

func (p *parser) badService(num int, msg string) {
	p.diags.Warnf(num, "%s; service and its real servers skipped", msg)
	p.skipReals = true
}

func (p *parser) real(num int, rest []byte) {
	f := lines.Fields(p.fields, rest)
	if len(f) == 0 {
		p.unknown++
		p.diags.Warnf(num, "real-server line without an address")
		return
	}
	if bytes.HasPrefix(f[0], []byte("RemoteAddress")) {
		// Second title line; --tun-info adds a TunnelInfo column.
		return
	}
	if p.skipReals {
		return
	}
	if len(p.res.Services) == 0 {
		p.diags.Warnf(num, "real server before any virtual service skipped")
		return
	}
	ap, ok := parseAddrPort(f[0])
	if !ok {
		p.diags.Warnf(num, "real-server address %s is not numeric ADDR:PORT; line skipped", quote(f[0]))
		return
	}
	r := Real{Line: num, Addr: ap, Weight: -1, ActiveConn: -1, InActConn: -1}
	cols := f[1:]
	m := p.mode
	if m == modeUnknown {
		m = modeList
		if p.res.Stats {
			m = modeStats
		}
	}
	switch m {
	case modeStats, modeRate:
		var v [5]uint64
		approx, n, bad := p.numbers(cols, v[:])
		if bad != nil {
			p.diags.Warnf(num, "unreadable counter %s in real-server line", quote(bad))
		} else if n < 5 {
			p.diags.Warnf(num, "real-server line has %d of 5 counters", n)
		}
		if m == modeStats {
			r.Stats = Counters{v[0], v[1], v[2], v[3], v[4], approx}
		} else {
			r.Rate = Rates{v[0], v[1], v[2], v[3], v[4], approx}
		}
	case modeThresholds, modePersistConn:
		// Both end with ActiveConn InActConn; --persistent-conn starts with Weight.
		var v [4]uint64
		if _, n, bad := p.numbers(cols, v[:]); bad != nil || n < 4 {
			p.diags.Warnf(num, "real-server line does not have 4 numeric columns")
		} else {
			if m == modePersistConn && v[0] < 1<<31 {
				r.Weight = int(v[0])
			}
			r.ActiveConn, r.InActConn = clamp63(v[2]), clamp63(v[3])
		}
	default:
		if !p.listReal(&r, cols) {
			p.diags.Warnf(num, "real-server line is not ADDR:PORT FORWARD WEIGHT ACTIVECONN INACTCONN; skipped")
			return
		}
	}
	p.reals = append(p.reals, r)
}

// listReal reads "Masq 1 0 6930", or "Tunnel ipip 1 0 0" with --tun-info.
func (p *parser) listReal(r *Real, f [][]byte) bool {
	if len(f) < 4 {
		return false
	}
	r.Forward = p.str(f[0])
	nums := f[1:4]
	if len(f) >= 5 && !isDigit(f[1][0]) {
		if string(f[1]) != "-" { // "-": not a tunnel
			r.Tunnel = p.str(f[1])
		}
		nums = f[2:5]
	}
	w, ok1 := tok.ParseUint(nums[0])
	a, ok2 := tok.ParseUint(nums[1])
	in, ok3 := tok.ParseUint(nums[2])
	if !ok1 || !ok2 || !ok3 || w > 1<<31 {
		return false
	}
	r.Weight, r.ActiveConn, r.InActConn = int(w), clamp63(a), clamp63(in)
	return true
}

// numbers reads up to len(dst) counters; it returns whether any had a suffix,
// how many were read, and the first word that is not a counter.
func (p *parser) numbers(f [][]byte, dst []uint64) (approx bool, n int, bad []byte) {
	for n < len(dst) && n < len(f) {
		v, sfx, ok := parseCount(f[n])
		if !ok {
			return approx, n, f[n]
		}
		dst[n] = v
		approx = approx || sfx
		n++
	}
	return approx, n, nil
}

// str interns short repeated words (schedulers, forwarding methods) so that a
// table of thousands of services shares their strings.
func (p *parser) str(b []byte) string {
	switch string(b) {
	case "Masq":
		return "Masq"
	case "Route":
		return "Route"
	case "Tunnel":
		return "Tunnel"
	case "Local":
		return "Local"
	case "rr":
		return "rr"
	case "TCP":
		return "TCP"
	case "UDP":
		return "UDP"
	}
	if p.intern == nil {
		p.intern = make(map[string]string)
	}
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < 1024 {
		p.intern[s] = s
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func clamp63(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

// parseCount reads a counter as print_largenum writes it: digits, or digits and
// a K/M/G/T suffix meaning the value was divided by that power of 1000.
func parseCount(b []byte) (v uint64, suffixed, ok bool) {
	if len(b) == 0 {
		return 0, false, false
	}
	var mul uint64
	switch b[len(b)-1] {
	case 'K':
		mul = 1e3
	case 'M':
		mul = 1e6
	case 'G':
		mul = 1e9
	case 'T':
		mul = 1e12
	}
	if mul == 0 {
		v, ok = tok.ParseUint(b)
		return v, false, ok
	}
	v, ok = tok.ParseUint(b[:len(b)-1])
	if !ok || v > (1<<64-1)/mul {
		return 0, false, false
	}
	return v * mul, true, true
}

// parseAddrPort reads "10.0.0.10:53" or "[2001:db8::a]:53". IPv4, by far the
// common case, is read by hand because netip.ParseAddrPort(string(b)) costs an
// allocation per call.
func parseAddrPort(b []byte) (netip.AddrPort, bool) {
	if len(b) > 0 && b[0] == '[' {
		ap, err := netip.ParseAddrPort(string(b))
		return ap, err == nil
	}
	c := bytes.LastIndexByte(b, ':')
	if c < 0 {
		return netip.AddrPort{}, false
	}
	a, ok := tok.ParseIPv4(b[:c])
	if !ok {
		return netip.AddrPort{}, false
	}
	port, ok := tok.ParseUint(b[c+1:])
	if !ok || port > 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}

// quote shows a line or word in a message, cut so that a binary file does not
// flood the report.
func quote(b []byte) string {
	const max = 80
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
