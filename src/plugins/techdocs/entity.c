/* SPDX-License-Identifier: MIT */
/* Documented entities: their names, catalog lookups and where their docs sources are. */
#include "plugins/techdocs/entity.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/read.h"

static int check_part(const char *what, const char *value)
{
    size_t len = value != NULL ? strlen(value) : 0;

    if (len == 0)
        return gr_error_set(GR_EINVALID, "the %s of the docs URL is empty", what);
    if (len > GR_TECHDOCS_TRIPLET_PART_MAX)
        return gr_error_set(GR_EINVALID, "the %s of the docs URL is longer than %d bytes", what,
                            GR_TECHDOCS_TRIPLET_PART_MAX);
    if (strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
        return gr_error_set(GR_EINVALID, "the %s of the docs URL may not be '%s'", what, value);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return gr_error_set(GR_EINVALID,
                                "the %s of the docs URL contains a '/', '\\' or control "
                                "character",
                                what);
    }
    return GR_OK;
}

static char *lower_dup(const char *value)
{
    char *copy = gr_xstrdup(value);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

int gr_techdocs_triplet_init(gr_techdocs_triplet *out, const char *namespace, const char *kind,
                             const char *name)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = check_part("namespace", namespace)) != GR_OK ||
        (rc = check_part("kind", kind)) != GR_OK || (rc = check_part("name", name)) != GR_OK)
        return rc;
    out->namespace = lower_dup(namespace);
    out->kind = lower_dup(kind);
    out->name = lower_dup(name);
    out->ref = gr_xasprintf("%s:%s/%s", out->kind, out->namespace, out->name);
    return GR_OK;
}

int gr_techdocs_triplet_of_entity(gr_techdocs_triplet *out, const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));

    return gr_techdocs_triplet_init(out, namespace ? namespace : "default",
                                    json_string_value(json_object_get(entity, "kind")),
                                    json_string_value(json_object_get(metadata, "name")));
}

void gr_techdocs_triplet_free(gr_techdocs_triplet *triplet)
{
    if (triplet == NULL)
        return;
    free(triplet->namespace);
    free(triplet->kind);
    free(triplet->name);
    free(triplet->ref);
    memset(triplet, 0, sizeof(*triplet));
}

int gr_techdocs_entity_load(gr_db *db, const gr_techdocs_triplet *triplet, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_error_t json_error;
    int rc;

    *out = NULL;
    rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn,
                           "SELECT final_entity FROM catalog_final_entities"
                           " WHERE kind = ? AND namespace = ? AND name = ?",
                           &stmt);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, triplet->kind);
        gr_db_bind_text(stmt, 2, triplet->namespace);
        gr_db_bind_text(stmt, 3, triplet->name);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_ROW && gr_db_column_text(stmt, 0) != NULL) {
        *out = json_loads(gr_db_column_text(stmt, 0), 0, &json_error);
        rc = *out != NULL ? GR_OK
                          : gr_error_set(GR_EBACKEND, "the stored entity %s is not valid JSON: %s",
                                         triplet->ref, json_error.text);
    } else if (rc == GR_DB_ROW || rc == GR_DB_DONE) {
        rc = gr_error_set(GR_ENOTFOUND, "Entity not found for %s", triplet->ref);
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

/* Splits "type:target" as Backstage's parseLocationRef does, trimming both parts. */
static int parse_location_ref(const char *ref, char **type, char **target)
{
    const char *colon = strchr(ref, ':');
    const char *start;
    const char *end;

    *type = NULL;
    *target = NULL;
    if (colon == NULL)
        return gr_error_set(GR_EINVALID,
                            "Unable to parse location ref '%s', expected '<type>:<target>', "
                            "e.g. 'dir:.' or 'url:https://host/path'",
                            ref);
    for (start = ref; start < colon && isspace((unsigned char)*start); start++)
        ;
    for (end = colon; end > start && isspace((unsigned char)end[-1]); end--)
        ;
    *type = gr_xstrndup(start, (size_t)(end - start));
    for (start = colon + 1; isspace((unsigned char)*start); start++)
        ;
    for (end = start + strlen(start); end > start && isspace((unsigned char)end[-1]); end--)
        ;
    *target = gr_xstrndup(start, (size_t)(end - start));
    if ((*type)[0] == '\0' || (*target)[0] == '\0')
        return gr_error_set(GR_EINVALID, "Unable to parse location ref '%s': empty type or target",
                            ref);
    if (strcmp(*type, "http") == 0 || strcmp(*type, "https") == 0)
        return gr_error_set(GR_EINVALID,
                            "Invalid location ref '%s', please prefix it with 'url:', e.g. "
                            "'url:%s'",
                            ref, ref);
    return GR_OK;
}

static const char *annotation(const json_t *entity, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(entity, "metadata"), "annotations"), name));
}

/* Joins the segments of the absolute path `path` after removing "." and
 * applying ".." ones, as RFC 3986 section 5.2.4 does (".." at the root is
 * dropped). Caller frees. */
static char *remove_dot_segments(const char *path)
{
    char *copy = gr_xstrdup(path);
    char **segments = gr_xcalloc(strlen(path) + 1, sizeof(char *));
    size_t count = 0;
    int trailing = 0;
    gr_buf out = GR_BUF_INIT;
    char *save = NULL;

    for (char *segment = strtok_r(copy, "/", &save); segment != NULL;
         segment = strtok_r(NULL, "/", &save)) {
        trailing = 0;
        if (strcmp(segment, ".") == 0) {
            trailing = 1;
        } else if (strcmp(segment, "..") == 0) {
            trailing = 1;
            if (count > 0)
                count--;
        } else {
            segments[count++] = segment;
        }
    }
    if (path[0] != '\0' && path[strlen(path) - 1] == '/')
        trailing = 1;
    for (size_t i = 0; i < count; i++) {
        gr_buf_putc(&out, '/');
        gr_buf_puts(&out, segments[i]);
    }
    if (trailing || count == 0)
        gr_buf_putc(&out, '/');
    free(segments);
    free(copy);
    return gr_buf_detach(&out);
}

/* Resolves `relative` against the absolute URL `base` as a browser resolves a link. */
static int resolve_url(const char *base, const char *relative, char **out)
{
    const char *scheme_end = strstr(base, "://");
    const char *path_start;
    const char *path_end;
    char *joined;
    char *path;

    *out = NULL;
    if (strstr(relative, "://") != NULL) {
        *out = gr_xstrdup(relative);
        return GR_OK;
    }
    if (scheme_end == NULL)
        return gr_error_set(GR_EINVALID, "the source location '%s' is not an absolute URL", base);
    path_start = scheme_end + 3 + strcspn(scheme_end + 3, "/?#");
    path_end = path_start + strcspn(path_start, "?#");
    if (relative[0] == '/') {
        joined = gr_xstrdup(relative);
    } else {
        const char *folder_end = path_end;

        while (folder_end > path_start && folder_end[-1] != '/')
            folder_end--;
        joined = gr_xasprintf("%s%.*s%s", folder_end == path_start ? "/" : "",
                              (int)(folder_end - path_start), path_start, relative);
    }
    path = remove_dot_segments(joined);
    *out = gr_xasprintf("%.*s%s", (int)(path_start - base), base, path);
    free(path);
    free(joined);
    return GR_OK;
}

/* Resolves `relative` inside the folder `base` and rejects results outside it,
 * following symbolic links of the parts that exist. */
static int resolve_child_path(const char *base, const char *relative, char **out)
{
    char base_real[PATH_MAX];
    char target_real[PATH_MAX];
    char *joined = relative[0] == '/' ? gr_xstrdup(relative)
                                      : gr_xasprintf("%s/%s", base, relative);
    size_t base_len;

    *out = NULL;
    if (realpath(base, base_real) == NULL) {
        int rc = gr_error_set(GR_ENOTFOUND, "the entity's source folder %s is not found: %s",
                              base, strerror(errno));
        free(joined);
        return rc;
    }
    if (realpath(joined, target_real) == NULL) {
        int rc = gr_error_set(GR_ENOTFOUND, "the docs folder %s is not found: %s", joined,
                              strerror(errno));
        free(joined);
        return rc;
    }
    free(joined);
    base_len = strlen(base_real);
    if (strncmp(target_real, base_real, base_len) != 0 ||
        (target_real[base_len] != '/' && target_real[base_len] != '\0' &&
         strcmp(base_real, "/") != 0))
        return gr_error_set(GR_EINVALID,
                            "Relative path '%s' is not allowed to refer to a directory outside "
                            "%s",
                            relative, base_real);
    *out = gr_xstrdup(target_real);
    return GR_OK;
}

char *gr_techdocs_git_path(const char *target, const char **start, const char **end)
{
    const char *query = strchr(target, '?');
    const char *param = query ? strstr(query, "path=") : NULL;
    size_t len;
    gr_buf out = GR_BUF_INIT;

    while (param != NULL && param[-1] != '?' && param[-1] != '&')
        param = strstr(param + 1, "path=");
    if (param == NULL)
        return NULL;
    param += 5;
    len = strcspn(param, "&#");
    for (size_t i = 0; i < len; i++) {
        unsigned hi, lo;

        if (param[i] == '%' && i + 2 < len && sscanf(param + i + 1, "%1x%1x", &hi, &lo) == 2) {
            gr_buf_putc(&out, (char)(hi * 16 + lo));
            i += 2;
        } else {
            gr_buf_putc(&out, param[i] == '+' ? ' ' : param[i]);
        }
    }
    if (start != NULL)
        *start = param;
    if (end != NULL)
        *end = param + len;
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}

void gr_techdocs_git_put_path(gr_buf *out, const char *path)
{
    for (const char *p = path; *p != '\0'; p++) {
        if (strchr("%&+#", *p) != NULL)
            gr_buf_printf(out, "%%%02X", (unsigned char)*p);
        else
            gr_buf_putc(out, *p);
    }
}

/* Resolves `dir` against the folder of the file a git target names
 * ("<repository>?ref=main&path=sub/catalog-info.yaml"), keeping the
 * repository and ref; the result may not leave the repository. */
static int resolve_git(const char *target, const char *dir, char **out)
{
    const char *param = NULL;
    const char *param_end = NULL;
    char *joined;
    char *slash;
    gr_buf result = GR_BUF_INIT;
    int rc = GR_OK;

    *out = NULL;
    joined = gr_techdocs_git_path(target, &param, &param_end);
    if (joined == NULL)
        return gr_error_set(GR_EINVALID, "the source location 'git:%s' has no path= parameter",
                            target);
    slash = strrchr(joined, '/');
    if (slash != NULL)
        slash[1] = '\0';
    else
        joined[0] = '\0';
    if (dir[0] == '/') {
        free(joined);
        joined = gr_xstrdup(dir + 1);
    } else {
        char *relative = gr_xasprintf("%s%s", joined, dir);

        free(joined);
        joined = relative;
    }
    gr_catalog__normalize_path(joined);
    while (joined[0] == '/')
        memmove(joined, joined + 1, strlen(joined));
    if (strcmp(joined, "..") == 0 || strncmp(joined, "../", 3) == 0) {
        rc = gr_error_set(GR_EINVALID,
                          "Relative path '%s' is not allowed to refer to a directory outside "
                          "the repository of git:%s",
                          dir, target);
        goto done;
    }
    gr_buf_append(&result, target, (size_t)(param - target));
    gr_techdocs_git_put_path(&result, joined[0] != '\0' ? joined : ".");
    gr_buf_puts(&result, param_end);
    *out = gr_buf_detach(&result);

done:
    free(joined);
    return rc;
}

static int transform_dir(const json_t *entity, const char *dir, gr_techdocs_location *out)
{
    const char *source = annotation(entity, "backstage.io/source-location");
    char *type = NULL;
    char *target = NULL;
    int rc;

    if (source == NULL)
        source = annotation(entity, "backstage.io/managed-by-location");
    if (source == NULL)
        return gr_error_set(GR_EINVALID,
                            "the entity has neither a backstage.io/source-location nor a "
                            "backstage.io/managed-by-location annotation, so 'dir:%s' has "
                            "nothing to be relative to",
                            dir);
    rc = parse_location_ref(source, &type, &target);
    if (rc == GR_OK && strcmp(type, "url") == 0) {
        out->type = gr_xstrdup("url");
        rc = resolve_url(target, dir, &out->target);
    } else if (rc == GR_OK && strcmp(type, "git") == 0) {
        out->type = gr_xstrdup("git");
        rc = resolve_git(target, dir, &out->target);
    } else if (rc == GR_OK && strcmp(type, "file") == 0) {
        char *folder = gr_xstrdup(target);
        char *slash = strrchr(folder, '/');

        if (slash != NULL && slash != folder)
            *slash = '\0';
        else if (slash == folder)
            folder[1] = '\0';
        out->type = gr_xstrdup("dir");
        rc = resolve_child_path(folder, dir, &out->target);
        free(folder);
    } else if (rc == GR_OK) {
        rc = gr_error_set(GR_EINVALID, "Unable to resolve location type %s", type);
    }
    free(type);
    free(target);
    return rc;
}

int gr_techdocs_entity_location(const json_t *entity, gr_techdocs_location *out)
{
    const char *ref = annotation(entity, GR_TECHDOCS_REF_ANNOTATION);
    char *type = NULL;
    char *target = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (ref == NULL)
        return gr_error_set(GR_ENOTFOUND, "No location annotation provided in entity: %s",
                            json_string_value(json_object_get(json_object_get(entity, "metadata"),
                                                              "name")));
    rc = parse_location_ref(ref, &type, &target);
    if (rc == GR_OK && strcmp(type, "url") == 0) {
        out->type = type;
        out->target = target;
        return GR_OK;
    }
    if (rc == GR_OK && strcmp(type, "dir") == 0)
        rc = transform_dir(entity, target, out);
    else if (rc == GR_OK)
        rc = gr_error_set(GR_EINVALID, "Invalid reference annotation %s", type);
    free(type);
    free(target);
    if (rc != GR_OK)
        gr_techdocs_location_free(out);
    return rc;
}

void gr_techdocs_location_free(gr_techdocs_location *location)
{
    if (location == NULL)
        return;
    free(location->type);
    free(location->target);
    memset(location, 0, sizeof(*location));
}
