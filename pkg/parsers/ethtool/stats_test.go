package ethtool

import (
	"reflect"
	"testing"
)

func TestParseStats(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      *StatsResult
		wantDiags []string
	}{
		{
			name: "classic NIC statistics keep their order and values",
			in:   "NIC statistics:\n     rx_packets: 123\n     tx_dropped: 0\n",
			want: &StatsResult{
				Counters: []Stat{{Line: 2, Name: "rx_packets", Value: 123}, {Line: 3, Name: "tx_dropped", Value: 0}},
				Stats:    map[string]uint64{"rx_packets": 123, "tx_dropped": 0},
			},
		},
		{
			name: "a per-queue prefix with its own colon stays in the name",
			in:   "NIC statistics:\n     [3]: rx_bytes: 42\n",
			want: &StatsResult{
				Counters: []Stat{{Line: 2, Name: "[3]: rx_bytes", Value: 42}},
				Stats:    map[string]uint64{"[3]: rx_bytes": 42},
			},
		},
		{
			name: "standard groups name the interface",
			in:   "Standard stats for ens5:\neth-mac-FramesReceivedOK: 7\n",
			want: &StatsResult{
				Interface: "ens5",
				Counters:  []Stat{{Line: 2, Name: "eth-mac-FramesReceivedOK", Value: 7}},
				Stats:     map[string]uint64{"eth-mac-FramesReceivedOK": 7},
			},
		},
		{
			name: "a repeated counter is noted and its last value is indexed",
			in:   "     rx_drops: 1\r\n     rx_drops: 2\r\n",
			want: &StatsResult{
				Counters: []Stat{{Line: 1, Name: "rx_drops", Value: 1}, {Line: 2, Name: "rx_drops", Value: 2}},
				Stats:    map[string]uint64{"rx_drops": 2},
			},
			wantDiags: []string{"info@2"},
		},
		{
			name: "a negative or text value is skipped with a warning",
			in:   "NIC statistics:\n     tx_timeout: -1\n     link: up\n     rx_packets: 5\n",
			want: &StatsResult{
				Counters: []Stat{{Line: 4, Name: "rx_packets", Value: 5}},
				Stats:    map[string]uint64{"rx_packets": 5},
			},
			wantDiags: []string{"warning@2", "warning@3"},
		},
		{
			name:      "a device without stats is reported, not an error",
			in:        "no stats available\n",
			want:      &StatsResult{Stats: map[string]uint64{}},
			wantDiags: []string{"info@1", "warning@0"},
		},
		{
			name:      "empty input is only noted",
			in:        "",
			want:      &StatsResult{Stats: map[string]uint64{}},
			wantDiags: []string{"info@0"},
		},
		{
			name:      "prose is not ethtool output",
			in:        "see attached\nthanks\n",
			want:      &StatsResult{Stats: map[string]uint64{}},
			wantDiags: []string{"warning@1", "warning@2", "error@0"},
		},
		{
			name:      "binary data is refused with one error",
			in:        "\xd4\xc3\xb2\xa1\x02\x00\x04\x00",
			want:      &StatsResult{Stats: map[string]uint64{}},
			wantDiags: []string{"error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := ParseStats([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseStats() =\n%+v\nwant\n%+v", got, tt.want)
			}
			if g := diagKeys(ds); !reflect.DeepEqual(g, tt.wantDiags) {
				t.Errorf("diagnostics = %v, want %v (%v)", g, tt.wantDiags, ds)
			}
		})
	}
}

func TestParseStatsFixtures(t *testing.T) {
	tests := []struct {
		file  string
		count int
		name  string
		value uint64
	}{
		{"stats-virtio.txt", 14, "rx_queue_0_bytes", 29123456789},
		{"stats-bnx2x.txt", 12, "tx_bytes", 18446744073709551615},
		{"stats-standard-groups.txt", 8, "eth-mac-FrameCheckSequenceErrors", 2},
	}
	for _, tt := range tests {
		t.Run(tt.file+" parses without warnings", func(t *testing.T) {
			r, ds := ParseStats(readFile(t, "testdata/good/"+tt.file))
			if len(ds) != 0 {
				t.Errorf("unexpected diagnostics %v", ds)
			}
			if len(r.Counters) != tt.count {
				t.Errorf("%d counters, want %d", len(r.Counters), tt.count)
			}
			if v, ok := r.Get(tt.name); !ok || v != tt.value {
				t.Errorf("Get(%q) = %d, %v; want %d", tt.name, v, ok, tt.value)
			}
		})
	}
}

func TestStatsSummary(t *testing.T) {
	r, _ := ParseStats([]byte("Standard stats for eth0:\na: 0\nb: 3\n"))
	if got, want := r.Summary(), "eth0: 2 counters (1 non-zero)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}
