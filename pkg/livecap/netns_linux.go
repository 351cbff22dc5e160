//go:build linux

package livecap

import (
	"runtime"

	"github.com/vishvananda/netns"
)

// inNetns runs fn on a thread switched into the namespace at path (the
// caller's own when path is empty). Sockets fn opens stay in that namespace
// and may then be used from any goroutine.
func inNetns(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	target, err := netns.GetFromPath(path)
	if err != nil {
		return err
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(target); err != nil {
			errc <- err
			return
		}
		ferr := fn()
		if netns.Set(orig) == nil {
			// A thread left in another namespace must die with its goroutine,
			// which it does when it stays locked.
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}
