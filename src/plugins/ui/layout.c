/* SPDX-License-Identifier: MIT */
/* The UI as the layout provider: frames the pages, sidebar entries, entity tabs and cards that
 * plugins add through the host. */
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/ui/ui_internal.h"

/* Template of src/plugins/ui/templates/ that frames a plugin's tab HTML. */
#define PLUGIN_VIEW_TEMPLATE "plugin-view"

/* One page, tab or card the host handed over (strings owned by the UI). */
struct ui_layout_entry {
    char *id;
    char *label;
    gr_layout_page_fn page;
    int (*applies)(const json_t *entity, void *payload);
    int (*render)(gr_request *req, const json_t *entity, const char **html, void *payload);
    void *payload;
};

/* The provider is the first member of the UI's state. */
static gr_ui *ui_of(const gr_layout_provider *self)
{
    return (gr_ui *)self;
}

static ui_layout_entry *entry_new(gr_ui *ui)
{
    ui_layout_entry *entry = gr_xcalloc(1, sizeof(*entry));

    ui->layout_entries = gr_xrealloc(ui->layout_entries, (ui->layout_entry_count + 1) *
                                                             sizeof(ui->layout_entries[0]));
    ui->layout_entries[ui->layout_entry_count++] = entry;
    return entry;
}

/* Renders a plugin page and frames it in the portal layout. */
static int layout_page(gr_ui_page *page, void *payload)
{
    const ui_layout_entry *entry = payload;
    gr_layout_page out = {0};
    int rc = entry->page(page->req, page->res, &out, entry->payload);

    if (rc == GR_LAYOUT_PAGE_SENT)
        return 0;
    if (rc < 0)
        return rc;
    if (out.stylesheet != NULL)
        gr_ui_page_add_stylesheet(page, out.stylesheet);
    if (out.refresh_seconds > 0)
        gr_ui_page_refresh(page, out.refresh_seconds, 0);
    for (size_t i = 0; i < out.crumb_count; i++)
        gr_ui_page_crumb(page, out.crumbs[i].label, out.crumbs[i].href);
    return gr_ui_page_render_html(page, out.status, out.title, out.html,
                                  (out.flags & GR_PLUGIN_PAGE_OWN_HEADING) ? GR_UI_PAGE_OWN_HEADING
                                                                           : 0);
}

static int layout_page_add(const gr_layout_provider *self, const char *path,
                           gr_layout_page_fn page, void *payload)
{
    gr_ui *ui = ui_of(self);
    ui_layout_entry *entry = entry_new(ui);

    entry->page = page;
    entry->payload = payload;
    return gr_ui_page_add(ui, "GET", path, layout_page, entry);
}

static int layout_nav_add(const gr_layout_provider *self, const gr_plugin_nav *nav)
{
    gr_ui_nav_entry entry = {nav->label, nav->path, nav->icon, nav->order};

    return gr_ui_nav_add(ui_of(self), &entry);
}

static int layout_applies(const json_t *entity, void *payload)
{
    const ui_layout_entry *entry = payload;

    return entry->applies(entity, entry->payload);
}

/* Puts the HTML of a plugin tab into the page context as pluginHtml. */
static int layout_tab_render(gr_ui_page *page, void *payload)
{
    const ui_layout_entry *entry = payload;
    json_t *context = gr_ui_page_context(page);
    const char *html = NULL;
    int rc = entry->render(page->req, json_object_get(context, "entity"), &html, entry->payload);

    if (rc == GR_PLUGIN_DECLINED)
        return gr_error_set(GR_ENOTFOUND, "the tab %s has nothing for this entity", entry->id);
    if (rc < 0)
        return rc;
    json_object_set_new(context, "pluginHtml", json_string(html != NULL ? html : ""));
    json_object_set_new(context, "pluginLabel", json_string(entry->label));
    return 0;
}

/* Copies the id, label and functions of `view` into a new entry. */
static ui_layout_entry *view_entry(gr_ui *ui, const gr_layout_view *view)
{
    ui_layout_entry *entry = entry_new(ui);

    entry->id = gr_xstrdup(view->id);
    entry->label = gr_xstrdup(view->label);
    entry->applies = view->applies;
    entry->render = view->render;
    entry->payload = view->payload;
    return entry;
}

static int layout_tab_add(const gr_layout_provider *self, const gr_layout_view *view)
{
    gr_ui *ui = ui_of(self);
    ui_layout_entry *entry = view_entry(ui, view);
    gr_ui_tab tab = {
        .id = entry->id,
        .label = entry->label,
        .template_name = PLUGIN_VIEW_TEMPLATE,
        .order = view->order,
        .applies = layout_applies,
        .render = layout_tab_render,
        .payload = entry,
    };

    return gr_ui_tab_add(ui, &tab);
}

/* Renders a plugin's overview card into `out`. A declined card is left out. */
static int layout_card_render(gr_ui_page *page, gr_buf *out, void *payload)
{
    const ui_layout_entry *entry = payload;
    const char *html = NULL;
    int rc = entry->render(page->req, json_object_get(gr_ui_page_context(page), "entity"), &html,
                           entry->payload);

    if (rc == GR_PLUGIN_DECLINED)
        return GR_UI_CARD_EMPTY;
    if (rc < 0)
        return rc;
    if (html != NULL)
        gr_buf_puts(out, html);
    return 0;
}

static int layout_card_add(const gr_layout_provider *self, const gr_layout_view *view)
{
    gr_ui *ui = ui_of(self);
    ui_layout_entry *entry = view_entry(ui, view);
    gr_ui_card card = {
        .id = entry->id,
        .label = entry->label,
        .order = view->order,
        .applies = layout_applies,
        .render = layout_card_render,
        .payload = entry,
    };

    return gr_ui_card_add(ui, &card);
}

void gr_ui__layout_init(gr_ui *ui)
{
    ui->layout = (gr_layout_provider){
        .header = {.struct_size = sizeof(gr_layout_provider), .version = 1},
        .page_add = layout_page_add,
        .nav_add = layout_nav_add,
        .tab_add = layout_tab_add,
        .card_add = layout_card_add,
    };
}

void gr_ui__layout_free(gr_ui *ui)
{
    for (size_t i = 0; i < ui->layout_entry_count; i++) {
        free(ui->layout_entries[i]->id);
        free(ui->layout_entries[i]->label);
        free(ui->layout_entries[i]);
    }
    free(ui->layout_entries);
    ui->layout_entries = NULL;
    ui->layout_entry_count = 0;
}
