package collect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCollectNeverWritesThroughLinksOrOntoDevices: a link planted at the
// bundle's or the mapping's name (pointing at a world-writable file in an
// "/etc" of a temp dir), -o /dev/null, and an existing bundle are refused
// before anything is collected, with the reason, and none is touched; --force
// replaces a regular file only.
func TestCollectNeverWritesThroughLinksOrOntoDevices(t *testing.T) {
	f := newFakeNode(t)
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	os.Mkdir(etc, 0o755)
	victim := filepath.Join(etc, "crontab")
	os.WriteFile(victim, []byte("# system crontab\n"), 0o666)

	bundleLink := filepath.Join(dir, "a.tgz")
	os.Symlink(victim, bundleLink)
	mapOut := filepath.Join(dir, "b.tgz")
	os.Symlink(victim, MappingPath(mapOut))
	existing := filepath.Join(dir, "c.tgz")
	os.WriteFile(existing, []byte("earlier bundle"), 0o600)

	tests := []struct {
		name      string
		out       string
		obfuscate bool
		force     bool
		want      string
	}{
		{"link at the bundle", bundleLink, false, false, "symbolic link"},
		{"link at the bundle, forced", bundleLink, false, true, "symbolic link"},
		{"link at the mapping", mapOut, true, true, "obfuscation mapping"},
		{"device", "/dev/null", false, true, "a device"},
		{"existing bundle", existing, false, false, "--force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := f.options(tt.out)
			o.Obfuscate, o.Force = tt.obfuscate, tt.force
			_, err := Collect(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Collect -o %s: %v, want an error about %q", tt.out, err, tt.want)
			}
			if strings.Contains(o.Progress.(*syncBuffer).String(), "collecting node") {
				t.Errorf("collected before refusing")
			}
		})
	}
	if b, _ := os.ReadFile(victim); string(b) != "# system crontab\n" {
		t.Errorf("written through a link: %q", b)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Errorf("/dev/null replaced: %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "earlier bundle" {
		t.Errorf("existing bundle replaced without --force")
	}

	// --force replaces the regular file; bundle and mapping are private.
	o := f.options(existing)
	o.Force, o.Obfuscate = true, true
	res, err := Collect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{res.Path, res.MappingPath} {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", p, fi.Mode(), err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
