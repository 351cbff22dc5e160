package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/load"
)

type inspectOptions struct {
	*globalOptions
	output string
}

func newCmdInspect(g *globalOptions, stdout io.Writer) *cobra.Command {
	o := &inspectOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "inspect BUNDLE...",
		Short: "Show what each file of each bundle parsed to, and every diagnostic",
		Long: `Inspect opens each bundle (.tgz, .tar, directory or .txtar scenario) and prints,
per node, every file with the command it holds and what it parsed to (counts of
IPVS services and real servers, routes by device, links by type, ...), then every
diagnostic with its file and line. It is the first look at a ticket's bundles.`,
		Example: `  analyze inspect node-a-20240302T081100Z.tgz node-b/
  analyze inspect -o json testdata/bundles/ipip-healthy.txtar`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspectRun(o, args, stdout)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format. One of: text|json")
	return cmd
}

type inspectNode struct {
	Node        string            `json:"node"`
	Bundle      string            `json:"bundle"`
	NodeSource  string            `json:"nodeSource"`
	Warnings    []string          `json:"warnings,omitempty"`
	Files       []load.File       `json:"files"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
}

func inspectRun(o *inspectOptions, args []string, w io.Writer) error {
	if o.output != "text" && o.output != "json" {
		return inputError(fmt.Errorf("unknown output format %q; allowed: text|json", o.output))
	}
	nodes, err := load.LoadAll(args, o.bundleOptions())
	if err != nil {
		return inputError(err)
	}
	defer func() { _ = load.CloseAll(nodes) }()

	out := make([]inspectNode, 0, len(nodes))
	for _, n := range nodes {
		ds := n.Diagnostics()
		if ds == nil {
			ds = []diag.Diagnostic{}
		}
		out = append(out, inspectNode{
			Node: n.Name, Bundle: n.Bundle.Path, NodeSource: n.Bundle.NodeSource,
			Warnings: n.Bundle.Warnings, Files: n.Files, Diagnostics: ds,
		})
	}
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for i, n := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "== %s  (%s; node name from %s)\n", n.Node, n.Bundle, n.NodeSource)
		for _, warn := range n.Warnings {
			fmt.Fprintf(w, "   warning: %s\n", warn)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range n.Files {
			summary := f.Summary
			if summary == "" && !f.Parsed {
				summary = fmt.Sprintf("%d bytes", f.Size)
			}
			fmt.Fprintf(tw, "   %s\t%s\t%s\n", f.Path, f.Kind, summary)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(n.Diagnostics) == 0 {
			fmt.Fprintln(w, "   diagnostics: none")
			continue
		}
		fmt.Fprintf(w, "   diagnostics: %d\n", len(n.Diagnostics))
		for _, d := range n.Diagnostics {
			fmt.Fprintf(w, "   %s:%s\n", n.Node, d)
		}
	}
	return nil
}
