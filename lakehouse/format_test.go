package lakehouse

import (
	"context"
	"regexp"
	"testing"
	"time"
)

// TestFormatTime prints real DuckDB values by their column types and
// compares the table form with DuckDB's own text cast of the same value.
func TestFormatTime(t *testing.T) {
	lh := openTemp(t)
	res, err := lh.Query(context.Background(), `select timestamp '2026-01-05 00:00:00' t, date '2026-01-05' d,
		timestamptz '2026-01-05 00:00:00+02' z, time '00:00:00' tm, timetz '10:00:00+05:30' ttz,
		timestamp_ms '2026-01-05 10:11:12.5' ms,
		t::varchar, d::varchar, z::varchar, tm::varchar, ttz::varchar, ms::varchar`)
	if err != nil {
		t.Fatal(err)
	}
	row := res.Rows[0]
	json := []string{"2026-01-05T00:00:00", "2026-01-05", "", "00:00:00", "10:00:00+05:30", "2026-01-05T10:11:12.5"}
	for i := range 6 {
		v, ok := row[i].(time.Time)
		if !ok {
			t.Fatalf("%s: got %T, want a time.Time", res.Columns[i].Name, row[i])
		}
		typ := res.Columns[i].Type
		if got, want := FormatTime(typ, v), row[i+6].(string); got != want {
			t.Errorf("%s %s: got %q, DuckDB prints %q", res.Columns[i].Name, typ, got, want)
		}
		if json[i] == "" {
			continue
		}
		if got := FormatTimeJSON(typ, v); got != json[i] {
			t.Errorf("%s %s in JSON: got %q, want %q", res.Columns[i].Name, typ, got, json[i])
		}
	}
	// A TIMESTAMPTZ is an instant with a numeric offset, never a bare Z.
	z := row[2].(time.Time)
	if got := FormatTimeJSON("TIMESTAMPTZ", z); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`).MatchString(got) {
		t.Errorf("TIMESTAMPTZ in JSON: got %q, want RFC 3339 with an offset", got)
	} else if back, _ := time.Parse(time.RFC3339, got); !back.Equal(z) {
		t.Errorf("TIMESTAMPTZ in JSON: %q is not the instant %v", got, z)
	}
}

func TestCost(t *testing.T) {
	for _, tt := range []struct {
		c    float64
		cur  string
		want string
	}{
		{0, "USD", "0 USD"}, {4e-05, "USD", "0.000040 USD"}, {0.00102, "", "0.0010"}, {12.345, "EUR", "12.35 EUR"},
	} {
		if got := Cost(tt.c, tt.cur); got != tt.want {
			t.Errorf("Cost(%v, %q) = %q, want %q", tt.c, tt.cur, got, tt.want)
		}
	}
}
