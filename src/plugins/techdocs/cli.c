/* SPDX-License-Identifier: MIT */
/* The `greenroom techdocs` command: `build` a site, `publish` a built site for serving. */
#include "plugins/techdocs/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/serve/db_options.h"
#include "host/store/db.h"
#include "plugins/catalog/model/ref.h"
#include "plugins/techdocs/build/cli.h"
#include "plugins/techdocs/lease.h"
#include "plugins/techdocs/plugin.h"
#include "plugins/techdocs/settings.h"
#include "plugins/techdocs/store.h"

static const char techdocs_usage[] =
    "usage: greenroom techdocs build [SRC_DIR] [-o OUT_DIR] [--strict]\n"
    "       greenroom techdocs publish --entity KIND:NAMESPACE/NAME [--config FILE]... SITE_DIR\n"
    "\n"
    "build    builds a docs site from mkdocs.yml and Markdown, as techdocs-cli generate\n"
    "publish  stores a built site as the docs of an entity, as techdocs-cli publish;\n"
    "         used with techdocs.builder: external\n"
    "\n"
    "Run 'greenroom techdocs build --help' or 'greenroom techdocs publish --help' for\n"
    "the options of each.\n";

static const char publish_usage[] =
    "usage: greenroom techdocs publish --entity KIND:NAMESPACE/NAME [--config FILE]... SITE_DIR\n"
    "\n"
    "Stores the site in SITE_DIR (the output of 'greenroom techdocs build' or of\n"
    "techdocs-cli generate) as the docs of the entity, in the store that the\n"
    "config's techdocs.publisher names: the database of backend.database, or the\n"
    "folder techdocs.publisher.local.publishDirectory. Running servers serve the new\n"
    "site at once. The entity need not be in the catalog yet.\n"
    "\n"
    "Options:\n"
    "  --entity REF     the entity the docs belong to, e.g. component:default/shop\n"
    "                   (the namespace defaults to 'default')\n"
    "  --config FILE    app-config file; repeat to merge several, as 'serve' does\n"
    "\n"
    "Exit status: 0 published, 1 publishing failed, 2 usage or configuration error.\n";

/* Everything `publish` opens, closed in reverse order. */
typedef struct {
    gr_config *config;
    gr_db *db;
    gr_techdocs_store *store;
    gr_techdocs_triplet triplet;
    char owner[128];
} publish_state;

static int publish_open(publish_state *state, int argc, char **argv, const char *entity)
{
    gr_config_schema *schema = NULL;
    gr_entity_ref ref = GR_ENTITY_REF_INIT;
    gr_techdocs_settings settings;
    gr_serve_db_storage storage = {NULL, NULL};
    gr_db_options options;
    int rc = gr_model_ref_parse(entity, NULL, NULL, &ref);

    if (rc == GR_OK)
        rc = gr_techdocs_triplet_init(&state->triplet, ref.namespace, ref.kind, ref.name);
    gr_entity_ref_free(&ref);
    if (rc != GR_OK)
        return gr_error_wrap(rc, "--entity '%s'", entity);
    rc = gr_config_schema_builtin(&schema);
    if (rc == GR_OK)
        rc = gr_config_load_args(&state->config, argc, argv, schema);
    gr_config_schema_free(schema);
    if (rc == GR_OK)
        rc = gr_serve_db_options(state->config, &options, &storage);
    if (rc == GR_OK)
        rc = gr_serve_db_check_shared(&options);
    if (rc == GR_OK)
        rc = gr_db_open(&state->db, &options);
    gr_serve_db_storage_free(&storage);
    if (rc == GR_OK)
        rc = gr_techdocs_settings_read(state->config, &settings);
    if (rc == GR_OK)
        rc = gr_techdocs_migrate(state->db);
    if (rc == GR_OK)
        rc = gr_techdocs_store_new(&state->store, state->db, settings.store,
                                   settings.publish_directory);
    return rc;
}

static void publish_close(publish_state *state)
{
    gr_techdocs_store_free(state->store);
    gr_db_close(state->db);
    gr_config_free(state->config);
    gr_techdocs_triplet_free(&state->triplet);
}

/* Publishes under the site's build lease, so a server never builds it meanwhile. */
static int publish_site(publish_state *state, const char *site_dir, int64_t *generation)
{
    int rc = gr_techdocs_lease_claim(state->db, state->triplet.ref, state->owner,
                                     GR_TECHDOCS_LEASE_DEFAULT_MS);

    if (rc == 0)
        return gr_error_set(GR_ECONFLICT, "%s is being built or published right now; try again",
                            state->triplet.ref);
    if (rc < 0)
        return rc;
    rc = gr_techdocs_store_publish(state->store, &state->triplet, site_dir, "publish", NULL,
                                   generation);
    gr_techdocs_lease_release(state->db, state->triplet.ref, state->owner, NULL, rc == GR_OK,
                              rc == GR_OK ? NULL : gr_error_last());
    return rc;
}

static int run_publish(int argc, char **argv)
{
    publish_state state;
    const char *entity = NULL;
    const char *site_dir = NULL;
    int64_t generation = 0;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(publish_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--entity") == 0 && i + 1 < argc) {
            entity = argv[++i];
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            i++;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            continue;
        } else if (argv[i][0] != '-' && site_dir == NULL) {
            site_dir = argv[i];
        } else {
            fprintf(stderr, "greenroom techdocs publish: unexpected argument '%s'\n%s", argv[i],
                    publish_usage);
            return 2;
        }
    }
    if (entity == NULL || site_dir == NULL) {
        fprintf(stderr, "greenroom techdocs publish: %s is missing\n%s",
                entity == NULL ? "--entity" : "SITE_DIR", publish_usage);
        return 2;
    }

    memset(&state, 0, sizeof(state));
    snprintf(state.owner, sizeof(state.owner), "publish:%ld", (long)getpid());
    rc = publish_open(&state, argc, argv, entity);
    if (rc != GR_OK) {
        fprintf(stderr, "greenroom techdocs publish: %s\n", gr_error_last());
        publish_close(&state);
        return 2;
    }
    rc = publish_site(&state, site_dir, &generation);
    if (rc == GR_OK)
        fprintf(stderr, "greenroom techdocs publish: published %s as the docs of %s "
                        "(generation %lld)\n",
                site_dir, state.triplet.ref, (long long)generation);
    else
        fprintf(stderr, "greenroom techdocs publish: %s\n", gr_error_last());
    publish_close(&state);
    return rc == GR_OK ? 0 : 1;
}

static int run_techdocs(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "publish") == 0)
        return run_publish(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "build") == 0) {
        if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            fputs(gr_techdocs_build_usage, stdout);
            return 0;
        }
        return gr_techdocs_build_main(argc - 1, argv + 1);
    }
    fputs(techdocs_usage, stderr);
    return 2;
}

const gr_plugin_command gr_techdocs_commands[] = {
    {
        .name = "techdocs",
        .summary = "build TechDocs sites and publish them for serving",
        .usage = techdocs_usage,
        .run = run_techdocs,
    },
    {.name = NULL},
};
