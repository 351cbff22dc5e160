package kube

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// Services is the result of ParseServices.
type Services struct {
	Services []Service
}

// Service is one Service object.
type Service struct {
	Name, Namespace string
	Line            int    // line of metadata.name
	Type            string // ClusterIP (the default when absent), NodePort, LoadBalancer, ExternalName
	// ClusterIP is spec.clusterIP; it is the zero Addr for a headless Service
	// ("None"), which Headless then says. ClusterIPs holds both families.
	ClusterIP     netip.Addr
	ClusterIPs    []netip.Addr
	ClusterIPLine int
	Headless      bool
	Ports         []ServicePort
	Selector      map[string]string
	// Labels are metadata.labels: the DNS Service is found by k8s-app=kube-dns,
	// whatever its name.
	Labels map[string]string
}

// ServicePort is one spec.ports entry.
type ServicePort struct {
	Name     string
	Port     int
	Protocol string // TCP when absent
	// TargetPort is a number or a named container port, as written.
	TargetPort string
	NodePort   int
	Line       int
}

// Summary is one line for `analyze inspect`.
func (r *Services) Summary() string {
	ports := 0
	for _, s := range r.Services {
		ports += len(s.Ports)
	}
	return fmt.Sprintf("%d services, %d ports", len(r.Services), ports)
}

// ParseServices reads `kubectl get svc -o json|yaml` (a List, or one Service).
func ParseServices(data []byte) (*Services, []diag.Diagnostic) {
	var ds diag.List
	res := &Services{}
	objs, others, lists := objectsOf(data, &ds, "Service")
	for _, o := range objs {
		res.Services = append(res.Services, readService(o, &ds))
	}
	if len(objs) == 0 && lists == 0 {
		notFound(&ds, "Service", others)
	}
	return res, ds
}

func readService(o *yaml.Node, ds *diag.List) Service {
	name, ns := meta(o)
	spec := yamlnode.Get(o, "spec")
	s := Service{
		Name: name, Namespace: ns, Line: yamlnode.ObjectLine(o),
		Type:     yamlnode.Str(yamlnode.Get(spec, "type")),
		Selector: yamlnode.StringMap(yamlnode.Get(spec, "selector")),
		Labels:   yamlnode.StringMap(yamlnode.Path(o, "metadata", "labels")),
	}
	if s.Type == "" {
		s.Type = "ClusterIP"
	}
	if k, v := yamlnode.Lookup(spec, "clusterIP"); k != nil {
		s.ClusterIPLine = k.Line
		if strings.EqualFold(yamlnode.Str(v), "None") {
			s.Headless = true
		} else {
			s.ClusterIP = addr(k, v, "clusterIP", ds)
		}
	}
	for _, it := range yamlnode.Seq(yamlnode.Get(spec, "clusterIPs")) {
		if strings.EqualFold(yamlnode.Str(it), "None") {
			continue
		}
		if a := addr(nil, it, "clusterIPs entry", ds); a.IsValid() {
			s.ClusterIPs = append(s.ClusterIPs, a)
		}
	}
	if len(s.ClusterIPs) == 0 && s.ClusterIP.IsValid() {
		s.ClusterIPs = []netip.Addr{s.ClusterIP}
	}
	for _, p := range yamlnode.Seq(yamlnode.Get(spec, "ports")) {
		k, v := yamlnode.Lookup(p, "port")
		sp := ServicePort{
			Name:       yamlnode.Str(yamlnode.Get(p, "name")),
			Protocol:   yamlnode.Str(yamlnode.Get(p, "protocol")),
			TargetPort: yamlnode.Str(yamlnode.Get(p, "targetPort")),
			Line:       lineOf(k, p),
		}
		if sp.Protocol == "" {
			sp.Protocol = "TCP"
		}
		if n, ok := yamlnode.Int(v); ok && n >= 0 && n <= 65535 {
			sp.Port = int(n)
		} else {
			ds.Warnf(sp.Line, "service %s: port %q is not a port number", name, yamlnode.Str(v))
		}
		if n, ok := yamlnode.Int(yamlnode.Get(p, "nodePort")); ok && n >= 0 && n <= 65535 {
			sp.NodePort = int(n)
		}
		s.Ports = append(s.Ports, sp)
	}
	return s
}
