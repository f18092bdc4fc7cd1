/* SPDX-License-Identifier: MIT */
/* The navigation tree of a site: from mkdocs.yml `nav`, or made from the files. */
#include "plugins/techdocs/build/nav.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"

static gr_techdocs_nav_item *add_child(gr_techdocs_nav_item *parent, gr_techdocs_nav_kind kind,
                                       const char *title)
{
    gr_techdocs_nav_item *child;

    if (parent->child_count == parent->child_cap) {
        parent->child_cap = parent->child_cap ? parent->child_cap * 2 : 8;
        parent->children = gr_xrealloc(parent->children, parent->child_cap * sizeof(*child));
    }
    child = &parent->children[parent->child_count++];
    memset(child, 0, sizeof(*child));
    child->kind = kind;
    child->title = title ? gr_xstrdup(title) : NULL;
    return child;
}

/* Returns nonzero for a URL that is neither external nor absolute, so
 * MkDocs warns that it names no documentation file. */
static int is_relative(const char *url)
{
    const char *colon = strchr(url, ':');
    const char *p = url;

    if (url[0] == '/' || (url[0] == '/' && url[1] == '/'))
        return 0;
    if (colon != NULL && isalpha((unsigned char)url[0])) {
        while (p < colon && (isalnum((unsigned char)*p) || strchr("+-.", *p) != NULL))
            p++;
        if (p == colon)
            return 0;
    }
    return 1;
}

typedef struct {
    const gr_techdocs_files *files;
    gr_techdocs_nav_warning warn;
    void *payload;
} builder;

static void add_path(builder *b, gr_techdocs_nav_item *parent, const char *title, const char *path,
                     const char *pointer)
{
    const gr_techdocs_file *file = gr_techdocs_files_find(b->files, path);
    gr_techdocs_nav_item *item;

    if (file != NULL && file->is_page) {
        item = add_child(parent, GR_TECHDOCS_NAV_PAGE, title);
        item->src_uri = gr_xstrdup(path);
        return;
    }
    item = add_child(parent, GR_TECHDOCS_NAV_LINK, title);
    item->url = gr_xstrdup(path);
    if (is_relative(path) && b->warn != NULL) {
        char *message = gr_xasprintf("nav names '%s', which is not found in the documentation "
                                     "files",
                                     path);
        b->warn(pointer, message, b->payload);
        free(message);
    }
}

static int add_entries(builder *b, gr_techdocs_nav_item *parent, json_t *list, const char *pointer);

static int add_entry(builder *b, gr_techdocs_nav_item *parent, json_t *entry, const char *pointer)
{
    const char *key;
    json_t *value;
    int rc = GR_OK;

    if (json_is_string(entry)) {
        add_path(b, parent, NULL, json_string_value(entry), pointer);
        return GR_OK;
    }
    if (!json_is_object(entry))
        return gr_error_set(GR_EINVALID, "nav entry %s must be a path or a 'Title: path' mapping",
                            pointer);
    json_object_foreach(entry, key, value) {
        char *child_pointer = gr_xasprintf("%s/%s", pointer, key);
        if (json_is_string(value)) {
            add_path(b, parent, key, json_string_value(value), child_pointer);
        } else if (json_is_array(value)) {
            gr_techdocs_nav_item *section = add_child(parent, GR_TECHDOCS_NAV_SECTION, key);
            rc = add_entries(b, section, value, child_pointer);
        } else {
            rc = gr_error_set(GR_EINVALID,
                              "nav entry %s must name a path or a list of entries", child_pointer);
        }
        free(child_pointer);
        if (rc != GR_OK)
            break;
    }
    return rc;
}

static int add_entries(builder *b, gr_techdocs_nav_item *parent, json_t *list, const char *pointer)
{
    size_t index;
    json_t *entry;

    json_array_foreach(list, index, entry) {
        char *child_pointer = gr_xasprintf("%s/%zu", pointer, index);
        int rc = add_entry(b, parent, entry, child_pointer);
        free(child_pointer);
        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}

char *gr_techdocs_dirname_to_title(const char *name)
{
    char *title = gr_xstrdup(name);
    int lower = 1;

    for (char *p = title; *p != '\0'; p++) {
        if (*p == '-' || *p == '_')
            *p = ' ';
    }
    /* str.lower() == str: no character changes when lower-cased. */
    for (const char *p = title; *p != '\0';) {
        utf8proc_int32_t codepoint;
        utf8proc_ssize_t used = utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &codepoint);
        if (used <= 0)
            break;
        if (utf8proc_tolower(codepoint) != codepoint)
            lower = 0;
        p += used;
    }
    if (lower && title[0] != '\0') {
        /* str.capitalize(): the first character upper-cased (title case). */
        utf8proc_int32_t codepoint;
        utf8proc_ssize_t used =
            utf8proc_iterate((const utf8proc_uint8_t *)title, -1, &codepoint);
        if (used > 0) {
            utf8proc_uint8_t upper[4];
            utf8proc_ssize_t upper_len = utf8proc_encode_char(utf8proc_totitle(codepoint), upper);
            char *result = gr_xasprintf("%.*s%s", (int)upper_len, (const char *)upper,
                                        title + used);
            free(title);
            title = result;
        }
    }
    return title;
}

/* Finds or makes the section titled `title` among `parent`'s children, as
 * mkdocs.utils.find_or_create_node does. */
static gr_techdocs_nav_item *find_or_create_section(gr_techdocs_nav_item *parent,
                                                    const char *title)
{
    for (size_t i = 0; i < parent->child_count; i++) {
        gr_techdocs_nav_item *child = &parent->children[i];
        if (child->kind == GR_TECHDOCS_NAV_SECTION && strcmp(child->title, title) == 0)
            return child;
    }
    return add_child(parent, GR_TECHDOCS_NAV_SECTION, title);
}

static void build_implicit(const gr_techdocs_files *files, gr_techdocs_nav_item *root)
{
    for (size_t i = 0; i < files->count; i++) {
        const gr_techdocs_file *file = &files->items[i];
        gr_techdocs_nav_item *branch = root;
        const char *part = file->src_uri;
        const char *slash;
        gr_techdocs_nav_item *page;

        if (!file->is_page)
            continue;
        while ((slash = strchr(part, '/')) != NULL) {
            char *name = gr_xstrndup(part, (size_t)(slash - part));
            char *title = gr_techdocs_dirname_to_title(name);
            branch = find_or_create_section(branch, title);
            free(name);
            free(title);
            part = slash + 1;
        }
        page = add_child(branch, GR_TECHDOCS_NAV_PAGE, NULL);
        page->src_uri = gr_xstrdup(file->src_uri);
    }
}

int gr_techdocs_nav_build(json_t *nav, const gr_techdocs_files *files, gr_techdocs_nav_item *root,
                          gr_techdocs_nav_warning warn, void *payload)
{
    builder b = {files, warn, payload};
    int rc = GR_OK;

    memset(root, 0, sizeof(*root));
    root->kind = GR_TECHDOCS_NAV_SECTION;
    if (nav != NULL)
        rc = add_entries(&b, root, nav, "/nav");
    else
        build_implicit(files, root);
    if (rc != GR_OK)
        gr_techdocs_nav_free(root);
    return rc;
}

void gr_techdocs_nav_free(gr_techdocs_nav_item *item)
{
    if (item == NULL)
        return;
    for (size_t i = 0; i < item->child_count; i++)
        gr_techdocs_nav_free(&item->children[i]);
    free(item->children);
    free(item->title);
    free(item->src_uri);
    free(item->url);
    memset(item, 0, sizeof(*item));
}
