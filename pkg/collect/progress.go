package collect

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// progress tells the operator what is happening: one line per item, and a bar
// during the capture window (redrawn in place on a terminal, a line every few
// seconds otherwise, so that logs of a non-interactive run stay readable).
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool
	bar  bool // a bar is drawn on the current line
	last time.Time
}

func newProgress(w io.Writer, tty bool) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, tty: tty}
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar {
		fmt.Fprint(p.w, "\r\033[K")
		p.bar = false
	}
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) say(format string, args ...any) {
	p.printf(format+"\n", args...)
}

func (p *progress) warn(format string, args ...any) {
	p.printf("WARNING: "+format+"\n", args...)
}

// item prints one finished attempt. Optional sources that are simply absent
// are not printed (they are in the manifest).
func (p *progress) item(it bundle.Item, optional bool) {
	if optional && it.Status == bundle.StatusSkipped {
		return
	}
	src := it.Source
	if it.Command != "" && it.Source == bundle.SourceCommand {
		src = it.Command
	}
	switch it.Status {
	case bundle.StatusOK:
		p.say("  ok      %-34s %s, %s", it.Path, src, ms(it.DurationMs))
	case bundle.StatusSkipped:
		p.say("  skip    %-34s %s", it.Path, it.Error)
	case bundle.StatusForbidden:
		p.say("  DENIED  %-34s %s: %s", it.Path, src, it.Error)
	default:
		p.say("  FAILED  %-34s %s: %s", it.Path, src, it.Error)
	}
}

func ms(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d ms", n)
	}
	return fmt.Sprintf("%.1f s", float64(n)/1000)
}

// tick draws the capture bar: elapsed of total, what is captured so far.
func (p *progress) tick(elapsed, total time.Duration, detail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	left := total - elapsed
	if left < 0 {
		left = 0
	}
	const width = 30
	done := width
	if total > 0 {
		done = int(float64(width) * float64(elapsed) / float64(total))
	}
	done = min(max(done, 0), width)
	bar := strings.Repeat("#", done) + strings.Repeat(".", width-done)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K  capture [%s] %2ds left %s", bar, int(left.Round(time.Second).Seconds()), detail)
		p.bar = true
		return
	}
	if !p.last.IsZero() && time.Since(p.last) < 5*time.Second && left > 0 {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "  capture %ds left %s\n", int(left.Round(time.Second).Seconds()), detail)
}

// endBar finishes the bar's line.
func (p *progress) endBar() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar {
		fmt.Fprint(p.w, "\n")
		p.bar = false
	}
}
