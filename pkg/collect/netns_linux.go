package collect

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// netnsHandle is the namespace Options.Netns names, or none.
type netnsHandle struct {
	h    netns.NsHandle
	orig netns.NsHandle // the process's own, to move threads back
	set  bool
}

func openNetns(path string) (netnsHandle, error) {
	if path == "" {
		return netnsHandle{}, nil
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		return netnsHandle{}, fmt.Errorf("network namespace %s: %w", path, err)
	}
	// The calling thread's namespace: every unlocked thread is in it. (Not
	// /proc/self, the main thread's, which a goroutine that ended locked in
	// another namespace may have left there.)
	orig, err := netns.Get()
	if err != nil {
		h.Close()
		return netnsHandle{}, fmt.Errorf("network namespace of this process: %w", err)
	}
	return netnsHandle{h: h, orig: orig, set: true}, nil
}

func (n netnsHandle) close() {
	if n.set {
		n.h.Close()
		n.orig.Close()
	}
}

// inNetns runs fn on a new goroutine; with a namespace, on an OS thread moved
// into it (fn gets the error when that fails, and must not read anything then).
// Afterwards the thread is moved back and unlocked; if that fails the goroutine
// exits still locked, so the runtime discards the thread and no other goroutine
// ever runs in the wrong namespace. Commands started from fn inherit the
// namespace, since fork happens on the calling thread.
func (c *collector) inNetns(fn func(nsErr error)) {
	if !c.ns.set {
		go fn(nil)
		return
	}
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(c.ns.h); err != nil {
			fn(fmt.Errorf("enter network namespace: %w", err))
			return
		}
		fn(nil)
		if netns.Set(c.ns.orig) == nil {
			runtime.UnlockOSThread()
		}
	}()
}

// inNetnsWait is inNetns, waiting for fn.
func (c *collector) inNetnsWait(fn func(nsErr error)) {
	done := make(chan struct{})
	c.inNetns(func(err error) {
		defer close(done)
		fn(err)
	})
	<-done
}
