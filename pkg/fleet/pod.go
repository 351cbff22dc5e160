package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/podnetdiag/podnetdiag/deploy"
)

// Labels and annotations of the pods a run creates. The run label lets an
// operator remove what an interrupted run left: kubectl delete pod -l
// podnetdiag.io/run=ID.
const (
	LabelRun       = "podnetdiag.io/run"
	AnnotationNode = "podnetdiag.io/node"
	containerName  = "collect"
)

// podSpec is what a node's pod needs beyond the template.
type podSpec struct {
	Name, Namespace, Node, Run, Image string
	Args                              []string
	Deadline                          time.Duration
}

// template reads the pod template of deploy/job.yaml: the per-node pods are
// the manifest an operator would apply by hand, so the two cannot drift.
func template() (map[string]any, error) {
	b, err := deploy.Files.ReadFile(deploy.JobFile)
	if err != nil {
		return nil, err
	}
	var job map[string]any
	if err := yaml.Unmarshal(b, &job); err != nil {
		return nil, fmt.Errorf("%s: %w", deploy.JobFile, err)
	}
	tpl, ok := dig(job, "spec", "template").(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: no spec.template", deploy.JobFile)
	}
	return tpl, nil
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// templateArgs are the collect container's arguments in the template.
func templateArgs(tpl map[string]any) ([]string, error) {
	c, err := collectContainer(tpl)
	if err != nil {
		return nil, err
	}
	raw, _ := c["args"].([]any)
	out := make([]string, 0, len(raw))
	for _, a := range raw {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("%s: an argument of the collect container is not a string", deploy.JobFile)
		}
		out = append(out, s)
	}
	return out, nil
}

func collectContainer(tpl map[string]any) (map[string]any, error) {
	cs, _ := dig(tpl, "spec", "containers").([]any)
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok && m["name"] == containerName {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s: no container %q", deploy.JobFile, containerName)
}

// podJSON renders the Pod of one node.
func podJSON(s podSpec) ([]byte, error) {
	tpl, err := template()
	if err != nil {
		return nil, err
	}
	spec, _ := tpl["spec"].(map[string]any)
	c, err := collectContainer(tpl)
	if err != nil {
		return nil, err
	}
	labels := map[string]any{}
	if l, ok := dig(tpl, "metadata", "labels").(map[string]any); ok {
		for k, v := range l {
			labels[k] = v
		}
	}
	labels[LabelRun] = s.Run
	spec["nodeName"] = s.Node
	spec["restartPolicy"] = "Never"
	spec["activeDeadlineSeconds"] = int64(s.Deadline / time.Second)
	if s.Image != "" {
		c["image"] = s.Image
	}
	c["args"] = s.Args
	pod := map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata": map[string]any{
			"name":        s.Name,
			"namespace":   s.Namespace,
			"labels":      labels,
			"annotations": map[string]any{AnnotationNode: s.Node},
		},
		"spec": spec,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(pod); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// withArg replaces --name=... (or appends it) in args.
func withArg(args []string, name, value string) []string {
	out := args[:0:0]
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			continue
		}
		out = append(out, a)
	}
	if value == "" {
		return append(out, name)
	}
	return append(out, name+"="+value)
}

// podName is the pod of node number i of a run: node names may be longer than
// a pod name may be, so they go into an annotation instead.
func podName(run string, i int) string {
	return "podnetdiag-" + run + "-" + strconv.Itoa(i)
}
