/* SPDX-License-Identifier: MIT */
/* The built-in entity-page tabs: overview, docs, history and inspector. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/permission/history.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/** Changes listed on the history tab. */
#define HISTORY_ROWS 50

/** Characters of an old or new value shown in a history diff before it is cut. */
#define HISTORY_VALUE_CHARS 300

/** A card of related entities on the overview: relation type and optional target kind. */
typedef struct {
    const char *kind; /* entity kind the card appears on */
    const char *title;
    const char *relation;
    const char *target_kind; /* NULL for any */
} relation_card;

static const relation_card relation_cards[] = {
    {"component", "Provided APIs", "providesApi", NULL},
    {"component", "Consumed APIs", "consumesApi", NULL},
    {"component", "Subcomponents", "hasPart", "component"},
    {"component", "Depends on", "dependsOn", NULL},
    {"component", "Dependents", "dependencyOf", NULL},
    {"api", "Providers", "apiProvidedBy", NULL},
    {"api", "Consumers", "apiConsumedBy", NULL},
    {"system", "Components", "hasPart", "component"},
    {"system", "APIs", "hasPart", "api"},
    {"system", "Resources", "hasPart", "resource"},
    {"system", "Depends on", "dependsOn", NULL},
    {"domain", "Systems", "hasPart", "system"},
    {"domain", "Subdomains", "hasPart", "domain"},
    {"resource", "Depends on", "dependsOn", NULL},
    {"resource", "Dependents", "dependencyOf", NULL},
    {"group", "Parent group", "childOf", NULL},
    {"group", "Child groups", "parentOf", NULL},
    {"group", "Members", "hasMember", NULL},
    {"user", "Groups", "memberOf", NULL},
};

static int ref_has_kind(const char *ref, const char *kind)
{
    size_t len = strlen(kind);

    return strncasecmp(ref, kind, len) == 0 && ref[len] == ':';
}

static json_t *card_items(const json_t *entity, const json_t *related, const relation_card *card)
{
    json_t *targets = gr_ui_relation_targets(entity, card->relation);
    json_t *items = json_array();
    json_t *target;
    size_t i;

    json_array_foreach(targets, i, target)
    {
        const char *ref = json_string_value(target);
        const json_t *other = json_object_get(related, ref);
        json_t *view;

        if (card->target_kind != NULL && !ref_has_kind(ref, card->target_kind))
            continue;
        view = other != NULL ? gr_ui_entity_view(other) : gr_ui_ref_view(ref, NULL);
        if (view != NULL)
            json_array_append_new(items, view);
    }
    json_decref(targets);
    return items;
}

static json_t *all_targets(const json_t *entity)
{
    json_t *refs = json_array();
    json_t *relation;
    size_t i;

    json_array_foreach(json_object_get(entity, "relations"), i, relation)
    {
        json_t *target = json_object_get(relation, "targetRef");

        if (json_is_string(target))
            json_array_append(refs, target);
    }
    return refs;
}

/* Strips the "url:" prefix of location annotations; other types have no link. */
static const char *location_url(const json_t *annotations, const char *key)
{
    const char *value = json_string_value(json_object_get(annotations, key));

    if (value == NULL)
        return NULL;
    if (strncmp(value, "url:", 4) == 0)
        return value + 4;
    return strncmp(value, "http", 4) == 0 ? value : NULL;
}

static json_t *about_links(gr_ui_page *page, const json_t *entity)
{
    const json_t *annotations =
        json_object_get(json_object_get(entity, "metadata"), "annotations");
    const char *source = location_url(annotations, "backstage.io/source-location");
    const char *view = json_string_value(json_object_get(annotations, "backstage.io/view-url"));
    const char *edit = json_string_value(json_object_get(annotations, "backstage.io/edit-url"));
    const char *docs = json_string_value(
        json_object_get(annotations, "backstage.io/techdocs-ref"));
    json_t *links = json_array();

    if (view != NULL || source != NULL)
        json_array_append_new(links, json_pack("{s:s, s:s}", "label", "View source", "url",
                                               view != NULL ? view : source));
    if (edit != NULL)
        json_array_append_new(links, json_pack("{s:s, s:s}", "label", "Edit metadata", "url",
                                               edit));
    if (docs != NULL) {
        const char *href = json_string_value(
            json_object_get(json_object_get(page->context, "view"), "href"));

        /* /catalog/ns/kind/name becomes /docs/ns/kind/name. */
        json_array_append_new(links, json_pack("{s:s, s:s}", "label", "View TechDocs", "url",
                                               gr_arena_printf(page->arena, "/docs%s",
                                                               href + strlen("/catalog"))));
    }
    return links;
}

static int owned_counts(gr_ui_page *page, const char *ref, json_t *overview)
{
    json_t *counts = NULL;
    int error = gr_ui_owned_counts(page->ui, ref, gr_ui_read_access(page), &counts);
    json_t *item;
    size_t i;

    if (error < 0)
        return error;
    json_array_foreach(counts, i, item)
    {
        gr_buf href = GR_BUF_INIT;

        gr_buf_puts(&href, "/catalog?filters%5Bkind%5D=");
        gr_template_put_uri(&href, json_string_value(json_object_get(item, "kind")));
        gr_buf_puts(&href, "&filters%5Bowners%5D=");
        gr_template_put_uri(&href, ref);
        json_object_set_new(item, "href", json_string(gr_buf_cstr(&href)));
        gr_buf_free(&href);
    }
    /* An object, not the array itself, so that the template's section renders the card once
     * instead of once per kind. */
    json_object_set_new(overview, "ownership", json_pack("{s:o}", "owned", counts));
    return 0;
}

/*
 * Renders the cards that features added (gr_ui_card_add()) and apply to
 * `entity` as a new array [{id, label, html}]. A card that fails is logged
 * and shows a short notice, so one feature cannot take down the overview.
 */
static json_t *feature_cards(gr_ui_page *page, const json_t *entity)
{
    json_t *cards = json_array();

    for (size_t i = 0; i < page->ui->card_count; i++) {
        const gr_ui_card *card = &page->ui->cards[i];
        gr_buf html = GR_BUF_INIT;
        int error;

        if (card->applies != NULL && !card->applies(entity, card->payload))
            continue;
        gr_error_clear();
        error = card->render(page, &html, card->payload);
        if (error < 0) {
            gr_log_fields(GR_LOG_ERROR, "ui", "overview card failed", "card", card->id, "path",
                          gr_req_path(page->req), "error", gr_error_last(), NULL);
            gr_buf_reset(&html);
            gr_buf_puts(&html, "<p class=\"muted\">This card failed to load; the error was "
                               "logged.</p>");
        }
        if (error != GR_UI_CARD_EMPTY)
            json_array_append_new(cards, json_pack("{s:s, s:s, s:s}", "id", card->id, "label",
                                                   card->label, "html", gr_buf_cstr(&html)));
        gr_buf_free(&html);
    }
    gr_error_clear();
    return cards;
}

static int overview_render(gr_ui_page *page, void *payload)
{
    const json_t *entity = json_object_get(page->context, "entity");
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    json_t *refs = all_targets(entity);
    json_t *related = NULL;
    json_t *overview = json_object();
    json_t *cards = json_array();
    char *ref = gr_ui_entity_ref(entity);
    int error;

    (void)payload;
    error = gr_ui_entities_get(page->ui, refs, gr_ui_read_access(page), &related);
    for (size_t i = 0; error == 0 && i < sizeof(relation_cards) / sizeof(relation_cards[0]);
         i++) {
        const relation_card *card = &relation_cards[i];

        if (kind == NULL || strcasecmp(kind, card->kind) != 0)
            continue;
        json_array_append_new(cards, json_pack("{s:s, s:o}", "title", card->title, "items",
                                               card_items(entity, related, card)));
    }
    json_object_set_new(overview, "cards", cards);
    json_object_set_new(overview, "links", about_links(page, entity));
    json_object_set_new(overview, "featureCards", feature_cards(page, entity));
    if (error == 0 && kind != NULL &&
        (strcasecmp(kind, "group") == 0 || strcasecmp(kind, "user") == 0))
        error = owned_counts(page, ref, overview);
    json_object_set_new(overview, "graph",
                        json_string(gr_arena_printf(page->arena, "/catalog-graph?rootEntityRefs=%s",
                                                    ref)));
    gr_ui__page_put(page, "overview", overview);
    json_decref(refs);
    json_decref(related);
    free(ref);
    return error;
}

/* ---- docs ---- */

static int has_docs(const json_t *entity, void *payload)
{
    const json_t *annotations =
        json_object_get(json_object_get(entity, "metadata"), "annotations");

    (void)payload;
    return json_object_get(annotations, "backstage.io/techdocs-ref") != NULL;
}

static int docs_render(gr_ui_page *page, void *payload)
{
    const char *href = json_string_value(
        json_object_get(json_object_get(page->context, "view"), "href"));
    const json_t *annotations = json_object_get(
        json_object_get(json_object_get(page->context, "entity"), "metadata"), "annotations");

    gr_ui__page_put(page, "techdocsRef",
                    json_incref(json_object_get(annotations, "backstage.io/techdocs-ref")));
    (void)payload;
    gr_ui__page_put(page, "docsHref",
                    json_string(gr_arena_printf(page->arena, "/docs%s",
                                                href + strlen("/catalog"))));
    return 0;
}

/* ---- history ---- */

static char *value_text(const json_t *value)
{
    char *text;

    if (value == NULL || json_is_null(value))
        return NULL;
    text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text != NULL && strlen(text) > HISTORY_VALUE_CHARS) {
        size_t cut = HISTORY_VALUE_CHARS - 3;

        /* Never split a UTF-8 sequence. */
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(text + cut, "...", 4);
    }
    return text;
}

static json_t *history_view(const json_t *row)
{
    json_t *changes = json_array();
    json_t *change;
    size_t i;

    json_array_foreach(json_object_get(row, "diff"), i, change)
    {
        char *old_text = value_text(json_object_get(change, "old"));
        char *new_text = value_text(json_object_get(change, "new"));
        json_t *item = json_pack("{s:O}", "path", json_object_get(change, "path"));

        if (old_text != NULL)
            json_object_set_new(item, "old", json_string(old_text));
        if (new_text != NULL)
            json_object_set_new(item, "new", json_string(new_text));
        json_array_append_new(changes, item);
        free(old_text);
        free(new_text);
    }
    return json_pack("{s:O, s:O, s:O, s:o}", "changedAt", json_object_get(row, "changedAt"),
                     "cause", json_object_get(row, "cause"), "change",
                     json_object_get(row, "change"), "changes", changes);
}

static int history_render(gr_ui_page *page, void *payload)
{
    char *ref = gr_ui_entity_ref(json_object_get(page->context, "entity"));
    json_t *rows = NULL;
    json_t *views = json_array();
    int error;

    (void)payload;
    if (page->ui->catalog != NULL)
        error = gr_catalog_history(page->ui->catalog, ref, &rows);
    else
        error = gr_error_set(GR_EBACKEND, "the catalog engine is not available");
    /* The same rule as the API's history route: a caller whose read permission has
     * conditions gets only the changes between versions it may read. */
    if (error == 0 && page->ui->host->permissions != NULL)
        error = gr_catalog_access_history(page->ui->host->permissions, gr_req_identity(page->req),
                                          json_object_get(page->context, "entity"), &rows);
    /* The engine lists oldest first; the page shows the newest first. */
    for (size_t i = json_array_size(rows); error == 0 && i-- > 0 &&
                                           json_array_size(views) < HISTORY_ROWS;)
        json_array_append_new(views, history_view(json_array_get(rows, i)));
    gr_ui__page_put(page, "history", views);
    json_decref(rows);
    free(ref);
    return error;
}

/* ---- inspector ---- */

static json_t *relations_view(const json_t *entity)
{
    json_t *out = json_array();
    json_t *relation;
    size_t i;

    json_array_foreach(json_object_get(entity, "relations"), i, relation)
    {
        const char *type = json_string_value(json_object_get(relation, "type"));
        json_t *target = gr_ui_ref_view(
            json_string_value(json_object_get(relation, "targetRef")), NULL);

        if (type != NULL && target != NULL)
            json_array_append_new(out, json_pack("{s:s, s:o}", "type", type, "target", target));
        else
            json_decref(target);
    }
    return out;
}

static int inspector_render(gr_ui_page *page, void *payload)
{
    json_t *entity = json_object_get(page->context, "entity");
    gr_buf yaml = GR_BUF_INIT;
    char *json_text = json_dumps(entity, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    int error;

    (void)payload;
    if ((error = gr_yaml_emit(entity, &yaml)) < 0)
        gr_buf_printf(&yaml, "# the entity cannot be shown as YAML: %s\n", gr_error_last());
    gr_ui__page_put(page, "inspector",
                    json_pack("{s:s, s:s, s:o}", "yaml", gr_buf_cstr(&yaml), "json",
                              json_text != NULL ? json_text : "", "relations",
                              relations_view(entity)));
    gr_buf_free(&yaml);
    free(json_text);
    return 0;
}

int gr_ui__entity_tabs_init(gr_ui *ui)
{
    const gr_ui_tab tabs[] = {
        {"overview", "Overview", "entity-overview", 10, NULL, overview_render, NULL},
        /* The Definition tab (id "api", order 20) comes from the api-docs plugin. */
        {"docs", "Docs", "entity-docs", 30, has_docs, docs_render, NULL},
        {"history", "History", "entity-history", 80, NULL, history_render, NULL},
        {"inspector", "Inspector", "entity-inspector", 90, NULL, inspector_render, NULL},
    };
    int error;

    for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
        if ((error = gr_ui_tab_add(ui, &tabs[i])) < 0)
            return error;
    }
    return 0;
}
