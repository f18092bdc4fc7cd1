-- SPDX-License-Identifier: MIT
-- The search rows and relations lose their foreign keys: with one, every inserted row made
-- SQLite look its parent up, about 4.1 million lookups for a first load of 100,000 entities,
-- all on the single writer. Their rows are written only for a parent that the same
-- transaction reads or writes, so the check adds nothing. The deletes that the keys cascaded
-- are now triggers, which also fire for rows that another cascade deletes.
-- SQLite cannot drop a constraint, so both tables are copied into new ones. The triggers go
-- first because renaming a table fails while a trigger names a table that does not exist.

DROP TRIGGER IF EXISTS catalog_search_follows_final_entities;
DROP TRIGGER IF EXISTS catalog_relations_follow_refresh_state;

CREATE TABLE catalog_search_copy (
    entity_id TEXT NOT NULL,
    key TEXT NOT NULL,
    original_value TEXT,
    value TEXT
);
INSERT INTO catalog_search_copy (entity_id, key, original_value, value)
    SELECT entity_id, key, original_value, value FROM catalog_search ORDER BY entity_id;
DROP TABLE catalog_search;
ALTER TABLE catalog_search_copy RENAME TO catalog_search;
CREATE INDEX catalog_search_entity_key_value ON catalog_search (entity_id, key, value);
CREATE INDEX catalog_search_key_value_entity_original
    ON catalog_search (key, value, entity_id, original_value);

CREATE TABLE catalog_relations_copy (
    originating_entity_id TEXT NOT NULL,
    source_entity_ref TEXT NOT NULL,
    type TEXT NOT NULL,
    target_entity_ref TEXT NOT NULL
);
INSERT INTO catalog_relations_copy (originating_entity_id, source_entity_ref, type,
                                    target_entity_ref)
    SELECT originating_entity_id, source_entity_ref, type, target_entity_ref
    FROM catalog_relations;
DROP TABLE catalog_relations;
ALTER TABLE catalog_relations_copy RENAME TO catalog_relations;
CREATE INDEX catalog_relations_originating_entity_id ON catalog_relations (originating_entity_id);
CREATE INDEX catalog_relations_source_entity_ref ON catalog_relations (source_entity_ref);

CREATE TRIGGER catalog_search_follows_final_entities AFTER DELETE ON catalog_final_entities
BEGIN
    DELETE FROM catalog_search WHERE entity_id = old.entity_id;
END;
CREATE TRIGGER catalog_relations_follow_refresh_state AFTER DELETE ON catalog_refresh_state
BEGIN
    DELETE FROM catalog_relations WHERE originating_entity_id = old.entity_id;
END;
