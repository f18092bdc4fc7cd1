-- SPDX-License-Identifier: MIT
-- One index of catalog_search for filters, order fields and facets: (key, value, entity_id)
-- serves filters and order fields, and original_value after them lets facets read the index
-- alone. It replaces the (key, value, entity_id) and (key, original_value, entity_id) indexes,
-- so every search row updates two indexes instead of three, and a first load builds one
-- index at its end instead of two.

CREATE INDEX IF NOT EXISTS catalog_search_key_value_entity_original
    ON catalog_search (key, value, entity_id, original_value);
DROP INDEX IF EXISTS catalog_search_key_value_entity;
DROP INDEX IF EXISTS catalog_search_key_original;
