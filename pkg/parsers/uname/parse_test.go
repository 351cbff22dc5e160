package uname

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
			name: "Ubuntu uname -a with processor and platform",
			in:   "Linux node-a 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n",
			want: &Result{Line: 1, Sysname: "Linux", Nodename: "node-a", Release: "5.15.0-91-generic",
				Version: "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023", Machine: "x86_64", Major: 5, Minor: 15},
		},
		{
			name: "Debian uname -a drops unknown processor and platform",
			in:   "Linux node-b 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux\n",
			want: &Result{Line: 1, Sysname: "Linux", Nodename: "node-b", Release: "6.1.0-18-amd64",
				Version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)", Machine: "x86_64", Major: 6, Minor: 1},
		},
		{
			name: "CentOS 7 kernel on arm with unknown platform",
			in:   "Linux c7 3.10.0-1160.el7.aarch64 #1 SMP Mon Oct 19 16:18:59 UTC 2020 aarch64 aarch64 unknown GNU/Linux\r\n",
			want: &Result{Line: 1, Sysname: "Linux", Nodename: "c7", Release: "3.10.0-1160.el7.aarch64",
				Version: "#1 SMP Mon Oct 19 16:18:59 UTC 2020", Machine: "aarch64", Major: 3, Minor: 10},
		},
		{
			name: "BusyBox on Alpine ends with Linux",
			in:   "Linux alpine 6.6.14-0-lts #1-Alpine SMP PREEMPT_DYNAMIC Fri, 26 Jan 2024 11:08:07 +0000 x86_64 Linux\n",
			want: &Result{Line: 1, Sysname: "Linux", Nodename: "alpine", Release: "6.6.14-0-lts",
				Version: "#1-Alpine SMP PREEMPT_DYNAMIC Fri, 26 Jan 2024 11:08:07 +0000", Machine: "x86_64", Major: 6, Minor: 6, Patch: 14},
		},
		{
			name: "a pasted prompt and blank lines are skipped",
			in:   "$ uname -a\n\nLinux n 4.18.0-305.el8.x86_64 #1 SMP Thu Apr 29 08:54:30 EDT 2021 x86_64 x86_64 x86_64 GNU/Linux\n",
			want: &Result{Line: 3, Sysname: "Linux", Nodename: "n", Release: "4.18.0-305.el8.x86_64",
				Version: "#1 SMP Thu Apr 29 08:54:30 EDT 2021", Machine: "x86_64", Major: 4, Minor: 18},
		},
		{
			name: "uname -r alone gives the release",
			in:   "6.12.9+bpo-amd64\n",
			want: &Result{Line: 1, Release: "6.12.9+bpo-amd64", Major: 6, Minor: 12, Patch: 9},
		},
		{
			name: "uname -sr gives system and release",
			in:   "Linux 5.10.0-0.deb10.16-amd64",
			want: &Result{Line: 1, Sysname: "Linux", Release: "5.10.0-0.deb10.16-amd64", Major: 5, Minor: 10},
		},
		{
			name: "a release without patch level reads as patch 0",
			in:   "6.8-rc1\n",
			want: &Result{Line: 1, Release: "6.8-rc1", Major: 6, Minor: 8},
		},
		{
			name:      "another kernel is noted",
			in:        "Darwin mac 23.2.0 Darwin Kernel Version 23.2.0: Wed Nov 15 21:53:18 PST 2023; root:xnu-10002.61.3~2/RELEASE_ARM64_T6000 arm64\n",
			want:      &Result{Line: 1, Sysname: "Darwin", Nodename: "mac", Release: "23.2.0", Version: "Darwin Kernel Version 23.2.0: Wed Nov 15 21:53:18 PST 2023; root:xnu-10002.61.3~2/RELEASE_ARM64_T6000", Machine: "arm64", Major: 23, Minor: 2},
			wantDiags: []string{"info@1"},
		},
		{
			name:      "extra lines are warned and ignored",
			in:        "5.4.0-1109-gke\n5.4.0-1110-gke\n",
			want:      &Result{Line: 1, Release: "5.4.0-1109-gke", Major: 5, Minor: 4},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "a line without a release is not uname output",
			in:        "node-a\n",
			want:      &Result{},
			wantDiags: []string{"error@1"},
		},
		{
			name:      "empty input is only noted",
			in:        "\n",
			want:      &Result{},
			wantDiags: []string{"info@0"},
		},
		{
			name:      "binary data is refused with one error",
			in:        "\x7fELF\x02\x01\x01\x00\x00\x00",
			want:      &Result{},
			wantDiags: []string{"error@0"},
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

func TestLess(t *testing.T) {
	tests := []struct {
		name         string
		release      string
		major, minor int
		want         bool
	}{
		{"CentOS 7 is older than 5.7", "3.10.0-1160.el7.x86_64", 5, 7, true},
		{"5.4 is older than 5.7 on the minor", "5.4.0-1109-gke", 5, 7, true},
		{"5.7 is not older than itself", "5.7.0", 5, 7, false},
		{"5.15 is not older than 5.7", "5.15.0-91-generic", 5, 7, false},
		{"6.1 is not older than 5.9", "6.1.0-18-amd64", 5, 9, false},
		{"an unknown kernel is never older", "", 5, 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := Parse([]byte(tt.release))
			if got := r.Less(tt.major, tt.minor); got != tt.want {
				t.Errorf("Less(%d, %d) on %q = %v, want %v", tt.major, tt.minor, tt.release, got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	r, _ := Parse([]byte("Linux node-a 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux"))
	if got, want := r.Summary(), "kernel 5.15.0-91-generic x86_64 on node-a"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	empty, _ := Parse(nil)
	if got := empty.Summary(); got != "no kernel release" {
		t.Errorf("empty Summary() = %q", got)
	}
}
