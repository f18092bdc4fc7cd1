/* SPDX-License-Identifier: MIT */
/* The TechDocs search collator's input: one document per section of every published site. */
#include "plugins/techdocs/collator.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

/* The site refs are read first, so no connection is held while sites are read. */
static int list_sites(gr_db *db, char ***refs, size_t *count)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    size_t cap = 0;
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    *refs = NULL;
    *count = 0;
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, "SELECT entity_ref FROM techdocs_sites ORDER BY entity_ref",
                           &stmt);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 64;
            *refs = gr_xrealloc(*refs, cap * sizeof(char *));
        }
        (*refs)[(*count)++] = gr_xstrdup(gr_db_column_text(stmt, 0));
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

static json_t *string_or_null(const json_t *value)
{
    return json_is_string(value) ? json_incref((json_t *)value) : json_null();
}

/* The fields every document of one entity shares. */
static json_t *entity_fields(const json_t *entity, const gr_techdocs_triplet *triplet)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const json_t *spec = json_object_get(entity, "spec");
    const json_t *namespace = json_object_get(metadata, "namespace");

    return json_pack("{s:O, s:o, s:O, s:o, s:o, s:o, s:o, s:{s:s}}", "kind",
                     json_object_get(entity, "kind"), "namespace",
                     namespace ? json_incref((json_t *)namespace) : json_string("default"),
                     "name", json_object_get(metadata, "name"), "entityTitle",
                     string_or_null(json_object_get(metadata, "title")), "componentType",
                     string_or_null(json_object_get(spec, "type")), "lifecycle",
                     string_or_null(json_object_get(spec, "lifecycle")), "owner",
                     json_is_string(json_object_get(spec, "owner"))
                         ? json_incref(json_object_get(spec, "owner"))
                         : json_string(""),
                     "authorization", "resourceRef", triplet->ref);
}

static int collate_site(gr_techdocs_service *service, const char *entity_ref,
                        gr_techdocs_document_fn fn, void *payload)
{
    gr_techdocs_triplet triplet = {NULL, NULL, NULL, NULL};
    gr_techdocs_blob blob = {NULL, NULL, NULL, 0};
    json_t *entity = NULL;
    json_t *index = NULL;
    json_t *shared = NULL;
    const char *colon = strchr(entity_ref, ':');
    const char *slash = colon ? strchr(colon, '/') : NULL;
    char *kind = colon ? gr_xstrndup(entity_ref, (size_t)(colon - entity_ref)) : NULL;
    char *namespace = slash ? gr_xstrndup(colon + 1, (size_t)(slash - colon - 1)) : NULL;
    int rc = slash ? gr_techdocs_triplet_init(&triplet, namespace, kind, slash + 1)
                   : gr_error_set(GR_EINVALID, "malformed site ref %s", entity_ref);
    size_t i;
    json_t *entry;

    if (rc == GR_OK)
        rc = gr_techdocs_entity_load(gr_techdocs_service_db(service), &triplet, &entity);
    if (rc == GR_OK)
        rc = gr_techdocs_service_read(service, &triplet, "search/search_index.json", 1, &blob);
    if (rc == GR_OK)
        index = json_loadb((const char *)blob.data, blob.size, 0, NULL);
    if (rc != GR_OK || index == NULL) {
        /* A site without an entity or an index has nothing to collate. */
        rc = rc == GR_ENOTFOUND || rc == GR_OK ? GR_OK : rc;
        goto done;
    }
    shared = entity_fields(entity, &triplet);
    json_array_foreach(json_object_get(index, "docs"), i, entry)
    {
        const char *location = json_string_value(json_object_get(entry, "location"));
        json_t *document = json_deep_copy(shared);

        json_object_set(document, "title", json_object_get(entry, "title"));
        json_object_set(document, "text", json_object_get(entry, "text"));
        json_object_set_new(document, "path", json_string(location ? location : ""));
        json_object_set_new(document, "location",
                            json_sprintf("/docs/%s/%s/%s/%s", triplet.namespace, triplet.kind,
                                         triplet.name, location ? location : ""));
        rc = fn(document, payload);
        json_decref(document);
        if (rc != 0)
            break;
    }

done:
    json_decref(shared);
    json_decref(index);
    json_decref(entity);
    gr_techdocs_blob_free(&blob);
    gr_techdocs_triplet_free(&triplet);
    free(kind);
    free(namespace);
    return rc;
}

int gr_techdocs_collate_site(gr_techdocs_service *service, const char *entity_ref,
                             gr_techdocs_document_fn fn, void *payload)
{
    gr_techdocs_site site;
    int rc = gr_techdocs_store_site(gr_techdocs_service_store(service), entity_ref, &site);

    gr_techdocs_site_free(&site);
    if (rc == GR_ENOTFOUND) {
        gr_error_clear();
        return GR_OK;
    }
    return rc == GR_OK ? collate_site(service, entity_ref, fn, payload) : rc;
}

int gr_techdocs_sites_published_since(gr_techdocs_service *service, int64_t after_ms,
                                      gr_techdocs_site_fn fn, void *payload, int64_t *latest_ms)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(gr_techdocs_service_db(service), GR_DB_READ, &conn);

    *latest_ms = after_ms;
    if (rc == GR_OK)
        rc = gr_db_prepare(conn,
                           "SELECT entity_ref, published_at FROM techdocs_sites"
                           " WHERE published_at > ? ORDER BY published_at",
                           &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, 1, after_ms);
    while (rc == GR_OK && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        int64_t published_at = gr_db_column_int64(stmt, 1);

        if (published_at > *latest_ms)
            *latest_ms = published_at;
        rc = fn != NULL ? fn(gr_db_column_text(stmt, 0), payload) : GR_OK;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc == GR_DB_DONE ? GR_OK : rc;
}

int gr_techdocs_collate(gr_techdocs_service *service, gr_techdocs_document_fn fn, void *payload)
{
    char **refs = NULL;
    size_t count = 0;
    int rc = list_sites(gr_techdocs_service_db(service), &refs, &count);

    for (size_t i = 0; rc == GR_OK && i < count; i++)
        rc = collate_site(service, refs[i], fn, payload);
    for (size_t i = 0; i < count; i++)
        free(refs[i]);
    free(refs);
    return rc;
}
