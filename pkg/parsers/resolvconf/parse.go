// Package resolvconf parses /etc/resolv.conf as glibc reads it. The node's file is
// what CoreDNS forwards to (`forward . /etc/resolv.conf`) and what pods with
// dnsPolicy Default inherit: a loopback stub such as systemd-resolved's 127.0.0.53
// there makes CoreDNS forward to itself (the loop plugin's "Loop ... detected").
package resolvconf

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// glibc's limits (resolv.h): it uses the first MAXNS nameservers and clamps ndots,
// timeout and attempts.
const (
	maxNS       = 3
	maxNdots    = 15
	maxTimeout  = 30
	maxAttempts = 5
)

// Entry is one nameserver line.
type Entry struct {
	Line int
	Addr netip.Addr // may carry an IPv6 zone (fe80::1%eth0)
}

// Result is the configuration the file sets.
type Result struct {
	// Nameservers lists every nameserver line in order; glibc uses only the first
	// three, CoreDNS's forward plugin all of them.
	Nameservers []Entry
	// Search is the list of the last search line, SearchLine its line (0 when there
	// is none): glibc keeps only the last one.
	Search     []string
	SearchLine int
	// Domain and DomainLine are the last domain line. glibc lets the later of search
	// and domain win; EffectiveSearch applies that.
	Domain     string
	DomainLine int
	// Options maps each option to its value ("ndots" → "5", "rotate" → ""), later
	// lines overriding earlier ones; OptionLines gives the line each came from.
	Options     map[string]string
	OptionLines map[string]int
}

// EffectiveSearch is the search list glibc uses: the list of whichever of the last
// search and the last domain line comes later.
func (r *Result) EffectiveSearch() []string {
	if r.DomainLine > r.SearchLine {
		return []string{r.Domain}
	}
	return r.Search
}

// IsLoopbackStub reports whether a nameserver is a loopback address (127.0.0.53 of
// systemd-resolved, 127.0.0.1 of dnsmasq or a NodeLocal cache, ::1). Inside a CoreDNS
// pod that address is the pod itself, hence the forwarding loop.
func (r *Result) IsLoopbackStub() bool {
	for _, ns := range r.Nameservers {
		if ns.Addr.IsLoopback() {
			return true
		}
	}
	return false
}

// Ndots is the ndots option as glibc applies it: 1 by default, at most 15.
func (r *Result) Ndots() int { return r.intOption("ndots", 1, maxNdots) }

// Timeout is the per-try timeout in seconds: 5 by default, at most 30.
func (r *Result) Timeout() int { return r.intOption("timeout", 5, maxTimeout) }

// Attempts is the number of rounds over the nameservers: 2 by default, at most 5.
func (r *Result) Attempts() int { return r.intOption("attempts", 2, maxAttempts) }

func (r *Result) intOption(name string, def, limit int) int {
	v, ok := r.Options[name]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def
	}
	return min(n, limit)
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	loop := 0
	for _, ns := range r.Nameservers {
		if ns.Addr.IsLoopback() {
			loop++
		}
	}
	s := fmt.Sprintf("%d nameservers", len(r.Nameservers))
	if loop > 0 {
		s += fmt.Sprintf(" (%d loopback)", loop)
	}
	return s + fmt.Sprintf(", %d search domains, %d options", len(r.EffectiveSearch()), len(r.Options))
}

// Parse reads resolv.conf content. Lines glibc would ignore are skipped with a
// diagnostic; comments (# or ;) may also end a line.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	r := &Result{Options: map[string]string{}, OptionLines: map[string]int{}}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not a resolv.conf")
		return r, ds
	}
	var (
		fields     [][]byte
		unreadable int
		known      int
		nonBlank   bool
	)
	sc := lines.New(data)
	for sc.Next() {
		line := sc.Bytes()
		n := sc.Num()
		if i := bytes.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		fields = lines.Fields(fields, line)
		if len(fields) == 0 {
			if len(sc.Bytes()) > 0 {
				nonBlank = true
			}
			continue
		}
		nonBlank = true
		kw, args := string(fields[0]), fields[1:]
		switch kw {
		case "nameserver":
			known++
			r.nameserver(args, n, &ds)
		case "search":
			known++
			if r.SearchLine != 0 {
				ds.Addf(diag.Info, n, "search line replaces the one on line %d (only the last search line counts)", r.SearchLine)
			}
			var search []string
			for _, a := range args {
				search = append(search, strings.TrimSuffix(string(a), "."))
			}
			r.Search, r.SearchLine = search, n
		case "domain":
			known++
			if len(args) == 0 {
				ds.Warnf(n, "domain without a name")
				continue
			}
			r.Domain, r.DomainLine = strings.TrimSuffix(string(args[0]), "."), n
		case "options":
			known++
			for _, a := range args {
				k, v, _ := strings.Cut(string(a), ":")
				r.Options[k] = v
				r.OptionLines[k] = n
			}
		case "sortlist", "lookup", "family":
			// Valid (sortlist in glibc, the others in BSD libc) but irrelevant here.
			known++
		default:
			unreadable++
			ds.Warnf(n, "unknown keyword %q: glibc ignores this line", lines.Clip(fields[0]))
		}
	}
	switch {
	case known == 0 && unreadable > 0:
		ds.Addf(diag.Error, 0, "no resolv.conf keyword found: not a resolv.conf")
	case len(r.Nameservers) == 0 && nonBlank:
		// glibc then queries 127.0.0.1, CoreDNS's forward refuses to start.
		ds.Warnf(0, "no nameserver line")
	case !nonBlank:
		ds.Addf(diag.Info, 0, "empty input")
	}
	return r, ds
}

func (r *Result) nameserver(args [][]byte, n int, ds *diag.List) {
	if len(args) == 0 {
		ds.Warnf(n, "nameserver without an address")
		return
	}
	a, err := netip.ParseAddr(string(args[0]))
	if err != nil {
		ds.Warnf(n, "nameserver %q is not an IP address", lines.Clip(args[0]))
		return
	}
	if len(r.Nameservers) == maxNS {
		ds.Addf(diag.Info, n, "nameserver %s is beyond glibc's limit of %d and is used only by resolvers that read them all (CoreDNS forward does)", a, maxNS)
	}
	r.Nameservers = append(r.Nameservers, Entry{Line: n, Addr: a})
}
