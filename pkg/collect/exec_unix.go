//go:build unix

package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Output caps of one command: iptables-save of a big cluster is tens of MB.
const (
	maxStdout = 128 << 20
	maxStderr = 16 << 10
)

// command runs argv with a clean, C-locale environment in its own process group,
// so that on timeout the whole group (a shell script and its `sleep`) is killed,
// not only the leader. It returns stdout; a non-zero exit is an error that keeps
// the output (partial) when there is some.
func (c *collector) command(ctx context.Context, argv []string) ([]byte, *int, error) {
	if len(argv) == 0 {
		return nil, nil, errors.New("no command")
	}
	path, err := c.lookPath(argv[0])
	if err != nil {
		return nil, nil, skipped("%s: %v", argv[0], err)
	}
	var stdout, stderr capped
	stdout.limit, stderr.limit = maxStdout, maxStderr
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Env = c.cmdEnv()
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The negative pid is the group: the command and what it started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// Children keeping the pipes open must not keep Wait waiting.
	cmd.WaitDelay = 2 * time.Second

	var runErr error
	c.inNetnsWait(func(nsErr error) {
		if runErr = nsErr; nsErr == nil {
			runErr = cmd.Run()
		}
	})
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, fmt.Errorf("timeout after %s (process group killed)", deadlineOf(ctx))
		}
		return nil, nil, ctx.Err()
	}
	var code *int
	if cmd.ProcessState != nil && cmd.ProcessState.Exited() {
		n := cmd.ProcessState.ExitCode()
		code = &n
	}
	out := stdout.Bytes()
	if runErr != nil {
		msg := lastLine(stderr.Bytes())
		e := fmt.Errorf("%s: %v", argv[0], runErr)
		if msg != "" {
			e = fmt.Errorf("%s: %v: %s", argv[0], runErr, msg)
		}
		if len(out) > 0 {
			return out, code, &partialError{err: e, exitCode: code}
		}
		return nil, code, e
	}
	if stdout.truncated {
		return out, code, &partialError{err: fmt.Errorf("%s: output cut at %d bytes", argv[0], maxStdout), exitCode: code}
	}
	return out, code, nil
}

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

// readRegular reads a regular file of at most limit bytes. It opens without
// blocking, so that a FIFO planted where a file was expected is refused instead
// of hanging the reader.
func readRegular(name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", name, fi.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return b[:limit], &partialError{err: fmt.Errorf("%s: cut at %d bytes", name, limit)}
	}
	return b, nil
}
