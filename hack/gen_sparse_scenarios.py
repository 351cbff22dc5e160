#!/usr/bin/env python3
"""Writes sparse, hand-made bundles: what a support engineer assembles from
the command outputs a customer pasted into a ticket when collect could not
run. They prove that a rule iterating over data the ticket lacks says "not
checked" (its whenEmpty) instead of passing.

    python3 hack/gen_sparse_scenarios.py
"""
import pathlib

B = pathlib.Path(__file__).resolve().parent.parent / "testdata" / "bundles"

IPVS_NO_DNS = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.1:443 rr
  -> 192.168.30.11:6443           Masq    1      4          0
TCP  10.104.66.12:80 rr
  -> 10.210.77.3:8080             Masq    1      0          2
"""
KUBE_PROXY = """apiVersion: v1
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    clusterCIDR: 10.210.0.0/16
    mode: ipvs
    ipvs:
      scheduler: rr
kind: ConfigMap
metadata:
  name: kube-proxy
  namespace: kube-system
"""
KUBELET = """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
"""
POOLS = """apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    name: default-ipv4-ippool
  spec:
    blockSize: 26
    cidr: 10.210.0.0/16
    ipipMode: Always
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Never
kind: IPPoolList
metadata:
  resourceVersion: "88213"
"""

files = [("host/hostname", "prod-w-07\n"), ("ipvs/ipvsadm-Ln.txt", IPVS_NO_DNS), ("kube/kube-proxy-config.yaml", KUBE_PROXY),
         ("host/kubelet-config.yaml", KUBELET), ("calico/ippools.yaml", POOLS)]
(B / "ipvs-dns-vip-missing-ticket.txtar").write_text("""ipvs-dns-vip-missing-ticket: a bundle made by hand from a ticket: the customer
pasted ipvsadm -Ln (the API server and one Service, no DNS), the kube-proxy
ConfigMap (mode ipvs), the kubelet config (clusterDNS 10.96.0.10) and the IP
pools of one node, prod-w-07. No ip addr, no Node objects, no Corefile.
-> ipvs-dns-vip-missing critical (UDP and TCP 53), warning (9153);
   ipvs-dns-no-backends, ipvs-dns-stale-backend not checked (no DNS virtual
   service to judge); ip-pool-overlap not checked (no address to compare the
   pool with). None of them passes on data the ticket lacks.
(hack/gen_sparse_scenarios.py)
""" + "".join("-- prod-w-07/%s --\n%s" % f for f in files))
