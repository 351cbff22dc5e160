package capture

import (
	"fmt"
	"strconv"
	"strings"
)

// Summary gives the line `analyze inspect` prints: packets and duration, the top
// tunnel flows, DNS per server, ICMP errors.
func (s *Summary) Summary() string {
	if s == nil {
		return "no capture"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s packets over %.1f s", thousands(s.Packets), float64(s.LastNs-s.FirstNs)/1e9)
	if s.Truncated {
		b.WriteString(" (file cut short)")
	}
	if s.Undecodable.Count > 0 {
		fmt.Fprintf(&b, ", %s undecodable (first: packet %d)", thousands(s.Undecodable.Count), s.Undecodable.FirstPacket)
	}
	const top = 3
	if len(s.Tunnels) > 0 {
		b.WriteString("; tunnels: ")
		for i, t := range s.Tunnels {
			if i == top {
				fmt.Fprintf(&b, ", +%d more", len(s.Tunnels)-top)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s→%s %s %s pkts", t.Src, t.Dst, t.Encap, thousands(t.Packets))
			if t.Fragments > 0 {
				fmt.Fprintf(&b, " (%s fragments)", thousands(t.Fragments))
			}
		}
	} else {
		b.WriteString("; no tunnel packets")
	}
	for i, d := range s.DNS {
		if i == top {
			fmt.Fprintf(&b, "; +%d more DNS servers", len(s.DNS)-top)
			break
		}
		fmt.Fprintf(&b, "; DNS %s: %s queries, %s answered, %s unanswered", d.Server, thousands(int64(d.Queries)), thousands(int64(d.Answered)), thousands(int64(d.Unanswered)))
		if d.Queries == 0 {
			fmt.Fprintf(&b, ", %s responses", thousands(int64(d.Responses)))
		}
		for _, rc := range []string{"SERVFAIL", "NXDOMAIN", "REFUSED"} {
			if n := d.RCodes[rc]; n > 0 {
				fmt.Fprintf(&b, ", %d %s", n, rc)
			}
		}
		if d.TCPQueries > 0 {
			fmt.Fprintf(&b, ", %d over TCP", d.TCPQueries)
		}
	}
	if len(s.ICMP) > 0 {
		// Grouped by kind (and MTU): the per-sender detail is in the list.
		type group struct {
			name  string
			count int64
		}
		var groups []group
		idx := map[string]int{}
		for _, e := range s.ICMP {
			name := e.Type
			if e.Type == ICMPFragNeeded {
				name += " mtu " + strconv.Itoa(e.MTU)
			}
			if i, ok := idx[name]; ok {
				groups[i].count += e.Count
				continue
			}
			idx[name] = len(groups)
			groups = append(groups, group{name, e.Count})
		}
		b.WriteString("; ICMP")
		for i, g := range groups {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %s ×%s", g.name, thousands(g.count))
		}
	}
	return b.String()
}

// thousands writes n with comma separators: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
