-- SPDX-License-Identifier: MIT
-- Processing errors belong to entities that a source emits. Orphans stored by earlier versions
-- lose theirs, and their result hash, so the errors are written again if a source emits them again.

UPDATE catalog_refresh_state SET errors = NULL, result_hash = NULL
WHERE errors IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM catalog_refs r WHERE r.target_entity_ref = catalog_refresh_state.entity_ref
);
