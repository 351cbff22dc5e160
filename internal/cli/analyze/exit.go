package analyze

import (
	"errors"
	"fmt"
)

// Exit codes, stable for CI use.
const (
	ExitOK       = 0 // ran, nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitInput    = 2 // usage error, unusable bundle or rules
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// inputError marks err as "unusable input": exit 2 with one clear line.
func inputError(err error) error { return &exitError{code: ExitInput, err: err} }

func codeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitInput
}
