-- SPDX-License-Identifier: MIT
-- Search rows get the ordinal that distinguishes rows of the same entity and key, as on
-- SQLite, where it is part of the primary key. Both databases keep the same columns, so that
-- `greenroom db copy` carries the ordinals either way. PostgreSQL keeps its index on
-- (entity_id, key, value).

ALTER TABLE catalog_search ADD COLUMN IF NOT EXISTS ordinal BIGINT;
UPDATE catalog_search s SET ordinal = n.ordinal
    FROM (SELECT ctid, row_number() OVER (PARTITION BY entity_id, key) AS ordinal
          FROM catalog_search) n
    WHERE s.ctid = n.ctid;
ALTER TABLE catalog_search ALTER COLUMN ordinal SET NOT NULL;
