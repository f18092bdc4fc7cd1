-- SPDX-License-Identifier: MIT
-- The running catalog instances, so that a restarted server can release the leases of its
-- previous run, and the owner of each stitch lease.

CREATE TABLE catalog_instances (
    instance_id TEXT PRIMARY KEY,
    host_key TEXT NOT NULL,
    pid BIGINT NOT NULL,
    start_ticks BIGINT NOT NULL,
    registered_at BIGINT NOT NULL
);

ALTER TABLE catalog_stitch_queue ADD COLUMN lease_owner TEXT;
