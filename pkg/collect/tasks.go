package collect

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// nativeOr builds a task reading fn natively (source netlink or ioctl), with the
// command argv as fallback; with no native reader the command is the source.
func nativeOr(path, desc, source string, fn func() ([]byte, error), argv ...string) Task {
	cmd := Task{Path: path, Description: desc, Source: bundle.SourceCommand, Argv: argv}
	if fn == nil {
		return cmd
	}
	return Task{
		Path: path, Description: desc, Source: source,
		Command:  strings.Join(argv, " ") + " (native)",
		Run:      func(context.Context) ([]byte, error) { return fn() },
		Fallback: &cmd,
	}
}

// commandTask runs argv; its absence from PATH is "skipped".
func commandTask(path, desc string, needsRoot bool, argv ...string) Task {
	return Task{Path: path, Description: desc, Source: bundle.SourceCommand, Argv: argv, NeedsRoot: needsRoot}
}

// snapshotTasks are the sources that depend on nothing learnt during the run.
func (c *collector) snapshotTasks(k *kubeCtx) []Task {
	n := c.native
	osRelease := c.fileTask(bundle.OSReleasePath, "OS release", "/etc/os-release", false)
	fb := c.fileTask(bundle.OSReleasePath, "OS release", "/usr/lib/os-release", false)
	osRelease.Fallback = &fb

	sysctl := Task{Path: bundle.SysctlPath, Description: "sysctls", Source: bundle.SourceCommand, Argv: []string{"sysctl", "-a"}}
	if n.Sysctl != nil {
		root := c.hostPath("/proc/sys")
		cmd := sysctl
		sysctl = Task{
			Path: bundle.SysctlPath, Description: "sysctls", Source: bundle.SourceFile, Command: "/proc/sys",
			Run:      func(context.Context) ([]byte, error) { return n.Sysctl(root) },
			Fallback: &cmd,
		}
	}

	tasks := []Task{
		c.fileTask(bundle.HostnamePath, "host name", "/proc/sys/kernel/hostname", false),
		c.unameTask(),
		osRelease,
		sysctl,
		c.fileTask(bundle.ResolvConfPath, "resolv.conf", "/etc/resolv.conf", false),
		c.fileTask(ResolvedConfPath, "systemd-resolved upstream resolv.conf", "/run/systemd/resolve/resolv.conf", true),

		nativeOr(bundle.IPAddrPath, "addresses", bundle.SourceNetlink, n.IPAddr, "ip", "addr", "show"),
		nativeOr(bundle.IPLinkPath, "links", bundle.SourceNetlink, n.IPLink, "ip", "-d", "link", "show"),
		nativeOr(bundle.IPRoutePath, "routes", bundle.SourceNetlink, n.IPRoute, "ip", "route", "show"),
		nativeOr(bundle.IPRouteAllPath, "routes of all tables", bundle.SourceNetlink, n.IPRouteAll, "ip", "route", "show", "table", "all"),
		nativeOr(bundle.IPRulePath, "policy rules", bundle.SourceNetlink, n.IPRule, "ip", "rule", "show"),
		nativeOr(bundle.IPNeighPath, "neighbours", bundle.SourceNetlink, n.IPNeigh, "ip", "neigh", "show"),
		nativeOr(bundle.BridgeFDBPath, "bridge FDB", bundle.SourceNetlink, n.BridgeFDB, "bridge", "fdb", "show"),

		commandTask(bundle.IPTablesSavePath, "iptables rules", true, "iptables-save", "-c"),
		commandTask(bundle.NFTRulesetPath, "nftables ruleset", true, "nft", "list", "ruleset"),
		commandTask(bundle.IPSetListPath, "ipsets", true, "ipset", "list"),
		commandTask(bundle.ConntrackStats, "conntrack statistics", true, "conntrack", "-S"),
		// Where conntrack-tools is missing the kernel's own per-CPU table says the same.
		c.fileTask(bundle.ProcConntrackStatPath, "conntrack statistics (/proc)", "/proc/net/stat/nf_conntrack", true),
		c.kernelLogTask(),
		c.fileTask(bundle.KubeletConfigPath, "kubelet config", "/var/lib/kubelet/config.yaml", true),

		ipvsTask(c.rooted(nativeOr(bundle.IPVSPath, "IPVS table", bundle.SourceNetlink, n.IPVS, "ipvsadm", "-Ln"))),
		ipvsTask(c.rooted(nativeOr(bundle.IPVSStatsPath, "IPVS statistics", bundle.SourceNetlink, n.IPVSStats, "ipvsadm", "-Ln", "--stats"))),

		c.calicoEnvTask(),
		c.birdTask(),
		c.logTask(bundle.CalicoNodeLogPath, "calico-node log", "calico-node", "calico-node"),
		c.logTask(bundle.KubeProxyLogPath, "kube-proxy log", "kube-proxy", "kube-proxy"),
	}
	return append(append(tasks, c.kubeTasks(k)...), c.dnsTasks(k)...)
}

// ResolvedConfPath keeps systemd-resolved's upstream list (not in the layout):
// kubelet hands it to pods when /etc/resolv.conf points at 127.0.0.53.
const ResolvedConfPath = "dns/systemd-resolved-resolv.conf"

// ipvsTask: without the ip_vs module there is no IPVS table to read (kube-proxy
// runs in iptables or nftables mode): the item is skipped, not failed.
func ipvsTask(t Task) Task {
	t.Absent = []string{"ip_vs module", "Protocol not available"}
	if t.Fallback != nil {
		fb := *t.Fallback
		fb.Absent = t.Absent
		t.Fallback = &fb
	}
	return t
}

// rooted marks a task and its fallback as needing root.
func (c *collector) rooted(t Task) Task {
	t.NeedsRoot = true
	if t.Fallback != nil {
		fb := *t.Fallback
		fb.NeedsRoot = true
		t.Fallback = &fb
	}
	return t
}

// unameTask renders `uname -a` from /proc/sys/kernel (so that Root applies) and
// the machine of uname(2): "Linux NODE RELEASE VERSION MACHINE GNU/Linux", as
// coreutils prints it when processor and platform are unknown.
func (c *collector) unameTask() Task {
	cmd := Task{Path: bundle.UnamePath, Description: "kernel", Source: bundle.SourceCommand, Argv: []string{"uname", "-a"}}
	return Task{
		Path: bundle.UnamePath, Description: "kernel", Source: bundle.SourceFile,
		Command: "/proc/sys/kernel/{ostype,hostname,osrelease,version} + uname(2) machine",
		Run: func(context.Context) ([]byte, error) {
			var f [4]string
			for i, n := range []string{"ostype", "hostname", "osrelease", "version"} {
				b, err := readRegular(c.hostPath("/proc/sys/kernel/"+n), 4096)
				if err != nil {
					return nil, err
				}
				f[i] = strings.TrimSpace(string(b))
			}
			m, err := unameMachine()
			if err != nil {
				return nil, err
			}
			return []byte(fmt.Sprintf("%s %s %s %s %s GNU/Linux\n", f[0], f[1], f[2], f[3], m)), nil
		},
		Fallback: &cmd,
	}
}

// derivedTasks need what the snapshot taught: the interfaces that matter and
// the addresses whose routes matter.
func (c *collector) derivedTasks() []Task {
	var tasks []Task
	for _, ifc := range c.topo.Interfaces {
		if !c.topo.Links[ifc] && len(c.topo.Links) > 0 {
			c.files.record(bundle.Item{
				Path: bundle.EthtoolDir + "/" + ifc + ".txt", Source: bundle.SourceIoctl,
				Status: bundle.StatusSkipped, Error: "no such interface on this node",
			}, nil)
			continue
		}
		var fn func() ([]byte, error)
		if c.native.EthtoolFeatures != nil {
			ifc := ifc
			fn = func() ([]byte, error) { return c.native.EthtoolFeatures(ifc) }
		}
		tasks = append(tasks, nativeOr(bundle.EthtoolDir+"/"+ifc+".txt", "offload features of "+ifc, bundle.SourceIoctl, fn, "ethtool", "-k", ifc))
	}
	if addrs := c.routeGetAddrs(); len(addrs) > 0 {
		tasks = append(tasks, c.routeGetTask(addrs))
	}
	return tasks
}

// routeGetTask renders `ip route get` for each address, natively or with one
// command per address.
func (c *collector) routeGetTask(parsed []netip.Addr) Task {
	addrs := make([]string, len(parsed))
	for i, a := range parsed {
		addrs[i] = a.String()
	}
	viaCommands := Task{
		Path: bundle.RouteGetPath, Description: "route lookups", Source: bundle.SourceCommand,
		Command: "ip route get ADDR, for " + strings.Join(addrs, " "),
		Run: func(ctx context.Context) ([]byte, error) {
			var b strings.Builder
			var errs []string
			for _, a := range addrs {
				out, _, err := c.command(ctx, []string{"ip", "route", "get", a})
				if err != nil && len(out) == 0 {
					if isSkip(err) {
						return nil, err
					}
					errs = append(errs, fmt.Sprintf("%s: %v", a, err))
					continue
				}
				fmt.Fprintf(&b, "# ip route get %s\n%s", a, out)
			}
			if len(errs) > 0 {
				if b.Len() == 0 {
					return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
				}
				return []byte(b.String()), &partialError{err: fmt.Errorf("%s", strings.Join(errs, "; "))}
			}
			return []byte(b.String()), nil
		},
	}
	if c.native.RouteGet == nil {
		return viaCommands
	}
	return Task{
		Path: bundle.RouteGetPath, Description: "route lookups", Source: bundle.SourceNetlink,
		Command:  "ip route get ADDR (native), for " + strings.Join(addrs, " "),
		Run:      func(context.Context) ([]byte, error) { return c.native.RouteGet(parsed) },
		Fallback: &viaCommands,
	}
}

// kernelLogTask reads the kernel log with dmesg -T, or journalctl -k where
// dmesg is restricted (kernel.dmesg_restrict) or absent.
func (c *collector) kernelLogTask() Task {
	fb := commandTask(bundle.DmesgPath, "kernel log", true, "journalctl", "-k", "--no-pager", "-n", "2000")
	t := commandTask(bundle.DmesgPath, "kernel log", true, "dmesg", "-T")
	t.Fallback = &fb
	return t
}
