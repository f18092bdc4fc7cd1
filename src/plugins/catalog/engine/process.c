/* SPDX-License-Identifier: MIT */
/* Processing of one entity in memory: placeholders, policies, validation, relations, children. */
#include "plugins/catalog/engine/process.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/engine/processors_abi.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/yaml_stream.h"
#include "plugins/catalog/model/location.h"
#include "plugins/catalog/model/placeholder.h"
#include "plugins/catalog/model/relations.h"

/*
 * YAML limits for catalog files. They are higher than the YAML module's
 * defaults because one location file may hold a whole catalog (the
 * benchmark reads 100,000 entities from one file).
 */
#define CATALOG_YAML_MAX_NODES ((size_t)32 << 20)
#define CATALOG_YAML_MAX_SCALAR_BYTES_TOTAL ((size_t)512 << 20)
/* Maximum values in one document of a catalog file, counting alias copies. Without it, a 40 MB
 * file of one entity with 20 million values peaked at 3.2 GB of resident memory. */
#define CATALOG_YAML_MAX_DOCUMENT_NODES ((size_t)2 << 20)

/* Spec lists Backstage's BuiltinKindsEntityProcessor sorts before storing. */
static const char *const sorted_spec_fields[] = {
    "providesApis", "consumesApis", "dependsOn", "dependencyOf", "memberOf", "children", "members",
};

void gr_catalog__error_push(json_t *errors, const char *name, const char *message,
                            const char *cause_name, const char *cause_message)
{
    json_t *error = json_object();

    json_object_set_new(error, "name", json_string(name));
    if (cause_name != NULL) {
        char *full = gr_xasprintf("%s; caused by %s: %s", message, cause_name, cause_message);
        json_t *cause = json_object();

        json_object_set_new(error, "message", json_string(full));
        json_object_set_new(cause, "name", json_string(cause_name));
        json_object_set_new(cause, "message", json_string(cause_message));
        json_object_set_new(error, "cause", cause);
        free(full);
    } else {
        json_object_set_new(error, "message", json_string(message));
    }
    json_array_append_new(errors, error);
}

static void error_pushf(json_t *errors, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_pushf(json_t *errors, const char *name, const char *fmt, ...)
{
    va_list args;
    char *message;

    va_start(args, fmt);
    message = gr_xvasprintf(fmt, args);
    va_end(args);
    gr_catalog__error_push(errors, name, message, NULL, NULL);
    free(message);
}

/* Joins problems into one line: "<field>: <message>; ...". */
static char *problems_text(const gr_model_problems *problems, size_t from, int spec_only,
                           int skip_spec)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = from; i < problems->count; i++) {
        const gr_model_problem *problem = &problems->items[i];
        int is_spec = strncmp(problem->pointer, "/spec", 5) == 0;

        if ((spec_only && !is_spec) || (skip_spec && is_spec) ||
            strcmp(problem->rule, "unknown-kind") == 0)
            continue;
        if (out.len > 0)
            gr_buf_puts(&out, "; ");
        if (problem->pointer[0] != '\0')
            gr_buf_printf(&out, "%s: ", problem->pointer);
        gr_buf_puts(&out, problem->message);
    }
    return out.data ? gr_buf_detach(&out) : NULL;
}

void gr_catalog__result_free(gr_catalog_result *result)
{
    if (result == NULL)
        return;
    json_decref(result->errors);
    json_decref(result->entity);
    gr_catalog__deferred_truncate(result, 0);
    free(result->deferred);
    if (result->spill != NULL)
        fclose(result->spill);
    free(result->spill_buffer);
    for (size_t i = 0; i < result->location_key_count; i++)
        free(result->location_keys[i]);
    free(result->location_keys);
    for (size_t i = 0; i < result->relation_count; i++) {
        free(result->relations[i].source);
        free(result->relations[i].target);
    }
    free(result->relations);
    for (size_t i = 0; i < result->refresh_key_count; i++)
        free(result->refresh_keys[i]);
    free(result->refresh_keys);
    memset(result, 0, sizeof(*result));
}

static void refresh_key_push(gr_catalog_result *result, char *key)
{
    for (size_t i = 0; i < result->refresh_key_count; i++) {
        if (strcmp(result->refresh_keys[i], key) == 0) {
            free(key);
            return;
        }
    }
    if (result->refresh_key_count == result->refresh_key_cap) {
        result->refresh_key_cap = result->refresh_key_cap ? result->refresh_key_cap * 2 : 4;
        result->refresh_keys =
            gr_xrealloc(result->refresh_keys, result->refresh_key_cap * sizeof(char *));
    }
    result->refresh_keys[result->refresh_key_count++] = key;
}

/*
 * Returns `defaults` deep-merged with `value`, whose members win, keeping
 * the defaults' keys first (as lodash.merge(defaults, value)). `defaults` is
 * changed in place. Members of `value` are shared, not copied: the caller
 * owns `value` and releases it right after, so the result is their only
 * owner and may be changed freely.
 */
static json_t *merge_defaults(json_t *defaults, json_t *value)
{
    const char *key;
    json_t *item;

    json_object_foreach (value, key, item) {
        json_t *existing = json_object_get(defaults, key);

        if (json_is_object(existing) && json_is_object(item) && existing != item)
            merge_defaults(existing, item);
        else
            json_object_set(defaults, key, item);
    }
    return defaults;
}

static void sort_spec_lists(json_t *entity)
{
    json_t *spec = json_object_get(entity, "spec");

    if (!json_is_object(spec))
        return;
    for (size_t f = 0; f < sizeof(sorted_spec_fields) / sizeof(sorted_spec_fields[0]); f++) {
        json_t *list = json_object_get(spec, sorted_spec_fields[f]);
        size_t count = json_array_size(list);
        json_t **items;
        bool all_strings = true;

        for (size_t i = 0; i < count && all_strings; i++)
            all_strings = json_is_string(json_array_get(list, i));
        if (count < 2 || !all_strings)
            continue;
        items = gr_xmalloc(count * sizeof(*items));
        for (size_t i = 0; i < count; i++)
            items[i] = json_incref(json_array_get(list, i));
        /* Insertion sort by code units, as JavaScript's default sort on ASCII refs. */
        for (size_t i = 1; i < count; i++) {
            json_t *current = items[i];
            size_t k = i;

            while (k > 0 && strcmp(json_string_value(items[k - 1]), json_string_value(current)) > 0) {
                items[k] = items[k - 1];
                k--;
            }
            items[k] = current;
        }
        json_array_clear(list);
        for (size_t i = 0; i < count; i++)
            json_array_append_new(list, items[i]);
        free(items);
    }
}

/* Resolves "./x" of a URL to its folder, as the source-location annotation wants. */
static char *folder_url(const char *target)
{
    char *folder = gr_catalog__resolve_target("url", target, "./");
    char *blob = strstr(folder, "/blob/");

    /* GitHub shows folders under /tree/ where files are under /blob/. */
    if (blob != NULL)
        memcpy(blob, "/tree/", 6);
    return folder;
}

/*
 * Adds the annotations Backstage's AnnotateLocationEntityProcessor adds:
 * managed-by-location, managed-by-origin-location and, for url locations,
 * view-url, edit-url and source-location. Values the entity sets win.
 */
static json_t *annotate_location(json_t *entity, const char *location_ref, const char *type,
                                 const char *target, const char *origin_ref)
{
    json_t *defaults = json_object();
    json_t *metadata = json_object();
    json_t *annotations = json_object();

    json_object_set_new(annotations, GR_ANNOTATION_LOCATION, json_string(location_ref));
    json_object_set_new(annotations, GR_ANNOTATION_ORIGIN_LOCATION, json_string(origin_ref));
    if (strcmp(type, "url") == 0) {
        char *source = folder_url(target);
        char *source_ref = gr_xasprintf("url:%s", source);
        char *edit = gr_xstrdup(target);
        char *blob = strstr(edit, "/blob/");

        json_object_set_new(annotations, GR_ANNOTATION_VIEW_URL, json_string(target));
        if (blob != NULL) {
            memcpy(blob, "/edit/", 6);
            json_object_set_new(annotations, GR_ANNOTATION_EDIT_URL, json_string(edit));
        }
        json_object_set_new(annotations, GR_ANNOTATION_SOURCE_LOCATION, json_string(source_ref));
        free(source);
        free(source_ref);
        free(edit);
    }
    json_object_set_new(metadata, "annotations", annotations);
    json_object_set_new(defaults, "metadata", metadata);
    return merge_defaults(defaults, entity);
}

static json_t *default_namespace(json_t *entity)
{
    json_t *defaults = json_object();
    json_t *metadata = json_object();

    json_object_set_new(metadata, "namespace", json_string(GR_MODEL_DEFAULT_NAMESPACE));
    json_object_set_new(defaults, "metadata", metadata);
    return merge_defaults(defaults, entity);
}

/* The reader of placeholder targets: relative to the entity's own location. */
typedef struct {
    gr_catalog *catalog;
    const char *type;
    const char *file_root;
} placeholder_source;

/* True when a placeholder names an absolute http or https URL. */
static bool is_absolute_url(const char *target)
{
    return strncasecmp(target, "http://", 7) == 0 || strncasecmp(target, "https://", 8) == 0;
}

/*
 * Reads a placeholder's target. An absolute URL goes through the URL reader
 * whatever the entity's location type, so the integrations and
 * backend.reading.allow decide which hosts may be read. Other targets resolve
 * against the entity's own location and use its reader.
 */
static int placeholder_read(void *payload, const char *base, const char *target, char **text_out,
                            size_t *len_out)
{
    placeholder_source *source = payload;
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    const char *type = is_absolute_url(target) ? "url" : source->type;
    char *resolved;
    int rc;

    if (strcmp(type, "file") == 0) {
        gr_model_file_reader reader = {.root = source->file_root};

        return gr_model_file_read(&reader, base, target, text_out, len_out);
    }
    if (strcmp(type, "git") == 0 && !gr_catalog__git_target_inside(target))
        return gr_error_set(GR_EINVALID,
                            "%s is not a relative path; in a git location a placeholder reads "
                            "files of its own repository, or an http(s) URL",
                            target);
    resolved = gr_catalog__resolve_target(type, base, target);
    rc = gr_catalog__read_location(&source->catalog->settings, type, resolved, &files);
    free(resolved);
    if (rc == GR_OK) {
        *text_out = files.items[0].data;
        *len_out = files.items[0].len;
        files.items[0].data = NULL;
    }
    gr_catalog__files_free(&files);
    return rc;
}

void gr_catalog__deferred_free(gr_catalog_deferred *child)
{
    free(child->ref);
    free(child->json);
    child->ref = NULL;
    child->json = NULL;
}

void gr_catalog__deferred_truncate(gr_catalog_result *result, size_t count)
{
    for (size_t i = count; i < result->deferred_count; i++) {
        if (result->deferred[i].json != NULL)
            result->deferred_held -= result->deferred[i].len;
        gr_catalog__deferred_free(&result->deferred[i]);
    }
    if (count < result->deferred_count)
        result->deferred_count = count;
}

/* Reads `len` bytes at `offset` of the spill file into the result's buffer. */
static int spill_read(gr_catalog_result *result, long offset, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t got = pread(fileno(result->spill), result->spill_buffer + done, len - done,
                            (off_t)offset + (off_t)done);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO; /* the file is shorter than the offsets written to it */
            return -1;
        }
        done += (size_t)got;
    }
    return 0;
}

const char *gr_catalog__deferred_json(gr_catalog_result *result, size_t index)
{
    gr_catalog_deferred *child = &result->deferred[index];

    if (child->json != NULL)
        return child->json;
    if (result->spill_buffer_cap < child->len + 1) {
        result->spill_buffer_cap = child->len + 1;
        result->spill_buffer = gr_xrealloc(result->spill_buffer, result->spill_buffer_cap);
    }
    if (spill_read(result, child->offset, child->len) != 0) {
        gr_error_set(GR_EBACKEND, "reading entity %s back from a temporary file failed: %s",
                     child->ref, strerror(errno));
        return NULL;
    }
    result->spill_buffer[child->len] = '\0';
    return result->spill_buffer;
}

/* Returns the result's copy of `key`, adding it when new. Children of one file share it. */
static const char *location_key_intern(gr_catalog_result *result, const char *key)
{
    for (size_t i = result->location_key_count; i > 0; i--) {
        if (strcmp(result->location_keys[i - 1], key) == 0)
            return result->location_keys[i - 1];
    }
    result->location_keys = gr_xrealloc(result->location_keys,
                                        (result->location_key_count + 1) * sizeof(char *));
    result->location_keys[result->location_key_count] = gr_xstrdup(key);
    return result->location_keys[result->location_key_count++];
}

/*
 * Moves the JSON of `item` to the spill file. Keeps it in memory when the file fails. The
 * file is only appended to and read back with pread(): writing the children of a location
 * of 100,000 entities needs no seek, and reading one back needs one system call. The file
 * has no stdio buffer, so a failed write (disk full, file size limit) fails for the child
 * being written only: a buffer would drop the children it held, whose JSON is already freed.
 */
static void spill(gr_catalog_result *result, gr_catalog_deferred *item)
{
    if (result->spill_failed)
        return;
    if (result->spill == NULL) {
        result->spill = tmpfile();
        if (result->spill != NULL && setvbuf(result->spill, NULL, _IONBF, 0) != 0) {
            fclose(result->spill);
            result->spill = NULL;
        }
    }
    if (result->spill == NULL || fwrite(item->json, 1, item->len, result->spill) != item->len) {
        /* A partial write leaves the file's end unknown, so nothing more goes there. */
        result->spill_failed = true;
        return;
    }
    item->offset = result->spill_end;
    result->spill_end += (long)item->len;
    free(item->json);
    item->json = NULL;
}

static void deferred_push(gr_catalog_result *result, json_t *entity, const char *location_key)
{
    gr_catalog_deferred *item;

    if (result->deferred_count == result->deferred_cap) {
        result->deferred_cap = result->deferred_cap ? result->deferred_cap * 2 : 8;
        result->deferred = gr_xrealloc(result->deferred,
                                       result->deferred_cap * sizeof(*result->deferred));
    }
    item = &result->deferred[result->deferred_count++];
    memset(item, 0, sizeof(*item));
    item->ref = gr_model_entity_ref(entity);
    item->json = gr_catalog__json_text(entity);
    item->len = strlen(item->json);
    /* A document serializes the same way as long as its text does, so the hash of the stored
     * text shows whether it changed. */
    gr_catalog__sha1_hex(item->json, item->len, item->hash);
    item->location_key = location_key_intern(result, location_key);
    if (result->deferred_held + item->len > GR_CATALOG_DEFERRED_MEMORY)
        spill(result, item);
    if (item->json != NULL)
        result->deferred_held += item->len;
}

typedef struct {
    gr_catalog *catalog;
    gr_catalog_result *result;
    const char *parent_ref;
    const char *origin_type;
    const char *origin_target;
    const char *origin_ref;
    char *not_allowed; /* first rule violation, reported after processing */
} emit_context;

static const char *js_typeof(const json_t *value)
{
    if (json_is_string(value))
        return "string";
    if (json_is_number(value))
        return "number";
    if (json_is_boolean(value))
        return "boolean";
    return "object";
}

/* Turns one document of a read file into a child entity, as Backstage's
 * ProcessorOutputCollector does for emitted entities. */
static void emit_document(emit_context *context, json_t *document, const char *location_ref,
                          int line)
{
    gr_catalog *catalog = context->catalog;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    char *ref = NULL;
    char *text;

    if (json_is_null(document))
        return;
    if (!json_is_object(document)) {
        error_pushf(context->result->errors, "Error", "Expected object at root, got %s, at %s:%d",
                    js_typeof(document), location_ref, line);
        return;
    }
    if (gr_model_check_envelope(catalog->model, document, &problems) != GR_OK) {
        text = problems_text(&problems, 0, 0, 0);
        error_pushf(context->result->errors, "TypeError", "Malformed envelope at %s:%d, %s",
                    location_ref, line, text ? text : "invalid entity");
        free(text);
        goto done;
    }
    ref = gr_model_entity_ref(document);
    if (strlen(ref) > GR_CATALOG_MAX_ENTITY_REF_BYTES) {
        error_pushf(context->result->errors, "InputError",
                    "Entity at %s:%d has a ref of %zu bytes, more than the maximum of %d bytes "
                    "for kind, namespace and name together; shorten them (Backstage allows at "
                    "most 63 characters in each)",
                    location_ref, line, strlen(ref), GR_CATALOG_MAX_ENTITY_REF_BYTES);
        goto done;
    }
    if (strcmp(ref, context->parent_ref) == 0)
        goto done;
    if (gr_model_annotate_location(document, location_ref, context->origin_ref, &problems) !=
        GR_OK) {
        error_pushf(context->result->errors, "Error",
                    "metadata.annotations must be a valid object, in %s at %s:%d", ref,
                    location_ref, line);
        goto done;
    }
    if (context->not_allowed == NULL &&
        !gr_catalog__rules_allow(&catalog->settings,
                                 json_string_value(json_object_get(document, "kind")),
                                 json_string_value(json_object_get(
                                     json_object_get(document, "spec"), "type")),
                                 context->origin_type, context->origin_target)) {
        context->not_allowed = gr_xasprintf(
            "Entity %s at %s, originated at %s, is not of an allowed kind for that location. "
            "Allow %s in catalog.rules, or in the rules of the catalog.locations entry of %s",
            ref, location_ref, context->origin_ref,
            json_string_value(json_object_get(document, "kind")), context->origin_ref);
    }
    deferred_push(context->result, document, location_ref);
done:
    free(ref);
    gr_model_problems_free(&problems);
}

typedef struct {
    emit_context *context;
    const char *location_ref;
    size_t deferred_mark;  /* children before this file */
    size_t error_mark;     /* errors before this file */
    bool had_not_allowed;  /* a rule violation before this file */
} file_emitter;

static void file_document(void *payload, json_t *root, int line)
{
    file_emitter *emitter = payload;

    emit_document(emitter->context, root, emitter->location_ref, line);
}

/* Forgets what the documents of this file added, before the file is read again. */
static void file_restart(void *payload)
{
    file_emitter *emitter = payload;
    gr_catalog_result *result = emitter->context->result;

    gr_catalog__deferred_truncate(result, emitter->deferred_mark);
    while (json_array_size(result->errors) > emitter->error_mark)
        json_array_remove(result->errors, json_array_size(result->errors) - 1);
    if (!emitter->had_not_allowed) {
        free(emitter->context->not_allowed);
        emitter->context->not_allowed = NULL;
    }
}

/* Pushes Backstage's "YAML error at LOCATION, ..." for the parser's `message`, which starts
 * with "LOCATION:" and usually a position, so that the location is named once. */
static void yaml_error_push(json_t *errors, const char *location_ref, const char *message)
{
    size_t location_len = strlen(location_ref);
    unsigned long line, column;
    int used = 0;

    if (strncmp(message, location_ref, location_len) != 0 || message[location_len] != ':') {
        error_pushf(errors, "Error", "YAML error at %s, %s", location_ref, message);
        return;
    }

    message += location_len + 1;
    if (message[0] >= '0' && message[0] <= '9' &&
        sscanf(message, "%lu:%lu: %n", &line, &column, &used) == 2 && used > 0) {
        error_pushf(errors, "Error", "YAML error at %s, line %lu, column %lu: %s", location_ref,
                    line, column, message + used);
        return;
    }
    while (*message == ' ')
        message++;
    error_pushf(errors, "Error", "YAML error at %s, %s", location_ref, message);
}

static void emit_file(emit_context *context, const char *type, const gr_catalog_file *file)
{
    gr_yaml_limits limits = {
        .max_input_bytes = context->catalog->settings.read_max_bytes,
        .max_nodes = CATALOG_YAML_MAX_NODES,
        .max_total_scalar_bytes = CATALOG_YAML_MAX_SCALAR_BYTES_TOTAL,
        .max_document_nodes = CATALOG_YAML_MAX_DOCUMENT_NODES,
    };
    char *location_ref = gr_xasprintf("%s:%s", type, file->target);
    file_emitter emitter = {
        .context = context,
        .location_ref = location_ref,
        .deferred_mark = context->result->deferred_count,
        .error_mark = json_array_size(context->result->errors),
        .had_not_allowed = context->not_allowed != NULL,
    };
    gr_catalog_yaml_sink sink = {file_document, file_restart, &emitter};

    if (gr_catalog__yaml_each(location_ref, file->data, file->len, &limits, &sink) != GR_OK) {
        /* As with a file that fails to parse at once, none of its documents count. */
        file_restart(&emitter);
        yaml_error_push(context->result->errors, location_ref, gr_error_last());
    }
    if (strcmp(type, "url") != 0)
        refresh_key_push(context->result, gr_xstrdup(location_ref));
    free(location_ref);
}

/* Returns whether a target read as a file is an http(s) URL. */
static bool url_in_file_target(const char *target_type, const char *target)
{
    return strcmp(target_type, "file") == 0 &&
           (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0);
}

/*
 * Pushes the read error `message` of a URL target read as a file, with what to
 * change. Backstage reads a Location's targets with the Location's type, so a
 * Location entity written in a file location has type file unless its
 * spec.type sets another. `registered` is true when the target is the
 * Location's own location, as for a location registered with type file.
 */
static void url_in_file_target_push(json_t *errors, const json_t *entity, const char *message,
                                    bool registered)
{
    char *ref;

    if (registered) {
        error_pushf(errors, "Error",
                    "Unable to read file, %s. The target is a URL, so register the location "
                    "with type url",
                    message);
        return;
    }
    ref = gr_model_entity_ref(entity);
    error_pushf(errors, "Error",
                "Unable to read file, %s. The target is a URL, so set spec.type: url in the "
                "Location entity %s, whose targets are read with its type",
                message, ref);
    free(ref);
}

/* Reads the targets of a Location entity, as Backstage's runSpecialLocationStep. */
static int read_location_targets(emit_context *context, const json_t *entity, const char *type,
                                 const char *target)
{
    gr_catalog_result *result = context->result;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    gr_model_location_target *targets = NULL;
    size_t count = 0;
    int rc = GR_OK;

    if (gr_model_location_targets(entity, type, &targets, &count, &problems) != GR_OK) {
        for (size_t i = 0; i < problems.count; i++)
            gr_catalog__error_push(result->errors, "InputError", problems.items[i].message, NULL,
                                   NULL);
    }
    for (size_t i = 0; i < count && rc == GR_OK; i++) {
        gr_catalog_files files = GR_CATALOG_FILES_INIT;
        const char *target_type = targets[i].type;
        char *absolute = strcmp(target_type, type) == 0
                             ? gr_catalog__resolve_target(type, target, targets[i].target)
                             : gr_xstrdup(targets[i].target);
        int read_rc;

        if (strcmp(target_type, "file") != 0 && strcmp(target_type, "url") != 0 &&
            strcmp(target_type, "git") != 0) {
            error_pushf(result->errors, "InputError",
                        "No processor was able to handle reading of %s:%s", target_type, absolute);
            free(absolute);
            rc = GR_EINVALID;
            break;
        }
        /* A registered git location is a Location entity whose target is its own location.
         * Any other target in a git location must stay in the repository. */
        if (strcmp(target_type, "git") == 0 && strcmp(type, "git") == 0 &&
            strcmp(targets[i].target, target) != 0 &&
            !gr_catalog__git_target_inside(targets[i].target)) {
            error_pushf(result->errors, "InputError",
                        "Location target %s is not a relative path; a git location may point "
                        "only at files of its own repository and ref. Register other repositories "
                        "as locations of their own",
                        targets[i].target);
            free(absolute);
            break;
        }
        if (strcmp(target_type, type) != 0 &&
            !gr_catalog__type_allowed(&context->catalog->settings, target_type)) {
            char *allowed = gr_catalog__allowed_types_text(&context->catalog->settings);

            error_pushf(result->errors, "InputError",
                        "Registered locations must be of an allowed type %s", allowed);
            free(allowed);
            free(absolute);
            break;
        }
        /* A relative file path (one that does not start with '.') names no file here, as in
         * Backstage's FileReaderProcessor, so an optional one is skipped like a missing file. */
        if (strcmp(target_type, "file") == 0 && absolute[0] != '/' && targets[i].optional) {
            free(absolute);
            continue;
        }
        read_rc = gr_catalog__read_location(&context->catalog->settings, target_type, absolute,
                                            &files);
        if (read_rc == GR_ENOTFOUND) {
            if (!targets[i].optional) {
                if (strcmp(target_type, "file") == 0)
                    gr_catalog__error_push(result->errors, "NotFoundError", gr_error_last(), NULL,
                                           NULL);
                else
                    error_pushf(result->errors, "NotFoundError", "Unable to read %s, %s",
                                target_type, gr_error_last());
            }
        } else if (read_rc != GR_OK && url_in_file_target(target_type, absolute)) {
            url_in_file_target_push(result->errors, entity, gr_error_last(),
                                    strcmp(targets[i].target, target) == 0);
        } else if (read_rc != GR_OK) {
            error_pushf(result->errors, "Error", "Unable to read %s, %s", target_type,
                        gr_error_last());
        }
        for (size_t f = 0; f < files.count; f++)
            emit_file(context, target_type, &files.items[f]);
        if (strcmp(target_type, "url") == 0)
            refresh_key_push(result, gr_xasprintf("url:%s", absolute));
        gr_catalog__files_free(&files);
        free(absolute);
    }
    gr_model_location_targets_free(targets, count);
    gr_model_problems_free(&problems);
    return rc;
}

static void push_relation_problems(const gr_model_problems *problems, json_t *errors)
{
    for (size_t i = 0; i < problems->count; i++)
        gr_catalog__error_push(errors, "InputError", problems->items[i].message, NULL, NULL);
}

static void emit_relations(gr_catalog_result *result, const json_t *entity)
{
    gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;

    gr_model_emit_relations(entity, &relations, &problems);
    result->relations = gr_xcalloc(relations.count + 1, sizeof(*result->relations));
    result->relation_cap = relations.count + 1;
    for (size_t i = 0; i < relations.count; i++) {
        gr_catalog_relation *relation = &result->relations[result->relation_count++];

        relation->source = gr_model_ref_format(&relations.items[i].source);
        relation->type = relations.items[i].type;
        relation->target = gr_model_ref_format(&relations.items[i].target);
    }
    push_relation_problems(&problems, result->errors);
    gr_model_relations_free(&relations);
    gr_model_problems_free(&problems);
}

/* Pushes an error for each reference that does not parse, as processing stores them. */
static void check_relations(const json_t *entity, json_t *errors)
{
    gr_model_relations relations = GR_MODEL_RELATIONS_INIT;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;

    gr_model_emit_relations(entity, &relations, &problems);
    push_relation_problems(&problems, errors);
    gr_model_relations_free(&relations);
    gr_model_problems_free(&problems);
}

/* Runs the policies and kind validation; returns 0 or pushes one error. */
static int validate_entity(gr_catalog *catalog, const json_t *entity, const char *ref,
                           const char *location_ref, json_t *errors)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    char *text;
    int rc = GR_OK;

    if (gr_model_validate(catalog->model, entity, &problems) == GR_OK)
        return GR_OK;
    rc = GR_EINVALID;
    text = problems_text(&problems, 0, 0, 1);
    if (text != NULL) {
        char *message = gr_xasprintf("Policy check failed for %s at %s", ref, location_ref);

        gr_catalog__error_push(errors, "InputError", message, "TypeError", text);
        free(message);
        goto done;
    }
    for (size_t i = 0; i < problems.count; i++) {
        if (strcmp(problems.items[i].rule, "unknown-kind") == 0) {
            error_pushf(errors, "InputError",
                        "No processor recognized the entity %s as valid, possibly caused by a "
                        "foreign kind or apiVersion, at %s",
                        ref, location_ref);
            goto done;
        }
    }
    text = problems_text(&problems, 0, 1, 0);
    {
        char *message = gr_xasprintf(
            "Processor BuiltinKindsEntityProcessor threw an error while validating the entity "
            "%s at %s",
            ref, location_ref);

        gr_catalog__error_push(errors, "InputError", message, "TypeError",
                               text ? text : "invalid entity");
        free(message);
    }
done:
    free(text);
    gr_model_problems_free(&problems);
    return rc;
}

static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash && slash != path ? gr_xstrndup(path, (size_t)(slash - path)) : gr_xstrdup("/");
}

/* Returns whether `path` is inside `folder`, comparing the text of both. */
static bool path_in_folder(const char *path, const char *folder)
{
    size_t len = strlen(folder);

    if (strcmp(folder, "/") == 0)
        return path[0] == '/';
    return strncmp(path, folder, len) == 0 && path[len] == '/';
}

/*
 * Returns the folder that an entity's file placeholders may read: its origin
 * file location's folder (before any glob segment) when the entity's file is
 * inside it, else the folder of the entity's own file.
 */
static char *placeholder_root(const char *origin_type, const char *origin_target,
                              const char *location_type, const char *location_target)
{
    char *base;

    if (strcmp(origin_type, "file") != 0)
        return folder_of(location_target);
    base = gr_catalog__glob_root(origin_target);
    if (strcmp(location_type, "file") != 0 || path_in_folder(location_target, base))
        return base;
    free(base);
    return folder_of(location_target);
}

/* Returns a copy of the string annotation `key` of `entity`, or NULL. */
static char *annotation_dup(const json_t *entity, const char *key)
{
    const json_t *annotations = json_object_get(json_object_get(entity, "metadata"), "annotations");
    const char *value = json_string_value(json_object_get(annotations, key));

    return value != NULL ? gr_xstrdup(value) : NULL;
}

void gr_catalog__process(gr_catalog *catalog, const json_t *unprocessed, gr_catalog_result *out)
{
    gr_catalog__process_owned(catalog, json_deep_copy(unprocessed), out);
}

void gr_catalog__process_owned(gr_catalog *catalog, json_t *unprocessed, gr_catalog_result *out)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *entity = unprocessed; /* changed in place from here on */
    char *ref = NULL;
    char *location_type = NULL, *location_target = NULL;
    char *origin_type = NULL, *origin_target = NULL;
    char *file_root = NULL;
    /* Copies, because the steps below may replace the annotations they come from. */
    char *location_ref = NULL;
    char *origin_ref = NULL;
    emit_context context = {0};

    memset(out, 0, sizeof(*out));
    out->errors = json_array();

    if (gr_model_check_envelope(catalog->model, unprocessed, &problems) != GR_OK) {
        char *text = problems_text(&problems, 0, 0, 0);

        gr_catalog__error_push(out->errors, "InputError",
                               "Entity envelope failed validation before processing", "TypeError",
                               text ? text : "invalid entity");
        free(text);
        goto done;
    }
    ref = gr_model_entity_ref(unprocessed);
    location_ref = annotation_dup(unprocessed, GR_ANNOTATION_LOCATION);
    origin_ref = annotation_dup(unprocessed, GR_ANNOTATION_ORIGIN_LOCATION);
    if (location_ref == NULL || origin_ref == NULL) {
        error_pushf(out->errors, "InputError", "Entity '%s' does not have the annotation %s", ref,
                    location_ref == NULL ? GR_ANNOTATION_LOCATION : GR_ANNOTATION_ORIGIN_LOCATION);
        goto done;
    }
    if (gr_catalog__location_ref_parse(location_ref, &location_type, &location_target) != GR_OK ||
        gr_catalog__location_ref_parse(origin_ref, &origin_type, &origin_target) != GR_OK) {
        gr_catalog__error_push(out->errors, "InputError", gr_error_last(), NULL, NULL);
        goto done;
    }

    /* Pre-processing: placeholders, sorted spec lists, location annotations. */
    file_root = placeholder_root(origin_type, origin_target, location_type, location_target);
    {
        placeholder_source source = {catalog, location_type, file_root};
        gr_model_placeholder_reader reader = {placeholder_read, &source, location_target};

        if (gr_model_resolve_placeholders(entity, &reader, &problems) != GR_OK) {
            char *text = problems_text(&problems, 0, 0, 0);
            char *message = gr_xasprintf(
                "Processor PlaceholderProcessor threw an error while preprocessing %s at %s", ref,
                location_ref);

            gr_catalog__error_push(out->errors, "InputError", message, "Error",
                                   text ? text : "placeholder failed");
            free(message);
            free(text);
            goto done;
        }
    }
    sort_spec_lists(entity);
    {
        json_t *annotated = annotate_location(entity, location_ref, location_type, location_target,
                                              origin_ref);

        json_decref(entity);
        entity = annotated;
    }

    /* Policies and validation. */
    {
        json_t *with_namespace = default_namespace(entity);

        json_decref(entity);
        entity = with_namespace;
    }
    if (validate_entity(catalog, entity, ref, location_ref, out->errors) != GR_OK)
        goto done;

    /* Location entities: read their targets into children. */
    context.catalog = catalog;
    context.result = out;
    context.parent_ref = ref;
    context.origin_type = origin_type;
    context.origin_target = origin_target;
    context.origin_ref = origin_ref;
    if (strcmp(json_string_value(json_object_get(entity, "kind")), "Location") == 0 &&
        read_location_targets(&context, entity, location_type, location_target) != GR_OK)
        goto done;

    /* Plugin processors (processors_abi.c), before relations so spec changes count. */
    if (gr_catalog__abi_processors(catalog, &entity, ref, location_ref, out->errors) != GR_OK)
        goto done;

    /* Post-processing: relations from the spec. */
    emit_relations(out, entity);

    if (context.not_allowed != NULL) {
        gr_catalog__error_push(out->errors, "NotAllowedError", context.not_allowed, NULL, NULL);
        goto done;
    }
    out->ok = json_array_size(out->errors) == 0;
    if (out->ok) {
        out->entity = entity;
        entity = NULL;
    }
done:
    free(context.not_allowed);
    json_decref(entity);
    free(ref);
    free(location_ref);
    free(origin_ref);
    free(location_type);
    free(location_target);
    free(origin_type);
    free(origin_target);
    free(file_root);
    gr_model_problems_free(&problems);
}

json_t *gr_catalog__location_entity(const char *type, const char *target)
{
    char *name = gr_catalog__location_entity_name(type, target);
    char *ref = gr_xasprintf("%s:%s", type, target);
    json_t *entity = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}, s:{s:s, s:s}}", "apiVersion",
                               "backstage.io/v1alpha1", "kind", "Location", "metadata", "name",
                               name, "annotations", GR_ANNOTATION_LOCATION, ref,
                               GR_ANNOTATION_ORIGIN_LOCATION, ref, "spec", "type", type, "target",
                               target);

    free(name);
    free(ref);
    return entity;
}

int gr_catalog__validate(gr_catalog *catalog, const json_t *entity, const char *location,
                         json_t **errors_out)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *errors = json_array();
    json_t *copy = NULL;
    char *ref = NULL;

    if (gr_model_check_envelope(catalog->model, entity, &problems) != GR_OK) {
        char *text = problems_text(&problems, 0, 0, 0);

        gr_catalog__error_push(errors, "InputError",
                               "Entity envelope failed validation before processing", "TypeError",
                               text ? text : "invalid entity");
        free(text);
        goto done;
    }
    ref = gr_model_entity_ref(entity);
    {
        json_t *own = json_deep_copy(entity);

        copy = default_namespace(own);
        json_decref(own);
    }
    sort_spec_lists(copy);
    /* References are parsed after validation, as processing parses them, so that a
     * malformed one (such as "user:default/") fails here as it would fail there. */
    if (validate_entity(catalog, copy, ref, location, errors) == GR_OK)
        check_relations(copy, errors);
done:
    json_decref(copy);
    free(ref);
    gr_model_problems_free(&problems);
    if (json_array_size(errors) == 0) {
        json_decref(errors);
        *errors_out = NULL;
        return GR_OK;
    }
    *errors_out = errors;
    return GR_EINVALID;
}
