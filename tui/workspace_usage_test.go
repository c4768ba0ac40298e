package tui

import (
	"context"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
)

// TestHeldSessionUsage: the Analyst view's session holds its file only
// during calls and streaming queries (issue 10), so it records no idle
// period as usage (kind idle); its query has a usage record of its own,
// with the CPU of its span.
func TestHeldSessionUsage(t *testing.T) {
	ctx := context.Background()
	dir := copySample(t, nil)
	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "dana"})
	info, err := ws.Prepare(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := ws.Catalog(ctx, info.Target); err != nil {
		t.Fatal(err)
	}
	live, err := ws.Query(ctx, info.Target, "select 42 as answer")
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	ws.Close()

	p, err := pipeline.LoadWith(dir, pipeline.LoadOptions{Target: info.Target})
	if err != nil {
		t.Fatal(err)
	}
	lh, err := lakehouse.Open(ctx, p.DatabasePath(info.Target), lakehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	records, err := lh.UsageRecords(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	var idle, queries int
	for _, r := range records {
		if r.Tags["principal"] != "dana" || r.Tags["target"] != info.Target {
			t.Errorf("a record of the session tagged %v, want principal dana, target %s", r.Tags, info.Target)
		}
		switch r.Kind {
		case lakehouse.UsageKindIdle:
			idle++
			if r.EndTime.Before(r.StartTime) || r.EndTime.Sub(r.StartTime) > lakehouse.IdleAutoStop {
				t.Errorf("an idle period from %v to %v", r.StartTime, r.EndTime)
			}
		case lakehouse.UsageKindQuery:
			queries++
			if r.Quantity <= 0 || r.CPUSeconds < 0 {
				t.Errorf("the query's usage %+v", r)
			}
		}
	}
	if idle != 0 || queries != 1 {
		t.Errorf("%d idle records and %d query records, want 0 (nothing is held between calls) and 1: %+v", idle, queries, records)
	}
}
