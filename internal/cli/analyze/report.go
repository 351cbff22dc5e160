package analyze

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/analysis"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
	"github.com/podnetdiag/podnetdiag/pkg/report"
)

type reportOptions struct {
	*globalOptions
	output string
	failOn string
	color  string
	isTerm func(io.Writer) bool
}

var colorModes = []string{"auto", "always", "never"}

func (o *reportOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format. One of: "+strings.Join(report.Formats, "|"))
	cmd.Flags().StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding at or above this severity is found. One of: critical|warning")
	cmd.Flags().StringVar(&o.color, "color", "auto", "colour the text report. One of: "+strings.Join(colorModes, "|"))
}

func (g *globalOptions) analysisOptions() analysis.Options {
	return analysis.Options{Bundle: g.bundleOptions(), DNSServiceIP: g.dnsServiceIP, RuleDirs: g.ruleDirs}
}

func reportRun(o *reportOptions, args []string, w io.Writer) error {
	if !slices.Contains(report.Formats, o.output) {
		return inputError(fmt.Errorf("unknown output format %q; allowed: %s", o.output, strings.Join(report.Formats, "|")))
	}
	if o.failOn != "" && o.failOn != findings.SeverityCritical && o.failOn != findings.SeverityWarning {
		return inputError(fmt.Errorf("--fail-on %q: allowed: critical|warning", o.failOn))
	}
	if !slices.Contains(colorModes, o.color) {
		return inputError(fmt.Errorf("--color %q: allowed: %s", o.color, strings.Join(colorModes, "|")))
	}
	eng, err := analysis.Engine(o.analysisOptions())
	if err != nil {
		return inputError(err)
	}
	r, err := analysis.Run(eng, args, o.analysisOptions())
	if err != nil {
		return inputError(err)
	}
	switch o.output {
	case "json":
		err = report.JSON(w, r)
	case "markdown":
		err = report.Markdown(w, r)
	default:
		err = report.Text(w, r, report.TextOptions{Color: o.useColor(w)})
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if o.failOn != "" {
		min := findings.SeverityRank(o.failOn)
		for _, f := range r.Findings {
			if !f.Insufficient && f.Rule != findings.RuleError && findings.SeverityRank(f.Severity) >= min {
				return &exitError{code: ExitFindings, err: errors.New("findings at or above " + o.failOn)}
			}
		}
	}
	return nil
}

func (o *reportOptions) useColor(w io.Writer) bool {
	switch o.color {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
