// Package collect wires the `collect` command line: flags, progress output and
// the final summary. The work lives in pkg/collect.
package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	pcollect "github.com/podnetdiag/podnetdiag/pkg/collect"
	"github.com/podnetdiag/podnetdiag/pkg/version"
)

// Exit codes.
const (
	ExitOK    = 0 // bundle written (possibly with failed items)
	ExitError = 1 // no bundle written
	ExitUsage = 2
)

// Version is set at build time (-ldflags "-X .../internal/cli/collect.Version=v1.2.3").
var Version = "dev"

// Options are the command-line options.
type Options struct {
	Output           string
	CaptureSeconds   int
	Interfaces       []string
	NoCapture        bool
	Obfuscate        bool
	ObfuscateKeyFile string
	Kubeconfig       string
	Timeout          time.Duration
	ItemTimeout      time.Duration
	Root             string
	Quiet            bool
	Force            bool
	Pod              PodOptions
}

// usageError marks errors of the command line itself.
type usageError struct{ error }

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cmd := NewCmdCollect(stdout, stderr, nil)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "collect: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}

// NewCmdCollect builds the command; runF replaces the run in tests.
func NewCmdCollect(stdout, stderr io.Writer, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Snapshot this node's pod networking into a bundle for `analyze`",
		Long: `Collect reads this node's routes, links, IPVS table, firewall rules, offload
features, sysctls, the calico-node environment and logs and, when credentials
are at hand, the Kubernetes objects that say where DNS should be; then it
captures tunnel, DNS and ICMP traffic for a few seconds while it sends DNS
queries to the cluster DNS Service and each CoreDNS pod. Everything goes into
one .tgz bundle; every attempt, failed or not, is listed in its manifest.json.

Run it as root on the node (e.g. sudo, or a privileged pod with hostNetwork
and hostPID and the host's / mounted at --root). Without root it still writes
a bundle, without the parts that need root.

Secrets (tokens, passwords, keys, certificates) are removed before anything is
written; manifest.json lists what was removed, never the values.

--obfuscate also replaces IP addresses and host names in every text file,
keeping subnets (every address of one subnet maps into one fake subnet of the
same length) so the analysis gives the same results, in the packet captures
too (checksums kept as valid as they were). The mapping is written next to the bundle as FILE.mapping.json:
keep it, it undoes the obfuscation. To obfuscate the other nodes of the same
cluster alike, copy that file to them and pass it with --obfuscate-key.`,
		Example: `  sudo collect
  sudo collect -o /tmp/node-a.tgz --capture-seconds 30
  sudo collect --no-capture --kubeconfig /etc/kubernetes/admin.conf
  sudo collect --obfuscate                                   # on the first node
  sudo collect --obfuscate --obfuscate-key node-a-....tgz.mapping.json   # on the others`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unexpected argument %q (collect takes flags only; see --help)", args[0])}
			}
			return nil
		},
		Version:       version.Get(Version).String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.CaptureSeconds < 0 || o.CaptureSeconds > pcollect.MaxCaptureSeconds {
				return usageError{fmt.Errorf("--capture-seconds %d is out of range: allowed 0 to %d (0 or --no-capture skips the captures)", o.CaptureSeconds, pcollect.MaxCaptureSeconds)}
			}
			if o.ObfuscateKeyFile != "" {
				o.Obfuscate = true
			}
			if err := o.Pod.parse(); err != nil {
				return usageError{err}
			}
			if runF != nil {
				return runF(o)
			}
			return run(c.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "bundle file to write, which must not exist (default ./NODE-YYYYMMDDTHHMMSSZ.tgz); - writes it framed to stdout (a pod's log)")
	f.BoolVar(&o.Force, "force", false, "replace an existing output (and mapping) file; only a regular file, never a link or a device")
	f.IntVar(&o.CaptureSeconds, "capture-seconds", pcollect.DefaultCaptureSeconds, "length of the capture window")
	f.StringSliceVar(&o.Interfaces, "interfaces", nil, "interfaces to capture on and read ethtool for (default: the uplinks, tunl0, vxlan.calico)")
	f.BoolVar(&o.NoCapture, "no-capture", false, "skip the packet captures (counters and the DNS probe still run)")
	f.BoolVar(&o.Obfuscate, "obfuscate", false, "replace addresses and host names; write the mapping to FILE.mapping.json")
	f.StringVar(&o.ObfuscateKeyFile, "obfuscate-key", "", "mapping file of an earlier --obfuscate run to map alike (implies --obfuscate)")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig to read Kubernetes objects with (default: $KUBECONFIG, /etc/kubernetes/admin.conf, kubelet.conf, ~/.kube/config, in-cluster)")
	f.DurationVar(&o.Timeout, "timeout", pcollect.DefaultTimeout, "bound on the whole run")
	f.DurationVar(&o.ItemTimeout, "item-timeout", pcollect.DefaultItemTimeout, "bound on each item (a hung command is killed)")
	f.StringVar(&o.Root, "root", "/", "where the node's filesystem is mounted (/proc, /etc, /var/log)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print only the summary")
	addPodFlags(f, &o.Pod)
	cmd.AddCommand(newCmdCluster(stdout, stderr, nil), newCmdUnpack(stdout, stderr))
	cmd.SetVersionTemplate("collect {{.Version}}\n")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}

func run(ctx context.Context, o *Options, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	pcollect.SetDefaultMemoryLimit(os.Getenv)
	// Ctrl-C ends the run early: what was collected is still written.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	secs := o.CaptureSeconds
	if o.NoCapture {
		secs = 0
	}
	var progress io.Writer = stderr
	if o.Quiet {
		progress = nil
	}
	out, outDir := o.Output, ""
	if out == "-" {
		// The bundle goes to stdout as frames (a pod's log, see pkg/fleet):
		// it is written to a temporary folder first.
		tmp, err := os.MkdirTemp("", "podnetdiag-out-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		out, outDir = "", tmp
	}
	res, err := pcollect.Collect(ctx, pcollect.Options{
		Output:             out,
		OutputDir:          outDir,
		Node:               o.Pod.Node,
		CaptureAt:          o.Pod.captureAt,
		SkipClusterObjects: o.Pod.SkipClusterObjects,
		Hints:              o.Pod.hints,
		CaptureSeconds:     secs,
		Interfaces:         o.Interfaces,
		Obfuscate:          o.Obfuscate,
		ObfuscateKeyFile:   o.ObfuscateKeyFile,
		Kubeconfig:         o.Kubeconfig,
		Timeout:            o.Timeout,
		ItemTimeout:        o.ItemTimeout,
		Root:               o.Root,
		Force:              o.Force,
		Progress:           progress,
		Terminal:           isTerminal(stderr),
		Version:            version.Get(Version).Version,
	})
	if err != nil {
		return err
	}
	printSummary(stderr, res)
	if outDir != "" {
		return streamBundle(stdout, res.Path)
	}
	fmt.Fprintln(stdout, res.Path)
	return nil
}

func printSummary(w io.Writer, res *pcollect.Result) {
	fmt.Fprintf(w, "\nbundle: %s (%s, %d items, %s)\n", res.Path, size(res.Size), len(res.Manifest.Items), res.Duration.Round(100*time.Millisecond))
	if res.MappingPath != "" {
		fmt.Fprintf(w, "obfuscation mapping (keep private, not in the bundle): %s\n", res.MappingPath)
	}
	if len(res.Failed) == 0 {
		fmt.Fprintln(w, "no item failed")
		return
	}
	fmt.Fprintln(w, "The following items failed, the bundle may be incomplete:")
	for _, it := range res.Failed {
		fmt.Fprintf(w, "  %-34s %s\n", it.Path, oneLine(it.Error))
	}
	skipped := 0
	for _, it := range res.Manifest.Items {
		if it.Status == bundle.StatusSkipped {
			skipped++
		}
	}
	if skipped > 0 {
		fmt.Fprintf(w, "(%d items skipped: see manifest.json)\n", skipped)
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
