-- SPDX-License-Identifier: MIT
-- Lets search find the sites published since its last look without reading every site row.

CREATE INDEX techdocs_sites_published_at ON techdocs_sites (published_at);
