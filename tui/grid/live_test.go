package grid

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// TestLiveDecimalsExact: DECIMAL(38,10) sums of money beyond float64's 15
// digits stay exact from a real lakehouse.Live, on the first page and past
// it (read from the spill), on screen, in a copy, sorted by DuckDB and
// exported.
func TestLiveDecimalsExact(t *testing.T) {
	ctx := context.Background()
	const q = `SELECT i AS id, sum(amount)::DECIMAL(38,10) AS total FROM (
		SELECT i, 12345678901234567890.1234567891::DECIMAL(38,10) + i * 0.0000000001 AS amount FROM range(1000) t(i)
		UNION ALL SELECT i, 0.0000000002::DECIMAL(38,10) FROM range(1000) t(i)) GROUP BY i`
	live, err := testLH.OpenLive(ctx, q, lakehouse.LiveOptions{FirstPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := live.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	exact := func(id int64) string { // 12345678901234567890.1234567891 + (id+2)e-10
		return "12345678901234567890.12345" + fmt.Sprintf("%05d", 67891+id+2)
	}
	sorted, err := live.Sort(ctx, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sorted.Close()
	if err := sorted.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for _, src := range []*lakehouse.Live{live, sorted} {
		m := New(Options{PageSize: 200})
		m.SetSize(120, 30)
		for _, msg := range collect(m.SetSource(src)) {
			m, _ = m.Update(msg)
		}
		for _, i := range []int64{0, 5, 500, 999} { // the first page and the spill
			row, ok := m.Row(i)
			if !ok { // past the first page: read from the spill
				p, err := src.Page(ctx, i, 1)
				if err != nil || len(p.Rows) != 1 {
					t.Fatalf("row %d: %v, %v", i, p, err)
				}
				row = p.Rows[0]
			}
			id := row[0].(int64)
			if got := plainText(row[1], "DECIMAL(38,10)"); got != exact(id) {
				t.Errorf("row %d (id %d) copies as %s, want %s", i, id, got, exact(id))
			}
			if got := formatCell(row[1], "DECIMAL(38,10)").text; strings.ReplaceAll(got, ",", "") != exact(id) {
				t.Errorf("row %d (id %d) shows %s, want %s", i, id, got, exact(id))
			}
		}
		if src == sorted {
			if row, _ := m.Row(0); row[0].(int64) != 999 {
				t.Errorf("sorted by total desc, the first id is %v, want 999", row[0])
			}
		}
	}
	out := filepath.Join(t.TempDir(), "totals.csv")
	if err := live.Export(ctx, out, "csv", nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), ","+exact(999)+"\n") {
		t.Errorf("the export lacks id 999's exact total %s: %v", exact(999), err)
	}
}

// TestLiveSortedCountKnown: a sort of a complete 10M-row result knows its
// count at once, while DuckDB still makes its sorted table: the footer
// says "of 10,000,000 rows", not "10,000,000+ rows…".
func TestLiveSortedCountKnown(t *testing.T) {
	ctx := context.Background()
	live, err := testLH.OpenLive(ctx, "SELECT i AS id, i % 7 AS k FROM range(10000000) t(i)", lakehouse.LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := live.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	sorted, err := live.Sort(ctx, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sorted.Close()
	m := New(Options{PageSize: 200, CountEvery: -1})
	m.SetSize(100, 20)
	// The first page and the count, without waiting for the sorted table.
	for _, msg := range collect(m.SetSource(sorted)) {
		if _, ok := msg.(pageMsg); ok {
			m, _ = m.Update(msg)
		}
	}
	if v := m.View(); !strings.Contains(v, "row 1 of 10,000,000 rows") || strings.Contains(v, "+ rows") {
		t.Errorf("a sorted 10M-row result's footer:\n%s", v)
	}
}

// TestLivePreviewShown: a 1M-row query with its own ORDER BY shows its
// first page's preview at once, labelled "preview · sorting…", and no row
// past it; the execution's first page then replaces it, the same rows,
// and the label goes.
func TestLivePreviewShown(t *testing.T) {
	ctx := context.Background()
	live, err := testLH.OpenLive(ctx, "SELECT i, i % 7 AS k, 'n' || (i % 3) AS s FROM range(1000000) t(i) ORDER BY k, s DESC",
		lakehouse.LiveOptions{Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	preview := live.Preview()
	if preview == nil {
		t.Skip("the execution's first page came before the grid asked for the preview") // not on this size, but never a failure
	}
	m := New(Options{PageSize: 200, CountEvery: -1})
	m.SetSize(100, 20)
	msgs := collect(m.SetSource(live))
	v := m.View()
	if !m.Previewing() || !strings.Contains(v, "preview · sorting…") || !strings.Contains(v, "row 1 of the first 200 by a top-N") {
		t.Fatalf("the preview's view:\n%s", v)
	}
	if row, ok := m.Row(0); !ok || fmt.Sprint(row) != fmt.Sprint(preview.Rows[0]) {
		t.Fatalf("row 1 shown %v, the preview's %v", row, preview.Rows[0])
	}
	if _, ok := m.Row(200); ok {
		t.Fatal("a row past the first page shown from the preview")
	}
	m, _ = press(t, m, "G")
	if r, _ := m.Cursor(); r != 199 {
		t.Fatalf("G on the preview went to row %d, want its last (199)", r+1)
	}
	for _, msg := range msgs {
		m, _ = m.Update(msg)
	}
	v = m.View()
	if m.Previewing() || strings.Contains(v, "preview") || strings.Contains(v, "differs") {
		t.Fatalf("after the first page:\n%s", v)
	}
	if row, ok := m.Row(0); !ok || fmt.Sprint(row) != fmt.Sprint(preview.Rows[0]) {
		t.Fatalf("row 1 %v after the first page, the preview's %v", row, preview.Rows[0])
	}
	if n, done := m.Count(); n != 1_000_000 || !done {
		t.Fatalf("count %d %v", n, done)
	}
}

// previewSource is a result whose preview differs from its first page, as
// a preview should never: the grid says so.
type previewSource struct {
	*memSource
	preview *lakehouse.Result
}

func (s previewSource) Preview() *lakehouse.Result          { return s.preview }
func (s previewSource) PreviewMatch() (checked, equal bool) { return true, false }

func TestPreviewDiffers(t *testing.T) {
	src := streamed(t, "SELECT i FROM range(10) t(i)")
	other := streamed(t, "SELECT i + 100 AS i FROM range(10) t(i)")
	m := New(Options{})
	m.SetSize(80, 12)
	msgs := collect(m.SetSource(previewSource{src, &lakehouse.Result{Columns: other.cols, Rows: other.rows}}))
	if v := m.View(); !strings.Contains(v, "│ 107 │") || !strings.Contains(v, "preview · sorting…") {
		t.Fatalf("the preview:\n%s", v)
	}
	for _, msg := range msgs {
		m, _ = m.Update(msg)
	}
	v := m.View()
	if !strings.Contains(v, "the sorted first page differs from its preview") || strings.Contains(v, "│ 107 │") {
		t.Fatalf("after a first page unlike its preview:\n%s", v)
	}
}
