package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// diskBytes is the size of the regular files under dir.
func diskBytes(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // removed meanwhile by another worker
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// The run's limit bounds the bytes held at once: a fleet of archives whose
// total exceeds it opens when each bundle is closed once read (its bytes
// given back), concurrently too, while the bytes on the disk and those
// reserved never pass it; an archive over the limit by itself is refused
// all the same, and nothing is left behind either way.
func TestTheRunLimitBoundsTheBytesHeldAtOnce(t *testing.T) {
	src := t.TempDir()
	const limit = 1 << 20
	blob := strings.Repeat("x", 300<<10)
	var fleet []string
	for i := range 8 {
		top := fmt.Sprintf("node-%d", i)
		fleet = append(fleet, writeFile(t, src, top+".tgz", gz(t, makeTar(t, file(top+"/net/ip-route.txt", "default via 10.0.0.1 dev eth0\n"),
			file(top+"/extra/blob.bin", blob)))))
	}
	big := writeFile(t, src, "node-big.tgz", gz(t, makeTar(t, file("node-big/net/ip-route.txt", "default via 10.0.0.1 dev eth0\n"),
		file("node-big/extra/blob.bin", strings.Repeat("x", limit)))))

	for _, tc := range []struct {
		name    string
		paths   []string
		workers int
		// mayFail: more workers than the limit holds bundles at once: a
		// worker finding it full fails the run (it never waits), so
		// whether it fails depends on the timing; the limit holds either way.
		mayFail bool
		wantErr bool
	}{
		{"8 x 300 KiB, one at a time", fleet, 1, false, false},
		{"8 x 300 KiB, two at a time", fleet, 2, false, false},
		{"8 x 300 KiB, three at a time", fleet, 3, false, false},
		{"8 x 300 KiB, eight at a time", fleet, 8, true, false},
		{"one archive over the limit", append(fleet[:2:2], big), 1, false, true},
		{"one archive over the limit, concurrently", append(fleet[:2:2], big), 3, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := extractParent(t)
			o := Options{TempDir: tmp, MaxTotalSize: limit, spent: &budget{}}
			var mu sync.Mutex
			var maxDisk, maxHeld int64
			bs, err := OpenAllFunc(tc.paths, o, tc.workers, func(bs []*Bundle) error {
				d, h := diskBytes(t, tmp), o.spent.used.Load()
				mu.Lock()
				maxDisk, maxHeld = max(maxDisk, d), max(maxHeld, h)
				mu.Unlock()
				for _, b := range bs {
					if err := b.Close(); err != nil {
						return err
					}
				}
				return nil
			})
			switch {
			case tc.wantErr && !errors.Is(err, ErrTooLarge):
				t.Errorf("error %v, want ErrTooLarge", err)
			case tc.mayFail && err != nil && !errors.Is(err, ErrTooLarge):
				t.Errorf("error %v, want none or ErrTooLarge", err)
			case !tc.wantErr && !tc.mayFail && err != nil:
				t.Errorf("error %v, want none: each bundle fits and is closed once read", err)
			case err == nil && len(bs) != len(tc.paths):
				t.Errorf("%d bundles, want %d", len(bs), len(tc.paths))
			}
			if maxDisk > limit || maxHeld > limit {
				t.Errorf("held at once: %d bytes on the disk, %d reserved; limit %d", maxDisk, maxHeld, limit)
			}
			closeAll(bs)
			if u := o.spent.used.Load(); u != 0 {
				t.Errorf("%d bytes still counted once every bundle is closed", u)
			}
			assertEmptyDir(t, tmp)
		})
	}
}
