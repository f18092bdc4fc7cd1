/* SPDX-License-Identifier: MIT */
/* Copies every table of a SQLite database into another database of the same schema version. */
#ifndef GR_HOST_DBCLI_COPY_H
#define GR_HOST_DBCLI_COPY_H

#include <stdio.h>

#include "host/store/db.h"

/** Default number of rows per INSERT statement. */
#define GR_DBCLI_COPY_BATCH_DEFAULT 500
/** Maximum rows per INSERT statement accepted in the options. */
#define GR_DBCLI_COPY_BATCH_MAX 10000
/* Maximum parameters in one INSERT. PostgreSQL allows 65535 and SQLite
 * 32766; a batch of wide rows gets fewer rows to stay under this. */
#define GR_DBCLI_COPY_MAX_PARAMS 30000
/** Rows between two progress lines of one table. */
#define GR_DBCLI_COPY_PROGRESS_ROWS 20000

typedef struct {
    int batch_rows; /* rows per INSERT; 0 means GR_DBCLI_COPY_BATCH_DEFAULT */
    FILE *progress; /* one line per table and every GR_DBCLI_COPY_PROGRESS_ROWS rows; NULL: quiet */
} gr_dbcli_copy_options;

/** What a copy did. */
typedef struct {
    size_t tables;  /* tables copied */
    long long rows; /* rows copied, over all tables */
} gr_dbcli_copy_stats;

/**
 * Checks, before anything is written, that `target` holds no data: every
 * ordinary table except schema_migrations is empty. Without `force`, a
 * table with rows makes it fail with GR_ECONFLICT and a message that lists
 * up to five such tables with their row counts. With `force` it only
 * prints that list to `progress` (may be NULL). Returns 0, GR_ECONFLICT or a
 * database error.
 */
int gr_dbcli_copy_check_target(gr_db *target, int force, FILE *progress);

/**
 * Copies the rows of every ordinary table of the SQLite database `source`
 * into `target` (PostgreSQL or SQLite). Both must be migrated to the same
 * versions first: each component's highest version in schema_migrations must
 * match, or it fails with GR_EINVALID naming the component. `source` is only
 * read.
 *
 * Tables are read from SQLite's schema, so every store is covered without
 * a list here: schema_migrations, virtual tables and their shadow tables are
 * skipped. The order follows foreign keys (referenced tables first), with
 * ties broken by name. Columns are those both sides have, except
 * generated ones. A source table or column the target lacks is skipped with
 * a warning on `progress`.
 *
 * The target's copies of these tables are emptied first (in reverse order,
 * one transaction), then each table is copied in its own transaction, in
 * INSERTs of `batch_rows` rows, reading the source in one read transaction
 * so that every table comes from the same snapshot. Before each commit the
 * target's row count must equal the source's, or the table is rolled back
 * and the copy fails with GR_ECONFLICT. On PostgreSQL, sequences of copied
 * columns are moved past the highest copied value.
 *
 * `stats` may be NULL. Returns 0, GR_EINVALID (not SQLite, versions differ,
 * bad options), GR_ECONFLICT, or a database error prefixed with the table.
 * Tables copied before a failure stay copied.
 */
int gr_dbcli_copy(gr_db *source, gr_db *target, const gr_dbcli_copy_options *opts,
                  gr_dbcli_copy_stats *stats);

#endif
