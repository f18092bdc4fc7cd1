/* SPDX-License-Identifier: MIT */
/* Relation graphs: an entity's neighbourhood laid out by Graphviz (libgvc) as SVG. */
#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/** Maximum nodes in one graph; the walk stops adding neighbours past it. */
#define GRAPH_MAX_NODES 100

/** Maximum depth of the walk from the root entities. */
#define GRAPH_MAX_DEPTH 4

/** Maximum root entities named in one request. */
#define GRAPH_MAX_ROOTS 10

/* Graphviz keeps process-wide state and is not thread-safe, so every use in
 * the process goes through this one lock, and its context (loading its
 * plugins takes tens of milliseconds) is made once and kept for the life of
 * the process. Both are process-wide because Graphviz is. */
static pthread_mutex_t graphviz_lock = PTHREAD_MUTEX_INITIALIZER;

/* Only the dot layout and the core renderers (SVG) are used, linked in, so
 * Graphviz loads no plugin from disk: text is measured with its built-in
 * font metrics instead of pango and fontconfig. */
extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
extern gvplugin_library_t gvplugin_core_LTX_library;
static const lt_symlist_t graphviz_plugins[] = {
    {"gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library},
    {"gvplugin_core_LTX_library", &gvplugin_core_LTX_library},
    {NULL, NULL},
};
static GVC_t *graphviz_context;

/* Relation pairs: a graph draws each pair once, in the forward direction. */
static const struct {
    const char *forward;
    const char *reverse;
    const char *label;
} relation_pairs[] = {
    {"ownedBy", "ownerOf", "owned by"},
    {"partOf", "hasPart", "part of"},
    {"providesApi", "apiProvidedBy", "provides API"},
    {"consumesApi", "apiConsumedBy", "consumes API"},
    {"dependsOn", "dependencyOf", "depends on"},
    {"childOf", "parentOf", "child of"},
    {"memberOf", "hasMember", "member of"},
};

#define PAIR_COUNT (sizeof(relation_pairs) / sizeof(relation_pairs[0]))

/** What to draw. */
typedef struct {
    const char **roots; /* lower-case entity refs */
    size_t root_count;
    int depth;
    int selected[PAIR_COUNT]; /* which relation pairs to follow */
    const char *direction;    /* "LR" or "TB" */
    const json_t *access;     /* entities the caller may read, or NULL for all */
} graph_request;

/** A graph being collected: nodes by ref, edges by "from|label|to". */
typedef struct {
    json_t *nodes;    /* ref -> {entity or null, depth, root} */
    json_t *edges;    /* key -> [from, label, to] */
    json_t *frontier; /* refs of the current depth */
} graph_data;

static int pair_of(const char *type, int *forward)
{
    for (size_t i = 0; i < PAIR_COUNT; i++) {
        if (strcmp(type, relation_pairs[i].forward) == 0) {
            *forward = 1;
            return (int)i;
        }
        if (strcmp(type, relation_pairs[i].reverse) == 0) {
            *forward = 0;
            return (int)i;
        }
    }
    return -1;
}

static char *lower_dup(const char *text)
{
    char *copy = gr_xstrdup(text);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return copy;
}

static void add_edge(graph_data *graph, const char *from, int pair, const char *to)
{
    char *key = gr_xasprintf("%s|%d|%s", from, pair, to);

    if (json_object_get(graph->edges, key) == NULL)
        json_object_set_new(graph->edges, key,
                            json_pack("[s, s, s]", from, relation_pairs[pair].label, to));
    free(key);
}

/* Adds the relations of one entity; new targets join `next` while there is room. */
static void visit(graph_data *graph, const graph_request *request, const char *ref,
                  const json_t *entity, int depth, json_t *next)
{
    json_t *relation;
    size_t i;

    json_array_foreach(json_object_get(entity, "relations"), i, relation)
    {
        const char *type = json_string_value(json_object_get(relation, "type"));
        const char *target = json_string_value(json_object_get(relation, "targetRef"));
        int forward = 0;
        int pair = type != NULL ? pair_of(type, &forward) : -1;
        char *lower;

        if (pair < 0 || target == NULL || !request->selected[pair])
            continue;
        lower = lower_dup(target);
        if (json_object_get(graph->nodes, lower) == NULL) {
            if (depth >= request->depth || json_object_size(graph->nodes) >= GRAPH_MAX_NODES) {
                free(lower);
                continue;
            }
            json_object_set_new(graph->nodes, lower,
                                json_pack("{s:n, s:i, s:b}", "entity", "depth", depth + 1,
                                          "root", 0));
            json_array_append_new(next, json_string(lower));
        }
        if (forward)
            add_edge(graph, ref, pair, lower);
        else
            add_edge(graph, lower, pair, ref);
        free(lower);
    }
}

static int collect(gr_ui *ui, const graph_request *request, graph_data *graph)
{
    int error = 0;

    graph->nodes = json_object();
    graph->edges = json_object();
    graph->frontier = json_array();
    for (size_t i = 0; i < request->root_count; i++) {
        json_object_set_new(graph->nodes, request->roots[i],
                            json_pack("{s:n, s:i, s:b}", "entity", "depth", 0, "root", 1));
        json_array_append_new(graph->frontier, json_string(request->roots[i]));
    }

    for (int depth = 0; depth <= request->depth && json_array_size(graph->frontier) > 0;
         depth++) {
        json_t *found = NULL;
        json_t *next = json_array();
        json_t *ref;
        size_t i;

        if ((error = gr_ui_entities_get(ui, graph->frontier, request->access, &found)) < 0) {
            json_decref(next);
            break;
        }
        json_array_foreach(graph->frontier, i, ref)
        {
            const char *name = json_string_value(ref);
            json_t *entity = json_object_get(found, name);

            if (entity == NULL)
                continue;
            json_object_set(json_object_get(graph->nodes, name), "entity", entity);
            visit(graph, request, name, entity, depth, next);
        }
        json_decref(found);
        json_decref(graph->frontier);
        graph->frontier = next;
    }
    return error;
}

static void graph_data_free(graph_data *graph)
{
    json_decref(graph->nodes);
    json_decref(graph->edges);
    json_decref(graph->frontier);
}

/* ---- layout ---- */

static void set(void *object, const char *name, const char *value)
{
    agsafeset(object, (char *)name, (char *)value, (char *)"");
}

static Agnode_t *add_node(Agraph_t *g, const char *ref, const json_t *node, size_t index)
{
    const json_t *entity = json_object_get(node, "entity");
    json_t *view = json_is_object(entity) ? gr_ui_entity_view(entity) : gr_ui_ref_view(ref, NULL);
    const char *title = json_string_value(json_object_get(view, "title"));
    const char *kind = json_string_value(json_object_get(view, "kind"));
    const char *href = json_string_value(json_object_get(view, "href"));
    Agnode_t *n = agnode(g, (char *)ref, 1);
    char id[32];
    char *label;

    if (title == NULL)
        title = json_string_value(json_object_get(view, "label"));
    label = gr_xasprintf("%s\n%s", title != NULL ? title : ref, kind != NULL ? kind : "");
    snprintf(id, sizeof(id), "%s-%zu", json_is_true(json_object_get(node, "root")) ? "gr-root"
                                                                                   : "gr-node",
             index);
    set(n, "id", id);
    set(n, "label", label);
    set(n, "tooltip", ref);
    if (href != NULL)
        set(n, "URL", href);
    free(label);
    json_decref(view);
    return n;
}

/* Keeps only the <svg> element of Graphviz's output (no XML prolog or doctype). */
static void append_svg(gr_buf *out, const char *data, size_t len)
{
    const char *start = memmem(data, len, "<svg", 4);

    if (start != NULL)
        gr_buf_append(out, start, len - (size_t)(start - data));
}

static int layout(const graph_request *request, const graph_data *graph, gr_buf *out)
{
    GVC_t *gvc;
    Agraph_t *g;
    const char *ref;
    json_t *node;
    json_t *edge;
    size_t index = 0;
    char *data = NULL;
    unsigned int len = 0;
    int rc;

    pthread_mutex_lock(&graphviz_lock);
    agseterr(AGMAX);
    if (graphviz_context == NULL)
        graphviz_context = gvContextPlugins(graphviz_plugins, 0);
    gvc = graphviz_context;
    g = agopen((char *)"relations", Agdirected, NULL);
    set(g, "rankdir", request->direction);
    set(g, "bgcolor", "transparent");
    set(g, "nodesep", "0.3");
    set(g, "ranksep", "0.5");
    agattr(g, AGNODE, (char *)"shape", (char *)"box");
    agattr(g, AGNODE, (char *)"style", (char *)"rounded,filled");
    agattr(g, AGNODE, (char *)"fontname", (char *)"DejaVu Sans");
    agattr(g, AGNODE, (char *)"fontsize", (char *)"11");
    agattr(g, AGEDGE, (char *)"fontname", (char *)"DejaVu Sans");
    agattr(g, AGEDGE, (char *)"fontsize", (char *)"9");

    json_object_foreach((json_t *)graph->nodes, ref, node)
        add_node(g, ref, node, index++);
    json_object_foreach((json_t *)graph->edges, ref, edge)
    {
        Agnode_t *from = agnode(g, (char *)json_string_value(json_array_get(edge, 0)), 0);
        Agnode_t *to = agnode(g, (char *)json_string_value(json_array_get(edge, 2)), 0);

        if (from != NULL && to != NULL)
            set(agedge(g, from, to, NULL, 1), "label", json_string_value(json_array_get(edge, 1)));
    }

    rc = gvLayout(gvc, g, "dot");
    if (rc == 0)
        rc = gvRenderData(gvc, g, "svg", &data, &len);
    if (rc == 0)
        append_svg(out, data, len);
    if (data != NULL)
        gvFreeRenderData(data);
    gvFreeLayout(gvc, g);
    agclose(g);
    pthread_mutex_unlock(&graphviz_lock);
    return rc == 0 ? 0 : gr_error_set(GR_ERROR, "Graphviz could not lay out the graph");
}

/* ---- requests ---- */

static void request_defaults(graph_request *request)
{
    memset(request, 0, sizeof(*request));
    request->depth = 1;
    request->direction = "LR";
    for (size_t i = 0; i < PAIR_COUNT; i++)
        request->selected[i] = 1;
}

static void request_read(gr_ui_page *page, graph_request *request)
{
    size_t count = 0;
    const char **values;
    const char *depth = gr_req_query(page->req, "maxDepth");
    const char *direction = gr_req_query(page->req, "direction");

    request_defaults(request);
    request->access = gr_ui_read_access(page);
    values = gr_req_query_split(page->req, "rootEntityRefs", ',', &count);
    if (values == NULL)
        values = gr_req_query_split(page->req, "rootEntityRefs[]", ',', &count);
    request->roots = gr_arena_calloc(page->arena, GRAPH_MAX_ROOTS * sizeof(char *));
    for (size_t i = 0; i < count && request->root_count < GRAPH_MAX_ROOTS; i++) {
        char *lower = lower_dup(values[i]);

        request->roots[request->root_count++] = gr_arena_strdup(page->arena, lower);
        free(lower);
    }
    if (depth != NULL) {
        int value = atoi(depth);

        request->depth = value < 1 ? 1 : value > GRAPH_MAX_DEPTH ? GRAPH_MAX_DEPTH : value;
    }
    if (direction != NULL && strcmp(direction, "TB") == 0)
        request->direction = "TB";

    values = gr_req_query_all(page->req, "relations", &count);
    if (values == NULL)
        values = gr_req_query_all(page->req, "relations[]", &count);
    if (values != NULL) {
        memset(request->selected, 0, sizeof(request->selected));
        for (size_t i = 0; i < count; i++) {
            int forward;
            int pair = pair_of(values[i], &forward);

            if (pair >= 0)
                request->selected[pair] = 1;
        }
    }
}

/* Draws the graph of `request` into the page context as `graph`:
 * {svg, nodes [views], depth, direction, relations [{name, label, checked}]}. */
static int graph_context(gr_ui_page *page, const graph_request *request)
{
    graph_data graph;
    gr_buf svg = GR_BUF_INIT;
    json_t *context = json_object();
    json_t *nodes = json_array();
    json_t *relations = json_array();
    const char *ref;
    json_t *node;
    int error;

    memset(&graph, 0, sizeof(graph));
    error = collect(page->ui, request, &graph);
    if (error == 0 && request->root_count > 0)
        error = layout(request, &graph, &svg);
    json_object_foreach(graph.nodes, ref, node)
    {
        const json_t *entity = json_object_get(node, "entity");
        json_t *view = json_is_object(entity) ? gr_ui_entity_view(entity)
                                              : gr_ui_ref_view(ref, NULL);

        if (view != NULL)
            json_array_append_new(nodes, view);
    }
    for (size_t i = 0; i < PAIR_COUNT; i++)
        json_array_append_new(relations, json_pack("{s:s, s:s, s:b}", "name",
                                                   relation_pairs[i].forward, "label",
                                                   relation_pairs[i].label, "checked",
                                                   request->selected[i]));
    json_object_set_new(context, "svg", json_stringn_nocheck(svg.data ? svg.data : "", svg.len));
    json_object_set_new(context, "nodes", nodes);
    json_object_set_new(context, "relations", relations);
    json_object_set_new(context, "depth", json_integer(request->depth));
    json_object_set_new(context, "depths", json_array());
    for (int depth = 1; depth <= GRAPH_MAX_DEPTH; depth++)
        json_array_append_new(json_object_get(context, "depths"),
                              json_pack("{s:i, s:b}", "value", depth, "selected",
                                        depth == request->depth));
    json_object_set_new(context, "tb", json_boolean(strcmp(request->direction, "TB") == 0));
    json_object_set_new(context, "roots",
                        json_string(request->root_count > 0 ? request->roots[0] : ""));
    gr_ui__page_put(page, "graph", context);
    gr_buf_free(&svg);
    graph_data_free(&graph);
    return error;
}

static int graph_page(gr_ui_page *page, void *payload)
{
    graph_request request;
    int error;

    (void)payload;
    request_read(page, &request);
    if ((error = graph_context(page, &request)) < 0)
        return error;
    gr_ui_page_crumb(page, "Catalog", "/catalog");
    gr_ui_page_crumb(page, "Relation graph", NULL);
    return gr_ui_page_render(page, 200, "graph", "Relation graph");
}

/* The Diagram tab of systems and domains: their parts, APIs and dependencies. */
static int is_system_or_domain(const json_t *entity, void *payload)
{
    const char *kind = json_string_value(json_object_get(entity, "kind"));

    (void)payload;
    return kind != NULL && (strcasecmp(kind, "system") == 0 || strcasecmp(kind, "domain") == 0);
}

static int diagram_render(gr_ui_page *page, void *payload)
{
    graph_request request;
    char *ref = gr_ui_entity_ref(json_object_get(page->context, "entity"));
    const char *roots[1];
    int error;

    (void)payload;
    request_defaults(&request);
    roots[0] = ref;
    request.roots = roots;
    request.root_count = 1;
    request.depth = 2;
    /* Ownership and membership edges make system diagrams hard to read. */
    for (size_t i = 0; i < PAIR_COUNT; i++) {
        const char *name = relation_pairs[i].forward;

        request.selected[i] = strcmp(name, "ownedBy") != 0 && strcmp(name, "childOf") != 0 &&
                              strcmp(name, "memberOf") != 0;
    }
    error = graph_context(page, &request);
    free(ref);
    return error;
}

void gr_ui__graph_release(void)
{
    pthread_mutex_lock(&graphviz_lock);
    if (graphviz_context != NULL) {
        gvFreeContext(graphviz_context);
        graphviz_context = NULL;
    }
    pthread_mutex_unlock(&graphviz_lock);
}

int gr_ui__graph_init(gr_ui *ui)
{
    const gr_ui_tab diagram = {"diagram", "Diagram", "entity-diagram", 40,
                               is_system_or_domain, diagram_render, NULL};
    int error;

    if ((error = gr_ui_page_add(ui, "GET", "/catalog-graph", graph_page, NULL)) < 0)
        return error;
    return gr_ui_tab_add(ui, &diagram);
}
