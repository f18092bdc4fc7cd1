-- SPDX-License-Identifier: MIT
-- Published docs sites, their files and the build claims, on PostgreSQL (content is BYTEA).

CREATE TABLE techdocs_sites (
    entity_ref TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    generation BIGINT NOT NULL,
    origin TEXT NOT NULL,
    source_hash TEXT,
    etag TEXT,
    site_name TEXT,
    build_timestamp BIGINT,
    published_at BIGINT NOT NULL
);

CREATE TABLE techdocs_files (
    entity_ref TEXT NOT NULL,
    generation BIGINT NOT NULL,
    path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (entity_ref, generation, path)
);

CREATE TABLE techdocs_builds (
    entity_ref TEXT PRIMARY KEY,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    phase TEXT,
    source_hash TEXT,
    checked_at BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT NOT NULL DEFAULT 0,
    build_count BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
