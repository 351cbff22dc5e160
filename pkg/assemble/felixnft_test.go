package assemble

import (
	"fmt"
	"strings"
	"testing"
)

// TestFelixNFTables: where felix programs nftables (table ip calico) its
// tunnel rules, allowlist sets and policy drop rules fill the facts their
// iptables and ipset forms fill; where felix's iptables rules are present
// they win (a node between modes shows both).
func TestFelixNFTables(t *testing.T) {
	const ruleset = `-- n1/net/nft-ruleset.txt --
table ip calico {
	set cali40all-vxlan-net {
		type ipv4_addr
		flags interval
		elements = { 172.22.4.21, 172.22.9.0/24 }
	}

	chain filter-cali-INPUT {
		udp dport 4789 ip saddr @cali40all-vxlan-net fib daddr type local counter packets 20 bytes 2000 accept comment "cali:J76FwxInZIsk7uKY; Allow IPv4 VXLAN packets from allowed hosts"
		udp dport 4789 fib daddr type local counter packets 3391 bytes 407012 drop comment "cali:4cgmbdWsLmozYhJh; Drop IPv4 VXLAN packets from non-allowed hosts"
	}

	chain filter-cali-fw-cali444aad00854 {
		meta mark & 0x00020000 == 0x00000000 counter packets 412 bytes 31724 drop comment "cali:uT2y0rUzJ0mZxD0E; End of tier default. Drop if no policies passed packet"
	}
}
`
	const iptablesMode = `-- n1/net/iptables-save.txt --
*filter
:cali-INPUT - [0:0]
:cali-fw-cali1 - [0:0]
[1:148] -A cali-INPUT -p udp -m comment --comment "cali:J76FwxInZIsk7uKY" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT
[7:700] -A cali-INPUT -p udp -m comment --comment "cali:4cgmbdWsLmozYhJh" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP
[9:900] -A cali-fw-cali1 -m comment --comment "cali:x" -m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP
COMMIT
-- n1/net/ipset-list.txt --
Name: cali40all-vxlan-net
Type: hash:net
Revision: 7
Header: family inet hashsize 1024 maxelem 1048576
Size in memory: 632
References: 2
Number of entries: 1
Members:
172.22.4.22
`
	tests := []struct {
		name          string
		archive       string
		setsFrom      string
		members       string
		setLine       int32
		dropped       int
		dropFile      string
		policyDrops   int
		policyDropRef string
		calicoTable   bool
	}{
		{name: "nftables mode: sets, tunnel rules and policy drops from table ip calico",
			archive: ruleset, setsFrom: "nftables", members: "172.22.4.21,172.22.9.0/24", setLine: 2,
			dropped: 3391, dropFile: "net/nft-ruleset.txt:10", policyDrops: 412, policyDropRef: "net/nft-ruleset.txt:14", calicoTable: true},
		{name: "iptables mode: ipset and cali-INPUT, the End-of-tier drop comment counted",
			archive: iptablesMode, setsFrom: "ipset", members: "172.22.4.22",
			dropped: 7, dropFile: "net/iptables-save.txt:5", policyDrops: 9, policyDropRef: "net/iptables-save.txt:6"},
		{name: "both (a node between modes): felix's iptables rules and ipsets win",
			archive: iptablesMode + ruleset, setsFrom: "ipset", members: "172.22.4.22",
			dropped: 7, dropFile: "net/iptables-save.txt:5", policyDrops: 9, policyDropRef: "net/iptables-save.txt:6", calicoTable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := node(t, build(t, tt.archive, Options{}), "n1")
			it := n.IPTables
			if it.SetsFrom != tt.setsFrom || strings.Join(it.AllVXLANNet, ",") != tt.members || !it.AllVXLANNetKnown || it.AllVXLANNetRef.Line != tt.setLine {
				t.Errorf("sets from %q %v known %v ref %+v; want %q %s line %d", it.SetsFrom, it.AllVXLANNet, it.AllVXLANNetKnown, it.AllVXLANNetRef, tt.setsFrom, tt.members, tt.setLine)
			}
			if len(it.VXLANDrop) != 1 || len(it.VXLANAccept) != 1 {
				t.Fatalf("vxlan rules: accept %+v drop %+v", it.VXLANAccept, it.VXLANDrop)
			}
			d := it.VXLANDropped
			if d.Packets != tt.dropped || d.Source != "snapshot" || len(d.Refs) != 1 ||
				d.Refs[0].File()+":"+fmt.Sprint(d.Refs[0].Line) != tt.dropFile {
				t.Errorf("dropped %+v, want %d snapshot at %s", d, tt.dropped, tt.dropFile)
			}
			if got := n.FelixPolicyDropsRef.File() + ":" + fmt.Sprint(n.FelixPolicyDropsRef.Line); n.FelixPolicyDrops != tt.policyDrops || got != tt.policyDropRef {
				t.Errorf("policy drops %d at %s, want %d at %s", n.FelixPolicyDrops, got, tt.policyDrops, tt.policyDropRef)
			}
			if n.NFT.HasCalicoTable != tt.calicoTable {
				t.Errorf("hasCalicoTable %v", n.NFT.HasCalicoTable)
			}
			if _, ok := it.AllVXLANNetIPs[strings.Split(tt.members, ",")[0]]; !ok {
				t.Errorf("index %v lacks %s", it.AllVXLANNetIPs, tt.members)
			}
		})
	}
}
