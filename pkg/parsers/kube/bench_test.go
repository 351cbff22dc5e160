package kube

import (
	"bytes"
	"testing"
)

// bigPodList is `kubectl get pods -A -o json` of a large cluster: the fixture's
// pods repeated n times, about 9 KB each.
func bigPodList(b *testing.B, n int) []byte {
	data := testdata(b, "coredns-pods.json")
	start := bytes.Index(data, []byte("\n        {"))
	end := bytes.LastIndex(data, []byte("\n    ],"))
	if start < 0 || end < start {
		b.Fatal("fixture shape changed")
	}
	items := data[start:end]
	var buf bytes.Buffer
	buf.Write(data[:start])
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(items)
	}
	buf.Write(data[end:])
	return buf.Bytes()
}

func BenchmarkParsePods2000(b *testing.B) {
	data := bigPodList(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, ds := ParsePods(data)
		if len(r.Pods) != 2000 || len(ds) != 0 {
			b.Fatalf("%d pods, %v", len(r.Pods), ds)
		}
	}
}
