package collect

import "testing"

func TestNFTDNSServiceReadsKubeProxyServiceIPs(t *testing.T) {
	ruleset := func(elems string) []byte {
		return []byte("table ip kube-proxy {\n\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n\t\telements = { " + elems + " }\n\t}\n}\n")
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"rke2's DNS Service", ruleset("10.43.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https, 10.43.0.10 . udp . 53 : goto service-YIL3FBZA-kube-system/rke2-coredns-rke2-coredns/udp/udp-53"), "10.43.0.10"},
		{"only TCP 53", ruleset("10.96.0.10 . tcp . 53 : goto service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp"), "invalid IP"},
		{"port 53 of another namespace", ruleset("10.96.7.7 . udp . 53 : goto service-AAAAAAAA-apps/my-dns/udp/dns"), "invalid IP"},
		{"no kube-proxy table", []byte("table ip nat {\n}\n"), "invalid IP"},
		{"not nft output", []byte("\x00garbage {"), "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nftDNSService(tt.in).String(); got != tt.want {
				t.Errorf("nftDNSService = %s, want %s", got, tt.want)
			}
		})
	}
}
