/* SPDX-License-Identifier: MIT */
/* Evaluation of scorecard checks against one catalog entity. */
#include "checks.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

check_type check_type_parse(const char *name)
{
    static const struct {
        const char *name;
        check_type type;
    } types[] = {
        {"owner-exists", CHECK_OWNER_EXISTS},
        {"annotation", CHECK_ANNOTATION},
        {"field", CHECK_FIELD},
        {"api-definition", CHECK_API_DEFINITION},
    };

    for (size_t i = 0; name != NULL && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(types[i].name, name) == 0)
            return types[i].type;
    }
    return 0;
}

bool check_in_list(const char *list, const char *value)
{
    const char *p = list;

    if (value == NULL)
        return false;
    while (*p != '\0') {
        size_t len;

        while (*p == ' ' || *p == ',')
            p++;
        len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len > 0 && strlen(value) == len && strncasecmp(p, value, len) == 0)
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

bool check_applies(const check_def *check, const json_t *entity)
{
    const char *kind = json_string_value(json_object_get(entity, "kind"));

    if (check->type == CHECK_API_DEFINITION && (kind == NULL || strcasecmp(kind, "API") != 0))
        return false;
    return check->kinds == NULL || check_in_list(check->kinds, kind);
}

/* Follows a dotted path ("spec.lifecycle", "metadata.annotations.x") through objects. */
static const json_t *field_at(const json_t *entity, const char *path)
{
    const json_t *node = entity;
    const char *p = path;

    while (node != NULL && *p != '\0') {
        char key[256];
        size_t len = strcspn(p, ".");

        if (len >= sizeof(key))
            return NULL;
        memcpy(key, p, len);
        key[len] = '\0';
        node = json_object_get(node, key);
        p += len;
        if (*p == '.')
            p++;
    }
    return node;
}

static bool not_empty(const json_t *value)
{
    if (value == NULL || json_is_null(value))
        return false;
    if (json_is_string(value))
        return json_string_length(value) > 0;
    if (json_is_array(value))
        return json_array_size(value) > 0;
    if (json_is_object(value))
        return json_object_size(value) > 0;
    return true;
}

/* Returns whether `text` is well-formed YAML (JSON is YAML too). */
static bool yaml_parses(const char *text)
{
    yaml_parser_t parser;
    yaml_event_t event;
    bool ok = true;
    bool done = false;

    if (!yaml_parser_initialize(&parser))
        return false;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            ok = false;
            break;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return ok;
}

/* An API definition passes when it is present and, for OpenAPI and AsyncAPI, parses as YAML
 * whose text names the format. */
static bool definition_ok(const json_t *entity)
{
    const json_t *spec = json_object_get(entity, "spec");
    const char *type = json_string_value(json_object_get(spec, "type"));
    const char *definition = json_string_value(json_object_get(spec, "definition"));

    if (definition == NULL || definition[0] == '\0')
        return false;
    if (type != NULL && (strcasecmp(type, "openapi") == 0 || strcasecmp(type, "asyncapi") == 0))
        return yaml_parses(definition) &&
               (strstr(definition, type) != NULL || strstr(definition, "swagger") != NULL);
    return true;
}

bool check_owner_ref(const json_t *entity, char *out, size_t size)
{
    const char *owner = json_string_value(json_object_get(json_object_get(entity, "spec"), "owner"));
    const char *ns = json_string_value(
        json_object_get(json_object_get(entity, "metadata"), "namespace"));
    const char *colon;
    int written;

    if (owner == NULL || owner[0] == '\0')
        return false;
    colon = strchr(owner, ':');
    if (colon != NULL && strchr(colon, '/') != NULL)
        written = snprintf(out, size, "%s", owner);
    else if (colon != NULL)
        written = snprintf(out, size, "%.*s:%s/%s", (int)(colon - owner), owner,
                           ns != NULL ? ns : "default", colon + 1);
    else if (strchr(owner, '/') != NULL)
        written = snprintf(out, size, "group:%s", owner);
    else
        written = snprintf(out, size, "group:%s/%s", ns != NULL ? ns : "default", owner);
    if (written < 0 || (size_t)written >= size)
        return false;
    for (char *p = out; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return true;
}

bool check_run(const check_def *check, const json_t *entity, check_exists_fn exists,
               void *payload)
{
    char ref[512];

    switch (check->type) {
    case CHECK_OWNER_EXISTS:
        return check_owner_ref(entity, ref, sizeof(ref)) && exists(ref, payload);
    case CHECK_ANNOTATION:
        return not_empty(json_object_get(
            json_object_get(json_object_get(entity, "metadata"), "annotations"),
            check->argument));
    case CHECK_FIELD:
        return not_empty(field_at(entity, check->argument));
    case CHECK_API_DEFINITION:
        return definition_ok(entity);
    }
    return false;
}
