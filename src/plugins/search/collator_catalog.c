/* SPDX-License-Identifier: MIT */
/* The "software-catalog" collator: catalog entities as search documents. */
#include "plugins/search/collator_catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/entities.h"
#include "plugins/search/internal.h"

/* Annotations whose values are worth matching: they name repositories and projects. */
static const char *const keyword_annotations[] = {
    "github.com/project-slug",
    "gitlab.com/project-slug",
    "jira/project-key",
    NULL,
};

typedef struct {
    gr_db *db;
    char *location_template;
} catalog_collator;

typedef struct {
    catalog_collator *collator;
    gr_search_sink *sink;
} emit_context;

char *gr_search_location(const char *location_template, const char *namespace_,
                         const char *kind, const char *name, const char *path)
{
    const char *names[] = {":namespace", ":kind", ":name", ":path"};
    const char *values[] = {namespace_, kind, name, path};
    char *out = gr_xstrdup(location_template);

    for (size_t i = 0; i < 4; i++) {
        char *at = values[i] ? strstr(out, names[i]) : NULL;
        char *next;

        if (at == NULL)
            continue;
        next = gr_xasprintf("%.*s%s%s", (int)(at - out), out, values[i], at + strlen(names[i]));
        free(out);
        out = next;
    }
    return out;
}

static void keyword_add(gr_buf *keywords, const char *word)
{
    if (word == NULL || word[0] == '\0')
        return;
    if (keywords->len > 0)
        gr_buf_putc(keywords, ' ');
    gr_buf_puts(keywords, word);
}

static void collect_keywords(const json_t *entity, gr_buf *keywords)
{
    const json_t *tags = json_object_get(json_object_get(entity, "metadata"), "tags");
    const json_t *annotations = json_object_get(json_object_get(entity, "metadata"),
                                                "annotations");
    size_t i;
    const json_t *tag;

    keyword_add(keywords, gr_search_entity_string(entity, "metadata.name"));
    json_array_foreach(tags, i, tag)
        keyword_add(keywords, json_string_value(tag));
    keyword_add(keywords, gr_search_entity_string(entity, "spec.system"));
    keyword_add(keywords, gr_search_entity_string(entity, "spec.profile.email"));
    for (i = 0; keyword_annotations[i] != NULL; i++)
        keyword_add(keywords, json_string_value(json_object_get(annotations,
                                                                keyword_annotations[i])));
}

/* Backstage joins the description and, for users and groups, the display
 * name with " : ", also when the description is empty. */
static char *document_text(const json_t *entity, const char *kind)
{
    const char *description = gr_search_entity_string(entity, "metadata.description");
    const char *display_name = gr_search_entity_string(entity, "spec.profile.displayName");
    int person = strcasecmp(kind, "user") == 0 || strcasecmp(kind, "group") == 0;

    if (person && display_name != NULL && display_name[0] != '\0')
        return gr_xasprintf("%s : %s", description ? description : "", display_name);
    return gr_xstrdup(description ? description : "");
}

static json_t *document_fields(const json_t *entity, const char *kind, const char *namespace_,
                               const char *name)
{
    const char *type = gr_search_entity_string(entity, "spec.type");
    const char *lifecycle = gr_search_entity_string(entity, "spec.lifecycle");
    const char *owner = gr_search_entity_string(entity, "spec.owner");
    const json_t *tags = json_object_get(json_object_get(entity, "metadata"), "tags");
    json_t *fields = json_object();

    if (type == NULL || type[0] == '\0')
        type = "other";
    json_object_set_new(fields, "componentType", json_string(type));
    json_object_set_new(fields, "type", json_string(type));
    json_object_set_new(fields, "namespace", json_string(namespace_));
    json_object_set_new(fields, "kind", json_string(kind));
    json_object_set_new(fields, "lifecycle", json_string(lifecycle ? lifecycle : ""));
    json_object_set_new(fields, "owner", json_string(owner ? owner : ""));
    json_object_set_new(fields, "name", json_string(name));
    if (json_is_array(tags) && json_array_size(tags) > 0)
        json_object_set(fields, "tags", (json_t *)tags);
    return fields;
}

static int emit_entity(void *payload, const char *entity_ref, const json_t *entity)
{
    emit_context *context = payload;
    const char *kind = gr_search_entity_string(entity, "kind");
    const char *name = gr_search_entity_string(entity, "metadata.name");
    const char *namespace_ = gr_search_entity_string(entity, "metadata.namespace");
    const char *title = gr_search_entity_string(entity, "metadata.title");
    gr_buf keywords = GR_BUF_INIT;
    gr_search_doc doc;
    char *kind_lower;
    int rc;

    if (kind == NULL || name == NULL) {
        gr_warn("search", "skipping entity %s: it has no kind or metadata.name", entity_ref);
        return 0;
    }
    if (namespace_ == NULL || namespace_[0] == '\0')
        namespace_ = "default";
    kind_lower = gr_search_ascii_lower(gr_xstrdup(kind));
    collect_keywords(entity, &keywords);

    memset(&doc, 0, sizeof(doc));
    doc.source = entity_ref;
    doc.title = title && title[0] != '\0' ? title : name;
    doc.text = document_text(entity, kind);
    doc.location = gr_search_location(context->collator->location_template, namespace_,
                                      kind_lower, name, NULL);
    doc.keywords = gr_buf_cstr(&keywords);
    doc.resource_ref = entity_ref;
    doc.fields = document_fields(entity, kind, namespace_, name);

    rc = gr_search_sink_add(context->sink, &doc);
    if (rc == GR_EINVALID || rc == GR_ELIMIT) {
        gr_log_fields(GR_LOG_WARN, "search", "skipping an entity that cannot be indexed",
                      "entity", entity_ref, "error", gr_error_last(), NULL);
        rc = 0;
    }
    free((char *)doc.text);
    free((char *)doc.location);
    json_decref((json_t *)doc.fields);
    gr_buf_free(&keywords);
    free(kind_lower);
    return rc;
}

static int catalog_collate_all(void *payload, gr_search_sink *sink)
{
    emit_context context = {payload, sink};

    return gr_search_entities_each(((catalog_collator *)payload)->db, NULL, emit_entity,
                                   &context);
}

static int catalog_collate_source(void *payload, const char *source, gr_search_sink *sink)
{
    catalog_collator *collator = payload;
    emit_context context = {collator, sink};
    json_t *entity = NULL;
    char *ref;
    int rc = gr_search_entity_get(collator->db, source, &entity);

    if (rc == GR_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    ref = gr_search_ascii_lower(gr_xstrdup(source));
    rc = emit_entity(&context, ref, entity);
    free(ref);
    json_decref(entity);
    return rc;
}

static void catalog_free(void *payload)
{
    catalog_collator *collator = payload;

    if (collator == NULL)
        return;
    free(collator->location_template);
    free(collator);
}

int gr_search_register_catalog(gr_search *search)
{
    catalog_collator *collator = gr_xcalloc(1, sizeof(*collator));
    gr_search_collator def = {
        .type = GR_SEARCH_TYPE_CATALOG,
        .collate_all = catalog_collate_all,
        .collate_source = catalog_collate_source,
        .follows_entities = 1,
        .payload = collator,
        .free_payload = catalog_free,
    };

    collator->db = gr_search_db(search);
    collator->location_template = gr_xstrdup(
        gr_search__config_string(gr_search_config(search),
                                 "search.collators.catalog.locationTemplate",
                                 GR_SEARCH_CATALOG_LOCATION));
    return gr_search_register_collator(search, &def);
}
