package dnslog

import (
	"reflect"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

func TestParse(t *testing.T) {
	type ev struct {
		Line           int
		Pod, Kind, Lvl string
		Upstream       string
	}
	for _, tc := range []struct {
		file   string
		blocks []string
		events []ev
		diags  []string
	}{
		{"coredns-loop.log", []string{"coredns-5d78c9869d-abcde", "coredns-5d78c9869d-fghij"}, []ev{
			{6, "coredns-5d78c9869d-abcde", KindLoop, "fatal", ""},
			{10, "coredns-5d78c9869d-fghij", KindLoop, "fatal", ""},
		}, nil},
		{"coredns-upstream-timeout.log", []string{"kube-system/coredns-7db6d8ff4d-2xk9p"}, []ev{
			{4, "kube-system/coredns-7db6d8ff4d-2xk9p", KindUpstreamTimeout, "error", "10.0.0.2:53"},
			{5, "kube-system/coredns-7db6d8ff4d-2xk9p", KindUpstreamTimeout, "error", "10.0.0.2:53"},
			{6, "kube-system/coredns-7db6d8ff4d-2xk9p", KindUpstreamTimeout, "error", "[fd00::2]:53"},
			{7, "kube-system/coredns-7db6d8ff4d-2xk9p", KindLog, "warning", ""},
		}, nil},
		{"coredns-healthy.log", []string{"coredns-565d847f94-8kq2m"}, nil, nil},
		{"node-local-dns-bind.log", []string{""}, []ev{
			{5, "", KindSetup, "error", ""},
			{6, "", KindBind, "", ""},
		}, nil},
		{"forbidden.log", []string{"coredns-5d78c9869d-abcde"}, nil, []string{"warning@2"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, ds := Parse(parsertest.ReadFile(t, "testdata/"+tc.file))
			if got := parsertest.DiagKeys(ds); !reflect.DeepEqual(got, tc.diags) {
				t.Errorf("diags %v, want %v", got, tc.diags)
			}
			var pods []string
			for _, b := range r.Blocks {
				pods = append(pods, b.Pod)
			}
			if !reflect.DeepEqual(pods, tc.blocks) {
				t.Errorf("blocks %q, want %q", pods, tc.blocks)
			}
			var got []ev
			for _, e := range r.Events {
				u := ""
				if e.Upstream.IsValid() {
					u = e.Upstream.String()
				}
				got = append(got, ev{e.Line, e.Pod, e.Kind, e.Level, u})
			}
			if !reflect.DeepEqual(got, tc.events) {
				t.Errorf("events\n%+v\nwant\n%+v", got, tc.events)
			}
		})
	}
}
