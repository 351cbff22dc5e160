package kubelet

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file       string
		dns        []string
		dnsLines   []int
		domain     string
		resolvConf string
		diags      []string
	}{
		{file: "testdata/good/kubeadm-1.28-config.yaml", dns: []string{"10.96.0.10"}, dnsLines: []int{17}, domain: "cluster.local", resolvConf: "/run/systemd/resolve/resolv.conf"},
		{file: "testdata/good/eks-kubelet-config.json", dns: []string{"172.20.0.10"}, dnsLines: []int{36}, domain: "cluster.local"},
		// The drop-in's clusterDNS replaces the base file's, as the kubelet merges.
		{file: "testdata/good/rke2-dropins.yaml", dns: []string{"169.254.20.10"}, dnsLines: []int{21}, domain: "cluster.local", resolvConf: "/run/systemd/resolve/resolv.conf"},
		{file: "testdata/bad/not-kubelet.yaml", diags: []string{"error@0"}},
		{file: "testdata/bad/bad-entries.yaml", dns: []string{"10.96.0.10"}, dnsLines: []int{4}, domain: "cluster.local", diags: []string{"warning@5"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, ds := Parse(readFile(t, tt.file))
			var dns []string
			var lines []int
			for _, a := range c.ClusterDNS {
				dns = append(dns, a.Addr.String())
				lines = append(lines, a.Line)
			}
			if !slices.Equal(dns, tt.dns) || !slices.Equal(lines, tt.dnsLines) {
				t.Errorf("clusterDNS %v at %v, want %v at %v", dns, lines, tt.dns, tt.dnsLines)
			}
			if c.ClusterDomain != tt.domain || c.ResolvConf != tt.resolvConf {
				t.Errorf("domain %q resolvConf %q, want %q %q", c.ClusterDomain, c.ResolvConf, tt.domain, tt.resolvConf)
			}
			if got := diagKeys(ds); !slices.Equal(got, tt.diags) {
				t.Errorf("diags %v, want %v (%v)", got, tt.diags, ds)
			}
			_ = c.Summary()
		})
	}
}

func TestParseGarbage(t *testing.T) {
	for _, in := range []string{"", "\x00\x01binary", "{{{", "kind: KubeletConfiguration\nclusterDNS: 10.96.0.10\n"} {
		c, ds := Parse([]byte(in))
		if c == nil {
			t.Fatalf("%q: nil result", in)
		}
		if len(ds) == 0 {
			t.Errorf("%q: no diagnostic", in)
		}
		if len(c.ClusterDNS) != 0 {
			t.Errorf("%q: clusterDNS %v from garbage", in, c.ClusterDNS)
		}
	}
}
