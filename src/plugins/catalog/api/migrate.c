/* SPDX-License-Identifier: MIT */
/* The API's own schema changes: indexes that its queries on catalog_search need. */
#include "host/store/migrate.h"
#include "plugins/catalog/api/api.h"

/*
 * Filters run as `entity_id IN (SELECT entity_id FROM catalog_search WHERE
 * key = ? AND value = ?)` and order fields as a walk over (key, value); with
 * entity_id in the index both are answered from the index alone.
 */
static const gr_db_migration api_migrations[] = {
    {1, "index catalog_search by key, value and entity",
     "CREATE INDEX IF NOT EXISTS catalog_search_key_value_entity"
     " ON catalog_search (key, value, entity_id)",
     NULL, NULL},
};

int gr_catalog_api_migrate(gr_db *db)
{
    return gr_db_migrate(db, "catalog_api", api_migrations,
                         sizeof(api_migrations) / sizeof(api_migrations[0]));
}
