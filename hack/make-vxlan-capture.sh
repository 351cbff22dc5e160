#!/usr/bin/env bash
# make-vxlan-capture.sh OUT.pcap — capture real kernel VXLAN the way a Calico
# node sends it, for pkg/capture's tests (testdata/vxlan-netns.pcap).
#
# Two network namespaces stand for two nodes, joined by a veth pair (their
# "eth0"). Each has a vxlan.calico device as Felix configures it (VNI 4096,
# UDP 4789, nolearning, local = its underlay address, MTU 1450), a /32 tunnel
# address, a static neighbour + FDB entry for the other node's VTEP and a
# `10.244.X.0/26 via 10.244.X.0 dev vxlan.calico onlink` route, and a pod
# address on lo. A small Go program sends DNS queries from node A's pod to a
# DNS responder on node B's pod, through the overlay; the responder ignores the
# names starting with "drop", so that some queries go unanswered. tcpdump
# captures node A's underlay veth. Traffic stays inside the namespaces made
# here, which are deleted at the end.
#
# Needs root, ip (iproute2), tcpdump and go. Usage:
#   sudo hack/make-vxlan-capture.sh pkg/capture/testdata/vxlan-netns.pcap [QUERIES [DROPPED]]
set -euo pipefail

out=${1:?usage: $0 OUT.pcap [QUERIES [DROPPED]]}
queries=${2:-20}
dropped=${3:-2}
for tool in ip tcpdump go; do
	command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "$0: needs root (network namespaces)" >&2; exit 2; }

tag=pdc$$ # unique per run: other runs and other tools may have namespaces too
nsa=$tag-a nsb=$tag-b
tmp=$(mktemp -d)
tcpdump_pid=
cleanup() {
	if [ -n "$tcpdump_pid" ]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
	ip netns del "$nsa" 2>/dev/null || true
	ip netns del "$nsb" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/dnsping.go" <<'EOF'
// dnsping serve ADDR | query SRC DST QUERIES DROPPED: DNS over UDP, minimal.
package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func name(wire []byte) string {
	var parts []string
	for len(wire) > 0 && wire[0] != 0 && int(wire[0]) < len(wire) {
		parts = append(parts, string(wire[1:1+wire[0]]))
		wire = wire[1+wire[0]:]
	}
	return strings.Join(parts, ".")
}

func query(id uint16, qname string) []byte {
	b := []byte{byte(id >> 8), byte(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, l := range strings.Split(qname, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 1, 0, 1) // A, IN
}

func mustResolve(s string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp4", s)
	if err != nil {
		panic(err)
	}
	return a
}

func main() {
	switch os.Args[1] {
	case "serve":
		c, err := net.ListenPacket("udp4", os.Args[2])
		if err != nil {
			panic(err)
		}
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil || n < 17 {
				continue
			}
			q := buf[:n]
			if strings.HasPrefix(name(q[12:]), "drop") {
				continue
			}
			r := append([]byte(nil), q...)
			r[2], r[3] = 0x81, 0x80 // response, RD, RA, NOERROR
			binary.BigEndian.PutUint16(r[6:8], 1)
			r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 96, 0, 1)
			c.WriteTo(r, from)
		}
	case "query":
		src, dst := os.Args[2], os.Args[3]
		n, _ := strconv.Atoi(os.Args[4])
		drop, _ := strconv.Atoi(os.Args[5])
		for i := 0; i < n+drop; i++ {
			// A socket per query, as a resolver opens: a new source port.
			c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(src)}, mustResolve(dst))
			if err != nil {
				panic(err)
			}
			qn := fmt.Sprintf("q%d.default.svc.cluster.local", i)
			if i >= n {
				qn = fmt.Sprintf("drop%d.example.com", i)
			}
			c.Write(query(uint16(0x4000+i), qn))
			c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			buf := make([]byte, 1500)
			if _, err := c.Read(buf); err != nil && i < n {
				fmt.Fprintf(os.Stderr, "query %d: %v\n", i, err)
				os.Exit(1)
			}
			c.Close()
		}
	}
}
EOF
(cd "$tmp" && GOFLAGS= GO111MODULE=off go build -o dnsping dnsping.go)

ip netns add "$nsa"
ip netns add "$nsb"
ip link add "${tag}a" type veth peer name "${tag}b"
ip link set "${tag}a" netns "$nsa"
ip link set "${tag}b" netns "$nsb"

# node NAME-SUFFIX VETH UNDERLAY NODEIDX PEER-UNDERLAY PEER-IDX POD
node() {
	local ns=$1 veth=$2 under=$3 idx=$4 peer=$5 pidx=$6 pod=$7
	local run="ip netns exec $ns"
	$run ip link set lo up
	$run ip addr add "$under/24" dev "$veth"
	$run ip link set "$veth" up
	$run ip link add vxlan.calico address "66:c0:de:00:00:0$idx" type vxlan id 4096 dstport 4789 local "$under" dev "$veth" nolearning
	$run ip link set vxlan.calico mtu 1450 up
	$run ip addr add "10.244.$idx.0/32" dev vxlan.calico
	$run ip addr add "$pod/32" dev lo
	# What Felix programs for a remote node's block.
	$run ip neigh add "10.244.$pidx.0" lladdr "66:c0:de:00:00:0$pidx" dev vxlan.calico nud permanent
	$run bridge fdb add "66:c0:de:00:00:0$pidx" dev vxlan.calico dst "$peer" self permanent
	$run ip route add "10.244.$pidx.0/26" via "10.244.$pidx.0" dev vxlan.calico onlink
}
node "$nsa" "${tag}a" 192.168.77.11 1 192.168.77.12 2 10.244.1.5
node "$nsb" "${tag}b" 192.168.77.12 2 192.168.77.11 1 10.244.2.7

ip netns exec "$nsb" "$tmp/dnsping" serve 10.244.2.7:53 &
server_pid=$!
ip netns exec "$nsa" tcpdump -i "${tag}a" -s 0 -U -w "$tmp/out.pcap" 2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
sleep 1
ip netns exec "$nsa" "$tmp/dnsping" query 10.244.1.5 10.244.2.7:53 "$queries" "$dropped"
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
cp "$tmp/out.pcap" "$out"
echo "$0: $(grep -o '[0-9]* packets captured' "$tmp/tcpdump.err" || echo '? packets') into $out"
