-- SPDX-License-Identifier: MIT
-- Every change of a final entity, with its cause and a JSON diff (SQLite).

CREATE TABLE catalog_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_ref TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    cause TEXT NOT NULL,
    change TEXT NOT NULL,
    diff TEXT NOT NULL
);
CREATE INDEX catalog_history_entity_ref ON catalog_history (entity_ref, id);
