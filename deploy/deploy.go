// Package deploy holds the Kubernetes manifests of the collector, embedded so
// that `collect cluster` creates its per-node pods from the very pod template
// an operator would apply by hand (job.yaml), and the tests check both.
package deploy

import "embed"

// Files are the manifests: rbac.yaml, daemonset.yaml, job.yaml.
//
//go:embed *.yaml
var Files embed.FS

// JobFile is the Job of one node; its pod template is what `collect cluster`
// runs on each chosen node.
const JobFile = "job.yaml"

// NodePlaceholder stands for the node's name in JobFile.
const NodePlaceholder = "NODE_NAME"
