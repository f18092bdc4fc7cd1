/* SPDX-License-Identifier: MIT */
/* Copies every table of a SQLite database into another database of the same schema version. */
#include "host/dbcli/copy.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/dbcli/schema.h"

#define MIGRATIONS_TABLE "schema_migrations"
/* Tables named in the error of a non-empty target. */
#define CHECK_LIST_MAX 5

/* A value read from SQLite, with the storage class SQLite's typeof() reported. */
typedef enum { VALUE_NULL, VALUE_INTEGER, VALUE_REAL, VALUE_TEXT, VALUE_BLOB } value_type;

typedef struct {
    value_type type;
    int64_t integer;
    double real;
    char *bytes; /* text or blob */
    size_t len;
} copy_value;

typedef struct {
    char *name;
    gr_dbcli__names columns;   /* copied, in the source's order */
    gr_dbcli__names sequences; /* PostgreSQL sequences filling copied columns */
    gr_dbcli__names sequence_columns;
    gr_dbcli__names references; /* tables its foreign keys point to */
    int identity_always;
    int placed;
} copy_table;

typedef struct {
    gr_db_conn *source;
    gr_db_conn *target;
    const gr_dbcli_copy_options *opts;
    copy_table *tables; /* in copy order once ordered */
    size_t table_count;
    gr_dbcli_copy_stats stats;
} copy_run;

static void note(const copy_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(const copy_run *run, const char *fmt, ...)
{
    va_list args;

    if (run->opts->progress == NULL)
        return;
    va_start(args, fmt);
    vfprintf(run->opts->progress, fmt, args);
    va_end(args);
    fputc('\n', run->opts->progress);
    fflush(run->opts->progress);
}

static void table_free(copy_table *table)
{
    free(table->name);
    gr_dbcli__names_free(&table->columns);
    gr_dbcli__names_free(&table->sequences);
    gr_dbcli__names_free(&table->sequence_columns);
    gr_dbcli__names_free(&table->references);
}

int gr_dbcli_copy_check_target(gr_db *target, int force, FILE *progress)
{
    gr_db_conn *conn = NULL;
    gr_dbcli__names tables = {0};
    gr_buf list = GR_BUF_INIT;
    size_t filled = 0;
    int rc;

    if ((rc = gr_db_acquire(target, GR_DB_READ, &conn)) < 0)
        return rc;
    if ((rc = gr_dbcli__list_tables(conn, &tables)) < 0)
        goto done;
    for (size_t i = 0; i < tables.count && rc == GR_OK; i++) {
        int64_t rows = 0;

        if (strcmp(tables.items[i], MIGRATIONS_TABLE) == 0)
            continue;
        if ((rc = gr_dbcli__count_rows(conn, tables.items[i], &rows)) < 0 || rows == 0)
            continue;
        if (filled++ < CHECK_LIST_MAX)
            gr_buf_printf(&list, "%s%s (%" PRId64 " %s)", list.len ? ", " : "",
                          tables.items[i], rows, rows == 1 ? "row" : "rows");
    }
    if (rc < 0 || filled == 0)
        goto done;
    if (!force) {
        rc = gr_error_set(GR_ECONFLICT, "the target database holds data in %zu tables: %s%s; "
                          "copy into an empty database, or pass --force to replace the rows "
                          "of the copied tables",
                          filled, list.data, filled > CHECK_LIST_MAX ? ", ..." : "");
    } else if (progress != NULL) {
        fprintf(progress, "replacing the rows of a non-empty target (--force): %s%s\n",
                list.data, filled > CHECK_LIST_MAX ? ", ..." : "");
    }
done:
    gr_buf_free(&list);
    gr_dbcli__names_free(&tables);
    gr_db_release(conn);
    return rc;
}

/* Fails unless every component of the source is at the same version on the target. */
static int check_versions(copy_run *run)
{
    gr_db_stmt *source = NULL;
    gr_db_stmt *target = NULL;
    int exists = 0;
    int rc;

    if ((rc = gr_dbcli__table_exists(run->source, MIGRATIONS_TABLE, &exists)) < 0)
        return rc;
    if (!exists)
        return gr_error_set(GR_EINVALID, "the source has no %s table, so it is not a greenroom "
                            "database", MIGRATIONS_TABLE);
    rc = gr_db_prepare(run->source, "SELECT component, MAX(version) FROM " MIGRATIONS_TABLE
                       " GROUP BY component ORDER BY component", &source);
    if (rc == GR_OK)
        rc = gr_db_prepare(run->target, "SELECT COALESCE(MAX(version), 0) FROM "
                           MIGRATIONS_TABLE " WHERE component = ?", &target);
    while (rc == GR_OK && (rc = gr_db_step(source)) == GR_DB_ROW) {
        const char *component = gr_db_column_text(source, 0);
        int64_t version = gr_db_column_int64(source, 1);
        int64_t have = 0;

        gr_db_reset(target);
        rc = gr_db_bind_text(target, 1, component);
        if (rc == GR_OK && (rc = gr_db_step(target)) == GR_DB_ROW) {
            have = gr_db_column_int64(target, 0);
            rc = GR_OK;
        }
        if (rc == GR_OK && have != version)
            rc = gr_error_set(GR_EINVALID, "component %s is at schema version %" PRId64
                              " in the source but %" PRId64 " in the target; migrate the "
                              "source with this greenroom first (greenroom db migrate with "
                              "the config it is served with)", component, version, have);
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(source);
    gr_db_finalize(target);
    return rc;
}

/* Fills the columns of `table` that both sides have and the target may be given. */
static int plan_columns(copy_run *run, copy_table *table)
{
    gr_dbcli__columns source = {0};
    gr_dbcli__columns target = {0};
    int rc;

    if ((rc = gr_dbcli__list_columns(run->source, table->name, &source)) < 0 ||
        (rc = gr_dbcli__list_columns(run->target, table->name, &target)) < 0)
        goto done;
    for (size_t i = 0; i < source.count; i++) {
        const gr_dbcli__column *target_column = NULL;

        if (source.items[i].generated)
            continue;
        for (size_t j = 0; j < target.count && target_column == NULL; j++) {
            if (strcmp(target.items[j].name, source.items[i].name) == 0)
                target_column = &target.items[j];
        }
        if (target_column == NULL) {
            note(run, "warning: %s.%s is not on the target; its values are not copied",
                 table->name, source.items[i].name);
            continue;
        }
        if (target_column->generated)
            continue;
        gr_dbcli__names_push(&table->columns, target_column->name);
        table->identity_always |= target_column->identity_always;
        if (target_column->sequence != NULL) {
            gr_dbcli__names_push(&table->sequences, target_column->sequence);
            gr_dbcli__names_push(&table->sequence_columns, target_column->name);
        }
    }
done:
    gr_dbcli__columns_free(&source);
    gr_dbcli__columns_free(&target);
    return rc;
}

/* Lists the tables to copy with their columns and foreign keys, in name order. */
static int plan_tables(copy_run *run)
{
    gr_dbcli__names source = {0};
    gr_dbcli__names target = {0};
    int rc;

    if ((rc = gr_dbcli__list_tables(run->source, &source)) < 0 ||
        (rc = gr_dbcli__list_tables(run->target, &target)) < 0)
        goto done;
    run->tables = gr_xcalloc(source.count + 1, sizeof(copy_table));
    for (size_t i = 0; i < source.count && rc == GR_OK; i++) {
        copy_table *table = &run->tables[run->table_count];

        if (strcmp(source.items[i], MIGRATIONS_TABLE) == 0)
            continue;
        if (!gr_dbcli__names_has(&target, source.items[i])) {
            note(run, "warning: table %s is not on the target; it is not copied",
                 source.items[i]);
            continue;
        }
        table->name = gr_xstrdup(source.items[i]);
        run->table_count++;
        if ((rc = plan_columns(run, table)) == GR_OK)
            rc = gr_dbcli__foreign_tables(run->source, table->name, &table->references);
        if (rc < 0)
            rc = gr_error_wrap(rc, "reading table %s", table->name);
    }
    for (size_t i = 0; i < target.count; i++) {
        if (!gr_dbcli__names_has(&source, target.items[i]))
            note(run, "table %s exists only on the target; it stays empty", target.items[i]);
    }
done:
    gr_dbcli__names_free(&source);
    gr_dbcli__names_free(&target);
    return rc;
}

/* Returns 1 when every table `table` references is placed already (or not copied at all). */
static int references_placed(const copy_run *run, const copy_table *table)
{
    for (size_t i = 0; i < table->references.count; i++) {
        const char *ref = table->references.items[i];

        if (strcmp(ref, table->name) == 0)
            continue;
        for (size_t j = 0; j < run->table_count; j++) {
            if (strcmp(run->tables[j].name, ref) == 0 && !run->tables[j].placed)
                return 0;
        }
    }
    return 1;
}

/* Orders the tables so that referenced tables come first. Rows of a table
 * that references itself are copied in SQLite's rowid order. */
static void order_tables(copy_run *run)
{
    copy_table *ordered = gr_xcalloc(run->table_count + 1, sizeof(copy_table));

    for (size_t n = 0; n < run->table_count; n++) {
        size_t pick = run->table_count;

        for (size_t i = 0; i < run->table_count && pick == run->table_count; i++) {
            if (!run->tables[i].placed && references_placed(run, &run->tables[i]))
                pick = i;
        }
        if (pick == run->table_count) {
            for (size_t i = 0; i < run->table_count && pick == run->table_count; i++) {
                if (!run->tables[i].placed)
                    pick = i;
            }
            note(run, "warning: the foreign keys of %s form a cycle; copying it next",
                 run->tables[pick].name);
        }
        run->tables[pick].placed = 1;
        ordered[n] = run->tables[pick];
    }
    free(run->tables);
    run->tables = ordered;
}

/* Empties the target's copies of the planned tables, dependents first. */
static int clear_target(copy_run *run)
{
    gr_buf sql = GR_BUF_INIT;
    int rc = gr_db_begin(run->target);

    for (size_t i = run->table_count; i-- > 0 && rc == GR_OK;) {
        gr_buf_reset(&sql);
        gr_buf_puts(&sql, "DELETE FROM ");
        gr_dbcli__put_ident(&sql, run->tables[i].name);
        if ((rc = gr_db_exec(run->target, sql.data)) < 0)
            rc = gr_error_wrap(rc, "emptying target table %s", run->tables[i].name);
    }
    if (rc == GR_OK)
        rc = gr_db_commit(run->target);
    else
        gr_db_rollback(run->target);
    gr_buf_free(&sql);
    return rc;
}

static char *select_sql(const copy_table *table)
{
    gr_buf sql = GR_BUF_INIT;

    gr_buf_puts(&sql, "SELECT ");
    for (size_t i = 0; i < table->columns.count; i++) {
        gr_buf_puts(&sql, i ? ", typeof(" : "typeof(");
        gr_dbcli__put_ident(&sql, table->columns.items[i]);
        gr_buf_puts(&sql, "), ");
        gr_dbcli__put_ident(&sql, table->columns.items[i]);
    }
    gr_buf_puts(&sql, " FROM ");
    gr_dbcli__put_ident(&sql, table->name);
    return gr_buf_detach(&sql);
}

static char *insert_sql(const copy_table *table, size_t rows)
{
    gr_buf sql = GR_BUF_INIT;

    gr_buf_puts(&sql, "INSERT INTO ");
    gr_dbcli__put_ident(&sql, table->name);
    gr_buf_puts(&sql, " (");
    for (size_t i = 0; i < table->columns.count; i++) {
        if (i > 0)
            gr_buf_puts(&sql, ", ");
        gr_dbcli__put_ident(&sql, table->columns.items[i]);
    }
    gr_buf_puts(&sql, table->identity_always ? ") OVERRIDING SYSTEM VALUE VALUES " : ") VALUES ");
    for (size_t r = 0; r < rows; r++) {
        gr_buf_puts(&sql, r ? ", (" : "(");
        for (size_t i = 0; i < table->columns.count; i++)
            gr_buf_puts(&sql, i ? ", ?" : "?");
        gr_buf_putc(&sql, ')');
    }
    return gr_buf_detach(&sql);
}

/* Reads column pair (typeof, value) number `column` of the current source row. */
static void read_value(gr_db_stmt *stmt, int column, copy_value *value)
{
    const char *type = gr_db_column_text(stmt, 2 * column);
    int index = 2 * column + 1;

    memset(value, 0, sizeof(*value));
    if (type == NULL || strcmp(type, "null") == 0) {
        value->type = VALUE_NULL;
    } else if (strcmp(type, "integer") == 0) {
        value->type = VALUE_INTEGER;
        value->integer = gr_db_column_int64(stmt, index);
    } else if (strcmp(type, "real") == 0) {
        value->type = VALUE_REAL;
        value->real = gr_db_column_double(stmt, index);
    } else if (strcmp(type, "blob") == 0) {
        const void *data = gr_db_column_blob(stmt, index, &value->len);

        value->type = VALUE_BLOB;
        value->bytes = gr_xmalloc(value->len + 1);
        if (value->len > 0)
            memcpy(value->bytes, data, value->len);
    } else {
        value->type = VALUE_TEXT;
        value->bytes = gr_xstrdup(gr_db_column_text(stmt, index));
        value->len = strlen(value->bytes);
    }
}

static int bind_value(gr_db_stmt *stmt, int index, const copy_value *value)
{
    switch (value->type) {
    case VALUE_INTEGER:
        return gr_db_bind_int64(stmt, index, value->integer);
    case VALUE_REAL:
        return gr_db_bind_double(stmt, index, value->real);
    case VALUE_TEXT:
        return gr_db_bind_text_len(stmt, index, value->bytes, value->len);
    case VALUE_BLOB:
        return gr_db_bind_blob(stmt, index, value->bytes, value->len);
    case VALUE_NULL:
    default:
        return gr_db_bind_null(stmt, index);
    }
}

/* Inserts the first `rows` buffered rows and frees their values. */
static int flush_rows(copy_run *run, const copy_table *table, copy_value *values, size_t rows)
{
    size_t columns = table->columns.count;
    char *sql = insert_sql(table, rows);
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(run->target, sql, &stmt);

    for (size_t i = 0; i < rows * columns && rc == GR_OK; i++)
        rc = bind_value(stmt, (int)i + 1, &values[i]);
    if (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = gr_db_changes(stmt) == (int64_t)rows
                 ? GR_OK
                 : gr_error_set(GR_ECONFLICT, "an INSERT of %zu rows stored %" PRId64, rows,
                                gr_db_changes(stmt));
    gr_db_finalize(stmt);
    free(sql);
    for (size_t i = 0; i < rows * columns; i++)
        free(values[i].bytes);
    return rc;
}

/* Moves each PostgreSQL sequence of the table past the highest copied value. */
static int advance_sequences(copy_run *run, const copy_table *table)
{
    int rc = GR_OK;

    for (size_t i = 0; i < table->sequences.count && rc == GR_OK; i++) {
        gr_buf sql = GR_BUF_INIT;
        gr_db_stmt *stmt = NULL;

        gr_buf_puts(&sql, "SELECT setval(CAST(? AS regclass), COALESCE((SELECT MAX(");
        gr_dbcli__put_ident(&sql, table->sequence_columns.items[i]);
        gr_buf_puts(&sql, ") FROM ");
        gr_dbcli__put_ident(&sql, table->name);
        gr_buf_puts(&sql, "), 0) + 1, false)");
        rc = gr_db_prepare(run->target, sql.data, &stmt);
        if (rc == GR_OK)
            rc = gr_db_bind_text(stmt, 1, table->sequences.items[i]);
        if (rc == GR_OK)
            rc = gr_db_step(stmt) == GR_DB_ROW ? GR_OK : gr_error_set(GR_EBACKEND, "setval "
                                                                      "returned no row");
        gr_db_finalize(stmt);
        gr_buf_free(&sql);
    }
    return rc;
}

static size_t batch_rows(const copy_run *run, const copy_table *table)
{
    size_t rows = run->opts->batch_rows > 0 ? (size_t)run->opts->batch_rows
                                            : GR_DBCLI_COPY_BATCH_DEFAULT;
    size_t columns = table->columns.count;

    if (columns > 0 && rows * columns > GR_DBCLI_COPY_MAX_PARAMS)
        rows = GR_DBCLI_COPY_MAX_PARAMS / columns;
    return rows > 0 ? rows : 1;
}

/* Streams the source rows into batched INSERTs; counts them in *copied. */
static int copy_rows(copy_run *run, const copy_table *table, int64_t expected, int64_t *copied)
{
    size_t columns = table->columns.count;
    size_t batch = batch_rows(run, table);
    copy_value *values = gr_xcalloc(batch * columns + 1, sizeof(copy_value));
    char *sql = select_sql(table);
    gr_db_stmt *stmt = NULL;
    size_t pending = 0;
    int64_t reported = 0;
    int rc = gr_db_prepare(run->source, sql, &stmt);

    *copied = 0;
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        for (size_t c = 0; c < columns; c++)
            read_value(stmt, (int)c, &values[pending * columns + c]);
        rc = GR_OK;
        if (++pending < batch)
            continue;
        rc = flush_rows(run, table, values, pending);
        *copied += (int64_t)pending;
        pending = 0;
        if (*copied - reported >= GR_DBCLI_COPY_PROGRESS_ROWS) {
            note(run, "  %s: %" PRId64 " of %" PRId64 " rows", table->name, *copied, expected);
            reported = *copied;
        }
    }
    if (rc == GR_DB_DONE && pending > 0) {
        rc = flush_rows(run, table, values, pending);
        *copied += (int64_t)pending;
        pending = 0;
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    for (size_t i = 0; i < pending * columns; i++)
        free(values[i].bytes);
    gr_db_finalize(stmt);
    free(values);
    free(sql);
    return rc;
}

/* Copies one table in one target transaction and verifies its row count before the commit. */
static int copy_table_rows(copy_run *run, const copy_table *table)
{
    int64_t expected = 0;
    int64_t copied = 0;
    int64_t stored = 0;
    int rc;

    if ((rc = gr_dbcli__count_rows(run->source, table->name, &expected)) < 0)
        return gr_error_wrap(rc, "counting rows of %s", table->name);
    if (table->columns.count == 0) {
        note(run, "warning: table %s has no column to copy", table->name);
        return GR_OK;
    }
    if ((rc = gr_db_begin(run->target)) < 0)
        return rc;
    rc = copy_rows(run, table, expected, &copied);
    if (rc == GR_OK)
        rc = gr_dbcli__count_rows(run->target, table->name, &stored);
    if (rc == GR_OK && (copied != expected || stored != expected))
        rc = gr_error_set(GR_ECONFLICT, "the source has %" PRId64 " rows, %" PRId64 " were "
                          "read and the target holds %" PRId64 "; rolled back", expected,
                          copied, stored);
    if (rc == GR_OK)
        rc = advance_sequences(run, table);
    if (rc == GR_OK)
        rc = gr_db_commit(run->target);
    if (rc < 0) {
        gr_db_rollback(run->target);
        return gr_error_wrap(rc, "copying table %s", table->name);
    }
    run->stats.tables++;
    run->stats.rows += copied;
    note(run, "copied %s: %" PRId64 " %s", table->name, copied, copied == 1 ? "row" : "rows");
    return GR_OK;
}

static int copy_all(copy_run *run)
{
    int rc;

    if ((rc = check_versions(run)) < 0 || (rc = plan_tables(run)) < 0)
        return rc;
    order_tables(run);
    if ((rc = clear_target(run)) < 0)
        return rc;
    for (size_t i = 0; i < run->table_count && rc == GR_OK; i++)
        rc = copy_table_rows(run, &run->tables[i]);
    return rc;
}

int gr_dbcli_copy(gr_db *source, gr_db *target, const gr_dbcli_copy_options *opts,
                  gr_dbcli_copy_stats *stats)
{
    copy_run run;
    int rc;

    memset(&run, 0, sizeof(run));
    run.opts = opts;
    if (gr_db_dialect(source) != GR_DB_SQLITE)
        return gr_error_set(GR_EINVALID, "the source of a copy must be a SQLite database");
    if (opts->batch_rows < 0 || opts->batch_rows > GR_DBCLI_COPY_BATCH_MAX)
        return gr_error_set(GR_EINVALID, "rows per batch must be between 1 and %d, not %d",
                            GR_DBCLI_COPY_BATCH_MAX, opts->batch_rows);

    if ((rc = gr_db_acquire(source, GR_DB_READ, &run.source)) < 0)
        return rc;
    if ((rc = gr_db_acquire(target, GR_DB_WRITE, &run.target)) < 0)
        goto done;
    /* One read transaction, so that every table comes from the same snapshot. */
    if ((rc = gr_db_begin(run.source)) < 0)
        goto done;
    rc = copy_all(&run);
    gr_db_rollback(run.source);
done:
    for (size_t i = 0; i < run.table_count; i++)
        table_free(&run.tables[i]);
    free(run.tables);
    gr_db_release(run.target);
    gr_db_release(run.source);
    if (stats != NULL)
        *stats = run.stats;
    return rc;
}
