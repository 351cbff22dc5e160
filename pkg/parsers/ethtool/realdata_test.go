package ethtool

import (
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

func noErrors(t *testing.T, ds []diag.Diagnostic) {
	t.Helper()
	if sev, ok := diag.Max(ds); ok && sev >= diag.Warning {
		t.Errorf("diagnostics on a real sample: %v", ds)
	}
}

func mustGet(t *testing.T, r *FeaturesResult, name string) Feature {
	t.Helper()
	f, ok := r.Get(name)
	if !ok {
		t.Fatalf("feature %s missing", name)
	}
	return f
}

func TestRealBond0ShowsGSORequestedButOff(t *testing.T) {
	r, ds := ParseFeatures(realdata(t, "ethtool/insights-core_ethtool-k-bond0.txt"))
	noErrors(t, ds)
	if r.Interface != "bond0" || len(r.Features) != 34 {
		t.Fatalf("interface %q with %d features, want bond0 with 34", r.Interface, len(r.Features))
	}
	gso := mustGet(t, r, "generic-segmentation-offload")
	if gso.On || !gso.RequestedSet || !gso.RequestedOn || gso.Fixed || gso.Parent != "" {
		t.Errorf("generic-segmentation-offload = %+v, want off, requested on, top level", gso)
	}
	// 4-space indentation in this sample.
	if f := mustGet(t, r, "tx-checksum-unneeded"); !f.On || !f.Fixed || f.Parent != "tx-checksumming" {
		t.Errorf("tx-checksum-unneeded = %+v", f)
	}
	if f := mustGet(t, r, "tx-udp_tnl-segmentation"); !f.On || !f.Fixed || f.Parent != "" {
		t.Errorf("tx-udp_tnl-segmentation = %+v", f)
	}
	if f := mustGet(t, r, "loopback"); f.Line != 35 {
		t.Errorf("loopback on line %d, want 35", f.Line)
	}
}

func TestRealCaliVethHasGenericChecksumOn(t *testing.T) {
	r, ds := ParseFeatures(realdata(t, "ethtool/calico-8756_ethtool-k-cali-veth.txt"))
	noErrors(t, ds)
	if r.Interface != "cali9d99c50de22" || len(r.Features) != 31 {
		t.Fatalf("interface %q with %d features", r.Interface, len(r.Features))
	}
	// 8-space indentation in this sample.
	f := mustGet(t, r, "tx-checksum-ip-generic")
	if !f.On || f.Fixed || f.Parent != "tx-checksumming" || f.Line != 5 {
		t.Errorf("tx-checksum-ip-generic = %+v, want on, not fixed, under tx-checksumming, line 5", f)
	}
	if f := mustGet(t, r, "large-receive-offload"); f.On || !f.Fixed {
		t.Errorf("large-receive-offload = %+v, want off [fixed]", f)
	}
	if f := mustGet(t, r, "tx-gre-csum-segmentation"); !f.On || f.Parent != "" {
		t.Errorf("tx-gre-csum-segmentation = %+v", f)
	}
}

func TestRealTruncatedVirtioSample(t *testing.T) {
	r, ds := ParseFeatures(realdata(t, "ethtool/moby-37214_ethtool-k-ens3.txt"))
	noErrors(t, ds)
	if r.Interface != "ens3" || len(r.Features) != 9 {
		t.Fatalf("interface %q with %d features, want ens3 with 9", r.Interface, len(r.Features))
	}
	// Tab indentation; the excerpt ends inside the scatter-gather group.
	if f := mustGet(t, r, "tx-scatter-gather"); !f.On || f.Parent != "scatter-gather" || f.Line != 10 {
		t.Errorf("tx-scatter-gather = %+v", f)
	}
	if f := mustGet(t, r, "rx-checksumming"); !f.On || !f.Fixed {
		t.Errorf("rx-checksumming = %+v, want on [fixed]", f)
	}
}
