/* SPDX-License-Identifier: MIT */
/* The filters Backstage's scaffolder adds: parseRepoUrl, parseEntityRef, pick, projectSlug. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/eval.h"

/*
 * Backstage calls these filters through JSON (arguments and results are
 * serialized), so a result that is undefined is an error there, and
 * undefined members of a result disappear.
 */

/* ---- parseRepoUrl ----------------------------------------------------- */

/* A repository URL as the RepoUrlPicker writes it: host?owner=o&repo=r. */
typedef struct {
    gr_buf host;
    gr_buf path;
    gr_buf query;
    gr_buf fragment;
} repo_url;

static void repo_url_free(repo_url *url)
{
    gr_buf_free(&url->host);
    gr_buf_free(&url->path);
    gr_buf_free(&url->query);
    gr_buf_free(&url->fragment);
}

/* Splits "https://" + text the way the WHATWG URL parser does for these simple URLs. */
static bool parse_repo_url(const char *text, size_t len, repo_url *url)
{
    size_t i = 0;

    while (i < len && text[i] != '/' && text[i] != '?' && text[i] != '#') {
        char c = text[i++];

        if (c == ' ' || c == '\\' || c == '<' || c == '>' || c == '^' || c == '|' || c == '%' ||
            c == '@')
            return false;
        gr_buf_putc(&url->host, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
    if (url->host.len == 0)
        return false;
    while (i < len && text[i] != '?' && text[i] != '#')
        gr_buf_putc(&url->path, text[i++]);
    if (i < len && text[i] == '?') {
        i++;
        while (i < len && text[i] != '#')
            gr_buf_putc(&url->query, text[i++]);
    }
    if (i < len && text[i] == '#')
        gr_buf_append(&url->fragment, text + i, len - i);
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes application/x-www-form-urlencoded text: `+` is a space, %XX a byte. */
static void form_decode(gr_buf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '+') {
            gr_buf_putc(out, ' ');
        } else if (text[i] == '%' && i + 2 < len && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            gr_buf_putc(out, (char)(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
        } else {
            gr_buf_putc(out, text[i]);
        }
    }
}

/* Reads the first value of query parameter `name` with '/' trimmed from both ends. */
static bool query_param(const repo_url *url, const char *name, gr_buf *value)
{
    const char *query = gr_buf_cstr(&url->query);
    size_t len = url->query.len;
    size_t start = 0;

    while (start <= len) {
        const char *amp = memchr(query + start, '&', len - start);
        size_t end = amp ? (size_t)(amp - query) : len;
        const char *eq = memchr(query + start, '=', end - start);
        size_t key_end = eq ? (size_t)(eq - query) : end;
        gr_buf key = GR_BUF_INIT;
        bool match;

        form_decode(&key, query + start, key_end - start);
        match = end > start && strcmp(gr_buf_cstr(&key), name) == 0;
        gr_buf_free(&key);
        if (match) {
            gr_buf decoded = GR_BUF_INIT;
            const char *text;
            size_t text_len;

            if (eq != NULL)
                form_decode(&decoded, eq + 1, end - key_end - 1);
            text = gr_buf_cstr(&decoded);
            text_len = decoded.len;
            while (text_len > 0 && text[0] == '/') {
                text++;
                text_len--;
            }
            while (text_len > 0 && text[text_len - 1] == '/')
                text_len--;
            gr_buf_append(value, text, text_len);
            gr_buf_free(&decoded);
            return true;
        }
        if (amp == NULL)
            break;
        start = end + 1;
    }
    return false;
}

static void format_url(gr_buf *out, const repo_url *url)
{
    gr_buf_printf(out, "https://%s%s", gr_buf_cstr(&url->host),
                  url->path.len ? gr_buf_cstr(&url->path) : "/");
    if (url->query.len > 0)
        gr_buf_printf(out, "?%s", gr_buf_cstr(&url->query));
    if (url->fragment.len > 1)
        gr_buf_puts(out, gr_buf_cstr(&url->fragment));
}

static int require_params(const gr_filter_call *call, const repo_url *url, const char *const *names)
{
    for (; *names != NULL; names++) {
        gr_buf value = GR_BUF_INIT;
        bool present = query_param(url, *names, &value) && value.len > 0;
        gr_buf text = GR_BUF_INIT;
        int status;

        gr_buf_free(&value);
        if (present)
            continue;
        format_url(&text, url);
        status = gr_tmpl__filter_error(call, "Invalid repo URL passed to publisher: %s, missing %s",
                                       gr_buf_cstr(&text), *names);
        gr_buf_free(&text);
        return status;
    }
    return GR_OK;
}

static int check_repo_params(const gr_filter_call *call, const repo_url *url, const char *type)
{
    static const char *const workspace[] = {"workspace", NULL};
    static const char *const project_repo[] = {"project", "repo", NULL};
    static const char *const owner_repo[] = {"owner", "repo", NULL};
    static const char *const repo_only[] = {"repo", NULL};
    static const char *const repo_owner[] = {"repo", "owner", NULL};
    gr_buf project = GR_BUF_INIT;
    int status;

    if (strcmp(type, "bitbucket") == 0) {
        if (strcmp(gr_buf_cstr(&url->host), "www.bitbucket.org") == 0) {
            status = require_params(call, url, workspace);
            if (status != GR_OK)
                return status;
        }
        return require_params(call, url, project_repo);
    }
    if (strcmp(type, "azure") == 0)
        return require_params(call, url, project_repo);
    if (strcmp(type, "gitlab") == 0) {
        /* A project id replaces owner and repo. */
        bool has_project = query_param(url, "project", &project) && project.len > 0;

        gr_buf_free(&project);
        return has_project ? GR_OK : require_params(call, url, owner_repo);
    }
    if (strcmp(type, "gitea") == 0 || strcmp(type, "gerrit") == 0)
        return require_params(call, url, repo_only);
    return require_params(call, url, repo_owner);
}

/* Parses a repository URL into an object with host and whichever of the parameters are set. */
static int repo_url_object(gr_filter_call *call, json_t **out)
{
    static const char *const order[] = {"owner",     "repo",    "organization",
                                        "workspace", "project", NULL};
    const gr_tmpl_engine *engine = gr_tmpl__engine(call->eval);
    repo_url url = {GR_BUF_INIT, GR_BUF_INIT, GR_BUF_INIT, GR_BUF_INIT};
    gr_buf text = GR_BUF_INIT;
    json_t *type;
    json_t *result = NULL;
    int status;

    gr_tv_append_string(&text, call->value);
    if (!parse_repo_url(gr_buf_cstr(&text), text.len, &url)) {
        status = gr_tmpl__filter_error(
            call, "Invalid repo URL passed to publisher, got %s, TypeError: Invalid URL",
            gr_buf_cstr(&text));
        goto done;
    }
    type = json_object_get(engine->integrations, gr_buf_cstr(&url.host));
    if (!json_is_string(type)) {
        status = gr_tmpl__filter_error(
            call,
            "No matching integration configuration for host %s, please check your "
            "integrations config",
            gr_buf_cstr(&url.host));
        goto done;
    }
    status = check_repo_params(call, &url, json_string_value(type));
    if (status != GR_OK)
        goto done;

    result = json_object();
    json_object_set_new(result, "host", json_string(gr_buf_cstr(&url.host)));
    for (size_t i = 0; order[i] != NULL; i++) {
        gr_buf value = GR_BUF_INIT;

        if (query_param(&url, order[i], &value))
            json_object_set_new(result, order[i], json_stringn(gr_buf_cstr(&value), value.len));
        gr_buf_free(&value);
    }
    *out = result;

done:
    gr_buf_free(&text);
    repo_url_free(&url);
    return status;
}

static int filter_parse_repo_url(gr_filter_call *call, gr_tv *out)
{
    json_t *result = NULL;
    int status = repo_url_object(call, &result);

    if (status == GR_OK)
        *out = gr_tv_take_json(result);
    return status;
}

static int filter_project_slug(gr_filter_call *call, gr_tv *out)
{
    json_t *result = NULL;
    gr_buf slug = GR_BUF_INIT;
    json_t *owner;
    json_t *repo;
    int status = repo_url_object(call, &result);

    if (status != GR_OK)
        return status;
    owner = json_object_get(result, "owner");
    repo = json_object_get(result, "repo");
    gr_buf_printf(&slug, "%s/%s", owner ? json_string_value(owner) : "undefined",
                  repo ? json_string_value(repo) : "undefined");
    json_decref(result);
    *out = gr_tv_string_buf(&slug);
    return GR_OK;
}

/* ---- parseEntityRef --------------------------------------------------- */

static int entity_ref_error(gr_filter_call *call, const char *problem)
{
    gr_buf textual = GR_BUF_INIT;
    int status;

    if (!gr_tv_append_json(&textual, call->value, ""))
        gr_buf_puts(&textual, "undefined");
    status = gr_tmpl__filter_error(
        call, "Entity reference %s had missing or empty %s%s", gr_buf_cstr(&textual), problem,
        strcmp(problem, "kind") == 0 ? " (e.g. did not start with \"component:\" or similar)" : "");
    gr_buf_free(&textual);
    return status;
}

/* `a ?? b`: the value unless it is undefined or null. */
static gr_tv value_or(gr_tv value, const gr_tv *fallback)
{
    if (value.kind == GR_TV_UNDEFINED || value.kind == GR_TV_NULL) {
        gr_tv_release(&value);
        return gr_tv_copy(fallback);
    }
    return value;
}

static int filter_parse_entity_ref(gr_filter_call *call, gr_tv *out)
{
    const gr_tv *context = gr_tmpl__arg(call, 0);
    gr_tv default_kind = gr_tmpl__member_name(context, "defaultKind");
    gr_tv default_namespace = gr_tmpl__member_name(context, "defaultNamespace");
    gr_tv kind = GR_TV_UNDEF;
    gr_tv namespace = GR_TV_UNDEF;
    gr_tv name = GR_TV_UNDEF;
    json_t *result;
    int status = GR_OK;

    if (!gr_tv_truthy(&default_namespace)) {
        gr_tv_release(&default_namespace);
        default_namespace = gr_tv_string("default", 7);
    }
    if (!gr_tv_truthy(call->value)) {
        status = gr_tmpl__filter_error(call, "Entity reference must not be empty");
        goto done;
    }
    if (call->value->kind == GR_TV_STRING) {
        size_t len;
        const char *ref = gr_tv_str(call->value, &len);
        const char *colon = memchr(ref, ':', len);
        const char *slash = memchr(ref, '/', len);
        long colon_at = colon ? colon - ref : -1;
        long slash_at = slash ? slash - ref : -1;
        long name_at;

        if (slash_at != -1 && slash_at < colon_at)
            colon_at = -1;
        name_at = colon_at + 1 > slash_at + 1 ? colon_at + 1 : slash_at + 1;
        if (colon_at == 0 || (slash_at != -1 && slash_at == colon_at + 1) ||
            (size_t)name_at == len) {
            status = gr_tmpl__filter_error(call,
                                           "Entity reference \"%s\" was not on the form "
                                           "[<kind>:][<namespace>/]<name>",
                                           ref);
            goto done;
        }
        kind = colon_at == -1 ? gr_tv_copy(&default_kind) : gr_tv_string(ref, (size_t)colon_at);
        namespace = slash_at == -1
                        ? gr_tv_copy(&default_namespace)
                        : gr_tv_string(ref + colon_at + 1, (size_t)(slash_at - colon_at - 1));
        name = gr_tv_string(ref + name_at, len - (size_t)name_at);
    } else {
        kind = value_or(gr_tmpl__member_name(call->value, "kind"), &default_kind);
        namespace = value_or(gr_tmpl__member_name(call->value, "namespace"), &default_namespace);
        name = gr_tmpl__member_name(call->value, "name");
    }
    if (!gr_tv_truthy(&kind))
        status = entity_ref_error(call, "kind");
    else if (!gr_tv_truthy(&namespace))
        status = entity_ref_error(call, "namespace");
    else if (!gr_tv_truthy(&name))
        status = entity_ref_error(call, "name");
    if (status != GR_OK)
        goto done;

    result = json_object();
    json_object_set_new(result, "kind", gr_tv_to_json(&kind));
    json_object_set_new(result, "namespace", gr_tv_to_json(&namespace));
    json_object_set_new(result, "name", gr_tv_to_json(&name));
    *out = gr_tv_take_json(result);

done:
    gr_tv_release(&default_kind);
    gr_tv_release(&default_namespace);
    gr_tv_release(&kind);
    gr_tv_release(&namespace);
    gr_tv_release(&name);
    return status;
}

/* ---- pick ------------------------------------------------------------- */

/*
 * lodash's get(object, path): the path is "a.b", "a[0].b" or "a['b']".
 * Backstage serializes the result, so a path that leads nowhere is an error.
 */
static int filter_pick(gr_filter_call *call, gr_tv *out)
{
    gr_tv path_value = gr_tv_to_string(gr_tmpl__arg(call, 0));
    size_t len;
    const char *path = gr_tv_str(&path_value, &len);
    gr_tv current = gr_tv_copy(call->value);
    size_t i = 0;
    int status = GR_OK;

    while (i < len && current.kind != GR_TV_UNDEFINED) {
        gr_buf key = GR_BUF_INIT;
        gr_tv key_value;
        gr_tv next;

        if (path[i] == '[') {
            const char *close = memchr(path + i, ']', len - i);
            size_t end = close ? (size_t)(close - path) : len;
            size_t inner_start = i + 1;
            size_t inner_end = end;

            if (inner_end > inner_start + 1 &&
                (path[inner_start] == '\'' || path[inner_start] == '"') &&
                path[inner_end - 1] == path[inner_start]) {
                inner_start++;
                inner_end--;
            }
            gr_buf_append(&key, path + inner_start,
                          inner_end > inner_start ? inner_end - inner_start : 0);
            i = end + 1;
        } else {
            size_t end = i;

            while (end < len && path[end] != '.' && path[end] != '[')
                end++;
            gr_buf_append(&key, path + i, end - i);
            i = end;
        }
        if (i < len && path[i] == '.')
            i++;
        key_value = gr_tv_string(gr_buf_cstr(&key), key.len);
        next = gr_tmpl__member(&current, &key_value);
        gr_tv_release(&key_value);
        gr_buf_free(&key);
        gr_tv_release(&current);
        current = next;
    }
    if (current.kind == GR_TV_UNDEFINED)
        status = gr_tmpl__filter_error(
            call, "property '%s' is not defined, so the result is not valid JSON", path);
    else
        *out = current;
    gr_tv_release(&path_value);
    return status;
}

void gr_tmpl__add_backstage_filters(gr_tmpl_engine *engine)
{
    gr_tmpl__add_filter(engine, "parseRepoUrl", filter_parse_repo_url, NULL);
    gr_tmpl__add_filter(engine, "parseEntityRef", filter_parse_entity_ref, NULL);
    gr_tmpl__add_filter(engine, "pick", filter_pick, NULL);
    gr_tmpl__add_filter(engine, "projectSlug", filter_project_slug, NULL);
}
