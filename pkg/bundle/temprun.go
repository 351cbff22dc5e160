package bundle

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// TempRun is the one private folder every archive of a run is extracted under
// (Options.TempDir), so that the run can remove all the customer data it
// unpacked in one step however it ends: normally (Close), on an error, or
// killed by Ctrl-C, SIGTERM or SIGHUP (the terminal closing), which Close
// alone cannot cover.
type TempRun struct {
	Dir string

	once    sync.Once
	err     error
	sigs    chan os.Signal
	done    chan struct{}
	stopped chan struct{}
}

// runSignals are the signals that end an interactive run; SIGKILL cannot be
// caught (nothing can clean up after it but the next boot's tmp cleaner).
var runSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// NewTempRun creates the run's folder under parent ("" for os.TempDir()) and
// handles the signals: on one, it removes the folder, then calls onSignal
// (which should exit the process; when it returns, the process exits with
// 128+signal number, as a shell reports a killed command).
func NewTempRun(parent string, onSignal func(os.Signal)) (*TempRun, error) {
	dir, err := os.MkdirTemp(parent, "podnetdiag-run-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder for bundles: %w", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	r := &TempRun{Dir: dir, sigs: make(chan os.Signal, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	signal.Notify(r.sigs, runSignals...)
	go r.watch(onSignal)
	return r, nil
}

func (r *TempRun) watch(onSignal func(os.Signal)) {
	defer close(r.stopped)
	select {
	case <-r.done:
		return
	case sig := <-r.sigs:
		r.remove()
		if onSignal != nil {
			onSignal(sig)
		}
		code := 128 + 15
		if s, ok := sig.(syscall.Signal); ok {
			code = 128 + int(s)
		}
		os.Exit(code)
	}
}

// remove deletes the folder. Extraction may still be creating files in it
// while a signal is handled: retry until a pass finds nothing left (files
// cannot be created in a removed folder, so the passes end).
func (r *TempRun) remove() {
	r.once.Do(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(r.Dir); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		r.err = err
	})
}

// Close removes the run's folder and everything in it and stops handling the
// signals. Bundles opened under it are unusable afterwards.
func (r *TempRun) Close() error {
	select {
	case <-r.done:
	default:
		close(r.done)
	}
	signal.Stop(r.sigs)
	<-r.stopped
	r.remove()
	if r.err != nil && !errors.Is(r.err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", r.Dir, r.err)
	}
	return nil
}
