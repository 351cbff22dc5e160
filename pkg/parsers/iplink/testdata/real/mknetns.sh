#!/bin/sh
# Regenerates the real iproute2 outputs in this folder (see README.md). Run by hand,
# as root, on a Linux host with iproute2; it is not run by `go test`.
#
# It builds a two-node Calico-VXLAN-like lab entirely inside network namespaces it
# creates (names start with pndtest-): an "underlay" bridge, two "nodes" with eth0 on
# that bridge and a vxlan.calico device, and one pod behind a cali* veth. Traffic
# (a few pings) stays inside these namespaces. Everything is deleted on exit.
set -eu

out=$(cd "$(dirname "$0")" && pwd)
neighout=$out/../../../ipneigh/testdata/real
fdbout=$out/../../../bridgefdb/testdata/real
mkdir -p "$neighout" "$fdbout"

lan=pndtest-lan
n1=pndtest-node1
n2=pndtest-node2
pod=pndtest-pod1

cleanup() {
	for ns in $pod $n2 $n1 $lan; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup

for ns in $lan $n1 $n2 $pod; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done

# Underlay: a bridge in the lan namespace, one veth per node.
ip -n $lan link add br0 type bridge
ip -n $lan link set br0 up
for i in 1 2; do
	ns=pndtest-node$i
	ip -n $lan link add "port$i" type veth peer name eth0 netns "$ns"
	ip -n $lan link set "port$i" master br0 up
	ip -n "$ns" link set eth0 address "52:54:00:00:00:1$i"
	ip -n "$ns" addr add "10.0.0.1$i/24" brd 10.0.0.255 dev eth0
	ip -n "$ns" link set eth0 up
	# What Felix creates for VXLAN mode: VNI 4096, port 4789, no learning, MTU 1450.
	ip -n "$ns" link add vxlan.calico type vxlan id 4096 local "10.0.0.1$i" dev eth0 dstport 4789 nolearning
	ip -n "$ns" link set vxlan.calico address "66:ab:cd:ef:01:0$i" mtu 1450 up
done
ip -n $n1 addr add 10.40.52.128/32 dev vxlan.calico
ip -n $n2 addr add 10.40.1.0/32 dev vxlan.calico
# A secondary address with a label, as some hosts carry.
ip -n $n1 addr add 10.0.0.21/24 brd 10.0.0.255 dev eth0 label eth0:1

# Felix's view of node2 from node1: ARP entry for the peer VTEP address, FDB entry
# mapping the peer VTEP MAC to the peer node address, and a route.
ip -n $n1 neigh replace 10.40.1.0 lladdr 66:ab:cd:ef:01:02 dev vxlan.calico nud permanent
bridge -n $n1 fdb append 66:ab:cd:ef:01:02 dev vxlan.calico dst 10.0.0.12 self permanent
ip -n $n1 route add 10.40.1.0/26 via 10.40.1.0 dev vxlan.calico onlink
ip -n $n2 neigh replace 10.40.52.128 lladdr 66:ab:cd:ef:01:01 dev vxlan.calico nud permanent
bridge -n $n2 fdb append 66:ab:cd:ef:01:01 dev vxlan.calico dst 10.0.0.11 self permanent

# A pod behind a cali veth, as the Calico CNI plugin sets it up.
ip -n $n1 link add cali1234abcd type veth peer name eth0 netns $pod
ip -n $n1 link set cali1234abcd address ee:ee:ee:ee:ee:ee up
ip -n $pod addr add 10.40.52.130/32 dev eth0
ip -n $pod link set eth0 up
ip -n $pod route add 169.254.1.1 dev eth0 scope link
ip -n $pod route add default via 169.254.1.1 dev eth0
ip -n $n1 route add 10.40.52.130/32 dev cali1234abcd scope link

# Neighbour states: REACHABLE (node2), FAILED/INCOMPLETE (nobody has .99).
# One UDP datagram each (bash's /dev/udp) makes the kernel resolve the address; no
# ping binary needed. Port 9 is discard; nobody listens, which is fine.
ip netns exec $n1 bash -c 'echo x >/dev/udp/10.0.0.12/9' || true
ip netns exec $n1 bash -c 'echo x >/dev/udp/10.0.0.99/9' || true
ip -n $n1 neigh add proxy 10.0.0.50 dev eth0
sleep 3

ip -n $n1 -d link show >"$out/vxlan-node1_ip-d-link.txt"
ip -n $n1 link show >"$out/vxlan-node1_ip-link.txt"
ip -n $n1 addr show >"$out/vxlan-node1_ip-addr.txt"
ip -n $n1 -d addr show >"$out/vxlan-node1_ip-d-addr.txt"
ip -n $n1 -o addr show >"$out/vxlan-node1_ip-o-addr.txt"
ip -n $n1 -s -d link show >"$out/vxlan-node1_ip-s-d-link.txt"
ip -n $lan -d link show >"$out/lan_ip-d-link.txt"
ip -n $pod addr show >"$out/pod1_ip-addr.txt"

ip -n $n1 neigh show >"$neighout/vxlan-node1_ip-neigh.txt"
ip -n $n1 neigh show nud all >"$neighout/vxlan-node1_ip-neigh-nud-all.txt"
ip -n $n1 neigh show proxy >"$neighout/vxlan-node1_ip-neigh-proxy.txt"
ip -n $n1 -s neigh show >"$neighout/vxlan-node1_ip-s-neigh.txt"

bridge -n $n1 fdb show >"$fdbout/vxlan-node1_bridge-fdb.txt"
bridge -n $lan fdb show >"$fdbout/lan_bridge-fdb.txt"

ip -V >"$out/iproute2-version"
uname -r >>"$out/iproute2-version"
