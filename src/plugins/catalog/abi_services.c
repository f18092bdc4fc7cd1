/* SPDX-License-Identifier: MIT */
/* The catalog functions of the plugin ABI: permission-checked reads and queries, change hooks and
 * the entities of plugin providers. */
#include "plugins/catalog/abi_services.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "plugins/catalog/api/predicate.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/store.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/ref.h"
#include "plugins/catalog/permission/access.h"

/** Permission that catalog reads through the ABI are checked against. */
#define READ_PERMISSION "catalog.entity.read"

static const gr_catalog_abi_services *services_of(const gr_plugin_catalog_provider *self)
{
    return (const gr_catalog_abi_services *)self;
}

/* ---- Reads ---- */

/*
 * Stores in *out the catalog.entity.read access predicate of the caller of
 * `req` (permission/access.h), applied inside the SQL of each read. Reads
 * with no request (a plugin reading for itself) are allowed everything.
 * Returns 0 or GR_EINVALID.
 */
static int read_access(const gr_catalog_abi_services *services, gr_request *req, json_t **out)
{
    *out = NULL;
    if (req == NULL)
        return GR_OK;
    return gr_catalog_access_get(services->permissions, gr_req_identity(req), READ_PERMISSION,
                                 out);
}

static char *lower_ref(const char *ref)
{
    char *copy = gr_xstrdup(ref);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

static int provider_get(const gr_plugin_catalog_provider *self, gr_request *req, const char *ref,
                        char **out_json)
{
    const gr_catalog_abi_services *services = services_of(self);
    gr_buf text = GR_BUF_INIT;
    json_t *access = NULL;
    char *key;
    int rc;

    *out_json = NULL;
    if ((rc = read_access(services, req, &access)) < 0)
        return rc;
    key = lower_ref(ref);
    rc = gr_catalog_read_by_ref(gr_catalog_db(services->catalog), key, access, &text);
    free(key);
    /* A hidden entity reads as missing, as the catalog API responds. */
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", ref);
    if (rc == GR_OK)
        *out_json = gr_buf_detach(&text);
    json_decref(access);
    gr_buf_free(&text);
    return rc;
}

static int provider_query(const gr_plugin_catalog_provider *self, gr_request *req,
                          const char *filter, size_t limit, char **out_json)
{
    const gr_catalog_abi_services *services = services_of(self);
    gr_catalog_list list = {.filter = NULL, .order = NULL, .limit = -1, .offset = 0};
    gr_buf text = GR_BUF_INIT;
    json_t *predicate = NULL;
    json_t *access = NULL;
    json_t *readable = NULL;
    int more = 0;
    int rc;

    *out_json = NULL;
    if ((rc = read_access(services, req, &access)) < 0)
        return rc;
    if (filter != NULL && filter[0] != '\0' &&
        (rc = gr_catalog_filter_parse(&filter, 1, &predicate)) < 0)
        goto done;
    readable = gr_catalog_access_and(predicate, access);
    list.filter = readable;
    if (limit > 0)
        list.limit = (int64_t)limit;
    gr_buf_putc(&text, '[');
    rc = gr_catalog_read_list(gr_catalog_db(services->catalog), &list, NULL, &text, &more);
    gr_buf_putc(&text, ']');
    if (rc == GR_OK)
        *out_json = gr_buf_detach(&text);
done:
    json_decref(readable);
    json_decref(access);
    json_decref(predicate);
    gr_buf_free(&text);
    return rc;
}

/* ---- Change hooks ---- */

static int provider_on_change(const gr_plugin_catalog_provider *self,
                              gr_plugin_entity_changed_fn fn, void *payload)
{
    return gr_catalog_on_stitched(services_of(self)->catalog, fn, payload);
}

/* ---- Entities of plugin providers ---- */

/* Fills in the location annotations a provided entity needs when the plugin left them out. */
static void annotate(json_t *entity, const char *source_key)
{
    json_t *metadata = json_object_get(entity, "metadata");
    json_t *annotations = json_object_get(metadata, "annotations");
    char *location = gr_xasprintf("plugin:%s", source_key);

    if (!json_is_object(annotations)) {
        annotations = json_object();
        json_object_set_new(metadata, "annotations", annotations);
    }
    if (json_object_get(annotations, "backstage.io/managed-by-location") == NULL)
        json_object_set_new(annotations, "backstage.io/managed-by-location", json_string(location));
    if (json_object_get(annotations, "backstage.io/managed-by-origin-location") == NULL)
        json_object_set_new(annotations, "backstage.io/managed-by-origin-location",
                            json_string(location));
    free(location);
}

/*
 * Stores the JSON array in `text` in *out (caller frees). `items` names its items in messages
 * ("entities"). Returns 0, GR_EINVALID or GR_ELIMIT.
 */
static int load_array(const char *source_key, const char *text, const char *items, json_t **out)
{
    json_error_t error;
    json_t *array = json_loads(text != NULL ? text : "", 0, &error);
    int rc = GR_OK;

    *out = NULL;
    if (!json_is_array(array))
        rc = gr_error_set(GR_EINVALID, "provider %s: expected a JSON array of %s (%s)", source_key,
                          items, array == NULL ? error.text : "not an array");
    else if (json_array_size(array) > GR_CATALOG_PROVIDER_MAX_ENTITIES)
        rc = gr_error_set(GR_ELIMIT, "provider %s: more than %d %s in one run", source_key,
                          GR_CATALOG_PROVIDER_MAX_ENTITIES, items);
    if (rc == GR_OK)
        *out = array;
    else
        json_decref(array);
    return rc;
}

/*
 * Parses a JSON array of entities into provided items. Returns 0 with
 * *items (free each with gr_catalog__provided_free() and the array), or
 * GR_EINVALID naming the first bad item; *count items are set either way.
 */
static int parse_entities(const char *source_key, const char *text, gr_catalog_provided **items,
                          size_t *count)
{
    json_t *array = NULL;
    size_t index;
    json_t *entity;
    int rc;

    *items = NULL;
    *count = 0;
    if ((rc = load_array(source_key, text, "entities", &array)) < 0)
        return rc;
    *items = gr_xcalloc(json_array_size(array) + 1, sizeof(**items));
    json_array_foreach (array, index, entity) {
        const json_t *metadata = json_object_get(entity, "metadata");

        if (!json_is_string(json_object_get(entity, "kind")) || !json_is_object(metadata) ||
            !json_is_string(json_object_get(metadata, "name"))) {
            rc = gr_error_set(GR_EINVALID, "provider %s: entity %zu has no kind or metadata.name",
                              source_key, index);
            break;
        }
        annotate(entity, source_key);
        gr_catalog__provided_init(&(*items)[index], entity, source_key);
        (*count)++;
        if (strlen((*items)[index].ref) > GR_CATALOG_MAX_ENTITY_REF_BYTES) {
            rc = gr_error_set(GR_EINVALID,
                              "provider %s: entity %zu has a ref of %zu bytes, more than the "
                              "maximum of %d bytes for kind, namespace and name together",
                              source_key, index, strlen((*items)[index].ref),
                              GR_CATALOG_MAX_ENTITY_REF_BYTES);
            break;
        }
    }
    json_decref(array);
    return rc;
}

static void free_items(gr_catalog_provided *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gr_catalog__provided_free(&items[i]);
    free(items);
}

/* Returns the ref of one item of a delta's removals, lower-cased, or NULL when it names none. */
static char *removed_ref(const json_t *item)
{
    const json_t *entity = json_object_get(item, "entity");
    const char *text = json_is_string(item) ? json_string_value(item)
                                            : json_string_value(json_object_get(item, "entityRef"));
    gr_entity_ref ref = GR_ENTITY_REF_INIT;
    char *out = NULL;

    if (json_is_object(entity)) {
        const json_t *metadata = json_object_get(entity, "metadata");

        if (json_is_string(json_object_get(entity, "kind")) &&
            json_is_string(json_object_get(metadata, "name")))
            return gr_model_entity_ref(entity);
        return NULL;
    }
    if (text != NULL && gr_model_ref_parse(text, NULL, NULL, &ref) == GR_OK)
        out = gr_model_ref_format(&ref);
    gr_entity_ref_free(&ref);
    return out;
}

/*
 * Parses the removals of a delta: a JSON array of entity refs, {"entityRef": ref} or
 * {"entity": entity} objects. Returns 0 with *refs (free each and the array) or GR_EINVALID
 * naming the first bad item; *count refs are set either way.
 */
static int parse_removed(const char *source_key, const char *text, char ***refs, size_t *count)
{
    json_t *array = NULL;
    size_t index;
    json_t *item;
    int rc;

    *refs = NULL;
    *count = 0;
    if (text == NULL)
        return GR_OK;
    if ((rc = load_array(source_key, text, "removed entity refs", &array)) < 0)
        return rc;
    *refs = gr_xcalloc(json_array_size(array) + 1, sizeof(**refs));
    json_array_foreach (array, index, item) {
        char *ref = removed_ref(item);

        if (ref == NULL) {
            rc = gr_error_set(GR_EINVALID,
                              "provider %s: removal %zu is not an entity ref such as "
                              "\"component:default/name\", an {\"entityRef\": ref} or an "
                              "{\"entity\": entity} object",
                              source_key, index);
            break;
        }
        (*refs)[(*count)++] = ref;
    }
    json_decref(array);
    return rc;
}

static void free_refs(char **refs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(refs[i]);
    free(refs);
}

static int provider_provide(const gr_plugin_catalog_provider *self, const char *source_key,
                            const char *entities_json, const char *removed_json, int full)
{
    gr_catalog *catalog = services_of(self)->catalog;
    gr_catalog_provided *items = NULL;
    char **removed = NULL;
    size_t count = 0, removed_count = 0;
    char *cause = NULL;
    int rc = parse_entities(source_key, entities_json, &items, &count);

    if (rc == GR_OK && !full)
        rc = parse_removed(source_key, removed_json, &removed, &removed_count);
    if (rc < 0)
        goto done;
    cause = gr_xasprintf("provider %s", source_key);
    if (full)
        rc = gr_catalog__provider_full(catalog, source_key, items, count, cause);
    else
        rc = gr_catalog__provider_delta(catalog, source_key, items, count, removed, removed_count,
                                        cause);
done:
    free(cause);
    free_items(items, count);
    free_refs(removed, removed_count);
    return rc;
}

void gr_catalog_abi_services_init(gr_catalog_abi_services *out, gr_catalog *catalog,
                                  const gr_permission_policy *permissions)
{
    out->provider.header.struct_size = sizeof(out->provider);
    out->provider.header.version = 1;
    out->provider.get = provider_get;
    out->provider.query = provider_query;
    out->provider.on_change = provider_on_change;
    out->provider.provide = provider_provide;
    out->catalog = catalog;
    out->permissions = permissions;
}
