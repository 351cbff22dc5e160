package capture_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/capture"
)

// The summariser is checked against independent decoders: tshark (Wireshark's
// dissectors) for tunnel pairs, DNS and ICMP errors, and tcpdump's BPF filters
// for tunnel packet totals, on every capture of testdata/ and of the real
// captures under ../shared/realdata/pcap.

// realdataDir is ../shared/realdata beside the repository (its clone in CI).
func realdataDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the repository")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(root, "..", "shared", "realdata")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s absent: real captures not tested", dir)
	}
	return dir
}

// knownDifference is where our count differs from tshark's or tcpdump's on
// purpose; each has its reason.
type knownDifference struct {
	reason      string
	vxlan       int64 // our VXLAN packets minus tshark's
	skipTunnels bool
	skipDNS     bool
}

var knownDifferences = map[string]knownDifference{
	"tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap":          {reason: "a BIG TCP packet (IPv4 total length 0, as Linux sends GSO packets over 64 KB) is read as IPv4 by gopacket and as a bad header by tshark and tcpdump", vxlan: 1},
	"zeek/tunnels_geneve-vxlan-dns-truncated.pcap": {reason: "VXLAN inside Geneve (UDP 6081): Geneve is not decoded (Calico does not use it)", skipTunnels: true, skipDNS: true},
	"zeek/erspan.pcap":                             {reason: "DNS inside GRE/ERSPAN mirroring: GRE is not decoded (Calico does not use it)", skipDNS: true},
}

func have(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s is not installed (apt-get install %s): the independent-decoder comparison is skipped", tool, tool)
	}
}

// run returns the output of a tool; a file cut short is an error for both
// tools, after they print the packets before the cut.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := tryRun(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

func tryRun(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if e := errb.String(); strings.Contains(e, "cut short") || strings.Contains(e, "truncated dump file") {
			return out.String(), nil
		}
		return "", fmt.Errorf("%v: %s", err, errb.String())
	}
	return out.String(), nil
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// first is the outermost value of a tshark field that repeats per layer.
func first(field string) string {
	if i := strings.IndexByte(field, ','); i >= 0 {
		return field[:i]
	}
	return field
}

func comparisonFiles(t *testing.T) map[string]string {
	files := map[string]string{}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng") || strings.HasSuffix(n, ".pcap.gz") {
			files["testdata/"+n] = filepath.Join("testdata", n)
		}
	}
	if _, err := os.Stat(filepath.Join(realdataDirOrEmpty(), "pcap")); err == nil {
		matches, _ := filepath.Glob(filepath.Join(realdataDirOrEmpty(), "pcap", "*", "*.pcap"))
		for _, m := range matches {
			rel, _ := filepath.Rel(filepath.Join(realdataDirOrEmpty(), "pcap"), m)
			files[filepath.ToSlash(rel)] = m
		}
	} else {
		t.Logf("real captures absent: comparing testdata only")
	}
	return files
}

func realdataDirOrEmpty() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "realdata")
}

func TestCountsEqualTsharks(t *testing.T) {
	have(t, "tshark")
	for name, path := range comparisonFiles(t) {
		t.Run(name, func(t *testing.T) {
			kd := knownDifferences[name]
			s, _ := summarizeFile(t, path)
			// One pass of tshark per file, all fields at once: -2 (two
			// passes) so that a query knows its response; VXLAN on
			// 8472 too, as the summariser decodes it. A field that
			// repeats per layer (IP in IP) lists its values outer
			// first, comma-separated.
			fields := []string{"frame.protocols", "ipv6.src", "ipv6.dst", "ip.proto", "ip.src", "ip.dst", "vxlan.vni", "udp.port", "tcp.port", "dns.flags.response", "dns.response_in", "dns.flags.rcode", "icmp.type", "icmp.code", "icmp.mtu", "icmpv6.type", "icmpv6.code", "icmpv6.mtu"}
			args := []string{"-n", "-2", "-r", path, "-d", "udp.port==8472,vxlan", "-T", "fields", "-E", "occurrence=a"}
			for _, f := range fields {
				args = append(args, "-e", f)
			}
			type row map[string][]string
			var rows []row
			for _, l := range lines(run(t, "tshark", args...)) {
				vals := strings.Split(l, "\t")
				r := row{}
				for i, f := range fields {
					if i < len(vals) && vals[i] != "" {
						r[f] = strings.Split(vals[i], ",")
					}
				}
				rows = append(rows, r)
			}
			has := func(vals []string, want ...string) bool {
				for _, v := range vals {
					for _, w := range want {
						if v == w {
							return true
						}
					}
				}
				return false
			}

			// The outer addresses: of the first IP layer, v4 or v6.
			outer := func(r row) (string, string) {
				for _, p := range strings.Split(strings.Join(r["frame.protocols"], ","), ":") {
					switch {
					case p == "ip" && len(r["ip.src"]) > 0:
						return r["ip.src"][0], r["ip.dst"][0]
					case p == "ipv6" && len(r["ipv6.src"]) > 0:
						return r["ipv6.src"][0], r["ipv6.dst"][0]
					}
				}
				return "?", "?"
			}
			if !kd.skipTunnels {
				want := map[string]int64{}
				for _, r := range rows {
					src, dst := outer(r)
					if has(r["ip.proto"], "4") { // tshark -Y ip.proto==4
						want[fmt.Sprintf("%s>%s ipip/0", src, dst)]++
					}
					if len(r["vxlan.vni"]) > 0 { // tshark -Y vxlan
						want[fmt.Sprintf("%s>%s vxlan/%s", src, dst, r["vxlan.vni"][0])]++
					}
				}
				got := tunnelCounts(s)
				if kd.vxlan != 0 {
					var g, w int64
					for k, v := range got {
						if strings.Contains(k, "vxlan") {
							g += v
						}
					}
					for k, v := range want {
						if strings.Contains(k, "vxlan") {
							w += v
						}
					}
					if g-w != kd.vxlan {
						t.Errorf("VXLAN packets: ours %d, tshark %d, expected difference %d (%s)", g, w, kd.vxlan, kd.reason)
					}
				} else {
					equalMaps(t, "packets of tunnel pair (ours vs tshark)", got, want)
				}
			}

			if !kd.skipDNS {
				var q, r, answered, unanswered int
				rcodes := map[string]int{}
				for _, w := range rows {
					// tshark -Y '(udp.port==53 || tcp.port==53) && !icmp && !icmpv6'
					if !has(w["udp.port"], "53") && !has(w["tcp.port"], "53") || len(w["icmp.type"])+len(w["icmpv6.type"]) > 0 {
						continue
					}
					in, rc := w["dns.response_in"], w["dns.flags.rcode"]
					ni, nr := 0, 0
					for _, v := range w["dns.flags.response"] {
						switch v {
						case "0", "False":
							q++
							// response_in lists one value per
							// answered query, in order.
							if ni < len(in) {
								answered++
								ni++
							} else {
								unanswered++
							}
						case "1", "True":
							r++
							if nr < len(rc) {
								rcodes[rcodeName(rc[nr])]++
							}
							nr++
						}
					}
				}
				var gq, gr, ga, gu, late, repeats int
				grc := map[string]int{}
				for _, d := range s.DNS {
					gq += d.Queries
					gr += d.Responses
					ga += d.Answered
					// Pending at the end is unanswered for tshark,
					// which knows no timeout.
					gu += d.Unanswered + d.PendingAtEnd
					late += d.Late
					repeats += d.Repeats
					for k, v := range d.RCodes {
						grc[k] += v
					}
				}
				if gq != q || gr != r {
					t.Errorf("DNS packets: ours %d queries %d responses, tshark %d %d", gq, gr, q, r)
				}
				// tshark counts per query packet and matches answers at
				// any delay within one UDP conversation; ours counts
				// transactions and calls answers after 5 s late. Each
				// late answer is an answered query for tshark, each
				// repeat an unanswered one (a retransmission, or the
				// copy after DNAT that tshark pairs with the answer
				// while the query to the VIP stays unanswered).
				if ga+late != answered || gu-late+repeats != unanswered {
					t.Errorf("DNS answered/unanswered: ours %d/%d (late %d, repeats %d), tshark %d/%d", ga, gu, late, repeats, answered, unanswered)
				}
				equalMaps(t, "rcode (ours vs tshark)", grc, rcodes)
			}

			want := map[string]int64{}
			for _, r := range rows {
				// tshark -Y 'icmp.type==3 || icmp.type==11 || icmpv6.type==1 || icmpv6.type==2 || icmpv6.type==3'
				if t4 := r["icmp.type"]; has(t4, "3", "11") {
					want[icmpName(t4[0], r["icmp.code"][0], strings.Join(r["icmp.mtu"], ""), false)]++
				} else if t6 := r["icmpv6.type"]; has(t6, "1", "2", "3") {
					want[icmpName(t6[0], r["icmpv6.code"][0], strings.Join(r["icmpv6.mtu"], ""), true)]++
				}
			}
			got := map[string]int64{}
			for _, e := range s.ICMP {
				k := e.Type
				if e.Type == capture.ICMPFragNeeded {
					k += fmt.Sprintf(" mtu %d", e.MTU)
				}
				got[k] += e.Count
			}
			equalMaps(t, "ICMP errors (ours vs tshark)", got, want)
		})
	}
}

func rcodeName(code string) string {
	names := map[string]string{"0": "NOERROR", "1": "FORMERR", "2": "SERVFAIL", "3": "NXDOMAIN", "4": "NOTIMP", "5": "REFUSED"}
	if n, ok := names[code]; ok {
		return n
	}
	return "RCODE" + code
}

func icmpName(typ, code, mtu string, v6 bool) string {
	if v6 {
		switch typ {
		case "2":
			return "frag-needed mtu " + mtu
		case "3":
			return capture.ICMPTimeExceeded
		}
		switch code {
		case "0":
			return capture.ICMPNetUnreachable
		case "3":
			return capture.ICMPHostUnreachable
		case "4":
			return capture.ICMPPortUnreachable
		}
		return capture.ICMPOtherUnreachable
	}
	if typ == "11" {
		return capture.ICMPTimeExceeded
	}
	switch code {
	case "0":
		return capture.ICMPNetUnreachable
	case "1":
		return capture.ICMPHostUnreachable
	case "3":
		return capture.ICMPPortUnreachable
	case "4":
		return "frag-needed mtu " + mtu
	}
	return capture.ICMPOtherUnreachable
}

// TestTunnelTotalsEqualTcpdumpFilters counts with libpcap's BPF filters:
// `ip proto 4` for IP-in-IP, `udp port 4789 or udp port 8472` for VXLAN (outer
// headers only, as tcpdump -nn on a node would be asked).
func TestTunnelTotalsEqualTcpdumpFilters(t *testing.T) {
	have(t, "tcpdump")
	for name, path := range comparisonFiles(t) {
		t.Run(name, func(t *testing.T) {
			kd := knownDifferences[name]
			if kd.skipTunnels {
				t.Skip(kd.reason)
			}
			if strings.HasSuffix(path, ".pcapng") || strings.HasSuffix(path, ".gz") {
				// libpcap refuses pcapng files mixing link types,
				// and reads no gzip.
				t.Skip("read by tshark only")
			}
			s, _ := summarizeFile(t, path)
			// -# numbers each packet: a tunnel packet prints its
			// inner packet on a line of its own.
			count := func(filter string) int64 {
				out, err := tryRun("tcpdump", "-r", path, "-nn", "-#", filter)
				if err != nil {
					t.Fatalf("tcpdump -r %s -nn %q: %v", path, filter, err)
				}
				var n int64
				for _, l := range lines(out) {
					if f := strings.Fields(l); len(f) > 1 && strings.Trim(f[0], "0123456789") == "" {
						n++
					}
				}
				return n
			}
			// A VLAN tag (or two, QinQ) hides the IP header from a
			// plain filter; the vlan keyword exists for Ethernet only.
			vlan := func(f string) string {
				if _, err := tryRun("tcpdump", "-r", path, "-c", "1", "vlan"); err != nil {
					return f
				}
				// Nested: each vlan keyword moves the offsets of
				// everything after it in the expression.
				return f + " or (vlan and (" + f + " or (vlan and (" + f + "))))"
			}
			if got, want := tunnelTotal(s, "ipip"), count(vlan("ip proto 4")); got != want {
				t.Errorf("IP-in-IP packets: ours %d, tcpdump 'ip proto 4' %d", got, want)
			}
			if got, want := tunnelTotal(s, "vxlan"), count(vlan("udp port 4789 or udp port 8472")); got != want {
				t.Errorf("VXLAN packets: ours %d, tcpdump %d", got, want)
			}
		})
	}
}
