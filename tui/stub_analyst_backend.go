package tui

// CONTRACT STUB (issue 10), owned by the helper on branch an-backend: it
// moves these into workspace_analyst.go and deletes this file.

import (
	"context"
	"errors"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

var errAnalystNotBuilt = errors.New("tui: the analyst backend is not built yet")

// Query implements Backend.
func (w *Workspace) Query(ctx context.Context, target, sql string) (*lakehouse.Live, error) {
	return nil, errAnalystNotBuilt
}

// Complete implements Backend.
func (w *Workspace) Complete(ctx context.Context, target, sqlBefore string) ([]lakehouse.Suggestion, error) {
	return nil, errAnalystNotBuilt
}

// Catalog implements Backend.
func (w *Workspace) Catalog(ctx context.Context, target string) ([]lakehouse.TableInfo, error) {
	return nil, errAnalystNotBuilt
}

// History implements Backend.
func (w *Workspace) History(ctx context.Context, target, search string, limit int) ([]lakehouse.QueryRecord, error) {
	return nil, errAnalystNotBuilt
}

// Tile implements Backend.
func (w *Workspace) Tile(ctx context.Context, target, dashboard string, tile int) (*pipeline.TileData, error) {
	return nil, errAnalystNotBuilt
}

// Alerts implements Backend.
func (w *Workspace) Alerts(ctx context.Context, target string) ([]pipeline.AlertStatus, error) {
	return nil, errAnalystNotBuilt
}

// CheckAlerts implements Backend.
func (w *Workspace) CheckAlerts(ctx context.Context, target string) ([]pipeline.AlertStatus, error) {
	return nil, errAnalystNotBuilt
}
