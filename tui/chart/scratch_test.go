package chart

import (
	"context"
	"fmt"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

func TestScratch(t *testing.T) {
	ctx := context.Background()
	lh, err := lakehouse.Open(ctx, "", lakehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	for _, q := range []string{
		"select (date '2026-01-01' + i::int) as day, (1000 + 300*sin(i/5.0) + i*20)::decimal(12,2) as revenue from range(90) t(i)",
		"select cat, sum(v) as total from (select 'category_' || (i % 7) as cat, (i % 13 - 4) * 1000 as v from range(1000) t(i)) group by cat order by cat",
		"select i, i*i - 50*i as y from range(100) t(i)",
		"select hash(i) % 1000 as a, (hash(i) % 1000) * 0.5 + hash(i*7) % 300 as b from range(500) t(i)",
		"select 100 + 20*sin(i/3.0) as v from range(40) t(i)",
	} {
		res, err := lh.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		spec := Auto(res.Columns, res.Rows)
		fmt.Printf("%+v %v\n", spec, res.Columns)
		fmt.Println(Draw(spec, res.Columns, res.Rows, 80, 24))
	}
}
