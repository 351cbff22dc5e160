package assemble

import (
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// calicoInstall works out whether the tigera operator or the manifest
// DaemonSet runs Calico: the DaemonSet's namespace (calico-system is the
// operator's), else calico-node's CLUSTER_TYPE (the operator adds "operator").
func (b *builder) calicoInstall() {
	c := b.c
	for _, n := range b.sources {
		ds := n.DaemonSet
		if ds == nil || ds.Namespace == "" {
			continue
		}
		ref := refAt(n, bundle.CalicoDaemonSetPath, ds.Line)
		switch ds.Namespace {
		case "calico-system":
			c.CalicoInstall, c.CalicoNamespace = "operator", ds.Namespace
			c.CalicoInstallWhy = "calico-node runs in calico-system, the tigera operator's namespace"
		default:
			c.CalicoInstall, c.CalicoNamespace = "manifest", ds.Namespace
			c.CalicoInstallWhy = "calico-node DaemonSet in " + ds.Namespace
		}
		c.CalicoInstallRef = ref
		if v, ok := envOf(c, "CLUSTER_TYPE"); ok && hasWord(v.Value, "operator") {
			c.CalicoInstall, c.CalicoInstallWhy, c.CalicoInstallRef = "operator", "calico-node's CLUSTER_TYPE="+v.Value, v.Ref
		}
		return
	}
	if v, ok := envOf(c, "CLUSTER_TYPE"); ok {
		if hasWord(v.Value, "operator") {
			c.CalicoInstall, c.CalicoNamespace = "operator", "calico-system"
		} else {
			c.CalicoInstall, c.CalicoNamespace = "manifest", "kube-system"
		}
		c.CalicoInstallWhy, c.CalicoInstallRef = "calico-node's CLUSTER_TYPE="+v.Value, v.Ref
	}
}

func envOf(c *facts.Cluster, key string) (facts.Value, bool) {
	for _, n := range c.Nodes {
		if v, ok := n.Calico.Env[key]; ok {
			return v, true
		}
	}
	return facts.Value{}, false
}

func hasWord(list, w string) bool {
	for _, f := range strings.Split(list, ",") {
		if strings.TrimSpace(f) == w {
			return true
		}
	}
	return false
}
