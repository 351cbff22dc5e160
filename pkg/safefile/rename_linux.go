package safefile

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// rename moves tmp onto target; without force it fails if target exists
// (RENAME_NOREPLACE), closing the window between the check and the rename.
func rename(tmp, target string, force bool) error {
	if force {
		return os.Rename(tmp, target)
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, target, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s %w", target, ErrExists)
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// A filesystem without RENAME_NOREPLACE: link(2) fails on an existing
		// name just as well.
		return linkRename(tmp, target)
	}
	return err
}
