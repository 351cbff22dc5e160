package collect

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal: redraw the progress bar in place only on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
