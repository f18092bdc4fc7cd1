-- SPDX-License-Identifier: MIT
-- Indexes on the catalog's final entities for the catalog table's default
-- order (by name, within a kind or across kinds), so a page of it is read
-- in index order instead of sorting every entity of the kind.

CREATE INDEX ui_final_entities_kind_name ON catalog_final_entities (kind, name, entity_ref);
CREATE INDEX ui_final_entities_name ON catalog_final_entities (name, entity_ref);
