#!/usr/bin/env bash
# Writes a healthy 3-node Calico cluster as a txtar bundle set.
# usage: gen-healthy.sh ipip|vxlan OUT
set -euo pipefail
encap=$1 out=$2
VIP=10.96.0.10
names=(node-a node-b node-c)
ips=(10.41.1.20 10.41.1.21 10.41.1.22)
blocks=(10.40.33.0 10.40.52.128 10.40.7.64)
macs=(52:54:00:8a:11:20 52:54:00:8a:11:21 52:54:00:8a:11:22)
vmacs=(66:2f:3c:aa:10:20 66:c1:07:5e:2b:21 66:0d:93:41:7f:22)
pods=(10.40.52.149 10.40.52.171)
if [ "$encap" = vxlan ]; then
  names=(cp-1 worker-1 worker-2); ips=(192.168.20.11 192.168.20.12 192.168.20.13)
  blocks=(172.22.140.64 172.22.19.192 172.22.201.0)
  pods=(172.22.19.200 172.22.19.213)
fi
{
echo "A healthy $encap Calico cluster of three nodes with kube-proxy in IPVS mode."
echo "CoreDNS runs on ${names[1]} (${pods[0]}, ${pods[1]}). No rule may report a"
echo "warning or a critical finding here."
for i in 0 1 2; do
n=${names[$i]} ip=${ips[$i]} blk=${blocks[$i]} mac=${macs[$i]}
echo "-- $n/host/hostname --"; echo "$n"
echo "-- $n/host/uname.txt --"
echo "Linux $n 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux"
echo "-- $n/host/sysctl.txt --"
cat <<EOF
net.core.somaxconn = 4096
net.ipv4.conf.all.forwarding = 1
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.eth0.rp_filter = 1
net.ipv4.conf.lo.rp_filter = 0
net.ipv4.ip_forward = 1
net.ipv4.ip_local_port_range = 32768	60999
net.ipv4.vs.conn_reuse_mode = 1
net.ipv4.vs.expire_nodest_conn = 1
EOF
tun=tunl0; tmtu=1480
[ "$encap" = vxlan ] && { tun=vxlan.calico; tmtu=1450; }
echo "-- $n/net/ip-link.txt --"
cat <<EOF
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000
    link/ether $mac brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 parentbus virtio parentdev virtio0
    altname enp0s3
3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default
    link/ether 9a:4f:1c:d2:35:08 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 0 maxmtu 0
    dummy addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536
EOF
if [ "$encap" = ipip ]; then cat <<EOF
4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0
    ipip any remote any local any ttl inherit nopmtudisc addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536
EOF
else cat <<EOF
4: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default
    link/ether ${vmacs[$i]} brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535
    vxlan id 4096 local $ip dev eth0 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536
EOF
fi
nl=5; cali=()
if [ $i = 1 ]; then cali=(cali0f3b2a1c9d8 calie4a7b6c5d21); else cali=(cali7a1e0c44b9f); fi
for c in "${cali[@]}"; do cat <<EOF
$nl: $c@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu $tmtu qdisc noqueue state UP mode DEFAULT group default
    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid $((nl-5)) promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535
    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536
EOF
nl=$((nl+1)); done
echo "-- $n/net/ip-addr.txt --"
cat <<EOF
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether $mac brd ff:ff:ff:ff:ff:ff
    altname enp0s3
    inet $ip/24 brd ${ip%.*}.255 scope global eth0
       valid_lft forever preferred_lft forever
3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default
    link/ether 9a:4f:1c:d2:35:08 brd ff:ff:ff:ff:ff:ff
    inet 10.96.0.1/32 scope global kube-ipvs0
       valid_lft forever preferred_lft forever
    inet $VIP/32 scope global kube-ipvs0
       valid_lft forever preferred_lft forever
EOF
if [ "$encap" = ipip ]; then cat <<EOF
4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0
    inet $blk/32 brd $blk scope global tunl0
       valid_lft forever preferred_lft forever
EOF
else cat <<EOF
4: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
    link/ether ${vmacs[$i]} brd ff:ff:ff:ff:ff:ff
    inet $blk/32 scope global vxlan.calico
       valid_lft forever preferred_lft forever
EOF
fi
nl=5; for c in "${cali[@]}"; do cat <<EOF
$nl: $c@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu $tmtu qdisc noqueue state UP group default
    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid $((nl-5))
EOF
nl=$((nl+1)); done
echo "-- $n/net/ip-route.txt --"
echo "default via ${ip%.*}.1 dev eth0 proto static"
for j in 0 1 2; do
  b=${blocks[$j]}
  if [ $j = $i ]; then
    if [ "$encap" = ipip ]; then echo "blackhole $b/26 proto bird"; else echo "blackhole $b/26 proto 80"; fi
    if [ $i = 1 ]; then
      echo "${pods[0]} dev ${cali[0]} scope link"; echo "${pods[1]} dev ${cali[1]} scope link"
    else
      echo "${b%.*}.$(( ${b##*.} + 5 )) dev ${cali[0]} scope link"
    fi
  else
    if [ "$encap" = ipip ]; then echo "$b/26 via ${ips[$j]} dev tunl0 proto bird onlink"
    else echo "$b/26 via $b dev vxlan.calico onlink"; fi
  fi
done
echo "${ip%.*}.0/24 dev eth0 proto kernel scope link src $ip"
echo "-- $n/net/route-get.txt --"
for j in 0 1 2; do [ $j = $i ] && continue
  echo "# ip route get ${ips[$j]}"; echo "${ips[$j]} dev eth0 src $ip uid 0"; echo "    cache"; done
for p in "${pods[@]}"; do echo "# ip route get $p"
  if [ $i = 1 ]; then echo "$p dev cali0f3b2a1c9d8 src $ip uid 0"
  elif [ "$encap" = ipip ]; then echo "$p via ${ips[1]} dev tunl0 src $blk uid 0"
  else echo "$p via ${blocks[1]} dev vxlan.calico src $blk uid 0"; fi
  echo "    cache"; done
if [ "$encap" = vxlan ]; then
  echo "-- $n/net/ip-neigh.txt --"
  echo "${ip%.*}.1 dev eth0 lladdr 52:54:00:00:00:01 REACHABLE"
  for j in 0 1 2; do [ $j = $i ] && continue
    echo "${ips[$j]} dev eth0 lladdr ${macs[$j]} REACHABLE"
    echo "${blocks[$j]} dev vxlan.calico lladdr ${vmacs[$j]} PERMANENT"; done
  echo "-- $n/net/bridge-fdb.txt --"
  echo "33:33:00:00:00:01 dev eth0 self permanent"
  echo "01:00:5e:00:00:01 dev eth0 self permanent"
  for j in 0 1 2; do [ $j = $i ] && continue
    echo "${vmacs[$j]} dev vxlan.calico dst ${ips[$j]} self permanent"; done
fi
echo "-- $n/ipvs/ipvsadm-Ln.txt --"
cat <<EOF
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.1:443 rr
  -> ${ips[0]}:6443             Masq    1      3          0
TCP  $VIP:53 rr
  -> ${pods[0]}:53              Masq    1      0          0
  -> ${pods[1]}:53              Masq    1      0          0
TCP  $VIP:9153 rr
  -> ${pods[0]}:9153            Masq    1      0          0
  -> ${pods[1]}:9153            Masq    1      0          0
UDP  $VIP:53 rr
  -> ${pods[0]}:53              Masq    1      0          112
  -> ${pods[1]}:53              Masq    1      0          108
EOF
echo "-- $n/ethtool/eth0.txt --"
cat <<EOF
Features for eth0:
rx-checksumming: on [fixed]
tx-checksumming: on
	tx-checksum-ipv4: off [fixed]
	tx-checksum-ip-generic: on
	tx-checksum-ipv6: off [fixed]
scatter-gather: on
	tx-scatter-gather: on
tcp-segmentation-offload: on
	tx-tcp-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: on
large-receive-offload: off [fixed]
tx-gre-segmentation: off [fixed]
tx-ipxip4-segmentation: off [fixed]
tx-udp_tnl-segmentation: off [fixed]
EOF
if [ "$encap" = vxlan ]; then echo "-- $n/ethtool/vxlan.calico.txt --"; cat <<EOF
Features for vxlan.calico:
rx-checksumming: on
tx-checksumming: off
	tx-checksum-ipv4: off [fixed]
	tx-checksum-ip-generic: off
scatter-gather: on
generic-segmentation-offload: on
generic-receive-offload: on
EOF
fi
echo "-- $n/calico/calico-node-env.txt --"
cat <<EOF
DATASTORE_TYPE=kubernetes
WAIT_FOR_DATASTORE=true
NODENAME=$n
CALICO_NETWORKING_BACKEND=$([ $encap = ipip ] && echo bird || echo vxlan)
CLUSTER_TYPE=k8s,bgp
IP=autodetect
IP_AUTODETECTION_METHOD=can-reach=${ips[0]}
CALICO_IPV4POOL_IPIP=$([ $encap = ipip ] && echo Always || echo Never)
CALICO_IPV4POOL_VXLAN=$([ $encap = ipip ] && echo Never || echo Always)
FELIX_IPINIPMTU=1480
FELIX_VXLANMTU=1450
CALICO_IPV4POOL_CIDR=$([ $encap = ipip ] && echo 10.40.0.0/16 || echo 172.22.0.0/16)
CALICO_DISABLE_FILE_LOGGING=true
FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT
FELIX_IPV6SUPPORT=false
FELIX_HEALTHENABLED=true
EOF
if [ "$encap" = ipip ]; then
echo "-- $n/calico/bird-protocols.txt --"
echo "BIRD 1.6.8 ready."
echo "name     proto    table    state  since       info"
echo "static1  Static   master   up     2024-03-02"
echo "kernel1  Kernel   master   up     2024-03-02"
echo "device1  Device   master   up     2024-03-02"
echo "direct1  Direct   master   up     2024-03-02"
for j in 0 1 2; do [ $j = $i ] && continue; echo "Mesh_${ips[$j]//./_} BGP      master   up     2024-03-02  Established"; done
fi
echo "-- $n/logs/calico-node.log --"
echo "2024-03-02 08:11:02.114 [INFO][9] startup/startup.go 432: Early log level set to info"
echo "2024-03-02 08:11:02.118 [INFO][9] startup/utils.go 126: Using NODENAME environment for node name $n"
echo "2024-03-02 08:11:02.301 [INFO][9] startup/autodetection_methods.go 103: Using autodetected IPv4 address $ip/24, detected by connecting to ${ips[0]}"
echo "2024-03-02 08:11:02.302 [INFO][9] startup/startup.go 622: Node IPv4 changed, will check for conflicts"
echo "2024-03-02 08:11:03.551 [INFO][67] felix/int_dataplane.go 1121: Registering to report health."
if [ $i = 0 ]; then
echo "-- $n/kube/nodes.json --"
echo '{'; echo '    "apiVersion": "v1",'; echo '    "items": ['
for j in 0 1 2; do
cat <<EOF
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "projectcalico.org/IPv4Address": "${ips[$j]}/24",
                    "projectcalico.org/$([ $encap = ipip ] && echo IPv4IPIPTunnelAddr || echo IPv4VXLANTunnelAddr)": "${blocks[$j]}"
                },
                "labels": {
                    "kubernetes.io/hostname": "${names[$j]}",
                    "kubernetes.io/os": "linux"
                },
                "name": "${names[$j]}"
            },
            "spec": {
                "podCIDR": "10.244.$j.0/24"
            },
            "status": {
                "addresses": [
                    {
                        "address": "${ips[$j]}",
                        "type": "InternalIP"
                    },
                    {
                        "address": "${names[$j]}",
                        "type": "Hostname"
                    }
                ],
                "conditions": [
                    {
                        "status": "True",
                        "type": "Ready"
                    }
                ],
                "nodeInfo": {
                    "kernelVersion": "5.15.0-91-generic",
                    "kubeProxyVersion": "v1.28.6",
                    "osImage": "Ubuntu 22.04.3 LTS"
                }
            }
        }$([ $j -lt 2 ] && echo ,)
EOF
done
echo '    ],'; echo '    "kind": "List",'; echo '    "metadata": {'; echo '        "resourceVersion": ""'; echo '    }'; echo '}'
echo "-- $n/kube/kube-dns-endpoints.json --"
cat <<EOF
{
    "apiVersion": "v1",
    "kind": "Endpoints",
    "metadata": {
        "labels": {
            "k8s-app": "kube-dns",
            "kubernetes.io/cluster-service": "true",
            "kubernetes.io/name": "CoreDNS"
        },
        "name": "kube-dns",
        "namespace": "kube-system"
    },
    "subsets": [
        {
            "addresses": [
                {
                    "ip": "${pods[0]}",
                    "nodeName": "${names[1]}",
                    "targetRef": {
                        "kind": "Pod",
                        "name": "coredns-5dd5756b68-7xk2p",
                        "namespace": "kube-system"
                    }
                },
                {
                    "ip": "${pods[1]}",
                    "nodeName": "${names[1]}",
                    "targetRef": {
                        "kind": "Pod",
                        "name": "coredns-5dd5756b68-q9wz4",
                        "namespace": "kube-system"
                    }
                }
            ],
            "ports": [
                {
                    "name": "dns-tcp",
                    "port": 53,
                    "protocol": "TCP"
                },
                {
                    "name": "dns",
                    "port": 53,
                    "protocol": "UDP"
                },
                {
                    "name": "metrics",
                    "port": 9153,
                    "protocol": "TCP"
                }
            ]
        }
    ]
}
EOF
echo "-- $n/kube/kube-proxy-config.yaml --"
cat <<EOF
apiVersion: v1
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    bindAddress: 0.0.0.0
    clientConnection:
      kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
    clusterCIDR: $([ $encap = ipip ] && echo 10.40.0.0/16 || echo 172.22.0.0/16)
    ipvs:
      scheduler: "rr"
      strictARP: false
    kind: KubeProxyConfiguration
    mode: "ipvs"
kind: ConfigMap
metadata:
  labels:
    app: kube-proxy
  name: kube-proxy
  namespace: kube-system
EOF
echo "-- $n/calico/ippools.yaml --"
cat <<EOF
apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    name: default-ipv4-ippool
  spec:
    allowedUses:
    - Workload
    - Tunnel
    blockSize: 26
    cidr: $([ $encap = ipip ] && echo 10.40.0.0/16 || echo 172.22.0.0/16)
    ipipMode: $([ $encap = ipip ] && echo Always || echo Never)
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: $([ $encap = ipip ] && echo Never || echo Always)
kind: IPPoolList
metadata:
  resourceVersion: "1620"
EOF
fi
done
} > "$out"
