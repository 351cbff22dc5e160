//go:build !unix

package collect

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// The collector runs on Linux nodes; elsewhere it builds but runs no command.

var errNoCommands = errors.New("running commands needs a Unix system")

func (c *collector) command(ctx context.Context, argv []string) ([]byte, *int, error) {
	return nil, nil, skipped("%s: %v", argv[0], errNoCommands)
}

func (c *collector) interruptAfter(ctx context.Context, argv []string, d time.Duration) ([]byte, error) {
	return nil, errNoCommands
}

func readRegular(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}
