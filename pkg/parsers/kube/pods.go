package kube

import (
	"fmt"
	"net/netip"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Pods is the result of ParsePods.
type Pods struct {
	Pods []Pod
}

// Pod is one Pod object.
type Pod struct {
	Name, Namespace string
	Line            int // line of metadata.name
	NodeName        string
	HostIP          netip.Addr
	PodIP           netip.Addr
	PodIPs          []netip.Addr
	PodIPLine       int
	Phase           string // Pending, Running, Succeeded, Failed, Unknown
	// Ready is the Ready condition being "True"; ReadyLine the condition's line.
	Ready     bool
	ReadyLine int
	// Terminating is set when metadata.deletionTimestamp is: kubectl shows the
	// pod as Terminating and it leaves the Service's ready endpoints.
	Terminating bool
	// Restarts sums the containers' restartCount.
	Restarts   int
	Containers []ContainerStatus
	Conditions []Condition
	Labels     map[string]string
	// Ports are the containers' declared ports: network policies may name them.
	Ports []ContainerPort
	// ServiceAccount is spec.serviceAccountName; HostNetwork spec.hostNetwork.
	ServiceAccount string
	HostNetwork    bool
}

// ContainerPort is one spec.containers[].ports entry.
type ContainerPort struct {
	Name     string
	Port     int
	Protocol string // TCP (the default), UDP, SCTP
}

// ContainerStatus is one status.containerStatuses entry.
type ContainerStatus struct {
	Name         string
	Image        string
	Ready        bool
	RestartCount int
	// State is running, waiting or terminated; Reason its reason
	// (CrashLoopBackOff, OOMKilled, Error, ...). LastReason is the reason of the
	// last termination: why a CrashLoopBackOff container died.
	State, Reason, LastReason string
	ExitCode                  int
	Line                      int
}

// Summary is one line for `analyze inspect`.
func (r *Pods) Summary() string {
	ready, restarts := 0, 0
	for _, p := range r.Pods {
		if p.Ready {
			ready++
		}
		restarts += p.Restarts
	}
	return fmt.Sprintf("%d pods (%d ready), %d restarts", len(r.Pods), ready, restarts)
}

// ParsePods reads `kubectl get pods -o json|yaml` (a List, or one Pod).
func ParsePods(data []byte) (*Pods, []diag.Diagnostic) {
	var ds diag.List
	res := &Pods{}
	objs, others, lists := objectsOf(data, &ds, "Pod")
	for _, o := range objs {
		res.Pods = append(res.Pods, readPod(o, &ds))
	}
	if len(objs) == 0 && lists == 0 {
		notFound(&ds, "Pod", others)
	}
	return res, ds
}

func readPod(o *yaml.Node, ds *diag.List) Pod {
	name, ns := meta(o)
	md, spec, status := yamlnode.Get(o, "metadata"), yamlnode.Get(o, "spec"), yamlnode.Get(o, "status")
	p := Pod{
		Name: name, Namespace: ns, Line: yamlnode.ObjectLine(o),
		NodeName:    yamlnode.Str(yamlnode.Get(spec, "nodeName")),
		Phase:       yamlnode.Str(yamlnode.Get(status, "phase")),
		Terminating: yamlnode.IsScalar(yamlnode.Get(md, "deletionTimestamp")),
		Labels:      yamlnode.StringMap(yamlnode.Get(md, "labels")),
	}
	k, v := yamlnode.Lookup(status, "hostIP")
	p.HostIP = addr(k, v, "hostIP", ds)
	k, v = yamlnode.Lookup(status, "podIP")
	p.PodIP, p.PodIPLine = addr(k, v, "podIP", ds), yamlnode.Line(k)
	for _, it := range yamlnode.Seq(yamlnode.Get(status, "podIPs")) {
		ik, iv := yamlnode.Lookup(it, "ip")
		if a := addr(ik, iv, "podIPs entry", ds); a.IsValid() {
			p.PodIPs = append(p.PodIPs, a)
		}
	}
	if len(p.PodIPs) == 0 && p.PodIP.IsValid() {
		// Before Kubernetes 1.16 there was only podIP.
		p.PodIPs = []netip.Addr{p.PodIP}
	}
	p.ServiceAccount = yamlnode.Str(yamlnode.Get(spec, "serviceAccountName"))
	p.HostNetwork, _ = yamlnode.Bool(yamlnode.Get(spec, "hostNetwork"))
	for _, c := range yamlnode.Seq(yamlnode.Get(spec, "containers")) {
		for _, cp := range yamlnode.Seq(yamlnode.Get(c, "ports")) {
			n, ok := yamlnode.Int(yamlnode.Get(cp, "containerPort"))
			if !ok || n < 1 || n > 65535 {
				continue
			}
			proto := yamlnode.Str(yamlnode.Get(cp, "protocol"))
			if proto == "" {
				proto = "TCP"
			}
			p.Ports = append(p.Ports, ContainerPort{Name: yamlnode.Str(yamlnode.Get(cp, "name")), Port: int(n), Protocol: proto})
		}
	}
	p.Conditions = readConditions(yamlnode.Get(status, "conditions"))
	if c, ok := findCondition(p.Conditions, "Ready"); ok {
		p.Ready, p.ReadyLine = c.Status == "True", c.Line
	}
	for _, key := range []string{"initContainerStatuses", "containerStatuses"} {
		for _, c := range yamlnode.Seq(yamlnode.Get(status, key)) {
			cs := readContainerStatus(c)
			if key == "containerStatuses" {
				p.Restarts += cs.RestartCount
			}
			p.Containers = append(p.Containers, cs)
		}
	}
	return p
}

func readContainerStatus(c *yaml.Node) ContainerStatus {
	cs := ContainerStatus{
		Name:  yamlnode.Str(yamlnode.Get(c, "name")),
		Image: yamlnode.Str(yamlnode.Get(c, "image")),
		Line:  yamlnode.KeyLine(c, "name"),
	}
	cs.Ready, _ = yamlnode.Bool(yamlnode.Get(c, "ready"))
	if n, ok := yamlnode.Int(yamlnode.Get(c, "restartCount")); ok && n > 0 && n < 1<<31 {
		cs.RestartCount = int(n)
	}
	for _, p := range yamlnode.Pairs(yamlnode.Get(c, "state")) {
		cs.State = p.Key.Value
		cs.Reason = yamlnode.Str(yamlnode.Get(p.Value, "reason"))
		if n, ok := yamlnode.Int(yamlnode.Get(p.Value, "exitCode")); ok && n > -1<<31 && n < 1<<31 {
			cs.ExitCode = int(n)
		}
	}
	for _, p := range yamlnode.Pairs(yamlnode.Get(c, "lastState")) {
		if r := yamlnode.Str(yamlnode.Get(p.Value, "reason")); r != "" {
			cs.LastReason = r
		}
	}
	return cs
}
