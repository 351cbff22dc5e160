// Package calicolog reads the last lines of the calico-node container log
// (`kubectl -n kube-system logs calico-node-xxxxx -c calico-node --tail=N`, with or
// without --timestamps, or the CRI / docker json-file copy of it) and extracts the
// events that explain pod-network failures: the node address Calico autodetected and
// on which interface, address conflicts, Felix errors and configuration, BIRD/BGP
// errors, the loose-RPF refusal, the iptables backend Felix chose, MTU problems.
//
// A log is free text: lines that match nothing are counted and ignored, never
// reported. The component lines look like
//
//	2024-06-13 11:13:52.151 [INFO][8] startup/startup.go 559: message key="value"
//	bird: Mesh_10_0_0_12: Received: Connection rejected
//	{"level":"error","msg":"...","time":"..."}
package calicolog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/bird"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
)

// Event kinds.
const (
	KindAutodetect       = "autodetect"        // the node address was chosen
	KindAutodetectFailed = "autodetect-failed" // no address found by the method
	KindAddressConflict  = "address-conflict"  // another Calico node has this node's address
	KindFelixParam       = "felix-param"       // "Parsed value for X: V (from SOURCE)"
	KindRPFLoose         = "rpf-loose"         // Felix refuses (or tolerates) rp_filter=2
	KindIptablesBackend  = "iptables-backend"  // Felix chose legacy or nft
	KindMTU              = "mtu"               // an MTU was detected or set
	KindMTUError         = "mtu-error"         // an MTU could not be set or detected
	KindBGP              = "bgp"               // a BIRD/BGP message about a session
	KindStartupFailed    = "startup-failed"    // "Calico node failed to start", "Terminating"
	KindLog              = "log"               // any other warning, error, fatal or panic line
)

// Event is one log line that means something.
type Event struct {
	Line      int
	Kind      string
	Time      string // as printed ("2024-06-13 11:13:52.151"), "" when the line has none
	Level     string // "debug", "info", "warning", "error", "fatal", "panic"; "" if unknown
	Component string // source file ("startup/startup.go"), "bird", "bird6", a JSON logger
	Msg       string
	// Name is what the event is about: a BIRD protocol (Mesh_10_0_0_12), the other
	// node of an address conflict, a Felix parameter, an interface.
	Name string
	// Addr is the address the event names: a BGP peer, a conflicting node address.
	Addr netip.Addr
	// Value is the event's value: parameter value, MTU, backend mode.
	Value string
}

// Autodetect is the node address calico-node settled on and how.
type Autodetect struct {
	Line    int
	Version int // 4 or 6
	// Method is derived from the wording: "first-found", "interface", "skip-interface",
	// "cidr", "can-reach", "env" (IP=...), "local-cidr" (the interface subnet of a
	// given address, as kubernetes-internal-ip uses), "existing" (kept from the Node
	// resource), "discovered".
	Method    string
	Interface string
	// Addr is the address with its subnet; a host prefix when only an address is printed.
	Addr   netip.Prefix
	Target string // the can-reach destination
}

// Param is one Felix configuration value and where it came from.
type Param struct {
	Line   int
	Name   string // "VXLANPort"
	Value  string // "4789"
	Source string // "environment variable", "datastore (global)", "config file", ...
}

// Result is what the log says.
type Result struct {
	Lines       int // lines read, including those that matched nothing
	Autodetect  []Autodetect
	Errors      []Event // warning and worse, and BIRD errors
	FelixParams []Param
	RPFLoose    *Event // the last loose-RPF message
	BackendMode string // "legacy" or "nft", from the last "Looked up iptables command"
	NodeName    string // "Determined node name: X"
	Events      []Event
}

// Param returns the last value logged for a Felix parameter.
func (r *Result) Param(name string) (Param, bool) {
	for i := len(r.FelixParams) - 1; i >= 0; i-- {
		if r.FelixParams[i].Name == name {
			return r.FelixParams[i], true
		}
	}
	return Param{}, false
}

// Parse reads a calico-node log.
func Parse(data []byte) (*Result, []diag.Diagnostic) {
	res := &Result{}
	var ds []diag.Diagnostic
	if !looksLikeText(data) {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Msg: "binary data, not a text log"})
	}
	sc := lines.New(data)
	for sc.Next() {
		res.Lines++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		l := split(string(b))
		res.classify(sc.Num(), l)
	}
	return res, ds
}

func looksLikeText(data []byte) bool {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
		if i := bytes.LastIndexByte(head, '\n'); i > 0 {
			head = head[:i]
		}
	}
	return bytes.IndexByte(head, 0) < 0 && utf8.Valid(head)
}

// logLine is one line taken apart.
type logLine struct {
	time, level, component, msg string
	fields                      map[string]any // JSON lines only
}

// field returns a logrus field: from JSON, or from the ` key=value` / ` key="v"`
// suffix the calico text formatter appends to the message.
func (l *logLine) field(key string) string {
	if l.fields != nil {
		if v, ok := l.fields[key]; ok {
			return fmt.Sprint(v)
		}
		return ""
	}
	m := l.msg
	for from := 0; from < len(m); {
		i := strings.Index(m[from:], key+"=")
		if i < 0 {
			return ""
		}
		i += from
		if i > 0 && m[i-1] != ' ' {
			from = i + len(key) + 1
			continue
		}
		v := m[i+len(key)+1:]
		if strings.HasPrefix(v, "\"") {
			if s, err := strconv.QuotedPrefix(v); err == nil {
				if u, err := strconv.Unquote(s); err == nil {
					return u
				}
			}
			v = v[1:]
			if j := strings.IndexByte(v, '"'); j >= 0 {
				return v[:j]
			}
			return v
		}
		if j := strings.IndexByte(v, ' '); j >= 0 {
			return v[:j]
		}
		return v
	}
	return ""
}

// split strips the prefixes a collected log may carry (kubectl --timestamps, the CRI
// "stdout F", docker's json-file wrapper, svlogd's timestamp) and reads the component
// format.
func split(s string) logLine {
	var l logLine
	for depth := 0; depth < 3; depth++ {
		tok, rest := firstToken(s)
		switch {
		case isISOStamp(tok) || isSvlogdStamp(tok):
			l.time, s = tok, rest
			if t2, r2 := firstToken(s); (t2 == "stdout" || t2 == "stderr") && len(r2) > 0 {
				if t3, r3 := firstToken(r2); t3 == "F" || t3 == "P" {
					s = r3
				}
			}
			continue
		case strings.HasPrefix(s, "{"):
			var m map[string]any
			if json.Unmarshal([]byte(s), &m) != nil {
				l.msg = s
				return l
			}
			if inner, ok := m["log"].(string); ok {
				// docker json-file: the container's own line is inside.
				s = strings.TrimRight(inner, "\r\n")
				if t, ok := m["time"].(string); ok {
					l.time = t
				}
				continue
			}
			l.fields = m
			l.level = normLevel(str(m, "level", "severity", "lvl"))
			l.msg = str(m, "msg", "message")
			if t := str(m, "time", "ts", "@timestamp"); t != "" {
				l.time = t
			}
			l.component = str(m, "logger", "caller", "file", "component")
			return l
		}
		break
	}
	switch {
	case strings.HasPrefix(s, "bird: "):
		l.component, l.msg = "bird", s[len("bird: "):]
		return l
	case strings.HasPrefix(s, "bird6: "):
		l.component, l.msg = "bird6", s[len("bird6: "):]
		return l
	case strings.HasPrefix(s, "panic: "):
		l.level, l.component, l.msg = "panic", "go", s
		return l
	}
	if t, lvl, comp, msg, ok := calicoFormat(s); ok {
		if l.time == "" {
			l.time = t
		}
		l.level, l.component, l.msg = lvl, comp, msg
		return l
	}
	if lvl, comp, msg, ok := klogFormat(s); ok {
		l.level, l.component, l.msg = lvl, comp, msg
		return l
	}
	l.msg = s
	return l
}

// calicoFormat reads `DATE TIME [LEVEL][PID] FILE LINE: MSG` (Go calico-node and
// Felix; the 2016 Python Felix printed `[LEVEL][PID/TID] module LINE: MSG`, alike).
func calicoFormat(s string) (t, level, comp, msg string, ok bool) {
	if len(s) < 12 || !isDigit(s[0]) {
		return
	}
	i := strings.Index(s, " [")
	if i < 8 || i > 40 {
		return
	}
	t = s[:i]
	rest := s[i+2:]
	j := strings.IndexByte(rest, ']')
	if j <= 0 || j > 12 {
		return
	}
	level = normLevel(rest[:j])
	rest = rest[j+1:]
	if strings.HasPrefix(rest, "[") {
		if k := strings.IndexByte(rest, ']'); k > 0 {
			rest = rest[k+1:]
		}
	}
	rest = strings.TrimLeft(rest, " ")
	ok = true
	msg = rest
	file, after, found := strings.Cut(rest, " ")
	if !found {
		return
	}
	num, m, found := strings.Cut(after, ":")
	if !found || num == "" || !allDigits(num) {
		return
	}
	comp, msg = file, strings.TrimPrefix(m, " ")
	return
}

// klogFormat reads `E0613 11:13:52.151234       1 file.go:123] msg`.
func klogFormat(s string) (level, comp, msg string, ok bool) {
	if len(s) < 8 || strings.IndexByte("IWEF", s[0]) < 0 || !allDigits(s[1:5]) || s[5] != ' ' {
		return
	}
	i := strings.Index(s, "] ")
	if i < 0 {
		return
	}
	head := strings.Fields(s[:i])
	if len(head) > 0 {
		comp, _, _ = strings.Cut(head[len(head)-1], ":")
	}
	level = map[byte]string{'I': "info", 'W': "warning", 'E': "error", 'F': "fatal"}[s[0]]
	return level, comp, s[i+2:], true
}

func normLevel(s string) string {
	switch strings.ToLower(s) {
	case "warn", "warning":
		return "warning"
	case "err", "error":
		return "error"
	case "crit", "critical", "fatal":
		return "fatal"
	case "panic":
		return "panic"
	case "info", "information":
		return "info"
	case "debug", "trace":
		return "debug"
	}
	return strings.ToLower(s)
}

func severe(level string) bool {
	switch level {
	case "warning", "error", "fatal", "panic":
		return true
	}
	return false
}

func str(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			if s, ok := v.(string); ok {
				return s
			}
			return fmt.Sprint(v)
		}
	}
	return ""
}

func (r *Result) classify(num int, l logLine) {
	ev := Event{Line: num, Time: l.time, Level: l.level, Component: l.component, Msg: l.msg}
	if l.component == "bird" || l.component == "bird6" {
		r.birdLine(ev)
		return
	}
	m := l.msg
	switch {
	case strings.HasPrefix(m, "Parsed value for "):
		rest := m[len("Parsed value for "):]
		name, val, ok := strings.Cut(rest, ": ")
		if !ok {
			break
		}
		p := Param{Line: num, Name: name, Value: val}
		if i := strings.LastIndex(val, " (from "); i >= 0 && strings.HasSuffix(val, ")") {
			p.Value, p.Source = val[:i], val[i+len(" (from "):len(val)-1]
		}
		r.FelixParams = append(r.FelixParams, p)
		ev.Kind, ev.Name, ev.Value = KindFelixParam, p.Name, p.Value
	case strings.Contains(m, "RPF check is set to 'loose'") || (strings.Contains(m, "rp_filter") && strings.Contains(strings.ToLower(m), "loose")):
		ev.Kind = KindRPFLoose
		if strings.Contains(m, "IgnoreLooseRPF set to true") || strings.Contains(m, "Ignoring due to IgnoreLooseRPF") {
			ev.Value = "ignored"
		}
		e := ev
		r.RPFLoose = &e
	case strings.Contains(m, "is already using the IPv"):
		ev.Kind = KindAddressConflict
		if _, b, ok := strings.Cut(m, "'"); ok {
			if name, _, ok := strings.Cut(b, "'"); ok {
				ev.Name = name
			}
		}
		if i := strings.Index(m, " address "); i >= 0 {
			tok, _ := firstToken(m[i+len(" address "):])
			if p, ok := parseAddrOrPrefix(tok); ok {
				ev.Addr = p.Addr()
			}
		}
	case strings.HasPrefix(m, "Calico node failed to start"), m == "Terminating":
		ev.Kind = KindStartupFailed
		if ev.Level == "" {
			ev.Level = "error"
		}
	case strings.Contains(m, "Unable to auto-detect") || strings.Contains(m, "Couldn't autodetect") || strings.Contains(m, "Failed to autodetect"):
		ev.Kind = KindAutodetectFailed
	case strings.Contains(m, "Looked up iptables command") || l.field("backendMode") != "":
		ev.Kind = KindIptablesBackend
		ev.Value = l.field("backendMode")
		if ev.Value != "" {
			r.BackendMode = ev.Value
		}
	case strings.Contains(m, "MTU") || l.field("mtu") != "":
		low := strings.ToLower(m)
		if strings.Contains(low, "fail") || strings.Contains(low, "unable") || strings.Contains(low, "error") {
			ev.Kind = KindMTUError
		} else {
			ev.Kind = KindMTU
		}
		ev.Value = l.field("mtu")
		if ev.Value == "" {
			ev.Value = numberAfter(m, "MTU")
		}
		ev.Name = l.field("ifaceName")
	case strings.HasPrefix(m, "Determined node name: "):
		r.NodeName = strings.TrimSpace(m[len("Determined node name: "):])
	case strings.Contains(m, "BGP not established with"):
		ev.Kind = KindBGP
		_, peers, _ := strings.Cut(m, "established with")
		tok, _ := firstToken(peers)
		tok, _, _ = strings.Cut(tok, ",")
		if p, ok := parseAddrOrPrefix(tok); ok {
			ev.Addr = p.Addr()
		}
	default:
		if ad, ok := autodetect(num, m, l.field); ok {
			r.Autodetect = append(r.Autodetect, ad)
			ev.Kind, ev.Name, ev.Addr = KindAutodetect, ad.Interface, ad.Addr.Addr()
		}
	}
	if ev.Kind == "" && severe(ev.Level) {
		ev.Kind = KindLog
	}
	if ev.Kind == "" {
		return
	}
	r.Events = append(r.Events, ev)
	if severe(ev.Level) {
		r.Errors = append(r.Errors, ev)
	}
}

// autodetect recognises the calico-node startup lines that state the node address.
func autodetect(num int, m string, field func(string) string) (Autodetect, bool) {
	ad := Autodetect{Line: num}
	switch {
	case strings.HasPrefix(m, "Using autodetected IPv"):
		ad.Version = versionAt(m, len("Using autodetected IPv"))
		rest := m[min(len(m), len("Using autodetected IPv")+1):]
		rest = strings.TrimPrefix(rest, " address ")
		switch {
		case strings.HasPrefix(rest, "on interface "):
			// "on interface eth0: 10.0.0.11/24[ while skipping matching interfaces]"
			ad.Method = "first-found"
			if strings.HasSuffix(rest, "while skipping matching interfaces") {
				ad.Method = "skip-interface"
			}
			iface, addr, _ := strings.Cut(rest[len("on interface "):], ": ")
			ad.Interface = iface
			tok, _ := firstToken(addr)
			ad.Addr, _ = parseAddrOrPrefix(tok)
		default:
			tok, after := firstToken(rest)
			ad.Addr, _ = parseAddrOrPrefix(tok)
			switch {
			case strings.HasPrefix(after, "on matching interface "):
				ad.Method = "interface"
				ad.Interface, _ = firstToken(after[len("on matching interface "):])
			case strings.HasPrefix(after, "detected by connecting to "):
				ad.Method = "can-reach"
				ad.Target, _ = firstToken(after[len("detected by connecting to "):])
			case strings.HasPrefix(after, "on interface "):
				ad.Method = "cidr"
				ad.Interface, _ = firstToken(after[len("on interface "):])
			default:
				ad.Method = "autodetect"
			}
		}
	case strings.HasPrefix(m, "Using IPv4 address from environment: "), strings.HasPrefix(m, "Using IPv6 address from environment: "):
		ad.Version = versionAt(m, len("Using IPv"))
		ad.Method = "env"
		v := m[len("Using IPv4 address from environment: "):]
		v = strings.TrimPrefix(strings.TrimPrefix(v, "IP6="), "IP=")
		tok, _ := firstToken(v)
		ad.Addr, _ = parseAddrOrPrefix(tok)
	case strings.HasPrefix(m, "Including CIDR information from host interface"):
		ad.Method = "local-cidr"
		ad.Addr, _ = parseAddrOrPrefix(field("CIDR"))
		if ad.Addr.IsValid() {
			ad.Version = 4
			if ad.Addr.Addr().Is6() {
				ad.Version = 6
			}
		}
	case strings.Contains(m, "keeping existing value: "):
		// "Autodetection of IPv4 address failed, keeping existing value: X",
		// "Autodetection for IPv4 disabled, keeping existing value: X"
		ad.Method = "existing"
		if i := strings.Index(m, "IPv"); i >= 0 {
			ad.Version = versionAt(m, i+3)
		}
		tok, _ := firstToken(m[strings.Index(m, "keeping existing value: ")+len("keeping existing value: "):])
		ad.Addr, _ = parseAddrOrPrefix(tok)
	case strings.Contains(m, " discovered on interface "):
		// "IPv4 address 10.0.0.11 discovered on interface eth0"
		ad.Method = "discovered"
		before, after, _ := strings.Cut(m, " discovered on interface ")
		if i := strings.LastIndexByte(before, ' '); i >= 0 {
			ad.Addr, _ = parseAddrOrPrefix(before[i+1:])
		}
		if i := strings.Index(before, "IPv"); i >= 0 {
			ad.Version = versionAt(before, i+3)
		}
		ad.Interface, _ = firstToken(after)
	default:
		return ad, false
	}
	if ad.Version == 0 && ad.Addr.IsValid() {
		ad.Version = 4
		if ad.Addr.Addr().Is6() {
			ad.Version = 6
		}
	}
	return ad, true
}

func (r *Result) birdLine(ev Event) {
	m := ev.Msg
	// "Mesh_10_0_0_12: Received: Connection rejected" names the protocol first.
	// "BGP: ..." is BIRD's listener, not a protocol.
	if name, rest, ok := strings.Cut(m, ": "); ok && !strings.ContainsAny(name, " \t") {
		if name != "BGP" {
			ev.Name = name
			ev.Addr = bird.PeerFromName(name)
		}
		m = rest
	}
	low := strings.ToLower(m)
	switch {
	case strings.HasPrefix(m, "Unexpected connect from unknown address "):
		ev.Level = "warning"
		tok, _ := firstToken(m[len("Unexpected connect from unknown address "):])
		if p, ok := parseAddrOrPrefix(tok); ok {
			ev.Addr = p.Addr()
		}
	case strings.Contains(low, "error") || strings.Contains(low, "refused") || strings.Contains(low, "rejected") ||
		strings.HasPrefix(m, "Received: ") || strings.Contains(low, "timed out") || strings.Contains(low, "hold timer expired") ||
		strings.Contains(low, "connection lost") || strings.Contains(low, "aborted") || strings.Contains(low, "unreachable"):
		ev.Level = "error"
	case strings.HasPrefix(m, "State changed to "):
		ev.Level = "info"
		ev.Value = strings.TrimPrefix(m, "State changed to ")
	default:
		return
	}
	ev.Kind = KindBGP
	r.Events = append(r.Events, ev)
	if severe(ev.Level) {
		r.Errors = append(r.Errors, ev)
	}
}

// parseAddrOrPrefix reads "10.0.0.11/24", "10.0.0.11", "10.0.0.11." (end of a
// sentence) or a quoted form; a bare address becomes a host prefix.
func parseAddrOrPrefix(s string) (netip.Prefix, bool) {
	s = strings.Trim(s, "\"',;:.()[]")
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// versionAt reads the IP version digit of "IPv4"/"IPv6" at s[i].
func versionAt(s string, i int) int {
	if i < len(s) {
		switch s[i] {
		case '4':
			return 4
		case '6':
			return 6
		}
	}
	return 0
}

// numberAfter finds the first number following word: "MTU 1440", "MTU to 1410".
func numberAfter(s, word string) string {
	i := strings.Index(s, word)
	if i < 0 {
		return ""
	}
	s = s[i+len(word):]
	for k := 0; k < 3 && s != ""; k++ {
		var tok string
		tok, s = firstToken(s)
		tok = strings.Trim(tok, ":=,.()")
		if tok != "" && allDigits(tok) {
			return tok
		}
	}
	return ""
}

func firstToken(s string) (string, string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// isISOStamp matches kubectl --timestamps / CRI stamps: 2023-01-01T10:00:00.123456789Z.
func isISOStamp(s string) bool {
	return len(s) >= 19 && isDigit(s[0]) && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':'
}

// isSvlogdStamp matches runit svlogd's 2017-08-05_09:50:21.93291.
func isSvlogdStamp(s string) bool {
	return len(s) >= 19 && isDigit(s[0]) && s[4] == '-' && s[7] == '-' && s[10] == '_' && s[13] == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Summary gives the counts `analyze inspect` prints.
func (r *Result) Summary() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d lines, %d events, %d warnings/errors, %d felix params", r.Lines, len(r.Events), len(r.Errors), len(r.FelixParams))
	if n := len(r.Autodetect); n > 0 {
		a := r.Autodetect[n-1]
		fmt.Fprintf(&sb, "; node address %s", a.Addr)
		if a.Interface != "" {
			fmt.Fprintf(&sb, " on %s", a.Interface)
		}
		fmt.Fprintf(&sb, " (%s)", a.Method)
	}
	if r.BackendMode != "" {
		sb.WriteString("; iptables " + r.BackendMode)
	}
	if r.RPFLoose != nil {
		sb.WriteString("; loose RPF")
	}
	return sb.String()
}
