//go:build linux

package nativenet

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/safchain/ethtool"
	"golang.org/x/sys/unix"
)

// EthtoolFeatures renders iface's features as `ethtool -k IFACE`, read with the
// ETHTOOL_GFEATURES ioctl and the kernel's feature string set.
func EthtoolFeatures(h *Handle, iface string) ([]byte, error) {
	var feats []Feature
	err := h.inNetns(func() error {
		e, err := ethtool.NewEthtool()
		if err != nil {
			return err
		}
		defer e.Close()
		idx, err := e.FeatureNames(iface)
		if err != nil {
			return err
		}
		st, err := e.FeaturesWithState(iface)
		if err != nil {
			return err
		}
		for name, i := range idx {
			s := st[name]
			feats = append(feats, Feature{Name: name, Index: int(i), Available: s.Available,
				Requested: s.Requested, Active: s.Active, NeverChanged: s.NeverChanged})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ethtool -k %s: %w", iface, err)
	}
	return RenderFeatures(iface, feats), nil
}

// EthtoolStats renders iface's driver counters as `ethtool -S IFACE`. The
// counters are read with the ETHTOOL_GSTRINGS/GSTATS ioctls directly: the
// library returns them as a map, losing the driver's order and repeated names.
func EthtoolStats(h *Handle, iface string) ([]byte, error) {
	var stats []Stat
	err := h.inNetns(func() error {
		var err error
		stats, err = readStats(iface)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ethtool -S %s: %w", iface, err)
	}
	return RenderStats(stats), nil
}

const (
	ethtoolGDrvInfo  = 0x3
	ethtoolGStrings  = 0x1b
	ethtoolGStats    = 0x1d
	ethtoolGSsetInfo = 0x37
	ethSSStats       = 1
	ethGStringLen    = 32
	maxStats         = 1 << 16
)

// ifreqData is struct ifreq with ifr_data set: the name, then a pointer to the
// ethtool command buffer.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data uintptr
	_    [16]byte
}

func ethtoolIoctl(fd int, iface string, buf []byte) error {
	var ifr ifreqData
	if len(iface) >= unix.IFNAMSIZ {
		return fmt.Errorf("interface name %q too long", iface)
	}
	copy(ifr.name[:], iface)
	ifr.data = uintptr(unsafe.Pointer(&buf[0]))
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(buf)
	if errno != 0 {
		return errno
	}
	return nil
}

// statsCount asks how many counters the driver has, as ethtool's
// get_stringset does: ETHTOOL_GSSET_INFO, else the n_stats of
// ETHTOOL_GDRVINFO for kernels without it.
func statsCount(fd int, iface string) (int, error) {
	// struct ethtool_sset_info: cmd, reserved, sset_mask (u64), then one u32
	// per set asked for.
	ss := make([]byte, 20)
	binary.NativeEndian.PutUint32(ss, ethtoolGSsetInfo)
	binary.NativeEndian.PutUint64(ss[8:], 1<<ethSSStats)
	if err := ethtoolIoctl(fd, iface, ss); err == nil {
		if binary.NativeEndian.Uint64(ss[8:])&(1<<ethSSStats) == 0 {
			return 0, nil
		}
		return int(binary.NativeEndian.Uint32(ss[16:])), nil
	}
	// struct ethtool_drvinfo: n_stats sits at offset 180.
	drv := make([]byte, 196)
	binary.NativeEndian.PutUint32(drv, ethtoolGDrvInfo)
	if err := ethtoolIoctl(fd, iface, drv); err != nil {
		return 0, err
	}
	return int(binary.NativeEndian.Uint32(drv[180:])), nil
}

func readStats(iface string) ([]Stat, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	n, err := statsCount(fd, iface)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNoStats
	}
	if n > maxStats {
		return nil, fmt.Errorf("driver reports %d counters", n)
	}
	strs := make([]byte, 12+n*ethGStringLen)
	binary.NativeEndian.PutUint32(strs[0:], ethtoolGStrings)
	binary.NativeEndian.PutUint32(strs[4:], ethSSStats)
	binary.NativeEndian.PutUint32(strs[8:], uint32(n))
	if err := ethtoolIoctl(fd, iface, strs); err != nil {
		return nil, err
	}
	vals := make([]byte, 8+n*8)
	binary.NativeEndian.PutUint32(vals[0:], ethtoolGStats)
	binary.NativeEndian.PutUint32(vals[4:], uint32(n))
	if err := ethtoolIoctl(fd, iface, vals); err != nil {
		return nil, err
	}
	// The driver may report fewer counters the second time (a queue went
	// away); both answers carry their own count.
	if m := int(binary.NativeEndian.Uint32(strs[8:])); m < n {
		n = m
	}
	if m := int(binary.NativeEndian.Uint32(vals[4:])); m < n {
		n = m
	}
	out := make([]Stat, n)
	for i := 0; i < n; i++ {
		out[i] = Stat{
			Name:  cString(strs[12+i*ethGStringLen : 12+(i+1)*ethGStringLen]),
			Value: binary.NativeEndian.Uint64(vals[8+i*8:]),
		}
	}
	return out, nil
}
