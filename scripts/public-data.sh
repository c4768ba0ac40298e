#!/usr/bin/env bash
# Tries lakebench ingest on public data sets nobody on the team chose: the
# vega-datasets package (CSV, TSV, JSON arrays and objects, Parquet; nulls,
# CRLF files, 3M-row flights), fetched with `npm pack`. Each file's rows are
# counted by Python's csv/json modules as the reference and compared with
# lakebench's rows read = loaded + quarantined. Then a 3M-row CSV with six
# planted bad lines (one a fraction in an integer column, past the type
# sniffer's sample) checks quarantine at scale. Not part of `make test`: it
# needs the npm registry. Usage: scripts/public-data.sh [BIN]
set -euo pipefail
BIN=$(realpath "${1:-bin/lakebench}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent vega-datasets >/dev/null 2>&1
tar xzf vega-datasets-*.tgz
"$BIN" init proj >/dev/null 2>&1
cat > ref.py <<'PY'
import csv, json, sys
p = sys.argv[1]
if p.endswith('.json'):
    d = json.load(open(p, encoding='utf-8'))
    print(len(d) if isinstance(d, list) else 1)
else:
    with open(p, newline='', encoding='utf-8', errors='replace') as f:
        rows = [r for r in csv.reader(f, delimiter='\t' if p.endswith('.tsv') else ',') if r]
    print(len(rows) - 1)
PY
fail=0
for f in package/data/*.csv package/data/*.tsv package/data/*.json; do
	b=$(basename "$f"); t=$(echo "${b%.*}" | tr -c 'a-zA-Z0-9\n' '_')
	ref=$(python3 ref.py "$f")
	got=$("$BIN" -C proj ingest "$f" --table "bronze.v_$t" --json 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows_read"], d["rows_loaded"], d["rows_quarantined"])') || got="error"
	read -r read loaded quar <<<"$got" || true
	if [ "$got" = error ] || [ "$read" != "$ref" ] || [ "$read" != $((loaded + quar)) ]; then
		echo "MISMATCH $b: python $ref, lakebench $got"; fail=1
	else
		echo "ok $b: $read rows ($quar quarantined)"
	fi
done
"$BIN" -C proj query "select * from read_parquet('package/data/flights-3m.parquet')" --format csv 2>/dev/null > flights.csv
python3 - <<'PY'
lines = open('flights.csv', 'rb').read().split(b'\n')
bad = {1000: b'2001-01-01 00:01:00,33,2176,LAS,PHL,EXTRA', 500000: b'not-a-date,1,2,LAS,PHL',
       1500000: b'2001-01-02 00:01:00,1,2,L\xffS,PHL', 2000000: b'2001-01-03 00:01:00,1,2,"LAS,PHL',
       2500000: b'2001-01-04 00:01:00,1', 2800000: b'2001-01-05 00:01:00,12.5,2,LAS,PHL'}
out = []
for i, l in enumerate(lines):
    if i in bad:
        out.append(bad[i])
    out.append(l)
open('messy.csv', 'wb').write(b'\n'.join(out))
PY
got=$("$BIN" -C proj ingest messy.csv --table bronze.flights --json 2>/dev/null |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows_read"], d["rows_loaded"], d["rows_quarantined"])')
lines=$("$BIN" -C proj query "select string_agg(_line::varchar, ',' order by _line) from bronze.flights_quarantine" --format csv 2>/dev/null | tail -1 | tr -d '"')
if [ "$got" = "3000006 3000000 6" ] && [ "$lines" = "1001,500002,1500003,2000004,2500005,2800006" ]; then
	echo "ok flights 3M + 6 bad lines: $got, quarantined lines $lines"
else
	echo "MISMATCH flights: $got, lines $lines"; fail=1
fi
# The same 3M flights as JSON lines: a malformed line, a fraction in an
# integer field and a key first seen two million lines in.
python3 - <<'PY'
import csv, json
bad = {1000: b'{"date": "2001-01-01 00:01:00", "delay": 3', 2500000: b'{"date": "2001-01-05 00:01:00", "delay": 12.5, "distance": 2, "origin": "LAS", "destination": "PHL"}'}
with open('flights.csv', newline='') as f, open('messy.json', 'wb') as out:
    for i, r in enumerate(csv.DictReader(f)):
        if i in bad:
            out.write(bad[i] + b'\n')
        r['delay'], r['distance'] = int(r['delay']), int(r['distance'])
        if i >= 2000000 and i % 1000 == 0:
            r['gate'] = 'G%d' % (i % 40)
        out.write(json.dumps(r).encode() + b'\n')
PY
got=$("$BIN" -C proj ingest messy.json --table bronze.flights_json --json 2>/dev/null |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows_read"], d["rows_loaded"], d["rows_quarantined"])')
lines=$("$BIN" -C proj query "select string_agg(_line::varchar, ',' order by _line) from bronze.flights_json_quarantine" --format csv 2>/dev/null | tail -1 | tr -d '"')
gates=$("$BIN" -C proj query "select count(gate) from bronze.flights_json" --format csv 2>/dev/null | tail -1)
if [ "$got" = "3000002 3000000 2" ] && [ "$lines" = "1001,2500002" ] && [ "$gates" = "1000" ]; then
	echo "ok flights 3M as JSON lines + 2 bad lines and a late key: $got, quarantined lines $lines, $gates gates"
else
	echo "MISMATCH flights JSON: $got, lines $lines, gates $gates"; fail=1
fi
exit $fail
