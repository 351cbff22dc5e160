package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/redact"
)

// Task is one file of the bundle and how to get it, cilium-sysdump style: a list
// of them runs on a small worker pool, each under its own timeout, and a failure
// is recorded in the manifest without stopping the others.
type Task struct {
	// Path is the bundle-relative file (a pkg/bundle constant).
	Path        string
	Description string
	// Source is a bundle.Source* value.
	Source string
	// Command is what the manifest shows for a source that is not a command
	// ("/proc/1234/environ", "GET /api/v1/nodes"); Argv is shown for commands.
	Command string
	// Run reads the source. When nil, Argv is run as a command.
	Run func(ctx context.Context) ([]byte, error)
	// Argv is a command: the source itself when Run is nil. Its absence from PATH
	// makes the item skipped, not failed.
	Argv []string
	// Fallback runs when Run fails (typically the command a native reader stands
	// for), under a fresh timeout.
	Fallback *Task
	// Timeout bounds this task; 0 means Options.ItemTimeout.
	Timeout time.Duration
	// NeedsRoot: without root the task is skipped, with that reason.
	NeedsRoot bool
	// Post transforms the output before it is stored (redaction, conversion). An
	// error fails the item and nothing is stored: unredacted data never is.
	Post func(data []byte) ([]byte, []bundle.Redaction, error)
	// Absent lists error texts meaning the source does not exist here rather
	// than failed (`ethtool -S` of a virtual device: "no stats available"):
	// such an attempt is recorded as skipped.
	Absent []string
	// Optional: a missing source (command absent, file absent) is not worth a line
	// of progress output (it is still in the manifest).
	Optional bool

	retried string // set when the attempt failed and Fallback runs next
}

// skipError marks a source that is absent rather than failing: the item is
// recorded as skipped.
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

// skipped returns an error that makes the item "skipped" with reason.
func skipped(format string, args ...any) error {
	return &skipError{reason: fmt.Sprintf(format, args...)}
}

func isSkip(err error) bool {
	var s *skipError
	return errors.As(err, &s)
}

// partialError: the source produced output but not all of it; the data is kept
// and the item is an error with Partial set.
type partialError struct {
	err      error
	exitCode *int
}

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }

// store holds the collected files until the bundle is written, and the
// manifest's items and redactions. It is shared by the workers.
type store struct {
	mu         sync.Mutex
	files      map[string][]byte
	disk       map[string]string // bundle path -> file on disk (captures)
	items      []bundle.Item
	seq        []int // attempt order, for a stable manifest
	redactions []bundle.Redaction
}

func newStore() *store {
	return &store{files: map[string][]byte{}, disk: map[string]string{}}
}

func (s *store) put(path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = data
}

func (s *store) get(path string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[path]
	return b, ok
}

func (s *store) putDisk(path, src string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disk[path] = src
}

func (s *store) record(it bundle.Item, reds []bundle.Redaction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append(s.items, it)
	s.redactions = append(s.redactions, reds...)
}

// sortedItems orders items by path, attempts of one path in the order they were
// made (so Manifest.Lookup's "last attempt wins" holds).
func (s *store) sortedItems() []bundle.Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]bundle.Item(nil), s.items...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// runTasks runs tasks on the worker pool and waits for all of them. When ctx
// (the whole run's deadline) ends, tasks not yet started are recorded as
// skipped and running ones are cut by their own contexts.
func (c *collector) runTasks(ctx context.Context, tasks []Task) {
	workers := c.opts.Workers
	if workers <= 0 {
		workers = 4
	}
	ch := make(chan Task)
	var wg sync.WaitGroup
	for range min(workers, len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range ch {
				c.runTask(ctx, t)
			}
		}()
	}
	for _, t := range tasks {
		ch <- t
	}
	close(ch)
	wg.Wait()
}

// runTask runs one task and its fallback, recording every attempt.
func (c *collector) runTask(ctx context.Context, t Task) {
	if ctx.Err() != nil {
		c.finish(t, nil, skipped("%s before this item ran", c.stopped(ctx)), 0, nil)
		return
	}
	if t.NeedsRoot && !c.root {
		c.finish(t, nil, skipped("needs root (running as uid %d)", c.uid), 0, nil)
		return
	}
	start := time.Now()
	data, exit, err := c.attempt(ctx, t)
	dur := time.Since(start)
	err = t.classify(err)
	// A source found absent (skipped) is absent for its command too.
	if err == nil || isSkip(err) || t.Fallback == nil || ctx.Err() != nil {
		c.finish(t, data, err, dur, exit)
		return
	}
	fb := *t.Fallback
	if fb.Path == "" {
		fb.Path = t.Path
	}
	if fb.Post == nil {
		fb.Post = t.Post
	}
	if fb.Run == nil && len(fb.Argv) > 0 {
		if _, lerr := c.lookPath(fb.Argv[0]); lerr != nil {
			// Nothing else to try: one item, with both reasons.
			c.finish(t, data, fmt.Errorf("%w; fallback `%s`: %v", err, strings.Join(fb.Argv, " "), lerr), dur, exit)
			return
		}
	}
	t.retried = strings.Join(fb.Argv, " ")
	if fb.Argv == nil {
		t.retried = fb.Command
	}
	c.finish(t, nil, err, dur, exit)
	start = time.Now()
	data, exit, err = c.attempt(ctx, fb)
	c.finish(fb, data, fb.classify(err), time.Since(start), exit)
}

func (t *Task) classify(err error) error {
	if err == nil || isSkip(err) {
		return err
	}
	for _, a := range t.Absent {
		if strings.Contains(err.Error(), a) {
			return skipped("%s", err.Error())
		}
	}
	return err
}

// attempt runs t once under its timeout.
func (c *collector) attempt(ctx context.Context, t Task) ([]byte, *int, error) {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = c.opts.ItemTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tctx = context.WithValue(tctx, timeoutKey{}, timeout)
	if t.Run == nil {
		return c.command(tctx, t.Argv)
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	// A native reader cannot be interrupted (a netlink dump, an ioctl); if it
	// hangs, the run goes on without it and the goroutine is abandoned.
	c.inNetns(func(nsErr error) {
		if nsErr != nil {
			done <- result{nil, nsErr}
			return
		}
		defer func() {
			if r := recover(); r != nil {
				done <- result{nil, fmt.Errorf("panic: %v", r)}
			}
		}()
		d, e := t.Run(tctx)
		done <- result{d, e}
	})
	select {
	case r := <-done:
		if r.err != nil && tctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return r.data, nil, fmt.Errorf("timeout after %s: %w", timeout, r.err)
		}
		return r.data, nil, r.err
	case <-tctx.Done():
		if ctx.Err() != nil {
			return nil, nil, errors.New(c.stopped(ctx))
		}
		return nil, nil, fmt.Errorf("timeout after %s", timeout)
	}
}

// stopped says why the run's context ended.
func (c *collector) stopped(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.Canceled) {
		return "the run was interrupted"
	}
	return fmt.Sprintf("the run's time limit (--timeout %s) was reached", c.opts.Timeout)
}

// finish stores the output and records the item.
func (c *collector) finish(t Task, data []byte, err error, dur time.Duration, exit *int) {
	it := bundle.Item{
		Path:       t.Path,
		Source:     t.Source,
		Command:    t.Command,
		DurationMs: dur.Milliseconds(),
		ExitCode:   exit,
	}
	if t.Run == nil && len(t.Argv) > 0 {
		it.Command = strings.Join(t.Argv, " ")
	}
	var reds []bundle.Redaction
	it.Status, it.Error, it.Partial = itemStatus(err, len(data) > 0)
	if it.Status != bundle.StatusOK && !it.Partial {
		data = nil
	}
	// A command's error is its stderr's last line, which can quote a secret;
	// it is shown on the terminal and kept in the manifest.
	if it.Error != "" {
		var r []bundle.Redaction
		it.Error, r = redact.String(bundle.ManifestPath, it.Error)
		reds = append(reds, r...)
	}
	if data != nil && it.Status != bundle.StatusSkipped {
		if t.Post != nil {
			out, r, perr := t.Post(data)
			if perr != nil {
				it.Status = bundle.StatusError
				it.Error = fmt.Sprintf("not written: %v", perr)
				data = nil
			} else {
				data, reds = out, append(reds, r...)
			}
		}
		if data != nil {
			c.files.put(t.Path, data)
		}
	}
	c.files.record(it, reds)
	if t.retried != "" {
		c.progress.say("  retry   %-34s %s failed (%s); trying `%s`", it.Path, it.Source, it.Error, t.retried)
		return
	}
	c.progress.item(it, t.Optional)
}

// readFile reads a file of the node (under Options.Root) for a file task,
// refusing anything that is not a regular file (a FIFO would block) and capping
// the size.
func (c *collector) hostPath(p string) string {
	return filepath.Join(c.opts.Root, p)
}

// fileTask is a Task reading one host file.
func (c *collector) fileTask(path, desc, file string, optional bool) Task {
	full := c.hostPath(file)
	return Task{
		Path: path, Description: desc, Source: bundle.SourceFile, Command: file, Optional: optional,
		Run: func(ctx context.Context) ([]byte, error) {
			b, err := readRegular(full, maxFileBytes)
			if errors.Is(err, os.ErrNotExist) {
				return nil, skipped("%s does not exist", file)
			}
			return b, err
		},
	}
}

// maxFileBytes caps what one file task reads (sysctl -a, iptables-save of big
// clusters stay far below).
const maxFileBytes = 64 << 20
