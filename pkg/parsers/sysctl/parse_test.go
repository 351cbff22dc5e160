package sysctl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      map[string]Value
		wantDiags []string
	}{
		{
			name: "sysctl -a lines keep values with spaces and tabs",
			in: "net.ipv4.ip_local_port_range = 32768\t60999\n" +
				"kernel.core_pattern = |/usr/share/apport/apport -p%p -s%s -c%c -d%d -P%P -u%u -g%g -- %E\n",
			want: map[string]Value{
				"net.ipv4.ip_local_port_range": {"32768\t60999", 1},
				"kernel.core_pattern":          {"|/usr/share/apport/apport -p%p -s%s -c%c -d%d -P%P -u%u -g%g -- %E", 2},
			},
		},
		{
			name: "an empty value survives the trimmed trailing blank",
			in:   "net.ipv4.ip_local_reserved_ports = \n",
			want: map[string]Value{"net.ipv4.ip_local_reserved_ports": {"", 1}},
		},
		{
			name: "a value containing an equals sign stays whole",
			in:   "kernel.modprobe = /sbin/modprobe --opt=1\n",
			want: map[string]Value{"kernel.modprobe": {"/sbin/modprobe --opt=1", 1}},
		},
		{
			name: "sysctl.conf style is read, comments and the ignore-errors dash too",
			in:   "# comment\n; other comment\n  net.ipv4.ip_forward=1\r\n-net.ipv4.conf.all.rp_filter = 1\n",
			want: map[string]Value{
				"net.ipv4.ip_forward":         {"1", 3},
				"net.ipv4.conf.all.rp_filter": {"1", 4},
			},
		},
		{
			name: "slash keys become dotted and an interface dot becomes a slash",
			in:   "net/ipv4/conf/all/rp_filter = 2\nnet/ipv4/conf/vxlan.calico/rp_filter = 1\n",
			want: map[string]Value{
				"net.ipv4.conf.all.rp_filter":          {"2", 1},
				"net.ipv4.conf.vxlan/calico.rp_filter": {"1", 2},
			},
		},
		{
			name:      "keys sysctl could not read are info, not warnings",
			in:        "sysctl: permission denied on key 'fs.protected_fifos'\nsysctl: reading key \"net.ipv6.conf.all.stable_secret\"\nerror: permission denied on key 'net.ipv4.route.flush'\nnet.ipv4.ip_forward = 1\n",
			want:      map[string]Value{"net.ipv4.ip_forward": {"1", 4}},
			wantDiags: []string{"info@1", "info@2", "info@3"},
		},
		{
			name: "a multi-line proc file printed line by line is joined",
			in:   "sunrpc.transports = tcp 1048576\nsunrpc.transports = udp 32768\n",
			want: map[string]Value{"sunrpc.transports": {"tcp 1048576\nudp 32768", 1}},
		},
		{
			name:      "a key set again later wins and is noted",
			in:        "net.ipv4.ip_forward = 0\nkernel.pid_max = 10\nnet.ipv4.ip_forward = 1\n",
			want:      map[string]Value{"net.ipv4.ip_forward": {"1", 3}, "kernel.pid_max": {"10", 2}},
			wantDiags: []string{"info@3"},
		},
		{
			name:      "a line without equals sign is skipped with a warning",
			in:        "net.ipv4.ip_forward = 1\n1\nkey with spaces = 2\n",
			want:      map[string]Value{"net.ipv4.ip_forward": {"1", 1}},
			wantDiags: []string{"warning@2", "warning@3"},
		},
		{
			name:      "only unreadable keys leave a warning",
			in:        "sysctl: permission denied on key 'kernel.cad_pid'\n",
			want:      map[string]Value{},
			wantDiags: []string{"info@1", "warning@0"},
		},
		{
			name:      "empty input is only noted",
			in:        "",
			want:      map[string]Value{},
			wantDiags: []string{"info@0"},
		},
		{
			name:      "sysctl -n output is not sysctl -a",
			in:        "1\n32768\t60999\n",
			want:      map[string]Value{},
			wantDiags: []string{"warning@1", "warning@2", "error@0"},
		},
		{
			name:      "binary data is refused with one error",
			in:        "\x00\x01\x02net.ipv4.ip_forward = 1",
			want:      map[string]Value{},
			wantDiags: []string{"error@0"},
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

func TestNormalizeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"net.ipv4.ip_forward", "net.ipv4.ip_forward"},
		{"net/ipv4/ip_forward", "net.ipv4.ip_forward"},
		{"net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter"},
		{"net.ipv4.conf.eth0/100.rp_filter", "net.ipv4.conf.eth0/100.rp_filter"},
		{"kernel", "kernel"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeKey(tt.in); got != tt.want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExcerptOfSysctlA(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/good/sysctl-a-excerpt.txt"))
	for _, d := range ds {
		if d.Severity > 0 {
			t.Errorf("unexpected %v", d)
		}
	}
	if r.Unreadable != 3 || len(r.Values) != 29 {
		t.Errorf("%d keys, %d unreadable; want 29 and 3", len(r.Values), r.Unreadable)
	}
	t.Run("Get accepts slashes and returns the line", func(t *testing.T) {
		v, line, ok := r.Get("net/ipv4/conf/all/rp_filter")
		if v != "2" || line != 17 || !ok {
			t.Errorf("Get = %q, %d, %v", v, line, ok)
		}
	})
	t.Run("Int reads single integers only", func(t *testing.T) {
		if n, ok := r.Int("fs.file-max"); n != 9223372036854775807 || !ok {
			t.Errorf("fs.file-max = %d, %v", n, ok)
		}
		if _, ok := r.Int("net.ipv4.ip_local_port_range"); ok {
			t.Error("a range read as one integer")
		}
		if _, ok := r.Int("kernel.hostname"); ok {
			t.Error("a name read as an integer")
		}
		if _, ok := r.Int("net.ipv4.no_such_key"); ok {
			t.Error("a missing key read as an integer")
		}
	})
	t.Run("Ints reads ranges", func(t *testing.T) {
		got, ok := r.Ints("net.ipv4.ip_local_port_range")
		if !ok || !reflect.DeepEqual(got, []int64{32768, 60999}) {
			t.Errorf("Ints = %v, %v", got, ok)
		}
		if _, ok := r.Ints("kernel.core_pattern"); ok {
			t.Error("core_pattern read as integers")
		}
		if _, ok := r.Ints("net.ipv4.ip_local_reserved_ports"); ok {
			t.Error("an empty value read as integers")
		}
	})
	t.Run("Conf finds an interface whose name has a dot", func(t *testing.T) {
		v, line, ok := r.Conf("vxlan.calico", "rp_filter")
		if v != "1" || line != 23 || !ok {
			t.Errorf("Conf(vxlan.calico) = %q, %d, %v", v, line, ok)
		}
		if v, _, ok := r.Conf("cali9d99c50de22", "proxy_arp"); v != "1" || !ok {
			t.Errorf("Conf(cali…, proxy_arp) = %q, %v", v, ok)
		}
		if _, _, ok := r.Conf("eth1", "rp_filter"); ok {
			t.Error("Conf found a missing interface")
		}
	})
	t.Run("multi-line values are joined", func(t *testing.T) {
		v, line, _ := r.Get("dev.cdrom.info")
		if line != 3 || strings.Count(v, "\n") != 3 || !strings.HasPrefix(v, "CD-ROM information") {
			t.Errorf("dev.cdrom.info = %q on line %d", v, line)
		}
	})
	if got, want := r.Summary(), "29 keys, 3 unreadable"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestSysctlConfFile(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/good/99-kubernetes.conf"))
	if len(ds) != 0 {
		t.Errorf("unexpected diagnostics %v", ds)
	}
	if v, _ := r.Int("net.ipv4.conf.all.rp_filter"); v != 1 {
		t.Errorf("rp_filter = %d, want 1", v)
	}
	if v, line, ok := r.Conf("vxlan.calico", "rp_filter"); v != "0" || line != 6 || !ok {
		t.Errorf("vxlan.calico rp_filter = %q line %d %v", v, line, ok)
	}
	if len(r.Values) != 5 {
		t.Errorf("%d keys, want 5", len(r.Values))
	}
}

func TestHTTPResponseIsNotSysctl(t *testing.T) {
	r, ds := Parse(readFile(t, "testdata/bad/http-response.txt"))
	if len(r.Values) != 0 {
		t.Errorf("values from an HTTP response: %v", r.Values)
	}
	if last := ds[len(ds)-1]; last.Severity.String() != "error" || last.Line != 0 {
		t.Errorf("last diagnostic %v, want a file-level error", last)
	}
}
