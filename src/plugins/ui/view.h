/* SPDX-License-Identifier: MIT */
/* Entities as templates see them: titles, links, owners and relations in display form. */
#ifndef GR_PLUGINS_UI_VIEW_H
#define GR_PLUGINS_UI_VIEW_H

#include <jansson.h>

/**
 * Returns the display form of `ref` (borrowed, any "kind:namespace/name"):
 * {ref (lower case), kind, namespace, name, label, href}, with title,
 * description and type null. The label leaves
 * out the namespace "default" and a kind equal to `default_kind` (may be
 * NULL). Returns a new object, or NULL when the reference cannot be parsed.
 */
json_t *gr_ui_ref_view(const char *ref, const char *default_kind);

/**
 * Returns the display form of a final entity (borrowed): {ref, href, kind,
 * namespace, name, title, description, type, lifecycle, owner (ref view),
 * system, domain (ref views), tags, links [{url, title, safe}], annotations
 * [{key, value}], orphan, errors [{name, message}]}. Values missing from the
 * entity are left out. Returns a new object.
 */
json_t *gr_ui_entity_view(const json_t *entity);

/** Returns "kind:namespace/name" in lower case for a final entity (caller frees), or NULL. */
char *gr_ui_entity_ref(const json_t *entity);

/**
 * Returns the targets of relations of `type` on `entity`, as an array of
 * lower-case reference strings (new reference).
 */
json_t *gr_ui_relation_targets(const json_t *entity, const char *type);

/** Returns the URL path of the entity page of `ref` (caller frees), or NULL when unparsable. */
char *gr_ui_entity_href(const char *ref);

#endif
