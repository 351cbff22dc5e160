package calicolog

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func TestAutodetectWordings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Autodetect
	}{
		{
			name: "first-found names the interface before the address",
			in:   "2023-01-01 10:00:00.000 [INFO][9] startup/startup.go 640: Using autodetected IPv4 address on interface eth0: 10.0.0.11/24",
			want: []Autodetect{{Line: 1, Version: 4, Method: "first-found", Interface: "eth0", Addr: pfx("10.0.0.11/24")}},
		},
		{
			name: "skip-interface appends a clause after the address",
			in:   "2023-01-01 10:00:00.000 [INFO][9] startup/autodetection_methods.go 180: Using autodetected IPv4 address on interface ens4: 10.0.0.11/24 while skipping matching interfaces",
			want: []Autodetect{{Line: 1, Version: 4, Method: "skip-interface", Interface: "ens4", Addr: pfx("10.0.0.11/24")}},
		},
		{
			name: "interface= says on matching interface",
			in:   "2023-01-01 10:00:00.000 [INFO][9] startup/autodetection_methods.go 130: Using autodetected IPv4 address 10.0.0.11/24 on matching interface bond0",
			want: []Autodetect{{Line: 1, Version: 4, Method: "interface", Interface: "bond0", Addr: pfx("10.0.0.11/24")}},
		},
		{
			name: "can-reach names the destination",
			in:   "2023-01-01 10:00:00.000 [INFO][9] startup/autodetection_methods.go 160: Using autodetected IPv4 address 10.0.0.11/24, detected by connecting to 10.0.0.1",
			want: []Autodetect{{Line: 1, Version: 4, Method: "can-reach", Addr: pfx("10.0.0.11/24"), Target: "10.0.0.1"}},
		},
		{
			name: "cidr= names the interface and the cidrs",
			in:   "2023-01-01 10:00:00.000 [INFO][9] startup/autodetection_methods.go 145: Using autodetected IPv6 address fd00::11/64 on interface eth1 matching cidrs [{fd00:: ffff:ffff:ffff:ffff::}]",
			want: []Autodetect{{Line: 1, Version: 6, Method: "cidr", Interface: "eth1", Addr: pfx("fd00::11/64")}},
		},
		{
			name: "an address from the environment is a host prefix unless it has a mask",
			in:   "2023-01-01 10:00:00.000 [INFO][9] startup/startup.go 690: Using IPv4 address from environment: IP=10.0.0.11",
			want: []Autodetect{{Line: 1, Version: 4, Method: "env", Addr: pfx("10.0.0.11/32")}},
		},
		{
			name: "kubernetes-internal-ip reports the interface subnet as a logrus field",
			in:   `2024-06-13 11:13:52.151 [INFO][8] startup/autodetection_methods.go 225: Including CIDR information from host interface. CIDR="172.29.231.161/24"`,
			want: []Autodetect{{Line: 1, Version: 4, Method: "local-cidr", Addr: pfx("172.29.231.161/24")}},
		},
		{
			name: "a failed autodetection that keeps the old value",
			in:   "2023-01-01 10:00:00.000 [WARNING][9] startup/startup.go 700: Autodetection of IPv4 address failed, keeping existing value: 10.0.0.11/24",
			want: []Autodetect{{Line: 1, Version: 4, Method: "existing", Addr: pfx("10.0.0.11/24")}},
		},
		{
			name: "the discovered-on-interface wording",
			in:   "IPv4 address 10.0.0.11 discovered on interface eth0",
			want: []Autodetect{{Line: 1, Version: 4, Method: "discovered", Interface: "eth0", Addr: pfx("10.0.0.11/32")}},
		},
		{
			name: "other IPv4 chatter is not an autodetection",
			in:   "2024-06-13 11:13:52.151 [INFO][8] startup/startup.go 559: Node IPv4 changed, will check for conflicts",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ds := Parse([]byte(tt.in))
			if len(ds) != 0 {
				t.Errorf("diagnostics: %v", ds)
			}
			if !reflect.DeepEqual(res.Autodetect, tt.want) {
				t.Errorf("Autodetect = %+v, want %+v", res.Autodetect, tt.want)
			}
		})
	}
}

func TestEvents(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{
			name: "the address conflict names the other node and the address without the full stop",
			in:   "2024-06-13 11:13:52.155 [WARNING][8] startup/startup.go 983: Calico node 'master-172-29-231-76' is already using the IPv4 address 172.29.231.0.",
			want: []Event{{Line: 1, Kind: KindAddressConflict, Time: "2024-06-13 11:13:52.155", Level: "warning", Component: "startup/startup.go",
				Msg: "Calico node 'master-172-29-231-76' is already using the IPv4 address 172.29.231.0.", Name: "master-172-29-231-76", Addr: addr("172.29.231.0")}},
		},
		{
			name: "the fatal loose-RPF refusal",
			in:   "2020-08-29 14:25:54.221 [FATAL][558] int_dataplane.go 1035: Kernel's RPF check is set to 'loose'.  This would allow endpoints to spoof their IP address.",
			want: []Event{{Line: 1, Kind: KindRPFLoose, Time: "2020-08-29 14:25:54.221", Level: "fatal", Component: "int_dataplane.go",
				Msg: "Kernel's RPF check is set to 'loose'.  This would allow endpoints to spoof their IP address."}},
		},
		{
			name: "the 2016 Python felix wording with comma milliseconds and a pid/tid",
			in:   "2016-09-21 14:08:10,409 [CRITICAL][1234/5] calico.felix.devices 123: Kernel's RPF check is set to 'loose'.  This would allow endpoints to spoof their IP address.",
			want: []Event{{Line: 1, Kind: KindRPFLoose, Time: "2016-09-21 14:08:10,409", Level: "fatal", Component: "calico.felix.devices",
				Msg: "Kernel's RPF check is set to 'loose'.  This would allow endpoints to spoof their IP address."}},
		},
		{
			name: "kubectl --timestamps prefix and the iptables backend field",
			in:   `2024-03-12T09:40:52.473812345Z 2024-03-12 09:40:52.473 [INFO][62] felix/feature_detect.go 327: Looked up iptables command backendMode="nft" candidates=[]string{"iptables-nft-save", "iptables-save"} command="iptables-nft-save"`,
			want: []Event{{Line: 1, Kind: KindIptablesBackend, Time: "2024-03-12T09:40:52.473812345Z", Level: "info", Component: "felix/feature_detect.go",
				Msg: `Looked up iptables command backendMode="nft" candidates=[]string{"iptables-nft-save", "iptables-save"} command="iptables-nft-save"`, Value: "nft"}},
		},
		{
			name: "a CRI log line with stream and tag, carrying a vxlan MTU failure",
			in:   "2024-03-12T09:40:52.650Z stderr F 2024-03-12 09:40:52.650 [WARNING][62] felix/vxlan_mgr.go 601: Failed to set vxlan tunnel device MTU error=invalid argument mtu=1450",
			want: []Event{{Line: 1, Kind: KindMTUError, Time: "2024-03-12T09:40:52.650Z", Level: "warning", Component: "felix/vxlan_mgr.go",
				Msg: "Failed to set vxlan tunnel device MTU error=invalid argument mtu=1450", Value: "1450"}},
		},
		{
			name: "docker json-file wraps a BIRD line",
			in:   `{"log":"bird: BGP: Unexpected connect from unknown address 10.252.21.153 (port 27467)\n","stream":"stdout","time":"2018-06-01T01:00:05.229Z"}`,
			want: []Event{{Line: 1, Kind: KindBGP, Time: "2018-06-01T01:00:05.229Z", Level: "warning", Component: "bird",
				Msg: "BGP: Unexpected connect from unknown address 10.252.21.153 (port 27467)", Addr: addr("10.252.21.153")}},
		},
		{
			name: "a BIRD session error names the protocol and its peer",
			in:   "2017-08-05_09:50:25.95629 bird: Mesh_10_39_1_219: Error: Hold timer expired",
			want: []Event{{Line: 1, Kind: KindBGP, Time: "2017-08-05_09:50:25.95629", Level: "error", Component: "bird",
				Msg: "Mesh_10_39_1_219: Error: Hold timer expired", Name: "Mesh_10_39_1_219", Addr: addr("10.39.1.219")}},
		},
		{
			name: "logrus JSON with an error level is an error event",
			in:   `{"level":"error","msg":"Failed to connect to typha","time":"2024-01-01T00:00:00Z","logger":"felix"}`,
			want: []Event{{Line: 1, Kind: KindLog, Time: "2024-01-01T00:00:00Z", Level: "error", Component: "felix", Msg: "Failed to connect to typha"}},
		},
		{
			name: "a klog error line",
			in:   "E0613 11:13:52.151234       1 reflector.go:138] failed to list *v1.Node: Unauthorized",
			want: []Event{{Line: 1, Kind: KindLog, Level: "error", Component: "reflector.go", Msg: "failed to list *v1.Node: Unauthorized"}},
		},
		{
			name: "a Go panic",
			in:   "panic: runtime error: invalid memory address or nil pointer dereference",
			want: []Event{{Line: 1, Kind: KindLog, Level: "panic", Component: "go", Msg: "panic: runtime error: invalid memory address or nil pointer dereference"}},
		},
		{
			name: "informational lines and free text are ignored",
			in: "2024-03-12 09:40:51.103 [INFO][9] startup/utils.go 127: Using NODENAME environment for node name node-b\n" +
				"bird: device1: Initializing\nCalico node started successfully\n{not json\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ds := Parse([]byte(tt.in))
			if len(ds) != 0 {
				t.Errorf("diagnostics: %v", ds)
			}
			if !reflect.DeepEqual(res.Events, tt.want) {
				t.Errorf("Events =\n%+v\nwant\n%+v", res.Events, tt.want)
			}
		})
	}
}

func TestFixture(t *testing.T) {
	res, ds := Parse(readFixture(t, "calico-node-ipip-wrong-iface.log"))
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	if res.Lines != 48 || res.NodeName != "node-b" {
		t.Errorf("Lines=%d NodeName=%q", res.Lines, res.NodeName)
	}
	want := []Autodetect{{Line: 9, Version: 4, Method: "first-found", Interface: "br-5f3c2a1b9e07", Addr: pfx("172.18.0.1/16")}}
	if !reflect.DeepEqual(res.Autodetect, want) {
		t.Errorf("Autodetect = %+v", res.Autodetect)
	}
	if res.BackendMode != "legacy" {
		t.Errorf("BackendMode = %q", res.BackendMode)
	}
	if res.RPFLoose == nil || res.RPFLoose.Line != 38 || res.RPFLoose.Value != "ignored" || res.RPFLoose.Level != "warning" {
		t.Errorf("RPFLoose = %+v", res.RPFLoose)
	}
	if len(res.FelixParams) != 9 {
		t.Errorf("%d felix params, want 9", len(res.FelixParams))
	}
	// The datastore value comes later and wins; both sources are kept.
	if p, ok := res.Param("VXLANPort"); !ok || p.Value != "4799" || p.Source != "datastore (global)" || p.Line != 33 {
		t.Errorf("Param(VXLANPort) = %+v, %v", p, ok)
	}
	if p := res.FelixParams[3]; p != (Param{Line: 30, Name: "VXLANPort", Value: "4789", Source: "environment variable"}) {
		t.Errorf("FelixParams[3] = %+v", p)
	}
	var errLines []int
	for _, e := range res.Errors {
		errLines = append(errLines, e.Line)
	}
	if want := []int{38, 40, 44, 45, 46, 47}; !reflect.DeepEqual(errLines, want) {
		t.Errorf("error lines = %v, want %v (%+v)", errLines, want, res.Errors)
	}
	if e := res.Errors[4]; e.Addr != addr("192.168.10.13") || e.Kind != KindBGP {
		t.Errorf("unexpected-connect event = %+v", e)
	}
	var mtu []string
	for _, e := range res.Events {
		if e.Kind == KindMTU || e.Kind == KindMTUError {
			mtu = append(mtu, e.Kind+"="+e.Value)
		}
	}
	if want := []string{"mtu=1480", "mtu-error=1480"}; !reflect.DeepEqual(mtu, want) {
		t.Errorf("MTU events = %v, want %v", mtu, want)
	}
	if got, want := res.Summary(), "48 lines, 21 events, 6 warnings/errors, 9 felix params; node address 172.18.0.1/16 on br-5f3c2a1b9e07 (first-found); iptables legacy; loose RPF"; got != want {
		t.Errorf("Summary() = %q\nwant        %q", got, want)
	}
}

func TestBinaryInputIsAnError(t *testing.T) {
	res, ds := Parse([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xfe"))
	if len(ds) != 1 || ds[0].Severity.String() != "error" || res == nil {
		t.Errorf("diagnostics = %v", ds)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.log"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"log":"{\"level\":\"warn\",\"msg\":\"MTU x mtu=\\\"1\"}"}` + "\n2024-01-01T00:00:00Z stdout P 1 [E]\nUsing autodetected IPv\nUsing IPv4 address from environment: \nkeeping existing value: \n discovered on interface \nbird: : \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, ds := Parse(data)
		if res == nil {
			t.Fatal("nil Result")
		}
		for _, d := range ds {
			if d.Line < 0 || d.Msg == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		_ = res.Summary()
	})
}
