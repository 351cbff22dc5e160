//go:build unix

package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
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

// interruptAfter runs argv for d, then interrupts it (SIGINT, as a person would
// with Ctrl-C, so that tcpdump flushes its file and prints its counters), and
// kills its process group if it has not ended 3 s later. It returns stderr.
func (c *collector) interruptAfter(ctx context.Context, argv []string, d time.Duration) ([]byte, error) {
	path, err := c.lookPath(argv[0])
	if err != nil {
		return nil, err
	}
	var stderr capped
	stderr.limit = maxStderr
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env = c.cmdEnv()
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var runErr error
	c.inNetnsWait(func(nsErr error) {
		if nsErr != nil {
			runErr = nsErr
			return
		}
		if runErr = cmd.Start(); runErr != nil {
			return
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case runErr = <-done:
			return
		case <-timer.C:
		case <-ctx.Done():
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case runErr = <-done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			runErr = fmt.Errorf("%s did not stop on SIGINT; killed", argv[0])
			<-done
		}
	})
	if runErr != nil {
		if msg := lastLine(stderr.Bytes()); msg != "" {
			return stderr.Bytes(), fmt.Errorf("%s: %v: %s", argv[0], runErr, msg)
		}
		return stderr.Bytes(), fmt.Errorf("%s: %v", argv[0], runErr)
	}
	return stderr.Bytes(), nil
}
