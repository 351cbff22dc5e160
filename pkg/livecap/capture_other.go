//go:build !linux

package livecap

import (
	"context"
	"errors"
)

// ErrUnsupported is Capture's error on platforms without AF_PACKET.
var ErrUnsupported = errors.New("livecap: AF_PACKET capture needs Linux")

// Capture fails: AF_PACKET is Linux only.
func Capture(ctx context.Context, o Options) (Stats, error) {
	return Stats{Iface: o.Iface}, ErrUnsupported
}

func inNetns(path string, fn func() error) error {
	if path != "" {
		return ErrUnsupported
	}
	return fn()
}
