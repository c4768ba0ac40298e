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

// ob-dqx: lakebench quality [TABLE] [--json]
func newQualityCmd(g *globals) *cobra.Command {
	return stubCmd("quality [TABLE]", "Quality check results per run")
}

// ob-health: lakebench health [TABLE] [--json]
func newHealthCmd(g *globals) *cobra.Command {
	return stubCmd("health [TABLE]", "Freshness and completeness per table")
}

// ob-usage: lakebench usage [--by job|target|principal|day] [--since D] [--json]
func newUsageCmd(g *globals) *cobra.Command {
	return stubCmd("usage", "Compute usage and cost")
}

// ob-backup: lakebench backup [list], restore SNAPSHOT|latest, sla
func newBackupCmd(g *globals) *cobra.Command {
	return stubCmd("backup", "Snapshot the target")
}

func newRestoreCmd(g *globals) *cobra.Command {
	return stubCmd("restore SNAPSHOT|latest", "Restore a snapshot")
}

func newSLACmd(g *globals) *cobra.Command {
	return stubCmd("sla", "The target's SLA against its objectives")
}
