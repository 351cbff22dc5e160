package yamlnode

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantKinds []string // kind of each object, after Objects
		wantLines []int    // line of each object's name
		wantDiags []string
	}{
		{
			name:      "several documents with a leading separator and an empty document",
			in:        "---\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\nkind: DaemonSet\nmetadata:\n  name: b\n",
			wantKinds: []string{"ConfigMap", "DaemonSet"},
			wantLines: []int{4, 9},
		},
		{
			name:      "kubectl JSON list with CRLF line ends",
			in:        "{\r\n    \"apiVersion\": \"v1\",\r\n    \"items\": [\r\n        {\r\n            \"kind\": \"Node\",\r\n            \"metadata\": {\r\n                \"name\": \"n1\"\r\n            }\r\n        }\r\n    ],\r\n    \"kind\": \"List\"\r\n}\r\n",
			wantKinds: []string{"Node"},
			wantLines: []int{7},
		},
		{
			name:      "prose after a YAML list is cut off at the line yaml names",
			in:        "kind: PodList\nitems:\n- kind: Pod\n  metadata:\n    name: p\n\nThis is what I see.\nAny idea?\n",
			wantKinds: []string{"Pod"},
			wantLines: []int{5},
			wantDiags: []string{"warning@7"},
		},
		{
			name:      "a broken third document keeps the first two",
			in:        "kind: A\nmetadata: {name: a}\n---\nkind: B\nmetadata: {name: b}\n---\nkind: C\nmetadata: {name: [c}\n",
			wantKinds: []string{"A", "B", "C"},
			wantLines: []int{2, 5, 7},
			wantDiags: []string{"warning@8"},
		},
		{
			name:      "a kubectl warning printed before the JSON is skipped",
			in:        "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n{\n  \"kind\": \"Endpoints\",\n  \"metadata\": {\"name\": \"kube-dns\"}\n}\n",
			wantKinds: []string{"Endpoints"},
			wantLines: []int{4},
			wantDiags: []string{"warning@1"},
		},
		{
			name:      "a truncated JSON document yields nothing and says so",
			in:        "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Pod\"",
			wantDiags: []string{"warning@3"},
		},
		{
			name:      "binary content is one error",
			in:        "\x00\x01\x02\x03kind: Pod\n",
			wantDiags: []string{"error@0"},
		},
		{
			name:      "a top-level sequence of objects (calicoctl v1)",
			in:        "- kind: ipPool\n  metadata: {cidr: 10.0.0.0/8}\n- kind: ipPool\n  metadata: {name: x}\n",
			wantKinds: []string{"ipPool", "ipPool"},
			wantLines: []int{1, 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ds diag.List
			objs, _ := Objects(Load([]byte(tt.in), &ds))
			var kinds []string
			var lines []int
			for _, o := range objs {
				kinds = append(kinds, Str(Get(o, "kind")))
				lines = append(lines, ObjectLine(o))
			}
			if !slices.Equal(kinds, tt.wantKinds) || !slices.Equal(lines, tt.wantLines) {
				t.Errorf("objects %v at %v, want %v at %v", kinds, lines, tt.wantKinds, tt.wantLines)
			}
			var got []string
			for _, d := range ds {
				got = append(got, fmt.Sprintf("%s@%d", d.Severity, d.Line))
			}
			if !slices.Equal(got, tt.wantDiags) {
				t.Errorf("diagnostics %v, want %v: %v", got, tt.wantDiags, ds)
			}
		})
	}
}

func TestLoadRefusesOversizeInput(t *testing.T) {
	var ds diag.List
	if docs := Load(make([]byte, MaxInput+1), &ds); docs != nil || len(ds) != 1 || ds[0].Severity != diag.Error {
		t.Errorf("docs %v diags %v", docs, ds)
	}
}

func TestLoadSalvageStaysBoundedOnBigBrokenInput(t *testing.T) {
	// 200k lines with an error near the end: the salvage must read the good
	// part with a handful of parses, not one per line.
	var b bytes.Buffer
	b.WriteString("kind: List\nitems:\n")
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&b, "- kind: Pod\n  metadata:\n    name: p%d\n    namespace: default\n", i)
	}
	b.WriteString("garbage without colon\nmore garbage\n")
	var ds diag.List
	objs, _ := Objects(Load(b.Bytes(), &ds))
	if len(objs) != 50000 || len(ds) != 1 || !strings.Contains(ds[0].Msg, "lines 200003-200004 are skipped") {
		t.Errorf("%d objects, diags %v", len(objs), ds)
	}
}

func TestScalarHelpers(t *testing.T) {
	var ds diag.List
	docs := Load([]byte("a: 1\nb: \"x\"\nc: null\nd: [1]\ne: True\nf: &anc v\ng: *anc\n"), &ds)
	if len(docs) != 1 || len(ds) != 0 {
		t.Fatalf("docs %d diags %v", len(docs), ds)
	}
	m := docs[0]
	if n, ok := Int(Get(m, "a")); !ok || n != 1 {
		t.Errorf("a = %d %v", n, ok)
	}
	if Str(Get(m, "b")) != "x" || Str(Get(m, "c")) != "" || IsScalar(Get(m, "c")) || Str(Get(m, "d")) != "" {
		t.Error("string helpers")
	}
	if v, ok := Bool(Get(m, "e")); !v || !ok {
		t.Error("bool")
	}
	if Str(Get(m, "g")) != "v" {
		t.Error("alias not followed")
	}
	if KeyLine(m, "g") != 7 || KeyLine(m, "zz") != 1 {
		t.Error("key lines")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("kind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n\nprose after\nmore\n"))
	f.Add([]byte("Warning: deprecated\n{\"kind\": \"Endpoints\", \"metadata\": {\"name\": \"x\"}}\n"))
	f.Add([]byte("a: &x [1, 2]\nb: *x\n---\n- kind: ipPool\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ds diag.List
		objs, _ := Objects(Load(data, &ds))
		for _, d := range ds {
			if d.Line < 0 || d.Msg == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		for _, o := range objs {
			_ = ObjectLine(o)
			_ = StringMap(Get(o, "metadata"))
		}
	})
}
