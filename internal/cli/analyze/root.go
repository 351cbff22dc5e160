// Package analyze wires the `analyze` command line: flags, sub-commands, output
// and exit codes. The work itself lives in pkg/...; this package only connects it.
package analyze

import (
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/version"
)

// globalOptions are the flags every sub-command shares.
type globalOptions struct {
	tempDir       string // the run's extraction folder (bundle.TempRun)
	maxBundleSize int64
	maxEntries    int
	ruleDirs      []string
	dnsServiceIP  string
}

// validate rejects flag values that would otherwise be ignored or guessed
// around: a report built on a mistyped DNS address would judge the wrong thing.
func (g *globalOptions) validate() error {
	if g.dnsServiceIP != "" {
		a, err := netip.ParseAddr(g.dnsServiceIP)
		if err != nil || a.Zone() != "" {
			return fmt.Errorf("--dns-service-ip %q: not an IP address; allowed: an IPv4 or IPv6 address such as 10.96.0.10 or fd00:10:96::a", g.dnsServiceIP)
		}
		g.dnsServiceIP = a.Unmap().String()
	}
	if g.maxBundleSize <= 0 {
		return fmt.Errorf("--max-bundle-size %d: allowed: a number of bytes > 0", g.maxBundleSize)
	}
	if g.maxEntries <= 0 {
		return fmt.Errorf("--max-entries %d: allowed: a number > 0", g.maxEntries)
	}
	return nil
}

func (g *globalOptions) bundleOptions() bundle.Options {
	return bundle.Options{TempDir: g.tempDir, MaxTotalSize: g.maxBundleSize, MaxEntries: g.maxEntries}
}

// Main runs the analyze command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Archives are unpacked under one folder that is removed however the run
	// ends, Ctrl-C, SIGTERM and SIGHUP included: no customer data is left in
	// $TMPDIR.
	run, err := bundle.NewTempRun("", func(sig os.Signal) {
		fmt.Fprintf(stderr, "analyze: stopped by %v; the unpacked bundles were removed\n", sig)
	})
	if err != nil {
		fmt.Fprintf(stderr, "analyze: %v\n", err)
		return ExitInput
	}
	defer run.Close()
	cmd := newCmdRoot(stdout, stderr, run.Dir)
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err = cmd.Execute()
	if err == nil {
		return ExitOK
	}
	code := codeOf(err)
	if code == ExitInput {
		fmt.Fprintf(stderr, "analyze: %v\n", err)
	}
	return code
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(stdout, stderr io.Writer) *cobra.Command {
	return newCmdRoot(stdout, stderr, "")
}

func newCmdRoot(stdout, stderr io.Writer, tempDir string) *cobra.Command {
	g := &globalOptions{tempDir: tempDir}
	o := &reportOptions{globalOptions: g}
	root := &cobra.Command{
		Use:   "analyze BUNDLE...",
		Short: "Explain why pods cannot resolve names, from podnetdiag bundles",
		Long: `Analyze reads the bundles of one or more nodes of a cluster (.tgz, .tar, a
directory, or a .txtar scenario), joins them into one cluster view, applies the
rule pack and reports, in the runbook's order, what is broken, where, the
evidence (bundle file and line) and the fix.

Exit status: 0 when nothing at or above --fail-on was found, 1 when something
was, 2 when a bundle or a rule file cannot be used.`,
		Example: `  analyze node-a.tgz node-b.tgz node-c/
  analyze -o markdown --dns-service-ip 10.233.0.3 bundles/*.tgz > ticket.md
  analyze --fail-on warning -o json testdata/bundles/ipip-healthy.txtar`,
		Version:       version.Get("").String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if err := g.validate(); err != nil {
				return inputError(err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return inputError(fmt.Errorf("no bundle given; see analyze --help"))
			}
			return reportRun(o, args, stdout)
		},
	}
	o.addFlags(root)
	root.PersistentFlags().Int64Var(&g.maxBundleSize, "max-bundle-size", bundle.DefaultMaxTotalSize,
		"refuse archives once the bytes unpacked and not yet let go, all bundles of the run together, would exceed this many bytes "+
			"(each bundle's unpacked files are removed once it is parsed: a fleet may unpack to more in total, one archive may not)")
	root.PersistentFlags().IntVar(&g.maxEntries, "max-entries", bundle.DefaultMaxEntries,
		"refuse an archive with more entries than this")
	root.PersistentFlags().StringArrayVar(&g.ruleDirs, "rules", nil, "a folder of extra rule files (<id>.yaml) to load with the built-in pack; repeatable")
	root.PersistentFlags().StringVar(&g.dnsServiceIP, "dns-service-ip", "", "the cluster DNS Service IP (default: inferred from the bundles, else 10.96.0.10)")
	root.SetVersionTemplate("analyze {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return inputError(err) })
	root.AddCommand(newCmdInspect(g, stdout), newCmdFacts(g, stdout), newCmdRules(g, stdout))
	return root
}
