package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// The cluster-wide objects: collect GETs them from the API server on every
// node, so every bundle carries the same bytes (compact JSON as the API server
// sends it; YAML where collect converts).

type kubeObjectRef struct{ path, url string }

// kubeObjectOrder follows pkg/collect's kubeObjects.
var kubeObjectOrder = []kubeObjectRef{
	{bundle.KubeNodesPath, "/api/v1/nodes"},
	{bundle.KubeDNSEndpointsPath, "/api/v1/namespaces/kube-system/endpoints/kube-dns"},
	{bundle.KubeDNSServicePath, "/api/v1/namespaces/kube-system/services/kube-dns"},
	{bundle.KubeCoreDNSPodsPath, "/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns"},
	{bundle.KubeProxyConfigPath, "/api/v1/namespaces/kube-system/configmaps/kube-proxy"},
	{bundle.CalicoDaemonSetPath, "/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node"},
	{bundle.CalicoIPPoolsPath, "/apis/crd.projectcalico.org/v1/ippools"},
	{bundle.CorednsConfigMapPath, "/api/v1/namespaces/kube-system/configmaps/coredns"},
	{bundle.NetworkPoliciesPath, "/apis/networking.k8s.io/v1/networkpolicies"},
	{bundle.NamespacesPath, "/api/v1/namespaces"},
	{bundle.CalicoPoliciesPath, "/apis/crd.projectcalico.org/v1/networkpolicies"},
	{bundle.CalicoGlobalPolicies, "/apis/crd.projectcalico.org/v1/globalnetworkpolicies"},
	{bundle.CalicoFelixPath, "/apis/crd.projectcalico.org/v1/felixconfigurations"},
}

type obj = map[string]any

// jsonList renders a list as collect's listWriter does: the list's header,
// then each item indented by MarshalIndent under "items".
func jsonList(apiVersion, kind string, items []any) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"apiVersion\": %q,\n  \"kind\": %q,\n  \"metadata\": {},\n  \"items\": [", apiVersion, kind)
	for i, it := range items {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    ")
		b.Write(mustIndent(it, "    "))
	}
	if len(items) == 0 {
		b.WriteString("]\n}\n")
	} else {
		b.WriteString("\n  ]\n}\n")
	}
	return b.Bytes()
}

func mustIndent(v any, prefix string) []byte {
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		panic(err) // maps of strings and numbers: cannot fail
	}
	return b
}

// toYAML is collect's jsonToYAML: the object's indented JSON re-encoded as
// block YAML (keys sorted, as encoding/json sorts a map's).
func toYAML(v any) []byte {
	var n yaml.Node
	if err := yaml.Unmarshal(mustIndent(v, ""), &n); err != nil {
		panic(err) // JSON is YAML
	}
	var clear func(*yaml.Node)
	clear = func(x *yaml.Node) {
		x.Style = 0
		for _, c := range x.Content {
			clear(c)
		}
	}
	clear(&n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		panic(err)
	}
	_ = enc.Close()
	return b.Bytes()
}

// yamlList renders a list as collect's listWriter does in YAML.
func yamlList(apiVersion, kind string, items []any) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata: {}\nitems:", apiVersion, kind)
	if len(items) == 0 {
		b.WriteString(" []\n")
		return b.Bytes()
	}
	b.WriteString("\n")
	for _, it := range items {
		for j, ln := range bytes.SplitAfter(toYAML(it), []byte("\n")) {
			if len(ln) == 0 {
				continue
			}
			if j == 0 {
				b.WriteString("- ")
			} else {
				b.WriteString("  ")
			}
			b.Write(ln)
		}
	}
	return b.Bytes()
}

// listItem marks a fixed text written as an item of a YAML list ("- " and
// two spaces before every further line), as calicoctl prints them.
const listItem = "- "

// fromYAML reads one of the fixed objects below.
func fromYAML(s string) obj {
	if rest, ok := strings.CutPrefix(s, listItem); ok {
		s = strings.ReplaceAll(rest, "\n  ", "\n")
	}
	var o obj
	if err := yaml.Unmarshal([]byte(s), &o); err != nil {
		panic(err) // fixed text: a bug in this file
	}
	return o
}

func (cl *cluster) buildKubeObjects() {
	c := cl.c
	created := "2024-04-02T08:09:12Z"
	var nodes []any
	for i := 0; i < c.Nodes; i++ {
		name := cl.names[i]
		ann := obj{
			"kubeadm.alpha.kubernetes.io/cri-socket":                 "unix:///var/run/containerd/containerd.sock",
			"node.alpha.kubernetes.io/ttl":                           "0",
			"projectcalico.org/IPv4Address":                          ip4(cl.nodeIP(i)) + "/16",
			"volumes.kubernetes.io/controller-managed-attach-detach": "true",
		}
		if c.Encap == "ipip" {
			ann["projectcalico.org/IPv4IPIPTunnelAddr"] = ip4(cl.block(i))
		} else {
			ann["projectcalico.org/IPv4VXLANTunnelAddr"] = ip4(cl.block(i))
			ann["projectcalico.org/IPv4VXLANTunnelMACAddr"] = cl.vxlanMAC(i)
		}
		labels := obj{
			"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
			"kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
			"topology.kubernetes.io/zone": fmt.Sprintf("zone-%c", 'a'+i%3),
		}
		spec := obj{"podCIDR": fmt.Sprintf("10.244.%d.%d/24", i/256, i%256), "podCIDRs": []string{fmt.Sprintf("10.244.%d.%d/24", i/256, i%256)}}
		if i < 3 {
			labels["node-role.kubernetes.io/control-plane"] = ""
			spec["taints"] = []any{obj{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}}
		}
		cond := func(typ, status, reason, msg string) obj {
			return obj{"lastHeartbeatTime": "2024-05-01T09:58:31Z", "lastTransitionTime": "2024-04-02T08:10:55Z",
				"message": msg, "reason": reason, "status": status, "type": typ}
		}
		nodes = append(nodes, obj{
			"apiVersion": "v1", "kind": "Node",
			"metadata": obj{"annotations": ann, "creationTimestamp": created, "labels": labels, "name": name,
				"resourceVersion": fmt.Sprint(81234 + i), "uid": uid("node", i)},
			"spec": spec,
			"status": obj{
				"addresses":   []any{obj{"address": ip4(cl.nodeIP(i)), "type": "InternalIP"}, obj{"address": name, "type": "Hostname"}},
				"allocatable": obj{"cpu": "8", "ephemeral-storage": "95491281146", "hugepages-2Mi": "0", "memory": "32657440Ki", "pods": "110"},
				"capacity":    obj{"cpu": "8", "ephemeral-storage": "103613208Ki", "hugepages-2Mi": "0", "memory": "32759840Ki", "pods": "110"},
				"conditions": []any{
					cond("NetworkUnavailable", "False", "CalicoIsUp", "Calico is running on this node"),
					cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
					cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
					cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
					cond("Ready", "True", "KubeletReady", "kubelet is posting ready status. AppArmor enabled"),
				},
				"daemonEndpoints": obj{"kubeletEndpoint": obj{"Port": 10250}},
				"nodeInfo": obj{"architecture": "amd64", "bootID": uid("boot", i), "containerRuntimeVersion": "containerd://1.7.2",
					"kernelVersion": "5.15.0-91-generic", "kubeProxyVersion": "v1.28.6", "kubeletVersion": "v1.28.6",
					"machineID": strings.ReplaceAll(uid("machine", i), "-", ""), "operatingSystem": "linux",
					"osImage": "Ubuntu 22.04.3 LTS", "systemUUID": uid("system", i)},
			},
		})
	}
	// collect strips what no check reads: managedFields, last-applied,
	// status.images (half a Node), volumes.
	cl.kubeObjs[bundle.KubeNodesPath] = jsonList("v1", "NodeList", nodes)

	corePod := func(j int) string { return fmt.Sprintf("coredns-5dd5756b68-%s", []string{"7xk2p", "q9wz4"}[j]) }
	var addrs []any
	var pods []any
	for j, n := range cl.coreDNS {
		ip := ip4(cl.podIP(n, corePodK))
		addrs = append(addrs, obj{"ip": ip, "nodeName": cl.names[n], "targetRef": obj{"kind": "Pod", "name": corePod(j), "namespace": "kube-system", "uid": uid("corepod", j)}})
		pods = append(pods, obj{"apiVersion": "v1", "kind": "Pod",
			"metadata": obj{"name": corePod(j), "generateName": "coredns-5dd5756b68-", "namespace": "kube-system", "uid": uid("corepod", j),
				"resourceVersion": fmt.Sprint(1500 + j), "creationTimestamp": created, "labels": obj{"k8s-app": "kube-dns", "pod-template-hash": "5dd5756b68"},
				"ownerReferences": []any{obj{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "coredns-5dd5756b68", "uid": uid("rs", 0), "controller": true, "blockOwnerDeletion": true}}},
			"spec": obj{
				"containers": []any{obj{"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.10.1", "args": []string{"-conf", "/etc/coredns/Corefile"},
					"ports":          []any{obj{"name": "dns", "containerPort": 53, "protocol": "UDP"}, obj{"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}, obj{"name": "metrics", "containerPort": 9153, "protocol": "TCP"}},
					"resources":      obj{"limits": obj{"memory": "170Mi"}, "requests": obj{"cpu": "100m", "memory": "70Mi"}},
					"livenessProbe":  obj{"httpGet": obj{"path": "/health", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 60, "timeoutSeconds": 5, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 5},
					"readinessProbe": obj{"httpGet": obj{"path": "/ready", "port": 8181, "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
					"volumeMounts":   []any{obj{"name": "config-volume", "readOnly": true, "mountPath": "/etc/coredns"}}}},
				"dnsPolicy": "Default", "nodeName": cl.names[n], "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
				"volumes": []any{obj{"name": "config-volume", "configMap": obj{"name": "coredns", "items": []any{obj{"key": "Corefile", "path": "Corefile"}}, "defaultMode": 420}}},
			},
			"status": obj{
				"phase": "Running", "hostIP": ip4(cl.nodeIP(n)), "podIP": ip, "podIPs": []any{obj{"ip": ip}}, "startTime": created, "qosClass": "Burstable",
				"conditions": []any{obj{"type": "Initialized", "status": "True", "lastTransitionTime": created},
					obj{"type": "Ready", "status": "True", "lastTransitionTime": created},
					obj{"type": "ContainersReady", "status": "True", "lastTransitionTime": created},
					obj{"type": "PodScheduled", "status": "True", "lastTransitionTime": created}},
				"containerStatuses": []any{obj{"name": "coredns", "ready": true, "restartCount": 0, "started": true,
					"image": "registry.k8s.io/coredns/coredns:v1.10.1", "containerID": "containerd://" + fmt.Sprintf("%016x%016x", hash("ctr", j, 0), hash("ctr", j, 1)),
					"state": obj{"running": obj{"startedAt": created}}}},
			},
		})
	}
	epPorts := []any{obj{"name": "dns-tcp", "port": 53, "protocol": "TCP"}, obj{"name": "dns", "port": 53, "protocol": "UDP"}, obj{"name": "metrics", "port": 9153, "protocol": "TCP"}}
	var sliceEPs []any
	for j, n := range cl.coreDNS {
		sliceEPs = append(sliceEPs, obj{"addresses": []string{ip4(cl.podIP(n, corePodK))}, "conditions": obj{"ready": true, "serving": true, "terminating": false},
			"nodeName": cl.names[n], "targetRef": obj{"kind": "Pod", "name": corePod(j), "namespace": "kube-system", "uid": uid("corepod", j)},
			"zone": fmt.Sprintf("zone-%c", 'a'+n%3)})
	}
	// The Endpoints and the EndpointSlice of the DNS Service, in one List.
	cl.kubeObjs[bundle.KubeDNSEndpointsPath] = jsonList("v1", "List", []any{obj{"kind": "Endpoints", "apiVersion": "v1",
		"metadata": obj{"name": "kube-dns", "namespace": "kube-system", "uid": uid("ep", 0), "resourceVersion": "1602", "creationTimestamp": created,
			"labels": obj{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}},
		"subsets": []any{obj{"addresses": addrs, "ports": epPorts}}},
		obj{"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "addressType": "IPv4", "endpoints": sliceEPs, "ports": epPorts,
			"metadata": obj{"name": "kube-dns-x7k2q", "generateName": "kube-dns-", "namespace": "kube-system", "uid": uid("eps", 0), "resourceVersion": "1603", "creationTimestamp": created,
				"labels":          obj{"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io", "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS", "kubernetes.io/service-name": "kube-dns"},
				"ownerReferences": []any{obj{"apiVersion": "v1", "kind": "Service", "name": "kube-dns", "uid": uid("svc", 0), "controller": true, "blockOwnerDeletion": true}}}},
	})
	// Found by its label k8s-app=kube-dns: a ServiceList.
	cl.kubeObjs[bundle.KubeDNSServicePath] = jsonList("v1", "ServiceList", []any{obj{"kind": "Service", "apiVersion": "v1",
		"metadata": obj{"name": "kube-dns", "namespace": "kube-system", "uid": uid("svc", 0), "resourceVersion": "233", "creationTimestamp": created,
			"labels":      obj{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
			"annotations": obj{"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
		"spec": obj{"ports": []any{obj{"name": "dns", "protocol": "UDP", "port": 53, "targetPort": 53}, obj{"name": "dns-tcp", "protocol": "TCP", "port": 53, "targetPort": 53}, obj{"name": "metrics", "protocol": "TCP", "port": 9153, "targetPort": 9153}},
			"selector": obj{"k8s-app": "kube-dns"}, "clusterIP": dnsVIP, "clusterIPs": []string{dnsVIP}, "type": "ClusterIP", "sessionAffinity": "None",
			"ipFamilies": []string{"IPv4"}, "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"},
		"status": obj{"loadBalancer": obj{}}}})
	cl.kubeObjs[bundle.KubeCoreDNSPodsPath] = jsonList("v1", "PodList", pods)

	var nss []any
	for k, ns := range []string{"default", "kube-node-lease", "kube-public", "kube-system", "monitoring", "ingress-nginx", "payments", "orders", "search", "batch"} {
		nss = append(nss, obj{"apiVersion": "v1", "kind": "Namespace", "metadata": obj{"name": ns, "uid": uid("ns", k), "resourceVersion": fmt.Sprint(20 + k), "creationTimestamp": created,
			"labels": obj{"kubernetes.io/metadata.name": ns}}, "spec": obj{"finalizers": []string{"kubernetes"}}, "status": obj{"phase": "Active"}})
	}
	cl.kubeObjs[bundle.NamespacesPath] = jsonList("v1", "NamespaceList", nss)
	cl.kubeObjs[bundle.NetworkPoliciesPath] = jsonList("networking.k8s.io/v1", "NetworkPolicyList", nil)

	ipip, vx := "Always", "Never"
	if c.Encap == "vxlan" {
		ipip, vx = "Never", "Always"
	}
	cl.kubeObjs[bundle.CalicoIPPoolsPath] = yamlList("crd.projectcalico.org/v1", "IPPoolList", []any{fromYAML(listItem + `apiVersion: crd.projectcalico.org/v1
  kind: IPPool
  metadata:
    annotations:
      projectcalico.org/metadata: '{"creationTimestamp":"2024-04-02T08:10:20Z"}'
    creationTimestamp: "2024-04-02T08:10:20Z"
    generation: 1
    name: default-ipv4-ippool
    resourceVersion: "1620"
    uid: ` + uid("pool", 0) + `
  spec:
    allowedUses:
    - Workload
    - Tunnel
    blockSize: 26
    cidr: ` + poolCIDR + `
    ipipMode: ` + ipip + `
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: ` + vx + `
`)})
	cl.kubeObjs[bundle.CalicoFelixPath] = yamlList("crd.projectcalico.org/v1", "FelixConfigurationList", []any{fromYAML(listItem + `apiVersion: crd.projectcalico.org/v1
  kind: FelixConfiguration
  metadata:
    creationTimestamp: "2024-04-02T08:10:21Z"
    generation: 1
    name: default
    resourceVersion: "1630"
    uid: ` + uid("felix", 0) + `
  spec:
    bpfLogLevel: ""
    floatingIPs: Disabled
    logSeverityScreen: Info
    reportingInterval: 0s
`)})
	cl.kubeObjs[bundle.CalicoPoliciesPath] = yamlList("crd.projectcalico.org/v1", "NetworkPolicyList", nil)
	cl.kubeObjs[bundle.CalicoGlobalPolicies] = yamlList("crd.projectcalico.org/v1", "GlobalNetworkPolicyList", nil)
	cl.kubeObjs[bundle.KubeProxyConfigPath] = toYAML(fromYAML(`apiVersion: v1
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    bindAddress: 0.0.0.0
    clientConnection:
      kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
    clusterCIDR: ` + poolCIDR + `
    ipvs:
      scheduler: "rr"
      strictARP: false
      syncPeriod: 30s
    kind: KubeProxyConfiguration
    mode: "ipvs"
  kubeconfig.conf: |-
    apiVersion: v1
    kind: Config
    clusters:
    - cluster:
        certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
        server: https://` + ip4(cl.nodeIP(0)) + `:6443
      name: default
    contexts:
    - context:
        cluster: default
        namespace: default
        user: default
      name: default
    current-context: default
    users:
    - name: default
      user:
        tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
kind: ConfigMap
metadata:
  creationTimestamp: "2024-04-02T08:09:15Z"
  labels:
    app: kube-proxy
  name: kube-proxy
  namespace: kube-system
  resourceVersion: "241"
  uid: ` + uid("cm", 0) + `
`))
	cl.kubeObjs[bundle.CorednsConfigMapPath] = toYAML(fromYAML(`apiVersion: v1
data:
  Corefile: |
    .:53 {
        errors
        health {
           lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
           pods insecure
           fallthrough in-addr.arpa ip6.arpa
           ttl 30
        }
        prometheus :9153
        forward . /etc/resolv.conf {
           max_concurrent 1000
        }
        cache 30
        loop
        reload
        loadbalance
    }
kind: ConfigMap
metadata:
  creationTimestamp: "2024-04-02T08:09:14Z"
  name: coredns
  namespace: kube-system
  resourceVersion: "232"
  uid: ` + uid("cm", 1) + `
`))
	var env strings.Builder
	backend := "bird"
	if c.Encap == "vxlan" {
		backend = "vxlan"
	}
	for _, kv := range [][2]string{
		{"DATASTORE_TYPE", "kubernetes"}, {"WAIT_FOR_DATASTORE", "true"}, {"CALICO_NETWORKING_BACKEND", backend},
		{"CLUSTER_TYPE", "k8s,bgp"}, {"IP", "autodetect"}, {"IP_AUTODETECTION_METHOD", "kubernetes-internal-ip"},
		{"CALICO_IPV4POOL_IPIP", ipip}, {"CALICO_IPV4POOL_VXLAN", vx}, {"CALICO_IPV4POOL_CIDR", poolCIDR},
		{"CALICO_IPV4POOL_BLOCK_SIZE", "26"}, {"CALICO_DISABLE_FILE_LOGGING", "true"},
		{"FELIX_DEFAULTENDPOINTTOHOSTACTION", "ACCEPT"}, {"FELIX_IPV6SUPPORT", "false"}, {"FELIX_HEALTHENABLED", "true"},
		{"FELIX_IPINIPMTU", "1480"}, {"FELIX_VXLANMTU", "1450"}, {"FELIX_WIREGUARDMTU", "1440"},
	} {
		fmt.Fprintf(&env, "        - name: %s\n          value: %q\n", kv[0], kv[1])
	}
	cl.kubeObjs[bundle.CalicoDaemonSetPath] = toYAML(fromYAML(`apiVersion: apps/v1
kind: DaemonSet
metadata:
  creationTimestamp: "2024-04-02T08:10:02Z"
  generation: 1
  labels:
    k8s-app: calico-node
  name: calico-node
  namespace: kube-system
  resourceVersion: "90211"
  uid: ` + uid("ds", 0) + `
spec:
  selector:
    matchLabels:
      k8s-app: calico-node
  template:
    metadata:
      labels:
        k8s-app: calico-node
    spec:
      containers:
      - env:
        - name: NODENAME
          valueFrom:
            fieldRef:
              apiVersion: v1
              fieldPath: spec.nodeName
` + env.String() + `        image: docker.io/calico/node:v3.28.5
        imagePullPolicy: IfNotPresent
        name: calico-node
        securityContext:
          privileged: true
      hostNetwork: true
      nodeSelector:
        kubernetes.io/os: linux
      priorityClassName: system-node-critical
      serviceAccountName: calico-node
      tolerations:
      - effect: NoSchedule
        operator: Exists
  updateStrategy:
    rollingUpdate:
      maxUnavailable: 1
    type: RollingUpdate
status:
  currentNumberScheduled: ` + fmt.Sprint(c.Nodes) + `
  desiredNumberScheduled: ` + fmt.Sprint(c.Nodes) + `
  numberAvailable: ` + fmt.Sprint(c.Nodes) + `
  numberReady: ` + fmt.Sprint(c.Nodes) + `
  observedGeneration: 1
  updatedNumberScheduled: ` + fmt.Sprint(c.Nodes) + `
`))
}

func uid(kind string, i int) string {
	h1, h2 := hash(kind, i, 1), hash(kind, i, 2)
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(h1), uint16(h1>>32), uint16(h1>>48)&0xfff, uint16(h2)&0xfff, h2>>16&0xffffffffffff)
}
