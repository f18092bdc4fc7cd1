/* SPDX-License-Identifier: MIT */
/* HTML forms from template parameter schemas, and form posts back to typed values. */
#ifndef GR_SCAFFOLDER_FORM_H
#define GR_SCAFFOLDER_FORM_H

#include <jansson.h>

#include "host/common/buf.h"

/*
 * One parameter step (a JSON Schema object) becomes a list of fields that
 * work without JavaScript. These ui options of real templates are read:
 * - ui:widget: textarea, password, hidden, radio, checkboxes and select.
 * - ui:field: EntityPicker, OwnerPicker, OwnedEntityPicker and
 *   MultiEntityPicker offer a list of catalog entities. EntityNamePicker
 *   takes an entity name, EntityTagsPicker comma-separated tags, and
 *   RepoUrlPicker a host, an owner and a repository.
 * - ui:options: rows, allowedHosts, allowedOwners, catalogFilter and
 *   allowedKinds.
 * - ui:help, ui:autofocus, ui:placeholder, enumNames, default and description.
 * Properties of `dependencies` branches (conditional fields) are shown as
 * extra optional fields, because a page without scripts cannot hide them.
 * Field names are the property names. RepoUrlPicker adds the parts
 * ".host", ".owner" and ".repo".
 */

/** A decoded application/x-www-form-urlencoded body: [[name, value], ...]. */
typedef json_t gr_form_fields;

/** Decodes a form body. Returns a new array of [name, value] pairs. */
gr_form_fields *gr_form_parse(const char *body, size_t len);

/** Returns the first value of field `name`, or NULL (borrowed from `fields`). */
const char *gr_form_get(const gr_form_fields *fields, const char *name);

/**
 * Appends the fields of one parameter step. `values` are the current values
 * (shown as the fields' values; may be NULL). `entities` is an array of
 * catalog entities the pickers offer (may be NULL). `errors` maps property
 * names to messages shown beside their field (may be NULL).
 */
void gr_form_render_step(gr_buf *out, const json_t *step, const json_t *values,
                         const json_t *entities, const json_t *errors);

/**
 * Reads the fields of one step from a form post into `values` (an object,
 * changed in place), converted to the types the schema declares: numbers,
 * booleans, arrays from checkboxes or lines, RepoUrlPicker parts joined to
 * "host?owner=o&repo=r". Empty text fields are left out, as the Backstage
 * form leaves them out.
 */
void gr_form_read_step(const json_t *step, const gr_form_fields *fields, json_t *values);

/**
 * Appends a review table of every value a step names: its title and value
 * (passwords and secret fields shown as dots, lists of plain values
 * separated by commas, other arrays and objects as JSON).
 */
void gr_form_render_review(gr_buf *out, const json_t *step, const json_t *values);

#endif
