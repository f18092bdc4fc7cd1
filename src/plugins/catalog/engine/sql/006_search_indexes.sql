-- SPDX-License-Identifier: MIT
-- The indexes of catalog_search that the catalog API's queries read. Each one begins with the
-- columns of an index of 001_tables.sql, so those two are dropped: every row of the table
-- then updates three indexes instead of five.

CREATE INDEX IF NOT EXISTS catalog_search_key_value_entity ON catalog_search (key, value, entity_id);
CREATE INDEX IF NOT EXISTS catalog_search_key_original
    ON catalog_search (key, original_value, entity_id);
CREATE INDEX IF NOT EXISTS catalog_search_entity_key_value ON catalog_search (entity_id, key, value);
DROP INDEX IF EXISTS catalog_search_key_value;
DROP INDEX IF EXISTS catalog_search_entity_id;
