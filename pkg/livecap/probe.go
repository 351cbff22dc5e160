package livecap

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// ProbeResult is one DNS query the prober sent and what came back.
type ProbeResult struct {
	Server netip.Addr `json:"server"`
	Port   int        `json:"port"`
	Name   string     `json:"name"`
	Type   string     `json:"type"`
	ID     uint16     `json:"id"`
	Sent   time.Time  `json:"sent"`
	// LatencyMs is the time to the answer; 0 without one.
	LatencyMs float64 `json:"latencyMs"`
	// Rcode is the answer's response code mnemonic (NOERROR, NXDOMAIN,
	// SERVFAIL, REFUSED, ...); empty without an answer.
	Rcode string `json:"rcode,omitempty"`
	// Answers are the answer section's records: addresses for A records,
	// "CNAME target." for aliases, "TYPE" for anything else.
	Answers   []string `json:"answers,omitempty"`
	Truncated bool     `json:"truncated,omitempty"`
	// Error says why there is no answer: "timeout", "connection refused" (an
	// ICMP port unreachable came back), or the socket error.
	Error string `json:"error,omitempty"`
}

// Answered reports whether a response came back, whatever its code.
func (r *ProbeResult) Answered() bool { return r.Rcode != "" }

// Probe sends one DNS A query (recursion desired, over UDP port 53) for each
// name to each server from the caller's network namespace, waiting up to
// timeout for each answer, and reports them in server then name order. Names
// without a final dot are sent as given plus the dot (no search list).
func Probe(ctx context.Context, servers []netip.Addr, names []string, timeout time.Duration) []ProbeResult {
	return ProbeIn(ctx, "", servers, names, timeout)
}

// ProbeIn is Probe from the network namespace at netnsPath ("" for the
// caller's).
func ProbeIn(ctx context.Context, netnsPath string, servers []netip.Addr, names []string, timeout time.Duration) []ProbeResult {
	return probe(ctx, netnsPath, servers, names, timeout, 53)
}

func probe(ctx context.Context, netnsPath string, servers []netip.Addr, names []string, timeout time.Duration, port int) []ProbeResult {
	results := make([][]ProbeResult, len(servers))
	conns := make([]*net.UDPConn, len(servers))
	errs := make([]error, len(servers))
	nsErr := inNetns(netnsPath, func() error {
		for i, s := range servers {
			conns[i], errs[i] = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(s, uint16(port))))
		}
		return nil
	})
	var wg sync.WaitGroup
	for i, s := range servers {
		err := errs[i]
		if nsErr != nil {
			err = nsErr
		}
		if err != nil {
			for _, n := range names {
				results[i] = append(results[i], ProbeResult{Server: s, Port: port, Name: fqdn(n), Type: "A",
					Sent: time.Now().UTC(), Error: err.Error()})
			}
			continue
		}
		wg.Add(1)
		go func(i int, c *net.UDPConn) {
			defer wg.Done()
			defer c.Close()
			for _, n := range names {
				results[i] = append(results[i], query(ctx, c, servers[i], port, n, timeout))
			}
		}(i, conns[i])
	}
	wg.Wait()
	var out []ProbeResult
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

func fqdn(n string) string {
	if strings.HasSuffix(n, ".") {
		return n
	}
	return n + "."
}

func query(ctx context.Context, c *net.UDPConn, server netip.Addr, port int, name string, timeout time.Duration) ProbeResult {
	r := ProbeResult{Server: server, Port: port, Name: fqdn(name), Type: "A"}
	var idb [2]byte
	if _, err := rand.Read(idb[:]); err != nil {
		r.Error = err.Error()
		return r
	}
	r.ID = binary.BigEndian.Uint16(idb[:])
	q, err := buildQuery(r.ID, r.Name)
	if err != nil {
		r.Error = err.Error()
		r.Sent = time.Now().UTC()
		return r
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	// A cancelled context interrupts the wait by moving the deadline.
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
	defer stop()
	c.SetReadDeadline(deadline)
	start := time.Now()
	r.Sent = start.UTC()
	if _, err := c.Write(q); err != nil {
		r.Error = sockErr(err)
		return r
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				r.Error = "cancelled"
			} else {
				r.Error = sockErr(err)
			}
			return r
		}
		if ok := parseAnswer(buf[:n], &r); ok {
			r.LatencyMs = float64(time.Since(start).Microseconds()) / 1000
			return r
		}
		// Not the answer to this query (a late answer to an earlier one, or
		// garbage): keep waiting.
	}
}

func sockErr(err error) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	return err.Error()
}

func buildQuery(id uint16, name string) ([]byte, error) {
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, fmt.Errorf("name %q: %w", name, err)
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), dnsmessage.Header{ID: id, RecursionDesired: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// parseAnswer fills r from a response to r's query; false when msg is not
// one (wrong ID, not a response, unparsable).
func parseAnswer(msg []byte, r *ProbeResult) bool {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || h.ID != r.ID || !h.Response {
		return false
	}
	r.Rcode = rcodeName(h.RCode)
	r.Truncated = h.Truncated
	if err := p.SkipAllQuestions(); err != nil {
		return true
	}
	for {
		ah, err := p.AnswerHeader()
		if err != nil {
			break
		}
		switch ah.Type {
		case dnsmessage.TypeA:
			a, err := p.AResource()
			if err != nil {
				return true
			}
			r.Answers = append(r.Answers, netip.AddrFrom4(a.A).String())
		case dnsmessage.TypeAAAA:
			a, err := p.AAAAResource()
			if err != nil {
				return true
			}
			r.Answers = append(r.Answers, netip.AddrFrom16(a.AAAA).String())
		case dnsmessage.TypeCNAME:
			c, err := p.CNAMEResource()
			if err != nil {
				return true
			}
			r.Answers = append(r.Answers, "CNAME "+c.CNAME.String())
		default:
			if err := p.SkipAnswer(); err != nil {
				return true
			}
			r.Answers = append(r.Answers, strings.TrimPrefix(ah.Type.String(), "Type"))
		}
	}
	return true
}

func rcodeName(c dnsmessage.RCode) string {
	names := [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}
	if int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("RCODE%d", c)
}

// ProbeFile is dns/probe.json.
type ProbeFile struct {
	Queries []ProbeResult `json:"queries"`
}

// ProbeJSON renders dns/probe.json.
func ProbeJSON(results []ProbeResult) ([]byte, error) {
	if results == nil {
		results = []ProbeResult{}
	}
	return json.MarshalIndent(ProbeFile{Queries: results}, "", "  ")
}
