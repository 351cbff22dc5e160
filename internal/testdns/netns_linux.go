package testdns

import (
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
)

// InNetns runs fn on a thread moved into the named network namespace;
// sockets opened by fn stay in it after the thread moves back.
func InNetns(tb testing.TB, name string, fn func()) {
	tb.Helper()
	h, err := netns.GetFromName(name)
	if err != nil {
		tb.Fatalf("network namespace %s: %v", name, err)
	}
	defer h.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			tb.Error(err)
			return
		}
		defer orig.Close()
		if err := netns.Set(h); err != nil {
			tb.Error(err)
			return
		}
		fn()
		// On failure the goroutine ends locked and the runtime drops the thread.
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
	}()
	<-done
}
