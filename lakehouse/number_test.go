package lakehouse

import (
	"context"
	"math/big"
	"testing"
	"time"
)

// Number reads what DuckDB returns for numbers (DECIMAL and HUGEINT too),
// and nothing else: a date is not the number of its year.
func TestNumber(t *testing.T) {
	lh, err := Open(context.Background(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	res, err := lh.Stream(context.Background(), `SELECT 12.50::DECIMAL(10,2), 12::HUGEINT,
		42::TINYINT, 2.5::FLOAT, DATE '2026-01-05', 'x'`, 10, func(r *Result) error {
		want := []struct {
			f  float64
			ok bool
		}{{12.5, true}, {12, true}, {42, true}, {2.5, true}, {0, false}, {0, false}}
		for i, w := range want {
			f, ok := Number(r.Rows[0][i])
			if ok != w.ok || (ok && f != w.f) {
				t.Errorf("column %d (%T %v): %v %v, want %v %v", i, r.Rows[0][i], r.Rows[0][i], f, ok, w.f, w.ok)
			}
		}
		return nil
	}), nil
	if res != nil {
		t.Fatal(res)
	}
	if f, ok := Number(big.NewInt(-7)); !ok || f != -7 {
		t.Errorf("big.Int -7: %v %v", f, ok)
	}
	if _, ok := Number(time.Now()); ok {
		t.Error("a time read as a number")
	}
	if _, ok := Number("12"); ok {
		t.Error("a string read as a number")
	}
}

func TestGroupDigits(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "999": "999", "1000": "1,000", "-1234567.5": "-1,234,567.5",
		"+12345": "+12,345", "1e+300": "1e+300", "nan": "nan", "": "", "-": "-", "12.": "12.",
	} {
		if got := GroupDigits(in); got != want {
			t.Errorf("GroupDigits(%q) = %q, want %q", in, got, want)
		}
	}
}
