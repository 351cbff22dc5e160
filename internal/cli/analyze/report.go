package analyze

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/podnetdiag/podnetdiag/pkg/analysis"
	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
	"github.com/podnetdiag/podnetdiag/pkg/report"
	"github.com/podnetdiag/podnetdiag/pkg/version"
)

type reportOptions struct {
	*globalOptions
	output      string
	failOn      string
	color       string
	nodes       []string
	rules       []string
	minSeverity string
	isTerm      func(io.Writer) bool
}

var colorModes = []string{"auto", "always", "never"}

func (o *reportOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format. One of: "+strings.Join(report.Formats, "|"))
	cmd.Flags().StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding at or above this severity is found. One of: critical|warning")
	cmd.Flags().StringVar(&o.color, "color", "auto", "colour the text report. One of: "+strings.Join(colorModes, "|"))
	cmd.Flags().StringSliceVar(&o.nodes, "node", nil, "list only the findings on (or with a peer among) these nodes; repeatable or comma-separated")
	cmd.Flags().StringSliceVar(&o.rules, "rule", nil, "list only the findings of these rule ids; repeatable or comma-separated")
	cmd.Flags().StringVar(&o.minSeverity, "min-severity", "", "list only the findings at or above this severity. One of: critical|warning|info")
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
	if o.minSeverity != "" && !findings.ValidSeverity(o.minSeverity) {
		return inputError(fmt.Errorf("--min-severity %q: allowed: critical|warning|info", o.minSeverity))
	}
	eng, err := analysis.Engine(o.analysisOptions())
	if err != nil {
		return inputError(err)
	}
	var ids []string
	for _, r := range eng.Rules() {
		ids = append(ids, r.ID)
	}
	for _, id := range o.rules {
		if !slices.Contains(ids, id) && id != findings.RuleError {
			return inputError(fmt.Errorf("--rule %q: no such rule; allowed: %s", id, strings.Join(ids, ", ")))
		}
	}
	r, err := analysis.Run(eng, args, o.analysisOptions())
	if err != nil {
		return inputError(err)
	}
	tool := version.Get("")
	tool.GoVersion = "" // the toolchain is not the analyzer's version
	r.Tool = &tool
	r.AnalyzedAt = analysisTime().Format(time.RFC3339)
	var names []string
	for _, n := range r.Nodes {
		names = append(names, n.Name)
	}
	for _, n := range o.nodes {
		if !slices.Contains(names, n) {
			return inputError(fmt.Errorf("--node %q: no such node in the bundles; allowed: %s", n, strings.Join(names, ", ")))
		}
	}
	// The gate below judges everything; the filter only narrows what is listed.
	full := r
	r = report.Filter{Nodes: o.nodes, Rules: o.rules, MinSeverity: o.minSeverity}.Apply(r)
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
		for _, f := range full.Findings {
			if !f.Insufficient && !f.NotApplicable && f.Rule != findings.RuleError && findings.SeverityRank(f.Severity) >= min {
				return &exitError{code: ExitFindings, err: errors.New("findings at or above " + o.failOn)}
			}
		}
		// A gate that saw nothing must not pass: the report is written, the
		// exit says the input could not be judged.
		if why := unjudged(full); why != "" {
			return inputError(fmt.Errorf("--fail-on %s cannot pass: %s", o.failOn, why))
		}
	}
	return nil
}

// unjudged says why the analysis could not judge its input, or "": a node
// whose IPVS table and routes are both unknown (the layout's minimum), or no
// runbook stage with a verdict at all.
func unjudged(r *report.Report) string {
	var why []string
	if r.Facts != nil {
		for _, n := range r.Facts.Nodes {
			if !n.Has[facts.HasIPVS] && !n.Has[facts.HasRoutes] {
				why = append(why, fmt.Sprintf("on %s neither %s nor %s is known", n.Name, bundle.IPVSPath, bundle.IPRoutePath))
			}
		}
	}
	judged := false
	for _, s := range r.Stages {
		// A stage whose checks do not apply judged nothing either.
		if s.Status != report.StatusUnknown && s.Status != report.StatusNotApplicable {
			judged = true
		}
	}
	if !judged {
		why = append(why, "no runbook stage could be checked")
	}
	return strings.Join(why, "; ")
}

// analysisTime is now, or SOURCE_DATE_EPOCH when set (the reproducible-builds
// convention), so that a report can be reproduced byte for byte.
func analysisTime() time.Time {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Now().UTC()
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
