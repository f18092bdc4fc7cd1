/* SPDX-License-Identifier: MIT */
/* Templates and static files of the UI: built into the binary, replaceable from app.theme.dir. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/assets.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "plugins/ui/ui_internal.h"

#define TEMPLATE_PREFIX "plugins/ui/templates/"

/** Maximum size of a stylesheet or logo read from app.theme.dir, in bytes. */
#define UI_THEME_MAX_FILE_BYTES ((size_t)2 << 20)

/* The logo shown when the theme folder has none: a rounded square with a leaf. */
static const char default_logo[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">"
    "<rect width=\"32\" height=\"32\" rx=\"7\" fill=\"#2e7d5b\"/>"
    "<path d=\"M9 22c0-8 6-13 15-13-1 9-6 15-13 15l-2 2-1-1 2-2c-1 0-1-1-1-1z\" fill=\"#fff\"/>"
    "</svg>";

/* Reads a whole file of at most `max` bytes. Returns 0, GR_ENOTFOUND or an error. */
static int read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *file = fopen(path, "rb");
    struct stat st;
    char *data;

    if (file == NULL)
        return errno == ENOENT ? GR_ENOTFOUND
                               : gr_error_set(GR_EBACKEND, "%s: cannot open: %s", path,
                                              strerror(errno));
    if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(file);
        return gr_error_set(GR_EINVALID, "%s: not a regular file", path);
    }
    if ((size_t)st.st_size > max) {
        fclose(file);
        return gr_error_set(GR_ELIMIT, "%s: %lld bytes, more than the maximum %zu", path,
                            (long long)st.st_size, max);
    }
    data = gr_xmalloc((size_t)st.st_size + 1);
    *len = fread(data, 1, (size_t)st.st_size, file);
    data[*len] = '\0';
    fclose(file);
    *out = data;
    return 0;
}

static int theme_file(const gr_ui *ui, const char *name, size_t max, char **out, size_t *len)
{
    char *path;
    int error;

    if (ui->theme_dir == NULL)
        return GR_ENOTFOUND;
    path = gr_xasprintf("%s/%s", ui->theme_dir, name);
    error = read_file(path, max, out, len);
    free(path);
    return error;
}

int gr_ui_template_add(gr_ui *ui, const char *name, const char *text, size_t len)
{
    char *file = gr_xasprintf("%s.html", name);
    char *override = NULL;
    size_t override_len = 0;
    int error = theme_file(ui, file, GR_TEMPLATE_MAX_BYTES, &override, &override_len);

    if (error == 0) {
        char *origin = gr_xasprintf("%s/%s", ui->theme_dir, file);

        error = gr_template_add(ui->templates, name, override, override_len, origin);
        free(origin);
    } else if (error == GR_ENOTFOUND) {
        char *origin = gr_xasprintf("%s%s", TEMPLATE_PREFIX, file);

        error = gr_template_add(ui->templates, name, text, len, origin);
        free(origin);
    }
    free(override);
    free(file);
    return error;
}

static int load_builtin_templates(gr_ui *ui)
{
    size_t prefix = strlen(TEMPLATE_PREFIX);

    for (const gr_asset *asset = gr_assets; asset->name != NULL; asset++) {
        size_t len = strlen(asset->name);
        char *name;
        int error;

        if (strncmp(asset->name, TEMPLATE_PREFIX, prefix) != 0 || len < prefix + 6 ||
            strcmp(asset->name + len - 5, ".html") != 0)
            continue;
        name = gr_xstrndup(asset->name + prefix, len - prefix - 5);
        error = gr_template_add(ui->templates, name, (const char *)asset->data, asset->size,
                                asset->name);
        free(name);
        if (error < 0)
            return error;
    }
    return 0;
}

/* Adds every `*.html` of the theme folder, so operators can replace built-in
 * templates and add partials of their own. */
static int load_theme_templates(gr_ui *ui)
{
    DIR *dir;
    struct dirent *entry;
    int error = 0;

    if (ui->theme_dir == NULL)
        return 0;
    if ((dir = opendir(ui->theme_dir)) == NULL)
        return gr_error_set(GR_EINVALID, "app.theme.dir: cannot open folder '%s': %s",
                            ui->theme_dir, strerror(errno));

    while (error == 0 && (entry = readdir(dir)) != NULL) {
        size_t len = strlen(entry->d_name);
        char *path;
        char *text = NULL;
        size_t text_len = 0;

        if (len < 6 || strcmp(entry->d_name + len - 5, ".html") != 0 || entry->d_name[0] == '.')
            continue;
        path = gr_xasprintf("%s/%s", ui->theme_dir, entry->d_name);
        if ((error = read_file(path, GR_TEMPLATE_MAX_BYTES, &text, &text_len)) == 0) {
            char *name = gr_xstrndup(entry->d_name, len - 5);

            error = gr_template_add(ui->templates, name, text, text_len, path);
            gr_info("ui", "template %s replaced from %s", name, path);
            free(name);
        }
        free(text);
        free(path);
    }
    closedir(dir);
    return error;
}

static void asset_set(gr_ui *ui, ui_asset_id id, const char *stem, const char *ext,
                      const char *type, char *data, size_t len)
{
    ui_asset *asset = &ui->assets[id];
    char hash[65];

    gr_ui__sha256_hex(data, len, hash);
    asset->data = data;
    asset->len = len;
    asset->type = type;
    asset->url = gr_xasprintf("/static/%s.%.16s.%s", stem, hash, ext);
    asset->etag = gr_xasprintf("\"%.32s\"", hash);
}

static int load_builtin_asset(gr_ui *ui, ui_asset_id id, const char *stem, const char *ext,
                              const char *type)
{
    char *name = gr_xasprintf("plugins/ui/static/%s.%s", stem, ext);
    const gr_asset *asset = gr_asset_find(name);

    free(name);
    if (asset == NULL)
        return gr_error_set(GR_ERROR, "built-in file %s.%s is missing", stem, ext);
    asset_set(ui, id, stem, ext, type, gr_xstrndup((const char *)asset->data, asset->size),
              asset->size);
    return 0;
}

static int load_assets(gr_ui *ui)
{
    char *data = NULL;
    size_t len = 0;
    int error;

    error = theme_file(ui, "style.css", UI_THEME_MAX_FILE_BYTES, &data, &len);
    if (error == 0)
        asset_set(ui, UI_ASSET_CSS, "style", "css", "text/css; charset=utf-8", data, len);
    else if (error != GR_ENOTFOUND ||
             (error = load_builtin_asset(ui, UI_ASSET_CSS, "style", "css",
                                         "text/css; charset=utf-8")) < 0)
        return error;

    if ((error = load_builtin_asset(ui, UI_ASSET_JS, "app", "js",
                                    "text/javascript; charset=utf-8")) < 0)
        return error;

    if ((error = theme_file(ui, "logo.svg", UI_THEME_MAX_FILE_BYTES, &data, &len)) == 0) {
        asset_set(ui, UI_ASSET_LOGO, "logo", "svg", "image/svg+xml", data, len);
        return 0;
    }
    if (error != GR_ENOTFOUND)
        return error;
    if ((error = theme_file(ui, "logo.png", UI_THEME_MAX_FILE_BYTES, &data, &len)) == 0) {
        asset_set(ui, UI_ASSET_LOGO, "logo", "png", "image/png", data, len);
        return 0;
    }
    if (error != GR_ENOTFOUND)
        return error;
    asset_set(ui, UI_ASSET_LOGO, "logo", "svg", "image/svg+xml", gr_xstrdup(default_logo),
              strlen(default_logo));
    return 0;
}

int gr_ui__theme_load(gr_ui *ui)
{
    int error;

    ui->templates = gr_template_set_new();
    if ((error = load_builtin_templates(ui)) < 0 || (error = load_theme_templates(ui)) < 0 ||
        (error = load_assets(ui)) < 0)
        return error;
    return 0;
}

void gr_ui__theme_free(gr_ui *ui)
{
    gr_template_set_free(ui->templates);
    ui->templates = NULL;
    for (size_t i = 0; i < UI_ASSET_COUNT; i++) {
        free(ui->assets[i].data);
        free(ui->assets[i].url);
        free(ui->assets[i].etag);
        memset(&ui->assets[i], 0, sizeof(ui->assets[i]));
    }
}

/* Serves /static/<stem>.<hash>.<ext> for a year (the name changes with the
 * content), and /static/<stem>.<ext> revalidated on every use. */
static int serve_static(gr_request *req, gr_response *res, void *payload)
{
    gr_ui *ui = payload;
    const char *file = gr_req_param(req, "file");

    for (size_t i = 0; i < UI_ASSET_COUNT; i++) {
        const ui_asset *asset = &ui->assets[i];
        const char *hashed = strrchr(asset->url, '/') + 1;
        const char *ext = strrchr(asset->url, '.');
        size_t stem_len = (size_t)(strchr(hashed, '.') - hashed);
        int plain = strncmp(file, hashed, stem_len) == 0 && strcmp(file + stem_len, ext) == 0;

        if (strcmp(file, hashed) != 0 && !plain)
            continue;
        gr_res_header(res, "Cache-Control",
                      plain ? "no-cache" : "public, max-age=31536000, immutable");
        if (gr_res_etag(res, asset->etag))
            return 0;
        gr_res_body_borrowed(res, 200, asset->type, asset->data, asset->len);
        return 0;
    }
    return gr_error_set(GR_ENOTFOUND, "No static file named '%s'", file);
}

int gr_ui__static_routes(gr_ui *ui)
{
    return gr_http_route(ui->host->http, "GET", "/static/:file", GR_ROUTE_PUBLIC, serve_static,
                         ui);
}
