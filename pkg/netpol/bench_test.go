package netpol

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCheckDNS judges 50 namespaces against 200 policies: a large
// cluster's policy set.
func BenchmarkCheckDNS(b *testing.B) {
	var sb strings.Builder
	var nss []string
	for i := 0; i < 50; i++ {
		ns := fmt.Sprintf("ns%d", i)
		nss = append(nss, ns)
		for j := 0; j < 4; j++ {
			fmt.Fprintf(&sb, "---\nkind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: p%d, namespace: %s}\nspec:\n  podSelector: {matchLabels: {app: a%d}}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{protocol: UDP, port: 53}]\n", j, ns, j)
		}
	}
	s := set(b, sb.String(), "")
	tgts := []Endpoint{withNS(dns), nodeLocal}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.CheckDNS(nss, tgts)
	}
}
