/* SPDX-License-Identifier: MIT */
/* The parts of mkdocs.yml that shape a TechDocs site's pages and navigation. */
#include "plugins/techdocs/build/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/urls.h"

typedef struct {
    gr_techdocs_config *config;
    gr_techdocs_config_warning warn;
    void *payload;
} reader;

static void warn(reader *r, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(reader *r, const char *pointer, const char *fmt, ...)
{
    va_list args;
    char *message;

    va_start(args, fmt);
    message = gr_xvasprintf(fmt, args);
    va_end(args);

    if (r->warn != NULL)
        r->warn(pointer, message, r->payload);
    free(message);
}

static int read_string(json_t *root, const char *key, const char *path, char **out)
{
    json_t *value = json_object_get(root, key);

    *out = NULL;
    if (value == NULL || json_is_null(value))
        return GR_OK;
    if (!json_is_string(value))
        return gr_error_set(GR_EINVALID, "%s: %s must be a string", path, key);
    *out = gr_xstrdup(json_string_value(value));
    return GR_OK;
}

static void read_toc_options(reader *r, json_t *options, const char *pointer)
{
    json_t *permalink = json_object_get(options, "permalink");
    const char *key;
    json_t *value;

    if (json_is_true(permalink)) {
        r->config->markdown.toc_permalink = 1;
    } else if (json_is_string(permalink) && json_string_length(permalink) > 0) {
        gr_buf text = GR_BUF_INIT;
        gr_buf_put_html(&text, json_string_value(permalink));
        free(r->config->permalink_text);
        r->config->permalink_text = gr_buf_detach(&text);
        r->config->markdown.permalink_text = r->config->permalink_text;
        r->config->markdown.toc_permalink = 1;
    } else if (permalink != NULL) {
        r->config->markdown.toc_permalink = 0;
    }
    json_object_foreach(options, key, value) {
        if (strcmp(key, "slugify") == 0 || strcmp(key, "separator") == 0 ||
            strcmp(key, "baselevel") == 0) {
            char *name = gr_xasprintf("toc option %s", key);
            warn(r, pointer, "%s is not supported; headings keep the default ids", name);
            free(name);
        }
    }
}

/* Turns on what one extension name stands for; returns 0 when unsupported. */
static int enable_extension(reader *r, const char *name, json_t *options, const char *pointer)
{
    gr_techdocs_markdown_options *md = &r->config->markdown;

    if (strncmp(name, "markdown.extensions.", 20) == 0)
        name += 20;
    if (strcmp(name, "toc") == 0) {
        read_toc_options(r, options, pointer);
    } else if (strcmp(name, "admonition") == 0) {
        md->admonition = 1;
    } else if (strcmp(name, "footnotes") == 0) {
        md->footnotes = 1;
    } else if (strcmp(name, "def_list") == 0) {
        md->def_list = 1;
    } else if (strcmp(name, "attr_list") == 0) {
        md->attr_list = 1;
    } else if (strcmp(name, "pymdownx.details") == 0) {
        md->details = 1;
    } else if (strcmp(name, "pymdownx.magiclink") == 0) {
        md->magiclink = 1;
    } else if (strcmp(name, "extra") == 0) {
        md->attr_list = md->def_list = md->footnotes = 1;
        warn(r, pointer, "%s: abbr and md_in_html are not supported", name);
    } else if (strcmp(name, "tables") != 0 && strcmp(name, "fenced_code") != 0 &&
               strcmp(name, "pymdownx.tasklist") != 0 && strcmp(name, "pymdownx.tilde") != 0 &&
               strcmp(name, "pymdownx.superfences") != 0) {
        return 0;
    }
    return 1;
}

static int read_extensions(reader *r, json_t *root, const char *path)
{
    json_t *list = json_object_get(root, "markdown_extensions");
    size_t index;
    json_t *item;

    if (list == NULL || json_is_null(list))
        return GR_OK;
    if (!json_is_array(list))
        return gr_error_set(GR_EINVALID, "%s: markdown_extensions must be a list", path);
    json_array_foreach(list, index, item) {
        char pointer[64];
        const char *name = NULL;
        json_t *options = NULL;

        snprintf(pointer, sizeof(pointer), "/markdown_extensions/%zu", index);
        if (json_is_string(item)) {
            name = json_string_value(item);
        } else if (json_is_object(item) && json_object_size(item) == 1) {
            void *iter = json_object_iter(item);
            name = json_object_iter_key(iter);
            options = json_object_iter_value(iter);
        } else {
            return gr_error_set(GR_EINVALID,
                                "%s: markdown_extensions entry %zu must be a name or a "
                                "mapping of one name to its options",
                                path, index);
        }
        if (!enable_extension(r, name, json_is_object(options) ? options : NULL, pointer))
            warn(r, pointer, "Markdown extension %s is not supported; the site is built "
                             "without it", name);
    }
    return GR_OK;
}

/* The extensions Backstage's techdocs-core plugin adds (mkdocs-techdocs-core 1.x). */
static void enable_techdocs_core(reader *r, const char *pointer)
{
    gr_techdocs_markdown_options *md = &r->config->markdown;

    md->admonition = md->attr_list = md->def_list = md->footnotes = 1;
    md->details = md->magiclink = 1;
    md->toc_permalink = 1;
    warn(r, pointer,
         "%s: the extensions abbr, codehilite, meta, md_in_html, pymdownx.caret, "
         "pymdownx.critic, pymdownx.emoji, pymdownx.inlinehilite, pymdownx.mark, "
         "pymdownx.smartsymbols, pymdownx.highlight, pymdownx.tabbed, "
         "markdown_inline_graphviz, plantuml_markdown and mdx_truly_sane_lists "
         "are not supported",
         "techdocs-core");
}

static int read_plugins(reader *r, json_t *root, const char *path)
{
    json_t *list = json_object_get(root, "plugins");
    size_t index;
    json_t *item;

    if (list == NULL || json_is_null(list))
        return GR_OK;
    if (json_is_object(list)) {
        const char *key;
        json_t *value;
        json_object_foreach(list, key, value) {
            char *pointer = gr_xasprintf("/plugins/%s", key);
            if (strcmp(key, "techdocs-core") == 0)
                enable_techdocs_core(r, pointer);
            else if (strcmp(key, "search") != 0)
                warn(r, pointer, "plugin %s is not supported; the site is built without it",
                     key);
            free(pointer);
        }
        return GR_OK;
    }
    if (!json_is_array(list))
        return gr_error_set(GR_EINVALID, "%s: plugins must be a list", path);
    json_array_foreach(list, index, item) {
        char pointer[64];
        const char *name = NULL;

        snprintf(pointer, sizeof(pointer), "/plugins/%zu", index);
        if (json_is_string(item))
            name = json_string_value(item);
        else if (json_is_object(item) && json_object_size(item) == 1)
            name = json_object_iter_key(json_object_iter(item));
        else
            return gr_error_set(GR_EINVALID,
                                "%s: plugins entry %zu must be a name or a mapping of one "
                                "name to its options",
                                path, index);
        if (strcmp(name, "techdocs-core") == 0)
            enable_techdocs_core(r, pointer);
        else if (strcmp(name, "search") != 0)
            warn(r, pointer, "plugin %s is not supported; the site is built without it", name);
    }
    return GR_OK;
}

static int read_edit_uri(gr_techdocs_config *config, json_t *root, const char *path)
{
    int rc = read_string(root, "edit_uri", path, &config->edit_uri);

    if (rc != GR_OK)
        return rc;
    if (config->edit_uri == NULL && json_object_get(root, "edit_uri") == NULL)
        config->edit_uri = gr_techdocs_default_edit_uri(config->repo_url);
    if (config->edit_uri != NULL && config->edit_uri[0] == '\0') {
        free(config->edit_uri);
        config->edit_uri = NULL;
    }
    if (config->edit_uri != NULL && config->edit_uri[strlen(config->edit_uri) - 1] != '/') {
        char *with_slash = gr_xasprintf("%s/", config->edit_uri);
        free(config->edit_uri);
        config->edit_uri = with_slash;
    }
    return GR_OK;
}

static void warn_other_settings(reader *r, json_t *root)
{
    json_t *hooks = json_object_get(root, "hooks");

    if (hooks != NULL && !json_is_null(hooks))
        warn(r, "/hooks", "%s run Python code and are not supported", "hooks");
    if (json_is_false(json_object_get(root, "use_directory_urls")))
        warn(r, "/use_directory_urls",
             "%s: false is not supported; pages keep directory URLs", "use_directory_urls");
    if (json_object_get(root, "INHERIT") != NULL)
        warn(r, "/INHERIT", "%s is not supported; only this file is read", "INHERIT");
}

int gr_techdocs_config_read(json_t *root, const char *path, gr_techdocs_config *out,
                            gr_techdocs_config_warning warn_cb, void *payload)
{
    reader r = {out, warn_cb, payload};
    json_t *nav;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(root))
        return gr_error_set(GR_EINVALID, "%s: must be a mapping of settings", path);

    rc = read_string(root, "site_name", path, &out->site_name);
    if (rc == GR_OK && out->site_name == NULL)
        rc = gr_error_set(GR_EINVALID, "%s: site_name is required; add e.g. 'site_name: My Docs'",
                          path);
    if (rc == GR_OK)
        rc = read_string(root, "site_description", path, &out->site_description);
    if (rc == GR_OK)
        rc = read_string(root, "docs_dir", path, &out->docs_dir);
    if (rc == GR_OK)
        rc = read_string(root, "repo_url", path, &out->repo_url);
    if (rc == GR_OK)
        rc = read_edit_uri(out, root, path);
    if (rc == GR_OK && out->docs_dir == NULL)
        out->docs_dir = gr_xstrdup("docs");

    nav = json_object_get(root, "nav");
    if (rc == GR_OK && nav != NULL && !json_is_null(nav)) {
        if (!json_is_array(nav))
            rc = gr_error_set(GR_EINVALID, "%s: nav must be a list", path);
        else
            out->nav = json_incref(nav);
    }
    if (rc == GR_OK)
        rc = read_extensions(&r, root, path);
    if (rc == GR_OK)
        rc = read_plugins(&r, root, path);
    if (rc == GR_OK)
        warn_other_settings(&r, root);
    if (rc != GR_OK)
        gr_techdocs_config_free(out);
    return rc;
}

void gr_techdocs_config_free(gr_techdocs_config *config)
{
    if (config == NULL)
        return;
    free(config->site_name);
    free(config->site_description);
    free(config->docs_dir);
    free(config->repo_url);
    free(config->edit_uri);
    free(config->permalink_text);
    json_decref(config->nav);
    memset(config, 0, sizeof(*config));
}
