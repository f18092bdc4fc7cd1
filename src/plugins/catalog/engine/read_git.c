/* SPDX-License-Identifier: MIT */
/* The `git` location reader: files of a branch, tag or commit read from the object database. */
#include <git2.h>
#include <stdbool.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/util.h"

/* A parsed git target: "<repository>?ref=<ref>&path=<path>". */
typedef struct {
    char *repo;
    char *ref;  /* NULL for HEAD */
    char *path; /* path inside the repository, no leading '/' */
} git_target;

static void git_target_free(git_target *target)
{
    free(target->repo);
    free(target->ref);
    free(target->path);
}

static char *decode_component(const char *text, size_t len)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < len; i++) {
        unsigned hi, lo;

        if (text[i] == '%' && i + 2 < len &&
            sscanf(text + i + 1, "%1x%1x", &hi, &lo) == 2) {
            gr_buf_putc(&out, (char)(hi * 16 + lo));
            i += 2;
        } else {
            gr_buf_putc(&out, text[i] == '+' ? ' ' : text[i]);
        }
    }
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}

static int git_target_parse(const char *text, git_target *out)
{
    const char *query = strchr(text, '?');
    const char *p;

    memset(out, 0, sizeof(*out));
    if (query == NULL || query == text)
        return gr_error_set(GR_EINVALID,
                            "Invalid git target '%s'; expected "
                            "/path/to/repo.git?ref=main&path=catalog-info.yaml",
                            text);
    out->repo = gr_xstrndup(text, (size_t)(query - text));
    for (p = query + 1; *p != '\0';) {
        size_t len = strcspn(p, "&");
        size_t name_len = strcspn(p, "=&");
        char **param = NULL;

        if (strncmp(p, "ref=", 4) == 0 && len > 4)
            param = &out->ref;
        else if (strncmp(p, "path=", 5) == 0 && len > 5)
            param = &out->path;
        if (param != NULL && *param != NULL) {
            git_target_free(out);
            return gr_error_set(GR_EINVALID,
                                "Invalid git target '%s'; the %.*s= parameter appears twice", text,
                                (int)name_len, p);
        }
        if (param != NULL)
            *param = decode_component(p + name_len + 1, len - name_len - 1);
        p += len;
        if (*p == '&')
            p++;
    }
    if (out->path == NULL) {
        git_target_free(out);
        return gr_error_set(GR_EINVALID, "Invalid git target '%s'; the path= parameter is missing",
                            text);
    }
    while (out->path[0] == '/')
        memmove(out->path, out->path + 1, strlen(out->path));
    gr_catalog__normalize_path(out->path);
    if (strncmp(out->path, "..", 2) == 0) {
        git_target_free(out);
        return gr_error_set(GR_EINVALID, "Invalid git target '%s'; the path leaves the repository",
                            text);
    }
    return GR_OK;
}

static int git_fail(int code, const char *what, const char *target)
{
    const git_error *error = git_error_last();

    return gr_error_set(code, "git %s: %s failed: %s", target, what,
                        error && error->message ? error->message : "unknown error");
}

/* Resolves a branch, tag or commit to its tree: branches first, then tags,
 * then anything git rev-parse accepts. */
static int resolve_tree(git_repository *repo, const char *ref, git_tree **out)
{
    static const char *const prefixes[] = {"refs/heads/", "refs/tags/", "refs/remotes/origin/", ""};
    git_object *object = NULL;
    int rc = -1;

    if (ref == NULL)
        ref = "HEAD";
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && rc != 0; i++) {
        char *spec = gr_xasprintf("%s%s", prefixes[i], ref);

        rc = git_revparse_single(&object, repo, spec);
        free(spec);
    }
    if (rc != 0)
        return rc;
    rc = git_object_peel((git_object **)out, object, GIT_OBJECT_TREE);
    git_object_free(object);
    return rc;
}

static int push_blob(git_repository *repo, const git_oid *oid, const git_target *target,
                     const char *path, const gr_catalog_settings *settings, gr_catalog_files *out)
{
    git_blob *blob = NULL;
    size_t len;
    char *data;
    gr_buf name = GR_BUF_INIT;

    if (git_blob_lookup(&blob, repo, oid) != 0)
        return git_fail(GR_EBACKEND, "reading a blob", target->repo);
    len = (size_t)git_blob_rawsize(blob);
    if (len > settings->read_max_bytes) {
        git_blob_free(blob);
        return gr_error_set(GR_ELIMIT, "git %s: %s is larger than the limit of %zu bytes",
                            target->repo, path, settings->read_max_bytes);
    }
    data = gr_xmalloc(len + 1);
    memcpy(data, git_blob_rawcontent(blob), len);
    data[len] = '\0';
    git_blob_free(blob);
    gr_buf_printf(&name, "%s?", target->repo);
    if (target->ref != NULL) {
        gr_buf_puts(&name, "ref=");
        gr_catalog__git_param_append(&name, target->ref);
        gr_buf_putc(&name, '&');
    }
    gr_buf_puts(&name, "path=");
    gr_catalog__git_param_append(&name, path);
    gr_catalog__files_push(out, gr_buf_detach(&name), data, len);
    return GR_OK;
}

typedef struct {
    git_repository *repo;
    const git_target *target;
    const gr_catalog_settings *settings;
    gr_catalog_files *out;
    int rc;
} glob_state;

static int on_tree_entry(const char *root, const git_tree_entry *entry, void *payload)
{
    glob_state *state = payload;
    char *path;

    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
        return 0;
    path = gr_xasprintf("%s%s", root, git_tree_entry_name(entry));
    if (gr_catalog__glob_match(state->target->path, path, false)) {
        if (state->out->count >= GR_CATALOG_MAX_GLOB_FILES)
            state->rc = gr_error_set(GR_ELIMIT, "git %s: %s matches more than %d files",
                                     state->target->repo, state->target->path,
                                     GR_CATALOG_MAX_GLOB_FILES);
        else
            state->rc = push_blob(state->repo, git_tree_entry_id(entry), state->target, path,
                                  state->settings, state->out);
    }
    free(path);
    return state->rc == GR_OK ? 0 : -1;
}

int gr_catalog__read_git(const gr_catalog_settings *settings, const char *text,
                         gr_catalog_files *out)
{
    git_target target;
    git_repository *repo = NULL;
    git_tree *tree = NULL;
    git_tree_entry *entry = NULL;
    int rc;

    rc = git_target_parse(text, &target);
    if (rc != GR_OK)
        return rc;
    git_libgit2_init(); /* counted, so readers outside a running catalog work too */
    if (git_repository_open_ext(&repo, target.repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        rc = git_fail(GR_ENOTFOUND, "opening the repository", target.repo);
        goto done;
    }
    if (resolve_tree(repo, target.ref, &tree) != 0) {
        rc = gr_error_set(GR_ENOTFOUND, "git %s: ref '%s' does not exist", target.repo,
                          target.ref ? target.ref : "HEAD");
        goto done;
    }
    if (gr_catalog__has_glob(target.path)) {
        glob_state state = {repo, &target, settings, out, GR_OK};

        git_tree_walk(tree, GIT_TREEWALK_PRE, on_tree_entry, &state);
        rc = state.rc;
        if (rc == GR_OK && out->count == 0)
            rc = gr_error_set(GR_ENOTFOUND, "git %s: no file matches %s at ref '%s'", target.repo,
                              target.path, target.ref ? target.ref : "HEAD");
        goto done;
    }
    if (git_tree_entry_bypath(&entry, tree, target.path) != 0) {
        rc = gr_error_set(GR_ENOTFOUND, "git %s: %s does not exist at ref '%s'", target.repo,
                          target.path, target.ref ? target.ref : "HEAD");
        goto done;
    }
    if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
        rc = gr_error_set(GR_ENOTFOUND,
                          "git %s: %s is a folder at ref '%s', not a file; name a file, or "
                          "a glob such as %s/*.yaml",
                          target.repo, target.path, target.ref ? target.ref : "HEAD", target.path);
        goto done;
    }
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
        rc = gr_error_set(GR_ENOTFOUND, "git %s: %s is not a file at ref '%s'", target.repo,
                          target.path, target.ref ? target.ref : "HEAD");
        goto done;
    }
    rc = push_blob(repo, git_tree_entry_id(entry), &target, target.path, settings, out);
done:
    git_tree_entry_free(entry);
    git_tree_free(tree);
    git_repository_free(repo);
    git_libgit2_shutdown();
    git_target_free(&target);
    return rc;
}
