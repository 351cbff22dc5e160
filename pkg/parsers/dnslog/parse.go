// Package dnslog reads the logs of the cluster's DNS servers a bundle holds:
// logs/coredns.log (the last lines of each CoreDNS pod, each block headed by
// `==> POD <==` as `tail` and the collector print it) and logs/node-local-dns.log
// (the NodeLocal DNSCache pod of the node, which is CoreDNS inside node-cache).
// Lines may carry kubectl's --timestamps prefix or a Go log date.
//
// It classifies what explains DNS timeouts: the loop plugin's fatal "Loop ...
// detected" (CoreDNS forwarding to itself, typically through the
// systemd-resolved stub 127.0.0.53), upstream timeouts reported by the errors
// plugin, and the bind errors of a cache that cannot listen on its address.
package dnslog

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Event kinds.
const (
	KindLoop            = "loop"             // [FATAL] plugin/loop: Loop (A -> B) detected
	KindUpstreamTimeout = "upstream-timeout" // [ERROR] plugin/errors: ... read udp A->B:53: i/o timeout
	KindNoUpstream      = "no-upstream"      // no healthy upstream / connection refused to the upstream
	KindBind            = "bind-error"       // listen ...: bind: address already in use / cannot assign
	KindSetup           = "setup-error"      // node-cache: iptables, interface or config errors
	KindLog             = "log"              // any other warning, error or fatal line
)

// Event is one line that means something.
type Event struct {
	Line  int
	Pod   string // the block's pod, "" when the log has no headers
	Kind  string
	Level string // "info", "warning", "error", "fatal", ""
	Msg   string
	// Upstream is the server a timeout or refusal names (the B of "A->B:53").
	Upstream netip.AddrPort
}

// Block is the log of one pod.
type Block struct {
	Pod   string
	Line  int // line of the header, 0 for a log without headers
	Lines int // non-blank log lines in the block
}

// Result is one DNS server log.
type Result struct {
	Blocks []Block
	Events []Event
}

// Count returns the number of events of kind.
func (r *Result) Count(kind string) int {
	n := 0
	for _, e := range r.Events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// Summary is one line for `analyze inspect`.
func (r *Result) Summary() string {
	return fmt.Sprintf("%d pods, %d events (%d loop, %d upstream timeouts, %d bind errors)",
		len(r.Blocks), len(r.Events), r.Count(KindLoop), r.Count(KindUpstreamTimeout), r.Count(KindBind))
}

var (
	header = regexp.MustCompile(`^==> (.+?) <==$`)
	// kubectl logs --timestamps, Go log dates, CRI's "stdout F".
	prefixes = []*regexp.Regexp{
		regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)\s+(std(out|err) [FP]\s+)?`),
		regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)?\s+`),
		regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+\s+\S+:\d+\]\s+`),
	}
	level    = regexp.MustCompile(`^\[(INFO|WARNING|WARN|ERROR|FATAL|DEBUG)\]\s*`)
	upstream = regexp.MustCompile(`(?:->|dial (?:udp|tcp) )\s*\[?([0-9a-fA-F.:]+?)\]?:(\d+)(?::|\s|$)`)
)

// Parse reads a CoreDNS or NodeLocal DNSCache log. A log without a `==>`
// header is one block of an unnamed pod.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	r := &Result{}
	var ds diag.List
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary data, not a DNS server log")
		return r, ds
	}
	var cur *Block
	sc := lines.New(data)
	for sc.Next() {
		line := bytes.TrimSpace(sc.Bytes())
		n := sc.Num()
		if len(line) == 0 {
			continue
		}
		s := string(line)
		if m := header.FindStringSubmatch(s); m != nil {
			pod := strings.TrimSpace(m[1])
			r.Blocks = append(r.Blocks, Block{Pod: pod, Line: n})
			cur = &r.Blocks[len(r.Blocks)-1]
			continue
		}
		if cur == nil {
			r.Blocks = append(r.Blocks, Block{})
			cur = &r.Blocks[len(r.Blocks)-1]
		}
		cur.Lines++
		if strings.HasPrefix(s, "Error from server") || strings.HasPrefix(s, "error: ") {
			// kubectl's own failure in place of the log (Forbidden, container not found).
			ds.Warnf(n, "the log of %s could not be read: %s", podName(cur), lines.Clip(line))
			continue
		}
		for _, p := range prefixes {
			if m := p.FindString(s); m != "" {
				s = s[len(m):]
				break
			}
		}
		e := Event{Line: n, Pod: cur.Pod}
		if m := level.FindStringSubmatch(s); m != nil {
			e.Level = strings.ToLower(m[1])
			if e.Level == "warn" {
				e.Level = "warning"
			}
			s = s[len(m[0]):]
		}
		e.Msg = s
		e.Kind = classify(s, e.Level)
		if e.Kind == "" {
			continue
		}
		if e.Kind == KindUpstreamTimeout || e.Kind == KindNoUpstream {
			if m := upstream.FindStringSubmatch(s); m != nil {
				if ap, err := netip.ParseAddrPort(joinHostPort(m[1], m[2])); err == nil {
					e.Upstream = ap
				}
			}
		}
		r.Events = append(r.Events, e)
	}
	return r, ds
}

func joinHostPort(h, p string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + p
	}
	return h + ":" + p
}

func podName(b *Block) string {
	if b.Pod == "" {
		return "the pod"
	}
	return b.Pod
}

func classify(msg, lvl string) string {
	lower := strings.ToLower(msg)
	switch {
	case strings.HasPrefix(msg, "plugin/loop:") && strings.Contains(msg, "detected"):
		return KindLoop
	case strings.Contains(lower, "bind: address already in use") || strings.Contains(lower, "bind: cannot assign requested address") || strings.Contains(lower, "bind: permission denied"):
		return KindBind
	case strings.Contains(lower, "i/o timeout") && (strings.Contains(msg, "plugin/errors") || strings.Contains(msg, "plugin/forward") || strings.Contains(msg, "->")):
		return KindUpstreamTimeout
	case strings.Contains(lower, "no healthy upstream") || (strings.Contains(msg, "plugin/errors") && strings.Contains(lower, "connection refused")):
		return KindNoUpstream
	case lvl == "error" || lvl == "fatal":
		if strings.Contains(lower, "iptables") || strings.Contains(lower, "interface") || strings.Contains(lower, "setting up networking") {
			return KindSetup
		}
		return KindLog
	case lvl == "warning":
		return KindLog
	}
	return ""
}
