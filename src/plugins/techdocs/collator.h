/* SPDX-License-Identifier: MIT */
/* The TechDocs search collator's input: one document per section of every published site. */
#ifndef GR_PLUGINS_TECHDOCS_COLLATOR_H
#define GR_PLUGINS_TECHDOCS_COLLATOR_H

#include <jansson.h>

#include "plugins/techdocs/service.h"

/**
 * Receives one search document (borrowed; valid during the call). Returns
 * 0 to go on, or nonzero to stop the collation.
 */
typedef int (*gr_techdocs_document_fn)(const json_t *document, void *payload);

/**
 * Reads search/search_index.json of every published site whose entity is in
 * the catalog and calls `fn` for each entry, shaped as Backstage's
 * DefaultTechDocsCollator documents:
 *   {"title", "text", "location": "/docs/<namespace>/<kind>/<name>/<entry location>",
 *    "path": "<entry location>", "kind", "namespace", "name" (as the entity
 *    spells them), "entityTitle", "componentType", "lifecycle", "owner",
 *    "authorization": {"resourceRef": "<kind>:<namespace>/<name>"}}
 * Sites are read one at a time, so memory stays bounded by the largest
 * index. Returns GR_OK, the first nonzero value of `fn`, or a database
 * error. Thread-safe.
 */
int gr_techdocs_collate(gr_techdocs_service *service, gr_techdocs_document_fn fn, void *payload);

#endif
