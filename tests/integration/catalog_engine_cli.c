/* SPDX-License-Identifier: MIT */
/* Tests of `greenroom catalog import` and `export` on a real SQLite database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/cli.h"
#include "support/gr_test.h"

static const char catalog_info[] =
    "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: repo\n"
    "spec:\n  targets: [./components.yaml]\n";

static const char components[] =
    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: BAD NAME\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n";

static int run(int (*command)(int, char **), const char *const *args)
{
    char *argv[16];
    int argc = 0;

    for (; args[argc] != NULL && argc < 15; argc++)
        argv[argc] = (char *)args[argc];
    argv[argc] = NULL;
    return command(argc, argv);
}

static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text = gr_xcalloc(1, 1 << 20);

    if (file == NULL)
        fail_msg("cannot open %s", path);
    if (fread(text, 1, (1 << 20) - 1, file) == 0 && ferror(file))
        fail_msg("cannot read %s", path);
    fclose(file);
    return text;
}

static void import_then_export(void **state)
{
    char *dir = gr_test_tmpdir("catalog-cli");
    char *config_path = gr_xasprintf("%s/app-config.yaml", dir);
    char *repo = gr_xasprintf("%s/repo", dir);
    char *out_path = gr_xasprintf("%s/export.yaml", dir);
    char *clean = gr_xasprintf("%s/clean", dir);
    char *config = gr_xasprintf("backend:\n  database:\n    client: better-sqlite3\n"
                                "    connection: %s/db.sqlite\n"
                                "catalog:\n  rules:\n    - allow: [Component, API, Location]\n",
                                dir);
    const char *import_args[] = {"import", repo, "--config", config_path, NULL};
    const char *export_args[] = {"export", "--config", config_path, "-o", out_path, NULL};
    const char *clean_args[] = {"import", clean, "--config", config_path, NULL};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    char *text;
    int found_shop = 0;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", config);
    gr_test_write_file(repo, "catalog-info.yaml", catalog_info);
    gr_test_write_file(repo, "components.yaml", components);

    /* The bad name is a processing error, so the import reports failure (1). */
    assert_int_equal(run(gr_catalog_cli_import, import_args), 1);
    /* Importing the same location again refreshes it instead of failing. */
    assert_int_equal(run(gr_catalog_cli_import, import_args), 1);

    assert_int_equal(run(gr_catalog_cli_export, export_args), 0);
    text = read_text(out_path);
    assert_int_equal(gr_yaml_parse(out_path, text, strlen(text), NULL, &docs, &count), GR_OK);
    /* The generated Location of the import, the Location in catalog-info.yaml and
     * shop; the entity with the bad name has a processing error and no final form. */
    for (size_t i = 0; i < count; i++) {
        json_t *root = gr_yaml_doc_root(docs[i]);
        const char *name =
            json_string_value(json_object_get(json_object_get(root, "metadata"), "name"));

        assert_non_null(json_object_get(json_object_get(root, "metadata"), "uid"));
        if (strcmp(name, "shop") == 0)
            found_shop = 1;
    }
    assert_true(found_shop);
    assert_int_equal(count, 3);
    /* Each document starts as catalog files do. */
    assert_int_equal(strncmp(text, "---\napiVersion: backstage.io/v1alpha1\nkind: ", 44), 0);
    gr_yaml_docs_free(docs, count);
    free(text);

    /* A clean location imports with status 0, although the catalog still contains the error of
     * the other location. */
    gr_test_write_file(clean, "catalog-info.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                       "  name: clean\nspec: {type: service, lifecycle: production, owner: x}\n");
    assert_int_equal(run(gr_catalog_cli_import, clean_args), 0);

    /* With the bad document gone, nothing fails. */
    gr_test_write_file(repo, "components.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                       "  name: shop\nspec: {type: service, lifecycle: production, owner: x}\n");
    assert_int_equal(run(gr_catalog_cli_import, import_args), 0);
    assert_int_equal(run(gr_catalog_cli_export, export_args), 0);
    text = read_text(out_path);
    assert_non_null(strstr(text, "name: shop"));
    assert_null(strstr(text, "BAD NAME"));
    free(text);

    gr_test_rmtree(dir);
    free(dir);
    free(config_path);
    free(repo);
    free(out_path);
    free(clean);
    free(config);
}

static void usage_errors(void **state)
{
    const char *no_path[] = {"import", NULL};
    const char *bad_option[] = {"export", "--bogus", NULL};

    (void)state;
    assert_int_equal(run(gr_catalog_cli_import, no_path), 2);
    assert_int_equal(run(gr_catalog_cli_export, bad_option), 2);
}

/* The binary names the SQLite database it writes, on stderr, and keeps the location on the first
 * line of stdout. One failed entity is counted in the singular. */
static void import_names_database(void **state)
{
    char *dir = gr_test_tmpdir("catalog-cli-db");
    char *config_path = gr_xasprintf("%s/app-config.yaml", dir);
    char *config = gr_xasprintf("backend:\n  database:\n    client: better-sqlite3\n"
                                "    connection: %s/named.sqlite\n",
                                dir);
    char *target = gr_xasprintf("%s/repo/catalog-info.yaml", dir);
    char *expected = gr_xasprintf("greenroom catalog import: SQLite database %s/named.sqlite\n",
                                  dir);
    const char *argv[] = {"catalog", "import", target, "--config", config_path, NULL};
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", config);
    gr_test_write_file(dir, "repo/catalog-info.yaml", catalog_info);
    gr_test_write_file(dir, "repo/components.yaml", components);
    res = gr_test_run(dir, argv);

    assert_int_equal(res.status, 1);
    assert_non_null(strstr(res.err, expected));
    assert_true(strncmp(res.out, "location ", 9) == 0);
    assert_non_null(strstr(res.out, "this location: 1 entity with processing errors;"));
    gr_test_output_free(&res);
    free(dir);
    free(config_path);
    free(config);
    free(target);
    free(expected);
}

/* With catalog.readonly, import registers nothing, names the setting and exits 2. */
static void import_rejects_readonly(void **state)
{
    char *dir = gr_test_tmpdir("catalog-cli-readonly");
    char *config_path = gr_xasprintf("%s/app-config.yaml", dir);
    char *config = gr_xasprintf("backend:\n  database:\n    client: better-sqlite3\n"
                                "    connection: %s/readonly.sqlite\n"
                                "catalog:\n  readonly: true\n",
                                dir);
    char *target = gr_xasprintf("%s/repo/catalog-info.yaml", dir);
    const char *import_argv[] = {"catalog", "import", target, "--config", config_path, NULL};
    const char *export_argv[] = {"catalog", "export", "--config", config_path, NULL};
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", config);
    gr_test_write_file(dir, "repo/catalog-info.yaml", catalog_info);
    gr_test_write_file(dir, "repo/components.yaml", components);
    res = gr_test_run(dir, import_argv);
    assert_int_equal(res.status, 2);
    assert_non_null(strstr(res.err, "readonly mode (catalog.readonly: true)"));
    assert_non_null(strstr(res.err, "Set catalog.readonly to false"));
    assert_null(strstr(res.err, "DELETE /api/catalog/locations"));
    assert_null(strstr(res.out, "location "));
    gr_test_output_free(&res);

    /* Nothing was registered, so the catalog stays empty. */
    res = gr_test_run(dir, export_argv);
    assert_int_equal(res.status, 0);
    assert_null(strstr(res.out, "kind:"));
    gr_test_output_free(&res);
    gr_test_rmtree(dir);
    free(dir);
    free(config_path);
    free(config);
    free(target);
}

/* A database in memory lives inside one process, so the commands reject it and name the reason. */
static void memory_database_rejected(void **state)
{
    char *dir = gr_test_tmpdir("catalog-cli-memory");
    char *config_path = gr_xasprintf("%s/app-config.yaml", dir);
    char *target = gr_xasprintf("%s/repo/catalog-info.yaml", dir);
    const char *import_argv[] = {"catalog", "import", target, "--config", config_path, NULL};
    const char *export_argv[] = {"catalog", "export", "--config", config_path, NULL};
    const char *reindex_argv[] = {"search", "reindex", "--config", config_path, NULL};
    const char *const *commands[] = {import_argv, export_argv, reindex_argv};
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml",
                       "backend:\n  database:\n    client: better-sqlite3\n"
                       "    connection: ':memory:'\n");
    gr_test_write_file(dir, "repo/catalog-info.yaml", catalog_info);
    gr_test_write_file(dir, "repo/components.yaml", components);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        res = gr_test_run(dir, commands[i]);
        assert_int_equal(res.status, 2);
        assert_non_null(strstr(res.err, "backend.database.connection is ':memory:'"));
        assert_non_null(strstr(res.err, "Give a file name"));
        assert_null(strstr(res.out, "location "));
        gr_test_output_free(&res);
    }

    /* SQLite reads URI file names, which can name a database in memory too. */
    gr_test_write_file(dir, "app-config.yaml",
                       "backend:\n  database:\n    client: better-sqlite3\n"
                       "    connection: 'file:memdb1?cache=shared&mode=memory'\n");
    res = gr_test_run(dir, import_argv);
    assert_int_equal(res.status, 2);
    assert_non_null(strstr(res.err, "a database in memory"));
    gr_test_output_free(&res);
    gr_test_rmtree(dir);
    free(dir);
    free(config_path);
    free(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(import_then_export),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(import_names_database),
        cmocka_unit_test(import_rejects_readonly),
        cmocka_unit_test(memory_database_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
