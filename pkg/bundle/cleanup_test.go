package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneExtractionLimitForTheWholeRun: six archives each under the limit but
// over it together are refused at the one that crosses it, naming the run's
// limit, and every folder extracted before is removed.
func TestOneExtractionLimitForTheWholeRun(t *testing.T) {
	src := t.TempDir()
	tmp := extractParent(t)
	const limit = 1 << 20
	var paths []string
	for i := range 6 {
		top := fmt.Sprintf("node-%d", i)
		data := gz(t, makeTar(t, file(top+"/net/ip-route.txt", "default via 10.0.0.1 dev eth0\n"),
			file(top+"/extra/blob.bin", strings.Repeat("x", 400<<10))))
		paths = append(paths, writeFile(t, src, top+".tgz", data))
	}
	// Each alone opens.
	for _, p := range paths {
		b, err := Open(p, Options{TempDir: tmp, MaxTotalSize: limit})
		if err != nil {
			t.Fatalf("%s alone: %v", p, err)
		}
		b.Close()
	}
	bs, err := OpenAll(paths, Options{TempDir: tmp, MaxTotalSize: limit})
	if err == nil {
		closeAll(bs)
		t.Fatal("six archives of 400 KiB opened under a run limit of 1 MiB")
	}
	var be *Error
	if !errors.As(err, &be) || !errors.Is(err, ErrTooLarge) || be.Bundle != paths[2] || !strings.Contains(err.Error(), "all bundles of this run") {
		t.Errorf("error %v, want ErrTooLarge on %s naming the run's limit", err, paths[2])
	}
	assertEmptyDir(t, tmp)
}

// TestAFailedBundleLeavesNoFolder: a corrupt archive after good ones, and a
// txtar over its limit, fail the run with nothing left in the temp folder.
func TestAFailedBundleLeavesNoFolder(t *testing.T) {
	src := t.TempDir()
	tmp := extractParent(t)
	good := writeFile(t, src, "a.tgz", gz(t, makeTar(t, file("node-a/net/ip-route.txt", "default via 10.0.0.1 dev eth0\n"))))
	full := gz(t, makeTar(t, file("node-b/net/ip-route.txt", strings.Repeat("10.0.0.0/24 dev eth0\n", 5000))))
	cut := writeFile(t, src, "b.tgz", full[:len(full)/2])
	if _, err := OpenAll([]string{good, cut}, Options{TempDir: tmp}); err == nil {
		t.Fatal("a truncated archive opened")
	}
	assertEmptyDir(t, tmp)
}

// TestTempRunRemovesItsFolderOnClose: Close removes everything extracted
// under the run, bundles not closed included.
func TestTempRunRemovesItsFolderOnClose(t *testing.T) {
	parent := t.TempDir()
	run, err := NewTempRun(parent, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "a.tgz", gz(t, makeTar(t, file("node-a/net/ip-route.txt", "default via 10.0.0.1 dev eth0\n"))))
	if _, err := Open(p, Options{TempDir: run.Dir}); err != nil {
		t.Fatal(err)
	}
	if err := run.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("left in %s: %v", parent, ents)
	}
	if _, err := os.Stat(filepath.Join(parent, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Error("unexpected file")
	}
}

// TestLinksOutOfADirectoryBundleAreReported: a directory bundle's link to a
// file outside it (or to nothing) is not followed, and a warning names it; a
// link inside the bundle is fine.
func TestLinksOutOfADirectoryBundleAreReported(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "shadow")
	os.WriteFile(secret, []byte("root:x\n"), 0o600)
	dir := filepath.Join(t.TempDir(), "node-a")
	os.MkdirAll(filepath.Join(dir, "net"), 0o755)
	os.MkdirAll(filepath.Join(dir, "ipvs"), 0o755)
	os.WriteFile(filepath.Join(dir, "net", "ip-route.txt"), []byte("default via 10.0.0.1 dev eth0\n"), 0o644)
	os.Symlink(secret, filepath.Join(dir, "ipvs", "ipvsadm-Ln.txt"))
	os.Symlink("../nowhere", filepath.Join(dir, "net", "ip-addr.txt"))
	os.Symlink("ip-route.txt", filepath.Join(dir, "net", "ip-route-all.txt"))
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := strings.Join(b.Warnings, "\n")
	for _, want := range []string{"ipvs/ipvsadm-Ln.txt is not read: a symbolic link to " + secret + ", outside the bundle",
		"net/ip-addr.txt is not read: a symbolic link to ../nowhere, which does not resolve"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if strings.Contains(w, "ip-route-all") {
		t.Errorf("a link inside the bundle was reported:\n%s", w)
	}
	if data, err := fs.ReadFile(b.FS, "ipvs/ipvsadm-Ln.txt"); err == nil {
		t.Errorf("the link out was followed: %q", data)
	}
}
