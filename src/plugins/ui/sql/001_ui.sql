-- SPDX-License-Identifier: MIT
-- The web UI's own tables: starred entities per user, and server-side secrets.

CREATE TABLE ui_stars (
    subject TEXT NOT NULL,
    entity_ref TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (subject, entity_ref)
);

CREATE TABLE ui_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
