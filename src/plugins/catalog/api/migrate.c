/* SPDX-License-Identifier: MIT */
/* The API's own schema changes: indexes that its queries on catalog_search need. */
#include "host/store/migrate.h"
#include "plugins/catalog/api/api.h"

/*
 * Filters run as `entity_id IN (SELECT entity_id FROM catalog_search WHERE
 * key = ? AND value = ?)` and order fields as a walk over (key, value); with
 * entity_id in the index, both read the index alone. Facets
 * group by (key, original_value). Per-row tests of one entity's key (the
 * order field of the legacy list, "has a value for the order field") seek
 * (entity_id, key); without that index SQLite walks every value of the key.
 * The legacy list pages through entity refs and needs only the ids.
 */
static const gr_db_migration api_migrations[] = {
    {1, "index catalog_search by key, value and entity",
     "CREATE INDEX IF NOT EXISTS catalog_search_key_value_entity"
     " ON catalog_search (key, value, entity_id)",
     NULL, NULL},
    {2, "index catalog_search by key and original value",
     "CREATE INDEX IF NOT EXISTS catalog_search_key_original"
     " ON catalog_search (key, original_value, entity_id)",
     NULL, NULL},
    {3, "index catalog_search by entity and key, catalog_final_entities by ref and id",
     "CREATE INDEX IF NOT EXISTS catalog_search_entity_key_value"
     " ON catalog_search (entity_id, key, value);"
     "CREATE INDEX IF NOT EXISTS catalog_final_entities_ref_id"
     " ON catalog_final_entities (entity_ref, entity_id)",
     NULL, NULL},
};

int gr_catalog_api_migrate(gr_db *db)
{
    return gr_db_migrate(db, "catalog_api", api_migrations,
                         sizeof(api_migrations) / sizeof(api_migrations[0]));
}
