//go:build !linux

package collect

import "io"

// isTerminal: the collector runs on Linux; elsewhere progress is plain lines.
func isTerminal(io.Writer) bool { return false }
