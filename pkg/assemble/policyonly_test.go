package assemble

import (
	"strings"
	"testing"
)

// TestPolicyOnly: Calico's policy-only mode is recognised from calico-node's
// env or from the cloud CNI's pod interfaces where Calico is present, and
// never where a node shows Calico routing pods.
func TestPolicyOnly(t *testing.T) {
	const (
		ekeRoutes = `-- ip-10-0-1-17/net/ip-route.txt --
default via 10.0.0.1 dev ens5 proto dhcp src 10.0.1.17 metric 1024
10.0.0.0/20 dev ens5 proto kernel scope link src 10.0.1.17 metric 1024
10.0.1.23 dev eni3a8f2c1b7d4 scope link
10.0.4.112 dev eni91c0e7d2a5f scope link
`
		azureRoutes = `-- aks-nodepool1-0/net/ip-route.txt --
default via 10.224.0.1 dev eth0 proto dhcp src 10.224.0.4 metric 100
10.224.0.0/16 dev eth0 proto kernel scope link src 10.224.0.4 metric 100
10.224.0.31 dev azv5f1d0e6c2a1 proto static scope link
`
		ipipRoutes = `-- node-a/net/ip-route.txt --
default via 10.41.1.1 dev eth0 proto static
10.40.52.128/26 via 10.41.1.22 dev tunl0 proto bird onlink
blackhole 10.40.95.0/26 proto bird
10.40.95.7 dev cali12ab34cd56e scope link
`
		ipipAddr = `-- node-a/net/ip-addr.txt --
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 10.41.1.21/24 brd 10.41.1.255 scope global eth0
5: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0
    inet 10.40.95.1/32 scope global tunl0
`
		ipipPool = `-- node-a/calico/ippools.yaml --
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 10.40.0.0/16
  ipipMode: Always
  vxlanMode: Never
`
	)
	env := func(node string, lines ...string) string {
		return "-- " + node + "/calico/calico-node-env.txt --\n" + strings.Join(lines, "\n") + "\n"
	}
	tests := []struct {
		name      string
		archive   string
		want      bool
		whyHas    string // in CalicoPolicyOnlyWhy (or the doubt when want is false)
		refFile   string
		refLine   int32
		cloud     string
		wantDoubt bool
	}{
		{"backend none, AWS VPC CNI interfaces named", env("ip-10-0-1-17", "DATASTORE_TYPE=kubernetes", "CALICO_NETWORKING_BACKEND=none", "FELIX_INTERFACEPREFIX=eni") + ekeRoutes,
			true, "calico-node has CALICO_NETWORKING_BACKEND=none; the AWS VPC CNI routes the pods (eni* interfaces)", "calico/calico-node-env.txt", 2, "the AWS VPC CNI", false},
		{"operator's AzureVNET: interface prefix azv, no backend in the env", env("aks-nodepool1-0", "FELIX_INTERFACEPREFIX=azv", "FELIX_IPTABLESBACKEND=auto") + azureRoutes,
			true, "FELIX_INTERFACEPREFIX=azv", "calico/calico-node-env.txt", 1, "Azure CNI", false},
		{"GKE prefix alone", env("gke-pool-1", "FELIX_INTERFACEPREFIX=gke"), true, "FELIX_INTERFACEPREFIX=gke", "calico/calico-node-env.txt", 1, "", false},
		{"env not collected: Calico's env present without backend, pods on eni* interfaces", env("ip-10-0-1-17", "DATASTORE_TYPE=kubernetes") + ekeRoutes,
			true, "pods sit on eni* interfaces of the AWS VPC CNI (eni3a8f2c1b7d4) and no node has a cali* one", "net/ip-route.txt", 3, "the AWS VPC CNI", false},
		{"eni* pod interfaces but no Calico in any bundle: not Calico's mode", ekeRoutes, false, "", "", 0, "", false},
		{"eni* pod interfaces but the backend is bird: the env decides", env("ip-10-0-1-17", "CALICO_NETWORKING_BACKEND=bird") + ekeRoutes, false, "", "", 0, "", false},
		{"cloud prefix but the backend is bird: unclear, the rules run", env("ip-10-0-1-17", "CALICO_NETWORKING_BACKEND=bird", "FELIX_INTERFACEPREFIX=eni") + ekeRoutes, false, "", "", 0, "", false},
		{"OpenStack's tap prefix is Calico networking", env("os-1", "FELIX_INTERFACEPREFIX=tap"), false, "", "", 0, "", false},
		{"cali and eni mixed is not only cloud prefixes", env("os-1", "FELIX_INTERFACEPREFIX=cali,eni"), false, "", "", 0, "", false},
		{"a normal IPIP cluster", env("node-a", "CALICO_NETWORKING_BACKEND=bird", "CALICO_IPV4POOL_IPIP=Always") + ipipRoutes + ipipAddr + ipipPool, false, "", "", 0, "", false},
		{"backend none contradicted by a tunnel address and IPIP routes: doubt, rules run", env("node-a", "CALICO_NETWORKING_BACKEND=none") + ipipRoutes + ipipAddr + ipipPool,
			false, "node-a has the tunnel address 10.40.95.1 on tunl0", "", 0, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := build(t, tc.archive, Options{})
			if c.CalicoPolicyOnly != tc.want {
				t.Fatalf("CalicoPolicyOnly = %v (%q; doubt %q), want %v", c.CalicoPolicyOnly, c.CalicoPolicyOnlyWhy, c.CalicoPolicyOnlyDoubt, tc.want)
			}
			if (c.CalicoPolicyOnlyDoubt != "") != tc.wantDoubt {
				t.Errorf("doubt %q, want one: %v", c.CalicoPolicyOnlyDoubt, tc.wantDoubt)
			}
			got := c.CalicoPolicyOnlyWhy
			if tc.wantDoubt {
				got = c.CalicoPolicyOnlyDoubt
			}
			if !strings.Contains(got, tc.whyHas) {
				t.Errorf("why %q lacks %q", got, tc.whyHas)
			}
			if c.CalicoPolicyOnlyRef.File() != tc.refFile || c.CalicoPolicyOnlyRef.Line != tc.refLine {
				t.Errorf("ref %+v, want %s:%d", c.CalicoPolicyOnlyRef, tc.refFile, tc.refLine)
			}
			if c.CloudCNI != tc.cloud {
				t.Errorf("CloudCNI %q, want %q", c.CloudCNI, tc.cloud)
			}
		})
	}
}
