package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	pcollect "github.com/podnetdiag/podnetdiag/pkg/collect"
	"github.com/podnetdiag/podnetdiag/pkg/collect/kubeapi"
	"github.com/podnetdiag/podnetdiag/pkg/fleet"
	"github.com/podnetdiag/podnetdiag/pkg/version"
)

// ExitPartial: `collect cluster` got bundles from some nodes, not all.
const ExitPartial = 3

// exitError carries an exit code other than ExitError.
type exitError struct {
	code int
	error
}

// ClusterOptions are the options of `collect cluster`.
type ClusterOptions struct {
	Nodes          []string
	Selector       string
	MaxParallel    int
	Output         string
	Kubeconfig     string
	Namespace      string
	Image          string
	CaptureSeconds int
	StartDelay     time.Duration
	NodeTimeout    time.Duration
	Quiet          bool
}

func newCmdCluster(stdout, stderr io.Writer, runF func(*ClusterOptions) error) *cobra.Command {
	o := &ClusterOptions{}
	cmd := &cobra.Command{
		Use:   "cluster -o DIR",
		Short: "Collect every chosen node of a cluster from a workstation's kubeconfig",
		Long: `Cluster runs the collector on each chosen node as a pod pinned to it (the pod
template of deploy/job.yaml; apply deploy/rbac.yaml once first), all with one
common capture start so that the capture windows overlap, and pulls each
node's bundle back over the pod's log. The cluster-wide objects (nodes,
endpoints, pools, ...) are read once, into DIR/cluster/, not by every node.
It keeps going when nodes fail, lists them at the end, and deletes every pod
it created, also when interrupted.

Analyse the result with: analyze DIR/*.tgz DIR/cluster

Exit codes: 0 every node gave a bundle, 3 some did not, 1 none did, 2 usage.`,
		Example: `  collect cluster -o bundles/
  collect cluster --nodes worker-1,worker-2 -o bundles/
  collect cluster --selector node-role.kubernetes.io/worker= --max-parallel 50 -o bundles/`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unexpected argument %q (see --help)", args[0])}
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(c *cobra.Command, _ []string) error {
			switch {
			case len(o.Nodes) > 0 && o.Selector != "":
				return usageError{errors.New("--nodes and --selector exclude each other")}
			case o.MaxParallel < 0:
				return usageError{errors.New("--max-parallel must be >= 0")}
			case o.CaptureSeconds < 0:
				return usageError{errors.New("--capture-seconds must be >= 0")}
			case o.Output == "":
				return usageError{errors.New("-o DIR is required")}
			}
			if runF != nil {
				return runF(o)
			}
			return runCluster(c.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Nodes, "nodes", nil, "nodes to collect (default: every node)")
	f.StringVar(&o.Selector, "selector", "", "label selector of the nodes to collect")
	f.IntVar(&o.MaxParallel, "max-parallel", 0, "pods running at once (0: all); more nodes run in waves, each with its own common capture start")
	f.StringVarP(&o.Output, "output", "o", "", "folder to write the bundles and cluster/ into")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
	f.StringVarP(&o.Namespace, "namespace", "n", fleet.DefaultNamespace, "namespace of the collector pods (deploy/rbac.yaml)")
	f.StringVar(&o.Image, "image", "", "collector image (default: the one of deploy/job.yaml)")
	f.IntVar(&o.CaptureSeconds, "capture-seconds", pcollect.DefaultCaptureSeconds, "length of each node's capture window")
	f.DurationVar(&o.StartDelay, "start-delay", fleet.DefaultStartDelay, "how far ahead the common capture start is set (time to schedule and start the pods)")
	f.DurationVar(&o.NodeTimeout, "node-timeout", 0, "bound on one node, pod creation to bundle (default: start delay + capture + 3m)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print only the summary")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}

// workstationKubeconfig: --kubeconfig, else kubectl's $KUBECONFIG (first
// file) and ~/.kube/config.
func workstationKubeconfig(flag string) (*kubeapi.Config, error) {
	var cands []string
	if flag != "" {
		cands = []string{flag}
	} else {
		for _, p := range filepath.SplitList(os.Getenv("KUBECONFIG")) {
			if p != "" {
				cands = append(cands, p)
			}
		}
		if home, err := os.UserHomeDir(); err == nil {
			cands = append(cands, filepath.Join(home, ".kube", "config"))
		}
	}
	var tried []string
	for _, p := range cands {
		if _, err := os.Stat(p); err != nil && p != flag {
			continue
		}
		cfg, err := kubeapi.LoadKubeconfig(p)
		if err == nil {
			return cfg, nil
		}
		tried = append(tried, err.Error())
	}
	if len(tried) == 0 {
		return nil, errors.New("no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config)")
	}
	return nil, errors.New(strings.Join(tried, "; "))
}

func runCluster(ctx context.Context, o *ClusterOptions, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// Ctrl-C stops the run; the pods created so far are still deleted.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := workstationKubeconfig(o.Kubeconfig)
	if err != nil {
		return err
	}
	cl, err := kubeapi.New(cfg)
	if err != nil {
		return err
	}
	defer cl.CloseIdle()
	var progress io.Writer = stderr
	if o.Quiet {
		progress = nil
	}
	res, err := fleet.Run(ctx, cl, fleet.Options{
		Nodes: o.Nodes, Selector: o.Selector, MaxParallel: o.MaxParallel,
		Namespace: o.Namespace, Image: o.Image, CaptureSeconds: o.CaptureSeconds,
		StartDelay: o.StartDelay, NodeTimeout: o.NodeTimeout, OutDir: o.Output,
		Progress: progress, Version: version.Get(Version).Version,
	})
	if err != nil {
		return err
	}
	return clusterSummary(stdout, stderr, res)
}

// clusterSummary prints the bundles (stdout, one path a line) and the failed
// nodes (stderr), and turns the outcome into the exit code.
func clusterSummary(stdout, stderr io.Writer, res *fleet.Result) error {
	ok := 0
	for _, n := range res.Nodes {
		if n.Err == nil {
			ok++
			fmt.Fprintln(stdout, n.Bundle)
		}
	}
	if res.ClusterDir != "" {
		fmt.Fprintln(stdout, res.ClusterDir)
	}
	failed := res.Failed()
	fmt.Fprintf(stderr, "\n%d of %d node(s) collected (run %s)\n", ok, len(res.Nodes), res.Run)
	if len(failed) > 0 {
		fmt.Fprintln(stderr, "Nodes without a bundle:")
		for _, n := range failed {
			fmt.Fprintf(stderr, "  %-30s %s\n", n.Node, oneLine(n.Err.Error()))
		}
	}
	for _, l := range res.Leftover {
		fmt.Fprintf(stderr, "pod not deleted: %s\n", l)
	}
	switch {
	case ok == 0:
		return errors.New("no node gave a bundle")
	case len(failed) > 0:
		return exitError{ExitPartial, fmt.Errorf("partial: %d of %d node(s) failed", len(failed), len(res.Nodes))}
	}
	return nil
}

func newCmdUnpack(stdout, stderr io.Writer) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "unpack [LOG]",
		Short: "Write the bundle framed in a collector pod's log (kubectl logs POD | collect unpack -o DIR)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{errors.New("unpack takes one log file (default: stdin)")}
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(c *cobra.Command, args []string) error {
			var in io.Reader = c.InOrStdin()
			if len(args) == 1 {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			p, err := unpack(in, out, stderr)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, p)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", ".", "folder to write the bundle into")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}

// unpack decodes a framed log into dir; the collector's progress lines are
// echoed to progress. Nothing is left under the final name unless complete.
func unpack(in io.Reader, dir string, progress io.Writer) (string, error) {
	tmp, err := os.CreateTemp(dir, ".podnetdiag-unpack-*.partial")
	if err != nil {
		return "", err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	d, err := fleet.Decode(in, tmp, fleet.DefaultMaxBundle, func(l string) { fmt.Fprintln(progress, l) })
	if err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	final := filepath.Join(dir, d.Name)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	return final, nil
}
