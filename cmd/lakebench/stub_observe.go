package main

// The contract of issue 11: the observability commands, each owned by one
// helper who replaces its constructor here with a real file (and deletes
// it from this one).

import (
	"errors"

	"github.com/spf13/cobra"
)

var errObserveNotYet = errors.New("not built yet (issue 11)")

func stubCmd(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errObserveNotYet }}
}
