package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	kjson "sigs.k8s.io/json"

	"github.com/podnetdiag/podnetdiag/pkg/collect"
)

// decodeAll decodes every YAML document of a manifest strictly into its
// kind's k8s.io/api type: an unknown or misspelt field fails, as it would
// with `kubectl apply --validate=strict`.
func decodeAll(t *testing.T, name string, data []byte) []any {
	t.Helper()
	out, err := decode(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decode(name string, data []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []any
	for i := 0; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %v", name, i, err)
		}
		if doc == nil {
			continue
		}
		js, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %v", name, i, err)
		}
		var obj any
		switch fmt.Sprint(doc["apiVersion"], "/", doc["kind"]) {
		case "v1/Namespace":
			obj = &corev1.Namespace{}
		case "v1/ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "rbac.authorization.k8s.io/v1/ClusterRole":
			obj = &rbacv1.ClusterRole{}
		case "rbac.authorization.k8s.io/v1/ClusterRoleBinding":
			obj = &rbacv1.ClusterRoleBinding{}
		case "apps/v1/DaemonSet":
			obj = &appsv1.DaemonSet{}
		case "batch/v1/Job":
			obj = &batchv1.Job{}
		default:
			return nil, fmt.Errorf("%s: document %d: unexpected %v/%v", name, i, doc["apiVersion"], doc["kind"])
		}
		// The API server's own strict decoder: unknown, duplicate and
		// wrongly-cased fields are errors (encoding/json ignores case).
		strict, err := kjson.UnmarshalStrict(js, obj)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d (%v): %v", name, i, doc["kind"], err)
		}
		if len(strict) > 0 {
			return nil, fmt.Errorf("%s: document %d (%v): %v", name, i, doc["kind"], errors.Join(strict...))
		}
		out = append(out, obj)
	}
	return out, nil
}

func manifests(t *testing.T) map[string][]any {
	t.Helper()
	out := map[string][]any{}
	for _, name := range []string{"rbac.yaml", "daemonset.yaml", JobFile} {
		b, err := Files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if name == JobFile {
			b = bytes.ReplaceAll(b, []byte(NodePlaceholder), []byte("worker-1"))
		}
		out[name] = decodeAll(t, name, b)
	}
	return out
}

func TestManifestsDecodeStrictly(t *testing.T) {
	m := manifests(t)
	if len(m["rbac.yaml"]) != 4 || len(m["daemonset.yaml"]) != 1 || len(m[JobFile]) != 1 {
		t.Fatalf("documents: rbac %d, daemonset %d, job %d", len(m["rbac.yaml"]), len(m["daemonset.yaml"]), len(m[JobFile]))
	}
}

func TestAMisspeltFieldIsRefused(t *testing.T) {
	b, _ := Files.ReadFile("daemonset.yaml")
	bad := bytes.Replace(b, []byte("hostPID:"), []byte("hostPid:"), 1)
	_, err := decode("bad", bad)
	if err == nil || !strings.Contains(err.Error(), "hostPid") {
		t.Fatalf("hostPid (misspelt): %v", err)
	}
}

// collectPod is what each node runs: the DaemonSet's init container, the
// Job's container.
func collectPods(t *testing.T) map[string]corev1.PodSpec {
	m := manifests(t)
	return map[string]corev1.PodSpec{
		"daemonset": m["daemonset.yaml"][0].(*appsv1.DaemonSet).Spec.Template.Spec,
		"job":       m[JobFile][0].(*batchv1.Job).Spec.Template.Spec,
	}
}

func collectContainer(t *testing.T, spec corev1.PodSpec) corev1.Container {
	t.Helper()
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		if c.Name == "collect" {
			return c
		}
	}
	t.Fatal("no collect container")
	return corev1.Container{}
}

func TestTheCollectorPodSeesTheHostReadOnlyWithOnlyTheCapabilitiesItNeeds(t *testing.T) {
	for name, spec := range collectPods(t) {
		t.Run(name, func(t *testing.T) {
			if !spec.HostNetwork || !spec.HostPID {
				t.Errorf("hostNetwork %v hostPID %v: the collector reads the node's network and calico-node's process", spec.HostNetwork, spec.HostPID)
			}
			if spec.ServiceAccountName != "podnetdiag-collect" {
				t.Errorf("service account %q", spec.ServiceAccountName)
			}
			// Every node: a toleration with operator Exists and no key.
			all := false
			for _, tol := range spec.Tolerations {
				if tol.Operator == corev1.TolerationOpExists && tol.Key == "" && tol.Effect == "" {
					all = true
				}
			}
			if !all {
				t.Errorf("tolerations %+v do not tolerate every taint", spec.Tolerations)
			}
			c := collectContainer(t, spec)
			sc := c.SecurityContext
			if sc == nil || sc.Capabilities == nil {
				t.Fatal("no security context")
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Error("privileged: capabilities are enough")
			}
			if !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("drop %v", sc.Capabilities.Drop)
			}
			want := []corev1.Capability{"NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYSLOG"}
			if !slices.Equal(sc.Capabilities.Add, want) {
				t.Errorf("add %v, want %v", sc.Capabilities.Add, want)
			}
			hostVols := map[string]string{}
			for _, v := range spec.Volumes {
				if v.HostPath != nil {
					hostVols[v.Name] = v.HostPath.Path
				}
			}
			root := ""
			for _, vm := range c.VolumeMounts {
				if _, ok := hostVols[vm.Name]; ok {
					if !vm.ReadOnly {
						t.Errorf("host mount %s is writable", vm.MountPath)
					}
					if hostVols[vm.Name] == "/" {
						root = vm.MountPath
					}
				}
			}
			if !slices.Contains(c.Args, "--root="+root) || root == "" {
				t.Errorf("args %v do not point --root at the host's / (mounted at %q)", c.Args, root)
			}
			if !slices.Contains(c.Args, "--output=-") {
				t.Errorf("args %v: the bundle must go to the log stream", c.Args)
			}
		})
	}
}

func TestTheDaemonSetAndTheJobRunTheSameCollector(t *testing.T) {
	p := collectPods(t)
	ds, job := collectContainer(t, p["daemonset"]), collectContainer(t, p["job"])
	if !reflect.DeepEqual(ds.SecurityContext, job.SecurityContext) || !reflect.DeepEqual(ds.VolumeMounts, job.VolumeMounts) ||
		!slices.Equal(ds.Args, job.Args) || ds.Image != job.Image {
		t.Error("the DaemonSet's and the Job's collect containers differ")
	}
	if p["job"].NodeName != "worker-1" || p["job"].RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("job: nodeName %q restartPolicy %q", p["job"].NodeName, p["job"].RestartPolicy)
	}
}

// TestTheRoleAllowsExactlyReadingWhatTheCollectorReads checks the ClusterRole
// against the API paths pkg/collect requests: a new object in the collector
// without its RBAC fails here, and so does any verb beyond reading.
func TestTheRoleAllowsExactlyReadingWhatTheCollectorReads(t *testing.T) {
	var role *rbacv1.ClusterRole
	for _, o := range manifests(t)["rbac.yaml"] {
		if r, ok := o.(*rbacv1.ClusterRole); ok {
			role = r
		}
	}
	if role == nil {
		t.Fatal("no ClusterRole")
	}
	allowed := func(group, resource, verb string) bool {
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
				return true
			}
		}
		return false
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("verb %q on %v: the collector only reads", v, r.Resources)
			}
		}
		for _, res := range r.Resources {
			if res == "secrets" || res == "*" || res == "pods/exec" {
				t.Errorf("resource %q must not be granted", res)
			}
		}
	}
	paths := append(collect.KubeObjectURLs(), "/api/v1/namespaces/kube-system/pods/coredns-x/log")
	for _, p := range paths {
		group, resource, verb := parseAPIPath(t, p)
		if !allowed(group, resource, verb) {
			t.Errorf("%s: %s %s.%s not granted", p, verb, resource, group)
		}
	}
}

// parseAPIPath reads /api/v1/[namespaces/NS/]RES[/NAME[/SUB]] and
// /apis/GROUP/VERSION/... into the group, resource and verb RBAC checks.
func parseAPIPath(t *testing.T, p string) (group, resource, verb string) {
	t.Helper()
	u, err := url.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		t.Fatalf("%s: not an API path", p)
	}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) > 2 {
		parts = parts[2:]
	}
	resource, verb = parts[0], "list"
	if len(parts) >= 2 {
		verb = "get"
	}
	if len(parts) >= 3 {
		resource += "/" + parts[2]
	}
	return group, resource, verb
}
