package kubeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// Limits bound what is read of one object or list: every answer is decoded
// as a stream, one item at a time, so memory follows the largest item and
// what the caller keeps, never the size of the answer; the byte caps bound
// how long a hostile or broken server can keep the client reading.
type Limits struct {
	// PageSize is the ?limit= asked of a list (the API server pages with
	// ?continue=); 0 asks for no paging.
	PageSize int
	// MaxPages bounds the pages of one list: a server handing out continue
	// tokens forever must not keep the client reading forever.
	MaxPages int
	// MaxResponse bounds the bytes read of one answer (one page): a server
	// that ignores limit sends the whole list in one.
	MaxResponse int64
	// MaxTotal bounds the bytes read over all pages.
	MaxTotal int64
	// MaxItem bounds the bytes of one item (or of a single object), the only
	// thing decoded whole.
	MaxItem int64
}

// LimitError says which cap stopped the reading. What was delivered before it
// is usable, but not complete.
type LimitError struct {
	What  string // "answer", "item", "list", "pages"
	Limit int64
}

func (e *LimitError) Error() string {
	switch e.What {
	case "pages":
		return fmt.Sprintf("more than %d pages", e.Limit)
	case "item":
		return fmt.Sprintf("an item larger than %d bytes", e.Limit)
	case "answer":
		return fmt.Sprintf("an answer larger than %d bytes", e.Limit)
	}
	return fmt.Sprintf("more than %d bytes in all", e.Limit)
}

// IsLimit reports whether err is a cap being reached.
func IsLimit(err error) bool {
	var le *LimitError
	return errors.As(err, &le)
}

// ErrStop, returned by a List callback, ends the list without error (the
// caller has kept all it wants).
var ErrStop = errors.New("stop listing")

// ListInfo describes what a List read.
type ListInfo struct {
	Kind       string // of the list, as the server named it ("NodeList")
	APIVersion string
	Pages      int
	Items      int
	Bytes      int64
	// Stopped: the callback ended the list early with ErrStop.
	Stopped bool
}

// capReader counts what is read of one answer and fails past its caps: the
// answer's, the whole list's, and the current item's (reset by startItem;
// approximate by the decoder's read-ahead, which is itself bounded by the
// largest item).
type capReader struct {
	r         io.Reader
	n         int64 // this answer
	total     *int64
	lim       Limits
	itemStart int64
	inItem    bool
	err       error
}

func (c *capReader) startItem() { c.itemStart, c.inItem = c.n, true }
func (c *capReader) endItem()   { c.inItem = false }

func (c *capReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	room := int64(len(p))
	check := func(used, limit int64, what string) {
		if limit <= 0 {
			return
		}
		if left := limit - used; left < room {
			room = left
			if room <= 0 {
				c.err = &LimitError{What: what, Limit: limit}
			}
		}
	}
	check(c.n, c.lim.MaxResponse, "answer")
	check(*c.total, c.lim.MaxTotal, "list")
	if c.inItem {
		check(c.n-c.itemStart, c.lim.MaxItem, "item")
	}
	if c.err != nil {
		return 0, c.err
	}
	k, err := c.r.Read(p[:room])
	c.n += int64(k)
	*c.total += int64(k)
	return k, err
}

// List GETs a list (path with its query, such as a labelSelector) page by
// page and hands each item, decoded with json.Number numbers, to fn in the
// server's order. Items without the list's kind get none: the caller sets it.
//
// It returns the error that ended the reading; items delivered before it are
// the caller's to keep, marked partial (a LimitError says a cap, anything else
// a failure). A non-2xx answer before any item is a StatusError.
func (c *Client) List(ctx context.Context, path string, lim Limits, fn func(item map[string]any) error) (ListInfo, error) {
	var info ListInfo
	var total int64
	cont := ""
	for {
		if lim.MaxPages > 0 && info.Pages >= lim.MaxPages {
			return info, &LimitError{What: "pages", Limit: int64(lim.MaxPages)}
		}
		p, err := pagePath(path, lim.PageSize, cont)
		if err != nil {
			return info, err
		}
		next, err := c.listPage(ctx, p, lim, &total, &info, fn)
		info.Pages++
		info.Bytes = total
		if errors.Is(err, ErrStop) {
			info.Stopped = true
			return info, nil
		}
		if err != nil {
			return info, err
		}
		if next == "" || lim.PageSize <= 0 {
			return info, nil
		}
		if next == cont {
			return info, fmt.Errorf("GET %s: the server repeated the continue token", path)
		}
		cont = next
	}
}

// pagePath adds limit and continue to path's query.
func pagePath(path string, limit int, cont string) (string, error) {
	u, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cont != "" {
		q.Set("continue", cont)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// listPage reads one page and returns its continue token.
func (c *Client) listPage(ctx context.Context, path string, lim Limits, total *int64, info *ListInfo, fn func(map[string]any) error) (string, error) {
	resp, err := c.send(ctx, "GET", path, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	cr := &capReader{r: resp.Body, total: total, lim: lim}
	dec := json.NewDecoder(cr)
	dec.UseNumber()
	fail := func(err error) error {
		if cr.err != nil {
			err = cr.err
		}
		if IsLimit(err) {
			return err
		}
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return "", fail(err)
	}
	var cont string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", fail(err)
		}
		key, _ := tok.(string)
		switch key {
		case "items":
			tok, err := dec.Token()
			if err != nil {
				return "", fail(err)
			}
			if tok == nil { // "items": null
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return "", fail(fmt.Errorf("items is not a list"))
			}
			for dec.More() {
				cr.startItem()
				var v any
				if err := dec.Decode(&v); err != nil {
					return "", fail(err)
				}
				cr.endItem()
				m, ok := v.(map[string]any)
				if !ok {
					return "", fail(fmt.Errorf("item %d is not an object", info.Items))
				}
				info.Items++
				if err := fn(m); err != nil {
					return "", err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return "", fail(err)
			}
		case "metadata":
			var md struct {
				Continue string `json:"continue"`
			}
			cr.startItem()
			if err := dec.Decode(&md); err != nil {
				return "", fail(err)
			}
			cr.endItem()
			cont = md.Continue
		case "kind", "apiVersion":
			var s string
			if err := dec.Decode(&s); err != nil {
				return "", fail(err)
			}
			if key == "kind" {
				info.Kind = s
			} else {
				info.APIVersion = s
			}
		default:
			var skip json.RawMessage
			cr.startItem()
			if err := dec.Decode(&skip); err != nil {
				return "", fail(err)
			}
			cr.endItem()
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return "", fail(err)
	}
	if strings.HasSuffix(info.Kind, "List") || info.Kind == "" {
		return cont, nil
	}
	return "", fmt.Errorf("GET %s: a %s, not a list", path, info.Kind)
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("not a JSON object")
	}
	return nil
}

// GetObject GETs one object, decoded as a stream under lim.MaxItem (and
// MaxResponse); a larger answer is a LimitError and nothing is returned, since
// half an object cannot be told from a whole one.
func (c *Client) GetObject(ctx context.Context, path string, lim Limits) (map[string]any, error) {
	resp, err := c.send(ctx, "GET", path, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var total int64
	cr := &capReader{r: resp.Body, total: &total, lim: lim}
	cr.startItem()
	dec := json.NewDecoder(cr)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if cr.err != nil {
			return nil, cr.err
		}
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("GET %s: not a JSON object", path)
	}
	return m, nil
}

// GetText GETs a text answer (a pod log), at most max bytes of it; truncated
// says the answer was longer.
func (c *Client) GetText(ctx context.Context, path string, max int64) (data []byte, truncated bool, err error) {
	resp, err := c.send(ctx, "GET", path, nil)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return data, false, fmt.Errorf("GET %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return data[:max], true, nil
	}
	return data, false, nil
}
