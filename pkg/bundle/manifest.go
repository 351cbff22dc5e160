package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"
)

// SchemaV1 is the manifest's schema string for bundle layout version 1.
const SchemaV1 = "podnet-bundle/v1"

// Item.Source values.
const (
	SourceNetlink = "netlink"
	SourceIoctl   = "ioctl"
	SourceCommand = "command"
	SourceFile    = "file"
	SourceKubectl = "kubectl"
	SourceCapture = "capture"
)

// Item.Status values.
const (
	StatusOK      = "ok"
	StatusError   = "error"
	StatusSkipped = "skipped"
	// StatusForbidden: the Kubernetes API denied the request (HTTP 401 or
	// 403) with every credential tried: RBAC can fix it, nothing failed.
	StatusForbidden = "forbidden"
)

// ScopeCluster is Manifest.Scope of the cluster/ folder of `collect cluster`.
const ScopeCluster = "cluster"

// Manifest is manifest.json: what `collect` attempted on the node, not only what
// succeeded, so that the analyzer can tell "not collected because X failed" from
// "not collected at all".
type Manifest struct {
	Schema string `json:"schema"`
	Node   string `json:"node"`
	// Scope is "" for a node's bundle and ScopeCluster for the cluster-wide
	// objects `collect cluster` gathers once (no node's state).
	Scope string `json:"scope,omitempty"`
	// CollectedAt is written in UTC, RFC 3339 (see Marshal).
	CollectedAt time.Time   `json:"collectedAt"`
	Collector   Collector   `json:"collector"`
	Items       []Item      `json:"items"`
	Redactions  []Redaction `json:"redactions,omitempty"`
}

// Collector names the program that wrote the bundle.
type Collector struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Item is one file or attempt.
type Item struct {
	Path       string `json:"path"`
	Source     string `json:"source"`
	Command    string `json:"command,omitempty"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	DurationMs int64  `json:"durationMs"`
	// ExitCode is the command's exit status when one ran; nil when none ran or
	// it was killed, so that 0 is not mistaken for success of a command never run.
	ExitCode *int `json:"exitCode,omitempty"`
	// Partial: the file holds output, but not all of it (timeout, size cap).
	Partial bool `json:"partial,omitempty"`
}

// Redaction records that a value was removed, never the value itself.
type Redaction struct {
	File   string `json:"file"`
	Key    string `json:"key"`
	Reason string `json:"reason,omitempty"`
}

// Lookup returns the last item recorded for path (the last attempt wins when a
// collector retried).
func (m *Manifest) Lookup(path string) (Item, bool) {
	if m == nil {
		return Item{}, false
	}
	for i := len(m.Items) - 1; i >= 0; i-- {
		if m.Items[i].Path == path {
			return m.Items[i], true
		}
	}
	return Item{}, false
}

// Marshal renders the manifest as the collector writes it: indented JSON with a
// final newline, CollectedAt in UTC.
func (m *Manifest) Marshal() ([]byte, error) {
	c := *m
	c.CollectedAt = c.CollectedAt.UTC()
	if c.Items == nil {
		// "items": [] says "nothing attempted"; null would read as "not recorded".
		c.Items = []Item{}
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// manifestJSON reads collectedAt as text, so that a hand-edited or foreign
// timestamp costs a warning, not the whole manifest (and with it the node name).
type manifestJSON struct {
	Schema      string      `json:"schema"`
	Node        string      `json:"node"`
	Scope       string      `json:"scope"`
	CollectedAt *string     `json:"collectedAt"`
	Collector   Collector   `json:"collector"`
	Items       []Item      `json:"items"`
	Redactions  []Redaction `json:"redactions"`
}

// maxManifestWarnings keeps a manifest with thousands of odd items from burying
// the other warnings.
const maxManifestWarnings = 10

// ParseManifest decodes manifest.json. It fails only when the data is not a JSON
// object of the manifest's shape; odd values (unknown schema, source or status,
// unreadable timestamp) are returned as warnings, and the manifest is kept.
func ParseManifest(data []byte) (*Manifest, []string, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	var raw manifestJSON
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, nil, err
	}
	m := &Manifest{
		Schema:     raw.Schema,
		Node:       raw.Node,
		Scope:      raw.Scope,
		Collector:  raw.Collector,
		Items:      raw.Items,
		Redactions: raw.Redactions,
	}
	var warns []string
	if raw.CollectedAt != nil && *raw.CollectedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, *raw.CollectedAt)
		if err != nil {
			warns = append(warns, fmt.Sprintf("collectedAt %q is not an RFC 3339 time", *raw.CollectedAt))
		} else {
			m.CollectedAt = t.UTC()
		}
	}
	warns = append(warns, m.Validate()...)
	if len(warns) > maxManifestWarnings {
		n := len(warns) - maxManifestWarnings
		warns = append(warns[:maxManifestWarnings], fmt.Sprintf("and %d more", n))
	}
	return m, warns, nil
}

// Validate lists what does not follow the layout: unknown schema, items without
// a usable path, unknown source or status, failed items without a message.
func (m *Manifest) Validate() []string {
	var out []string
	switch m.Schema {
	case SchemaV1:
	case "":
		out = append(out, "no schema; read as "+SchemaV1)
	default:
		out = append(out, fmt.Sprintf("unknown schema %q; read as %s", m.Schema, SchemaV1))
	}
	for i, it := range m.Items {
		where := fmt.Sprintf("items[%d]", i)
		if it.Path != "" {
			where = fmt.Sprintf("items[%d] (%s)", i, it.Path)
		}
		if it.Path == "" || !fs.ValidPath(it.Path) {
			out = append(out, fmt.Sprintf("%s: path %q is not a bundle-relative path", where, it.Path))
		}
		switch it.Source {
		case SourceNetlink, SourceIoctl, SourceCommand, SourceFile, SourceKubectl, SourceCapture:
		default:
			out = append(out, fmt.Sprintf("%s: unknown source %q", where, it.Source))
		}
		switch it.Status {
		case StatusOK:
		case StatusError, StatusSkipped, StatusForbidden:
			if it.Error == "" {
				out = append(out, fmt.Sprintf("%s: status %s without an error message", where, it.Status))
			}
		default:
			out = append(out, fmt.Sprintf("%s: unknown status %q", where, it.Status))
		}
	}
	return out
}
