-- SPDX-License-Identifier: MIT
-- The newest catalog_history id whose entity the search index has re-collated,
-- so that a server that starts again goes on from there. NULL until a search
-- worker first starts, which sets it to the newest id then.
ALTER TABLE search_state ADD COLUMN history_id BIGINT;
