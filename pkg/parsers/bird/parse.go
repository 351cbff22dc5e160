// Package bird parses `birdcl -s /var/run/calico/bird.ctl show protocols` (also
// `birdc`, BIRD 1.x and 2.x, `show protocols all`, and the numbered replies of
// `birdc -v`), and the peer table of `calicoctl node status`.
//
// Calico's BIRD runs one BGP protocol per peer (Mesh_10_0_0_12 for the node-to-node
// mesh, Node_... and Global_... for BGPPeer resources). A session that is not
// Established means the /26 routes of that peer's pods are missing on this node.
package bird

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Protocol is one row of `show protocols`, or one peer of `calicoctl node status`.
type Protocol struct {
	Line  int
	Name  string // "Mesh_10_0_0_12"; the peer address as printed for calicoctl rows
	Proto string // "BGP", "Kernel", "Device", "Direct", "Static", ...
	Table string // "master", "master4", "---"; "" for calicoctl rows
	State string // "up", "down", "start", "stop", "feed", "flush"
	Since string // "2023-01-01", "10:02:33" or "2023-01-01 10:02:33", as printed
	Info  string // "Established", "Active        Socket: Connection refused", as printed
	// BGPState is the first word of Info for BGP ("Established", "Active", "Connect",
	// "Idle", "OpenSent", "OpenConfirm", "Passive"), or `BGP state:` of `show protocols all`.
	BGPState string
	// LastError is the rest of Info ("Socket: Connection refused"), or `Last error:`.
	LastError string
	// PeerAddr is the peer: from `Neighbor address:`, from the calicoctl row, or
	// decoded from Calico's protocol name (Mesh_10_0_0_12, Node_2001_db8__1).
	PeerAddr netip.Addr
	PeerType string // calicoctl only: "node-to-node mesh", "global", "node specific"
}

// Established reports whether this is a BGP session in the Established state.
func (p *Protocol) Established() bool {
	return strings.EqualFold(p.Proto, "BGP") && p.BGPState == "Established"
}

// Result is one file's protocols.
type Result struct {
	Version   string // "1.6.8", "v0.3.3+birdv1.6.8", "2.0.12"
	Protocols []Protocol
	// CalicoProcess is "running" or "not running" from calicoctl node status.
	CalicoProcess string
	// Unavailable holds the client's error when it could not talk to BIRD ("Unable
	// to connect to server control socket ..."): BIRD is not running or not ready.
	Unavailable     string
	UnavailableLine int
}

// BGP returns the BGP protocols.
func (r *Result) BGP() []Protocol {
	var out []Protocol
	for _, p := range r.Protocols {
		if strings.EqualFold(p.Proto, "BGP") {
			out = append(out, p)
		}
	}
	return out
}

// Peer finds the BGP session to addr.
func (r *Result) Peer(addr netip.Addr) (Protocol, bool) {
	for _, p := range r.Protocols {
		if p.PeerAddr.IsValid() && p.PeerAddr == addr.Unmap() {
			return p, true
		}
	}
	return Protocol{}, false
}

// Parse reads show protocols or calicoctl node status output.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	p := parser{res: &Result{}, last: -1}
	sc := lines.New(data)
	for sc.Next() {
		p.line(sc.Num(), sc.Bytes())
	}
	if p.known == 0 && p.unknown > 0 {
		return p.res, []diag.Diagnostic{{Severity: diag.Error, Msg: "not BIRD show protocols nor calicoctl node status output"}}
	}
	return p.res, p.diags
}

type parser struct {
	res      *Result
	diags    diag.List
	coded    bool // birdc -v numbered replies seen
	known    int  // lines understood
	unknown  int
	last     int // index of the protocol detail lines belong to, -1 if none
	calicoTb bool
	fields   [][]byte
}

func (p *parser) line(num int, b []byte) {
	// birdc -v: "1002-name ..." starts a reply, " name ..." continues it,
	// "0000" ends the session.
	if len(b) >= 4 && isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) && isDigit(b[3]) && (len(b) == 4 || b[4] == ' ' || b[4] == '-') {
		p.coded = true
		code := string(b[:4])
		if len(b) == 4 {
			b = nil
		} else {
			b = b[5:]
		}
		if code[0] == '8' || code[0] == '9' {
			p.known++
			p.diags.Warnf(num, "BIRD replied with error %s: %s", code, clip(b))
			return
		}
	} else if p.coded && len(b) > 1 && b[0] == ' ' && b[1] != ' ' {
		b = b[1:]
	}
	if len(b) == 0 {
		return
	}
	if b[0] == ' ' || b[0] == '\t' {
		p.detail(num, trimLeft(b))
		return
	}
	s := string(b)
	switch {
	case strings.HasPrefix(s, "BIRD ") && strings.HasSuffix(s, " ready."):
		p.known++
		p.res.Version = strings.TrimSuffix(strings.TrimPrefix(s, "BIRD "), " ready.")
		return
	case strings.HasPrefix(s, "Unable to connect"), strings.HasPrefix(s, "Connection refused"), strings.HasPrefix(s, "Connection closed by server"):
		p.known++
		p.res.Unavailable, p.res.UnavailableLine = s, num
		p.diags.Warnf(num, "BIRD client could not reach BIRD: %s", clip(b))
		return
	case strings.HasPrefix(s, "Calico process is "):
		p.known++
		p.res.CalicoProcess = strings.TrimSuffix(strings.TrimPrefix(s, "Calico process is "), ".")
		return
	case s[0] == '+':
		p.known++
		return
	case s[0] == '|':
		p.known++
		p.calicoRow(num, s)
		return
	case strings.HasSuffix(s, "BGP status"), strings.HasPrefix(s, "No IPv"), strings.HasPrefix(s, "Access denied"):
		p.known++
		return
	}
	p.fields = lines.Fields(p.fields, b)
	f := p.fields
	if len(f) >= 4 && strings.EqualFold(string(f[0]), "name") && strings.EqualFold(string(f[1]), "proto") {
		p.known++
		return
	}
	p.row(num, b, f)
}

// row reads `name proto table state since info`. Columns are padded but a long name
// pushes the rest right, so the row is split on blanks; since is one token or a date
// and a time, and info is the rest of the line as printed.
func (p *parser) row(num int, b []byte, f [][]byte) {
	if len(f) < 4 || !isState(string(f[3])) {
		p.unknown++
		p.last = -1
		p.diags.Warnf(num, "unrecognised line %q", clip(b))
		return
	}
	p.known++
	pr := Protocol{Line: num, Name: string(f[0]), Proto: string(f[1]), Table: string(f[2]), State: string(f[3])}
	rest := 4
	if len(f) > 4 {
		pr.Since = string(f[4])
		rest = 5
		if len(f) > 5 && isDate(f[4]) && isTime(f[5]) {
			pr.Since += " " + string(f[5])
			rest = 6
		}
	}
	if len(f) > rest {
		off := cap(b) - cap(f[rest])
		if off >= 0 && off <= len(b) {
			pr.Info = string(b[off:])
		}
	}
	if strings.EqualFold(pr.Proto, "BGP") {
		word, more, _ := strings.Cut(pr.Info, " ")
		pr.BGPState = word
		pr.LastError = strings.TrimSpace(more)
		pr.PeerAddr = PeerFromName(pr.Name)
	}
	p.res.Protocols = append(p.res.Protocols, pr)
	p.last = len(p.res.Protocols) - 1
}

// detail reads the indented `show protocols all` lines under a protocol.
func (p *parser) detail(num int, b []byte) {
	p.known++
	if p.last < 0 || p.last >= len(p.res.Protocols) {
		return
	}
	pr := &p.res.Protocols[p.last]
	key, val, ok := strings.Cut(string(b), ":")
	if !ok {
		return
	}
	val = strings.TrimSpace(val)
	switch key {
	case "Neighbor address":
		// BIRD 2 may print "10.0.0.12%eth0" for link-local peers.
		a, _, _ := strings.Cut(val, "%")
		if addr, err := netip.ParseAddr(a); err == nil {
			pr.PeerAddr = addr.Unmap()
		} else {
			p.diags.Warnf(num, "%s: unreadable neighbor address %q", pr.Name, clip([]byte(val)))
		}
	case "BGP state":
		pr.BGPState = val
	case "Last error":
		pr.LastError = val
	}
}

// calicoRow reads `| 10.0.0.12 | node-to-node mesh | up | 09:12:33 | Established |`.
// calicoctl wraps long cells onto extra rows whose first cell is empty.
func (p *parser) calicoRow(num int, s string) {
	cells := strings.Split(strings.Trim(s, "|"), "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	if len(cells) < 5 {
		p.diags.Warnf(num, "calicoctl table row with %d cells, want 5", len(cells))
		return
	}
	if strings.EqualFold(cells[0], "PEER ADDRESS") {
		p.calicoTb = true
		return
	}
	if cells[0] == "" {
		if p.last >= 0 && p.last < len(p.res.Protocols) {
			pr := &p.res.Protocols[p.last]
			pr.PeerType = join(pr.PeerType, cells[1])
			pr.State = join(pr.State, cells[2])
			pr.Since = join(pr.Since, cells[3])
			pr.Info = join(pr.Info, cells[4])
			pr.setBGPFromInfo()
		}
		return
	}
	pr := Protocol{Line: num, Name: cells[0], Proto: "BGP", PeerType: cells[1], State: cells[2], Since: cells[3], Info: cells[4]}
	if a, err := netip.ParseAddr(cells[0]); err == nil {
		pr.PeerAddr = a.Unmap()
	} else if ap, err := netip.ParseAddrPort(cells[0]); err == nil {
		pr.PeerAddr = ap.Addr().Unmap()
	} else {
		p.diags.Warnf(num, "unreadable peer address %q", clip([]byte(cells[0])))
	}
	pr.setBGPFromInfo()
	p.res.Protocols = append(p.res.Protocols, pr)
	p.last = len(p.res.Protocols) - 1
}

func (pr *Protocol) setBGPFromInfo() {
	word, more, _ := strings.Cut(pr.Info, " ")
	pr.BGPState = word
	pr.LastError = strings.TrimSpace(more)
}

func join(a, b string) string {
	switch {
	case b == "":
		return a
	case a == "":
		return b
	}
	return a + " " + b
}

// PeerFromName decodes the peer address Calico's confd writes into BIRD protocol
// names: dots (IPv4) and colons (IPv6) become underscores after a prefix such as
// Mesh_, Node_ or Global_, with an optional _port_N suffix. It returns the zero Addr
// for names that carry no address (kernel1, device1).
func PeerFromName(name string) netip.Addr {
	for i := 0; i < len(name); i++ {
		if name[i] != '_' {
			continue
		}
		cand := name[i+1:]
		if j := strings.Index(cand, "_port_"); j >= 0 {
			cand = cand[:j]
		}
		if cand == "" {
			continue
		}
		if strings.Count(cand, "_") == 3 {
			if a, err := netip.ParseAddr(strings.ReplaceAll(cand, "_", ".")); err == nil && a.Is4() {
				return a
			}
		}
		if a, err := netip.ParseAddr(strings.ReplaceAll(cand, "_", ":")); err == nil && a.Is6() && a.Zone() == "" {
			return a
		}
	}
	return netip.Addr{}
}

func isState(s string) bool {
	switch s {
	case "up", "down", "start", "stop", "feed", "flush":
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isDate matches YYYY-MM-DD.
func isDate(b []byte) bool {
	return len(b) == 10 && b[4] == '-' && b[7] == '-' && isDigit(b[0]) && isDigit(b[5]) && isDigit(b[8])
}

// isTime matches HH:MM:SS with optional fraction.
func isTime(b []byte) bool {
	return len(b) >= 8 && b[2] == ':' && b[5] == ':' && isDigit(b[0]) && isDigit(b[3]) && isDigit(b[6])
}

func trimLeft(b []byte) []byte { return b[lines.Indent(b):] }

func clip(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	var sb strings.Builder
	if r.Version != "" {
		sb.WriteString("BIRD " + r.Version + ": ")
	}
	if r.Unavailable != "" {
		sb.WriteString("BIRD unreachable; ")
	}
	bgp, est := 0, 0
	for i := range r.Protocols {
		if strings.EqualFold(r.Protocols[i].Proto, "BGP") {
			bgp++
			if r.Protocols[i].Established() {
				est++
			}
		}
	}
	fmt.Fprintf(&sb, "%d protocols, %d BGP sessions (%d Established)", len(r.Protocols), bgp, est)
	if r.CalicoProcess != "" {
		sb.WriteString(", calico " + r.CalicoProcess)
	}
	return sb.String()
}
