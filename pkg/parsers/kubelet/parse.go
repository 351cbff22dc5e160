// Package kubelet parses the kubelet's configuration file (a
// KubeletConfiguration: /var/lib/kubelet/config.yaml on kubeadm, the JSON
// /etc/kubernetes/kubelet/kubelet-config.json on EKS, RKE2's and k3s's drop-ins
// concatenated). What the analyzer needs of it is where pods are told to send
// their DNS queries: clusterDNS, clusterDomain and resolvConf.
package kubelet

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
)

// Addr is an address with the line it was written on.
type Addr struct {
	Addr netip.Addr
	Line int
}

// Config is what the file says. Several documents (a base file and drop-ins)
// are merged in order, later ones winning, as the kubelet merges them.
type Config struct {
	// Line is the line of the first KubeletConfiguration's kind (0: none found).
	Line       int
	APIVersion string
	// ClusterDNS are the nameservers the kubelet writes into pods' resolv.conf.
	ClusterDNS        []Addr
	ClusterDNSLine    int
	ClusterDomain     string
	ClusterDomainLine int
	// ResolvConf is the host file pods with dnsPolicy Default (and CoreDNS's
	// upstream, when it forwards to /etc/resolv.conf) inherit.
	ResolvConf     string
	ResolvConfLine int
}

// Summary is one line for `analyze inspect`.
func (c *Config) Summary() string {
	if c.Line == 0 {
		return "no KubeletConfiguration"
	}
	var dns []string
	for _, a := range c.ClusterDNS {
		dns = append(dns, a.Addr.String())
	}
	s := "clusterDNS [" + strings.Join(dns, ", ") + "]"
	if c.ClusterDomain != "" {
		s += ", clusterDomain " + c.ClusterDomain
	}
	if c.ResolvConf != "" {
		s += ", resolvConf " + c.ResolvConf
	}
	return s
}

// Parse reads a KubeletConfiguration (YAML or JSON, one or several documents).
func Parse(data []byte) (*Config, []diag.Diagnostic) {
	var ds diag.List
	res := &Config{}
	docs := yamlnode.Load(data, &ds)
	objs, _ := yamlnode.Objects(docs)
	found := 0
	var kinds []string
	for _, o := range objs {
		kind := yamlnode.Str(yamlnode.Get(o, "kind"))
		if kind != "KubeletConfiguration" {
			// A drop-in may omit nothing the kubelet needs, but kind and
			// apiVersion are required; a file of another kind is not ours.
			if kind == "" {
				kind = "(no kind)"
			}
			kinds = append(kinds, kind)
			continue
		}
		found++
		if res.Line == 0 {
			res.Line = yamlnode.KeyLine(o, "kind")
			res.APIVersion = yamlnode.Str(yamlnode.Get(o, "apiVersion"))
		}
		if k, v := yamlnode.Lookup(o, "clusterDNS"); k != nil {
			res.ClusterDNS, res.ClusterDNSLine = nil, k.Line
			items := yamlnode.Seq(v)
			if len(items) == 0 && yamlnode.IsScalar(v) && yamlnode.Str(v) != "" {
				ds.Warnf(k.Line, "clusterDNS is %q, not a list of addresses", clip(yamlnode.Str(v)))
			}
			for _, it := range items {
				s := strings.TrimSpace(yamlnode.Str(it))
				a, err := netip.ParseAddr(s)
				if err != nil {
					ds.Warnf(yamlnode.Line(it), "clusterDNS entry %q is not an IP address", clip(s))
					continue
				}
				res.ClusterDNS = append(res.ClusterDNS, Addr{Addr: a, Line: yamlnode.Line(it)})
			}
		}
		if k, v := yamlnode.Lookup(o, "clusterDomain"); k != nil {
			res.ClusterDomain, res.ClusterDomainLine = strings.TrimSpace(yamlnode.Str(v)), k.Line
		}
		if k, v := yamlnode.Lookup(o, "resolvConf"); k != nil {
			res.ResolvConf, res.ResolvConfLine = strings.TrimSpace(yamlnode.Str(v)), k.Line
		}
	}
	if found == 0 {
		if sev, ok := diag.Max(ds); !ok || sev != diag.Error {
			msg := "no KubeletConfiguration in the file"
			if len(kinds) > 0 {
				msg += fmt.Sprintf(" (found %s)", strings.Join(kinds, ", "))
			}
			ds.Addf(diag.Error, 0, "%s", msg)
		}
	}
	// yaml.v3 may name the line after a last line without newline.
	last := 0
	for sc := lines.New(data); sc.Next(); {
		last = sc.Num()
	}
	for i := range ds {
		if ds[i].Line > last {
			ds[i].Line = last
		}
	}
	return res, ds
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
