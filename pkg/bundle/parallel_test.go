package bundle

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// Archives opened concurrently share the run's extraction limit exactly: the
// bytes of each file are reserved before they are written, so the sum never
// passes the limit whatever the interleaving, and what fits, fits.
func TestOpenAllFuncKeepsTheRunLimitWhenConcurrent(t *testing.T) {
	dir := t.TempDir()
	body := strings.Repeat("x", 1000)
	var paths []string
	for i := range 8 {
		node := fmt.Sprintf("node-%d", i)
		paths = append(paths, writeFile(t, dir, node+".tgz", gz(t, makeTar(t, file(node+"/host/hostname", node+"\n"), file(node+"/net/ip-route.txt", body)))))
	}
	perBundle := int64(len("node-0\n") + len(body))
	for _, tc := range []struct {
		limit   int64
		wantErr bool
	}{
		{8 * perBundle, false},
		{8*perBundle - 1, true},
		{3 * perBundle, true},
	} {
		for _, workers := range []int{1, 4, 8} {
			parent := extractParent(t)
			var calls atomic.Int32
			bs, err := OpenAllFunc(paths, Options{TempDir: parent, MaxTotalSize: tc.limit}, workers, func(bs []*Bundle) error {
				calls.Add(int32(len(bs)))
				return nil
			})
			switch {
			case tc.wantErr && !errors.Is(err, ErrTooLarge):
				t.Errorf("limit %d, %d workers: error %v, want ErrTooLarge", tc.limit, workers, err)
			case !tc.wantErr && err != nil:
				t.Errorf("limit %d, %d workers: %v", tc.limit, workers, err)
			case !tc.wantErr:
				if len(bs) != 8 || calls.Load() != 8 {
					t.Errorf("limit %d, %d workers: %d bundles, fn saw %d", tc.limit, workers, len(bs), calls.Load())
				}
				for i, b := range bs {
					if want := fmt.Sprintf("node-%d", i); b.Node != want {
						t.Errorf("bundle %d is %s, want %s (path order)", i, b.Node, want)
					}
				}
			}
			closeAll(bs)
			assertEmptyDir(t, parent)
		}
	}
}

// An error of fn fails the run like an error opening the path, and closes
// every bundle opened.
func TestOpenAllFuncFailsOnTheCallbacksError(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 6 {
		node := fmt.Sprintf("node-%d", i)
		paths = append(paths, writeFile(t, dir, node+".tgz", gz(t, makeTar(t, file(node+"/host/hostname", node+"\n")))))
	}
	parent := extractParent(t)
	boom := errors.New("boom")
	_, err := OpenAllFunc(paths, Options{TempDir: parent}, 3, func(bs []*Bundle) error {
		if bs[0].Node == "node-4" {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
	assertEmptyDir(t, parent)
}
