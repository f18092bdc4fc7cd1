/* SPDX-License-Identifier: MIT */
/* The "techdocs" collator: one document per page section of every published TechDocs site. */
#ifndef GR_PLUGINS_SEARCH_COLLATOR_TECHDOCS_H
#define GR_PLUGINS_SEARCH_COLLATOR_TECHDOCS_H

#include "plugins/search/search.h"
#include "plugins/techdocs/service.h"

/** Document type of TechDocs pages, as in Backstage. */
#define GR_SEARCH_TYPE_TECHDOCS "techdocs"
/** Default of search.collators.techdocs.locationTemplate. */
#define GR_SEARCH_TECHDOCS_LOCATION "/docs/:namespace/:kind/:name/:path"
/** How often the poller looks for sites published by other processes, in ms. */
#define GR_SEARCH_TECHDOCS_POLL_MS 500

/**
 * Registers the TechDocs collator. It reads the published sites through
 * the TechDocs service attached with gr_search_attach_techdocs()
 * (gr_techdocs_collate()), so it finds them wherever the publisher stores
 * them; until a service is attached it emits nothing. Every entry of a
 * site's search index ({location, title, text}) becomes a document located
 * by search.collators.techdocs.locationTemplate, by default
 * /docs/<namespace>/<kind>/<name>/<location> in lower case unless
 * techdocs.legacyUseCaseSensitiveTripletPaths is true, with the entity's
 * fields and read permission. Sources are entity refs. A site published by
 * another process is noticed within GR_SEARCH_TECHDOCS_POLL_MS; the
 * TechDocs plugin reports its own builds with gr_search_notify() at once.
 * Returns the code of gr_search_register_collator().
 */
int gr_search_register_techdocs(gr_search *search);

/**
 * Lets the TechDocs collator of `search` read sites through `service`
 * (borrowed; it must outlive the collator's use, NULL detaches). Call before
 * gr_search_start(), because the worker thread reads it without a lock.
 */
void gr_search_attach_techdocs(gr_search *search, gr_techdocs_service *service);

/**
 * Replaces the HTML character references that MkDocs' search index keeps
 * (&amp; &lt; &gt; &quot; &#39;) in `text`. Returns a new string (caller frees).
 */
char *gr_search_unescape_html(const char *text);

#endif
