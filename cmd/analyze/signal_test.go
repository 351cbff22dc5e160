//go:build linux || darwin

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podnetdiag/podnetdiag/internal/cli/analyze"
)

// The test binary doubles as the analyze command: with PND_RUN_ANALYZE set it
// runs main, so that a test can kill a real analyze process.
func TestMain(m *testing.M) {
	if os.Getenv("PND_RUN_ANALYZE") == "1" {
		code := analyze.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		if f := os.Getenv("PND_HWM_FILE"); f != "" {
			// Peak RSS of this process, for the hostile-input tests.
			st, _ := os.ReadFile("/proc/self/status")
			os.WriteFile(f, st, 0o600)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// zeroTgz writes a bundle archive whose one big file (zeros, tiny once
// compressed) takes a while to unpack.
func zeroTgz(t *testing.T, path, top string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	route := []byte("default via 10.0.0.1 dev eth0\n")
	tw.WriteHeader(&tar.Header{Name: top + "/net/ip-route.txt", Mode: 0o644, Size: int64(len(route)), Typeflag: tar.TypeReg})
	tw.Write(route)
	tw.WriteHeader(&tar.Header{Name: top + "/extra/blob.bin", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	io.CopyN(tw, zeroReader{}, size)
	tw.Close()
	zw.Close()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestAnalyzeKilledLeavesNothingBehind kills analyze with each of SIGINT,
// SIGTERM and SIGHUP while it unpacks bundles, and checks that it exits with
// 128+signal, says so, and leaves nothing in its $TMPDIR.
func TestAnalyzeKilledLeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("unpacks a few hundred MB")
	}
	src := t.TempDir()
	var args []string
	for i := range 6 {
		p := filepath.Join(src, fmt.Sprintf("node-%d.tgz", i))
		zeroTgz(t, p, fmt.Sprintf("node-%d", i), 48<<20)
		args = append(args, p)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			var stderr bytes.Buffer
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "PND_RUN_ANALYZE=1", "TMPDIR="+tmp)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until the first archive is being unpacked.
			deadline := time.Now().Add(30 * time.Second)
			for !unpacking(tmp) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("analyze never started unpacking")
				}
				time.Sleep(2 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Errorf("exit: %v, want status %d; stderr: %s", err, 128+int(sig), stderr.String())
			}
			if !strings.Contains(stderr.String(), "the unpacked bundles were removed") {
				t.Errorf("stderr: %q", stderr.String())
			}
			left, _ := filepath.Glob(filepath.Join(tmp, "*"))
			if len(left) != 0 {
				t.Errorf("left behind in $TMPDIR: %v", left)
			}
		})
	}
}

// unpacking: a file has appeared under the run's folder.
func unpacking(tmp string) bool {
	m, _ := filepath.Glob(filepath.Join(tmp, "podnetdiag-run-*", "*", "*"))
	return len(m) > 0
}
