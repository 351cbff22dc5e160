package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

var osRename = os.Rename

func linkRename(tmp, target string) error {
	if err := os.Link(tmp, target); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s %w", target, ErrExists)
		}
		return err
	}
	return os.Remove(tmp)
}
