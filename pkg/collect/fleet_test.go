package collect

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// TestTheCommonCaptureStartIsWaitedForOrItsLatenessSaid: collect cluster
// gives every node one start; a node on time waits for it, a late one starts
// at once and says by how much.
func TestTheCommonCaptureStartIsWaitedForOrItsLatenessSaid(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 15, 0, 0, time.UTC)
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"ahead", now.Add(1200 * time.Millisecond), "waiting 1s for the common capture start 2024-05-01T10:15:01Z"},
		{"late", now.Add(-10 * time.Second), "capture window starts 10s after the common start 2024-05-01T10:14:50Z"},
		{"none", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeNode(t)
			o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
			o.CaptureAt = tt.at
			out := &syncBuffer{}
			o.Progress = out
			c, err := newCollector(o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			c.waitCaptureStart(context.Background())
			got := out.b.String()
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("progress %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSkippedClusterObjectsAreRecordedAndHintsStandInForThem(t *testing.T) {
	f := newFakeNode(t)
	o := f.options(filepath.Join(t.TempDir(), "b.tgz"))
	o.SkipClusterObjects = true
	o.Hints = Hints{
		DNSService: netip.MustParseAddr("10.43.0.10"),
		CoreDNS:    []netip.Addr{netip.MustParseAddr("10.42.3.7")},
		Peers:      []netip.Addr{netip.MustParseAddr("192.168.20.30")},
	}
	res, files, _ := collectOK(t, o)
	for _, p := range []string{bundle.KubeNodesPath, bundle.CalicoIPPoolsPath} {
		it := item(t, res, p)
		if it.Status != bundle.StatusSkipped || !strings.Contains(it.Error, "cluster/") {
			t.Errorf("%s: %+v", p, it)
		}
		if _, ok := files[p]; ok {
			t.Errorf("%s in the bundle", p)
		}
	}
	rg := string(files[bundle.RouteGetPath])
	for _, a := range []string{"10.43.0.10", "10.42.3.7", "192.168.20.30"} {
		if !strings.Contains(rg, "# ip route get "+a+"\n") {
			t.Errorf("route-get.txt lacks the hinted %s:\n%s", a, rg)
		}
	}
}
