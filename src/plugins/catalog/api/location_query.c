/* SPDX-License-Identifier: MIT */
/* The filter predicate of POST /locations/by-query, matched against registered locations. */
#include "plugins/catalog/api/location_query.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/error.h"
#include "plugins/catalog/api/predicate.h"

/* Returns the location field that `key` names in any case, or NULL for an unknown key. */
static const char *field_name(const char *key)
{
    static const char *const fields[] = {"id", "type", "target", "entityRef"};

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcasecmp(key, fields[i]) == 0)
            return fields[i];
    }
    return NULL;
}

/* Compares `field` with a string, number or boolean in any case (ASCII only, as SQLite's UPPER). */
static int equals_value(const char *field, const json_t *value, bool exact)
{
    char *text = gr_catalog_predicate_value_text(value);
    int match;

    if (text == NULL)
        return gr_error_set(GR_EINVALID, "Invalid filter predicate, expected a string, number "
                                         "or boolean in $in");
    match = field != NULL && (exact ? strcmp(field, text) : strcasecmp(field, text)) == 0;
    free(text);
    return match;
}

static int matches_in(const char *name, const char *field, const json_t *values)
{
    size_t index;
    json_t *value;

    if (!json_is_array(values))
        return gr_error_set(GR_EINVALID, "Invalid filter predicate, $in expects an array");
    json_array_foreach(values, index, value)
    {
        int match = equals_value(field, value, strcmp(name, "id") == 0);

        if (match != 0)
            return match;
    }
    return 0;
}

/* Matches one field against a value or a matcher object. */
static int matches_value(const char *name, const char *field, const json_t *value)
{
    const json_t *operand;

    if (json_is_string(value) || json_is_number(value) || json_is_boolean(value))
        return equals_value(field, value, false);
    if (!json_is_object(value) || json_object_size(value) == 0) {
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc = gr_error_set(GR_EINVALID,
                              "Invalid filter predicate, got unknown matcher object '%s'",
                              text ? text : "?");

        free(text);
        return rc;
    }
    if ((operand = json_object_get(value, "$exists")) != NULL)
        return json_is_true(operand) == (field != NULL);
    if ((operand = json_object_get(value, "$in")) != NULL)
        return matches_in(name, field, operand);
    if ((operand = json_object_get(value, "$hasPrefix")) != NULL) {
        if (!json_is_string(operand))
            return gr_error_set(GR_EINVALID,
                                "Invalid filter predicate, $hasPrefix expects a string");
        return field != NULL &&
               strncasecmp(field, json_string_value(operand), json_string_length(operand)) == 0;
    }
    if (json_object_get(value, "$contains") != NULL)
        return 0;
    return gr_error_set(GR_EINVALID, "Invalid filter predicate, got unknown matcher object with "
                                     "key '%s'",
                        json_object_iter_key(json_object_iter((json_t *)value)));
}

static int matches(const json_t *predicate, const json_t *location, int depth);

/* Combines the predicates of $all (every one matches) or $any (at least one matches). */
static int matches_list(const json_t *list, const char *op, const json_t *location, int depth)
{
    bool all = strcmp(op, "$all") == 0;
    size_t index;
    json_t *item;

    if (!json_is_array(list))
        return gr_error_set(GR_EINVALID, "Invalid filter predicate, %s expects an array", op);
    if (json_array_size(list) == 0)
        return 0;
    json_array_foreach(list, index, item)
    {
        int match = matches(item, location, depth + 1);

        if (match < 0)
            return match;
        if (all && match == 0)
            return 0;
        if (!all && match == 1)
            return 1;
    }
    return all ? 1 : 0;
}

static int matches(const json_t *predicate, const json_t *location, int depth)
{
    const json_t *operand;
    const char *key;
    json_t *value;

    if (depth > GR_CATALOG_PREDICATE_MAX_DEPTH)
        return gr_error_set(GR_EINVALID, "Invalid filter predicate, nested deeper than %d",
                            GR_CATALOG_PREDICATE_MAX_DEPTH);
    if (!json_is_object(predicate))
        return gr_error_set(GR_EINVALID, "Invalid filter predicate, expected an object");
    if ((operand = json_object_get(predicate, "$all")) != NULL)
        return matches_list(operand, "$all", location, depth);
    if ((operand = json_object_get(predicate, "$any")) != NULL)
        return matches_list(operand, "$any", location, depth);
    if ((operand = json_object_get(predicate, "$not")) != NULL) {
        int match = matches(operand, location, depth + 1);

        return match < 0 ? match : !match;
    }
    json_object_foreach((json_t *)predicate, key, value)
    {
        const char *name = field_name(key);
        int match;

        if (key[0] == '$')
            return gr_error_set(GR_EINVALID,
                                "Invalid filter predicate, unknown logic operator '%s'", key);
        if (name == NULL)
            return gr_error_set(GR_EINVALID,
                                "Invalid filter predicate, expected key to be 'id', 'type', "
                                "'target', or 'entityRef', got '%s'",
                                key);
        match = matches_value(name, json_string_value(json_object_get(location, name)), value);
        if (match != 1)
            return match;
    }
    return 1;
}

int gr_catalog_location_matches(const json_t *predicate, const json_t *location)
{
    return matches(predicate, location, 0);
}
