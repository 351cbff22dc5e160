//go:build !linux

package safefile

// rename moves tmp onto target; without force through link(2), which fails on
// an existing name.
func rename(tmp, target string, force bool) error {
	if force {
		return osRename(tmp, target)
	}
	return linkRename(tmp, target)
}
