/* SPDX-License-Identifier: MIT */
/* The "software-catalog" collator: one document per catalog entity. */
#ifndef GR_PLUGINS_SEARCH_COLLATOR_CATALOG_H
#define GR_PLUGINS_SEARCH_COLLATOR_CATALOG_H

#include "plugins/search/search.h"

/** Document type of catalog entities, as in Backstage. */
#define GR_SEARCH_TYPE_CATALOG "software-catalog"
/** Default of search.collators.catalog.locationTemplate. */
#define GR_SEARCH_CATALOG_LOCATION "/catalog/:namespace/:kind/:name"

/**
 * Registers the catalog collator on `search`. Documents carry Backstage's
 * fields (title = metadata.title or name; text = description, for users
 * and groups followed by " : " and the profile's display name; location
 * from the template; componentType, type, namespace, kind, lifecycle,
 * owner) plus name and tags, and match the name, tags, system, e-mail and
 * project-slug annotations as keywords. Each document's read permission is
 * its entity's. Returns the code of gr_search_register_collator().
 */
int gr_search_register_catalog(gr_search *search);

/**
 * Replaces `:namespace`, `:kind`, `:name` and `:path` in `location_template`
 * (first occurrence of each, as Backstage does). NULL values leave the
 * placeholder. Returns a new string (caller frees).
 */
char *gr_search_location(const char *location_template, const char *namespace_,
                         const char *kind, const char *name, const char *path);

#endif
