//go:build unix

package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestDirectoryBundleRefusesAFIFOWithoutBlocking(t *testing.T) {
	d := t.TempDir()
	writeFile(t, d, "net/ip-route.txt", []byte(routeTxt))
	if err := os.MkdirAll(filepath.Join(d, "host"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(d, "host", "hostname"), 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, err := Open(d, Options{})
		if err != nil {
			t.Error(err)
			return
		}
		defer b.Close()
		if b.NodeSource != NodeFromFolder || len(b.Warnings) != 1 {
			t.Errorf("node from %s, warnings %q; want the folder and a warning about host/hostname", b.NodeSource, b.Warnings)
		}
		if _, err := b.ReadFile(HostnamePath); !errors.Is(err, ErrSpecialFile) {
			t.Errorf("ReadFile of a FIFO: %v, want ErrSpecialFile", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Open blocked on a FIFO")
	}
}

func TestOpenReadsAnArchiveFromAPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "bundle.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	data := gz(t, makeTar(t, file("node-p/net/ip-route.txt", routeTxt)))
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(data)
		f.Close()
	}()
	parent := extractParent(t)
	b, err := Open(fifo, Options{TempDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := b.ReadFile(IPRoutePath); string(got) != routeTxt || b.Node != "node-p" {
		t.Errorf("read %q, node %q", got, b.Node)
	}
	b.Close()
	assertEmptyDir(t, parent)
}
