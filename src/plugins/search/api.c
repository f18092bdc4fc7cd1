/* SPDX-License-Identifier: MIT */
/* GET /api/search/query: Backstage's query-string parameters in, its result set out. */
#include "plugins/search/api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/http/http.h"

typedef struct {
    gr_search_request request;
    const char *types[GR_SEARCH_MAX_QUERY_TYPES + 1];
    gr_search_filter filters[GR_SEARCH_MAX_FILTERS + 1];
    const gr_host_api *api;
    gr_request *req; /* its arena contains the filter keys and values */
} parsed_query;

/* Allocates zeroed memory that lives until the response is sent. */
static void *request_calloc(const parsed_query *query, size_t size)
{
    void *memory = query->api->req_alloc(query->req, size);

    memset(memory, 0, size);
    return memory;
}

/* Accepts "" (name[]) and digits (name[0]) as array suffixes. */
static int is_array_suffix(const char *suffix)
{
    if (suffix[0] == '\0' || strcmp(suffix, "[]") == 0)
        return 1;
    if (suffix[0] != '[')
        return 0;
    suffix++;
    while (*suffix >= '0' && *suffix <= '9')
        suffix++;
    return strcmp(suffix, "]") == 0;
}

static int add_type(parsed_query *query, const char *value)
{
    if (query->request.type_count >= GR_SEARCH_MAX_QUERY_TYPES)
        return gr_error_set(GR_EINVALID, "Invalid query string: more than %d types",
                            GR_SEARCH_MAX_QUERY_TYPES);
    query->types[query->request.type_count++] = value;
    return 0;
}

/* Parses filters[KEY], filters[KEY][] and filters[KEY][N]. */
static int add_filter(parsed_query *query, const char *name, const char *value)
{
    const char *key = name + strlen("filters[");
    const char *close = strchr(key, ']');
    gr_search_filter *filter = NULL;
    size_t key_len;

    if (close == NULL || close == key || !is_array_suffix(close + 1))
        return gr_error_set(GR_EINVALID, "Invalid query string: '%.80s' is not a filter; write "
                                         "filters[key]=value or filters[key][]=value",
                            name);
    key_len = (size_t)(close - key);
    for (size_t i = 0; i < query->request.filter_count; i++)
        if (strlen(query->filters[i].key) == key_len &&
            strncmp(query->filters[i].key, key, key_len) == 0)
            filter = &query->filters[i];
    if (filter == NULL) {
        if (query->request.filter_count >= GR_SEARCH_MAX_FILTERS)
            return gr_error_set(GR_EINVALID, "Invalid query string: more than %d filters",
                                GR_SEARCH_MAX_FILTERS);
        filter = &query->filters[query->request.filter_count++];
        char *copy = request_calloc(query, key_len + 1);

        memcpy(copy, key, key_len);
        filter->key = copy;
        filter->values = request_calloc(query, GR_SEARCH_MAX_FILTER_VALUES * sizeof(char *));
    }
    if (filter->count >= GR_SEARCH_MAX_FILTER_VALUES)
        return gr_error_set(GR_EINVALID, "Invalid query string: filter '%.64s' has more than "
                                         "%d values",
                            filter->key, GR_SEARCH_MAX_FILTER_VALUES);
    filter->values[filter->count++] = value;
    return 0;
}

static int set_page_limit(parsed_query *query, const char *value)
{
    char *end = NULL;
    long limit;

    errno = 0;
    limit = strtol(value, &end, 10);
    if (value[0] == '\0' || *end != '\0' || errno != 0 || limit < 1 || limit > 1000000)
        return gr_error_set(GR_EINVALID, "Invalid query string: pageLimit '%.32s' is not a "
                                         "positive integer",
                            value);
    query->request.page_limit = (int)limit;
    return 0;
}

static int parse_param(parsed_query *query, const char *name, const char *value)
{
    if (strcmp(name, "term") == 0) {
        query->request.term = value;
    } else if (strncmp(name, "types", 5) == 0 && is_array_suffix(name + 5)) {
        if (value[0] != '\0')
            return add_type(query, value);
    } else if (strncmp(name, "filters[", 8) == 0) {
        return add_filter(query, name, value);
    } else if (strcmp(name, "pageCursor") == 0) {
        query->request.page_cursor = value[0] != '\0' ? value : NULL;
    } else if (strcmp(name, "pageLimit") == 0) {
        return set_page_limit(query, value);
    }
    return 0;
}

int gr_search_api_handle(gr_request *req, gr_response *res, void *payload)
{
    const gr_search_api *state = payload;
    const gr_host_api *api = state->api;
    size_t count = api->req_query_count(req);
    parsed_query *query = api->req_alloc(req, sizeof(*query));
    json_t *result = NULL;
    char *text = NULL;
    int rc;

    memset(query, 0, sizeof(*query));
    query->api = api;
    query->req = req;
    query->request.types = query->types;
    query->request.filters = query->filters;
    for (size_t i = 0; i < count; i++) {
        const char *name = NULL;
        const char *value = NULL;

        if (api->req_query_at(req, i, &name, &value) == GR_PLUGIN_OK &&
            (rc = parse_param(query, name, value)) < 0)
            return api->res_error(res, rc, "%s", api->error_last());
    }

    /* TODO: the ABI names the caller by its ref only (req_user), while the
     * permission filter needs the whole identity with its ownership refs,
     * so this built-in still reads it from the request itself. */
    rc = gr_search_query(state->search, &query->request, gr_req_identity(req), &result);
    if (rc < 0)
        return api->res_error(res, rc, "%s", api->error_last());
    text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(result);
    if (text == NULL)
        return api->res_error(res, GR_PLUGIN_ERROR, "the search result could not be written");
    rc = api->res_json(res, 200, text);
    free(text);
    return rc;
}

int gr_search_api_register(gr_plugin_ctx *ctx, gr_search_api *state)
{
    return state->api->route(ctx, "GET", "/query", 0, gr_search_api_handle, state);
}
