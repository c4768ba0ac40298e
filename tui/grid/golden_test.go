package grid

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// goldenSQL is a small result of every kind of cell: numbers, NULLs,
// empty strings, wide characters and emoji, dates, booleans, structs.
const goldenSQL = `SELECT i AS id, CASE WHEN i % 5 = 0 THEN NULL ELSE 'customer ' || i END AS name,
	CASE WHEN i % 7 = 0 THEN '' ELSE ['north', 'south', '東京', '🚀 launch'][i % 4 + 1] END AS region,
	(i * 1234.567)::DECIMAL(18,3) AS revenue, DATE '2024-01-01' + i::INTEGER AS day, i % 3 = 0 AS flag,
	{'tier': 'gold', 'score': i} AS meta, '{"id": ' || i || ', "tags": ["a", "b"]}' AS payload
	FROM range(1000) t(i) ORDER BY i`

// goldenScreens are the grid's screens, each reached by keys from the
// start.
var goldenScreens = []struct {
	name string
	keys []string
}{
	{"open", nil},
	{"last_row", []string{"G", "right", "right", "right"}},
	{"frozen", []string{"f", "right", "right", "right", "right", "right"}},
	{"selection", []string{"down", "v", "down", "down", "right"}},
	{"goto", []string{":", "5", "0", "0"}},
	{"viewer_json", []string{"right", "right", "right", "right", "right", "right", "right", "enter"}},
}

// TestGolden draws the grid's screens at 80x24 and 160x48 and compares
// them with testdata/TestGolden/*.golden (-update rewrites them).
func TestGolden(t *testing.T) {
	src := streamed(t, goldenSQL)
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, sc := range goldenScreens {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				m := open(t, src, size[0], size[1], Options{})
				m, _ = press(t, m, sc.keys...)
				out := m.View()
				if got := strings.Count(out, "\n") + 1; got != size[1] {
					t.Errorf("%d lines, want %d", got, size[1])
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}
