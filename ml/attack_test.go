package ml

// A reviewer's attacks on the registry, as a hostile user would try them:
// writes into the registry's own tables, tampered artifacts, and data a
// trainer should refuse by name. Real DuckDB files throughout.

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/lakehouse"
)

// tamper runs stmt as a hand editing the file would, in a transaction of
// lakebench's own (Tx.Exec checks nothing): the attacker who reaches the
// file itself.
func tamper(t *testing.T, lh *lakehouse.Lakehouse, stmt string, args ...any) {
	t.Helper()
	ctx := context.Background()
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecArgs(ctx, stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// noPanic runs f and fails the test, naming what, if it panics.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%s panicked: %v", what, p)
		}
	}()
	f()
}

// TestAttackRegistryTablesAreNotWritable: predictions written over a
// registry table under another case of its name (ml.RUNS is ml.runs to
// DuckDB), and statements that edit the registry by hand (an UPDATE that
// moves the champion without the registry's checks and audit) are
// refused, the owner's too; the registry is intact afterwards.
func TestAttackRegistryTablesAreNotWritable(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, customers)
	governed(t, lh, "development")
	r := NewRegistry(lh)
	lh.SetPrincipal("chen")
	registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
	registerHand(t, r, regModel("churn", []float64{2, 0, 0, 0}, 0), 0.7)

	for _, who := range []string{"chen", "ana", ""} {
		lh.SetPrincipal(who)
		for _, out := range []string{"ml.RUNS", "ml.Model_Aliases", "ML.artifacts", "ml.scorings", "ml.model_versions", "ml.Registered_Models"} {
			if _, err := r.Predict(ctx, "churn", "gold.customers", out); err == nil {
				t.Errorf("%q scores into %s: no error", who, out)
			}
		}
		for _, stmt := range []string{
			"UPDATE ml.model_aliases SET version = 2 WHERE alias = 'champion'",
			"DELETE FROM ml.Model_Aliases",
			"INSERT INTO ml.runs SELECT * FROM ml.runs",
			"UPDATE ml.artifacts SET model = 'garbage'::BLOB",
			"UPDATE ml.model_versions SET status = 'READY'",
			"INSERT INTO ml.scorings SELECT * FROM ml.scorings",
		} {
			_, err := lh.Exec(ctx, stmt)
			var ae *lakehouse.AccessError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), "model registry") {
				t.Errorf("%q runs %s: %v, want a refusal naming the registry", who, stmt, err)
			}
		}
	}
	lh.SetPrincipal("")
	if _, v, err := r.Resolve(ctx, "churn@champion"); err != nil || v != 1 {
		t.Errorf("the champion after the attacks: %d %v, want 1", v, err)
	}
	if _, err := r.Show(ctx, "churn/2"); err != nil {
		t.Errorf("the registry after the attacks: %v", err)
	}
	if n := rows(t, lh, "SELECT (SELECT count(*) FROM ml.runs), (SELECT count(*) FROM ml.scorings)"); n[0][0] != int64(2) || n[0][1] != int64(0) {
		t.Errorf("runs and scorings after the attacks: %v, want 2 and 0", n)
	}
	if n := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE NOT allowed AND principal = 'chen' AND detail LIKE '%model registry%'"); n[0][0].(int64) < 6 {
		t.Errorf("chen's refused statements audited %v times, want 6", n[0][0])
	}
	// A model (a pipeline's materialization) may not build one either.
	tx, err := lh.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Materialize(ctx, lakehouse.TableName{Schema: "ml", Name: "Runs"}, "SELECT 1 AS a", lakehouse.Materialization{}); !errors.Is(err, lakehouse.ErrInternalTable) {
		t.Errorf("a model builds ml.Runs: %v", err)
	}
}

// TestAttackPredictOutputs: the output may not be the input under another
// case, a view, an ingested table or a table in sys or bronze.
func TestAttackPredictOutputs(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, customers)
	execSQL(t, lh, "CREATE VIEW gold.v AS SELECT * FROM gold.customers")
	r := NewRegistry(lh)
	registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
	for _, out := range []string{"gold.CUSTOMERS", "gold.v", "sys.x", "SYS.audit", "bronze.x", "bronze_data.x", "information_schema.x", "temp.x"} {
		noPanic(t, "predict into "+out, func() {
			if _, err := r.Predict(ctx, "churn", "gold.customers", out); err == nil {
				t.Errorf("scores into %s: no error", out)
			}
		})
	}
	if n := rows(t, lh, "SELECT count(*) FROM gold.customers"); n[0][0] != int64(6) {
		t.Errorf("gold.customers after the attacks: %v rows", n[0][0])
	}
	if n := rows(t, lh, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'v'"); n[0][0] != int64(1) {
		t.Errorf("the view gold.v was replaced")
	}
}

// TestAttackMissingAliasAndRefs: a missing alias, a missing version and
// malformed references are clear errors.
func TestAttackMissingAliasAndRefs(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, customers)
	r := NewRegistry(lh)
	registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
	var nf *NotFoundError
	if _, err := r.Predict(ctx, "churn@nope", "gold.customers", "ml.p"); !errors.As(err, &nf) || !strings.Contains(err.Error(), `no alias "nope"`) || !strings.Contains(err.Error(), "promote") {
		t.Errorf("churn@nope: %v", err)
	}
	if _, err := r.Predict(ctx, "churn/9", "gold.customers", "ml.p"); !errors.As(err, &nf) {
		t.Errorf("churn/9: %v", err)
	}
	for _, ref := range []string{"churn@", "@champion", "churn/0", "churn/-1", "churn/1x", "a@b@c", "churn/1@x", strings.Repeat("x", 100000), "ch\x00urn", "churn\n", " churn", "churn@\u202echampion"} {
		noPanic(t, "resolve "+fmt.Sprintf("%q", ref), func() {
			if _, _, err := r.Resolve(ctx, ref); err == nil {
				t.Errorf("resolve %q: no error", ref)
			}
		})
	}
	if err := r.SetAlias(ctx, "churn", "12", 1); err == nil {
		t.Errorf("an all-digit alias was set")
	}
	if err := r.RemoveAlias(ctx, "churn", "nope"); !errors.As(err, &nf) {
		t.Errorf("remove a missing alias: %v", err)
	}
}

// TestAttackTamperedArtifact: an artifact edited in the file (garbage,
// truncated, shapes that do not fit, random byte flips) makes show,
// predict, compare and reproduce fail with an error, never a panic.
func TestAttackTamperedArtifact(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, trainingTable)
	r := NewRegistry(lh)
	if _, _, err := r.Train(ctx, Spec{Name: "churn", Table: "gold.train", Label: "churned", Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Train(ctx, Spec{Name: "churn", Table: "gold.train", Label: "churned", Seed: 2}, nil); err != nil {
		t.Fatal(err)
	}
	good := []byte(rows(t, lh, "SELECT model::VARCHAR FROM ml.artifacts WHERE version = 1")[0][0].(string))
	frame, err := ReadFrame(ctx, lh, "gold.train", nil)
	if err != nil {
		t.Fatal(err)
	}
	swap := func(old, new string) []byte { return []byte(strings.Replace(string(good), old, new, 1)) }
	bad := map[string][]byte{
		"garbage":   []byte("garbage"),
		"empty":     {},
		"null":      []byte("null"),
		"object":    []byte("{}"),
		"truncated": good[:len(good)/2],
		"twice":     append(append([]byte(nil), good...), good...),
		"task":      swap(`"classification"`, `"clustering"`),
		"classes":   swap(`"classes":["0","1"]`, `"classes":["0"]`),
		"coef":      swap(`"coef":[[`, `"coef":[[1e308,`),
		"std":       []byte(strings.ReplaceAll(string(good), `"std":`, `"std":-`)),
	}
	rng := rand.New(rand.NewSource(9))
	for i := range 300 {
		b := append([]byte(nil), good...)
		for range 1 + rng.Intn(3) {
			b[rng.Intn(len(b))] = "0123456789-.eE,:[]{}\"atn"[rng.Intn(24)]
		}
		bad[fmt.Sprintf("flip%d", i)] = b
	}
	for name, b := range bad {
		noPanic(t, "decode "+name, func() {
			if m, err := UnmarshalModel(b); err == nil {
				m.Predict(frame)
			}
		})
	}
	for _, name := range []string{"garbage", "truncated", "classes", "coef", "std"} {
		tamper(t, lh, "UPDATE ml.artifacts SET model = ?::BLOB WHERE name = 'churn' AND version = 1", bad[name])
		noPanic(t, name, func() {
			if _, err := r.Show(ctx, "churn/1"); err == nil {
				t.Errorf("%s: show loads the tampered artifact", name)
			}
			if _, err := r.Predict(ctx, "churn@champion", "gold.train", "ml.p"); err == nil {
				t.Errorf("%s: predict scores with the tampered artifact", name)
			}
			r.Compare(ctx, "churn", 1, 2)
			rep, err := r.Reproduce(ctx, "churn", 1)
			if err == nil && rep.Identical {
				t.Errorf("%s: reproduce calls the tampered artifact identical", name)
			}
		})
	}
}

// TestAttackHostileData: tables a trainer must refuse with the column's
// name and no READY version (or, where the data is fine, train and score
// without a panic).
func TestAttackHostileData(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	r := NewRegistry(lh)
	many := make([]string, 300)
	for j := range many {
		many[j] = fmt.Sprintf("(i * %d %% 97)::DOUBLE AS f%d", j+3, j)
	}
	for _, c := range []struct {
		name, table string
		spec        Spec
		want        string // a fragment of the error; "" trains
	}{
		{"nan", "SELECT i::DOUBLE AS x, CASE WHEN i = 5 THEN 'nan'::DOUBLE ELSE i END AS y, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label"}, `"y"`},
		{"inf", "SELECT i::DOUBLE AS x, CASE WHEN i = 5 THEN '-inf'::DOUBLE ELSE i END AS y, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label"}, `"y"`},
		{"nan_label", "SELECT i::DOUBLE AS x, CASE WHEN i = 5 THEN 'nan'::DOUBLE ELSE i END AS label FROM range(100) t(i)", Spec{Label: "label", Task: Regression}, `"label"`},
		{"null_label", "SELECT i::DOUBLE AS x, NULL::INTEGER AS label FROM range(100) t(i)", Spec{Label: "label"}, `"label"`},
		{"one_row", "SELECT 1.0 AS x, 1 AS label", Spec{Label: "label"}, "row"},
		{"no_rows", "SELECT 1.0 AS x, 1 AS label WHERE false", Spec{Label: "label"}, "no rows"},
		{"one_class", "SELECT i::DOUBLE AS x, 1 AS label FROM range(100) t(i)", Spec{Label: "label", Task: Classification}, `"label"`},
		{"categories", "SELECT 'c' || i AS city, i % 2 AS label FROM range(10000) t(i)", Spec{Label: "label"}, `"city"`},
		{"date_label", "SELECT i::DOUBLE AS x, DATE '2024-01-01' + i::INTEGER AS label FROM range(100) t(i)", Spec{Label: "label"}, "neither a class nor an amount"}, // a date is refused as a label, with what to derive
		{"list", "SELECT [i, i] AS xs, i::DOUBLE AS x, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label"}, "column xs is BIGINT[]"},
		{"struct", "SELECT {'a': i} AS s, i::DOUBLE AS x, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label"}, "column s is STRUCT"},
		{"list_named", "SELECT [i, i] AS xs, i::DOUBLE AS x, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label", Features: []string{"xs", "x"}}, "column xs is BIGINT[]"},
		{"all_null_feature", "SELECT NULL::DOUBLE AS x, i::DOUBLE AS z, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label"}, `"x"`},
		{"missing_feature", "SELECT i::DOUBLE AS x, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label", Features: []string{"nope"}}, `"nope"`},
		{"label_as_feature", "SELECT i::DOUBLE AS x, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label", Features: []string{"x", "label"}}, `"label"`},
		{"duplicate_feature", "SELECT i::DOUBLE AS x, (i * 7 % 11)::DOUBLE AS z, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label", Features: []string{"x", "x", "z"}}, `feature "x" is listed twice`},
		{"constant_feature", "SELECT 3.0 AS k, i::DOUBLE AS x, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label"}, ""},
		{"constant_regression", "SELECT 3.0 AS k, i::DOUBLE AS x, 2.5 AS y FROM range(100) t(i)", Spec{Label: "y", Task: Regression}, `"y"`},
		{"huge_values", "SELECT CASE WHEN i = 3 THEN 1e300 ELSE i END::DOUBLE AS x, i % 2 AS label FROM range(100) t(i)", Spec{Label: "label"}, ""},
		{"many_classes", "SELECT i::DOUBLE AS x, 'c' || (i // 2) AS label FROM range(4000) t(i)", Spec{Label: "label", Task: Classification}, "has 2000 classes, more than the 100"},
		{"wide", "SELECT " + strings.Join(many, ", ") + ", i % 2 AS label FROM range(200) t(i)", Spec{Label: "label", MaxIter: 20}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			table := "gold." + c.name
			execSQL(t, lh, "CREATE TABLE "+table+" AS "+c.table)
			spec := c.spec
			spec.Name, spec.Table = c.name, table
			noPanic(t, c.name, func() {
				mv, _, err := r.Train(ctx, spec, nil)
				switch {
				case c.want == "" && err != nil:
					t.Errorf("train: %v", err)
				case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
					t.Errorf("train: %v, want an error naming %s", err, c.want)
				case c.want != "" && mv != nil:
					t.Errorf("a version registered: %+v", mv)
				}
				if c.want != "" {
					if n := rows(t, lh, "SELECT count(*) FROM ml.model_versions WHERE name = ? AND status = 'READY'", c.name); n[0][0] != int64(0) {
						t.Errorf("%v READY versions of %s", n[0][0], c.name)
					}
					return
				}
				if _, err := r.Predict(ctx, c.name, table, "ml."+c.name+"_predictions"); err != nil {
					t.Errorf("predict: %v", err)
				}
			})
		})
	}
}

// TestAttackHostileColumnsAndNames: columns named with quotes, semicolons
// and emoji train, score and reproduce; names that would read as others
// (a right-to-left override, a zero-width space, a C1 control, invalid
// UTF-8) or are too long are refused; a Unicode name is fine.
func TestAttackHostileColumnsAndNames(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, `CREATE TABLE gold."t'; DROP TABLE x; --" AS SELECT i::BIGINT AS customer_id,
		(i * 37 % 100)::DOUBLE AS "a""b; DROP TABLE gold.x; --",
		['nord', 'süd', '東'][i % 3 + 1] AS "ñandú 🐧",
		CASE WHEN (i * 37 % 100) + CASE WHEN i % 3 = 0 THEN 30 ELSE 0 END > 60 THEN 'yes' ELSE 'no' END AS "lab'el"
		FROM range(300) t(i)`)
	execSQL(t, lh, "CREATE TABLE gold.x AS SELECT 1 AS a")
	r := NewRegistry(lh)
	table := `gold.t'; DROP TABLE x; --`
	for _, spec := range []Spec{
		{Name: "modèle ñ 東", Table: table, Label: "lab'el", Seed: 3},
		{Name: "modèle ñ 東", Table: table, Label: "lab'el", Features: []string{`a"b; DROP TABLE gold.x; --`, "ñandú 🐧"}, Seed: 3},
	} {
		mv, _, err := r.Train(ctx, spec, nil)
		if err != nil {
			t.Fatalf("train %+v: %v", spec, err)
		}
		if _, err := r.Predict(ctx, fmt.Sprintf("%s/%d", mv.Name, mv.Version), table, `ml.p"; --`); err != nil {
			t.Errorf("predict: %v", err)
		}
		if rep, err := r.Reproduce(ctx, mv.Name, mv.Version); err != nil || !rep.Identical {
			t.Errorf("reproduce: %+v %v", rep, err)
		}
	}
	if n := rows(t, lh, `SELECT (SELECT count(*) FROM gold.x), (SELECT count(*) FROM ml."p""; --")`); n[0][0] != int64(1) || n[0][1] != int64(300) {
		t.Errorf("gold.x and the predictions: %v", n)
	}
	for _, name := range []string{"churn\u202e", "ch\u200burn", "churn\u0085", "ch\xffurn", strings.Repeat("é", 101), "a@b", "a/b", " churn"} {
		if _, _, err := r.Train(ctx, Spec{Name: name, Table: table, Label: "lab'el"}, nil); err == nil {
			t.Errorf("train as %+q: no error", name)
		}
		if err := CheckAlias(name); err == nil {
			t.Errorf("alias %+q: no error", name)
		}
	}
}

// TestAttackViewOverAnUngrantedTable: a view is governed as Unity
// Catalog's are, by the grants on the view itself (its owner shares what it
// selects): chen, who may read gold but not silver, trains on and scores a
// gold view over silver; erin, who may read neither, is refused each way,
// audited, even though the view's rows are the same.
func TestAttackViewOverAnUngrantedTable(t *testing.T) {
	ctx := context.Background()
	lh := openTarget(t)
	execSQL(t, lh, strings.Replace(trainingTable, "gold.train", "silver.secret", 1))
	execSQL(t, lh, "CREATE VIEW gold.v AS SELECT * FROM silver.secret")
	governed(t, lh, "development")
	r := NewRegistry(lh)
	lh.SetPrincipal("chen")
	spec := Spec{Name: "churn", Table: "gold.v", Label: "churned", Seed: 1}
	if _, _, err := r.Train(ctx, spec, nil); err != nil {
		t.Fatalf("chen trains on gold.v: %v", err)
	}
	if _, err := r.Predict(ctx, "churn", "gold.v", "ml.p"); err != nil {
		t.Errorf("chen scores gold.v: %v", err)
	}
	if _, err := r.Predict(ctx, "churn", "silver.secret", "ml.p"); err == nil {
		t.Errorf("chen scores silver.secret by name")
	}
	lh.SetPrincipal("erin")
	refused := func(what string, err error) {
		t.Helper()
		var ae *lakehouse.AccessError
		if !errors.As(err, &ae) {
			t.Errorf("erin %s: %v, want refused", what, err)
		}
	}
	_, _, err := r.Train(ctx, spec, nil)
	refused("trains", err)
	_, err = r.Predict(ctx, "churn", "gold.v", "ml.p")
	refused("scores", err)
	_, err = r.Reproduce(ctx, "churn", 1)
	refused("reproduces", err)
	lh.SetPrincipal("")
	if n := rows(t, lh, "SELECT count(*) FROM ml.model_versions"); n[0][0] != int64(1) {
		t.Errorf("versions: %v, want chen's 1", n[0][0])
	}
	if n := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE NOT allowed AND principal = 'erin'"); n[0][0].(int64) < 3 {
		t.Errorf("erin's refusals audited %v times, want 3", n[0][0])
	}
}

// TestAttackRemoveAlias: removing an alias is an alias move: MODIFY on ml,
// CAN_MANAGE in production, refusals audited, the removal too.
func TestAttackRemoveAlias(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"development", "production"} {
		t.Run(mode, func(t *testing.T) {
			lh := openTarget(t)
			governed(t, lh, mode)
			r := NewRegistry(lh)
			lh.SetPrincipal("ana")
			registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
			lh.SetPrincipal("dana")
			if err := r.RemoveAlias(ctx, "churn", Champion); err == nil {
				t.Errorf("dana removes the champion")
			}
			lh.SetPrincipal("chen")
			err := r.RemoveAlias(ctx, "churn", Champion)
			if mode == "production" && err == nil {
				t.Errorf("chen removes the champion in production")
			}
			if mode == "development" && err != nil {
				t.Errorf("chen removes the champion in development: %v", err)
			}
			lh.SetPrincipal("")
			want := int64(1)
			if mode == "development" {
				want = 0
			}
			if n := rows(t, lh, "SELECT count(*) FROM ml.model_aliases"); n[0][0] != want {
				t.Errorf("aliases left: %v, want %d", n[0][0], want)
			}
			if n := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE NOT allowed AND principal = 'dana'"); n[0][0] != int64(1) {
				t.Errorf("dana's refusal audited %v times", n[0][0])
			}
			removed := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE allowed AND principal = 'chen' AND action = 'ml:alias' AND detail LIKE '%removed%'")[0][0]
			refused := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE NOT allowed AND principal = 'chen'")[0][0]
			if mode == "development" && removed != int64(1) || mode == "production" && refused != int64(1) {
				t.Errorf("chen's removal audited %v, refusal %v", removed, refused)
			}
		})
	}
}

// TestAttackRegistryDDLRefused: the owner (ana), who may run DDL through
// `lakebench query`, may not drop, alter, rename, replace or shadow the
// registry's tables, nor drop or replace their schema, however the names
// are quoted or cased; each refusal names the registry and is audited, and
// the registry is intact afterwards. Before the registry exists, a table
// or view put in place under one of its names is refused too (the
// registry would read it).
func TestAttackRegistryDDLRefused(t *testing.T) {
	ctx := context.Background()
	refused := func(t *testing.T, lh *lakehouse.Lakehouse, stmt string) {
		t.Helper()
		_, err := lh.Exec(ctx, stmt)
		var ae *lakehouse.AccessError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "model registry") {
			t.Errorf("%q runs %s: %v, want a refusal naming the registry", lh.Principal(), stmt, err)
		}
	}

	// A target without the registry yet: squatting its names.
	fresh := openTarget(t)
	governed(t, fresh, "development")
	fresh.SetPrincipal("ana")
	execSQL(t, fresh, "CREATE SCHEMA IF NOT EXISTS ml") // harmless: the registry makes it too
	execSQL(t, fresh, "CREATE TABLE ml.decoy AS SELECT 'churn' AS name, 'champion' AS alias, 1 AS version")
	execSQL(t, fresh, "CREATE VIEW ml.decoy_view AS SELECT * FROM ml.decoy")
	for _, stmt := range []string{
		"CREATE VIEW ml.model_aliases AS SELECT * FROM ml.decoy",
		`CREATE OR REPLACE VIEW "ML"."Model_Aliases" AS SELECT * FROM ml.decoy`,
		"CREATE TABLE ml.runs (run_id VARCHAR)",
		"ALTER TABLE ml.decoy RENAME TO model_aliases",
		`ALTER TABLE ml.decoy RENAME TO "MODEL_ALIASES"`,
		"ALTER VIEW ml.decoy_view RENAME TO artifacts",
	} {
		refused(t, fresh, stmt)
	}
	if n := rows(t, fresh, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ml' AND table_name NOT LIKE 'decoy%'"); n[0][0] != int64(0) {
		t.Errorf("a registry name was taken before the registry: %v tables", n[0][0])
	}
	if n := rows(t, fresh, "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'ml' AND view_name <> 'decoy_view'"); n[0][0] != int64(0) {
		t.Errorf("a registry name was taken by a view before the registry: %v views", n[0][0])
	}

	lh := openTarget(t)
	execSQL(t, lh, customers)
	governed(t, lh, "development")
	r := NewRegistry(lh)
	lh.SetPrincipal("chen")
	registerHand(t, r, regModel("churn", []float64{1, 0, 0, 0}, 0), 0.7)
	columnsBefore := rows(t, lh, "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'ml' AND table_name <> 'decoy' ORDER BY ALL")
	lh.SetPrincipal("ana")
	execSQL(t, lh, "CREATE TABLE ml.decoy AS SELECT 'churn' AS name, 'champion' AS alias, 7 AS version")
	stmts := []string{
		"DROP TABLE ml.runs",
		"DROP TABLE IF EXISTS ml.model_versions",
		`drop table "ML"."MODEL_ALIASES"`,
		"DROP VIEW ml.artifacts",
		"ALTER TABLE ml.model_versions RENAME TO model_versions_old",
		"ALTER TABLE ml.model_aliases RENAME COLUMN version TO v",
		"ALTER TABLE ml.artifacts ADD COLUMN note VARCHAR",
		"ALTER TABLE ml.registered_models ALTER description SET DEFAULT 'x'",
		"ALTER TABLE ml.Scorings DROP COLUMN rows",
		"COMMENT ON TABLE ml.runs IS 'x'",
		"CREATE OR REPLACE TABLE ml.model_aliases AS SELECT * FROM ml.decoy",
		`CREATE OR REPLACE TABLE "ml"."model_aliases" AS SELECT * FROM ml.decoy`,
		"CREATE OR REPLACE VIEW ml.model_aliases AS SELECT * FROM ml.decoy",
		"CREATE INDEX lb_attack ON ml.runs (run_id)",
		"TRUNCATE ml.runs",
		"DROP SCHEMA ml CASCADE",
		`DROP SCHEMA "ML" CASCADE`,
		"DROP SCHEMA ml",
		"CREATE OR REPLACE SCHEMA ml",
	}
	for _, who := range []string{"ana", ""} {
		lh.SetPrincipal(who)
		for _, stmt := range stmts {
			refused(t, lh, stmt)
		}
	}
	lh.SetPrincipal("")
	if got := rows(t, lh, "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'ml' AND table_name <> 'decoy' ORDER BY ALL"); fmt.Sprint(got) != fmt.Sprint(columnsBefore) {
		t.Errorf("the registry's tables changed:\n%v\nwant\n%v", got, columnsBefore)
	}
	if _, v, err := r.Resolve(ctx, "churn@champion"); err != nil || v != 1 {
		t.Errorf("the champion after the attacks: %d %v, want 1", v, err)
	}
	if n := rows(t, lh, "SELECT count(*) FROM sys.audit WHERE NOT allowed AND principal = 'ana' AND detail LIKE '%model registry%'"); n[0][0] != int64(len(stmts)) {
		t.Errorf("ana's refused statements audited %v times, want %d", n[0][0], len(stmts))
	}
	// The registry still migrates its own tables (an old ml.model_versions
	// is kept aside, as Ensure does).
	if err := r.Ensure(ctx); err != nil {
		t.Errorf("the registry's own migration after the attacks: %v", err)
	}
}
