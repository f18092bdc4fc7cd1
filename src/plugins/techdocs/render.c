/* SPDX-License-Identifier: MIT */
/* HTML of the docs pages: the page layout and the parts inside it. */
#include "plugins/techdocs/render.h"

#include <string.h>

#include "plugins/techdocs/build/sanitize.h"
#include "plugins/techdocs/site_nav.h"
#include "plugins/techdocs/toc.h"

void gr_techdocs_render_layout(gr_buf *out, const char *title, const char *body,
                               int refresh_seconds)
{
    gr_buf_puts(out, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    if (refresh_seconds > 0)
        gr_buf_printf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh_seconds);
    gr_buf_puts(out, "<title>");
    gr_buf_put_html(out, title);
    gr_buf_puts(out, " | greenroom</title>\n<link rel=\"stylesheet\" href=\"" GR_TECHDOCS_STYLESHEET_URL
                     "\">\n</head>\n<body>\n<header class=\"gr-header\"><a class=\"gr-home\" "
                     "href=\"/\">greenroom</a><nav><a href=\"/catalog\">Catalog</a> "
                     "<a href=\"/docs\">Docs</a> <a href=\"/search\">Search</a></nav></header>\n"
                     "<main>\n");
    gr_buf_puts(out, body);
    gr_buf_puts(out, "\n</main>\n</body>\n</html>\n");
}

void gr_techdocs_render_notice(gr_buf *out, const char *heading, const char *message)
{
    gr_buf_puts(out, "<section class=\"td-notice-page\"><h1>");
    gr_buf_put_html(out, heading);
    gr_buf_puts(out, "</h1><p>");
    gr_buf_put_html(out, message);
    gr_buf_puts(out, "</p></section>");
}

static void render_search_box(gr_buf *out, const gr_techdocs_page_parts *parts)
{
    gr_buf_puts(out, "<form class=\"td-search\" role=\"search\" method=\"get\" action=\"");
    gr_buf_put_html(out, parts->base_url);
    gr_buf_puts(out, "\"><label for=\"td-q\">Search these docs</label>"
                     "<input id=\"td-q\" type=\"search\" name=\"q\" value=\"");
    gr_buf_put_html(out, parts->query ? parts->query : "");
    gr_buf_puts(out, "\"><button type=\"submit\">Search</button></form>");
}

static void render_sidebar(gr_buf *out, const gr_techdocs_page_parts *parts)
{
    gr_buf_puts(out, "<nav class=\"td-nav\" aria-label=\"Site\"><p class=\"td-site\"><a href=\"");
    gr_buf_put_html(out, parts->base_url);
    gr_buf_puts(out, "\">");
    gr_buf_put_html(out, parts->site_name);
    gr_buf_puts(out, "</a></p><p class=\"td-entity\">");
    gr_buf_put_html(out, parts->entity_title);
    gr_buf_puts(out, "</p>");
    render_search_box(out, parts);
    if (parts->nav_items != NULL)
        gr_techdocs_sitenav_render(out, parts->nav_items, parts->base_url, parts->page_url);
    gr_buf_puts(out, "</nav>");
}

static void render_toc(gr_buf *out, const char *fragment, size_t len)
{
    gr_techdocs_toc toc;

    gr_techdocs_toc_read(fragment, len, &toc);
    if (toc.count > 0) {
        gr_buf_puts(out, "<nav class=\"td-toc\" aria-label=\"On this page\"><p>On this page</p>"
                         "<ul>");
        for (size_t i = 0; i < toc.count; i++) {
            gr_buf_printf(out, "<li class=\"td-toc-%d\"><a href=\"#", toc.entries[i].level);
            gr_buf_puts(out, toc.entries[i].id);
            gr_buf_puts(out, "\">");
            gr_buf_puts(out, toc.entries[i].text);
            gr_buf_puts(out, "</a></li>");
        }
        gr_buf_puts(out, "</ul></nav>");
    }
    gr_techdocs_toc_free(&toc);
}

static void render_neighbour(gr_buf *out, const gr_techdocs_page_parts *parts, const json_t *item,
                             const char *rel, const char *label)
{
    const char *url = json_string_value(json_object_get(item, "url"));
    const char *title = json_string_value(json_object_get(item, "title"));

    if (url == NULL)
        return;
    gr_buf_printf(out, "<a rel=\"%s\" href=\"", rel);
    gr_techdocs_sitenav_href(out, parts->base_url, url);
    gr_buf_printf(out, "\"><span>%s</span> ", label);
    gr_buf_put_html(out, title ? title : url);
    gr_buf_puts(out, "</a>");
}

static void render_footer(gr_buf *out, const gr_techdocs_page_parts *parts)
{
    gr_techdocs_sitenav_position position;
    const char *edit_url;

    if (parts->nav_items == NULL)
        return;
    gr_techdocs_sitenav_find(parts->nav_items, parts->page_url, &position);
    edit_url = json_string_value(json_object_get(position.current, "edit_url"));
    if (edit_url != NULL && !gr_techdocs_url_is_unsafe(edit_url, strlen(edit_url), 0)) {
        gr_buf_puts(out, "<p class=\"td-edit\"><a href=\"");
        gr_buf_put_html(out, edit_url);
        gr_buf_puts(out, "\">Edit this page</a></p>");
    }
    if (position.previous == NULL && position.next == NULL)
        return;
    gr_buf_puts(out, "<nav class=\"td-pager\" aria-label=\"Previous and next page\">");
    if (position.previous != NULL)
        render_neighbour(out, parts, position.previous, "prev", "Previous:");
    if (position.next != NULL)
        render_neighbour(out, parts, position.next, "next", "Next:");
    gr_buf_puts(out, "</nav>");
}

static void render_hits(gr_buf *out, const gr_techdocs_page_parts *parts)
{
    gr_buf_puts(out, "<h1>Search results</h1><p>");
    gr_buf_printf(out, "%zu %s for \"", parts->hit_count,
                  parts->hit_count == 1 ? "result" : "results");
    gr_buf_put_html(out, parts->query);
    gr_buf_puts(out, "\" in these docs.</p><ol class=\"td-hits\">");
    for (size_t i = 0; i < parts->hit_count; i++) {
        gr_buf_puts(out, "<li><a href=\"");
        gr_techdocs_sitenav_href(out, parts->base_url, parts->hits[i].location);
        gr_buf_puts(out, "\">");
        gr_buf_put_html(out, parts->hits[i].title);
        gr_buf_puts(out, "</a><p>");
        gr_buf_put_html(out, parts->hits[i].snippet);
        gr_buf_puts(out, "</p></li>");
    }
    gr_buf_puts(out, "</ol>");
}

void gr_techdocs_render_docs(gr_buf *out, const gr_techdocs_page_parts *parts)
{
    gr_buf_puts(out, "<div class=\"td-page\">");
    render_sidebar(out, parts);
    gr_buf_puts(out, "<article class=\"td-content\">");
    if (parts->notice != NULL) {
        gr_buf_puts(out, "<p class=\"td-notice\" role=\"status\">");
        gr_buf_put_html(out, parts->notice);
        gr_buf_puts(out, "</p>");
    }
    if (parts->query != NULL) {
        render_hits(out, parts);
    } else if (parts->fragment != NULL) {
        gr_buf_append(out, parts->fragment, parts->fragment_len);
        render_footer(out, parts);
    } else {
        gr_buf_puts(out, "<h1>Page not found</h1><p>These docs have no page at this address. "
                         "Pick one from the navigation.</p>");
    }
    gr_buf_puts(out, "</article>");
    if (parts->fragment != NULL && parts->query == NULL)
        render_toc(out, parts->fragment, parts->fragment_len);
    gr_buf_puts(out, "</div>");
}
