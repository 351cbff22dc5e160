package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
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

// maxEvidence is how many evidence lines a group shows in text and Markdown;
// the JSON has them all.
const maxEvidence = 8

// JSON writes the report contract, with the findings also grouped.
func JSON(w io.Writer, r *Report) error {
	out := *r
	out.FindingGroups = Groups(r.Findings, len(r.Nodes), r.RootCause)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
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
	case StatusNotApplicable:
		return p.dim + "n/a " + p.reset
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

// layout is what every format shows, in the order it shows it.
type layout struct {
	root                             *Group
	consequences, others, notChecked []Group
	// notApplicable: the rules that do not apply, one entry per reason.
	notApplicable []naReason
	names         []string
}

// naReason is one reason some rules do not apply, where, and what shows it.
type naReason struct {
	reason, where string
	rules         []string
	evidence      []facts.Ref
}

// naWhere says on which nodes a rule does not apply: everywhere when it is
// the cluster or every node analysed.
func naWhere(nodes, names []string) string {
	all := slices.Contains(nodes, "")
	if !all && len(names) > 0 {
		all = true
		for _, n := range names {
			all = all && slices.Contains(nodes, n)
		}
	}
	if all {
		return "everywhere"
	}
	return "on " + strings.Join(nodes, ", ")
}

// addNotApplicable folds a not-applicable group into the entry of its reason
// and nodes: a dozen route and tunnel rules that do not apply anywhere for one
// reason read as one entry.
func (l *layout) addNotApplicable(g Group) {
	reason := strings.TrimPrefix(g.Message, "not applicable: ")
	where := naWhere(g.Nodes, l.names)
	i := slices.IndexFunc(l.notApplicable, func(x naReason) bool { return x.reason == reason && x.where == where })
	if i < 0 {
		i = len(l.notApplicable)
		l.notApplicable = append(l.notApplicable, naReason{reason: reason, where: where})
	}
	x := &l.notApplicable[i]
	if !slices.Contains(x.rules, g.Rule) {
		x.rules = append(x.rules, g.Rule)
	}
	for _, e := range g.Evidence {
		if !slices.ContainsFunc(x.evidence, e.Equal) {
			x.evidence = append(x.evidence, e)
		}
	}
}

func arrange(r *Report) layout {
	l := layout{}
	for _, n := range r.Nodes {
		l.names = append(l.names, n.Name)
	}
	gs := Groups(r.Findings, len(r.Nodes), r.RootCause)
	for i := range gs {
		g := gs[i]
		switch {
		case g.RootCause && l.root == nil:
			l.root = &gs[i]
		case g.NotApplicable:
			l.addNotApplicable(g)
		case g.Insufficient || g.Severity == findings.SeverityInfo:
			l.notChecked = append(l.notChecked, g)
		case r.RootCause != nil && g.ConsequenceOf == r.RootCause.Rule && g.ConsequenceOfNode == r.RootCause.Node:
			l.consequences = append(l.consequences, g)
		default:
			l.others = append(l.others, g)
		}
	}
	return l
}

func filterLine(f *Filter) string {
	if f == nil {
		return ""
	}
	var parts []string
	if len(f.Nodes) > 0 {
		parts = append(parts, "node "+strings.Join(f.Nodes, ", "))
	}
	if len(f.Rules) > 0 {
		parts = append(parts, "rule "+strings.Join(f.Rules, ", "))
	}
	if f.MinSeverity != "" {
		parts = append(parts, "severity "+f.MinSeverity+" and above")
	}
	return "findings listed: " + strings.Join(parts, "; ") + " (the root cause and stages are for all input)"
}

// Text writes the report for a terminal: the root cause and its evidence
// first, then the runbook's stages, the consequences of the root cause, the
// other problems, what could not be checked and the data quality. Every
// string from the bundles is escaped (see escapeText).
func Text(w io.Writer, r *Report, o TextOptions) error {
	p := colours(o.Color)
	e := escapeText
	b := &strings.Builder{}
	l := arrange(r)
	fmt.Fprintf(b, "%spodnetdiag%s: %d node(s): %s\n", p.bold, p.reset, len(r.Nodes), e(strings.Join(l.names, ", ")))
	fmt.Fprintf(b, "cluster DNS %s (%s), pod CIDRs %s%s, encapsulation %s%s\n",
		e(r.Cluster.DNSServiceIP), e(dnsSource(r.Facts)), e(orNone(r.Cluster.PodCIDRs)), e(from(r.Cluster.PodCIDRsSource)),
		e(r.Cluster.Encapsulation), e(from(r.Cluster.EncapsulationSource)))
	if fl := filterLine(r.Filter); fl != "" {
		fmt.Fprintf(b, "%s\n", e(fl))
	}
	b.WriteString("\n")

	switch {
	case r.RootCause != nil:
		rc := r.RootCause
		fmt.Fprintf(b, "%sRoot cause%s: %s%s%s", p.bold, p.reset, p.red, e(rc.Rule), p.reset)
		if rc.Severity != "" {
			fmt.Fprintf(b, " [%s, %s]", p.severity(rc.Severity), e(rc.Stage))
		}
		b.WriteString("\n")
		fmt.Fprintf(b, "  %s\n", e(rc.Explanation))
		if g := l.root; g != nil {
			if len(g.Nodes) > 1 {
				fmt.Fprintf(b, "  The same on %s.\n", e(g.Where()))
			}
			textEvidence(b, p, g.Evidence, "  ")
			textFix(b, g.Remediation, "  ")
		} else if len(rc.Evidence) > 0 {
			textEvidence(b, p, rc.Evidence, "  ")
		}
	default:
		fmt.Fprintf(b, "%sNo fault found%s in the checks that could be made.\n", p.bold, p.reset)
		if len(l.notChecked) > 0 {
			fmt.Fprintf(b, "  %d check(s) could not be made; see \"Not checked\" below.\n", countNotChecked(l.notChecked))
		}
		if n := countNotApplicable(l.notApplicable); n > 0 {
			fmt.Fprintf(b, "  %d check(s) do not apply here; see \"Not applicable\" below.\n", n)
		}
	}

	fmt.Fprintf(b, "\n%sRunbook stages%s\n", p.bold, p.reset)
	for _, s := range r.Stages {
		fmt.Fprintf(b, "  %s  %-16s %s\n", p.status(s.Status), s.Stage, e(s.Summary))
	}

	textGroups := func(title string, gs []Group) {
		if len(gs) == 0 {
			return
		}
		fmt.Fprintf(b, "\n%s%s%s\n", p.bold, title, p.reset)
		for _, g := range gs {
			fmt.Fprintf(b, "\n  %s %s%s%s on %s", p.severity(g.Severity), p.bold, e(g.Rule), p.reset, e(g.Where()))
			if g.Peer != "" {
				fmt.Fprintf(b, " (peer %s)", e(g.Peer))
			}
			fmt.Fprintf(b, " [%s]\n", e(g.Stage))
			if g.ConsequenceOf != "" && (r.RootCause == nil || g.ConsequenceOf != r.RootCause.Rule || g.ConsequenceOfNode != r.RootCause.Node) {
				fmt.Fprintf(b, "    %sconsequence of %s%s\n", p.dim, e(g.ConsequenceOf), p.reset)
			}
			fmt.Fprintf(b, "    %s\n    %s\n", e(g.Title), e(g.Message))
			textEvidence(b, p, g.Evidence, "    ")
			textFix(b, g.Remediation, "    ")
		}
	}
	textGroups("Consequences of the root cause", l.consequences)
	otherTitle := "Other problems"
	if r.RootCause == nil {
		otherTitle = "Problems"
	}
	textGroups(otherTitle, l.others)

	if len(l.notChecked) > 0 {
		fmt.Fprintf(b, "\n%sNot checked, or for information%s\n", p.bold, p.reset)
		for _, g := range l.notChecked {
			fmt.Fprintf(b, "  %s on %s: %s\n", e(g.Rule), e(g.Where()), e(g.Message))
		}
	}
	if len(l.notApplicable) > 0 {
		fmt.Fprintf(b, "\n%sNot applicable%s (neither passed nor failed: nothing to check)\n", p.bold, p.reset)
		for _, x := range l.notApplicable {
			fmt.Fprintf(b, "  %s: %s\n    %s\n", e(x.where), e(x.reason), e(strings.Join(x.rules, ", ")))
			textEvidence(b, p, x.evidence, "    ")
		}
	}
	writeDataQuality(b, r, "", "  ", e)
	_, err := io.WriteString(w, b.String())
	return err
}

func countNotApplicable(na []naReason) int {
	n := 0
	for _, x := range na {
		n += len(x.rules)
	}
	return n
}

func countNotChecked(gs []Group) int {
	n := 0
	for _, g := range gs {
		if g.Insufficient || g.Rule == findings.RuleError {
			n++
		}
	}
	return n
}

func textEvidence(b *strings.Builder, p palette, ev []facts.Ref, indent string) {
	for i, x := range ev {
		if i == maxEvidence {
			fmt.Fprintf(b, "%s%s> ... and %d more (-o json lists them all)%s\n", indent, p.dim, len(ev)-maxEvidence, p.reset)
			break
		}
		fmt.Fprintf(b, "%s%s> %s%s\n", indent, p.dim, escapeText(refString(x)), p.reset)
	}
}

func textFix(b *strings.Builder, remediation, indent string) {
	if remediation == "" {
		return
	}
	fmt.Fprintf(b, "%sfix:\n", indent)
	for _, line := range escapeLines(remediation) {
		fmt.Fprintf(b, "%s  %s\n", indent, line)
	}
}

func writeDataQuality(b *strings.Builder, r *Report, heading, indent string, esc func(string) string) {
	if heading == "" {
		heading = "\nData quality\n"
	}
	b.WriteString(heading)
	if len(r.Warnings) == 0 && len(r.Diagnostics) == 0 {
		fmt.Fprintf(b, "%severy file parsed without a warning\n", indent)
		return
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(b, "%s%s\n", indent, esc(w))
	}
	const max = 50
	for i, d := range r.Diagnostics {
		if i == max {
			fmt.Fprintf(b, "%s... and %d more (analyze inspect lists them all)\n", indent, len(r.Diagnostics)-max)
			break
		}
		fmt.Fprintf(b, "%s%s\n", indent, esc(d.String()))
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
	loc := e.Node() + ":" + e.File()
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

// Markdown writes the report for pasting into a ticket, in the text report's
// order. Data is escaped for Markdown: running text backslash-escapes its
// syntax, code spans and fences are sized so no backtick in the data closes
// them, and control characters are shown as escapes.
func Markdown(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	l := arrange(r)
	b.WriteString("## podnetdiag report\n\n")
	fmt.Fprintf(b, "- Nodes: %d (", len(r.Nodes))
	for i, n := range l.names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(mdCode(n))
	}
	b.WriteString(")\n")
	fmt.Fprintf(b, "- Cluster DNS: %s (%s)\n- Pod CIDRs: %s%s\n- Encapsulation: %s%s\n",
		mdCode(r.Cluster.DNSServiceIP), mdText(dnsSource(r.Facts)), mdText(orNone(r.Cluster.PodCIDRs)), mdText(from(r.Cluster.PodCIDRsSource)),
		mdText(r.Cluster.Encapsulation), mdText(from(r.Cluster.EncapsulationSource)))
	if fl := filterLine(r.Filter); fl != "" {
		fmt.Fprintf(b, "- %s\n", mdText(fl))
	}
	b.WriteString("\n")

	mdGroupBody := func(g Group) {
		if len(g.Evidence) > 0 {
			var lines []string
			for i, x := range g.Evidence {
				if i == maxEvidence {
					lines = append(lines, fmt.Sprintf("... and %d more (-o json lists them all)", len(g.Evidence)-maxEvidence))
					break
				}
				lines = append(lines, escapeText(refString(x)))
			}
			b.WriteString("\n")
			mdFence(b, lines)
		}
		if g.Remediation != "" {
			b.WriteString("\n**Fix:**\n\n")
			mdFence(b, escapeLines(g.Remediation))
		}
	}

	if rc := r.RootCause; rc != nil {
		fmt.Fprintf(b, "### Root cause: %s", mdCode(rc.Rule))
		if rc.Severity != "" {
			fmt.Fprintf(b, " (%s, %s)", strings.ToUpper(rc.Severity), mdText(rc.Stage))
		}
		fmt.Fprintf(b, "\n\n%s\n", mdText(rc.Explanation))
		if g := l.root; g != nil {
			if len(g.Nodes) > 1 {
				fmt.Fprintf(b, "\nThe same on %s.\n", mdText(g.Where()))
			}
			mdGroupBody(*g)
		}
		b.WriteString("\n")
	} else {
		b.WriteString("### No fault found\n\nNo check that could be made failed.")
		if len(l.notChecked) > 0 {
			fmt.Fprintf(b, " %d check(s) could not be made; see \"Not checked\" below.", countNotChecked(l.notChecked))
		}
		if n := countNotApplicable(l.notApplicable); n > 0 {
			fmt.Fprintf(b, " %d check(s) do not apply here; see \"Not applicable\" below.", n)
		}
		b.WriteString("\n\n")
	}

	b.WriteString("### Runbook stages\n\n| stage | status | summary |\n|---|---|---|\n")
	for _, s := range r.Stages {
		fmt.Fprintf(b, "| %s | %s | %s |\n", mdText(s.Stage), mdText(s.Status), mdText(s.Summary))
	}

	mdGroups := func(title string, gs []Group) {
		if len(gs) == 0 {
			return
		}
		fmt.Fprintf(b, "\n### %s\n", title)
		for _, g := range gs {
			fmt.Fprintf(b, "\n#### %s %s on %s", strings.ToUpper(g.Severity), mdCode(g.Rule), mdText(g.Where()))
			if g.Peer != "" {
				fmt.Fprintf(b, " (peer %s)", mdCode(g.Peer))
			}
			b.WriteString("\n\n")
			if g.ConsequenceOf != "" && (r.RootCause == nil || g.ConsequenceOf != r.RootCause.Rule || g.ConsequenceOfNode != r.RootCause.Node) {
				fmt.Fprintf(b, "_Consequence of %s._\n\n", mdCode(g.ConsequenceOf))
			}
			fmt.Fprintf(b, "%s: %s\n", mdText(g.Title), mdText(g.Message))
			mdGroupBody(g)
		}
	}
	mdGroups("Consequences of the root cause", l.consequences)
	otherTitle := "Other problems"
	if r.RootCause == nil {
		otherTitle = "Problems"
	}
	mdGroups(otherTitle, l.others)
	if len(l.notChecked) > 0 {
		b.WriteString("\n### Not checked, or for information\n\n")
		for _, g := range l.notChecked {
			fmt.Fprintf(b, "- %s on %s: %s\n", mdCode(g.Rule), mdText(g.Where()), mdText(g.Message))
		}
	}
	if len(l.notApplicable) > 0 {
		b.WriteString("\n### Not applicable\n\nNeither passed nor failed: these checks have nothing to judge here.\n")
		for _, x := range l.notApplicable {
			fmt.Fprintf(b, "\n- %s: %s\n  ", mdText(x.where), mdText(x.reason))
			for i, id := range x.rules {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(mdCode(id))
			}
			b.WriteString("\n")
			if len(x.evidence) > 0 {
				var lines []string
				for i, ev := range x.evidence {
					if i == maxEvidence {
						lines = append(lines, fmt.Sprintf("... and %d more (-o json lists them all)", len(x.evidence)-maxEvidence))
						break
					}
					lines = append(lines, escapeText(refString(ev)))
				}
				b.WriteString("\n")
				mdFence(b, lines)
			}
		}
	}
	writeDataQuality(b, r, "\n### Data quality\n\n", "- ", mdText)
	_, err := io.WriteString(w, b.String())
	return err
}
