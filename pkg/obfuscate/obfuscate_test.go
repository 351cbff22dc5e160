package obfuscate

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

func commonBits(a, b netip.Addr) int {
	x, y := a.AsSlice(), b.AsSlice()
	for i := 0; i < len(x)*8; i++ {
		m := byte(0x80 >> (i % 8))
		if x[i/8]&m != y[i/8]&m {
			return i
		}
	}
	return len(x) * 8
}

func TestTheMappingPreservesPrefixesAndHostParts(t *testing.T) {
	o := New(Key{1})
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[netip.Addr]netip.Addr{}
	for i := 0; i < 20000; i++ {
		var b [4]byte
		for k := range b {
			b[k] = byte(rng.IntN(256))
		}
		a := netip.AddrFrom4(b)
		m := o.Addr(a)
		if prev, dup := seen[m]; dup && prev != a {
			t.Fatalf("not a bijection: %s and %s both map to %s", prev, a, m)
		}
		seen[m] = a
		if a.As4()[3] != m.As4()[3] {
			t.Fatalf("host part changed: %s -> %s", a, m)
		}
		// Against a random earlier address: the shared prefix length is kept.
		var c [4]byte
		for k := range c {
			c[k] = byte(rng.IntN(256))
		}
		other := netip.AddrFrom4(c)
		if got, want := commonBits(m, o.Addr(other)), commonBits(a, other); got != want {
			t.Fatalf("%s and %s share %d bits, their images %d", a, other, want, got)
		}
	}
}

func TestSpecialAndPrivateRanges(t *testing.T) {
	o := New(Key{9, 9})
	kept := []string{"0.0.0.0", "127.0.0.1", "127.1.2.3", "169.254.1.1", "224.0.0.5", "239.1.1.1", "255.255.255.255",
		"255.255.255.0", "255.255.0.0", "10.96.0.10", "10.96.0.1", "10.100.200.3",
		"::", "::1", "fe80::5054:ff:fe8a:1120", "ff02::1"}
	for _, s := range kept {
		a := netip.MustParseAddr(s)
		if m := o.Addr(a); m != a {
			t.Errorf("%s changed to %s", s, m)
		}
	}
	within := []struct{ addr, prefix string }{
		{"10.244.1.70", "10.0.0.0/8"},
		{"10.1.2.3", "10.0.0.0/8"},
		{"172.22.19.200", "172.16.0.0/12"},
		{"192.168.20.11", "192.168.0.0/16"},
		{"100.64.3.4", "100.64.0.0/10"},
		{"fd00:1:2:3::4", "fc00::/7"},
	}
	for _, w := range within {
		a := netip.MustParseAddr(w.addr)
		m := o.Addr(a)
		if !netip.MustParsePrefix(w.prefix).Contains(m) {
			t.Errorf("%s -> %s left %s", w.addr, m, w.prefix)
		}
		if m == a && !strings.HasPrefix(w.addr, "100.") {
			t.Logf("%s maps to itself (possible, but unlikely)", w.addr)
		}
	}
	// A public address never lands in a kept or private range.
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		a := netip.AddrFrom4([4]byte{byte(11 + rng.IntN(90)), byte(rng.IntN(256)), byte(rng.IntN(256)), 1})
		m := o.Addr(a)
		for _, s := range append(v4Special[:0:0], v4Special...) {
			if s.p.Contains(m) && !s.p.Contains(a) {
				t.Fatalf("%s -> %s, into %s", a, m, s.p)
			}
		}
	}
	// The IPv4 part of an IPv4-mapped address maps like the IPv4 address.
	v4 := netip.MustParseAddr("192.168.20.11")
	if got := o.Addr(netip.AddrFrom16(v4.As16())); got.Unmap() != o.Addr(v4) {
		t.Errorf("v4-mapped %s, v4 %s", got, o.Addr(v4))
	}
}

func TestPrefixesStayCanonicalAndContainTheirAddresses(t *testing.T) {
	o := New(Key{3})
	for _, s := range []string{"10.244.0.0/16", "10.244.1.64/26", "172.16.0.0/12", "10.96.0.0/12", "192.168.0.0/16", "192.168.20.0/24", "0.0.0.0/0", "8.0.0.0/7", "2001:db8:1::/48", "fd00::/8"} {
		p := netip.MustParsePrefix(s)
		m := o.Prefix(p)
		if m.Masked() != m || m.Bits() != p.Bits() {
			t.Errorf("%s -> %s is not canonical", s, m)
		}
		// An address of the prefix maps into the image.
		inside := p.Addr().Next()
		if !m.Contains(o.Addr(inside)) {
			t.Errorf("%s in %s maps to %s, outside %s", inside, s, o.Addr(inside), m)
		}
	}
	// A host address with its length keeps its host part.
	if got := o.Prefix(netip.MustParsePrefix("192.168.20.11/24")); got.Addr().As4()[3] != 11 || got.Bits() != 24 {
		t.Errorf("interface address -> %s", got)
	}
}

func TestTheMappingDependsOnlyOnTheKey(t *testing.T) {
	a := netip.MustParseAddr("192.168.20.11")
	k1, k2 := Key{1}, Key{2}
	if New(k1).Addr(a) != New(k1).Addr(a) || New(k1).Hostname("node-a") != New(k1).Hostname("node-a") {
		t.Error("one key, two mappings")
	}
	if New(k1).Addr(a) == New(k2).Addr(a) && New(k1).Hostname("node-a") == New(k2).Hostname("node-a") {
		t.Error("two keys, one mapping")
	}
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(k.String())
	if err != nil || back != k {
		t.Errorf("ParseKey(String()) = %v, %v", back, err)
	}
	if _, err := ParseKey("abc"); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestText(t *testing.T) {
	o := New(Key{5})
	o.AddHostnames("node-a", "cp-1.corp.example", "master", "ab")
	ip := func(s string) string { return o.Addr(netip.MustParseAddr(s)).String() }
	pre := func(s string) string { return o.Prefix(netip.MustParsePrefix(s)).String() }
	tests := []struct{ name, in, want string }{
		{"an address", "src 192.168.20.11 uid 0", "src " + ip("192.168.20.11") + " uid 0"},
		{"an address with a port", "TCP  172.22.0.5:443 rr", "TCP  " + ip("172.22.0.5") + ":443 rr"},
		{"a canonical prefix", "10.244.1.64/26 via 192.168.20.12 dev tunl0 proto bird onlink",
			pre("10.244.1.64/26") + " via " + ip("192.168.20.12") + " dev tunl0 proto bird onlink"},
		{"an interface address", "inet 192.168.20.11/24 brd 192.168.20.255 scope global eth0",
			"inet " + ip("192.168.20.11") + "/24 brd " + ip("192.168.20.255") + " scope global eth0"},
		{"the default service CIDR", "--service-cluster-ip-range=10.96.0.0/12 dns 10.96.0.10", "--service-cluster-ip-range=10.96.0.0/12 dns 10.96.0.10"},
		{"IPv6 with zone and prefix", "inet6 fd00:1::5/64 fe80::1%eth0", "inet6 " + pre("fd00:1::5/64") + " fe80::1%eth0"},
		{"a public IPv6", "2001:db8:1::5 ", ip("2001:db8:1::5") + " "},
		{"a MAC, a time and a version stay", "52:54:00:8a:11:20 13:30:08 v1.28.2 1.2.3.4.5 v3.26.1.0", "52:54:00:8a:11:20 13:30:08 v1.28.2 1.2.3.4.5 v3.26.1.0"},
		{"BIRD protocol names", "Mesh_192_168_20_12 BGP master up", "Mesh_" + strings.ReplaceAll(ip("192.168.20.12"), ".", "_") + " BGP master up"},
		{"EC2 host names", "ip-10-0-1-23.ec2.internal", "ip-" + strings.ReplaceAll(ip("10.0.1.23"), ".", "-") + ".ec2.internal"},
		{"reverse DNS names", "23.1.0.10.in-addr.arpa.", func() string {
			b := o.Addr(netip.MustParseAddr("10.0.1.23")).As4()
			return netip.AddrFrom4([4]byte{b[3], b[2], b[1], b[0]}).String() + ".in-addr.arpa."
		}()},
		{"IPv4-mapped IPv6", "::ffff:192.168.20.11", "::ffff:" + ip("192.168.20.11")},
		{"host names as words", `"nodeName":"node-a" Linux node-a 5.15 cp-1 cp-1.corp.example node-ab xnode-a NODE-A`,
			`"nodeName":"` + o.Hostname("node-a") + `" Linux ` + o.Hostname("node-a") + " 5.15 " + o.Hostname("cp-1") + " " +
				o.Hostname("cp-1.corp.example") + " node-ab xnode-a " + o.Hostname("node-a")},
		{"host names after runs whose lower case is longer", "ȺȺȺ node-a İ:node-a \xff\xffnode-a",
			"ȺȺȺ " + o.Hostname("node-a") + " İ:" + o.Hostname("node-a") + " \xff\xff" + o.Hostname("node-a")},
		{"names that are words of the outputs stay", "master cali-br ab", "master cali-br ab"},
		{"JSON", `{"ip":"10.244.1.5","hostIP":"192.168.20.12"}`, `{"ip":"` + ip("10.244.1.5") + `","hostIP":"` + ip("192.168.20.12") + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(o.Text([]byte(tt.in))); got != tt.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
	m := o.Mapping()
	if _, ok := m.Kept["master"]; !ok {
		t.Errorf("master not listed as kept: %v", m.Kept)
	}
	if m.Hostnames["node-a"] != o.Hostname("node-a") || m.Addresses["192.168.20.11"] != ip("192.168.20.11") {
		t.Errorf("mapping %+v", m)
	}
	if _, ok := m.Addresses["10.96.0.10"]; ok {
		t.Error("an unchanged address is listed as mapped")
	}
}

func TestAMappingFileReproducesTheMapping(t *testing.T) {
	o := New(Key{4, 2})
	o.AddHostnames("node-c")
	in := []byte("node-c 192.168.20.13 10.244.2.0/26")
	want := o.Text(in)
	b, err := o.Mapping().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadMapping(b)
	if err != nil {
		t.Fatal(err)
	}
	// node-c is known from the file, not registered again.
	if got := again.Text(in); string(got) != string(want) {
		t.Errorf("reloaded mapping gives %q, want %q", got, want)
	}
	for _, bad := range []string{`{}`, `{"schema":"podnetdiag-obfuscation/v1","key":"zz"}`, `not json`} {
		if _, err := LoadMapping([]byte(bad)); err == nil {
			t.Errorf("LoadMapping(%s) accepted", bad)
		}
	}
}

func TestFilesDropsBinariesAndFindsHostNames(t *testing.T) {
	o := New(Key{8})
	files := map[string][]byte{
		"host/hostname":              []byte("node-x\n"),
		"kube/nodes.json":            []byte(`{"items":[{"kind":"Node","metadata":{"name":"node-y"},"status":{"addresses":[{"type":"Hostname","address":"node-y.lan"}]}}]}`),
		"calico/calico-node-env.txt": []byte("NODENAME=node-z\n"),
		"logs/calico-node.log":       []byte("peer node-y node-z node-x.lan"),
		"pcap/eth0.pcap":             {0xd4, 0xc3, 0xb2, 0xa1, 0, 0},
	}
	dropped := o.Files(files)
	if len(dropped) != 1 || dropped[0] != "pcap/eth0.pcap" || files["pcap/eth0.pcap"] != nil {
		t.Errorf("dropped %v", dropped)
	}
	log := string(files["logs/calico-node.log"])
	for _, n := range []string{"node-x", "node-y", "node-z"} {
		if strings.Contains(log, n+" ") || strings.HasSuffix(log, n) {
			t.Errorf("%s left in %q", n, log)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("inet 192.168.20.11/24 brd 192.168.20.255 fe80::1%eth0 Mesh_10_0_0_1 ip-10-1-2-3 1.0.0.10.in-addr.arpa")
	f.Add("::ffff:1.2.3.4/120 1.2.3.4/33 1.2.3.4/ ::/0 :::: 1.2.3.4.")
	f.Add("node-a node-ab master")
	f.Fuzz(func(t *testing.T, s string) {
		o := New(Key{1})
		out := string(o.Text([]byte(s)))
		// Only addresses change: text without digits or colons holds none.
		if !strings.ContainsAny(s, "0123456789:") && out != s {
			t.Fatalf("Text(%q) = %q", s, out)
		}
		// Host names are replaced as whole words only.
		o.AddHostnames("node-a")
		out = string(o.Text([]byte(s)))
		if !strings.Contains(strings.ToLower(s), "node-a") && !strings.ContainsAny(s, "0123456789:") && out != s {
			t.Fatalf("Text(%q) with a host name = %q", s, out)
		}
	})
}
