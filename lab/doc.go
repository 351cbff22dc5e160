// Package lab is the real-kernel fault lab: a three-node Calico VXLAN cluster
// built from network, UTS, mount and PID namespaces, with a CoreDNS pod, a
// client pod, kube-proxy in nftables mode, a calico-node process and a
// stand-in Kubernetes API per case. Each case of the matrix breaks one thing,
// runs the real `collect` on every node at once and the real `analyze` on the
// three bundles, and checks that the injected fault is named as root cause.
//
// The matrix runs as root with PODNETDIAG_LAB=1 (hack/test.sh sets it); it
// needs ip, nft, iptables, ipset, unshare and nsenter. Everything it creates
// carries the prefix pnd-lab-PID and is removed when the test ends, fails or
// is interrupted; traffic never leaves the lab's namespaces.
package lab
