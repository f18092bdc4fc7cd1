/* SPDX-License-Identifier: MIT */
/* A segment trie mapping request paths and methods to routes. */
#include "host/http/router.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

/*
 * Each node is one path position. Literal children are kept in an array
 * scanned linearly, because route tables fan out to a handful of names
 * per level, where a scan costs little. A node has at most one parameter child
 * (routes at the same position share it and keep their own names) and at
 * most one wildcard child, which always ends a pattern.
 */
typedef struct route_node {
    char *literal; /* segment text; NULL for the root, parameter and wildcard nodes */
    size_t literal_len;
    struct route_node **children;
    size_t child_count;
    struct route_node *param;
    struct route_node *wildcard;
    gr_route **routes; /* routes ending here, one per method */
    size_t route_count;
} route_node;

struct gr_router {
    route_node root;
};

/* Matching state passed down the recursion. */
typedef struct {
    const char *method;
    char *const *segments;
    size_t count;
    size_t captures[GR_HTTP_MAX_PATH_PARAMS];
    size_t capture_count;
    const route_node *path_match; /* first node whose path matched, for 405 */
} match_state;

gr_router *gr_router_new(void)
{
    return gr_xcalloc(1, sizeof(gr_router));
}

static void route_free(gr_route *route)
{
    for (size_t p = 0; p < route->param_count; p++)
        free((char *)route->param_names[p]);
    free((char *)route->method);
    free((char *)route->pattern);
    free(route);
}

static void node_free_children(route_node *node)
{
    for (size_t i = 0; i < node->child_count; i++) {
        node_free_children(node->children[i]);
        free(node->children[i]);
    }
    if (node->param != NULL) {
        node_free_children(node->param);
        free(node->param);
    }
    if (node->wildcard != NULL) {
        node_free_children(node->wildcard);
        free(node->wildcard);
    }
    for (size_t i = 0; i < node->route_count; i++)
        route_free(node->routes[i]);
    free(node->routes);
    free(node->children);
    free(node->literal);
}

void gr_router_free(gr_router *router)
{
    if (router == NULL)
        return;
    node_free_children(&router->root);
    free(router);
}

static void node_each(const route_node *node, gr_route_visitor visit, void *payload)
{
    for (size_t i = 0; i < node->route_count; i++)
        visit(node->routes[i], payload);
    for (size_t i = 0; i < node->child_count; i++)
        node_each(node->children[i], visit, payload);
    if (node->param != NULL)
        node_each(node->param, visit, payload);
    if (node->wildcard != NULL)
        node_each(node->wildcard, visit, payload);
}

void gr_router_each(const gr_router *router, gr_route_visitor visit, void *payload)
{
    node_each(&router->root, visit, payload);
}

static int method_is_valid(const char *method)
{
    if (method == NULL || *method == '\0' || strlen(method) > 16)
        return 0;
    for (const char *p = method; *p != '\0'; p++) {
        if (*p < 'A' || *p > 'Z')
            return 0;
    }
    return 1;
}

static int param_name_is_valid(const char *name, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

static route_node *node_literal_child(route_node *node, const char *text, size_t len)
{
    route_node *child;

    for (size_t i = 0; i < node->child_count; i++) {
        child = node->children[i];
        if (child->literal_len == len && memcmp(child->literal, text, len) == 0)
            return child;
    }
    child = gr_xcalloc(1, sizeof(route_node));
    child->literal = gr_xstrndup(text, len);
    child->literal_len = len;
    node->children = gr_xrealloc(node->children, (node->child_count + 1) * sizeof(route_node *));
    node->children[node->child_count++] = child;
    return child;
}

static route_node *node_special_child(route_node **slot)
{
    if (*slot == NULL)
        *slot = gr_xcalloc(1, sizeof(route_node));
    return *slot;
}

/*
 * Walks `pattern` from the root, creating nodes as needed, and collects the
 * parameter names into `route`. Returns the node the pattern ends at, or NULL
 * with the error set.
 */
static route_node *router_insert_path(gr_router *router, const char *pattern, gr_route *route)
{
    route_node *node = &router->root;
    const char *seg = pattern + 1;
    size_t segments = 0;

    while (*seg != '\0') {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);

        /* A single trailing slash is ignored; an empty inner segment is not. */
        if (len == 0) {
            if (end == NULL || end[1] == '\0')
                break;
            gr_error_set(GR_EINVALID, "route pattern '%s' has an empty segment", pattern);
            return NULL;
        }
        if (++segments > GR_HTTP_MAX_PATH_SEGMENTS) {
            gr_error_set(GR_ELIMIT, "route pattern '%s' has more than %d segments", pattern,
                         GR_HTTP_MAX_PATH_SEGMENTS);
            return NULL;
        }

        if (seg[0] == ':') {
            if (!param_name_is_valid(seg + 1, len - 1)) {
                gr_error_set(GR_EINVALID,
                             "route pattern '%s': parameter name '%.*s' must be letters, digits "
                             "or '_'",
                             pattern, (int)len, seg);
                return NULL;
            }
            if (route->param_count == GR_HTTP_MAX_PATH_PARAMS) {
                gr_error_set(GR_ELIMIT, "route pattern '%s' has more than %d parameters", pattern,
                             GR_HTTP_MAX_PATH_PARAMS);
                return NULL;
            }
            for (size_t i = 0; i < route->param_count; i++) {
                if (strlen(route->param_names[i]) == len - 1 &&
                    memcmp(route->param_names[i], seg + 1, len - 1) == 0) {
                    gr_error_set(GR_EINVALID, "route pattern '%s' repeats parameter '%.*s'",
                                 pattern, (int)len, seg);
                    return NULL;
                }
            }
            route->param_names[route->param_count++] = gr_xstrndup(seg + 1, len - 1);
            node = node_special_child(&node->param);
        } else if (seg[0] == '*') {
            if (len != 1 || (end != NULL && end[1] != '\0')) {
                gr_error_set(GR_EINVALID,
                             "route pattern '%s': '*' must be a whole segment at the end",
                             pattern);
                return NULL;
            }
            node = node_special_child(&node->wildcard);
            break;
        } else {
            node = node_literal_child(node, seg, len);
        }
        if (end == NULL)
            break;
        seg = end + 1;
    }
    return node;
}

int gr_router_add(gr_router *router, const char *method, const char *pattern, unsigned flags,
                  gr_http_handler handler, void *payload, gr_route **out)
{
    gr_route *route = NULL;
    route_node *node;

    if (!method_is_valid(method))
        return gr_error_set(GR_EINVALID, "route method '%s' must be an upper-case HTTP method",
                            method ? method : "(null)");
    if (pattern == NULL || pattern[0] != '/')
        return gr_error_set(GR_EINVALID, "route pattern '%s' must start with '/'",
                            pattern ? pattern : "(null)");
    if (handler == NULL)
        return gr_error_set(GR_EINVALID, "route %s %s has no handler", method, pattern);

    route = gr_xcalloc(1, sizeof(gr_route));
    node = router_insert_path(router, pattern, route);
    if (node == NULL) {
        int code = gr_error_last_code();

        route_free(route);
        return code;
    }
    for (size_t i = 0; i < node->route_count; i++) {
        if (strcmp(node->routes[i]->method, method) == 0) {
            route_free(route);
            return gr_error_set(GR_ECONFLICT, "route %s %s conflicts with %s %s", method, pattern,
                                method, node->routes[i]->pattern);
        }
    }

    route->method = gr_xstrdup(method);
    route->pattern = gr_xstrdup(pattern);
    route->flags = flags;
    route->handler = handler;
    route->payload = payload;
    node->routes = gr_xrealloc(node->routes, (node->route_count + 1) * sizeof(gr_route *));
    node->routes[node->route_count++] = route;
    if (out != NULL)
        *out = route;
    return 0;
}

static const gr_route *node_route_for(const route_node *node, const char *method)
{
    const gr_route *get = NULL;

    for (size_t i = 0; i < node->route_count; i++) {
        const gr_route *route = node->routes[i];

        if (strcmp(route->method, method) == 0)
            return route;
        if (strcmp(route->method, "GET") == 0)
            get = route;
    }
    return strcmp(method, "HEAD") == 0 ? get : NULL;
}

/* Returns the route at `node` for the method, remembering the node for a
 * 405 response when only the path matches. */
static const gr_route *node_accept(const route_node *node, match_state *state)
{
    const gr_route *route;

    if (node == NULL || node->route_count == 0)
        return NULL;
    route = node_route_for(node, state->method);
    if (route == NULL && state->path_match == NULL)
        state->path_match = node;
    return route;
}

static const gr_route *node_match(const route_node *node, size_t index, match_state *state,
                                  long *wildcard_from)
{
    const gr_route *found;
    const char *seg;
    size_t len;

    if (index == state->count) {
        found = node_accept(node, state);
        if (found == NULL && node->wildcard != NULL) {
            found = node_accept(node->wildcard, state);
            if (found != NULL)
                *wildcard_from = (long)index;
        }
        return found;
    }

    seg = state->segments[index];
    len = strlen(seg);
    for (size_t i = 0; i < node->child_count; i++) {
        const route_node *child = node->children[i];

        if (child->literal_len != len || memcmp(child->literal, seg, len) != 0)
            continue;
        found = node_match(child, index + 1, state, wildcard_from);
        if (found != NULL)
            return found;
        break;
    }

    if (node->param != NULL && len > 0 && state->capture_count < GR_HTTP_MAX_PATH_PARAMS) {
        state->captures[state->capture_count++] = index;
        found = node_match(node->param, index + 1, state, wildcard_from);
        if (found != NULL)
            return found;
        state->capture_count--;
    }

    if (node->wildcard != NULL) {
        found = node_accept(node->wildcard, state);
        if (found != NULL) {
            *wildcard_from = (long)index;
            return found;
        }
    }
    return NULL;
}

static int allow_contains(const char *allow, const char *method)
{
    size_t len = strlen(method);

    for (const char *p = allow; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t token = end ? (size_t)(end - p) : strlen(p);

        if (token == len && memcmp(p, method, len) == 0)
            return 1;
        if (end == NULL)
            break;
        p = end + 2; /* skip ", " */
    }
    return 0;
}

static void allow_append(char *allow, size_t size, const char *method)
{
    size_t used = strlen(allow);
    size_t len = strlen(method);

    if (allow_contains(allow, method) || used + len + 3 > size)
        return;
    if (used > 0) {
        memcpy(allow + used, ", ", 2);
        used += 2;
    }
    memcpy(allow + used, method, len + 1);
}

int gr_router_match(const gr_router *router, const char *method, char *const *segments,
                    size_t count, gr_route_match *out)
{
    match_state state = {.method = method, .segments = segments, .count = count};
    const gr_route *route;
    long wildcard_from = -1;

    memset(out, 0, sizeof(*out));
    out->wildcard_from = -1;
    route = node_match(&router->root, 0, &state, &wildcard_from);
    if (route != NULL) {
        out->route = route;
        out->wildcard_from = wildcard_from;
        memcpy(out->param_segments, state.captures, state.capture_count * sizeof(size_t));
        return 0;
    }
    if (state.path_match == NULL)
        return GR_ENOTFOUND;

    for (size_t i = 0; i < state.path_match->route_count; i++) {
        const char *allowed = state.path_match->routes[i]->method;

        allow_append(out->allow, sizeof(out->allow), allowed);
        if (strcmp(allowed, "GET") == 0)
            allow_append(out->allow, sizeof(out->allow), "HEAD");
    }
    return GR_EDENIED;
}
