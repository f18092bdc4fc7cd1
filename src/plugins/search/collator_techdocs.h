/* SPDX-License-Identifier: MIT */
/* The "techdocs" collator: one document per page section of every published TechDocs site. */
#ifndef GR_PLUGINS_SEARCH_COLLATOR_TECHDOCS_H
#define GR_PLUGINS_SEARCH_COLLATOR_TECHDOCS_H

#include "plugins/search/search.h"

/** Document type of TechDocs pages, as in Backstage. */
#define GR_SEARCH_TYPE_TECHDOCS "techdocs"
/** Default of search.collators.techdocs.locationTemplate. */
#define GR_SEARCH_TECHDOCS_LOCATION "/docs/:namespace/:kind/:name/:path"
/** Default of techdocs.publisher.local.publishDirectory. */
#define GR_SEARCH_TECHDOCS_PUBLISH_DIR "data/techdocs"
/** Maximum size of one site's search/search_index.json, in bytes. */
#define GR_SEARCH_TECHDOCS_MAX_INDEX_BYTES ((size_t)64 << 20)
/** Maximum number of sites the change poller watches. */
#define GR_SEARCH_TECHDOCS_MAX_SITES 100000
/** How often the change poller scans the publish directory, in ms. */
#define GR_SEARCH_TECHDOCS_POLL_MS 500

/**
 * Registers the TechDocs collator. It reads the sites of entities that have
 * the backstage.io/techdocs-ref annotation from the local publish directory
 * (techdocs.publisher.local.publishDirectory), laid out as Backstage's
 * local publisher does: <dir>/<namespace>/<kind>/<name>/search/search_index.json,
 * with the triplet in lower case unless
 * techdocs.legacyUseCaseSensitiveTripletPaths is true. Every entry of
 * MkDocs' index ({location, title, text}) becomes a document located at
 * /docs/<namespace>/<kind>/<name>/<location>, with the entity's fields and
 * read permission. Sources are entity refs; the poller notices a site that
 * is published, rebuilt or removed within GR_SEARCH_TECHDOCS_POLL_MS.
 * Returns the code of gr_search_register_collator().
 */
int gr_search_register_techdocs(gr_search *search);

/**
 * Replaces the HTML character references that MkDocs' search index keeps
 * (&amp; &lt; &gt; &quot; &#39;) in `text`. Returns a new string (caller frees).
 */
char *gr_search_unescape_html(const char *text);

#endif
