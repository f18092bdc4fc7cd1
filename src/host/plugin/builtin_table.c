/* SPDX-License-Identifier: MIT */
/* The table of built-in definitions, with those written against the ABI made from their plugin
 * info. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/plugin/plugin.h"

/* The table is built on the first call and lives until the process ends. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static const gr_plugin_def **table;

/* Returns the further check that `checks` gives for `path`, or NULL. */
static gr_config_check_fn check_for(const gr_config_key *checks, const char *path)
{
    for (const gr_config_key *key = checks; key != NULL && key->path != NULL; key++) {
        if (strcmp(key->path, path) == 0)
            return key->check;
    }
    return NULL;
}

/* Converts the top-level keys of `info` into schema keys (strings borrowed from the info). */
static const gr_config_key *convert_keys(const gr_plugin_info *info, const gr_config_key *checks)
{
    gr_plugin_config_key *keys = gr_plugin__config_keys_copy(info, gr_plugin__top_config_keys(info));
    gr_config_key *out;
    size_t count = 0;

    if (keys == NULL)
        return NULL;
    while (keys[count].path != NULL)
        count++;
    out = gr_xcalloc(count + 1, sizeof(*out));
    for (size_t i = 0; i < count; i++) {
        out[i].path = keys[i].path;
        out[i].types = keys[i].types;
        out[i].default_json = keys[i].default_json;
        out[i].required = keys[i].required != 0;
        out[i].secret = keys[i].secret != 0;
        out[i].allowed = keys[i].allowed;
        out[i].description = keys[i].description;
        out[i].check = check_for(checks, keys[i].path);
    }
    free(keys);
    return out;
}

/* Makes the definition of one built-in written against the ABI. */
static const gr_plugin_def *make_def(const gr_plugin_builtin *builtin)
{
    gr_plugin_def *def = gr_xcalloc(1, sizeof(*def));
    const gr_plugin_info *info = NULL;

    if (gr_plugin_adapter_def(builtin->entry, builtin->init, def) != GR_OK ||
        builtin->entry(gr_plugin_host_api(), &info) != GR_PLUGIN_OK) {
        /* Built-in infos are static data checked by the tests, so this is a
         * programming error that no input can cause. */
        fprintf(stderr, "greenroom: a built-in plugin's info is invalid: %s\n", gr_error_last());
        abort();
    }
    def->config_keys =
        builtin->config_keys != NULL ? builtin->config_keys : convert_keys(info, builtin->checks);
    def->migrate = builtin->migrate;
    if (info->permission_count > 0 && info->permissions[0].struct_size < sizeof(gr_plugin_permission)) {
        fprintf(stderr, "greenroom: built-in plugin %s lists permissions without struct_size\n",
                info->id);
        abort();
    }
    def->permissions = info->permissions;
    def->permission_count = info->permission_count;
    if (info->migration_count > 0)
        def->migrate_entry = builtin->entry;
    return def;
}

const gr_plugin_def *const *gr_plugin_builtin_table(const gr_plugin_builtin *list)
{
    const gr_plugin_def *const *out;

    pthread_mutex_lock(&table_lock);
    if (table == NULL) {
        size_t count = 0;
        const gr_plugin_def **built;

        while (list[count].def != NULL || list[count].entry != NULL)
            count++;
        built = gr_xcalloc(count + 1, sizeof(*built));
        for (size_t i = 0; i < count; i++)
            built[i] = list[i].def != NULL ? list[i].def : make_def(&list[i]);
        table = built;
    }
    out = table;
    pthread_mutex_unlock(&table_lock);
    return out;
}
