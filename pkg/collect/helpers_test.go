package collect

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
)

// fakeNode is a node's filesystem (Root) and a PATH of fake commands, so that
// a collection runs without touching the machine's own state.
type fakeNode struct {
	t    *testing.T
	root string
	bin  string
	env  map[string]string
}

func newFakeNode(t *testing.T) *fakeNode {
	t.Helper()
	d := t.TempDir()
	f := &fakeNode{t: t, root: filepath.Join(d, "root"), bin: filepath.Join(d, "bin"), env: map[string]string{}}
	for _, dir := range []string{f.bin, f.root} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.file("proc/sys/kernel/hostname", "node-a\n")
	f.file("proc/sys/kernel/ostype", "Linux\n")
	f.file("proc/sys/kernel/osrelease", "5.15.0-91-generic\n")
	f.file("proc/sys/kernel/version", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023\n")
	f.file("etc/os-release", "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n")
	f.file("etc/resolv.conf", "nameserver 192.168.20.1\nsearch corp.example\n")
	f.file("proc/net/snmp", "Ip: Forwarding DefaultTTL\nIp: 1 64\nUdp: InDatagrams NoPorts InErrors\nUdp: 10 0 0\n")
	f.file("proc/net/netstat", "TcpExt: SyncookiesSent\nTcpExt: 0\n")
	return f
}

func (f *fakeNode) file(rel, content string) string {
	f.t.Helper()
	p := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// script installs an executable command in the fake PATH.
func (f *fakeNode) script(name, body string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		f.t.Fatal(err)
	}
}

// fakeNative renders canned command-format text, as pkg/nativenet would.
func fakeNative() *Native {
	return &Native{
		IPRoute: func() ([]byte, error) {
			return []byte("default via 192.168.20.1 dev eth0 proto static\n192.168.20.0/24 dev eth0 proto kernel scope link src 192.168.20.11\n10.244.1.0/26 via 192.168.20.12 dev tunl0 proto bird onlink\n"), nil
		},
		IPLink: func() ([]byte, error) {
			return []byte("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n    link/ether 52:54:00:8a:11:20 brd ff:ff:ff:ff:ff:ff\n"), nil
		},
		IPAddr: func() ([]byte, error) {
			return []byte("2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether 52:54:00:8a:11:20 brd ff:ff:ff:ff:ff:ff\n    inet 192.168.20.11/24 brd 192.168.20.255 scope global eth0\n       valid_lft forever preferred_lft forever\n"), nil
		},
		IPRule: func() ([]byte, error) {
			return []byte("0:\tfrom all lookup local\n32766:\tfrom all lookup main\n"), nil
		},
		IPNeigh: func() ([]byte, error) {
			return []byte("192.168.20.1 dev eth0 lladdr 52:54:00:00:00:01 REACHABLE\n"), nil
		},
		BridgeFDB:  func() ([]byte, error) { return []byte(""), nil },
		IPRouteAll: func() ([]byte, error) { return []byte("default via 192.168.20.1 dev eth0 proto static\n"), nil },
		Sysctl:     func(string) ([]byte, error) { return []byte("net.ipv4.ip_forward = 1\n"), nil },
		RouteGet: func(addrs []netip.Addr) ([]byte, error) {
			var b strings.Builder
			for _, a := range addrs {
				b.WriteString("# ip route get " + a.String() + "\n" + a.String() + " via 192.168.20.1 dev eth0 src 192.168.20.11 uid 0\n    cache\n")
			}
			return []byte(b.String()), nil
		},
	}
}

func (f *fakeNode) options(out string) Options {
	zero := 0
	return Options{
		Output:      out,
		Root:        f.root,
		Path:        f.bin,
		Node:        "node-a",
		Env:         func(k string) string { return f.env[k] },
		UID:         &zero,
		Native:      fakeNative(),
		ItemTimeout: 2 * time.Second,
		Timeout:     30 * time.Second,
		Version:     "test",
		Progress:    &syncBuffer{},
		Now:         func() time.Time { return time.Date(2024, 5, 1, 10, 15, 0, 0, time.UTC) },
	}
}

// syncBuffer is a bytes.Buffer safe for the workers' concurrent progress lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// unpack reads every file of a bundle .tgz: path (under the top folder) ->
// content, and the top folder.
func unpack(t *testing.T, path string) (map[string][]byte, string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	top := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		first, rest, _ := strings.Cut(h.Name, "/")
		top = first
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[rest] = b
	}
	return files, top
}

// collectOK runs a collection that must write a bundle.
func collectOK(t *testing.T, o Options) (*Result, map[string][]byte, string) {
	t.Helper()
	res, err := Collect(context.Background(), o)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	files, top := unpack(t, res.Path)
	m, warns, err := bundle.ParseManifest(files[bundle.ManifestPath])
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	for _, w := range append(warns, m.Validate()...) {
		t.Errorf("manifest: %s", w)
	}
	return res, files, top
}

// item returns the last attempt recorded for path.
func item(t *testing.T, res *Result, path string) bundle.Item {
	t.Helper()
	it, ok := res.Manifest.Lookup(path)
	if !ok {
		t.Fatalf("no manifest item for %s", path)
	}
	return it
}

type diagT = diag.Diagnostic

const diagError = diag.Error

// tarballBytes returns a bundle's bytes as written and its tar stream
// unzipped: a secret must be in neither, whatever the compression hides.
func tarballBytes(t *testing.T, path string) (gz, rawTar []byte) {
	t.Helper()
	gz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	rawTar, err = io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return gz, rawTar
}
