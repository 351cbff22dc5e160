// Package yamlnode loads the YAML or JSON that kubectl and calicoctl print into
// yaml.v3 node trees, so that the kube and calico parsers read every value together
// with the line it came from (JSON is YAML, so one code path serves `-o json` and
// `-o yaml`). Pasted or cut files are common bundle input, so Load keeps the part of
// a file that parses instead of failing the whole file.
package yamlnode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/diag"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/internal/lines"
	"gopkg.in/yaml.v3"
)

// MaxInput bounds what Load parses: yaml.v3 builds a node per value, several
// hundred bytes each, so a much larger file would cost gigabytes of memory. The
// biggest real input (`kubectl get pods -o json` of a large cluster) stays far
// below it.
const MaxInput = 64 << 20

// Bounds on the salvage of a broken file: each retry is a full parse of a prefix,
// so their number is what keeps a broken big file linear in practice.
const (
	maxRetries      = 12
	maxRetriesLarge = 4
	largeInput      = 4 << 20
)

// Load decodes every document of data and returns their root nodes, empty
// documents left out. A syntax error becomes one warning, at the first line that
// breaks the parse when the search below finds it (else the line yaml.v3 names),
// with yaml.v3's message; the longest prefix of data that still parses is then
// used, so a list followed by pasted prose, or a file cut in the middle, still
// yields its objects.
// Lines before the first line that starts a document are skipped when the file
// does not otherwise parse into an object (e.g. a "Warning: ..." line kubectl
// printed on stderr, captured with 2>&1).
func Load(data []byte, ds *diag.List) []*yaml.Node {
	if len(data) > MaxInput {
		ds.Addf(diag.Error, 0, "input is %d bytes, more than the %d-byte limit: not parsed", len(data), MaxInput)
		return nil
	}
	if lines.Binary(data) {
		ds.Addf(diag.Error, 0, "binary content, not YAML or JSON")
		return nil
	}
	var first diag.List
	docs := loadSalvage(data, &first)
	if len(first) == 0 || anyObject(docs) {
		*ds = append(*ds, first...)
		return docs
	}
	start := documentStart(data)
	if start <= 1 {
		*ds = append(*ds, first...)
		return docs
	}
	// Keep the skipped lines' newlines so that line numbers stay those of the file.
	off := lineOffset(data, start-1)
	shifted := make([]byte, 0, start-1+len(data)-off)
	shifted = append(shifted, bytes.Repeat([]byte{'\n'}, start-1)...)
	shifted = append(shifted, data[off:]...)
	var second diag.List
	docs2 := loadSalvage(shifted, &second)
	if !anyObject(docs2) {
		*ds = append(*ds, first...)
		return docs
	}
	ds.Warnf(1, "lines 1-%d are not part of the YAML/JSON document: skipped", start-1)
	*ds = append(*ds, second...)
	return docs2
}

// loadSalvage decodes data, and on a syntax error searches for the longest prefix
// (in whole lines) that parses: first just before the line yaml.v3 names, then by
// bisection, with a bounded number of full parses.
func loadSalvage(data []byte, ds *diag.List) []*yaml.Node {
	docs, err := decode(data)
	if err == nil {
		return docs
	}
	errLine, _ := splitError(err)
	msg := err.Error()
	total := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		total++
	}
	retries := maxRetries
	if len(data) > largeInput {
		retries = maxRetriesLarge
	}
	best, bestLines := docs, 0
	lo, hi := 0, total
	hint := errLine - 1
	for try := 0; try < retries && hi-lo > 1; try++ {
		c := (lo + hi) / 2
		if hint > lo && hint < hi {
			c = hint
		}
		hint = 0
		pd, perr := decode(data[:lineOffset(data, c)])
		if perr != nil {
			hi = c
			if l, _ := splitError(perr); l-1 > lo && l-1 < c {
				hint = l - 1
			}
			continue
		}
		lo = c
		if len(pd) >= len(best) {
			best, bestLines = pd, c
		}
	}
	// yaml.v3 names the start of the construct it was in (a mapping, a simple
	// key), or no line at all on line 1; when the search narrowed the first bad
	// line down, that line is the better evidence. yaml's own line stays in msg.
	where := errLine
	if hi-lo == 1 && (lo > 0 || errLine == 0) {
		where = hi
	}
	switch {
	case bestLines > 0 && bestLines < total:
		skipped := fmt.Sprintf("lines %d-%d are", bestLines+1, total)
		if bestLines+1 == total {
			skipped = fmt.Sprintf("line %d is", total)
		}
		ds.Warnf(where, "%s: only lines 1-%d are read, %s skipped", msg, bestLines, skipped)
	case len(best) > 0:
		ds.Warnf(where, "%s: the documents before it are read, the rest is skipped", msg)
	default:
		ds.Warnf(where, "%s: nothing could be read", msg)
	}
	return best
}

// decode runs yaml.v3 over every document of data. A panic inside the library is
// turned into an error: this is the parser boundary, and one odd file must not
// take the whole analysis down.
func decode(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		derr := dec.Decode(&n)
		if errors.Is(derr, io.EOF) {
			return docs, nil
		}
		if derr != nil {
			return docs, derr
		}
		root := Resolve(&n)
		if root == nil || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
			continue
		}
		docs = append(docs, root)
	}
}

// splitError takes "yaml: line 28: could not find expected ':'" apart. yaml.v3
// has no typed syntax error, so the line is read back from the message.
func splitError(err error) (line int, msg string) {
	msg = err.Error()
	rest, ok := strings.CutPrefix(msg, "yaml: line ")
	if !ok {
		return 0, msg
	}
	num, text, ok := strings.Cut(rest, ": ")
	if !ok {
		return 0, msg
	}
	n, cerr := strconv.Atoi(num)
	if cerr != nil || n < 0 {
		return 0, msg
	}
	return n, "yaml: " + text
}

// lineOffset returns the offset just past the n-th newline (the length of the
// first n lines), or len(data) when data has fewer lines.
func lineOffset(data []byte, n int) int {
	off := 0
	for i := 0; i < n; i++ {
		j := bytes.IndexByte(data[off:], '\n')
		if j < 0 {
			return len(data)
		}
		off += j + 1
	}
	return off
}

// documentStart returns the 1-based number of the first line that can start a
// kubectl/calicoctl document, or 0.
func documentStart(data []byte) int {
	sc := lines.New(data)
	for sc.Next() {
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		if b[0] == '{' || b[0] == '[' || bytes.HasPrefix(b, []byte("---")) ||
			bytes.HasPrefix(b, []byte("apiVersion:")) || bytes.HasPrefix(b, []byte("kind:")) ||
			bytes.HasPrefix(b, []byte("items:")) || bytes.HasPrefix(b, []byte("- apiVersion:")) {
			return sc.Num()
		}
	}
	return 0
}

// anyObject reports whether one of docs looks like an API object or a list.
func anyObject(docs []*yaml.Node) bool {
	for _, d := range docs {
		switch d.Kind {
		case yaml.MappingNode:
			if Get(d, "apiVersion") != nil || Get(d, "kind") != nil || Get(d, "items") != nil {
				return true
			}
		case yaml.SequenceNode:
			for _, it := range d.Content {
				if Get(it, "kind") != nil || Get(it, "apiVersion") != nil {
					return true
				}
			}
		}
	}
	return false
}

// Objects flattens documents into the API objects they hold: the items of a
// `kind: List` or `kind: XxxList` wrapper (what `kubectl get` prints for several
// objects), the mappings of a top-level sequence (old calicoctl), or the document
// itself. Lists is the number of list wrappers seen, so a caller can tell an empty
// list ("no pools") from a file that holds no list and no object.
func Objects(docs []*yaml.Node) (objs []*yaml.Node, lists int) {
	for _, d := range docs {
		d = Resolve(d)
		if d == nil {
			continue
		}
		switch d.Kind {
		case yaml.MappingNode:
			items := Get(d, "items")
			kind := Str(Get(d, "kind"))
			if items != nil && (kind == "" || strings.HasSuffix(kind, "List")) {
				lists++
				for _, it := range Seq(items) {
					if it.Kind == yaml.MappingNode {
						objs = append(objs, it)
					}
				}
				continue
			}
			objs = append(objs, d)
		case yaml.SequenceNode:
			lists++
			for _, it := range d.Content {
				if it = Resolve(it); it != nil && it.Kind == yaml.MappingNode {
					objs = append(objs, it)
				}
			}
		}
	}
	return objs, lists
}

// Resolve follows document wrappers, and aliases of scalars, to the node that
// holds a value. Aliases of mappings and sequences are not followed: kubectl and
// calicoctl never print anchors, and following them would let a few kilobytes of
// nested aliases make the parsers walk billions of nodes. The number of hops is
// bounded so that an alias cycle cannot hang the parser.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 16; i++ {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			if n.Alias == nil || n.Alias.Kind == yaml.MappingNode || n.Alias.Kind == yaml.SequenceNode {
				return nil
			}
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// Lookup returns the key and value nodes of key in mapping m, or nils. When a key
// is repeated the last one wins, as for a JSON decoder.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			k, v = kn, m.Content[i+1]
		}
	}
	return k, Resolve(v)
}

// Get returns the value of key in mapping m, or nil.
func Get(m *yaml.Node, key string) *yaml.Node {
	_, v := Lookup(m, key)
	return v
}

// Path walks nested mappings: Path(pod, "spec", "template", "spec").
func Path(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if m = Get(m, k); m == nil {
			return nil
		}
	}
	return m
}

// Pair is one key and value of a mapping.
type Pair struct{ Key, Value *yaml.Node }

// Pairs returns the entries of mapping m whose key is a scalar, in file order.
func Pairs(m *yaml.Node) []Pair {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]Pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode {
			out = append(out, Pair{m.Content[i], Resolve(m.Content[i+1])})
		}
	}
	return out
}

// Seq returns the items of sequence n (aliases resolved), or nil.
func Seq(n *yaml.Node) []*yaml.Node {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, it := range n.Content {
		if it = Resolve(it); it != nil {
			out = append(out, it)
		}
	}
	return out
}

// IsScalar reports whether n is a scalar other than null.
func IsScalar(n *yaml.Node) bool {
	n = Resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null"
}

// Str returns a scalar's text as written (numbers and booleans included), or ""
// for null, absent and non-scalar nodes.
func Str(n *yaml.Node) string {
	if !IsScalar(n) {
		return ""
	}
	return Resolve(n).Value
}

// Bool reads true/false (any case, quoted or not: env values are strings).
func Bool(n *yaml.Node) (v, ok bool) {
	return ParseBool(Str(n))
}

// ParseBool reads true/false in any case, and the YAML 1.1 yes/no/on/off that
// older hand-written manifests use.
func ParseBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// Int reads a decimal integer scalar (quoted or not).
func Int(n *yaml.Node) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(Str(n)), 10, 64)
	return v, err == nil
}

// Line is n's 1-based line, 0 for nil.
func Line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// KeyLine is the line of key in mapping m, or the line of m when the key is
// absent: the place a person would look at.
func KeyLine(m *yaml.Node, key string) int {
	if k, _ := Lookup(m, key); k != nil {
		return k.Line
	}
	return Line(Resolve(m))
}

// ObjectLine is the line that names an object: its metadata.name key when there
// is one (in JSON the object's "{" is on a line of its own), else its first line.
func ObjectLine(obj *yaml.Node) int {
	if k, _ := Lookup(Get(obj, "metadata"), "name"); k != nil {
		return k.Line
	}
	return Line(Resolve(obj))
}

// StringMap reads a mapping of scalars (labels, annotations, ConfigMap data) into
// a Go map; non-scalar values are left out.
func StringMap(m *yaml.Node) map[string]string {
	ps := Pairs(m)
	if len(ps) == 0 {
		return nil
	}
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		if IsScalar(p.Value) {
			out[p.Key.Value] = p.Value.Value
		}
	}
	return out
}

// ItemKind is the kind of the items of the first "XxxList" wrapper of docs
// ("NetworkPolicy" for a NetworkPolicyList), "" when there is none. The API
// server, unlike kubectl, leaves kind out of list items; a parser gives this
// kind to items that lack one.
func ItemKind(docs []*yaml.Node) string {
	for _, d := range docs {
		d = Resolve(d)
		if d == nil || d.Kind != yaml.MappingNode {
			continue
		}
		if k := Str(Get(d, "kind")); strings.HasSuffix(k, "List") && k != "List" && Get(d, "items") != nil {
			return strings.TrimSuffix(k, "List")
		}
	}
	return ""
}
