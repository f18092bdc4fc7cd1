/* SPDX-License-Identifier: MIT */
/* The search page: the search plugin's results, or catalog entities without it. */
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/http/http.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/* Without the search plugin, /search matches entity names, titles and
 * descriptions in the catalog. */
static json_t *page_link(const char *text, const char *name, const char *cursor)
{
    gr_buf href = GR_BUF_INIT;
    json_t *link;

    gr_buf_puts(&href, "/search?query=");
    gr_template_put_uri(&href, text);
    gr_buf_printf(&href, "&%s=", name);
    gr_template_put_uri(&href, cursor);
    link = json_string(gr_buf_cstr(&href));
    gr_buf_free(&href);
    return link;
}

static int catalog_search(gr_ui_page *page, const char *text)
{
    gr_ui_list_query query;
    gr_ui_list_page list = {0};
    json_t *results = json_array();
    json_t *entity;
    size_t i;
    int error;

    memset(&query, 0, sizeof(query));
    query.text = text;
    query.after = gr_req_query(page->req, "after");
    query.before = gr_req_query(page->req, "before");
    query.limit = UI_SEARCH_PAGE_SIZE;
    query.access = gr_ui_read_access(page);
    if ((error = gr_ui_entity_list(page->ui, &query, &list)) < 0) {
        json_decref(results);
        return error;
    }
    json_array_foreach(list.entities, i, entity)
        json_array_append_new(results, gr_ui_entity_view(entity));
    gr_ui__page_put(page, "results", results);
    gr_ui__page_put(page, "total", json_integer(list.total));
    if (list.next != NULL)
        gr_ui__page_put(page, "next", page_link(text, "after", list.next));
    if (list.prev != NULL)
        gr_ui__page_put(page, "prev", page_link(text, "before", list.prev));
    gr_ui_list_page_free(&list);
    return 0;
}

static int search_page(gr_ui_page *page, void *payload)
{
    const char *text = gr_req_query(page->req, "query");
    int searched = text != NULL && text[0] != '\0';
    int error = 0;

    (void)payload;
    if (page->ui->search != NULL)
        error = gr_ui__search_documents(page, text != NULL ? text : "");
    else if (searched)
        error = catalog_search(page, text);
    if (error < 0)
        return error;
    gr_ui__page_put(page, "searched", json_boolean(searched));
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "Search", NULL);
    return gr_ui_page_render(page, 200, "search", "Search");
}

int gr_ui__search_init(gr_ui *ui)
{
    return gr_ui_page_add(ui, "GET", "/search", search_page, NULL);
}
