package analyze

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/analysis"
	"github.com/podnetdiag/podnetdiag/pkg/rules"
	pack "github.com/podnetdiag/podnetdiag/rules"
)

func newCmdRules(g *globalOptions, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, lint and test rule files",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the rules: id, stage, severity, scope and title",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, err := analysis.Engine(g.analysisOptions())
			if err != nil {
				return inputError(err)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTAGE\tSEVERITY\tSCOPE\tTITLE")
			for _, r := range eng.Rules() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Stage, r.Severity, r.Scope, r.Title)
			}
			return tw.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "lint [DIR...]",
		Short: "Compile rule files and report every problem as file:line:col",
		Long: `Lint compiles the built-in pack and each given folder (--rules folders too)
and prints every problem with its position in the YAML file. Exit 2 on any.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := g.analysisOptions()
			o.RuleDirs = append(o.RuleDirs, args...)
			eng, err := analysis.Engine(o)
			if err != nil {
				return inputError(err)
			}
			fmt.Fprintf(stdout, "%d rules, no problem\n", len(eng.Rules()))
			return nil
		},
	})
	var run string
	testCmd := &cobra.Command{
		Use:   "test [FILE_test.yaml...]",
		Short: "Run rule tests (promtool style): each case analyses bundles and compares findings",
		Long: `Test runs the rule-test files given, or the built-in pack's rules/*_test.yaml.
Bundle paths in a test file are relative to the current folder (run it from the
repository root for the built-in tests).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var filter *regexp.Regexp
			if run != "" {
				re, err := regexp.Compile(run)
				if err != nil {
					return inputError(fmt.Errorf("--run: %w", err))
				}
				filter = re
			}
			o := g.analysisOptions()
			eng, err := analysis.Engine(o)
			if err != nil {
				return inputError(err)
			}
			var files []rules.TestFile
			if len(args) == 0 {
				files, err = rules.TestFilesFS(pack.FS, "rules")
			} else {
				files, err = rules.ReadTestFiles(args...)
			}
			if err != nil {
				return inputError(err)
			}
			wd, err := os.Getwd()
			if err != nil {
				return inputError(err)
			}
			results := rules.RunTests(eng, files, wd, analysis.BuildFunc(o), filter)
			failed := 0
			for _, r := range results {
				switch {
				case r.Err != nil:
					failed++
					fmt.Fprintf(stdout, "FAIL %s:%d %s: %v\n", r.File, r.Line, r.Name, r.Err)
				case !r.Passed():
					failed++
					fmt.Fprintf(stdout, "FAIL %s:%d %s\n%s\n", r.File, r.Line, r.Name, indent(r.Diff))
				default:
					fmt.Fprintf(stdout, "ok   %s:%d %s\n", r.File, r.Line, r.Name)
				}
			}
			fmt.Fprintf(stdout, "%d passed, %d failed\n", len(results)-failed, failed)
			if failed > 0 {
				return &exitError{code: ExitFindings, err: fmt.Errorf("%d rule tests failed", failed)}
			}
			return nil
		},
	}
	testCmd.Flags().StringVar(&run, "run", "", "run only the cases whose name (or <id>/<name>) matches this regular expression")
	cmd.AddCommand(testCmd)
	return cmd
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
