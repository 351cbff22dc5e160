package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleManifest() *Manifest {
	zero, one := 0, 1
	return &Manifest{
		Schema:      SchemaV1,
		Node:        "node-a",
		CollectedAt: time.Date(2024, 5, 1, 12, 15, 0, 0, time.FixedZone("CEST", 2*3600)),
		Collector:   Collector{Name: "podnetdiag", Version: "0.1.0"},
		Items: []Item{
			{Path: IPRoutePath, Source: SourceNetlink, Status: StatusOK, DurationMs: 3},
			{Path: IPVSPath, Source: SourceCommand, Command: "ipvsadm -Ln", Status: StatusError, Error: "exit status 2", DurationMs: 12, ExitCode: &one},
			{Path: IPTablesSavePath, Source: SourceCommand, Command: "iptables-save -c", Status: StatusOK, ExitCode: &zero, Partial: true},
			{Path: "pcap/eth0.pcap", Source: SourceCapture, Status: StatusSkipped, Error: "no CAP_NET_RAW"},
		},
		Redactions: []Redaction{{File: CalicoEnvPath, Key: "FELIX_TYPHAK8SSERVICENAME_TOKEN", Reason: "token"}},
	}
}

func TestWriterRoundTrip(t *testing.T) {
	work, parent := t.TempDir(), extractParent(t)
	pcap := writeFile(t, work, "capture.pcap", bytes.Repeat([]byte{0xd4, 0xc3, 0xb2, 0xa1}, 300_000))
	files := map[string]string{
		IPRoutePath:                         routeTxt,
		HostnamePath:                        "node-a\n",
		"ethtool/eth0.txt":                  "Features for eth0:\n",
		"counters/after/ethtool-S-eth0.txt": "NIC statistics:\n",
		"empty.txt":                         "",
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, "node-a-20240501T101500Z")
	w.SetManifest(sampleManifest())
	for name, body := range files {
		if err := w.AddFile(name, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddFromDisk("pcap/eth0.pcap", pcap); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := Open(writeFile(t, work, "node-a.tgz", buf.Bytes()), Options{TempDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := bundleFiles(t, b)
	manifestJSON := got[ManifestPath]
	delete(got, ManifestPath)
	want := maps.Clone(files)
	want["pcap/eth0.pcap"] = string(bytes.Repeat([]byte{0xd4, 0xc3, 0xb2, 0xa1}, 300_000))
	if !maps.Equal(got, want) {
		t.Errorf("files differ after the round trip")
	}
	if b.Node != "node-a" || b.NodeSource != NodeFromManifest || len(b.Warnings) != 0 {
		t.Errorf("node %q from %s, warnings %q", b.Node, b.NodeSource, b.Warnings)
	}
	wantM := sampleManifest()
	wantM.CollectedAt = wantM.CollectedAt.UTC()
	if !reflect.DeepEqual(b.Manifest, wantM) {
		t.Errorf("manifest = %+v, want %+v", b.Manifest, wantM)
	}
	for _, key := range []string{`"schema": "podnet-bundle/v1"`, `"collectedAt": "2024-05-01T10:15:00Z"`, `"durationMs": 12`,
		`"collector": {`, `"items": [`, `"redactions": [`, `"command": "ipvsadm -Ln"`, `"exitCode": 1`, `"partial": true`, `"error": "no CAP_NET_RAW"`} {
		if !strings.Contains(manifestJSON, key) {
			t.Errorf("manifest.json lacks %s:\n%s", key, manifestJSON)
		}
	}
	if it, ok := b.Manifest.Lookup(IPVSPath); !ok || it.Status != StatusError {
		t.Errorf("Lookup(ipvs) = %+v, %v", it, ok)
	}
}

func TestWriterOutputIsDeterministicAndSorted(t *testing.T) {
	build := func(order []string) []byte {
		var buf bytes.Buffer
		w := NewWriter(&buf, "top")
		w.SetModTime(time.Date(2024, 5, 1, 10, 15, 0, 999, time.UTC))
		for _, n := range order {
			if err := w.AddFile(n, []byte(n)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	names := []string{"net/ip-route.txt", "host/hostname", "net/ip-addr.txt", "counters/after/x", "a.txt"}
	a := build(names)
	b := build([]string{names[3], names[1], names[4], names[0], names[2]})
	if !bytes.Equal(a, b) {
		t.Fatal("the order of AddFile changed the output")
	}

	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h.Name)
		wantMode := int64(0o644)
		if h.Typeflag == tar.TypeDir {
			wantMode = 0o755
		}
		if h.Mode != wantMode || h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" ||
			!h.ModTime.Equal(time.Date(2024, 5, 1, 10, 15, 0, 0, time.UTC)) {
			t.Errorf("%s: mode %o uid %d gid %d %s/%s mtime %v", h.Name, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
	}
	want := []string{"top/", "top/counters/", "top/counters/after/", "top/host/", "top/net/",
		"top/a.txt", "top/counters/after/x", "top/host/hostname", "top/net/ip-addr.txt", "top/net/ip-route.txt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
}

func TestWriterRefusesBadInput(t *testing.T) {
	src := writeFile(t, t.TempDir(), "src", []byte("x"))
	tests := []struct {
		name string
		top  string
		do   func(w *Writer) error
		kind error
	}{
		{"a top folder with a slash is refused", "a/b", func(w *Writer) error { return w.AddFile("x", nil) }, ErrUnsafeName},
		{"a top folder climbing out is refused", "..", func(w *Writer) error { return w.Close() }, ErrUnsafeName},
		{"an unclean name is refused", "top", func(w *Writer) error { return w.AddFile("./net//x", nil) }, ErrUnsafeName},
		{"a climbing name is refused", "top", func(w *Writer) error { return w.AddFile("../x", nil) }, ErrUnsafeName},
		{"a file added twice is refused", "top", func(w *Writer) error {
			w.AddFile("net/x", nil)
			return w.AddFromDisk("net/x", src)
		}, ErrDuplicate},
		{"a file under a file is refused", "top", func(w *Writer) error {
			w.AddFile("net/x", nil)
			return w.AddFile("net/x/y", nil)
		}, ErrDuplicate},
		{"a file over a folder is refused", "top", func(w *Writer) error {
			w.AddFile("net/x/y", nil)
			return w.AddFile("net/x", nil)
		}, ErrDuplicate},
		{"a manifest also added as a file is refused", "top", func(w *Writer) error {
			w.AddFile(ManifestPath, []byte("{}"))
			w.SetManifest(sampleManifest())
			return w.Close()
		}, ErrDuplicate},
		{"a missing source file is refused when added", "top", func(w *Writer) error {
			return w.AddFromDisk("pcap/x.pcap", filepath.Join(t.TempDir(), "missing"))
		}, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do(NewWriter(io.Discard, tt.top))
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want kind %v", err, tt.kind)
			}
		})
	}
}

func TestWriterReportsASourceThatShrank(t *testing.T) {
	src := writeFile(t, t.TempDir(), "src", bytes.Repeat([]byte("x"), 1000))
	w := NewWriter(io.Discard, "top")
	if err := w.AddFromDisk("pcap/x.pcap", src); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "pcap/x.pcap") {
		t.Errorf("Close with a vanished source: %v", err)
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantErr   bool
		wantNode  string
		wantWarns int
	}{
		{"a collector manifest is read without warnings", `{"schema":"podnet-bundle/v1","node":"n","collectedAt":"2024-05-01T10:15:00.123Z","collector":{"name":"c","version":"1"},"items":[{"path":"net/ip-route.txt","source":"netlink","status":"ok","durationMs":1}]}`, false, "n", 0},
		{"unknown fields are ignored", `{"schema":"podnet-bundle/v1","node":"n","future":{"x":1},"items":[]}`, false, "n", 0},
		{"a BOM is accepted", "\ufeff{\"schema\":\"podnet-bundle/v1\",\"node\":\"n\"}", false, "n", 0},
		{"null is not a manifest", `null`, true, "", 0},
		{"an array is not a manifest", `[]`, true, "", 0},
		{"a wrongly typed field is an error", `{"node": 5}`, true, "", 0},
		{"a missing schema is a warning", `{"node":"n"}`, false, "n", 1},
		{"a thousand bad items give a bounded list of warnings", `{"schema":"podnet-bundle/v1","items":[` + strings.Repeat(`{"path":"","source":"x","status":"y"},`, 999) + `{}]}`, false, "", maxManifestWarnings + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, warns, err := ParseManifest([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if m.Node != tt.wantNode || len(warns) != tt.wantWarns {
				t.Errorf("node %q, warnings %q; want %q and %d warnings", m.Node, warns, tt.wantNode, tt.wantWarns)
			}
		})
	}
}
