package calico

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// DaemonSet is the calico-node container's configuration: its environment, its
// image, and the ConfigMaps found in the same file, which valueFrom references
// resolve against.
type DaemonSet struct {
	// Kind, Namespace and Name identify the object the container came from
	// (DaemonSet normally; a Pod or Deployment is accepted too). Empty for ParseEnv.
	Kind, Namespace, Name string
	Line                  int
	// Container is the container read: "calico-node", or the first container with
	// CALICO_* or FELIX_* variables when none has that name.
	Container     string
	ContainerLine int
	// Image is as written ("docker.io/calico/node:v3.28.5"); Version is its tag
	// when the tag looks like a version ("v3.28.5"), else "".
	Image     string
	ImageLine int
	Version   string
	Env       []EnvVar
	EnvFrom   []EnvSource
	// ConfigMaps holds the ConfigMaps of the same file by name (the release
	// manifests put calico-config in front of the DaemonSet).
	ConfigMaps map[string]*ConfigMap
}

// EnvVar is one entry of the container's env list.
type EnvVar struct {
	Name  string
	Value string // as written: numbers and booleans in text form; "" for references
	// ValueFrom describes a reference: "configMapKeyRef calico-config/veth_mtu",
	// "secretKeyRef NAME/KEY", "fieldRef spec.nodeName", "resourceFieldRef
	// limits.memory". IsRef is set when the entry has a valueFrom.
	ValueFrom string
	IsRef     bool
	Ref       Ref
	Line      int // line of the entry's name key
}

// Ref is a parsed valueFrom. Kind is configMapKeyRef, secretKeyRef, fieldRef or
// resourceFieldRef; Name is the ConfigMap/Secret (the container for
// resourceFieldRef); Key is the data key, field path or resource.
type Ref struct {
	Kind, Name, Key string
	Optional        bool
}

// EnvSource is one envFrom entry: every key of a ConfigMap or Secret, with an
// optional prefix, becomes a variable.
type EnvSource struct {
	Kind   string // configMapRef or secretRef
	Name   string
	Prefix string
	Line   int
}

// ConfigMap is a ConfigMap's data with lines.
type ConfigMap struct {
	Namespace, Name string
	Line            int
	Data            map[string]Field
}

// Lookup returns the variable name; when the list repeats a name, the last entry
// wins, as in Kubernetes.
func (d *DaemonSet) Lookup(name string) (EnvVar, bool) {
	for i := len(d.Env) - 1; i >= 0; i-- {
		if d.Env[i].Name == name {
			return d.Env[i], true
		}
	}
	return EnvVar{}, false
}

// Resolve returns the value the container sees for name: a literal value, a
// configMapKeyRef into a ConfigMap of the same file, or a key of an envFrom
// ConfigMap of the same file. line is where the value is written (the ConfigMap
// line for a reference). ok is false when the variable is absent or its value is
// not in the file (a Secret, a fieldRef, a ConfigMap the file does not hold); line
// then still names the env entry when there is one.
func (d *DaemonSet) Resolve(name string) (value string, line int, ok bool) {
	if e, found := d.Lookup(name); found {
		if !e.IsRef {
			return e.Value, e.Line, true
		}
		if e.Ref.Kind == "configMapKeyRef" {
			if cm := d.ConfigMaps[e.Ref.Name]; cm != nil {
				if f, has := cm.Data[e.Ref.Key]; has {
					return f.Value, f.Line, true
				}
			}
		}
		return "", e.Line, false
	}
	// Later envFrom sources override earlier ones.
	for i := len(d.EnvFrom) - 1; i >= 0; i-- {
		src := d.EnvFrom[i]
		key, has := strings.CutPrefix(name, src.Prefix)
		if !has || src.Kind != "configMapRef" {
			continue
		}
		if cm := d.ConfigMaps[src.Name]; cm != nil {
			if f, in := cm.Data[key]; in {
				return f.Value, f.Line, true
			}
		}
	}
	return "", 0, false
}

// Summary is one line for `analyze inspect`.
func (d *DaemonSet) Summary() string {
	refs := 0
	for _, e := range d.Env {
		if e.IsRef {
			refs++
		}
	}
	var b strings.Builder
	if d.Container == "" {
		fmt.Fprintf(&b, "%d env vars", len(d.Env))
	} else {
		fmt.Fprintf(&b, "container %s", d.Container)
		if d.Version != "" {
			fmt.Fprintf(&b, " %s", d.Version)
		}
		fmt.Fprintf(&b, ": %d env vars (%d valueFrom)", len(d.Env), refs)
	}
	if len(d.ConfigMaps) > 0 {
		keys := 0
		for _, cm := range d.ConfigMaps {
			keys += len(cm.Data)
		}
		fmt.Fprintf(&b, ", %d ConfigMaps (%d keys)", len(d.ConfigMaps), keys)
	}
	return b.String()
}

// ParseDaemonSet reads `kubectl get daemonset calico-node -o yaml|json`, a List of
// DaemonSets, or a manifest of several documents (ConfigMap + DaemonSet).
func ParseDaemonSet(data []byte) (*DaemonSet, []diag.Diagnostic) {
	var ds diag.List
	res := &DaemonSet{ConfigMaps: map[string]*ConfigMap{}}
	objs, _ := yamlnode.Objects(yamlnode.Load(data, &ds))

	var best, bestCont *yaml.Node
	bestScore := 0
	for _, o := range objs {
		if kindIs(o, "ConfigMap") {
			cm := readConfigMap(o)
			if cm.Name != "" {
				res.ConfigMaps[cm.Name] = cm
			}
			continue
		}
		c, score := calicoContainer(o)
		if score > bestScore {
			best, bestCont, bestScore = o, c, score
		}
	}
	if best == nil {
		notFound(&ds, "calico-node container", objs)
		return res, ds
	}
	res.Kind = yamlnode.Str(yamlnode.Get(best, "kind"))
	res.Namespace = yamlnode.Str(yamlnode.Path(best, "metadata", "namespace"))
	res.Name = yamlnode.Str(yamlnode.Path(best, "metadata", "name"))
	res.Line = yamlnode.ObjectLine(best)
	readContainer(res, bestCont, &ds)
	return res, ds
}

// podSpec is spec.template.spec for workloads, spec for a Pod.
func podSpec(o *yaml.Node) *yaml.Node {
	if ps := yamlnode.Path(o, "spec", "template", "spec"); ps != nil {
		return ps
	}
	return yamlnode.Get(o, "spec")
}

// calicoContainer picks the calico-node container of an object and scores the
// match: a DaemonSet named calico-node beats another object with such a
// container, which beats a container that merely has Calico variables.
func calicoContainer(o *yaml.Node) (*yaml.Node, int) {
	conts := yamlnode.Seq(yamlnode.Get(podSpec(o), "containers"))
	for _, c := range conts {
		if yamlnode.Str(yamlnode.Get(c, "name")) == "calico-node" {
			if kindIs(o, "DaemonSet") && yamlnode.Str(yamlnode.Path(o, "metadata", "name")) == "calico-node" {
				return c, 4
			}
			return c, 3
		}
	}
	for _, c := range conts {
		for _, e := range yamlnode.Seq(yamlnode.Get(c, "env")) {
			n := yamlnode.Str(yamlnode.Get(e, "name"))
			if strings.HasPrefix(n, "CALICO_") || strings.HasPrefix(n, "FELIX_") {
				return c, 2
			}
		}
	}
	return nil, 0
}

func readConfigMap(o *yaml.Node) *ConfigMap {
	cm := &ConfigMap{
		Namespace: yamlnode.Str(yamlnode.Path(o, "metadata", "namespace")),
		Name:      yamlnode.Str(yamlnode.Path(o, "metadata", "name")),
		Line:      yamlnode.ObjectLine(o),
		Data:      map[string]Field{},
	}
	for _, p := range yamlnode.Pairs(yamlnode.Get(o, "data")) {
		if f := field(p.Key, p.Value); f.Set() {
			cm.Data[p.Key.Value] = f
		}
	}
	return cm
}

func readContainer(res *DaemonSet, c *yaml.Node, ds *diag.List) {
	res.Container = yamlnode.Str(yamlnode.Get(c, "name"))
	res.ContainerLine = yamlnode.KeyLine(c, "name")
	if k, v := yamlnode.Lookup(c, "image"); yamlnode.IsScalar(v) {
		res.Image, res.ImageLine = v.Value, k.Line
		res.Version = imageVersion(v.Value)
	}
	for _, e := range yamlnode.Seq(yamlnode.Get(c, "env")) {
		nk, nv := yamlnode.Lookup(e, "name")
		if !yamlnode.IsScalar(nv) {
			ds.Warnf(yamlnode.Line(e), "env entry without a name: skipped")
			continue
		}
		ev := EnvVar{Name: nv.Value, Line: nk.Line}
		if vk, vv := yamlnode.Lookup(e, "value"); vk != nil {
			switch {
			case yamlnode.IsScalar(vv):
				ev.Value = vv.Value
			case vv != nil && vv.Kind != yaml.ScalarNode:
				ds.Warnf(vk.Line, "env %s: value is not a scalar: read as empty", ev.Name)
			}
		}
		if vf := yamlnode.Get(e, "valueFrom"); vf != nil {
			ev.IsRef = true
			ev.Ref = readRef(vf)
			ev.ValueFrom = ev.Ref.String()
			if ev.Ref.Kind == "" {
				ds.Warnf(yamlnode.KeyLine(e, "valueFrom"), "env %s: valueFrom of an unknown form", ev.Name)
			}
		}
		res.Env = append(res.Env, ev)
	}
	for _, e := range yamlnode.Seq(yamlnode.Get(c, "envFrom")) {
		src := EnvSource{Prefix: yamlnode.Str(yamlnode.Get(e, "prefix")), Line: yamlnode.Line(e)}
		for _, kind := range []string{"configMapRef", "secretRef"} {
			if k, v := yamlnode.Lookup(e, kind); v != nil {
				src.Kind, src.Name, src.Line = kind, yamlnode.Str(yamlnode.Get(v, "name")), k.Line
			}
		}
		if src.Kind == "" {
			ds.Warnf(src.Line, "envFrom entry of an unknown form: skipped")
			continue
		}
		res.EnvFrom = append(res.EnvFrom, src)
	}
}

func readRef(vf *yaml.Node) Ref {
	for _, p := range yamlnode.Pairs(vf) {
		v := p.Value
		r := Ref{Kind: p.Key.Value}
		opt, _ := yamlnode.Bool(yamlnode.Get(v, "optional"))
		r.Optional = opt
		switch p.Key.Value {
		case "configMapKeyRef", "secretKeyRef":
			r.Name, r.Key = yamlnode.Str(yamlnode.Get(v, "name")), yamlnode.Str(yamlnode.Get(v, "key"))
		case "fieldRef":
			r.Key = yamlnode.Str(yamlnode.Get(v, "fieldPath"))
		case "resourceFieldRef":
			r.Name, r.Key = yamlnode.Str(yamlnode.Get(v, "containerName")), yamlnode.Str(yamlnode.Get(v, "resource"))
		default:
			continue
		}
		return r
	}
	return Ref{}
}

// String is the description kept in EnvVar.ValueFrom.
func (r Ref) String() string {
	switch r.Kind {
	case "":
		return "valueFrom"
	case "configMapKeyRef", "secretKeyRef":
		return r.Kind + " " + r.Name + "/" + r.Key
	default:
		return r.Kind + " " + r.Key
	}
}

// imageVersion returns the tag of an image reference when it looks like a
// version. The tag is after the last '/', so a registry port is not taken for it,
// and a digest is dropped.
func imageVersion(image string) string {
	image, _, _ = strings.Cut(image, "@")
	name := image[strings.LastIndexByte(image, '/')+1:]
	_, tag, ok := strings.Cut(name, ":")
	if !ok {
		return ""
	}
	t := strings.TrimPrefix(tag, "v")
	if t == "" || t[0] < '0' || t[0] > '9' {
		return ""
	}
	return tag
}

// ParseEnv reads the calico-node container's environment as `NAME=value` lines
// (`env`, `export -p`, or /proc/PID/environ whose NUL separators count as line
// ends). A line that does not start a variable continues the previous value: a
// multi-line value printed by env. The result has Env only.
func ParseEnv(data []byte) (*DaemonSet, []diag.Diagnostic) {
	var ds diag.List
	res := &DaemonSet{ConfigMaps: map[string]*ConfigMap{}}
	if bytes.IndexByte(data, 0) >= 0 {
		// /proc/PID/environ copied as is: NUL-separated entries, numbered as lines.
		data = bytes.ReplaceAll(bytes.TrimRight(data, "\x00"), []byte{0}, []byte{'\n'})
	}
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary content, not NAME=value lines")
		return res, ds
	}
	// Continuation lines are collected and joined once: appending to the value
	// line by line would be quadratic on a long multi-line value.
	var cont []string
	flush := func() {
		if n := len(res.Env); n > 0 && len(cont) > 0 {
			res.Env[n-1].Value += "\n" + strings.Join(cont, "\n")
		}
		cont = cont[:0]
	}
	sc := lines.New(data)
	for sc.Next() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line
		for _, p := range []string{"export ", "declare -x "} {
			rest = strings.TrimPrefix(rest, p)
		}
		name, val, ok := strings.Cut(rest, "=")
		if !ok || !envName(name) {
			if len(res.Env) > 0 {
				cont = append(cont, sc.Text())
				continue
			}
			ds.Warnf(sc.Num(), "not a NAME=value line: skipped")
			continue
		}
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		flush()
		res.Env = append(res.Env, EnvVar{Name: name, Value: val, Line: sc.Num()})
	}
	flush()
	if len(res.Env) == 0 && len(ds) == 0 {
		ds.Addf(diag.Error, 0, "no NAME=value line")
	}
	return res, ds
}

// envName reports whether s is a shell variable name.
func envName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}
