package collect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Output caps of one command: iptables-save of a big cluster is tens of MB.
const (
	maxStdout = 128 << 20
	maxStderr = 16 << 10
)

// deadlineOf reports how long ctx was given, for timeout messages.
func deadlineOf(ctx context.Context) string {
	if v, ok := ctx.Value(timeoutKey{}).(time.Duration); ok {
		return v.String()
	}
	return "the item timeout"
}

type timeoutKey struct{}

// lookPath finds name in Options.Path (the process's PATH by default, plus the
// sbin directories a sudo'ed operator may lack).
func (c *collector) lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		if isExec(name) {
			return name, nil
		}
		return "", fmt.Errorf("%s: not an executable file", name)
	}
	for _, dir := range filepath.SplitList(c.opts.Path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if isExec(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("command not found in PATH")
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// cmdEnv: the commands' output must not depend on the operator's locale.
func (c *collector) cmdEnv() []string {
	return []string{"PATH=" + c.opts.Path, "LC_ALL=C", "LANG=C", "HOME=/"}
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// capped is a bytes.Buffer that stops growing at limit.
type capped struct {
	bytes.Buffer
	limit     int
	truncated bool
}

func (w *capped) Write(p []byte) (int, error) {
	n := len(p)
	if room := w.limit - w.Len(); room < len(p) {
		w.truncated = true
		if room > 0 {
			w.Buffer.Write(p[:room])
		}
		return n, nil
	}
	w.Buffer.Write(p)
	return n, nil
}
