/* SPDX-License-Identifier: MIT */
/* Where fetch actions read from: template-relative paths, allowed local folders, remote trees. */
#include "plugins/scaffolder/fetch_source.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/scm.h"
#include "plugins/scaffolder/workspace.h"

void gr_fetch_source_clear(gr_fetch_source *source)
{
    if (source == NULL)
        return;
    if (source->temp_dir != NULL)
        gr_scaffolder_rmtree(source->temp_dir);
    free(source->temp_dir);
    free(source->path);
    source->path = NULL;
    source->temp_dir = NULL;
}

static bool is_below(const char *path, const char *root)
{
    size_t len = strlen(root);

    while (len > 1 && root[len - 1] == '/')
        len--;
    return strncmp(path, root, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Checks that the real path of `path` lies in the template folder or an allowed root. */
static int check_allowed(const gr_scaffolder *services, const char *template_dir, const char *path,
                         const char *url, char **real_out)
{
    char *real = realpath(path, NULL);

    *real_out = NULL;
    if (real == NULL)
        return gr_error_set(GR_ENOTFOUND, "fetch source %s not found (%s)", url, strerror(errno));
    if (is_below(real, template_dir)) {
        *real_out = real;
        return 0;
    }
    for (size_t i = 0; i < services->template_root_count; i++) {
        char *root = realpath(services->template_roots[i], NULL);
        bool inside = root != NULL && is_below(real, root);

        free(root);
        if (inside) {
            *real_out = real;
            return 0;
        }
    }
    free(real);
    return gr_error_set(GR_EINVALID,
                        "fetch URL %s leads outside the template's folder; add its folder to "
                        "scaffolder.templateRoots to allow it",
                        url);
}

/* Resolves a relative URL against a file:// base URL. */
static int open_relative_file(gr_scaffolder_ctx *ctx, const char *base_path, const char *url,
                              gr_fetch_source *out)
{
    const gr_scaffolder *services = gr_scaffolder_ctx_services(ctx);
    char *base_dir = gr_xstrdup(base_path);
    char *slash = strrchr(base_dir, '/');
    char *template_dir;
    char *joined;
    int rc;

    if (slash != NULL)
        *slash = '\0';
    template_dir = realpath(base_dir[0] ? base_dir : "/", NULL);
    if (template_dir == NULL) {
        rc = gr_error_set(GR_ENOTFOUND, "template folder %s not found", base_dir);
        free(base_dir);
        return rc;
    }
    joined = url[0] == '/' ? gr_xstrdup(url) : gr_xasprintf("%s/%s", base_dir, url);
    rc = check_allowed(services, template_dir, joined, url, &out->path);
    free(joined);
    free(template_dir);
    free(base_dir);
    return rc;
}

int gr_fetch_source_open(gr_scaffolder_ctx *ctx, const char *url, gr_fetch_source *out)
{
    const json_t *info = gr_scaffolder_ctx_template_info(ctx);
    const char *base = json_string_value(json_object_get(info, "baseUrl"));

    memset(out, 0, sizeof(*out));
    if (url == NULL || url[0] == '\0')
        return gr_error_set(GR_EINVALID, "the url input is missing");
    if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
        return gr_scm_download(ctx, url, out);
    if (strncmp(url, "file://", 7) == 0)
        url += 7;
    if (base == NULL)
        return gr_error_set(GR_EINVALID,
                            "cannot resolve the relative URL %s: the template has no location "
                            "(backstage.io/managed-by-location)",
                            url);
    if (strncmp(base, "file://", 7) == 0)
        return open_relative_file(ctx, base + 7, url, out);
    if (strncmp(base, "http://", 7) == 0 || strncmp(base, "https://", 8) == 0) {
        char *absolute = gr_scm_resolve_url(base, url);
        int rc = gr_scm_download(ctx, absolute, out);

        free(absolute);
        return rc;
    }
    return gr_error_set(GR_EINVALID, "cannot resolve %s against the template location %s", url,
                        base);
}
