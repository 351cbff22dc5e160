// Package analysis is the analyzer's pipeline in one call: bundles -> parsers
// -> facts -> rules -> findings -> report. The CLI, the rule tests and the
// benchmarks all go through it, so they exercise the same path.
package analysis

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/podnetdiag/podnetdiag/pkg/assemble"
	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
	"github.com/podnetdiag/podnetdiag/pkg/load"
	"github.com/podnetdiag/podnetdiag/pkg/report"
	"github.com/podnetdiag/podnetdiag/pkg/rules"
	pack "github.com/podnetdiag/podnetdiag/rules"
)

// Options steer one analysis.
type Options struct {
	Bundle bundle.Options
	// DNSServiceIP overrides the inferred cluster DNS Service IP.
	DNSServiceIP string
	// RuleDirs add rule files to the embedded pack.
	RuleDirs []string
	// NoPack leaves the embedded rule pack out (rule development).
	NoPack bool
}

// RuleLoadError carries every problem of the rule files, one per line.
type RuleLoadError struct{ Errs []error }

func (e *RuleLoadError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return "rules:\n" + strings.Join(msgs, "\n")
}

// Engine compiles the rule pack and the extra rule folders once.
func Engine(o Options) (*rules.Engine, error) {
	eng, err := rules.New(rules.Options{})
	if err != nil {
		return nil, fmt.Errorf("rule engine: %w", err)
	}
	var errs []error
	if !o.NoPack {
		errs = append(errs, eng.LoadFS(pack.FS, "rules")...)
	}
	for _, d := range o.RuleDirs {
		errs = append(errs, eng.LoadDir(d)...)
	}
	if len(errs) > 0 {
		return nil, &RuleLoadError{Errs: errs}
	}
	return eng, nil
}

// Facts opens and parses the bundles and builds the cluster model; it also
// returns every diagnostic (file names prefixed with the node) and bundle
// warning.
func Facts(paths []string, o Options) (*facts.Cluster, []diag.Diagnostic, []string, error) {
	in, err := loadInputs(paths, o)
	if err != nil {
		return nil, nil, nil, err
	}
	// The model is written out whole (analyze facts) or judged by rule tests
	// that compare evidence: every ref quotes its line.
	facts.ResolveRefs(in.cluster)
	return in.cluster, in.diags, in.warns, nil
}

// inputs is what the bundles gave: the model, its data-quality remarks and
// which files it came from.
type inputs struct {
	cluster *facts.Cluster
	diags   []diag.Diagnostic
	warns   []string
	sources []report.Source
}

func loadInputs(paths []string, o Options) (*inputs, error) {
	// Each node's own facts are built as soon as it is parsed, and the bulk
	// of its parse (IPVS, links) let go: a fleet's nodes are never all held
	// both parsed and built.
	var mu sync.Mutex
	built := map[*load.Node]facts.Node{}
	little := map[*load.Node]bool{}
	nodes, err := load.LoadAllFunc(paths, o.Bundle, func(n *load.Node) {
		if n.ClusterScope() {
			return
		}
		f := assemble.NodeFacts(n)
		l := n.IPVS == nil && n.Routes == nil && n.RoutesAll == nil
		assemble.ShedNode(n)
		mu.Lock()
		built[n], little[n] = f, l
		mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = load.CloseAll(nodes) }()
	if len(nodes) == 0 {
		return nil, errors.New("no bundle given")
	}
	var ds []diag.Diagnostic
	var warns []string
	for _, n := range nodes {
		for _, d := range n.Diagnostics() {
			if d.Severity == diag.Info {
				continue
			}
			d.File = n.Name + ":" + d.File
			ds = append(ds, d)
		}
		for _, w := range n.Bundle.Warnings {
			warns = append(warns, n.Name+": "+w)
		}
		if little[n] {
			warns = append(warns, fmt.Sprintf("%s: neither %s nor %s is known from the bundle: little can be checked", n.Name, bundle.IPVSPath, bundle.IPRoutePath))
		}
	}
	c := assemble.Build(nodes, assemble.Options{DNSServiceIP: o.DNSServiceIP, Built: built})
	for _, n := range nodes {
		// The model is built: what is kept of a node is the text its
		// evidence quotes, not its parses, while the rules run.
		n.DropParses()
	}
	if c.CalicoPolicyOnlyDoubt != "" {
		// The bundles contradict each other: say so, as the route and tunnel
		// rules run on a cluster a setting calls policy-only.
		warns = append(warns, "Calico "+c.CalicoPolicyOnlyDoubt+"; the route and tunnel checks run")
	}
	return &inputs{cluster: c, diags: ds, warns: warns, sources: sources(nodes)}, nil
}

// sources names each node's bundle file with its SHA-256, so that a report
// says exactly which data it judged. A directory has no single digest.
func sources(nodes []*load.Node) []report.Source {
	out := make([]report.Source, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, report.Source{Node: n.Name, File: n.Bundle.Path, SHA256: n.Bundle.SHA256})
	}
	return out
}

// Run analyses the bundles with a compiled engine.
func Run(eng *rules.Engine, paths []string, o Options) (*report.Report, error) {
	in, err := loadInputs(paths, o)
	if err != nil {
		return nil, err
	}
	c := in.cluster
	fs := eng.Eval(c)
	// Only the evidence a finding cites is quoted: the model's refs (every
	// IPVS real server, route and rule of every node) carry no text.
	for i := range fs {
		for j := range fs[i].Evidence {
			fs[i].Evidence[j].ResolveText()
		}
	}
	infos := make([]report.RuleInfo, 0, len(eng.Rules()))
	for _, r := range eng.Rules() {
		infos = append(infos, report.RuleInfo{ID: r.ID, Stage: r.Stage, Explains: r.Explains})
	}
	return report.Build(report.Input{Facts: c, Findings: fs, Rules: infos, Diagnostics: in.diags, Warnings: in.warns, Sources: in.sources}), nil
}

// BuildFunc adapts Facts to the rule-test runner: bundle paths relative to the
// repository root, args of the test case as options.
func BuildFunc(o Options) rules.BuildFunc {
	return func(bundles []string, args map[string]string) (*facts.Cluster, error) {
		oo := o
		if v, ok := args["dnsServiceIP"]; ok {
			oo.DNSServiceIP = v
		}
		c, _, _, err := Facts(bundles, oo)
		return c, err
	}
}
