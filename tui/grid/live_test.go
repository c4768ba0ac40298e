package grid

import (
	"context"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// liveSQL is 10M rows whose r differs between executions.
const liveSQL = `SELECT i AS id, 'name ' || i AS name, (i / 3)::DECIMAL(18,2) AS amount, random() AS r
	FROM range(10000000) t(i)`

// TestLiveSource pages over a real lakehouse.Live of 10M rows while it
// streams: the count shows N+ while running and is final when it ends
// (Live.Wait, no polling), the last row shown is the last row of that one
// execution, and the grid holds a few pages however far it scrolls.
func TestLiveSource(t *testing.T) {
	ctx := context.Background()
	live, err := testLH.OpenLive(ctx, liveSQL, lakehouse.LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	opts := Options{PageSize: 200, Pages: 5, CountEvery: -1}
	m := New(opts)
	m.SetSize(100, 30)
	msgs := collect(m.SetSource(live)) // the first page, the count, and the end
	for _, msg := range msgs {
		if pm, ok := msg.(pageMsg); ok && !pm.done {
			m, _ = m.Update(msg)
			if v := m.View(); !strings.Contains(v, "+ rows…") || !strings.Contains(v, "name 0") {
				t.Errorf("while running, the view does not show N+ rows… and the first rows:\n%s", v)
			}
			continue
		}
		m, _ = m.Update(msg)
	}
	if n, done := m.Count(); n != 10_000_000 || !done {
		t.Fatalf("count %d (done %v) after the end, want 10,000,000", n, done)
	}
	m, _ = press(t, m, "G")
	want, err := live.Page(ctx, 9_999_999, 1)
	if err != nil || len(want.Rows) != 1 {
		t.Fatalf("live's last row: %v %v", want, err)
	}
	got, ok := m.Row(9_999_999)
	if !ok || got[0] != want.Rows[0][0] || got[3] != want.Rows[0][3] {
		t.Fatalf("last row shown %v, the execution's %v", got, want.Rows[0])
	}
	if v := m.View(); !strings.Contains(v, "row 10,000,000 of 10,000,000 rows") {
		t.Errorf("the last row's view:\n%s", v)
	}
	for i := range 20 {
		m, _ = press(t, m, ":")
		m = typeText(t, m, formatValue(int64(i)*499_999+1, "BIGINT"))
		m, _ = press(t, m, "enter", "pgdown", "pgdown", "up")
		if held := m.HeldRows(); held > int64(opts.Pages)*opts.PageSize {
			t.Fatalf("the grid holds %d rows", held)
		}
	}
	if held := live.Held(); held > 1000 {
		t.Errorf("the live result holds %d rows", held)
	}
}
