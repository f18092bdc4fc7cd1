/* SPDX-License-Identifier: MIT */
/* Entity references: "[kind:][namespace/]name" parsing, formatting and comparison. */
#include "plugins/catalog/model/ref.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/model/problems.h"

static const char form_hint[] = "[<kind>:][<namespace>/]<name>";

/* Fills `out` after checking that every part is present and non-empty. */
static int finish_ref(const json_t *original, const char *kind, const char *namespace,
                      const char *name, gr_entity_ref *out)
{
    char *text;

    if (kind == NULL || kind[0] == '\0') {
        text = gr_model_value_text(original);
        gr_error_set(GR_EINVALID,
                     "entity reference %s has a missing or empty kind; write it as "
                     "kind:name (e.g. \"component:%s\")",
                     text, name && name[0] ? name : "my-name");
        free(text);
        return GR_EINVALID;
    }
    if (namespace == NULL || namespace[0] == '\0' || name == NULL || name[0] == '\0') {
        text = gr_model_value_text(original);
        gr_error_set(GR_EINVALID, "entity reference %s has a missing or empty %s", text,
                     namespace == NULL || namespace[0] == '\0' ? "namespace" : "name");
        free(text);
        return GR_EINVALID;
    }
    out->kind = gr_xstrdup(kind);
    out->namespace = gr_xstrdup(namespace);
    out->name = gr_xstrdup(name);
    return GR_OK;
}

int gr_model_ref_parse(const char *text, const char *default_kind, const char *default_namespace,
                       gr_entity_ref *out)
{
    const char *colon;
    const char *slash;
    const char *name;
    const char *kind_or_default;
    char *kind = NULL;
    char *namespace = NULL;
    json_t *original = NULL;
    int rc;

    out->kind = out->namespace = out->name = NULL;
    if (text == NULL || text[0] == '\0')
        return gr_error_set(GR_EINVALID, "entity reference must not be empty");
    if (default_namespace == NULL || default_namespace[0] == '\0')
        default_namespace = GR_MODEL_DEFAULT_NAMESPACE;

    colon = strchr(text, ':');
    slash = strchr(text, '/');
    if (slash != NULL && colon != NULL && slash < colon)
        colon = NULL;

    /* The name starts after whichever of the kind colon and the namespace slash comes last. */
    name = text;
    if (colon != NULL && colon + 1 > name)
        name = colon + 1;
    if (slash != NULL && slash + 1 > name)
        name = slash + 1;
    if (colon != NULL)
        kind = gr_xstrndup(text, (size_t)(colon - text));
    if (slash != NULL) {
        const char *namespace_start = colon ? colon + 1 : text;

        namespace = gr_xstrndup(namespace_start, (size_t)(slash - namespace_start));
    }
    if ((kind && kind[0] == '\0') || (namespace && namespace[0] == '\0') || name[0] == '\0') {
        rc = gr_error_set(GR_EINVALID, "entity reference \"%s\" is not of the form %s", text,
                          form_hint);
        goto done;
    }
    /* The JSON form of the text is only needed for an error message. */
    kind_or_default = kind ? kind : default_kind;
    if (kind_or_default == NULL || kind_or_default[0] == '\0')
        original = json_string(text);
    rc = finish_ref(original, kind_or_default, namespace ? namespace : default_namespace, name,
                    out);

done:
    json_decref(original);
    free(kind);
    free(namespace);
    return rc;
}

int gr_model_ref_parse_json(const json_t *value, const char *default_kind,
                            const char *default_namespace, gr_entity_ref *out)
{
    const char *kind;
    const char *namespace;
    const json_t *member;

    out->kind = out->namespace = out->name = NULL;
    if (gr_model_is_falsy(value))
        return gr_error_set(GR_EINVALID, "entity reference must not be empty");
    if (json_is_string(value))
        return gr_model_ref_parse(json_string_value(value), default_kind, default_namespace, out);
    if (default_namespace == NULL || default_namespace[0] == '\0')
        default_namespace = GR_MODEL_DEFAULT_NAMESPACE;

    /* Members that are missing or null take the defaults, as `??` does in Backstage. */
    member = json_object_get(value, "kind");
    kind = member && !json_is_null(member) ? json_string_value(member) : default_kind;
    if (member && !json_is_null(member) && !json_is_string(member))
        kind = NULL;
    member = json_object_get(value, "namespace");
    namespace = member && !json_is_null(member) ? json_string_value(member) : default_namespace;
    return finish_ref(value, kind, namespace, json_string_value(json_object_get(value, "name")),
                      out);
}

/* Copies `len` bytes of `part` to `out` in ASCII lower case and returns the end. */
static char *put_lower(char *out, const char *part, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = part[i];

        *out++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    return out;
}

/* Written without printf: processing formats two refs per relation it emits, and vasprintf took
 * about 0.3 s of a first load of 100,000 entities for them. */
char *gr_model_ref_format(const gr_entity_ref *ref)
{
    size_t kind = strlen(ref->kind);
    size_t namespace = strlen(ref->namespace);
    size_t name = strlen(ref->name);
    char *text = gr_xmalloc(kind + namespace + name + 3);
    char *end = put_lower(text, ref->kind, kind);

    *end++ = ':';
    end = put_lower(end, ref->namespace, namespace);
    *end++ = '/';
    end = put_lower(end, ref->name, name);
    *end = '\0';
    return text;
}

int gr_model_ref_compare(const gr_entity_ref *a, const gr_entity_ref *b)
{
    int order = strcasecmp(a->kind, b->kind);

    if (order == 0)
        order = strcasecmp(a->namespace, b->namespace);
    if (order == 0)
        order = strcasecmp(a->name, b->name);
    return order;
}

void gr_entity_ref_copy(gr_entity_ref *out, const gr_entity_ref *ref)
{
    out->kind = gr_xstrdup(ref->kind);
    out->namespace = gr_xstrdup(ref->namespace);
    out->name = gr_xstrdup(ref->name);
}

void gr_entity_ref_free(gr_entity_ref *ref)
{
    if (ref == NULL)
        return;
    free(ref->kind);
    free(ref->namespace);
    free(ref->name);
    ref->kind = ref->namespace = ref->name = NULL;
}

const char *gr_model_ref_default_kind(const char *field)
{
    static const struct {
        const char *field;
        const char *kind;
    } defaults[] = {
        {"owner", "Group"},         {"parent", "Group"},         {"children", "Group"},
        {"memberOf", "Group"},      {"members", "User"},         {"system", "System"},
        {"domain", "Domain"},       {"subdomainOf", "Domain"},   {"providesApis", "API"},
        {"consumesApis", "API"},    {"subcomponentOf", "Component"},
    };

    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (strcmp(defaults[i].field, field) == 0)
            return defaults[i].kind;
    }
    return NULL;
}
