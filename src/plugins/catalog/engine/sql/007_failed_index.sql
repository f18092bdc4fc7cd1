-- SPDX-License-Identifier: MIT
-- The rows whose processing failed, in entity_ref order. The list of failed entities and the
-- portal's count of them read only these rows instead of the whole table, and healthy rows,
-- which the condition excludes, never enter the index.

CREATE INDEX IF NOT EXISTS catalog_refresh_state_failed ON catalog_refresh_state (entity_ref)
    WHERE processed_entity IS NULL AND errors IS NOT NULL AND errors <> '[]';
