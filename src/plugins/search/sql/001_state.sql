-- SPDX-License-Identifier: MIT
-- The search index's state. Documents live in per-generation tables
-- (search_g<N>_docs, _fields and the engine's full-text table), made at run
-- time, so that a rebuild can fill a new generation while the active one
-- serves queries.

-- One row (id = 1): the generation queries read, the one a rebuild is
-- filling (NULL when none), the process filling it and when it last wrote.
CREATE TABLE search_state (
    id BIGINT PRIMARY KEY,
    active_generation BIGINT NOT NULL,
    building_generation BIGINT,
    building_owner TEXT,
    building_heartbeat_at BIGINT,
    switched_at BIGINT
);
INSERT INTO search_state (id, active_generation) VALUES (1, 1);

-- Sources changed while a rebuild runs: the rebuild re-collates them
-- before it switches, so no change made during the rebuild is lost.
CREATE TABLE search_pending (
    generation BIGINT NOT NULL,
    doc_type TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (generation, doc_type, source)
);
