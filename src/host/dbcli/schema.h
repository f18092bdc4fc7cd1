/* SPDX-License-Identifier: MIT */
/* Reading the tables, columns and foreign keys of a database, on either engine. */
#ifndef GR_HOST_DBCLI_SCHEMA_H
#define GR_HOST_DBCLI_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "host/common/buf.h"
#include "host/store/db.h"

/*
 * Module-internal helpers of the `greenroom db` commands. Names are those of
 * the connection's current schema: SQLite's "main", PostgreSQL's
 * current_schema() (the first schema of search_path that exists).
 */

/** A list of owned strings. */
typedef struct {
    char **items;
    size_t count;
} gr_dbcli__names;

void gr_dbcli__names_push(gr_dbcli__names *names, const char *text);
/** Returns 1 when `text` is in the list. */
int gr_dbcli__names_has(const gr_dbcli__names *names, const char *text);
void gr_dbcli__names_free(gr_dbcli__names *names);

/** One column of a table. */
typedef struct {
    char *name;
    int generated;       /* computed by the database, so never written */
    int identity_always; /* PostgreSQL GENERATED ALWAYS AS IDENTITY */
    char *sequence;      /* PostgreSQL sequence that fills the column, or NULL */
} gr_dbcli__column;

typedef struct {
    gr_dbcli__column *items;
    size_t count;
} gr_dbcli__columns;

void gr_dbcli__columns_free(gr_dbcli__columns *columns);

/** Stores in *exists whether the ordinary table `name` exists. Returns 0 or a database error. */
int gr_dbcli__table_exists(gr_db_conn *conn, const char *name, int *exists);

/**
 * Lists the ordinary tables, sorted by name. On SQLite, virtual tables (such
 * as FTS5 indexes), their shadow tables and SQLite's own tables are left
 * out. Returns 0 or a database error; *out is the caller's to free.
 */
int gr_dbcli__list_tables(gr_db_conn *conn, gr_dbcli__names *out);

/** Lists the columns of `table` in their declared order. Returns 0 or a database error. */
int gr_dbcli__list_columns(gr_db_conn *conn, const char *table, gr_dbcli__columns *out);

/**
 * Lists the tables that `table` references by foreign keys, itself
 * included when it references itself (SQLite only). Returns 0, GR_EINVALID
 * on PostgreSQL, or a database error.
 */
int gr_dbcli__foreign_tables(gr_db_conn *conn, const char *table, gr_dbcli__names *out);

/** Stores the number of rows of `table` in *out. Returns 0 or a database error. */
int gr_dbcli__count_rows(gr_db_conn *conn, const char *table, int64_t *out);

/** Appends `name` as a double-quoted SQL identifier. */
void gr_dbcli__put_ident(gr_buf *out, const char *name);

#endif
