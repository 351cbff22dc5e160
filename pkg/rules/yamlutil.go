package rules

import (
	"errors"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// parseYAML decodes the one YAML document of a file into a node tree; a second
// document is an error (it would be silently ignored otherwise).
func parseYAML(src *source, data []byte) (*yaml.Node, []error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []error{src.errAt(0, 0, "empty file")}
		}
		return nil, []error{src.yamlErr(err)}
	}
	var errs []error
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs = append(errs, src.errNode(&extra, "a second YAML document; a file holds one"))
	} else if !errors.Is(err, io.EOF) {
		errs = append(errs, src.yamlErr(err))
	}
	if len(doc.Content) == 0 {
		return nil, append(errs, src.errAt(0, 0, "empty file"))
	}
	if n, at := countAliases(&doc); n > MaxAliases {
		// Each alias may name a tree of aliases: walking them expands
		// exponentially (a "billion laughs" file).
		return nil, append(errs, src.errNode(at, "%d YAML aliases; a rule file may use at most %d", n, MaxAliases))
	}
	return doc.Content[0], errs
}

// MaxAliases bounds the YAML aliases (*name) of one rule file; the pack uses
// none.
const MaxAliases = 100

// countAliases counts the alias nodes of the tree as written (aliases are not
// followed) and returns the first one past the limit.
func countAliases(n *yaml.Node) (int, *yaml.Node) {
	count := 0
	var first *yaml.Node
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			if count++; count == MaxAliases+1 {
				first = n
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return count, first
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// eachField walks a mapping strictly: a key not in known (unknown or
// misspelled) and a repeated key are errors, with a suggestion for a near
// miss. fn gets each known key with its value.
func eachField(src *source, n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) []error {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return []error{src.errNode(n, "%s must be a mapping", what)}
	}
	var errs []error
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		key := k.Value
		if prev, dup := seen[key]; dup {
			errs = append(errs, src.errNode(k, "%s: key %q repeated (first at line %d)", what, key, prev.Line))
			continue
		}
		seen[key] = k
		if !contains(known, key) {
			msg := "unknown key %q in %s"
			if s := suggest(key, known); s != "" {
				errs = append(errs, src.errNode(k, msg+"; did you mean %q?", key, what, s))
			} else {
				sorted := append([]string(nil), known...)
				sort.Strings(sorted)
				errs = append(errs, src.errNode(k, msg+" (known: %s)", key, what, strings.Join(sorted, ", ")))
			}
			continue
		}
		fn(key, k, v)
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar returns the string value of a scalar node; a null (`key:` with
// nothing) is the empty string.
func scalar(src *source, key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", src.errNode(v, "%s must be a string", key)
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	if strings.HasPrefix(v.Tag, "!") && !strings.HasPrefix(v.Tag, "!!") {
		// `match: !hasLink(node, 'x')` is a YAML tag, not a negation.
		return "", src.errNode(v, "%s starts with %q, which YAML reads as a tag; quote the expression", key, v.Tag)
	}
	return v.Value, nil
}

// stringList reads a sequence of scalars (a single scalar is not a list).
func stringList(src *source, key string, v *yaml.Node) ([]*yaml.Node, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, src.errNode(v, "%s must be a list", key)
	}
	out := make([]*yaml.Node, 0, len(v.Content))
	for _, it := range v.Content {
		it = resolve(it)
		if it.Kind != yaml.ScalarNode {
			return nil, src.errNode(it, "%s: each entry must be a string", key)
		}
		out = append(out, it)
	}
	return out, nil
}

// suggest returns the known word within edit distance 2 of w, if any.
func suggest(w string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(w, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
