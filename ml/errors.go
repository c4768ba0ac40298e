package ml

import (
	"fmt"
	"strings"
)

// wrapped is an error with what was being done put in front of it, keeping
// one "ml: " prefix ("ml: train churn: feature ..." rather than "ml: train
// churn: ml: feature ...") and the cause for errors.Is and errors.As.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// wrap says what was being done when err happened.
func wrap(err error, format string, args ...any) error {
	return &wrapped{msg: "ml: " + fmt.Sprintf(format, args...) + ": " + strings.TrimPrefix(err.Error(), "ml: "), err: err}
}
