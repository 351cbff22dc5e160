// Package analyze wires the `analyze` command line: flags, sub-commands, output
// and exit codes. The work itself lives in pkg/...; this package only connects it.
package analyze

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// globalOptions are the flags every sub-command shares.
type globalOptions struct {
	maxBundleSize int64
	maxEntries    int
}

func (g *globalOptions) bundleOptions() bundle.Options {
	return bundle.Options{MaxTotalSize: g.maxBundleSize, MaxEntries: g.maxEntries}
}

// Main runs the analyze command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := NewCmdRoot(stdout, stderr)
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.Execute()
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
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "analyze BUNDLE...",
		Short:         "Explain why pods cannot resolve names, from podnetdiag bundles",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
	}
	root.PersistentFlags().Int64Var(&g.maxBundleSize, "max-bundle-size", bundle.DefaultMaxTotalSize,
		"refuse an archive whose unpacked size exceeds this many bytes")
	root.PersistentFlags().IntVar(&g.maxEntries, "max-entries", bundle.DefaultMaxEntries,
		"refuse an archive with more entries than this")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return inputError(err) })
	root.AddCommand(newCmdInspect(g, stdout), newCmdFacts(g, stdout))
	return root
}
