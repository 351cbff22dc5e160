package analyze

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/assemble"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

type factsOptions struct {
	*globalOptions
}

// newCmdFacts prints the cluster model rules read: what a rule author needs to
// write a CEL expression, and what an engineer checks when a rule surprises.
func newCmdFacts(g *globalOptions, stdout io.Writer) *cobra.Command {
	o := &factsOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "facts BUNDLE...",
		Short: "Print the cluster model (JSON) that rules are evaluated against",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nodes, err := load.LoadAll(args, o.bundleOptions())
			if err != nil {
				return inputError(err)
			}
			defer func() { _ = load.CloseAll(nodes) }()
			c := assemble.Build(nodes, assemble.Options{DNSServiceIP: o.dnsServiceIP})
			// Refs quote their lines only when asked: the model written out
			// quotes every one.
			facts.ResolveRefs(c)
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(c)
		},
	}
	return cmd
}
