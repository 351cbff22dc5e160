package kube

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// EndpointsList is the result of ParseEndpoints: Endpoints objects and
// EndpointSlices, each flattened into addresses and ports.
type EndpointsList struct {
	Items []Endpoints
}

// Endpoints is one Endpoints object or EndpointSlice.
type Endpoints struct {
	Kind      string // "Endpoints" or "EndpointSlice"
	Name      string
	Namespace string
	// Service is the Service the object belongs to: the Endpoints' own name, or a
	// slice's kubernetes.io/service-name label.
	Service     string
	AddressType string // EndpointSlice only: IPv4, IPv6, FQDN
	Line        int
	// Addresses holds ready and not-ready addresses (subsets' addresses and
	// notReadyAddresses; a slice's endpoints by their ready condition).
	Addresses []EndpointAddress
	// Ports are the ports of all subsets, each distinct port once.
	Ports []EndpointPort
}

// EndpointAddress is one backend address.
type EndpointAddress struct {
	IP       netip.Addr
	Hostname string
	NodeName string
	// TargetKind, TargetName and TargetNamespace are the targetRef (usually the
	// Pod).
	TargetKind, TargetName, TargetNamespace string
	Ready                                   bool
	// Serving and Terminating are EndpointSlice conditions; for Endpoints,
	// Serving equals Ready and Terminating is false.
	Serving, Terminating bool
	Line                 int
}

// EndpointPort is one port.
type EndpointPort struct {
	Name     string
	Port     int
	Protocol string // TCP (the default when absent), UDP, SCTP
	Line     int
}

// Ready returns the ready addresses of all items.
func (r *EndpointsList) Ready() []EndpointAddress {
	var out []EndpointAddress
	for _, it := range r.Items {
		for _, a := range it.Addresses {
			if a.Ready {
				out = append(out, a)
			}
		}
	}
	return out
}

// Summary is one line for `analyze inspect`.
func (r *EndpointsList) Summary() string {
	total, ports := 0, 0
	for _, it := range r.Items {
		total += len(it.Addresses)
		ports += len(it.Ports)
	}
	return fmt.Sprintf("%d Endpoints/EndpointSlices, %d addresses (%d ready), %d ports",
		len(r.Items), total, len(r.Ready()), ports)
}

// ParseEndpoints reads `kubectl get endpoints NAME -o json|yaml`, and
// `kubectl get endpointslices -l kubernetes.io/service-name=NAME -o json|yaml`
// (discovery.k8s.io/v1 and v1beta1), one object or a List.
func ParseEndpoints(data []byte) (*EndpointsList, []diag.Diagnostic) {
	var ds diag.List
	res := &EndpointsList{}
	objs, others, lists := objectsOf(data, &ds, "Endpoints", "EndpointSlice")
	for _, o := range objs {
		if strings.EqualFold(yamlnode.Str(yamlnode.Get(o, "kind")), "EndpointSlice") {
			res.Items = append(res.Items, readSlice(o, &ds))
		} else {
			res.Items = append(res.Items, readEndpoints(o, &ds))
		}
	}
	if len(objs) == 0 && lists == 0 {
		notFound(&ds, "Endpoints or EndpointSlice", others)
	}
	return res, ds
}

func readEndpoints(o *yaml.Node, ds *diag.List) Endpoints {
	name, ns := meta(o)
	e := Endpoints{Kind: "Endpoints", Name: name, Namespace: ns, Service: name, Line: yamlnode.ObjectLine(o)}
	for _, sub := range yamlnode.Seq(yamlnode.Get(o, "subsets")) {
		for _, ready := range []bool{true, false} {
			key := "addresses"
			if !ready {
				key = "notReadyAddresses"
			}
			for _, a := range yamlnode.Seq(yamlnode.Get(sub, key)) {
				ea := readAddress(a, "ip", ds)
				ea.Ready, ea.Serving = ready, ready
				ea.Hostname = yamlnode.Str(yamlnode.Get(a, "hostname"))
				e.Addresses = append(e.Addresses, ea)
			}
		}
		e.Ports = appendPorts(e.Ports, yamlnode.Get(sub, "ports"), ds)
	}
	e.Ports = dedupPorts(e.Ports)
	return e
}

func readSlice(o *yaml.Node, ds *diag.List) Endpoints {
	name, ns := meta(o)
	e := Endpoints{
		Kind: "EndpointSlice", Name: name, Namespace: ns, Line: yamlnode.ObjectLine(o),
		Service:     yamlnode.Str(yamlnode.Path(o, "metadata", "labels", "kubernetes.io/service-name")),
		AddressType: yamlnode.Str(yamlnode.Get(o, "addressType")),
	}
	for _, ep := range yamlnode.Seq(yamlnode.Get(o, "endpoints")) {
		cond := yamlnode.Get(ep, "conditions")
		// The API says an absent ready condition is to be read as ready.
		ready, ok := yamlnode.Bool(yamlnode.Get(cond, "ready"))
		if !ok {
			ready = true
		}
		serving, ok := yamlnode.Bool(yamlnode.Get(cond, "serving"))
		if !ok {
			serving = ready
		}
		terminating, _ := yamlnode.Bool(yamlnode.Get(cond, "terminating"))
		k, addrs := yamlnode.Lookup(ep, "addresses")
		for _, a := range yamlnode.Seq(addrs) {
			ea := readAddress(ep, "", ds)
			ea.IP = addr(nil, a, "endpoint address", ds)
			ea.Line = yamlnode.Line(a)
			ea.Ready, ea.Serving, ea.Terminating = ready, serving, terminating
			ea.Hostname = yamlnode.Str(yamlnode.Get(ep, "hostname"))
			e.Addresses = append(e.Addresses, ea)
		}
		if k == nil {
			ds.Warnf(yamlnode.Line(ep), "EndpointSlice %s: endpoint without addresses", name)
		}
	}
	e.Ports = appendPorts(e.Ports, yamlnode.Get(o, "ports"), ds)
	return e
}

// readAddress reads nodeName and targetRef of an address (Endpoints) or endpoint
// (EndpointSlice), and its IP from ipKey when given.
func readAddress(a *yaml.Node, ipKey string, ds *diag.List) EndpointAddress {
	ea := EndpointAddress{NodeName: yamlnode.Str(yamlnode.Get(a, "nodeName")), Line: yamlnode.Line(a)}
	if ipKey != "" {
		k, v := yamlnode.Lookup(a, ipKey)
		ea.IP = addr(k, v, "endpoint address", ds)
		ea.Line = lineOf(k, a)
		if k == nil {
			ds.Warnf(ea.Line, "endpoint address without an ip")
		}
	}
	ref := yamlnode.Get(a, "targetRef")
	ea.TargetKind = yamlnode.Str(yamlnode.Get(ref, "kind"))
	ea.TargetName = yamlnode.Str(yamlnode.Get(ref, "name"))
	ea.TargetNamespace = yamlnode.Str(yamlnode.Get(ref, "namespace"))
	return ea
}

func appendPorts(out []EndpointPort, ports *yaml.Node, ds *diag.List) []EndpointPort {
	for _, p := range yamlnode.Seq(ports) {
		k, v := yamlnode.Lookup(p, "port")
		ep := EndpointPort{
			Name:     yamlnode.Str(yamlnode.Get(p, "name")),
			Protocol: yamlnode.Str(yamlnode.Get(p, "protocol")),
			Line:     lineOf(k, p),
		}
		if ep.Protocol == "" {
			ep.Protocol = "TCP"
		}
		n, ok := yamlnode.Int(v)
		if !ok || n < 0 || n > 65535 {
			// A slice port may lack a number: "all ports" of the endpoints.
			if k != nil {
				ds.Warnf(ep.Line, "port %q is not a port number", yamlnode.Str(v))
			}
		} else {
			ep.Port = int(n)
		}
		out = append(out, ep)
	}
	return out
}

// dedupPorts keeps the first of equal ports: every subset of an Endpoints object
// repeats the Service's ports.
func dedupPorts(ports []EndpointPort) []EndpointPort {
	type key struct {
		name, proto string
		port        int
	}
	seen := make(map[key]bool, len(ports))
	out := ports[:0]
	for _, p := range ports {
		if k := (key{p.Name, p.Protocol, p.Port}); !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}
