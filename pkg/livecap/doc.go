// Package livecap captures packets on a node during the collector's window and
// probes DNS servers so that the capture holds the traffic that matters: an
// AF_PACKET capture (gopacket's afpacket, no libpcap, no cgo) written as pcap,
// limited by a kernel BPF filter to IP-in-IP, VXLAN, DNS and ICMP and bounded
// by time, packets and bytes; and a DNS prober whose results become
// dns/probe.json. Capture metadata becomes pcap/IFNAME.json (see
// ../shared/spec/bundle-layout.md).
package livecap
