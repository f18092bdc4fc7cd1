/* SPDX-License-Identifier: MIT */
/* Source control hosts: repoUrl parsing, allowed hosts, REST calls and tree downloads. */
#include "plugins/scaffolder/scm.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/cancel.h"
#include "host/common/error.h"
#include "plugins/scaffolder/workspace.h"

void gr_repo_url_clear(gr_repo_url *url)
{
    if (url == NULL)
        return;
    free(url->host);
    free(url->owner);
    free(url->repo);
    free(url->organization);
    free(url->workspace);
    free(url->project);
    memset(url, 0, sizeof(*url));
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes a query component ('+' is a space, %XX a byte). Caller frees. */
static char *decode_component(const char *text, size_t len)
{
    char *out = gr_xmalloc(len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == '+') {
            out[n++] = ' ';
        } else if (text[i] == '%' && i + 2 < len && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out[n++] = (char)(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out[n++] = text[i];
        }
    }
    out[n] = '\0';
    return out;
}

/* Returns the decoded value of query parameter `name` (first one), or NULL. */
static char *query_param(const char *query, const char *name)
{
    size_t name_len = strlen(name);

    while (query != NULL && *query != '\0') {
        const char *end = strchr(query, '&');
        size_t len = end ? (size_t)(end - query) : strlen(query);
        const char *eq = memchr(query, '=', len);
        size_t key_len = eq ? (size_t)(eq - query) : len;

        if (key_len == name_len && strncmp(query, name, name_len) == 0) {
            char *value = eq ? decode_component(eq + 1, len - key_len - 1) : gr_xstrdup("");

            if (value[0] != '\0')
                return value;
            free(value);
            return NULL;
        }
        query = end ? end + 1 : NULL;
    }
    return NULL;
}

int gr_repo_url_parse(const gr_scaffolder *services, const char *repo_url, gr_repo_url *out)
{
    const char *query;
    size_t host_len;
    const char *missing = NULL;

    memset(out, 0, sizeof(*out));
    if (repo_url == NULL || repo_url[0] == '\0')
        return gr_error_set(GR_EINVALID, "Invalid repo URL passed to publisher, got an empty "
                                         "value; expected host?owner=OWNER&repo=REPO");
    query = strchr(repo_url, '?');
    host_len = strcspn(repo_url, "?/#");
    if (host_len == 0)
        return gr_error_set(GR_EINVALID, "Invalid repo URL passed to publisher, got %s", repo_url);
    out->host = gr_xstrndup(repo_url, host_len);
    for (char *p = out->host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (query != NULL) {
        out->owner = query_param(query + 1, "owner");
        out->repo = query_param(query + 1, "repo");
        out->organization = query_param(query + 1, "organization");
        out->workspace = query_param(query + 1, "workspace");
        out->project = query_param(query + 1, "project");
    }
    out->integration = gr_scaffolder_integration_find(services, out->host, &out->kind);
    if (out->integration == NULL) {
        int rc = gr_error_set(GR_EINVALID,
                              "No matching integration configuration for host %s, please check "
                              "your integrations config",
                              out->host);

        gr_repo_url_clear(out);
        return rc;
    }
    if (out->kind == GR_SCM_GITLAB && out->project != NULL)
        return 0;
    if (out->owner == NULL)
        missing = "owner";
    else if (out->repo == NULL)
        missing = "repo";
    if (missing != NULL) {
        int rc = gr_error_set(GR_EINVALID,
                              "Invalid repo URL passed to publisher: https://%s, missing %s",
                              repo_url, missing);

        gr_repo_url_clear(out);
        return rc;
    }
    return 0;
}

int gr_scm_check_allowed_host(const json_t *allowed_hosts, const char *host)
{
    gr_buf list = GR_BUF_INIT;
    size_t index;
    json_t *item;
    int rc;

    if (!json_is_array(allowed_hosts))
        return 0;
    json_array_foreach(allowed_hosts, index, item)
    {
        if (json_is_string(item) && strcasecmp(json_string_value(item), host) == 0)
            return 0;
        if (index > 0)
            gr_buf_putc(&list, ',');
        if (json_is_string(item))
            gr_buf_puts(&list, json_string_value(item));
    }
    rc = gr_error_set(GR_EDENIED, "Provided host %s is not in the list of allowed hosts %s", host,
                      gr_buf_cstr(&list));
    gr_buf_free(&list);
    return rc;
}

char *gr_scm_escape(const char *text)
{
    gr_buf out = GR_BUF_INIT;

    gr_buf_puts(&out, "");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
            gr_buf_putc(&out, (char)*p);
        else
            gr_buf_printf(&out, "%%%02X", *p);
    }
    return gr_buf_detach(&out);
}

typedef struct {
    gr_buf body;
    bool too_large;
} response_sink;

static size_t write_body(char *data, size_t size, size_t count, void *payload)
{
    response_sink *sink = payload;
    size_t len = size * count;

    if (sink->body.len + len > GR_SCM_MAX_RESPONSE_BYTES) {
        sink->too_large = true;
        return 0;
    }
    gr_buf_append(&sink->body, data, len);
    return len;
}

/* Runs one request; the body of the response goes to `sink`. */
static int perform(const char *method, const char *url, gr_scm_auth auth, const char *token,
                   const char *accept, const char *body, long *status, response_sink *sink)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    char error[CURL_ERROR_SIZE] = "";
    char *header;
    CURLcode code;

    if (curl == NULL)
        return gr_error_set(GR_EBACKEND, "cannot start an HTTP request");
    header = gr_xasprintf("Accept: %s", accept);
    headers = curl_slist_append(headers, header);
    free(header);
    headers = curl_slist_append(headers, "User-Agent: greenroom-scaffolder");
    if (body != NULL)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    if (token != NULL && auth != GR_SCM_AUTH_NONE) {
        header = auth == GR_SCM_AUTH_GITHUB ? gr_xasprintf("Authorization: token %s", token)
                                            : gr_xasprintf("PRIVATE-TOKEN: %s", token);
        headers = curl_slist_append(headers, header);
        free(header);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)GR_SCM_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    if (body != NULL)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    gr_cancel_watch_curl(curl);
    code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (sink->too_large)
        return gr_error_set(GR_ELIMIT, "%s %s: the response is larger than %u bytes", method, url,
                            GR_SCM_MAX_RESPONSE_BYTES);
    if (code == CURLE_ABORTED_BY_CALLBACK)
        return gr_error_set(GR_EBACKEND,
                            "%s %s was cut short because the server is stopping; try again "
                            "once it has restarted",
                            method, url);
    if (code != CURLE_OK)
        return gr_error_set(GR_EBACKEND, "%s %s failed: %s", method, url,
                            error[0] ? error : curl_easy_strerror(code));
    return 0;
}

int gr_scm_request(const char *method, const char *url, gr_scm_auth auth, const char *token,
                   const json_t *body, long *status, json_t **response)
{
    response_sink sink = {GR_BUF_INIT, false};
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    const char *accept =
        auth == GR_SCM_AUTH_GITHUB ? "application/vnd.github+json" : "application/json";
    int rc;

    *response = NULL;
    *status = 0;
    rc = perform(method, url, auth, token, accept, text, status, &sink);
    free(text);
    if (rc == 0 && sink.body.len > 0)
        *response = json_loadb(sink.body.data, sink.body.len, 0, NULL);
    gr_buf_free(&sink.body);
    return rc;
}

char *gr_scm_resolve_url(const char *base, const char *relative)
{
    const char *scheme_end = strstr(base, "://");
    const char *path_start;
    char *path;
    char *out;
    size_t dir_len;

    if (strstr(relative, "://") != NULL || scheme_end == NULL)
        return gr_xstrdup(relative);
    path_start = strchr(scheme_end + 3, '/');
    if (path_start == NULL)
        return gr_xasprintf("%s/%s", base, relative[0] == '/' ? relative + 1 : relative);
    if (relative[0] == '/')
        return gr_xasprintf("%.*s%s", (int)(path_start - base), base, relative);
    dir_len = strcspn(path_start, "?#");
    while (dir_len > 0 && path_start[dir_len - 1] != '/')
        dir_len--;
    path = gr_xasprintf("%.*s%s", (int)dir_len, path_start, relative);
    {
        bool trailing = path[strlen(path) - 1] == '/';
        int depth = gr_scaffolder_path_normalize(path);

        out = gr_xasprintf("%.*s/%s%s", (int)(path_start - base), base, depth < 0 ? "" : path,
                           trailing && depth > 0 ? "/" : "");
    }
    free(path);
    return out;
}

typedef struct {
    gr_scaffolder_ctx *ctx;
    const gr_scaffolder_integration *github;
    const char *owner;
    const char *repo;
    const char *ref;
    char *root;   /* local folder receiving the files */
    char *single; /* the file's local path when the URL names one file */
    size_t files;
    size_t bytes;
    int64_t max_bytes;
} download;

static int download_file(download *d, const char *path, const char *local)
{
    char *escaped_ref = gr_scm_escape(d->ref);
    char *url = gr_xasprintf("%s/repos/%s/%s/contents/%s?ref=%s", d->github->api_base_url, d->owner,
                             d->repo, path, escaped_ref);
    response_sink sink = {GR_BUF_INIT, false};
    long status = 0;
    int rc;

    free(escaped_ref);
    rc = perform("GET", url, GR_SCM_AUTH_GITHUB, d->github->token, "application/vnd.github.raw",
                 NULL, &status, &sink);
    if (rc == 0 && status != 200)
        rc = gr_error_set(status == 404 ? GR_ENOTFOUND : GR_EBACKEND, "GET %s returned %ld", url,
                          status);
    d->bytes += sink.body.len;
    if (rc == 0 && (int64_t)d->bytes > d->max_bytes)
        rc = gr_error_set(GR_ELIMIT, "the download is larger than %lld bytes",
                          (long long)d->max_bytes);
    if (rc == 0)
        rc = gr_scaffolder_write_file(local, sink.body.data ? sink.body.data : "", sink.body.len,
                                      0644);
    gr_buf_free(&sink.body);
    free(url);
    return rc;
}

/* Downloads the folder or file `path` of the repository below d->root/`local`. */
static int download_path(download *d, const char *path, const char *local, int depth)
{
    char *escaped_ref = gr_scm_escape(d->ref);
    char *url = gr_xasprintf("%s/repos/%s/%s/contents/%s?ref=%s", d->github->api_base_url, d->owner,
                             d->repo, path, escaped_ref);
    json_t *listing = NULL;
    long status = 0;
    size_t index;
    json_t *item;
    int rc;

    free(escaped_ref);
    if (depth > GR_SCAFFOLDER_MAX_DEPTH) {
        free(url);
        return gr_error_set(GR_ELIMIT, "%s is nested deeper than %d levels", path,
                            GR_SCAFFOLDER_MAX_DEPTH);
    }
    rc = gr_scm_request("GET", url, GR_SCM_AUTH_GITHUB, d->github->token, NULL, &status, &listing);
    if (rc == 0 && status != 200)
        rc = gr_error_set(status == 404 ? GR_ENOTFOUND : GR_EBACKEND, "GET %s returned %ld", url,
                          status);
    free(url);
    if (rc == 0 && json_is_object(listing)) {
        const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        char *file = gr_xasprintf("%s/%s", d->root, local[0] ? local : name);

        rc = download_file(d, path, file);
        if (local[0] == '\0' && d->single == NULL)
            d->single = gr_xstrdup(file);
        free(file);
    } else if (rc == 0) {
        char *dir = gr_xasprintf("%s/%s", d->root, local);

        rc = gr_scaffolder_mkdirs(dir);
        free(dir);
        json_array_foreach(listing, index, item)
        {
            const char *type = json_string_value(json_object_get(item, "type"));
            const char *name = json_string_value(json_object_get(item, "name"));
            char *child_path;
            char *child_local;

            if (rc < 0)
                break;
            if (type == NULL || name == NULL || strchr(name, '/') || strcmp(name, "..") == 0 ||
                strcmp(name, ".") == 0) {
                rc = gr_error_set(GR_EINVALID, "the listing of %s has an invalid entry", path);
                break;
            }
            if (++d->files > GR_SCAFFOLDER_MAX_FILES) {
                rc = gr_error_set(GR_ELIMIT, "more than %d files", GR_SCAFFOLDER_MAX_FILES);
                break;
            }
            child_path = gr_xasprintf("%s/%s", path, name);
            child_local = local[0] ? gr_xasprintf("%s/%s", local, name) : gr_xstrdup(name);
            if (strcmp(type, "dir") == 0) {
                rc = download_path(d, child_path, child_local, depth + 1);
            } else if (strcmp(type, "file") == 0) {
                char *file = gr_xasprintf("%s/%s", d->root, child_local);

                rc = download_file(d, child_path, file);
                free(file);
            } else {
                rc =
                    gr_error_set(GR_EINVALID, "'%s' is a %s; only files and folders can be fetched",
                                 child_path, type);
            }
            free(child_path);
            free(child_local);
        }
    }
    json_decref(listing);
    return rc;
}

/* Splits https://HOST/OWNER/REPO/(tree|blob)/REF/PATH. */
static int split_github_url(const char *url, char **host, char **owner, char **repo, char **ref,
                            char **path)
{
    const char *rest = strstr(url, "://") + 3;
    char *copy = gr_xstrdup(rest);
    char *parts[5] = {NULL};
    char *save = NULL;
    char *token = strtok_r(copy, "/", &save);
    int count = 0;

    while (token != NULL && count < 5) {
        parts[count++] = token;
        token = count < 5 ? strtok_r(NULL, "/", &save) : NULL;
    }
    if (count < 3) {
        free(copy);
        return gr_error_set(GR_EINVALID, "URL %s does not name a repository", url);
    }
    *host = gr_xstrdup(parts[0]);
    *owner = gr_xstrdup(parts[1]);
    *repo = gr_xstrdup(parts[2]);
    *ref = gr_xstrdup(count >= 5 ? parts[4] : "HEAD");
    *path = gr_xstrdup(save != NULL && count >= 5 ? save : "");
    {
        size_t len = strlen(*path);

        while (len > 0 && (*path)[len - 1] == '/')
            (*path)[--len] = '\0';
    }
    if (count >= 4 && strcmp(parts[3], "tree") != 0 && strcmp(parts[3], "blob") != 0) {
        free(copy);
        return gr_error_set(GR_EINVALID, "URL %s is not a GitHub tree or blob URL", url);
    }
    free(copy);
    return 0;
}

int gr_scm_download(gr_scaffolder_ctx *ctx, const char *url, gr_fetch_source *out)
{
    const gr_scaffolder *services = gr_scaffolder_ctx_services(ctx);
    download d = {.ctx = ctx, .max_bytes = services->workspace_bytes};
    char *host = NULL, *owner = NULL, *repo = NULL, *ref = NULL, *path = NULL;
    gr_scm_kind kind;
    char *temp = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = split_github_url(url, &host, &owner, &repo, &ref, &path)) < 0)
        goto done;
    d.github = gr_scaffolder_integration_find(services, host, &kind);
    if (d.github == NULL || kind != GR_SCM_GITHUB) {
        /* TODO: GitLab trees (the repository archive API) and other URL readers. */
        rc = gr_error_set(GR_EDENIED,
                          "cannot read %s: only hosts under integrations.github can be fetched "
                          "from",
                          url);
        goto done;
    }
    if ((rc = gr_scaffolder_mkdirs(services->work_dir)) < 0)
        goto done;
    temp = gr_xasprintf("%s/fetch-%s-XXXXXX", services->work_dir, gr_scaffolder_ctx_task_id(ctx));
    if (mkdtemp(temp) == NULL) {
        rc = gr_error_set(GR_EBACKEND, "cannot create a download folder in %s", services->work_dir);
        goto done;
    }
    d.owner = owner;
    d.repo = repo;
    d.ref = ref;
    d.root = temp;
    gr_scaffolder_ctx_log(ctx, "Fetching %s", url);
    if (path[0] == '\0')
        rc = gr_error_set(GR_EINVALID, "URL %s names no folder or file", url);
    else
        rc = download_path(&d, path, "", 0);
    if (rc == 0) {
        out->path = d.single ? d.single : gr_xstrdup(temp);
        d.single = NULL;
        out->temp_dir = temp;
        temp = NULL;
    }
    free(d.single);
done:
    if (temp != NULL) {
        gr_scaffolder_rmtree(temp);
        free(temp);
    }
    if (rc < 0)
        gr_error_wrap(rc, "fetching %s", url);
    free(host);
    free(owner);
    free(repo);
    free(ref);
    free(path);
    return rc;
}
