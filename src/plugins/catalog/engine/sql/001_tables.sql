-- SPDX-License-Identifier: MIT
-- The catalog tables, after Backstage's catalog backend layout.

CREATE TABLE catalog_locations (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    target TEXT NOT NULL,
    origin TEXT NOT NULL,
    entity_ref TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (type, target)
);

CREATE TABLE catalog_refresh_state (
    entity_id TEXT PRIMARY KEY,
    entity_ref TEXT NOT NULL UNIQUE,
    unprocessed_entity TEXT NOT NULL,
    unprocessed_hash TEXT,
    processed_entity TEXT,
    result_hash TEXT,
    errors TEXT,
    location_key TEXT,
    next_update_at BIGINT NOT NULL,
    last_discovery_at BIGINT,
    lease_owner TEXT,
    lease_until BIGINT,
    pending_cause TEXT
);
CREATE INDEX catalog_refresh_state_next_update_at ON catalog_refresh_state (next_update_at);
CREATE INDEX catalog_refresh_state_lease_until ON catalog_refresh_state (lease_until);

CREATE TABLE catalog_refs (
    source_key TEXT,
    source_entity_ref TEXT,
    target_entity_ref TEXT NOT NULL
);
CREATE INDEX catalog_refs_source_key ON catalog_refs (source_key);
CREATE INDEX catalog_refs_source_entity_ref ON catalog_refs (source_entity_ref);
CREATE INDEX catalog_refs_target_entity_ref ON catalog_refs (target_entity_ref);

CREATE TABLE catalog_refresh_keys (
    entity_id TEXT NOT NULL REFERENCES catalog_refresh_state (entity_id) ON DELETE CASCADE,
    key TEXT NOT NULL
);
CREATE INDEX catalog_refresh_keys_entity_id ON catalog_refresh_keys (entity_id);
CREATE INDEX catalog_refresh_keys_key ON catalog_refresh_keys (key);

CREATE TABLE catalog_relations (
    originating_entity_id TEXT NOT NULL
        REFERENCES catalog_refresh_state (entity_id) ON DELETE CASCADE,
    source_entity_ref TEXT NOT NULL,
    type TEXT NOT NULL,
    target_entity_ref TEXT NOT NULL
);
CREATE INDEX catalog_relations_originating_entity_id ON catalog_relations (originating_entity_id);
CREATE INDEX catalog_relations_source_entity_ref ON catalog_relations (source_entity_ref);
CREATE INDEX catalog_relations_target_entity_ref ON catalog_relations (target_entity_ref);

CREATE TABLE catalog_final_entities (
    entity_id TEXT PRIMARY KEY REFERENCES catalog_refresh_state (entity_id) ON DELETE CASCADE,
    entity_ref TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    final_entity TEXT,
    last_updated_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX catalog_final_entities_kind_namespace_name
    ON catalog_final_entities (kind, namespace, name);

CREATE TABLE catalog_search (
    entity_id TEXT NOT NULL REFERENCES catalog_final_entities (entity_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    original_value TEXT,
    value TEXT
);
CREATE INDEX catalog_search_key_value ON catalog_search (key, value);
CREATE INDEX catalog_search_entity_id ON catalog_search (entity_id);

CREATE TABLE catalog_stitch_queue (
    entity_ref TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    next_stitch_at BIGINT NOT NULL,
    cause TEXT
);
CREATE INDEX catalog_stitch_queue_next_stitch_at ON catalog_stitch_queue (next_stitch_at);
