/* SPDX-License-Identifier: MIT */
/* The "techdocs" collator: sections of published TechDocs sites as search documents. */
#include "plugins/search/collator_techdocs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/collator_catalog.h"
#include "plugins/search/entities.h"
#include "plugins/search/internal.h"
#include "plugins/techdocs/collator.h"

typedef struct {
    gr_techdocs_service *service; /* set by gr_search_attach_techdocs(), or NULL */
    char *location_template;
    int legacy_casing;
    /* Poller state, touched only by the worker thread. */
    int64_t published_ms; /* the newest publish time seen */
    int scanned;
    struct timespec last_scan;
} techdocs_collator;

typedef struct {
    techdocs_collator *collator;
    gr_search_sink *sink;
} emit_context;

char *gr_search_unescape_html(const char *text)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    gr_buf out = GR_BUF_INIT;

    for (const char *p = text; *p != '\0'; p++) {
        size_t i = 0;

        if (*p == '&')
            for (; i < sizeof(entities) / sizeof(entities[0]); i++)
                if (strncmp(p, entities[i].entity, strlen(entities[i].entity)) == 0)
                    break;
        if (*p == '&' && i < sizeof(entities) / sizeof(entities[0])) {
            gr_buf_putc(&out, entities[i].c);
            p += strlen(entities[i].entity) - 1;
        } else {
            gr_buf_putc(&out, *p);
        }
    }
    return gr_buf_detach(&out);
}

/* "group:default/team-a" and "team-a" both give "team-a", as Backstage shows owners. */
static const char *owner_name(const char *owner)
{
    const char *slash = strrchr(owner, '/');
    const char *colon = strchr(owner, ':');

    if (slash != NULL)
        return slash + 1;
    return colon != NULL ? colon + 1 : owner;
}

static const char *document_string(const json_t *document, const char *field)
{
    const char *value = json_string_value(json_object_get(document, field));

    return value != NULL ? value : "";
}

/* The site's triplet as it appears in locations: lower case unless legacy casing is on. */
typedef struct {
    char *namespace_;
    char *kind;
    char *name;
} triplet;

static void triplet_read(const techdocs_collator *collator, const json_t *document, triplet *out)
{
    out->namespace_ = gr_xstrdup(document_string(document, "namespace"));
    out->kind = gr_xstrdup(document_string(document, "kind"));
    out->name = gr_xstrdup(document_string(document, "name"));
    if (!collator->legacy_casing) {
        gr_search_ascii_lower(out->namespace_);
        gr_search_ascii_lower(out->kind);
        gr_search_ascii_lower(out->name);
    }
}

static void triplet_free(triplet *t)
{
    free(t->namespace_);
    free(t->kind);
    free(t->name);
}

static json_t *document_fields(const json_t *document, const triplet *t)
{
    const char *type = document_string(document, "componentType");
    const json_t *title = json_object_get(document, "entityTitle");
    json_t *fields = json_object();

    if (type[0] == '\0')
        type = "other";
    json_object_set_new(fields, "kind", json_string(t->kind));
    json_object_set_new(fields, "namespace", json_string(t->namespace_));
    json_object_set_new(fields, "name", json_string(t->name));
    json_object_set_new(fields, "path", json_string(document_string(document, "path")));
    if (json_is_string(title))
        json_object_set(fields, "entityTitle", (json_t *)title);
    json_object_set_new(fields, "componentType", json_string(type));
    json_object_set_new(fields, "type", json_string(type));
    json_object_set_new(fields, "lifecycle", json_string(document_string(document, "lifecycle")));
    json_object_set_new(fields, "owner",
                        json_string(owner_name(document_string(document, "owner"))));
    return fields;
}

/* Turns one document of gr_techdocs_collate() into an indexed one. */
static int emit_document(const json_t *document, void *payload)
{
    emit_context *context = payload;
    const char *ref = json_string_value(
        json_object_get(json_object_get(document, "authorization"), "resourceRef"));
    const char *title = json_string_value(json_object_get(document, "title"));
    const char *path = document_string(document, "path");
    gr_search_doc doc;
    triplet t;
    char *source;
    int rc;

    if (ref == NULL || title == NULL)
        return 0;
    triplet_read(context->collator, document, &t);
    source = gr_search_ascii_lower(gr_xstrdup(ref));
    memset(&doc, 0, sizeof(doc));
    doc.source = source;
    doc.title = gr_search_unescape_html(title);
    doc.text = gr_search_unescape_html(document_string(document, "text"));
    doc.location = gr_search_location(context->collator->location_template, t.namespace_, t.kind,
                                      t.name, path);
    doc.resource_ref = source;
    doc.fields = document_fields(document, &t);

    rc = gr_search_sink_add(context->sink, &doc);
    if (rc == GR_EINVALID || rc == GR_ELIMIT) {
        gr_log_fields(GR_LOG_WARN, "search", "skipping a TechDocs section that cannot be indexed",
                      "entity", source, "location", path, "error", gr_error_last(), NULL);
        rc = 0;
    }
    free((char *)doc.title);
    free((char *)doc.text);
    free((char *)doc.location);
    json_decref((json_t *)doc.fields);
    free(source);
    triplet_free(&t);
    return rc < 0 ? rc : 0;
}

static int techdocs_collate_all(void *payload, gr_search_sink *sink)
{
    techdocs_collator *collator = payload;
    emit_context context = {collator, sink};

    if (collator->service == NULL)
        return 0;
    return gr_techdocs_collate(collator->service, emit_document, &context);
}

static int techdocs_collate_source(void *payload, const char *source, gr_search_sink *sink)
{
    techdocs_collator *collator = payload;
    emit_context context = {collator, sink};
    char *ref;
    int rc;

    if (collator->service == NULL)
        return 0;
    ref = gr_search_ascii_lower(gr_xstrdup(source));
    rc = gr_techdocs_collate_site(collator->service, ref, emit_document, &context);
    free(ref);
    return rc;
}

static int notify_site(const char *entity_ref, void *search)
{
    gr_search_notify(search, GR_SEARCH_TYPE_TECHDOCS, entity_ref);
    return 0;
}

/*
 * Finds the sites published since the last look, by any process that
 * shares the database (another instance, `greenroom techdocs publish`).
 * The first look only records the newest publish time: the rebuild at
 * start-up indexes what was there.
 * NOTE: publish times come from each publisher's clock, so a publisher
 * whose clock is behind may be missed here; the scheduled rebuild adds it.
 */
static void techdocs_poll(void *payload, gr_search *search)
{
    techdocs_collator *collator = payload;
    struct timespec now;
    int64_t latest = collator->published_ms;
    int rc;

    if (collator->service == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (collator->scanned &&
        (now.tv_sec - collator->last_scan.tv_sec) * 1000 +
                (now.tv_nsec - collator->last_scan.tv_nsec) / 1000000 <
            GR_SEARCH_TECHDOCS_POLL_MS)
        return;
    collator->last_scan = now;

    rc = gr_techdocs_sites_published_since(collator->service, collator->published_ms,
                                           collator->scanned ? notify_site : NULL, search,
                                           &latest);
    if (rc < 0) {
        gr_warn("search", "looking for newly published TechDocs sites failed: %s",
                gr_error_last());
        return;
    }
    collator->published_ms = latest;
    collator->scanned = 1;
}

static void techdocs_free(void *payload)
{
    techdocs_collator *collator = payload;

    if (collator == NULL)
        return;
    free(collator->location_template);
    free(collator);
}

int gr_search_register_techdocs(gr_search *search)
{
    const gr_config *cfg = gr_search_config(search);
    techdocs_collator *collator = gr_xcalloc(1, sizeof(*collator));
    gr_search_collator def = {
        .type = GR_SEARCH_TYPE_TECHDOCS,
        .collate_all = techdocs_collate_all,
        .collate_source = techdocs_collate_source,
        .poll = techdocs_poll,
        .follows_entities = 1,
        .payload = collator,
        .free_payload = techdocs_free,
    };

    collator->published_ms = -1;
    collator->location_template = gr_xstrdup(gr_search__config_string(
        cfg, "search.collators.techdocs.locationTemplate", GR_SEARCH_TECHDOCS_LOCATION));
    collator->legacy_casing =
        gr_search__config_bool(cfg, "techdocs.legacyUseCaseSensitiveTripletPaths", 0);
    return gr_search_register_collator(search, &def);
}

void gr_search_attach_techdocs(gr_search *search, gr_techdocs_service *service)
{
    const gr_search_collator *def = gr_search__collator(search, GR_SEARCH_TYPE_TECHDOCS);

    if (def != NULL)
        ((techdocs_collator *)def->payload)->service = service;
}
