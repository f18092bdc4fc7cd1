-- SPDX-License-Identifier: MIT
-- Relations are stored in pairs (ownedBy with ownerOf, partOf with hasPart, ...) by the entity
-- that emits them. The relations pointing at an entity are therefore found through the reverse
-- rows that start at it, and the index on target_entity_ref only slows every insert down.

DROP INDEX IF EXISTS catalog_relations_target_entity_ref;
