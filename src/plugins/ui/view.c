/* SPDX-License-Identifier: MIT */
/* Entities as templates see them: titles, links, owners and relations in display form. */
#include "plugins/ui/view.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "plugins/catalog/model/ref.h"
#include "plugins/ui/template/template.h"

static char *lower_dup(const char *text)
{
    char *copy = gr_xstrdup(text);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

static char *href_of(const char *kind, const char *namespace, const char *name)
{
    gr_buf href = GR_BUF_INIT;
    char *lower = lower_dup(kind);

    gr_buf_puts(&href, "/catalog/");
    gr_template_put_uri(&href, namespace);
    gr_buf_putc(&href, '/');
    gr_template_put_uri(&href, lower);
    gr_buf_putc(&href, '/');
    gr_template_put_uri(&href, name);
    free(lower);
    return gr_buf_detach(&href);
}

char *gr_ui_entity_href(const char *ref)
{
    gr_entity_ref parsed = GR_ENTITY_REF_INIT;
    char *href;

    if (gr_model_ref_parse(ref, NULL, NULL, &parsed) < 0)
        return NULL;
    href = href_of(parsed.kind, parsed.namespace, parsed.name);
    gr_entity_ref_free(&parsed);
    return href;
}

json_t *gr_ui_ref_view(const char *ref, const char *default_kind)
{
    gr_entity_ref parsed = GR_ENTITY_REF_INIT;
    gr_buf label = GR_BUF_INIT;
    json_t *view;
    char *lower;
    char *href;

    if (ref == NULL || gr_model_ref_parse(ref, default_kind, NULL, &parsed) < 0)
        return NULL;
    if (default_kind == NULL || strcasecmp(parsed.kind, default_kind) != 0) {
        gr_buf_puts(&label, parsed.kind);
        gr_buf_putc(&label, ':');
    }
    if (strcmp(parsed.namespace, GR_MODEL_DEFAULT_NAMESPACE) != 0) {
        gr_buf_puts(&label, parsed.namespace);
        gr_buf_putc(&label, '/');
    }
    gr_buf_puts(&label, parsed.name);

    lower = gr_model_ref_format(&parsed);
    href = href_of(parsed.kind, parsed.namespace, parsed.name);
    view = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:n}", "ref", lower, "kind",
                     parsed.kind, "namespace", parsed.namespace, "name", parsed.name, "label",
                     gr_buf_cstr(&label), "href", href, "title", "description", "type");
    free(lower);
    free(href);
    gr_buf_free(&label);
    gr_entity_ref_free(&parsed);
    return view;
}

char *gr_ui_entity_ref(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));
    const char *name = json_string_value(json_object_get(metadata, "name"));
    char *ref;

    if (kind == NULL || name == NULL)
        return NULL;
    ref = gr_xasprintf("%s:%s/%s", kind, namespace != NULL ? namespace : "default", name);
    for (char *p = ref; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return ref;
}

json_t *gr_ui_relation_targets(const json_t *entity, const char *type)
{
    json_t *targets = json_array();
    json_t *relation;
    size_t i;

    json_array_foreach(json_object_get(entity, "relations"), i, relation)
    {
        const char *kind = json_string_value(json_object_get(relation, "type"));
        const char *target = json_string_value(json_object_get(relation, "targetRef"));

        if (kind != NULL && target != NULL && strcmp(kind, type) == 0) {
            char *lower = lower_dup(target);

            json_array_append_new(targets, json_string(lower));
            free(lower);
        }
    }
    return targets;
}

/* Missing values are stored as null rather than left out, because a
 * template section looks a missing name up in the enclosing contexts. */
static void set_string(json_t *view, const char *key, const json_t *value)
{
    if (json_is_string(value) && json_string_length(value) > 0)
        json_object_set(view, key, (json_t *)value);
    else
        json_object_set_new(view, key, json_null());
}

static void set_ref(json_t *view, const char *key, const json_t *value, const char *default_kind)
{
    json_t *ref = json_is_string(value) ? gr_ui_ref_view(json_string_value(value), default_kind)
                                        : NULL;

    json_object_set_new(view, key, ref != NULL ? ref : json_null());
}

static json_t *links_view(const json_t *links)
{
    json_t *out = json_array();
    json_t *link;
    size_t i;

    json_array_foreach(links, i, link)
    {
        const char *url = json_string_value(json_object_get(link, "url"));
        const char *title = json_string_value(json_object_get(link, "title"));

        if (url == NULL)
            continue;
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "url", url, "title",
                                             title != NULL && title[0] ? title : url, "safe",
                                             gr_template_url_is_safe(url)));
    }
    return out;
}

static json_t *annotations_view(const json_t *annotations)
{
    json_t *out = json_array();
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)annotations, key, value)
    {
        if (json_is_string(value))
            json_array_append_new(out, json_pack("{s:s, s:O}", "key", key, "value", value));
    }
    return out;
}

static json_t *errors_view(const json_t *status)
{
    json_t *out = json_array();
    json_t *item;
    size_t i;

    json_array_foreach(json_object_get(status, "items"), i, item)
    {
        const json_t *error = json_object_get(item, "error");
        const char *name = json_string_value(json_object_get(error, "name"));
        const char *message = json_string_value(json_object_get(error, "message"));

        if (message != NULL)
            json_array_append_new(out, json_pack("{s:s, s:s}", "name", name ? name : "Error",
                                                 "message", message));
    }
    return out;
}

json_t *gr_ui_entity_view(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const json_t *spec = json_object_get(entity, "spec");
    const json_t *annotations = json_object_get(metadata, "annotations");
    const json_t *title = json_object_get(metadata, "title");
    const json_t *display = json_object_get(json_object_get(spec, "profile"), "displayName");
    const char *orphan = json_string_value(json_object_get(annotations, "backstage.io/orphan"));
    json_t *view = json_object();
    char *ref = gr_ui_entity_ref(entity);

    if (ref != NULL) {
        char *href = gr_ui_entity_href(ref);

        json_object_set_new(view, "ref", json_string(ref));
        if (href != NULL)
            json_object_set_new(view, "href", json_string(href));
        free(href);
        free(ref);
    }
    set_string(view, "kind", json_object_get(entity, "kind"));
    set_string(view, "namespace", json_object_get(metadata, "namespace"));
    set_string(view, "name", json_object_get(metadata, "name"));
    set_string(view, "title", json_is_string(title) ? title
                              : json_is_string(display) ? display
                                                        : json_object_get(metadata, "name"));
    set_string(view, "description", json_object_get(metadata, "description"));
    set_string(view, "type", json_object_get(spec, "type"));
    set_string(view, "lifecycle", json_object_get(spec, "lifecycle"));
    set_ref(view, "owner", json_object_get(spec, "owner"), "group");
    set_ref(view, "system", json_object_get(spec, "system"), "system");
    set_ref(view, "domain", json_object_get(spec, "domain"), "domain");
    json_object_set_new(view, "tags", json_is_array(json_object_get(metadata, "tags"))
                                          ? json_incref(json_object_get(metadata, "tags"))
                                          : json_array());
    json_object_set_new(view, "links", links_view(json_object_get(metadata, "links")));
    json_object_set_new(view, "annotations", annotations_view(annotations));
    json_object_set_new(view, "orphan", json_boolean(orphan != NULL && strcmp(orphan, "true") == 0));
    json_object_set_new(view, "errors", errors_view(json_object_get(entity, "status")));
    return view;
}
