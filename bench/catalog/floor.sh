#!/bin/sh
# SPDX-License-Identifier: MIT
# Measures what SQLite alone needs to store the search rows of a catalog. It
# ingests a generated catalog with bench_catalog_ingest. Then it copies the
# catalog_search rows into a fresh database with the writer's settings and
# stores them as the engine does: a table without rowid ordered by entity, key
# and ordinal, and the covering (key, value, entity, original value) index that
# the catalog API reads. No greenroom code runs in the timed part, so the sum
# is a lower bound for any first load that keeps one key/value row per
# searchable field in SQLite. Three other layouts show what they would gain.
# The first is the earlier one: a rowid table with an index by entity. The
# second puts an integer entity number in place of the text uid. The third
# keeps the integer number with only (key, value, entity) and (entity)
# indexes, so facets would read the original values from the table.
# The indexes are built with a 2 MiB page cache and sort files on disk, as the
# engine builds them after a first load. On the machine of
# bench/catalog/INGEST.md, that was faster than a 64 MiB cache or sorting in
# memory.
# Usage: sh bench/catalog/floor.sh [--entities N] (default 100000).
set -eu
cd "$(dirname "$0")/../.."

entities=100000
if [ "${1:-}" = "--entities" ] && [ -n "${2:-}" ]; then
    entities=$2
fi

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target bench_catalog_ingest >/dev/null

work=$(mktemp -d /tmp/gr-bench-floor-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

echo "== greenroom: first load of $entities entities"
"$build_dir/bench/catalog/bench_catalog_ingest" --entities "$entities" --keep "$work"
source_db=$work/greenroom.sqlite

settings="PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
PRAGMA cache_size=-65536;"

# Prints the seconds of each timed statement that sqlite3 reports on its
# input, named by the arguments in order, and their total.
report_steps() {
    awk -v names="$(printf '%s|' "$@")" '
        BEGIN { split(names, name, "|") }
        /^Run Time: real/ { step++; total += $4; printf "  %-48s %6.2f s\n", name[step], $4 }
        END { printf "  %-48s %6.2f s\n", "total", total }'
}

# Times the insert of the staged rows of database $1 into a new search table
# whose entity column is $2 of type $3, then the two index builds, and prints
# the seconds of each step.
time_layout() {
    database=$1
    column=$2
    sqlite3 "$database" <<EOF | report_steps "insert rows in entity order" \
        "index ($column, key, value)" "index (key, value, $column, original_value)"
$settings
CREATE TABLE search ($column $3 NOT NULL, key TEXT NOT NULL, original_value TEXT, value TEXT);
PRAGMA threads=1;
.timer on
INSERT INTO search SELECT * FROM staged;
.timer off
PRAGMA cache_size=-2048;
.timer on
CREATE INDEX search_entity ON search ($column, key, value);
CREATE INDEX search_key_value ON search (key, value, $column, original_value);
EOF
}

# Times the insert of the staged rows of database $1 (integer layout) into a
# new search table with only the two indexes that filters and per-entity
# updates cannot do without, and prints the seconds of each step.
time_narrow_layout() {
    sqlite3 "$1" <<EOF | report_steps "insert rows in entity order" \
        "index (key, value, entity)" "index (entity)"
$settings
CREATE TABLE narrow (entity INTEGER NOT NULL, key TEXT NOT NULL, original_value TEXT, value TEXT);
PRAGMA threads=1;
.timer on
INSERT INTO narrow SELECT * FROM staged;
.timer off
PRAGMA cache_size=-2048;
.timer on
CREATE INDEX narrow_key_value ON narrow (key, value, entity);
CREATE INDEX narrow_entity ON narrow (entity);
EOF
}

# Times the insert of the numbered rows of database $1 (text layout) into a
# table without rowid keyed by (entity_id, key, ordinal), as the engine stores
# them. Then it times the build of the covering index.
time_stored_layout() {
    sqlite3 "$1" <<EOF | report_steps "insert rows in entity and key order" \
        "index (key, value, entity_id, original_value)"
$settings
CREATE TABLE stored (entity_id TEXT NOT NULL, key TEXT NOT NULL, ordinal INTEGER NOT NULL,
    original_value TEXT, value TEXT, PRIMARY KEY (entity_id, key, ordinal)) WITHOUT ROWID;
PRAGMA threads=1;
.timer on
INSERT INTO stored SELECT * FROM staged_by_key;
.timer off
PRAGMA cache_size=-2048;
.timer on
CREATE INDEX stored_key_value ON stored (key, value, entity_id, original_value);
EOF
}

rows=$(sqlite3 "$source_db" "SELECT count(*) FROM catalog_search")
sqlite3 "$work/text.db" >/dev/null <<EOF
$settings
ATTACH '$source_db' AS source;
CREATE TABLE staged AS SELECT entity_id, key, original_value, value
    FROM source.catalog_search ORDER BY entity_id;
CREATE TABLE staged_by_key AS SELECT entity_id, key,
    row_number() OVER (PARTITION BY entity_id, key ORDER BY value) AS ordinal,
    original_value, value
    FROM staged ORDER BY entity_id, key, ordinal;
EOF
echo
echo "== SQLite alone: $rows search rows, text uid, ordered by entity (the stored layout)"
time_stored_layout "$work/text.db"

echo
echo "== SQLite alone: $rows search rows, text uid, rowid table and index by entity"
time_layout "$work/text.db" entity_id TEXT

echo
echo "== SQLite alone: $rows search rows, integer entity number"
sqlite3 "$work/number.db" >/dev/null <<EOF
$settings
ATTACH '$source_db' AS source;
CREATE TABLE numbers AS SELECT entity_id, rowid AS number FROM source.catalog_final_entities;
CREATE TABLE staged AS SELECT n.number, s.key, s.original_value, s.value
    FROM source.catalog_search s JOIN numbers n USING (entity_id) ORDER BY n.number;
EOF
time_layout "$work/number.db" entity INTEGER

echo
echo "== SQLite alone: $rows search rows, integer entity number, two indexes"
time_narrow_layout "$work/number.db"
