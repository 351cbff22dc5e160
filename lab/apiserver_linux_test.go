package lab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podnetdiag/podnetdiag/internal/testdns"
)

// apiServer stands in for the Kubernetes API: HTTPS inside the router's
// namespace, answering the GETs collect makes. The admin token reads
// everything; the kubelet token is refused (403) where a kubelet's node
// authorizer refuses it: DaemonSets and Calico's resources.
type apiServer struct {
	addr   string
	caPEM  []byte
	admin  string
	kubelt string
	srv    *http.Server
}

func startAPI(c *cluster) *apiServer {
	a := &apiServer{addr: subnetA + ".1:" + apiPort, admin: "pnd-lab-admin-token", kubelt: "pnd-lab-kubelet-token"}
	cert, caPEM, err := selfSigned(subnetA + ".1")
	if err != nil {
		c.t.Fatal(err)
	}
	a.caPEM = caPEM
	var ln net.Listener
	testdns.InNetns(c.t, c.router, func() { ln, err = net.Listen("tcp4", ":"+apiPort) })
	if err != nil {
		c.t.Fatalf("API server listen: %v", err)
	}
	objs := c.kubeObjects()
	a.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if tok != a.admin && tok != a.kubelt {
				apiStatus(w, http.StatusUnauthorized, "Unauthorized")
				return
			}
			if tok == a.kubelt && kubeletDenied(r.URL.Path) {
				apiStatus(w, http.StatusForbidden, fmt.Sprintf("%s is forbidden: User \"system:node:x\" cannot list resource", r.URL.Path))
				return
			}
			key := r.URL.Path
			if r.URL.RawQuery != "" {
				key += "?" + r.URL.RawQuery
			}
			b, ok := objs[key]
			if !ok {
				b, ok = objs[r.URL.Path]
			}
			if !ok {
				apiStatus(w, http.StatusNotFound, r.URL.Path+" not found")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 5 * time.Second,
	}
	go a.srv.ServeTLS(ln, "", "")
	c.addUndo(func() { a.srv.Close() })
	return a
}

// kubeletDenied is what a kubelet's credentials may not read (the node
// authorizer and the system:node role grant neither): DaemonSets, Calico's
// resources, NetworkPolicies and the namespace list.
func kubeletDenied(path string) bool {
	return strings.HasPrefix(path, "/apis/apps/") || strings.Contains(path, "projectcalico.org") ||
		strings.HasPrefix(path, "/apis/networking.k8s.io/") || path == "/api/v1/namespaces"
}

func apiStatus(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg, "code": code})
}

func selfSigned(ip string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)}, DNSNames: []string{"kubernetes", "kubernetes.default"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// writeKubeconfigs puts kubelet.conf on every node and admin.conf on node-a,
// as on a kubeadm cluster whose first node is the control plane.
func (c *cluster) writeKubeconfigs(n *labNode) {
	kc := func(user, token string) []byte {
		return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %s
    server: https://%s
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: %s
  name: %s@kubernetes
current-context: %s@kubernetes
users:
- name: %s
  user:
    token: %s
`, base64.StdEncoding.EncodeToString(c.api.caPEM), c.api.addr, user, user, user, user, token))
	}
	files := map[string][]byte{"kubelet.conf": kc("system:node:"+n.name, c.api.kubelt)}
	if n.name == "node-a" {
		files["admin.conf"] = kc("kubernetes-admin", c.api.admin)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(n.etc, "kubernetes", name), b, 0o600); err != nil {
			c.t.Fatal(err)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

type obj = map[string]any

func anySlice(objs []obj) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

// kubeObjects is what the API serves, by path (and query where collect sends one).
func (c *cluster) kubeObjects() map[string][]byte {
	var nodes []any
	for _, n := range c.nodes {
		nodes = append(nodes, obj{
			"metadata": obj{"name": n.name, "labels": obj{"kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux"},
				"annotations": obj{
					"projectcalico.org/IPv4Address":            n.knownIP + "/24",
					"projectcalico.org/IPv4VXLANTunnelAddr":    n.vtep,
					"projectcalico.org/IPv4VXLANTunnelMACAddr": n.mac,
				}},
			"spec": obj{"podCIDR": n.block},
			"status": obj{"addresses": []any{obj{"type": "InternalIP", "address": n.knownIP}, obj{"type": "Hostname", "address": n.name}},
				"conditions": []any{obj{"type": "Ready", "status": "True"}}},
		})
	}
	dnsPod := obj{
		"metadata": obj{"name": c.dnsPod.name, "namespace": "kube-system", "labels": obj{"k8s-app": "kube-dns"}},
		"spec":     obj{"nodeName": c.dnsPod.node, "containers": []any{obj{"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.3"}}},
		"status": obj{"phase": "Running", "podIP": c.dnsPod.ip, "podIPs": []any{obj{"ip": c.dnsPod.ip}},
			"conditions": []any{obj{"type": "Ready", "status": "True"}}},
	}
	svc := obj{
		"kind": "Service", "apiVersion": "v1",
		"metadata": obj{"name": c.dnsSvc, "namespace": "kube-system", "labels": obj{"k8s-app": "kube-dns"}},
		"spec": obj{"clusterIP": c.dnsIP, "clusterIPs": []any{c.dnsIP}, "selector": obj{"k8s-app": "kube-dns"},
			"ports": []any{obj{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53}, obj{"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}}},
	}
	eps := obj{
		"kind": "Endpoints", "apiVersion": "v1",
		"metadata": obj{"name": c.dnsSvc, "namespace": "kube-system", "labels": obj{"k8s-app": "kube-dns"}},
		"subsets": []any{obj{
			"addresses": []any{obj{"ip": c.dnsPod.ip, "nodeName": c.dnsPod.node, "targetRef": obj{"kind": "Pod", "name": c.dnsPod.name, "namespace": "kube-system"}}},
			"ports":     []any{obj{"name": "dns", "port": 53, "protocol": "UDP"}, obj{"name": "dns-tcp", "port": 53, "protocol": "TCP"}},
		}},
	}
	calicoEnv := []any{}
	for _, kv := range c.nodes[0].env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "NODENAME" || k == "CALICO_ETCD_PASSWORD" {
			continue
		}
		calicoEnv = append(calicoEnv, obj{"name": k, "value": v})
	}
	var namespaces []any
	for _, ns := range []struct {
		name   string
		labels obj
	}{{"default", nil}, {"kube-system", nil}, {"kube-public", nil}, {"kube-node-lease", nil}, {clientNS, obj{"team": "payments"}}} {
		labels := obj{"kubernetes.io/metadata.name": ns.name}
		for k, v := range ns.labels {
			labels[k] = v
		}
		namespaces = append(namespaces, obj{"metadata": obj{"name": ns.name, "labels": labels}, "status": obj{"phase": "Active"}})
	}
	// The API's lists leave kind and apiVersion out of the items; an empty
	// list is an answer too (the cluster has no policy), unlike a 404.
	netpols, calicoGlobal := anySlice(c.spec.netpols), anySlice(c.spec.calicoGlobal)
	m := map[string][]byte{
		"/api/v1/namespaces":                                   mustJSON(obj{"kind": "NamespaceList", "apiVersion": "v1", "items": namespaces}),
		"/apis/networking.k8s.io/v1/networkpolicies":           mustJSON(obj{"kind": "NetworkPolicyList", "apiVersion": "networking.k8s.io/v1", "items": netpols}),
		"/apis/crd.projectcalico.org/v1/networkpolicies":       mustJSON(obj{"kind": "NetworkPolicyList", "apiVersion": "crd.projectcalico.org/v1", "items": []any{}}),
		"/apis/crd.projectcalico.org/v1/globalnetworkpolicies": mustJSON(obj{"kind": "GlobalNetworkPolicyList", "apiVersion": "crd.projectcalico.org/v1", "items": calicoGlobal}),
		"/api/v1/nodes": mustJSON(obj{"kind": "NodeList", "apiVersion": "v1", "items": nodes}),
		"/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns":      mustJSON(obj{"kind": "PodList", "apiVersion": "v1", "items": []any{dnsPod}}),
		"/api/v1/namespaces/kube-system/services/" + c.dnsSvc:                       mustJSON(svc),
		"/api/v1/namespaces/kube-system/endpoints/" + c.dnsSvc:                      mustJSON(eps),
		"/api/v1/namespaces/kube-system/services?labelSelector=k8s-app%3Dkube-dns":  mustJSON(obj{"kind": "ServiceList", "apiVersion": "v1", "items": []any{svc}}),
		"/api/v1/namespaces/kube-system/endpoints?labelSelector=k8s-app%3Dkube-dns": mustJSON(obj{"kind": "EndpointsList", "apiVersion": "v1", "items": []any{eps}}),
		"/api/v1/namespaces/kube-system/configmaps/kube-proxy": mustJSON(obj{
			"kind": "ConfigMap", "apiVersion": "v1", "metadata": obj{"name": "kube-proxy", "namespace": "kube-system"},
			"data": obj{"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nbindAddress: 0.0.0.0\nclusterCIDR: " + podCIDR + "\nmode: nftables\nnftables:\n  masqueradeAll: false\n  syncPeriod: 30s\n"},
		}),
		"/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node": mustJSON(obj{
			"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": obj{"name": "calico-node", "namespace": "kube-system"},
			"spec": obj{"template": obj{"spec": obj{"hostNetwork": true, "containers": []any{obj{"name": "calico-node", "image": "docker.io/calico/node:v3.28.1", "env": calicoEnv}}}}},
		}),
		"/apis/crd.projectcalico.org/v1/ippools": mustJSON(obj{"kind": "IPPoolList", "apiVersion": "crd.projectcalico.org/v1", "items": []any{obj{
			"kind": "IPPool", "apiVersion": "crd.projectcalico.org/v1", "metadata": obj{"name": "default-ipv4-ippool"},
			"spec": obj{"cidr": podCIDR, "blockSize": 26, "ipipMode": "Never", "vxlanMode": "Always", "natOutgoing": true, "nodeSelector": "all()"},
		}}}),
		"/apis/crd.projectcalico.org/v1/felixconfigurations": mustJSON(obj{"kind": "FelixConfigurationList", "apiVersion": "crd.projectcalico.org/v1", "items": []any{obj{
			"kind": "FelixConfiguration", "apiVersion": "crd.projectcalico.org/v1", "metadata": obj{"name": "default"},
			"spec": obj{"bpfEnabled": false, "logSeverityScreen": "Info", "vxlanEnabled": true, "vxlanVNI": 4096, "vxlanPort": 4789},
		}}}),
	}
	return m
}
