-- SPDX-License-Identifier: MIT
-- The search rows and relations lose their foreign keys, as on SQLite, where checking them
-- cost the single writer about 4.1 million parent lookups in a first load of 100,000
-- entities. Their rows are written only for a parent that the same transaction reads or
-- writes. Both databases keep the same keys, so that `greenroom db copy` may fill the tables
-- in any order. The deletes that the keys cascaded are now triggers.
-- The trigger functions keep the search_path of the migration, which finds the catalog's
-- tables. A session that deletes a row may use another search_path, such as psql on a
-- catalog that the connection URL puts in a schema of its own.

ALTER TABLE catalog_search DROP CONSTRAINT IF EXISTS catalog_search_entity_id_fkey;
ALTER TABLE catalog_relations DROP CONSTRAINT IF EXISTS catalog_relations_originating_entity_id_fkey;

CREATE OR REPLACE FUNCTION catalog_search_follow_final_entities() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM catalog_search WHERE entity_id = OLD.entity_id;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS catalog_search_follows_final_entities ON catalog_final_entities;
CREATE TRIGGER catalog_search_follows_final_entities AFTER DELETE ON catalog_final_entities
    FOR EACH ROW EXECUTE FUNCTION catalog_search_follow_final_entities();

CREATE OR REPLACE FUNCTION catalog_relations_follow_refresh_state() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM catalog_relations WHERE originating_entity_id = OLD.entity_id;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS catalog_relations_follow_refresh_state ON catalog_refresh_state;
CREATE TRIGGER catalog_relations_follow_refresh_state AFTER DELETE ON catalog_refresh_state
    FOR EACH ROW EXECUTE FUNCTION catalog_relations_follow_refresh_state();
