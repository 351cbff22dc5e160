// Package nativenet reads a node's network state from the kernel (rtnetlink, the
// IPVS generic-netlink family, the ethtool ioctl, /proc/sys) and renders it in the
// text format of the command that would have shown it: `ip route show`, `ip -d link
// show`, `ip addr show`, `ip rule show`, `ip neigh show`, `bridge fdb show`, `ip
// route get`, `ipvsadm -Ln [--stats]`, `ethtool -k`, `ethtool -S` and `sysctl -a`.
// The collector uses it so that a bundle has one format per file whether the
// command was installed on the node or not, and the analyzer's parsers
// (pkg/parsers/...) read both alike.
//
// The reference for every format is iproute2 6.1 (Debian 12's), ipvsadm 1.31 and
// ethtool 6.x: field order, spacing and trailing blanks follow their printf
// formats. Where the kernel hands over an attribute that an older or newer version
// prints differently, the 6.1 spelling is used. Kernel reads are Linux-only; the
// renderers themselves are plain Go and build everywhere.
package nativenet
