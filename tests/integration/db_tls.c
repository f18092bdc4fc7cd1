/* SPDX-License-Identifier: MIT */
/* Tests of backend.database.connection.ssl against a PostgreSQL server that speaks TLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/serve/db_options.h"
#include "host/store/db.h"

/*
 * One PostgreSQL server for the whole program, started here rather than
 * shared, because turning TLS on changes what every client of a server
 * negotiates. Its certificate is for IP 127.0.0.1 and is signed by a CA made
 * by the test; a second CA signs nothing.
 */
typedef struct {
    char *dir;      /* certificates and config files */
    char *pg_dir;   /* the server's folder for scripts/pg-start.sh */
    char *port;     /* the server's port */
    char *ca_pem;   /* text of the CA certificate */
} tls_server;

static tls_server tls;

static char *source_file(const char *relative)
{
    const char *root = getenv("GR_SOURCE_DIR");

    return gr_xasprintf("%s/%s", root ? root : ".", relative);
}

static int run_shell(const char *command)
{
    int status = system(command);

    if (status != 0)
        fprintf(stderr, "failed (status %d): %s\n", status, command);
    return status;
}

static char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    int c;

    while (file != NULL && (c = fgetc(file)) != EOF)
        fputc(c, out);
    fclose(out);
    if (file != NULL)
        fclose(file);
    return text;
}

/* Makes a CA, a second CA and a server certificate for 127.0.0.1 with the openssl tool. */
static int make_certificates(const char *dir)
{
    char *command = gr_xasprintf(
        "cd '%s' && "
        "printf 'subjectAltName=IP:127.0.0.1\\n' >san.ext && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout ca.key -out ca.pem -days 2 -subj /CN=greenroom-test-ca 2>/dev/null && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout other.key -out other.pem -days 2 -subj /CN=greenroom-other-ca 2>/dev/null && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile san.ext 2>/dev/null",
        dir);
    int status = run_shell(command);

    free(command);
    return status;
}

/* Starts the server, hands it the certificate and turns TLS on with a reload. */
static int start_tls_server(void)
{
    char *script = source_file("scripts/pg-start.sh");
    char *command = gr_xasprintf("'%s' --stop-with %d '%s' >/dev/null", script, (int)getpid(),
                                 tls.pg_dir);
    char *port_path = gr_xasprintf("%s/port", tls.pg_dir);
    int status = run_shell(command);

    free(command);
    free(script);
    if (status == 0) {
        tls.port = read_file(port_path);
        tls.port[strcspn(tls.port, "\n")] = '\0';
        /* The server reads the files as its own user, which may be `postgres`. */
        command = gr_xasprintf(
            "cp '%s/server.pem' '%s/server.key' '%s/data/' && "
            "chmod 600 '%s/data/server.key' && "
            "if [ \"$(id -u)\" -eq 0 ]; then chown postgres '%s/data/server.pem' "
            "'%s/data/server.key'; fi && "
            "psql -q -h 127.0.0.1 -p %s -U postgres -d greenroom "
            "-c \"ALTER SYSTEM SET ssl = on\" "
            "-c \"ALTER SYSTEM SET ssl_cert_file = 'server.pem'\" "
            "-c \"ALTER SYSTEM SET ssl_key_file = 'server.key'\" "
            "-c \"SELECT pg_reload_conf()\" >/dev/null",
            tls.dir, tls.dir, tls.pg_dir, tls.pg_dir, tls.pg_dir, tls.pg_dir, tls.port);
        status = run_shell(command);
        free(command);
        usleep(300 * 1000);
    }
    free(port_path);
    return status;
}

static int group_setup(void **state)
{
    (void)state;
    tls.dir = gr_test_tmpdir("db-tls");
    /* A folder of its own, because the server may run as another user that
     * cannot enter the test's private folder. */
    tls.pg_dir = gr_test_tmpdir("db-tls-pg");
    if (make_certificates(tls.dir) != 0 || start_tls_server() != 0)
        return -1;
    tls.ca_pem = gr_xasprintf("%s/ca.pem", tls.dir);
    return 0;
}

static int group_teardown(void **state)
{
    char *script = source_file("scripts/pg-stop.sh");
    char *command = gr_xasprintf("'%s' '%s'", script, tls.pg_dir);

    (void)state;
    run_shell(command);
    gr_test_rmtree(tls.dir);
    gr_test_rmtree(tls.pg_dir);
    free(command);
    free(script);
    free(tls.dir);
    free(tls.pg_dir);
    free(tls.port);
    free(tls.ca_pem);
    return 0;
}

/* Writes a config whose connection has `host` and the `ssl` YAML, and loads it. */
static gr_config *load_config(const char *host, const char *ssl_yaml)
{
    char *text = gr_xasprintf("backend:\n  database:\n    client: pg\n    connection:\n"
                              "      host: %s\n      port: %s\n      user: postgres\n"
                              "      database: greenroom\n%s",
                              host, tls.port, ssl_yaml);
    char *path = gr_xasprintf("%s/app-config.yaml", tls.dir);
    const char *const files[] = {path};
    gr_config_schema *schema = NULL;
    gr_config *cfg = NULL;

    gr_test_write_file(tls.dir, "app-config.yaml", text);
    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    if (gr_config_load(&cfg, files, 1, schema) != GR_OK)
        fail_msg("loading the config failed: %s", gr_error_last());
    gr_config_schema_free(schema);
    free(path);
    free(text);
    return cfg;
}

/*
 * Opens the database of the config and returns 1 when the connection is
 * encrypted, 0 when it is not, or -1 when opening fails (the message stays
 * in gr_error_last()).
 */
static int connect_and_check(const char *host, const char *ssl_yaml)
{
    gr_config *cfg = load_config(host, ssl_yaml);
    gr_db_options opts;
    gr_serve_db_storage storage;
    gr_db *db = NULL;
    gr_db_conn *conn = NULL;
    int64_t encrypted = -1;
    int rc;

    rc = gr_serve_db_options(cfg, &opts, &storage);
    if (rc == GR_OK)
        rc = gr_db_open(&db, &opts);
    gr_serve_db_storage_free(&storage);
    if (rc == GR_OK)
        rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_db_query_int64(conn, "SELECT CASE WHEN ssl THEN 1 ELSE 0 END FROM pg_stat_ssl "
                               "WHERE pid = pg_backend_pid()", NULL, 0, &encrypted);
    gr_db_release(conn);
    gr_db_close(db);
    gr_config_free(cfg);
    return rc == GR_OK ? (int)encrypted : -1;
}

static char *ssl_with_ca_file(const char *name)
{
    return gr_xasprintf("      ssl:\n        ca:\n          $file: %s/%s\n", tls.dir, name);
}

/* Backstage's form: the CA's PEM text, here read with $file. */
static void tls_verifies_inline_ca(void **state)
{
    char *ssl = ssl_with_ca_file("ca.pem");

    (void)state;
    assert_int_equal(connect_and_check("127.0.0.1", ssl), 1);
    /* The same text again reuses the memory file made the first time. */
    assert_int_equal(connect_and_check("127.0.0.1", ssl), 1);
    free(ssl);
}

static void tls_verifies_ca_path(void **state)
{
    char *ssl = gr_xasprintf("      ssl:\n        ca: %s\n", tls.ca_pem);

    (void)state;
    assert_int_equal(connect_and_check("127.0.0.1", ssl), 1);
    free(ssl);
}

static void tls_rejects_other_ca(void **state)
{
    char *ssl = ssl_with_ca_file("other.pem");

    (void)state;
    assert_int_equal(connect_and_check("127.0.0.1", ssl), -1);
    assert_non_null(strstr(gr_error_last(), "certificate verify failed"));
    free(ssl);
}

/* The certificate names 127.0.0.1 only, so verify-full rejects the name localhost. */
static void tls_checks_host_name(void **state)
{
    char *ssl = ssl_with_ca_file("ca.pem");

    (void)state;
    assert_int_equal(connect_and_check("localhost", ssl), -1);
    assert_non_null(strstr(gr_error_last(), "does not match host name \"localhost\""));
    free(ssl);
}

/* true verifies against the system's CA bundle, which does not know the test's CA. */
static void tls_true_uses_system_cas(void **state)
{
    (void)state;
    assert_int_equal(connect_and_check("127.0.0.1", "      ssl: true\n"), -1);
    assert_non_null(strstr(gr_error_last(), "certificate verify failed"));
}

static void tls_unverified_still_encrypts(void **state)
{
    char *ssl = gr_xasprintf("      ssl:\n        rejectUnauthorized: false\n"
                             "        ca: %s/other.pem\n", tls.dir);

    (void)state;
    assert_int_equal(connect_and_check("127.0.0.1", ssl), 1);
    free(ssl);
}

static void tls_false_disables(void **state)
{
    (void)state;
    assert_int_equal(connect_and_check("127.0.0.1", "      ssl: false\n"), 0);
}

static void tls_sslmode_wins(void **state)
{
    (void)state;
    assert_int_equal(connect_and_check("127.0.0.1", "      sslmode: disable\n      ssl: true\n"),
                     0);
}

static void tls_rejects_bad_type(void **state)
{
    char *text = gr_xasprintf("backend:\n  database:\n    client: pg\n    connection:\n"
                              "      host: 127.0.0.1\n      ssl: sometimes\n");
    char *path = gr_xasprintf("%s/bad.yaml", tls.dir);
    const char *const files[] = {path};
    gr_config_schema *schema = NULL;
    gr_config *cfg = NULL;

    (void)state;
    gr_test_write_file(tls.dir, "bad.yaml", text);
    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    assert_int_equal(gr_config_load(&cfg, files, 1, schema), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "backend.database.connection.ssl"));
    assert_null(cfg);
    gr_config_schema_free(schema);
    free(path);
    free(text);
}

/* The binary end to end: `db migrate` over a verified TLS connection. */
static void tls_db_migrate_runs(void **state)
{
    char *ssl = ssl_with_ca_file("ca.pem");
    gr_config *cfg = load_config("127.0.0.1", ssl);
    char *config_path = gr_xasprintf("%s/app-config.yaml", tls.dir);
    const char *const argv[] = {"db", "migrate", "--config", config_path, NULL};
    gr_test_output res;

    (void)state;
    gr_config_free(cfg);
    res = gr_test_run(tls.dir, argv);
    if (res.status != 0)
        fprintf(stderr, "%s%s", res.out, res.err);
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "migrated scheduler"));
    gr_test_output_free(&res);
    free(config_path);
    free(ssl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_verifies_inline_ca),
        cmocka_unit_test(tls_verifies_ca_path),
        cmocka_unit_test(tls_rejects_other_ca),
        cmocka_unit_test(tls_checks_host_name),
        cmocka_unit_test(tls_true_uses_system_cas),
        cmocka_unit_test(tls_unverified_still_encrypts),
        cmocka_unit_test(tls_false_disables),
        cmocka_unit_test(tls_sslmode_wins),
        cmocka_unit_test(tls_rejects_bad_type),
        cmocka_unit_test(tls_db_migrate_runs),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
