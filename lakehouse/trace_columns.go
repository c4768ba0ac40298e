package lakehouse

import (
	"context"
	"encoding/json"
	"strings"
)

// ColumnsRead returns the columns of table that selectSQL reads, from its
// bound plan (each scan of table lists the columns it reads, those of
// its filters included), in the table's order. ok is false when the plan
// cannot tell: the SELECT does not bind, reads table through anything but
// a scan of it (a view's stand-in, a table function), reads its row ids,
// or does not scan it at all; callers then take every column.
func (tx *Tx) ColumnsRead(ctx context.Context, selectSQL string, table TableName) (cols []string, ok bool, err error) {
	all, err := tableColumns(ctx, tx.tx, table)
	if err != nil || len(all) == 0 {
		return nil, false, err
	}
	p, catalog, err := serializePlanIn(ctx, tx.tx, trimSQL(selectSQL))
	if err != nil || p.Error || len(p.Plans) != 1 {
		return nil, false, nil // unknown, not an error: the caller reads every column
	}
	read := make([]bool, len(all))
	ok, found := true, false
	walkJSON(p.Plans[0], func(m map[string]any) {
		if !ok || m["type"] != "LOGICAL_GET" {
			return
		}
		fd, _ := m["function_data"].(map[string]any)
		cat, _ := fd["catalog"].(string)
		schema, _ := fd["schema"].(string)
		name, _ := fd["table"].(string)
		if m["name"] != "seq_scan" || cat != catalog {
			// A table function, or a view's stand-in: what it reads
			// of table is not in this plan.
			ok = false
			return
		}
		if !strings.EqualFold(schema, table.Schema) || !strings.EqualFold(name, table.Name) {
			return
		}
		found = true
		idx, _ := m["column_indexes"].([]any)
		for _, c := range idx {
			cm, _ := c.(map[string]any)
			n, _ := cm["index"].(json.Number)
			i, err := n.Int64()
			if err != nil || i < 0 || i >= int64(len(all)) {
				ok = false // a row id, or an index it cannot place
				return
			}
			read[i] = true
		}
	})
	if !ok || !found {
		return nil, false, nil
	}
	for i, c := range all {
		if read[i] {
			cols = append(cols, c.Name)
		}
	}
	return cols, true, nil
}
