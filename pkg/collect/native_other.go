//go:build !linux

package collect

import (
	"errors"
	"runtime"
)

// The collector reads Linux kernel state; elsewhere it builds (so that the
// module builds everywhere) but collects only files and commands.

type netnsHandle struct{ set bool }

func openNetns(path string) (netnsHandle, error) {
	if path != "" {
		return netnsHandle{}, errors.New("network namespaces are Linux only")
	}
	return netnsHandle{}, nil
}

func (n netnsHandle) close() {}

func (c *collector) inNetns(fn func(nsErr error)) { go fn(nil) }

func (c *collector) inNetnsWait(fn func(nsErr error)) { fn(nil) }

func (c *collector) defaultNative() Native { return Native{} }

func unameMachine() (string, error) { return runtime.GOARCH, nil }
