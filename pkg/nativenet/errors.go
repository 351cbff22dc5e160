package nativenet

import "errors"

// ErrUnsupported is returned by every kernel read on platforms other than Linux.
var ErrUnsupported = errors.New("nativenet: reading the kernel's network state needs Linux")

// ErrNoStats is EthtoolStats' error for a device whose driver has no counters
// (veth has some, vxlan and lo none); ethtool prints "no stats available".
var ErrNoStats = errors.New("no stats available")
