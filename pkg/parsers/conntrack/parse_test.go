package conntrack

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *Result
		wantDiags []string
	}{
		{
			name: "per-CPU lines are kept and summed",
			in:   "cpu=0   \tfound=1 insert_failed=2 \ncpu=1   \tfound=3 insert_failed=4 \n",
			want: &Result{
				CPUs: []CPUStats{
					{Line: 1, CPU: 0, Values: map[string]uint64{"found": 1, "insert_failed": 2}},
					{Line: 2, CPU: 1, Values: map[string]uint64{"found": 3, "insert_failed": 4}},
				},
				Total: map[string]uint64{"found": 4, "insert_failed": 6},
			},
		},
		{
			name: "entries is the table size on every row, not summed",
			in:   "cpu=0 entries=312 drop=1\ncpu=1 entries=312 drop=2\n",
			want: &Result{
				CPUs: []CPUStats{
					{Line: 1, CPU: 0, Values: map[string]uint64{"entries": 312, "drop": 1}},
					{Line: 2, CPU: 1, Values: map[string]uint64{"entries": 312, "drop": 2}},
				},
				Total: map[string]uint64{"entries": 312, "drop": 3},
			},
		},
		{
			name: "expectation stats join the same CPU",
			in:   "cpu=0 found=1\r\ncpu=0 expect_new=5 expect_create=1 expect_delete=0\r\n",
			want: &Result{
				CPUs:  []CPUStats{{Line: 1, CPU: 0, Values: map[string]uint64{"found": 1, "expect_new": 5, "expect_create": 1, "expect_delete": 0}}},
				Total: map[string]uint64{"found": 1, "expect_new": 5, "expect_create": 1, "expect_delete": 0},
			},
		},
		{
			name: "the same counter twice for a CPU is warned, not added",
			in:   "cpu=0 drop=1\ncpu=0 drop=7\n",
			want: &Result{
				CPUs:  []CPUStats{{Line: 1, CPU: 0, Values: map[string]uint64{"drop": 7}}},
				Total: map[string]uint64{"drop": 7},
			},
			wantDiags: []string{"warning@2"},
		},
		{
			name: "unreadable counters are skipped with one warning per line",
			in:   "cpu=0 drop=x early_drop=-1 invalid=3 junk\ncpu=zz drop=1\n",
			want: &Result{
				CPUs:  []CPUStats{{Line: 1, CPU: 0, Values: map[string]uint64{"invalid": 3}}},
				Total: map[string]uint64{"invalid": 3},
			},
			wantDiags: []string{"warning@1", "warning@2"},
		},
		{
			name: "the 1.0 list is read as the first CPU and flagged",
			in:   "entries   \t\t312     \ninsert_failed\t\t3       \n",
			want: &Result{
				CPUs:  []CPUStats{{Line: 1, CPU: 0, Values: map[string]uint64{"entries": 312, "insert_failed": 3}}},
				Total: map[string]uint64{"entries": 312, "insert_failed": 3},
			},
			wantDiags: []string{"info@1"},
		},
		{
			name: "a raw proc table is read in hexadecimal, one row per CPU",
			in:   "entries  clashres insert_failed\n00000138  0000000a 00000001\n00000138  00000001 000000ff\n",
			want: &Result{
				CPUs: []CPUStats{
					{Line: 2, CPU: 0, Values: map[string]uint64{"entries": 312, "clashres": 10, "insert_failed": 1}},
					{Line: 3, CPU: 1, Values: map[string]uint64{"entries": 312, "clashres": 1, "insert_failed": 255}},
				},
				Total: map[string]uint64{"entries": 312, "clashres": 11, "insert_failed": 256},
			},
		},
		{
			name: "a short proc row is read as far as it goes",
			in:   "entries found drop\n00000001 00000002\n",
			want: &Result{
				CPUs:  []CPUStats{{Line: 2, CPU: 0, Values: map[string]uint64{"entries": 1, "found": 2}}},
				Total: map[string]uint64{"entries": 1, "found": 2},
			},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "a conntrack error message is info and leaves a warning",
			in:        "conntrack v1.4.6 (conntrack-tools): Operation failed: Operation not permitted\n",
			want:      &Result{Total: map[string]uint64{}},
			wantDiags: []string{"info@1", "warning@0"},
		},
		{
			name:      "empty input is only noted",
			in:        "",
			want:      &Result{Total: map[string]uint64{}},
			wantDiags: []string{"info@0"},
		},
		{
			name:      "prose is not conntrack -S",
			in:        "nothing to see here\n",
			want:      &Result{Total: map[string]uint64{}},
			wantDiags: []string{"warning@1", "error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := Parse([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse() =\n%+v\nwant\n%+v", got, tt.want)
			}
			if g := diagKeys(ds); !reflect.DeepEqual(g, tt.wantDiags) {
				t.Errorf("diagnostics = %v, want %v (%v)", g, tt.wantDiags, ds)
			}
		})
	}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file      string
		cpus      int
		counter   string
		total     uint64
		wantInfos int
	}{
		{"conntrack-S-1.4.6.txt", 4, "insert_failed", 7, 0},
		{"conntrack-S-kernel-6.1.txt", 2, "clash_resolve", 11, 0},
		{"conntrack-S-kernel-3.10.txt", 2, "found", 2206145, 0},
		{"conntrack-S-proc-fallback.txt", 2, "entries", 312, 0},
		{"conntrack-S-1.0.txt", 1, "insert_failed", 3, 1},
		{"proc-net-stat-nf_conntrack.txt", 2, "search_restart", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file+" parses without warnings", func(t *testing.T) {
			r, ds := Parse(readFile(t, "testdata/good/"+tt.file))
			if len(ds) != tt.wantInfos {
				t.Errorf("diagnostics %v, want %d infos", ds, tt.wantInfos)
			}
			for _, d := range ds {
				if d.Severity > 0 {
					t.Errorf("unexpected %v", d)
				}
			}
			if len(r.CPUs) != tt.cpus {
				t.Errorf("%d CPUs, want %d", len(r.CPUs), tt.cpus)
			}
			if v, ok := r.Get(tt.counter); !ok || v != tt.total {
				t.Errorf("total %s = %d, %v; want %d", tt.counter, v, ok, tt.total)
			}
		})
	}
}

func TestSummaryNamesTheDNSRaceCounters(t *testing.T) {
	r, _ := Parse(readFile(t, "testdata/good/conntrack-S-1.4.6.txt"))
	want := "4 CPUs, insert_failed 7, drop 0, early_drop 0, invalid 819"
	if got := r.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestConntrackListIsNotStatistics(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/bad/conntrack-L.txt"))
	if len(r.CPUs) != 0 {
		t.Errorf("statistics from a connection list: %+v", r.CPUs)
	}
	if last := ds[len(ds)-1]; last.Severity.String() != "error" || last.Line != 0 {
		t.Errorf("last diagnostic %v, want a file-level error", last)
	}
}
