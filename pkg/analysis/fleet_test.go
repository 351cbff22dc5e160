package analysis

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/assemble"
	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/capture/synth"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/report"
)

// fleet is a synthetic cluster of n IPIP nodes for the scaling benchmarks:
// every node routes to every peer's pod block through tunl0, carries the
// same cluster-level kube objects (all n Node objects) as `collect` writes
// them, an IPVS table of services×3 real servers and Calico's ipset of every
// node address. One fault is planted: node 0's cali40all-hosts-net lacks
// node 2's address (calico-ipip-host-not-allowed on the pair node 0, node 2).
type fleet struct {
	n           int
	services    int
	capturePkts int64 // per node; 0: no capture
}

func (f fleet) name(i int) string { return fmt.Sprintf("node-%04d", i) }

// nodeIP is node i's underlay address: 10.41.x.y from 10.41.0.10 up.
func (f fleet) nodeIP(i int) net.IP {
	v := 10 + i
	return net.IP{10, 41, byte(v >> 8), byte(v)}
}

// block is node i's /26 pod block in 10.40.0.0/16.
func (f fleet) block(i int) net.IP {
	v := i * 64
	return net.IP{10, 40, byte(v >> 8), byte(v)}
}

func (f fleet) podIP(i, k int) net.IP {
	b := f.block(i)
	return net.IP{b[0], b[1], b[2], b[3] + byte(k%62+1)}
}

// write writes one .tgz per node into dir and returns their paths.
func (f fleet) write(tb testing.TB, dir string) []string {
	tb.Helper()
	nodes := f.nodesJSON()
	eps := f.endpointsJSON()
	ipvs := f.ipvs()
	var paths []string
	for i := range f.n {
		files := f.nodeFiles(i, nodes, eps, ipvs)
		p := filepath.Join(dir, f.name(i)+".tgz")
		if err := writeTgz(p, f.name(i), files); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func writeTgz(p, top string, files map[string][]byte) error {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sortStrings(names)
	mt := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + n, Mode: 0o644, Size: int64(len(files[n])), ModTime: mt, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return os.WriteFile(p, buf.Bytes(), 0o644)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (f fleet) nodeFiles(i int, nodes, eps, ipvs []byte) map[string][]byte {
	name, ip := f.name(i), f.nodeIP(i).String()
	tun := f.block(i).String()
	fs := map[string][]byte{}
	fs["host/hostname"] = []byte(name + "\n")
	fs["host/uname.txt"] = []byte("Linux " + name + " 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n")
	fs["host/sysctl.txt"] = []byte("net.ipv4.conf.all.forwarding = 1\nnet.ipv4.conf.all.rp_filter = 1\nnet.ipv4.conf.default.rp_filter = 1\nnet.ipv4.conf.eth0.rp_filter = 1\nnet.ipv4.ip_forward = 1\nnet.ipv4.vs.conn_reuse_mode = 1\n")
	mac := fmt.Sprintf("52:54:00:%02x:%02x:%02x", byte(i>>16), byte(i>>8), byte(i))
	var addr strings.Builder
	fmt.Fprintf(&addr, "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n")
	fmt.Fprintf(&addr, "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n    inet %s/16 brd 10.41.255.255 scope global eth0\n       valid_lft forever preferred_lft forever\n", mac, ip)
	fmt.Fprintf(&addr, "3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default\n    link/ether 9a:4f:1c:d2:35:08 brd ff:ff:ff:ff:ff:ff\n")
	for s := range f.services + 2 {
		fmt.Fprintf(&addr, "    inet %s/32 scope global kube-ipvs0\n       valid_lft forever preferred_lft forever\n", svcIP(s))
	}
	fmt.Fprintf(&addr, "4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0\n    inet %s/32 brd %s scope global tunl0\n       valid_lft forever preferred_lft forever\n", tun, tun)
	fs["net/ip-addr.txt"] = []byte(addr.String())
	fs["net/ip-link.txt"] = []byte(fmt.Sprintf("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"+
		"2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n"+
		"3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default\n    link/ether 9a:4f:1c:d2:35:08 brd ff:ff:ff:ff:ff:ff\n    dummy addrgenmode eui64\n"+
		"4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0\n    ipip any remote any local any ttl inherit nopmtudisc\n", mac))
	var rt strings.Builder
	rt.WriteString("default via 10.41.0.1 dev eth0 proto static\n")
	fmt.Fprintf(&rt, "blackhole %s/26 proto bird\n", tun)
	for k := 1; k <= 4; k++ {
		fmt.Fprintf(&rt, "%s dev cali%011x scope link\n", f.podIP(i, k), i*16+k)
	}
	for j := range f.n {
		if j != i {
			fmt.Fprintf(&rt, "%s/26 via %s dev tunl0 proto bird onlink\n", f.block(j), f.nodeIP(j))
		}
	}
	fmt.Fprintf(&rt, "10.41.0.0/16 dev eth0 proto kernel scope link src %s\n", ip)
	fs["net/ip-route.txt"] = []byte(rt.String())
	fs["net/iptables-save.txt"] = []byte(f.iptables(i))
	fs["net/ipset-list.txt"] = []byte(f.ipset(i))
	fs["ipvs/ipvsadm-Ln.txt"] = ipvs
	fs["ethtool/eth0.txt"] = []byte("Features for eth0:\nrx-checksumming: on [fixed]\ntx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\n\ttx-checksum-ip-generic: on\nscatter-gather: on\ntcp-segmentation-offload: on\ngeneric-segmentation-offload: on\ngeneric-receive-offload: on\ntx-ipxip4-segmentation: off [fixed]\ntx-udp_tnl-segmentation: off [fixed]\n")
	fs["calico/ippools.yaml"] = []byte("apiVersion: projectcalico.org/v3\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata:\n    name: default-ipv4-ippool\n  spec:\n    blockSize: 26\n    cidr: 10.40.0.0/16\n    ipipMode: Always\n    natOutgoing: true\n    nodeSelector: all()\n    vxlanMode: Never\nkind: IPPoolList\n")
	fs["calico/calico-node-env.txt"] = []byte("DATASTORE_TYPE=kubernetes\nNODENAME=" + name + "\nCALICO_NETWORKING_BACKEND=bird\nIP=autodetect\nIP_AUTODETECTION_METHOD=can-reach=10.41.0.1\nCALICO_IPV4POOL_IPIP=Always\nCALICO_IPV4POOL_VXLAN=Never\nFELIX_IPINIPMTU=1480\nCALICO_IPV4POOL_CIDR=10.40.0.0/16\n")
	var bird strings.Builder
	bird.WriteString("BIRD 1.6.8 ready.\nname     proto    table    state  since       info\nstatic1  Static   master   up     2024-03-02\nkernel1  Kernel   master   up     2024-03-02\ndevice1  Device   master   up     2024-03-02\ndirect1  Direct   master   up     2024-03-02\n")
	for j := range f.n {
		if j != i {
			fmt.Fprintf(&bird, "Mesh_%s BGP      master   up     2024-03-02  Established\n", strings.ReplaceAll(f.nodeIP(j).String(), ".", "_"))
		}
	}
	fs["calico/bird-protocols.txt"] = []byte(bird.String())
	fs["kube/nodes.json"] = nodes
	fs["kube/kube-dns-endpoints.json"] = eps
	fs["kube/kube-proxy-config.yaml"] = []byte("apiVersion: v1\ndata:\n  config.conf: |-\n    apiVersion: kubeproxy.config.k8s.io/v1alpha1\n    clusterCIDR: 10.40.0.0/16\n    kind: KubeProxyConfiguration\n    mode: \"ipvs\"\nkind: ConfigMap\nmetadata:\n  name: kube-proxy\n  namespace: kube-system\n")
	if f.capturePkts > 0 {
		var peers []int
		for _, d := range []int{1, 2, 3} { // a few tunnel peers each, both ways
			peers = append(peers, (i+d)%f.n, (i-d+f.n)%f.n)
		}
		var pc bytes.Buffer
		cl := &synth.Cluster{Self: i, Peers: uniq(peers, i), NodeIP: f.nodeIP, PodIP: f.podIP, IPIPOnly: true}
		if _, err := synth.Write(&pc, synth.Config{Packets: f.capturePkts, Seed: uint64(i), Cluster: cl}); err == nil {
			fs["pcap/eth0.pcap"] = pc.Bytes()
		}
	}
	return fs
}

func uniq(xs []int, self int) []int {
	seen := map[int]bool{self: true}
	var out []int
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func svcIP(s int) string {
	if s == 0 {
		return "10.96.0.1"
	}
	if s == 1 {
		return "10.96.0.10"
	}
	v := 100 + s
	return fmt.Sprintf("10.96.%d.%d", v>>8, v&255)
}

func (f fleet) ipvs() []byte {
	var b strings.Builder
	b.WriteString("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	fmt.Fprintf(&b, "TCP  10.96.0.1:443 rr\n  -> %s:6443             Masq    1      3          0\n", f.nodeIP(0))
	dns := []net.IP{f.podIP(1%f.n, 53), f.podIP(1%f.n, 54)}
	for _, proto := range []string{"TCP", "UDP"} {
		fmt.Fprintf(&b, "%s  10.96.0.10:53 rr\n", proto)
		for _, d := range dns {
			fmt.Fprintf(&b, "  -> %s:53              Masq    1      0          0\n", d)
		}
	}
	b.WriteString("TCP  10.96.0.10:9153 rr\n")
	for _, d := range dns {
		fmt.Fprintf(&b, "  -> %s:9153            Masq    1      0          0\n", d)
	}
	for s := 2; s < f.services+2; s++ {
		fmt.Fprintf(&b, "TCP  %s:80 rr\n", svcIP(s))
		for r := range 3 {
			fmt.Fprintf(&b, "  -> %s:8080              Masq    1      0          0\n", f.podIP((s*3+r)%f.n, 10+r))
		}
	}
	return []byte(b.String())
}

func (f fleet) ipset(i int) string {
	var b strings.Builder
	b.WriteString("Name: cali40all-ipam-pools\nType: hash:net\nRevision: 7\nHeader: family inet hashsize 1024 maxelem 1048576\nSize in memory: 568\nReferences: 1\nNumber of entries: 1\nMembers:\n10.40.0.0/16\n\n")
	var members []string
	for j := range f.n {
		if i == 0 && j == 2 && f.n > 2 {
			continue // the planted fault
		}
		members = append(members, f.nodeIP(j).String())
	}
	fmt.Fprintf(&b, "Name: cali40all-hosts-net\nType: hash:net\nRevision: 7\nHeader: family inet hashsize 1024 maxelem 1048576\nSize in memory: 696\nReferences: 2\nNumber of entries: %d\nMembers:\n%s\n\n", len(members), strings.Join(members, "\n"))
	fmt.Fprintf(&b, "Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 6\nHeader: family inet hashsize 1024 maxelem 65536\nSize in memory: 760\nReferences: 2\nNumber of entries: %d\nMembers:\n", f.services+3)
	b.WriteString("10.96.0.10,udp:53\n10.96.0.10,tcp:53\n10.96.0.1,tcp:443\n")
	for s := 2; s < f.services+2; s++ {
		fmt.Fprintf(&b, "%s,tcp:80\n", svcIP(s))
	}
	return b.String()
}

func (f fleet) iptables(i int) string {
	var b strings.Builder
	b.WriteString("# Generated by iptables-save v1.8.7\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:cali-POSTROUTING - [0:0]\n:cali-nat-outgoing - [0:0]\n")
	b.WriteString("[168:15288] -A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n[245:19600] -A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n[3736:261520] -A POSTROUTING -m comment --comment \"cali:O3lYWMrLQYEMJtB5\" -j cali-POSTROUTING\n[2918:218850] -A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n")
	b.WriteString("[0:0] -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n[4057:308332] -A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT\n[29:2494] -A cali-POSTROUTING -m comment --comment \"cali:nYKhEzDlr11Jccal\" -j cali-nat-outgoing\n")
	b.WriteString("[3601:356499] -A cali-nat-outgoing -m comment --comment \"cali:flqWnvo8yq4ULQLa\" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully\nCOMMIT\n")
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:cali-INPUT - [0:0]\n:cali-FORWARD - [0:0]\n:cali-OUTPUT - [0:0]\n:cali-to-wl-dispatch - [0:0]\n:cali-from-wl-dispatch - [0:0]\n")
	for k := range 200 {
		fmt.Fprintf(&b, ":cali-tw-cali%011x - [0:0]\n:cali-fw-cali%011x - [0:0]\n", i*1000+k, i*1000+k)
	}
	b.WriteString("[381482:24414848] -A INPUT -m comment --comment \"cali:Cz_u1IQiXIMmKD4c\" -j cali-INPUT\n[581520:41287920] -A FORWARD -m comment --comment \"cali:wUHhoiAYhphO9Mso\" -j cali-FORWARD\n[681629:64754755] -A OUTPUT -m comment --comment \"cali:tVnHkvAo15HuiPy0\" -j cali-OUTPUT\n")
	drop := 0
	if i == 0 {
		drop = 48213
	}
	fmt.Fprintf(&b, "[1200:96000] -A cali-INPUT -p ipencap -m comment --comment \"cali:PajejrV4aFdkZojI\" -m comment --comment \"Allow IPIP packets from Calico hosts\" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT\n[%d:%d] -A cali-INPUT -p ipencap -m comment --comment \"cali:_wjq-Yrma8Ly1Svo\" -m comment --comment \"Drop IPIP packets from non-Calico hosts\" -j DROP\n", drop, drop*112)
	b.WriteString("[440053:32123869] -A cali-OUTPUT -p ipencap -m comment --comment \"cali:4gVeMt3mRqSCE4Y9\" -m comment --comment \"Allow IPIP packets to other Calico hosts\" -m set --match-set cali40all-hosts-net dst -m addrtype --src-type LOCAL -j ACCEPT\n")
	for k := range 200 {
		id := fmt.Sprintf("cali%011x", i*1000+k)
		fmt.Fprintf(&b, "[10:800] -A cali-to-wl-dispatch -o %s -m comment --comment \"cali:%s\" -g cali-tw-%s\n", id, strconv.Itoa(k), id)
		fmt.Fprintf(&b, "[10:800] -A cali-from-wl-dispatch -i %s -m comment --comment \"cali:%s\" -g cali-fw-%s\n", id, strconv.Itoa(k), id)
		fmt.Fprintf(&b, "[10:800] -A cali-tw-%s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n[0:0] -A cali-tw-%s -m conntrack --ctstate INVALID -j DROP\n", id, id)
		fmt.Fprintf(&b, "[10:800] -A cali-fw-%s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n[0:0] -A cali-fw-%s -m conntrack --ctstate INVALID -j DROP\n", id, id)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

func (f fleet) nodesJSON() []byte {
	var b strings.Builder
	b.WriteString("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n")
	for i := range f.n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "projectcalico.org/IPv4Address": "%[2]s/16",
                    "projectcalico.org/IPv4IPIPTunnelAddr": "%[3]s",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"
                },
                "labels": {
                    "beta.kubernetes.io/arch": "amd64",
                    "beta.kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "kubernetes.io/hostname": "%[1]s",
                    "kubernetes.io/os": "linux",
                    "node.kubernetes.io/instance-type": "m5.xlarge",
                    "topology.kubernetes.io/zone": "eu-west-1a"
                },
                "name": "%[1]s",
                "resourceVersion": "%[4]d",
                "uid": "6c0e8a4e-%08[4]x-4c1b-9d7e-0242ac120002"
            },
            "spec": {
                "podCIDR": "10.244.%[5]d.0/24",
                "providerID": "aws:///eu-west-1a/i-0%012[4]x"
            },
            "status": {
                "addresses": [
                    {"address": "%[2]s", "type": "InternalIP"},
                    {"address": "%[1]s", "type": "Hostname"}
                ],
                "allocatable": {"cpu": "3920m", "ephemeral-storage": "95491281146", "memory": "15212904Ki", "pods": "110"},
                "capacity": {"cpu": "4", "ephemeral-storage": "103609576Ki", "memory": "16110184Ki", "pods": "110"},
                "conditions": [
                    {"lastHeartbeatTime": "2026-12-06T11:58:00Z", "lastTransitionTime": "2026-11-01T08:00:00Z", "message": "kubelet has sufficient memory available", "reason": "KubeletHasSufficientMemory", "status": "False", "type": "MemoryPressure"},
                    {"lastHeartbeatTime": "2026-12-06T11:58:00Z", "lastTransitionTime": "2026-11-01T08:00:00Z", "message": "kubelet has no disk pressure", "reason": "KubeletHasNoDiskPressure", "status": "False", "type": "DiskPressure"},
                    {"lastHeartbeatTime": "2026-12-06T11:58:00Z", "lastTransitionTime": "2026-11-01T08:00:00Z", "message": "kubelet is posting ready status", "reason": "KubeletReady", "status": "True", "type": "Ready"}
                ],
                "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.2", "kernelVersion": "5.15.0-91-generic", "kubeProxyVersion": "v1.28.6", "kubeletVersion": "v1.28.6", "operatingSystem": "linux", "osImage": "Ubuntu 22.04.3 LTS"}
            }
        }`, f.name(i), f.nodeIP(i), f.block(i), 1000+i, i%256)
	}
	b.WriteString("\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\"resourceVersion\": \"\"}\n}\n")
	return []byte(b.String())
}

func (f fleet) endpointsJSON() []byte {
	host := 1 % f.n
	return []byte(fmt.Sprintf(`{
    "apiVersion": "v1",
    "kind": "Endpoints",
    "metadata": {"labels": {"k8s-app": "kube-dns"}, "name": "kube-dns", "namespace": "kube-system"},
    "subsets": [
        {
            "addresses": [
                {"ip": "%[2]s", "nodeName": "%[1]s", "targetRef": {"kind": "Pod", "name": "coredns-5dd5756b68-7xk2p", "namespace": "kube-system"}},
                {"ip": "%[3]s", "nodeName": "%[1]s", "targetRef": {"kind": "Pod", "name": "coredns-5dd5756b68-q9wz4", "namespace": "kube-system"}}
            ],
            "ports": [
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                {"name": "dns", "port": 53, "protocol": "UDP"},
                {"name": "metrics", "port": 9153, "protocol": "TCP"}
            ]
        }
    ]
}
`, f.name(host), f.podIP(host, 53), f.podIP(host, 54)))
}

// TestWriteFleet writes a fleet for measuring the CLI by hand:
//
//	FLEET_DIR=/tmp/fleet FLEET_N=100 go test ./pkg/analysis -run TestWriteFleet
func TestWriteFleet(t *testing.T) {
	dir := os.Getenv("FLEET_DIR")
	if dir == "" {
		t.Skip("FLEET_DIR not set")
	}
	n, _ := strconv.Atoi(os.Getenv("FLEET_N"))
	pk, _ := strconv.ParseInt(os.Getenv("FLEET_PACKETS"), 10, 64)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fleet{n: max(n, 3), services: 2000, capturePkts: pk}.write(t, dir)
}

// BenchmarkAnalyzeFleet is the whole analysis of fleets of 10 and 100 nodes
// (2,000 IPVS services × 3 real servers, routes to every peer, a 20,000-packet
// capture each): it must grow with the input, linearly, not with its square.
func BenchmarkAnalyzeFleet(b *testing.B) {
	eng, err := Engine(Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			paths := fleet{n: n, services: 2000, capturePkts: 20000}.write(b, b.TempDir())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Run(eng, paths, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The report is the same bytes however many bundles are opened and parsed at
// once, and with cluster-level files shared or parsed per bundle.
func TestFleetReportIsTheSameWhateverTheParallelism(t *testing.T) {
	eng, err := Engine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	paths := fleet{n: 12, services: 50, capturePkts: 3000}.write(t, t.TempDir())
	render := func(procs int) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r, err := Run(eng, paths, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := report.JSON(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	want := render(1)
	if !strings.Contains(want, `"calico-ipip-host-not-allowed"`) {
		t.Fatal("the planted fault is not in the report")
	}
	for _, procs := range []int{2, 4, 8, 4} {
		if got := render(procs); got != want {
			t.Errorf("GOMAXPROCS=%d: the report differs from GOMAXPROCS=1's", procs)
		}
	}
}

// Building each node's facts as it is parsed and shedding its IPVS and link
// parses gives the model building them all at the end gives.
func TestNodeFactsBuiltAheadAreTheSame(t *testing.T) {
	paths := fleet{n: 6, services: 20, capturePkts: 2000}.write(t, t.TempDir())
	paths = append(paths, filepath.Join("..", "..", "testdata", "bundles", "ipip-healthy-captures"))
	got, _, _, err := Facts(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := load.LoadAll(paths, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer load.CloseAll(nodes)
	want := assemble.Build(nodes, assemble.Options{})
	facts.ResolveRefs(want) // as Facts does: every ref quotes its line
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Error("the facts differ when node facts are built ahead")
	}
}
