package assemble

import (
	"fmt"
	"testing"
)

// TestTunnelDropsPreferTheCaptureWindow: felix's tunnel DROP counters are
// taken as counters/after minus counters/before where both were read (what
// was dropped while the collector watched), else as the one snapshot's total,
// and the fact says which.
func TestTunnelDropsPreferTheCaptureWindow(t *testing.T) {
	// save is iptables-save -c with felix's IP-in-IP and VXLAN rules; the
	// DROP rules are on lines 6 and 8.
	save := func(ipipDrop, vxlanDrop int) string {
		return fmt.Sprintf(`*filter
:INPUT ACCEPT [0:0]
:cali-INPUT - [0:0]
[5:500] -A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT
[3:300] -A cali-INPUT -p ipencap -m comment --comment "cali:PajejrV4aFdkZojI" -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT
[%d:0] -A cali-INPUT -p ipencap -m comment --comment "cali:_wjq-Yrma8Ly1Svo" -m comment --comment "Drop IPIP packets from non-Calico hosts" -j DROP
[1:148] -A cali-INPUT -p udp -m comment --comment "cali:J76FwxInZIsk7uKY" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT
[%d:0] -A cali-INPUT -p udp -m comment --comment "cali:4cgmbdWsLmozYhJh" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP
COMMIT
`, ipipDrop, vxlanDrop)
	}
	file := func(path, body string) string { return "-- n1/" + path + " --\n" + body }
	tests := []struct {
		name    string
		archive string
		// want: packets, source, and the files of the refs (IPIP, VXLAN alike
		// in source and files).
		ipip, vxlan int
		source      string
		files       []string
		note        string
	}{
		{
			name: "window: the counters rose while the collector watched; the snapshot's stale total is not used",
			archive: file("net/iptables-save.txt", save(900, 0)) +
				file("counters/before/iptables-save.txt", save(900, 1)) +
				file("counters/after/iptables-save.txt", save(904, 29)),
			ipip: 4, vxlan: 28, source: "window",
			files: []string{"counters/before/iptables-save.txt", "counters/after/iptables-save.txt"},
		},
		{
			name: "window: an old total with no rise is 0 dropped, not 900",
			archive: file("net/iptables-save.txt", save(900, 7)) +
				file("counters/before/iptables-save.txt", save(900, 7)) +
				file("counters/after/iptables-save.txt", save(900, 7)),
			ipip: 0, vxlan: 0, source: "window",
			files: []string{"counters/before/iptables-save.txt", "counters/after/iptables-save.txt"},
		},
		{
			name: "snapshot: counters went down (felix reprogrammed the rules), the snapshot total, saying why",
			archive: file("net/iptables-save.txt", save(12, 3)) +
				file("counters/before/iptables-save.txt", save(10, 3)) +
				file("counters/after/iptables-save.txt", save(2, 0)),
			ipip: 12, vxlan: 3, source: "snapshot", files: []string{"net/iptables-save.txt"},
			note: "the DROP rule's counters went down between counters/before and counters/after (felix reprogrammed it)",
		},
		{
			name:    "snapshot: no counters before and after",
			archive: file("net/iptables-save.txt", save(12, 3)),
			ipip:    12, vxlan: 3, source: "snapshot", files: []string{"net/iptables-save.txt"},
			note: "no iptables-save -c before and after the capture window",
		},
		{
			name:    "unknown: no iptables-save at all",
			archive: file("host/hostname", "n1\n"),
			ipip:    -1, vxlan: -1, source: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := node(t, build(t, tt.archive, Options{}), "n1")
			check := func(kind string, want int, packets int, source, note string, files []string, lines []int) {
				t.Helper()
				if packets != want || source != tt.source || note != tt.note {
					t.Errorf("%s: packets %d source %q note %q, want %d %q %q", kind, packets, source, note, want, tt.source, tt.note)
				}
				if fmt.Sprint(files) != fmt.Sprint(tt.files) {
					t.Errorf("%s: refs %v, want %v", kind, files, tt.files)
				}
				for _, l := range lines {
					want := 6
					if kind == "vxlan" {
						want = 8
					}
					if l != want {
						t.Errorf("%s: ref line %d, want %d (the DROP rule)", kind, l, want)
					}
				}
			}
			for _, c := range []struct {
				kind string
				want int
			}{{"ipip", tt.ipip}, {"vxlan", tt.vxlan}} {
				d := n.IPTables.IPIPDropped
				if c.kind == "vxlan" {
					d = n.IPTables.VXLANDropped
				}
				var files []string
				var lines []int
				for _, r := range d.Refs {
					files, lines = append(files, r.File()), append(lines, int(r.Line))
				}
				check(c.kind, c.want, d.Packets, d.Source, d.Note, files, lines)
			}
		})
	}
}
