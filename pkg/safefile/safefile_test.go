package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoWriteThroughSymlinksOrOntoDevices plants what an attacker on a shared
// node would: a link at the output name pointing at a file "in /etc" (a temp
// dir standing for it), a link to a directory, a device, a FIFO, an existing
// file; none is written through or replaced, and each refusal says why.
func TestNoWriteThroughSymlinksOrOntoDevices(t *testing.T) {
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	os.Mkdir(etc, 0o755)
	shadow := filepath.Join(etc, "shadow")
	os.WriteFile(shadow, []byte("root:x:0\n"), 0o666)
	link := filepath.Join(dir, "out.tgz")
	os.Symlink(shadow, link)
	dangling := filepath.Join(dir, "dangling.tgz")
	os.Symlink(filepath.Join(etc, "cron.d-new"), dangling)
	dirLink := filepath.Join(dir, "dirlink")
	os.Symlink(etc, dirLink)
	existing := filepath.Join(dir, "existing.tgz")
	os.WriteFile(existing, []byte("old"), 0o644)

	tests := []struct {
		target string
		force  bool
		want   string
	}{
		{link, false, "symbolic link"},
		{link, true, "symbolic link"},
		{dangling, true, "symbolic link"},
		{dirLink, true, "symbolic link"},
		{"/dev/null", false, "a device"},
		{"/dev/null", true, "a device"},
		{etc, true, "a directory"},
		{existing, false, "--force"},
	}
	for _, tt := range tests {
		err := WriteFile(tt.target, []byte("pwned"), tt.force)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("WriteFile(%s, force=%v) = %v, want an error about %q", tt.target, tt.force, err, tt.want)
		}
	}
	if b, _ := os.ReadFile(shadow); string(b) != "root:x:0\n" {
		t.Errorf("written through the link: %q", b)
	}
	if _, err := os.Lstat(filepath.Join(etc, "cron.d-new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dangling link's target was created")
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Errorf("/dev/null is no longer a device: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "old" {
		t.Errorf("existing file replaced without --force")
	}
	// Nothing is left behind by the refusals.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestWriteFileCreatesPrivateFilesAndForceReplacesOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.tgz")
	if err := WriteFile(p, []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if err := WriteFile(p, []byte("two"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("forced write: %q", b)
	}
}

func TestAWorldWritableDirectoryWithoutStickyBitIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	os.Mkdir(dir, 0o777)
	os.Chmod(dir, 0o777)
	if err := WriteFile(filepath.Join(dir, "b.tgz"), []byte("x"), false); err == nil || !strings.Contains(err.Error(), "writable by every user") {
		t.Errorf("got %v", err)
	}
	os.Chmod(dir, 0o777|os.ModeSticky)
	if err := WriteFile(filepath.Join(dir, "b.tgz"), []byte("x"), false); err != nil {
		t.Errorf("a sticky directory (/tmp) refused: %v", err)
	}
}

func TestCommitDoesNotReplaceAFileThatAppearedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.tgz")
	f, err := Create(p, false)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("ours"))
	os.Symlink("/etc/passwd", p) // planted between the check and the rename
	if err := f.Commit(); err == nil {
		t.Fatal("committed over a link planted after the check")
	}
	if fi, _ := os.Lstat(p); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the planted link was replaced")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".b.tgz.tmp-*")); len(m) != 0 {
		t.Errorf("temporary file left: %v", m)
	}
}
