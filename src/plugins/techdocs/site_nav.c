/* SPDX-License-Identifier: MIT */
/* The navigation of a served docs page, from the site's techdocs_nav.json. */
#include "plugins/techdocs/site_nav.h"

#include <string.h>

#include "plugins/techdocs/build/sanitize.h"

static const char *member(const json_t *item, const char *key)
{
    const char *value = json_string_value(json_object_get(item, key));

    return value != NULL ? value : "";
}

/* Walks the pages in order; stops early once the next page after the current one is known. */
static int walk(const json_t *items, const char *page_url, gr_techdocs_sitenav_position *out,
                const json_t **last)
{
    size_t i;
    const json_t *item;

    json_array_foreach(items, i, item)
    {
        const char *type = json_string_value(json_object_get(item, "type"));

        if (type != NULL && strcmp(type, "section") == 0) {
            if (walk(json_object_get(item, "children"), page_url, out, last))
                return 1;
            continue;
        }
        if (type == NULL || strcmp(type, "page") != 0)
            continue;
        if (out->current != NULL) {
            out->next = item;
            return 1;
        }
        if (strcmp(member(item, "url"), page_url) == 0) {
            out->current = item;
            out->previous = *last;
        }
        *last = item;
    }
    return 0;
}

void gr_techdocs_sitenav_find(const json_t *items, const char *page_url,
                              gr_techdocs_sitenav_position *out)
{
    const json_t *last = NULL;

    memset(out, 0, sizeof(*out));
    walk(items, page_url, out, &last);
}

void gr_techdocs_sitenav_href(gr_buf *out, const char *base_url, const char *url)
{
    gr_buf_put_html(out, base_url);
    if (strcmp(url, "./") != 0)
        gr_buf_put_html(out, url);
}

static int contains_page(const json_t *items, const char *page_url)
{
    size_t i;
    const json_t *item;

    json_array_foreach(items, i, item)
    {
        const char *url = json_string_value(json_object_get(item, "url"));

        if (url != NULL && strcmp(url, page_url) == 0)
            return 1;
        if (contains_page(json_object_get(item, "children"), page_url))
            return 1;
    }
    return 0;
}

static const json_t *first_page(const json_t *items)
{
    size_t i;
    const json_t *item;

    json_array_foreach(items, i, item)
    {
        const char *type = json_string_value(json_object_get(item, "type"));
        const json_t *found;

        if (type != NULL && strcmp(type, "page") == 0)
            return item;
        if ((found = first_page(json_object_get(item, "children"))) != NULL)
            return found;
    }
    return NULL;
}

static void render_link(gr_buf *out, const json_t *item, const char *base_url,
                        const char *page_url, const char *title)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *url = json_string_value(json_object_get(item, "url"));

    if (url == NULL) {
        gr_buf_put_html(out, title);
        return;
    }
    gr_buf_puts(out, "<a href=\"");
    if (type != NULL && strcmp(type, "link") == 0)
        gr_buf_put_html(out, gr_techdocs_url_is_unsafe(url, strlen(url), 0) ? "#" : url);
    else
        gr_techdocs_sitenav_href(out, base_url, url);
    gr_buf_puts(out, "\"");
    if (strcmp(url, page_url) == 0 && type != NULL && strcmp(type, "page") == 0)
        gr_buf_puts(out, " aria-current=\"page\"");
    gr_buf_puts(out, ">");
    gr_buf_put_html(out, title);
    gr_buf_puts(out, "</a>");
}

void gr_techdocs_sitenav_render(gr_buf *out, const json_t *items, const char *base_url,
                                const char *page_url)
{
    size_t i;
    const json_t *item;

    gr_buf_puts(out, "<ul>");
    json_array_foreach(items, i, item)
    {
        const char *type = json_string_value(json_object_get(item, "type"));
        const char *title = member(item, "title");
        const json_t *children = json_object_get(item, "children");

        if (type != NULL && strcmp(type, "section") == 0) {
            if (contains_page(children, page_url)) {
                gr_buf_puts(out, "<li class=\"td-section td-open\"><span>");
                gr_buf_put_html(out, title);
                gr_buf_puts(out, "</span>");
                gr_techdocs_sitenav_render(out, children, base_url, page_url);
            } else {
                const json_t *first = first_page(children);

                gr_buf_puts(out, "<li class=\"td-section\">");
                if (first != NULL)
                    render_link(out, first, base_url, page_url, title);
                else
                    gr_buf_put_html(out, title);
            }
            gr_buf_puts(out, "</li>");
            continue;
        }
        gr_buf_puts(out, "<li>");
        render_link(out, item, base_url, page_url, title);
        gr_buf_puts(out, "</li>");
    }
    gr_buf_puts(out, "</ul>");
}
