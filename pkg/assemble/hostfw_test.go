package assemble

import (
	"fmt"
	"reflect"
	"testing"
)

// TestHostTunnelDrops: the node's own firewall rules dropping arriving VXLAN
// or IP-in-IP are found in nftables input/prerouting chains and iptables
// filter INPUT; felix's, kube-proxy's and unhooked chains are not.
func TestHostTunnelDrops(t *testing.T) {
	const archive = `-- n1/net/nft-ruleset.txt --
table inet hostfw {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 4789 ip saddr != 192.168.10.0/24 drop
		udp dport { 53, 4789 } counter packets 12 bytes 1200 reject
		meta l4proto ipencap counter packets 3 bytes 300 drop
		udp dport 4789 accept
		tcp dport 4789 drop
	}
	chain helper {
		udp dport 4789 drop
	}
}
table ip calico {
	chain filter-INPUT {
		type filter hook input priority filter; policy accept;
		udp dport 4789 fib daddr type local counter packets 9 bytes 900 drop comment "cali:4cgmbdWsLmozYhJh; Drop IPv4 VXLAN packets from non-allowed hosts"
	}
}
-- n1/net/iptables-save.txt --
*filter
:INPUT ACCEPT [0:0]
:cali-INPUT - [0:0]
[5:500] -A INPUT -p udp -m udp --dport 4789 -s 10.9.0.0/16 -j DROP
[0:0] -A INPUT -p ipencap -j REJECT
[7:700] -A cali-INPUT -p udp -m comment --comment "cali:4cgmbdWsLmozYhJh" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP
[1:100] -A INPUT -p udp -m udp --dport 53 -j DROP
COMMIT
`
	n := node(t, build(t, archive, Options{}), "n1")
	var got []string
	for _, r := range n.HostTunnelDrops {
		got = append(got, fmt.Sprintf("%s %s %d %s:%d", r.Kind, r.Where, r.Packets, r.Ref.File(), r.Ref.Line))
	}
	want := []string{
		"vxlan table inet hostfw chain input -1 net/nft-ruleset.txt:4",
		"vxlan table inet hostfw chain input 12 net/nft-ruleset.txt:5",
		"ipip table inet hostfw chain input 3 net/nft-ruleset.txt:6",
		"vxlan iptables filter INPUT 5 net/iptables-save.txt:4",
		"ipip iptables filter INPUT 0 net/iptables-save.txt:5",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("host tunnel drops\n got %q\nwant %q", got, want)
	}
}
