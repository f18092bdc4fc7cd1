/* SPDX-License-Identifier: MIT */
/* The "techdocs" collator: sections of published TechDocs sites as search documents. */
#include "plugins/search/collator_techdocs.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/collator_catalog.h"
#include "plugins/search/entities.h"
#include "plugins/search/internal.h"

#define TECHDOCS_REF_ANNOTATION "backstage.io/techdocs-ref"

/* One site seen by the poller: its entity ref and its index file's state. */
typedef struct {
    char *ref;
    int64_t mtime_ns;
    int64_t size;
} site_state;

typedef struct {
    gr_db *db;
    char *publish_dir;
    char *location_template;
    int legacy_casing;
    /* Poller state, touched only by the worker thread. */
    site_state *sites;
    size_t site_count;
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

/* The owner's name from the entity's ownedBy relation ("group:default/team-a" gives "team-a"). */
static const char *owner_name(const json_t *entity)
{
    const json_t *relations = json_object_get(entity, "relations");
    size_t i;
    const json_t *relation;

    json_array_foreach(relations, i, relation) {
        const char *type = json_string_value(json_object_get(relation, "type"));
        const char *target = json_string_value(json_object_get(relation, "targetRef"));

        if (type != NULL && target != NULL && strcmp(type, "ownedBy") == 0) {
            const char *slash = strrchr(target, '/');
            const char *colon = strchr(target, ':');

            if (slash != NULL)
                return slash + 1;
            if (colon != NULL)
                return colon + 1;
            return target;
        }
    }
    return "";
}

static json_t *entity_fields(const json_t *entity, const char *namespace_, const char *kind,
                             const char *name, const char *path)
{
    const char *type = gr_search_entity_string(entity, "spec.type");
    const char *lifecycle = gr_search_entity_string(entity, "spec.lifecycle");
    const char *title = gr_search_entity_string(entity, "metadata.title");
    json_t *fields = json_object();

    if (type == NULL || type[0] == '\0')
        type = "other";
    json_object_set_new(fields, "kind", json_string(kind));
    json_object_set_new(fields, "namespace", json_string(namespace_));
    json_object_set_new(fields, "name", json_string(name));
    json_object_set_new(fields, "path", json_string(path));
    if (title != NULL)
        json_object_set_new(fields, "entityTitle", json_string(title));
    json_object_set_new(fields, "componentType", json_string(type));
    json_object_set_new(fields, "type", json_string(type));
    json_object_set_new(fields, "lifecycle", json_string(lifecycle ? lifecycle : ""));
    json_object_set_new(fields, "owner", json_string(owner_name(entity)));
    return fields;
}

/* The site's folder names: the entity triplet, lower case unless legacy casing is on. */
typedef struct {
    char *namespace_;
    char *kind;
    char *name;
} triplet;

static int entity_triplet(const techdocs_collator *collator, const json_t *entity, triplet *out)
{
    const char *kind = gr_search_entity_string(entity, "kind");
    const char *name = gr_search_entity_string(entity, "metadata.name");
    const char *namespace_ = gr_search_entity_string(entity, "metadata.namespace");

    if (kind == NULL || name == NULL)
        return -1;
    out->namespace_ = gr_xstrdup(namespace_ && namespace_[0] ? namespace_ : "default");
    out->kind = gr_xstrdup(kind);
    out->name = gr_xstrdup(name);
    if (!collator->legacy_casing) {
        gr_search_ascii_lower(out->namespace_);
        gr_search_ascii_lower(out->kind);
        gr_search_ascii_lower(out->name);
    }
    return 0;
}

static void triplet_free(triplet *t)
{
    free(t->namespace_);
    free(t->kind);
    free(t->name);
}

/* A folder name from the catalog must not climb out of the publish directory. */
static int safe_segment(const char *segment)
{
    return segment[0] != '\0' && strcmp(segment, ".") != 0 && strcmp(segment, "..") != 0 &&
           strchr(segment, '/') == NULL;
}

static json_t *load_index(const techdocs_collator *collator, const triplet *t)
{
    char *path;
    struct stat info;
    json_error_t error;
    json_t *index = NULL;

    if (!safe_segment(t->namespace_) || !safe_segment(t->kind) || !safe_segment(t->name))
        return NULL;
    path = gr_xasprintf("%s/%s/%s/%s/search/search_index.json", collator->publish_dir,
                        t->namespace_, t->kind, t->name);
    if (stat(path, &info) != 0) {
        gr_debug("search", "no TechDocs search index at %s", path);
    } else if ((size_t)info.st_size > GR_SEARCH_TECHDOCS_MAX_INDEX_BYTES) {
        gr_warn("search", "skipping %s: it is larger than %zu bytes", path,
                GR_SEARCH_TECHDOCS_MAX_INDEX_BYTES);
    } else if ((index = json_load_file(path, 0, &error)) == NULL) {
        gr_warn("search", "skipping %s:%d: invalid JSON: %s", path, error.line, error.text);
    }
    free(path);
    return index;
}

static int emit_section(emit_context *context, const char *entity_ref, const json_t *entity,
                        const triplet *t, const json_t *entry)
{
    const char *location = json_string_value(json_object_get(entry, "location"));
    const char *title = json_string_value(json_object_get(entry, "title"));
    const char *text = json_string_value(json_object_get(entry, "text"));
    gr_search_doc doc;
    int rc;

    if (location == NULL || title == NULL)
        return 0;
    memset(&doc, 0, sizeof(doc));
    doc.source = entity_ref;
    doc.title = gr_search_unescape_html(title);
    doc.text = gr_search_unescape_html(text ? text : "");
    doc.location = gr_search_location(context->collator->location_template, t->namespace_,
                                      t->kind, t->name, location);
    doc.resource_ref = entity_ref;
    doc.fields = entity_fields(entity, t->namespace_, t->kind, t->name, location);

    rc = gr_search_sink_add(context->sink, &doc);
    if (rc == GR_EINVALID || rc == GR_ELIMIT) {
        gr_log_fields(GR_LOG_WARN, "search", "skipping a TechDocs section that cannot be indexed",
                      "entity", entity_ref, "location", location, "error", gr_error_last(), NULL);
        rc = 0;
    }
    free((char *)doc.title);
    free((char *)doc.text);
    free((char *)doc.location);
    json_decref((json_t *)doc.fields);
    return rc;
}

static int emit_site(void *payload, const char *entity_ref, const json_t *entity)
{
    emit_context *context = payload;
    const json_t *annotations = json_object_get(json_object_get(entity, "metadata"),
                                                "annotations");
    triplet t;
    json_t *index;
    size_t i;
    const json_t *entry;
    int rc = 0;

    if (json_object_get(annotations, TECHDOCS_REF_ANNOTATION) == NULL)
        return 0;
    if (entity_triplet(context->collator, entity, &t) < 0)
        return 0;
    index = load_index(context->collator, &t);
    json_array_foreach(json_object_get(index, "docs"), i, entry) {
        if ((rc = emit_section(context, entity_ref, entity, &t, entry)) < 0)
            break;
    }
    json_decref(index);
    triplet_free(&t);
    return rc;
}

static int techdocs_collate_all(void *payload, gr_search_sink *sink)
{
    emit_context context = {payload, sink};

    return gr_search_entities_each(((techdocs_collator *)payload)->db, TECHDOCS_REF_ANNOTATION,
                                   emit_site, &context);
}

static int techdocs_collate_source(void *payload, const char *source, gr_search_sink *sink)
{
    techdocs_collator *collator = payload;
    emit_context context = {collator, sink};
    json_t *entity = NULL;
    char *ref;
    int rc = gr_search_entity_get(collator->db, source, &entity);

    if (rc == GR_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    ref = gr_search_ascii_lower(gr_xstrdup(source));
    rc = emit_site(&context, ref, entity);
    free(ref);
    json_decref(entity);
    return rc;
}

/* Lists the subfolders of `dir` (caller frees each and the array). */
static char **list_dirs(const char *dir, size_t *count)
{
    DIR *handle = opendir(dir);
    struct dirent *entry;
    char **names = NULL;
    size_t cap = 0;

    *count = 0;
    if (handle == NULL)
        return NULL;
    while ((entry = readdir(handle)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN)
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            names = gr_xrealloc(names, cap * sizeof(char *));
        }
        names[(*count)++] = gr_xstrdup(entry->d_name);
    }
    closedir(handle);
    return names;
}

static void names_free(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static void scan_add(site_state **sites, size_t *count, const char *path, const char *ref)
{
    struct stat info;

    if (*count >= GR_SEARCH_TECHDOCS_MAX_SITES || stat(path, &info) != 0)
        return;
    *sites = gr_xrealloc(*sites, (*count + 1) * sizeof(**sites));
    (*sites)[*count].ref = gr_search_ascii_lower(gr_xstrdup(ref));
    (*sites)[*count].mtime_ns = (int64_t)info.st_mtim.tv_sec * 1000000000 + info.st_mtim.tv_nsec;
    (*sites)[*count].size = (int64_t)info.st_size;
    (*count)++;
}

/* Finds every <namespace>/<kind>/<name>/search/search_index.json. */
static site_state *scan(const char *root, size_t *count)
{
    site_state *sites = NULL;
    size_t ns_count;
    char **namespaces = list_dirs(root, &ns_count);

    *count = 0;
    for (size_t n = 0; n < ns_count; n++) {
        char *ns_dir = gr_xasprintf("%s/%s", root, namespaces[n]);
        size_t kind_count;
        char **kinds = list_dirs(ns_dir, &kind_count);

        for (size_t k = 0; k < kind_count; k++) {
            char *kind_dir = gr_xasprintf("%s/%s", ns_dir, kinds[k]);
            size_t name_count;
            char **names = list_dirs(kind_dir, &name_count);

            for (size_t m = 0; m < name_count; m++) {
                char *path = gr_xasprintf("%s/%s/search/search_index.json", kind_dir, names[m]);
                char *ref = gr_xasprintf("%s:%s/%s", kinds[k], namespaces[n], names[m]);

                scan_add(&sites, count, path, ref);
                free(path);
                free(ref);
            }
            names_free(names, name_count);
            free(kind_dir);
        }
        names_free(kinds, kind_count);
        free(ns_dir);
    }
    names_free(namespaces, ns_count);
    return sites;
}

static int compare_sites(const void *a, const void *b)
{
    return strcmp(((const site_state *)a)->ref, ((const site_state *)b)->ref);
}

static void sites_free(site_state *sites, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(sites[i].ref);
    free(sites);
}

/* Compares two sorted scans and notifies every site added, changed or removed. */
static void notify_changes(gr_search *search, const site_state *old, size_t old_count,
                           const site_state *now, size_t now_count)
{
    size_t i = 0;
    size_t j = 0;

    while (i < old_count || j < now_count) {
        int order = i == old_count   ? 1
                    : j == now_count ? -1
                                     : strcmp(old[i].ref, now[j].ref);

        if (order < 0) {
            gr_search_notify(search, GR_SEARCH_TYPE_TECHDOCS, old[i++].ref);
        } else if (order > 0) {
            gr_search_notify(search, GR_SEARCH_TYPE_TECHDOCS, now[j++].ref);
        } else {
            if (old[i].mtime_ns != now[j].mtime_ns || old[i].size != now[j].size)
                gr_search_notify(search, GR_SEARCH_TYPE_TECHDOCS, now[j].ref);
            i++;
            j++;
        }
    }
}

/* The first scan only records the sites: the rebuild at start-up indexes them. */
static void techdocs_poll(void *payload, gr_search *search)
{
    techdocs_collator *collator = payload;
    struct timespec now;
    site_state *sites;
    size_t count;

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (collator->scanned &&
        (now.tv_sec - collator->last_scan.tv_sec) * 1000 +
                (now.tv_nsec - collator->last_scan.tv_nsec) / 1000000 <
            GR_SEARCH_TECHDOCS_POLL_MS)
        return;
    collator->last_scan = now;

    sites = scan(collator->publish_dir, &count);
    if (count > 1)
        qsort(sites, count, sizeof(*sites), compare_sites);
    if (collator->scanned)
        notify_changes(search, collator->sites, collator->site_count, sites, count);
    sites_free(collator->sites, collator->site_count);
    collator->sites = sites;
    collator->site_count = count;
    collator->scanned = 1;
}

static void techdocs_free(void *payload)
{
    techdocs_collator *collator = payload;

    if (collator == NULL)
        return;
    sites_free(collator->sites, collator->site_count);
    free(collator->publish_dir);
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

    collator->db = gr_search_db(search);
    collator->publish_dir = gr_xstrdup(gr_search__config_string(
        cfg, "techdocs.publisher.local.publishDirectory", GR_SEARCH_TECHDOCS_PUBLISH_DIR));
    collator->location_template = gr_xstrdup(gr_search__config_string(
        cfg, "search.collators.techdocs.locationTemplate", GR_SEARCH_TECHDOCS_LOCATION));
    collator->legacy_casing =
        gr_search__config_bool(cfg, "techdocs.legacyUseCaseSensitiveTripletPaths", 0);
    return gr_search_register_collator(search, &def);
}
