package pipeline

import "encoding/json"

// TestsJSONSchema returns the JSON Schema (draft 2020-12) of a test file
// (tests/*.yml), for editors as JSONSchema is for lakebench.yml: the keys
// the test-file parser reads (testFileKeys and the lists beside it), each
// described. A test file is not a Go type the loader decodes into, so the
// schema is written here; TestTestsJSONSchemaMatchesTheParser keeps the
// two the same.
func TestsJSONSchema() ([]byte, error) {
	str := func(d string) map[string]any { return map[string]any{"type": "string", "description": d} }
	object := func(d string, props map[string]any, required ...string) map[string]any {
		s := map[string]any{"type": "object", "description": d, "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	scalar := map[string]any{"type": []string{"string", "number", "integer", "boolean", "null"}}
	rows := object("rows of a table: given inline (rows), from a CSV file beside the test file (csv), or none (rows: [] for an empty table)", map[string]any{
		"rows": map[string]any{"type": []string{"array", "null"}, "description": "the rows, each a mapping of column to value; compared in any order",
			"items": map[string]any{"type": "object", "additionalProperties": scalar}},
		"csv": str("a CSV file with a header row, relative to the test file's folder, inside the project"),
		"columns": map[string]any{"type": "object", "description": "column types (DuckDB types such as DATE, DECIMAL(10,2)) where the rows do not say",
			"additionalProperties": map[string]any{"type": "string"}},
	})
	unit := object("a unit test: a model built over the rows the test gives, in a private in-memory DuckDB", map[string]any{
		"model":       str("the model under test, SCHEMA.NAME (a file under the bundle's transforms)"),
		"description": str("what the test shows"),
		"vars": map[string]any{"type": "object", "description": "bundle variables for this test (each defined under variables in lakebench.yml)",
			"additionalProperties": scalar},
		"tolerance": map[string]any{"type": "number", "minimum": 0,
			"description": "how far apart numbers may be and still be equal: |a-b| <= tolerance * max(1, |a|, |b|); default 1e-9"},
		"inputs": map[string]any{"type": "object", "description": "rows for each table the model reads, keyed SCHEMA.NAME",
			"additionalProperties": rows},
		"expect": rows,
	}, "model", "expect")
	data := object("a data test on a target (lakebench test -t T): a SELECT that passes when it returns no row, or a table's row count in a range", map[string]any{
		"description": str("what the test checks"),
		"sql":         str("one SELECT that returns the bad rows: the test passes when it returns none"),
		"table":       str("the table whose rows are counted, SCHEMA.NAME"),
		"rows": object("the row count's bounds (with table)", map[string]any{
			"min": map[string]any{"type": "integer", "minimum": 0, "description": "at least this many rows"},
			"max": map[string]any{"type": "integer", "minimum": 0, "description": "at most this many rows"},
		}),
	})
	root := object("a lakebench test file (tests/*.yml): model unit tests and data tests, as SQLMesh's and dbt's", map[string]any{
		"tests":      map[string]any{"type": "object", "description": "unit tests, by name", "additionalProperties": unit},
		"data_tests": map[string]any{"type": "object", "description": "data tests, by name", "additionalProperties": data},
	})
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "lakebench test file (tests/*.yml)"
	return json.MarshalIndent(root, "", "  ")
}
