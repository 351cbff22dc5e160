package corefile

import (
	"reflect"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		file     string
		source   string
		cm       string
		servers  [][]string
		forwards []Forward
		loopLine int
		diags    []string
	}{
		{"coredns-configmap.yaml", "configmap", "coredns", [][]string{{".:53"}},
			[]Forward{{".:53", "forward", ".", []string{"/etc/resolv.conf"}, 16}}, 20, nil},
		{"rke2-coredns.json", "configmap", "rke2-coredns-rke2-coredns", [][]string{{".:53"}},
			[]Forward{{".:53", "forward", ".", []string{"10.0.0.2", "10.0.0.3"}, 4}}, 4, nil},
		{"Corefile", "corefile", "", [][]string{{"consul.local:53"}, {".:53"}},
			[]Forward{{"consul.local:53", "forward", ".", []string{"10.150.0.1"}, 5}, {".:53", "proxy", ".", []string{"8.8.8.8:53", "8.8.4.4:53"}, 12}}, 0, nil},
		{"bad-unbalanced.yaml", "configmap", "coredns", [][]string{{".:53"}},
			[]Forward{{".:53", "forward", ".", []string{"/etc/resolv.conf"}, 9}}, 0, []string{"warning@9"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, ds := Parse(parsertest.ReadFile(t, "testdata/"+tc.file))
			if got := parsertest.DiagKeys(ds); !reflect.DeepEqual(got, tc.diags) {
				t.Errorf("diags %v, want %v (%v)", got, tc.diags, ds)
			}
			if r.Source != tc.source || r.ConfigMap != tc.cm {
				t.Errorf("source %s cm %s", r.Source, r.ConfigMap)
			}
			var keys [][]string
			for _, s := range r.Servers {
				keys = append(keys, s.Keys)
			}
			if !reflect.DeepEqual(keys, tc.servers) {
				t.Errorf("servers %q", keys)
			}
			if got := r.Forwards(); !reflect.DeepEqual(got, tc.forwards) {
				t.Errorf("forwards %+v\nwant %+v", got, tc.forwards)
			}
			if l, _ := r.Has("loop"); l != tc.loopLine {
				t.Errorf("loop at %d, want %d", l, tc.loopLine)
			}
		})
	}
}

func TestPluginBlocks(t *testing.T) {
	r, _ := Parse(parsertest.ReadFile(t, "testdata/coredns-configmap.yaml"))
	k := r.Servers[0].Plugins[3]
	want := Plugin{Name: "kubernetes", Args: []string{"cluster.local", "in-addr.arpa", "ip6.arpa"}, Line: 10, Block: []Directive{
		{"pods", []string{"insecure"}, 11}, {"fallthrough", []string{"in-addr.arpa", "ip6.arpa"}, 12}, {"ttl", []string{"30"}, 13}}}
	if !reflect.DeepEqual(k, want) {
		t.Errorf("got %+v", k)
	}
	if got := tokenize(`import "a b" {$X} # c`); !reflect.DeepEqual(got, []string{"import", "a b", "{$X}"}) {
		t.Errorf("tokenize %q", got)
	}
}

func TestNotAConfigMap(t *testing.T) {
	_, ds := Parse([]byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n"))
	if got := parsertest.DiagKeys(ds); !reflect.DeepEqual(got, []string{"error@0"}) {
		t.Errorf("diags %v", got)
	}
	_, ds = Parse([]byte("just some words\n"))
	if got := parsertest.DiagKeys(ds); !reflect.DeepEqual(got, []string{"warning@1", "error@0"}) {
		t.Errorf("diags %v", got)
	}
}
