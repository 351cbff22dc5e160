package kernlog

import (
	"reflect"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		file          string
		shape         string
		entries, full int
		neigh, ipvs   int
		firstFull     int // line of the first table-full message
		diags         []string
	}{
		{"dmesg-T.txt", "dmesg", 7, 3, 0, 2, 3, nil},
		{"journalctl-k.txt", "journalctl", 4, 2, 1, 1, 2, nil},
		{"dmesg-plain.txt", "dmesg", 3, 1, 0, 0, 3, nil},
		{"dmesg-healthy.txt", "dmesg", 2, 0, 0, 1, 0, nil},
		{"dmesg-denied.txt", "plain", 0, 0, 0, 0, 0, []string{"error@1"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, ds := Parse(parsertest.ReadFile(t, "testdata/"+tc.file))
			if got := parsertest.DiagKeys(ds); !reflect.DeepEqual(got, tc.diags) {
				t.Errorf("diags %v, want %v (%v)", got, tc.diags, ds)
			}
			if r.Shape != tc.shape || len(r.Entries) != tc.entries {
				t.Errorf("shape %s entries %d, want %s %d", r.Shape, len(r.Entries), tc.shape, tc.entries)
			}
			if r.Count(KindConntrackFull) != tc.full || r.Count(KindNeighOverflow) != tc.neigh || r.Count(KindIPVS) != tc.ipvs {
				t.Errorf("full %d neigh %d ipvs %d", r.Count(KindConntrackFull), r.Count(KindNeighOverflow), r.Count(KindIPVS))
			}
			e, ok := r.First(KindConntrackFull)
			if ok != (tc.firstFull > 0) || e.Line != tc.firstFull {
				t.Errorf("first full %+v, want line %d", e, tc.firstFull)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	r, _ := Parse([]byte("kern  :warn  : [Sun Dec  6 10:01:02 2026] nf_conntrack: table full, dropping packet\n" +
		"2026-12-06T10:01:02,123456+00:00 IPVS: something\n" +
		"2026-12-06T10:01:03+0000 node-a kernel: [ 12.5] neighbour: arp_cache: neighbor table overflow!\n"))
	want := []Entry{
		{1, "Sun Dec  6 10:01:02 2026", "nf_conntrack: table full, dropping packet", KindConntrackFull},
		{2, "2026-12-06T10:01:02,123456+00:00", "IPVS: something", KindIPVS},
		{3, "2026-12-06T10:01:03+0000", "neighbour: arp_cache: neighbor table overflow!", KindNeighOverflow},
	}
	if !reflect.DeepEqual(r.Entries, want) {
		t.Errorf("got %+v\nwant %+v", r.Entries, want)
	}
}
