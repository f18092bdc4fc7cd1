/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the store's limits: pool size and the PostgreSQL field size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db_fixture.h"

static void pool_over_max_rejected(void **state)
{
    gr_db_options opts = {.client = "sqlite", .path = ":memory:", .pool_size = GR_DB_POOL_MAX};
    gr_db *db = NULL;

    (void)state;
    assert_int_equal(gr_db_open(&db, &opts), GR_OK);
    assert_non_null(db);
    gr_db_close(db);
    db = NULL;
    opts.pool_size = GR_DB_POOL_MAX + 1;
    assert_int_equal(gr_db_open(&db, &opts), GR_EINVALID);
    assert_null(db);
    assert_non_null(strstr(gr_error_last(), "database pool size 257 is out of range 0..256"));
}

/* The length is checked before the value is read, so a 1 GiB + 1 byte
 * length needs no buffer of that size. */
static void pg_field_over_max_rejected(void **state)
{
    db_fixture *fixture = *state;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    const char byte = 'x';

    assert_int_equal(gr_db_acquire(fixture->db, GR_DB_WRITE, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn, "SELECT length(?)", &stmt), GR_OK);
    assert_int_equal(gr_db_bind_blob(stmt, 1, &byte, ((size_t)1 << 30) + 1), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "a bound value of 1073741825 bytes is larger than "
                                            "the 1 GiB PostgreSQL stores in one field"));
    assert_int_equal(gr_db_bind_blob(stmt, 1, &byte, 1), GR_OK);
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_over_max_rejected),
        cmocka_unit_test_prestate_setup_teardown(pg_field_over_max_rejected, db_fixture_setup,
                                                 db_fixture_teardown, (void *)&db_fixture_pg),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
