package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/findings"
)

// Formats the renderers know, for flag help and errors.
var Formats = []string{"text", "json", "markdown"}

// TextOptions shape the terminal rendering.
type TextOptions struct {
	Color bool // ANSI colours (only on a terminal)
}

// JSON writes the report contract.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type palette struct{ red, yellow, green, dim, bold, reset string }

func colours(on bool) palette {
	if !on {
		return palette{}
	}
	return palette{red: "\x1b[31m", yellow: "\x1b[33m", green: "\x1b[32m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m"}
}

func (p palette) status(s string) string {
	switch s {
	case StatusFail:
		return p.red + "FAIL" + p.reset
	case StatusWarn:
		return p.yellow + "WARN" + p.reset
	case StatusPass:
		return p.green + "pass" + p.reset
	}
	return p.dim + "----" + p.reset
}

func (p palette) severity(s string) string {
	switch s {
	case findings.SeverityCritical:
		return p.red + "CRITICAL" + p.reset
	case findings.SeverityWarning:
		return p.yellow + "WARNING" + p.reset
	}
	return p.dim + "info" + p.reset
}

// Text writes the report for a terminal: the verdict first, then the runbook's
// stages, the findings with evidence and fix, and what could not be checked.
func Text(w io.Writer, r *Report, o TextOptions) error {
	p := colours(o.Color)
	b := &strings.Builder{}
	names := make([]string, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		names = append(names, n.Name)
	}
	fmt.Fprintf(b, "%spodnetdiag%s: %d node(s): %s\n", p.bold, p.reset, len(r.Nodes), strings.Join(names, ", "))
	fmt.Fprintf(b, "cluster DNS %s (%s), pod CIDRs %s%s, encapsulation %s%s\n\n",
		r.Cluster.DNSServiceIP, dnsSource(r.Facts), orNone(r.Cluster.PodCIDRs), from(r.Cluster.PodCIDRsSource),
		r.Cluster.Encapsulation, from(r.Cluster.EncapsulationSource))

	if r.RootCause != nil {
		fmt.Fprintf(b, "%sRoot cause%s: %s%s%s\n  %s\n\n", p.bold, p.reset, p.red, r.RootCause.Rule, p.reset, r.RootCause.Explanation)
	} else {
		fmt.Fprintf(b, "%sNo fault found%s in the checks that could be made.\n\n", p.bold, p.reset)
	}

	fmt.Fprintf(b, "%sRunbook stages%s\n", p.bold, p.reset)
	for _, s := range r.Stages {
		fmt.Fprintf(b, "  %s  %-16s %s\n", p.status(s.Status), s.Stage, s.Summary)
	}

	var act, info []findings.Finding
	for _, f := range r.Findings {
		if f.Insufficient || f.Severity == findings.SeverityInfo {
			info = append(info, f)
		} else {
			act = append(act, f)
		}
	}
	if len(act) > 0 {
		fmt.Fprintf(b, "\n%sFindings%s\n", p.bold, p.reset)
		for _, f := range act {
			fmt.Fprintf(b, "\n  %s %s%s%s on %s", p.severity(f.Severity), p.bold, f.Rule, p.reset, orCluster(f.Node))
			if f.Peer != "" {
				fmt.Fprintf(b, " (peer %s)", f.Peer)
			}
			fmt.Fprintf(b, " [%s]\n", f.Stage)
			if f.ConsequenceOf != "" {
				fmt.Fprintf(b, "    %sconsequence of %s%s\n", p.dim, f.ConsequenceOf, p.reset)
			}
			fmt.Fprintf(b, "    %s\n    %s\n", f.Title, f.Message)
			for _, e := range f.Evidence {
				fmt.Fprintf(b, "    %s> %s%s\n", p.dim, refString(e), p.reset)
			}
			if f.Remediation != "" {
				fmt.Fprintf(b, "    fix:\n")
				for _, line := range strings.Split(strings.TrimRight(f.Remediation, "\n"), "\n") {
					fmt.Fprintf(b, "      %s\n", line)
				}
			}
		}
	}
	if len(info) > 0 {
		fmt.Fprintf(b, "\n%sNot checked, or for information%s\n", p.bold, p.reset)
		for _, g := range groupInfo(info) {
			fmt.Fprintf(b, "  %s on %s: %s\n", g.rule, g.where(), g.message)
		}
	}
	writeDataQuality(b, r, "", "  ")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDataQuality(b *strings.Builder, r *Report, heading, indent string) {
	if heading == "" {
		heading = "\nData quality\n"
	}
	b.WriteString(heading)
	if len(r.Warnings) == 0 && len(r.Diagnostics) == 0 {
		fmt.Fprintf(b, "%severy file parsed without a warning\n", indent)
		return
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(b, "%s%s\n", indent, w)
	}
	const max = 50
	for i, d := range r.Diagnostics {
		if i == max {
			fmt.Fprintf(b, "%s... and %d more (analyze inspect lists them all)\n", indent, len(r.Diagnostics)-max)
			break
		}
		fmt.Fprintf(b, "%s%s\n", indent, d)
	}
}

func dnsSource(c *facts.Cluster) string {
	if c == nil || c.DNSServiceIPSource == "" {
		return "source unknown"
	}
	if c.DNSServiceIPSource == "default" {
		return "kubeadm default: nothing in the bundles says otherwise"
	}
	return "from " + c.DNSServiceIPSource
}

// from names the source of an inferred value, " (from X)", or nothing.
func from(src string) string {
	if src == "" {
		return ""
	}
	return " (from " + src + ")"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "unknown"
	}
	return strings.Join(s, ", ")
}

func refString(e facts.Ref) string {
	loc := e.Node + ":" + e.File
	if e.Line > 0 {
		loc += fmt.Sprintf(":%d", e.Line)
	}
	if e.Packet > 0 {
		loc += fmt.Sprintf(" packet %d", e.Packet)
	}
	if e.Text != "" {
		return loc + ": " + e.Text
	}
	return loc
}

// Markdown writes the report for pasting into a ticket.
func Markdown(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	b.WriteString("## podnetdiag report\n\n")
	fmt.Fprintf(b, "- Nodes: %d (", len(r.Nodes))
	for i, n := range r.Nodes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "`%s`", n.Name)
	}
	b.WriteString(")\n")
	fmt.Fprintf(b, "- Cluster DNS: `%s` (%s)\n- Pod CIDRs: %s%s\n- Encapsulation: %s%s\n\n",
		r.Cluster.DNSServiceIP, dnsSource(r.Facts), orNone(r.Cluster.PodCIDRs), from(r.Cluster.PodCIDRsSource),
		r.Cluster.Encapsulation, from(r.Cluster.EncapsulationSource))
	if r.RootCause != nil {
		fmt.Fprintf(b, "### Root cause: `%s`\n\n%s\n\n", r.RootCause.Rule, r.RootCause.Explanation)
	} else {
		b.WriteString("### No fault found\n\nNo check that could be made failed.\n\n")
	}
	b.WriteString("### Runbook stages\n\n| stage | status | summary |\n|---|---|---|\n")
	for _, s := range r.Stages {
		fmt.Fprintf(b, "| %s | %s | %s |\n", s.Stage, s.Status, strings.ReplaceAll(s.Summary, "|", "\\|"))
	}
	var act, info []findings.Finding
	for _, f := range r.Findings {
		if f.Insufficient || f.Severity == findings.SeverityInfo {
			info = append(info, f)
		} else {
			act = append(act, f)
		}
	}
	if len(act) > 0 {
		b.WriteString("\n### Findings\n")
		for _, f := range act {
			fmt.Fprintf(b, "\n#### %s `%s` on `%s`", strings.ToUpper(f.Severity), f.Rule, orCluster(f.Node))
			if f.Peer != "" {
				fmt.Fprintf(b, " (peer `%s`)", f.Peer)
			}
			b.WriteString("\n\n")
			if f.ConsequenceOf != "" {
				fmt.Fprintf(b, "_Consequence of `%s`._\n\n", f.ConsequenceOf)
			}
			fmt.Fprintf(b, "%s: %s\n", f.Title, f.Message)
			if len(f.Evidence) > 0 {
				b.WriteString("\n```\n")
				for _, e := range f.Evidence {
					b.WriteString(refString(e) + "\n")
				}
				b.WriteString("```\n")
			}
			if f.Remediation != "" {
				fmt.Fprintf(b, "\n**Fix:**\n\n```\n%s\n```\n", strings.TrimRight(f.Remediation, "\n"))
			}
		}
	}
	if len(info) > 0 {
		b.WriteString("\n### Not checked, or for information\n\n")
		for _, g := range groupInfo(info) {
			fmt.Fprintf(b, "- `%s` on %s: %s\n", g.rule, g.where(), g.message)
		}
	}
	writeDataQuality(b, r, "\n### Data quality\n\n", "- ")
	_, err := io.WriteString(w, b.String())
	return err
}

// infoGroup is one message of one rule and the nodes it was said for: a check
// that lacked captures on every node is one line, not one per node.
type infoGroup struct {
	rule, message string
	nodes         []string
}

func (g infoGroup) where() string {
	if len(g.nodes) == 1 {
		return orCluster(g.nodes[0])
	}
	return strings.Join(g.nodes, ", ")
}

func groupInfo(fs []findings.Finding) []infoGroup {
	var out []infoGroup
	index := map[[2]string]int{}
	for _, f := range fs {
		k := [2]string{f.Rule, f.Message}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, infoGroup{rule: f.Rule, message: f.Message})
		}
		out[i].nodes = append(out[i].nodes, orCluster(f.Node))
	}
	return out
}
