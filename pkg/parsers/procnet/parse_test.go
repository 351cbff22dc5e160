package procnet

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      map[string]map[string]int64
		wantDiags []string
	}{
		{
			name: "header and value lines pair up, negative MaxConn included",
			in:   "Tcp: RtoAlgorithm MaxConn\nTcp: 1 -1\nUdp: InDatagrams InErrors\nUdp: 10 2\n",
			want: map[string]map[string]int64{
				"Tcp": {"RtoAlgorithm": 1, "MaxConn": -1},
				"Udp": {"InDatagrams": 10, "InErrors": 2},
			},
		},
		{
			name:      "more values than names pairs what it can and warns",
			in:        "Udp: InDatagrams NoPorts\nUdp: 10 2 7\n",
			want:      map[string]map[string]int64{"Udp": {"InDatagrams": 10, "NoPorts": 2}},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "fewer values than names pairs what it can and warns",
			in:        "Udp: InDatagrams NoPorts InErrors\r\nUdp: 10\r\n",
			want:      map[string]map[string]int64{"Udp": {"InDatagrams": 10}},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "a value that is not an integer is skipped, its neighbours kept",
			in:        "Ip: Forwarding DefaultTTL\nIp: x 64\n",
			want:      map[string]map[string]int64{"Ip": {"DefaultTTL": 64}},
			wantDiags: []string{"warning@2"},
		},
		{
			name:      "a header without values and values without a header are both warned",
			in:        "Ip: Forwarding\nUdp: InErrors\nUdp: 3\nTcp: 1 2\n",
			want:      map[string]map[string]int64{"Udp": {"InErrors": 3}},
			wantDiags: []string{"warning@1", "warning@4"},
		},
		{
			name: "snmp6 lines split into group and counter",
			in:   "Ip6InReceives   \t1204\nUdpLite6InErrors\t0\nIcmp6InType133 2\n",
			want: map[string]map[string]int64{
				"Ip6":      {"InReceives": 1204},
				"UdpLite6": {"InErrors": 0},
				"Icmp6":    {"InType133": 2},
			},
		},
		{
			name:      "a group seen twice keeps the later values",
			in:        "Udp: InErrors\nUdp: 1\nUdp: InErrors\nUdp: 5\n",
			want:      map[string]map[string]int64{"Udp": {"InErrors": 5}},
			wantDiags: []string{"warning@4"},
		},
		{
			name:      "empty input is only noted",
			in:        "\n",
			want:      map[string]map[string]int64{},
			wantDiags: []string{"info@0"},
		},
		{
			name:      "prose is not a counter file",
			in:        "counters attached below\n",
			want:      map[string]map[string]int64{},
			wantDiags: []string{"warning@1", "error@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := Parse([]byte(tt.in))
			if !reflect.DeepEqual(got.Values, tt.want) {
				t.Errorf("Parse() =\n%v\nwant\n%v", got.Values, tt.want)
			}
			if g := diagKeys(ds); !reflect.DeepEqual(g, tt.wantDiags) {
				t.Errorf("diagnostics = %v, want %v (%v)", g, tt.wantDiags, ds)
			}
		})
	}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file          string
		groups        []string
		group, key    string
		value         int64
		line, counter int
	}{
		{"proc-net-snmp.txt", []string{"Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite"}, "Udp", "RcvbufErrors", 1377, 10, 85},
		{"proc-net-netstat.txt", []string{"TcpExt", "IpExt", "MPTcpExt"}, "TcpExt", "TCPTimeouts", 40121, 2, 45},
		{"proc-net-snmp6.txt", []string{"Ip6", "Icmp6", "Udp6", "UdpLite6"}, "Udp6", "RcvbufErrors", 4, 9, 10},
	}
	for _, tt := range tests {
		t.Run(tt.file+" parses without warnings", func(t *testing.T) {
			r, ds := Parse(readFile(t, "testdata/good/"+tt.file))
			if len(ds) != 0 {
				t.Errorf("unexpected diagnostics %v", ds)
			}
			if !reflect.DeepEqual(r.Groups, tt.groups) {
				t.Errorf("groups %v, want %v", r.Groups, tt.groups)
			}
			if v, ok := r.Get(tt.group, tt.key); !ok || v != tt.value || r.Line(tt.group, tt.key) != tt.line {
				t.Errorf("%s %s = %d, %v on line %d; want %d on line %d", tt.group, tt.key, v, ok, r.Line(tt.group, tt.key), tt.value, tt.line)
			}
			if !strings.HasSuffix(r.Summary(), " "+itoa(tt.counter)+" counters") {
				t.Errorf("Summary() = %q, want %d counters", r.Summary(), tt.counter)
			}
		})
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func TestSnmpAndNetstatConcatenated(t *testing.T) {
	in := append(readFile(t, "testdata/good/proc-net-snmp.txt"), readFile(t, "testdata/good/proc-net-netstat.txt")...)
	r, ds := Parse(in)
	if len(ds) != 0 {
		t.Errorf("unexpected diagnostics %v", ds)
	}
	if v, _ := r.Get("Tcp", "MaxConn"); v != -1 {
		t.Errorf("Tcp MaxConn = %d, want -1", v)
	}
	if v, _ := r.Get("IpExt", "InOctets"); v != 98121236478 {
		t.Errorf("IpExt InOctets = %d", v)
	}
	if _, ok := r.Get("Udp", "NoSuchCounter"); ok {
		t.Error("found a counter that is not there")
	}
}

func TestProcNetDevIsRefused(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/bad/proc-net-dev.txt"))
	if len(r.Values) != 0 {
		t.Errorf("counters from /proc/net/dev: %v", r.Values)
	}
	if last := ds[len(ds)-1]; last.Severity.String() != "error" || last.Line != 0 {
		t.Errorf("last diagnostic %v, want a file-level error", last)
	}
}
