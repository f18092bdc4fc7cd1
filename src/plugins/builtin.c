/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary, in start-up order. */
#include <stddef.h>

#include "host/plugin/plugin.h"
#include "host/registry/registry.h"
#include "plugins/apidocs/plugin.h"
#include "plugins/auth/plugin.h"
#include "plugins/catalog/plugin.h"
#include "plugins/scaffolder/plugin.h"
#include "plugins/search/plugin.h"
#include "plugins/techdocs/cli.h"
#include "plugins/techdocs/plugin.h"
#include "plugins/techdocs/settings.h"
#include "plugins/ui/ui.h"

/*
 * auth is set up through the plugin ABI (plugins/auth/plugin.c): it
 * registers the guest and OIDC sign-in providers with
 * signin_provider_add() (ABI 1.4) and the /api/auth/sign-in page. The host
 * keeps the rest of authentication: keys and JWKS, sessions, token checks,
 * the identity-aware proxies, the sign-in routes of every provider and the
 * permission API (host/auth/routes.c).
 * TODO: its config keys stay internal, because most of them are the
 * host's own (backend.auth, rate limits, permission) and several have
 * checks of their own. The provider keys could move to top_config_keys.
 * Its state reaches the UI's sign-in page through
 * gr_host_lookup(GR_AUTH_SERVICE) until the UI reads the providers through
 * the ABI.
 */

/*
 * The catalog is set up through the plugin ABI (plugins/catalog/plugin.c):
 * its life cycle, the /api/catalog routes, its top-level config keys
 * (catalog.*, integrations.*) and its command. It publishes the provider
 * behind the ABI's catalog functions (catalog_get, catalog_query,
 * catalog_on_change, entity providers and processors) under
 * GR_PLUGIN_CATALOG_PROVIDER (host/plugin/catalog_provider.h), so the host
 * names no catalog code. It has no scheduled jobs: its workers are threads
 * of its start hook that share the work through leases in the database.
 * TODO: its migrations stay internal (see the TODO in
 * plugins/catalog/plugin.c), so gr_catalog_plugin_migrate() is the migrate
 * hook.
 */

/*
 * search is set up through the plugin ABI (plugins/search/plugin.c): its
 * life cycle, the query route, the reindex job, the "collators" and
 * "search" services, its top-level config keys, its command and its
 * migrations, whose SQL files the build turns into C strings (gr_sql.h).
 * With migration_legacy_id = "search" the host moves the history of
 * earlier releases to "plugin:search". The host makes its definition from
 * the info (gr_plugin_builtin_table()); the schedule keys keep their
 * internal check, which the ABI's keys lack.
 */

/*
 * TechDocs is set up through the plugin ABI (plugins/techdocs/plugin.c): its
 * life cycle, the /api/techdocs routes, the /docs pages with their page
 * frames, the prebuild job, the "techdocs" service and its command, and it
 * finds search with service_lookup(). Its public stylesheet stays on the
 * host's server (see the TODO in techdocs/pages.c).
 * Its migrations are declared in its info as search's are, with
 * migration_legacy_id = "techdocs", and its top-level techdocs.* keys in
 * top_config_keys with their allowed values (ABI 1.4). The duration and
 * range checks stay internal (gr_techdocs_config_checks), as search's
 * schedule checks do.
 */

/*
 * The scaffolder is set up through the plugin ABI (plugins/scaffolder/plugin.c).
 * It registers its life cycle, the /api/scaffolder routes, the /create pages
 * and form pages (ABI 1.4) and the recovery job. It publishes the "actions"
 * service, to which the host's action_add() hands other plugins' actions,
 * and registers the loader of scaffolder-task resources for permission
 * checks. Its info declares its top-level config keys (none has a fixed set
 * of values or is a secret), its command, and its migrations, whose history
 * under the component "scaffolder" moves to "plugin:scaffolder"
 * (migration_legacy_id). Its stylesheet and script stay public files on the
 * host's server (see the TODO in scaffolder/ui.c).
 */

/*
 * The UI is set up through the plugin ABI (plugins/ui/ui.c): its life
 * cycle, its migrations and the layout provider it publishes under
 * GR_PLUGIN_SERVICE_LAYOUT. The host hands the pages, sidebar entries,
 * entity tabs and cards of the plugins set up after the UI to that
 * provider. The migrations' history, recorded under "ui" by earlier
 * releases, moves to "plugin:ui". The UI finds search with
 * service_lookup() and declares its app.theme.* keys in top_config_keys.
 * Its own pages stay internal (see the TODO at its plugin info).
 */

/*
 * Plugins find the services of the plugins before them (gr_host_lookup(),
 * or host->service_lookup() for those set up through the ABI).
 * The UI reads the catalog and comes before the plugins whose pages it
 * frames: its setup publishes the layout provider, to which api-docs' tab
 * and the pages of TechDocs and the scaffolder go during their setup. Its
 * start hook, which runs after
 * every init, finds the search service and fills /docs and /create only
 * when no plugin took them.
 * The plugin loader comes last, so shared-library plugins find every feature.
 * api-docs (plugins/apidocs/plugin.c) is written against the plugin ABI
 * (greenroom/plugin.h), like a shared-library plugin, and runs through the
 * adapter. It is the model for moving the others. The catalog, search,
 * TechDocs, the UI and the scaffolder follow it for their life cycle and
 * services, the catalog, search, TechDocs and the scaffolder for their
 * routes and jobs, and TechDocs and the scaffolder for their pages.
 */
static const gr_plugin_builtin builtin_plugins[] = {
    {.entry = gr_auth_plugin_entry,
     .init = gr_auth_plugin_init,
     .config_keys = gr_auth_plugin_keys},
    {.entry = gr_catalog_plugin_entry,
     .init = gr_catalog_plugin_init,
     .migrate = gr_catalog_plugin_migrate,
     .checks = gr_catalog_config_checks},
    {.entry = gr_ui_plugin_entry,
     .init = gr_ui_plugin_init,
     .migrate = gr_ui_plugin_migrate},
    {.def = &gr_apidocs_plugin},
    {.entry = gr_search_plugin_entry,
     .init = gr_search_plugin_init,
     .checks = gr_search_config_checks},
    {.entry = gr_techdocs_plugin_entry,
     .init = gr_techdocs_plugin_init,
     .checks = gr_techdocs_config_checks},
    {.entry = gr_scaffolder_plugin_entry,
     .init = gr_scaffolder_plugin_init,
     .migrate = gr_scaffolder_plugin_migrate},
    {.def = &gr_plugin_loader_def}, /* last: plugins register into the features above */
    {.def = NULL},
};

const gr_plugin_def *const *gr_builtin_plugins(void)
{
    return gr_plugin_builtin_table(builtin_plugins);
}
