/* SPDX-License-Identifier: MIT */
/* The TechDocs search collator's input: one document per section of every published site. */
#ifndef GR_PLUGINS_TECHDOCS_COLLATOR_H
#define GR_PLUGINS_TECHDOCS_COLLATOR_H

#include <jansson.h>
#include <stdint.h>

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

/**
 * Calls `fn` for the documents of the one site of `entity_ref` (lower case,
 * "component:default/shop"), shaped as gr_techdocs_collate() makes them.
 * Without a published site, or without its entity in the catalog, `fn` is
 * not called. Returns GR_OK, the first nonzero value of `fn`, or a database
 * error. Thread-safe.
 */
int gr_techdocs_collate_site(gr_techdocs_service *service, const char *entity_ref,
                             gr_techdocs_document_fn fn, void *payload);

/** Receives the ref of a published site (borrowed). Returns 0 to go on, nonzero to stop. */
typedef int (*gr_techdocs_site_fn)(const char *entity_ref, void *payload);

/**
 * Calls `fn` (may be NULL) with the ref of every site published, by any
 * process sharing the database, after `after_ms` (ms since the epoch, by the
 * publishing host's clock), oldest first. Stores the newest publish time
 * seen, or `after_ms` when none is newer, in *latest_ms. Returns GR_OK, the
 * first nonzero value of `fn`, or a database error. Thread-safe.
 */
int gr_techdocs_sites_published_since(gr_techdocs_service *service, int64_t after_ms,
                                      gr_techdocs_site_fn fn, void *payload, int64_t *latest_ms);

#endif
