/* SPDX-License-Identifier: MIT */
/* The /create pages: template gallery, multi-step form with review, and the task page. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/assets.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/ref.h"
#include "plugins/scaffolder/creator.h"
#include "plugins/scaffolder/form.h"
#include "plugins/scaffolder/jsonschema.h"
#include "plugins/scaffolder/plugin.h"
#include "plugins/scaffolder/spec.h"
#include "plugins/scaffolder/store.h"
#include "plugins/scaffolder/task_user.h"

/*
 * The pages and form pages are registered through the plugin ABI, so the
 * host frames them: in the portal UI's layout (sidebar, header, theme) when
 * the UI runs, else in its plain layout. plugins/scaffolder/ui/create.css
 * styles what is particular to them. The host checks the session and the
 * CSRF token of every form post before a form page renders.
 */

/* Maximum number of catalog entities the pickers of one form offer. */
#define PICKER_MAX_ENTITIES 2000
/* Seconds between two reloads of a running task's page without scripts. */
#define TASK_REFRESH_S 2
/* Path of the pages' stylesheet. */
#define CREATE_STYLESHEET_URL "/create/static/create.css"

/* Where one /create page is answered. */
typedef struct {
    gr_scaffolder_plugin *plugin;
    gr_request *req;
    gr_response *res;
    gr_html *out; /* the page's HTML, framed by the host */
    const char *title;
    bool refresh;
} create_page;

/* Starts the page body; the host writes the title as the heading. */
static void page_start(create_page *cp, gr_buf *out, const char *title, bool refresh)
{
    (void)out;
    cp->title = gr_arena_strdup(gr_req_arena(cp->req), title);
    cp->refresh = refresh;
}

/* Hands the body to the host with the page's frame: status, title, stylesheet, breadcrumbs and,
 * for a running task, a reload for browsers without scripts. Frees `out`. */
static int page_end(create_page *cp, gr_buf *out, int status)
{
    const gr_host_api *api = cp->plugin->api;
    gr_plugin_crumb crumbs[] = {{"Home", "/"}, {"Create", "/create"}, {cp->title, NULL}};
    gr_plugin_page_frame frame = {
        .struct_size = sizeof(frame),
        .status = status,
        .title = cp->title,
        .flags = cp->refresh ? GR_PLUGIN_PAGE_REFRESH_NOSCRIPT : 0,
        .refresh_seconds = cp->refresh ? TASK_REFRESH_S : 0,
        .stylesheet = CREATE_STYLESHEET_URL,
        .crumbs = crumbs,
        .crumb_count = sizeof(crumbs) / sizeof(crumbs[0]),
    };

    api->html_raw(cp->out, gr_buf_cstr(out));
    gr_buf_free(out);
    api->res_header(cp->res, "Cache-Control", "private, no-cache");
    return api->page_frame(cp->out, &frame);
}

/* Sends 303 See Other to `location`, a path of this server, without the layout. */
static int page_redirect(create_page *cp, const char *location)
{
    gr_plugin_page_frame frame = {.struct_size = sizeof(frame), .flags = GR_PLUGIN_PAGE_RAW};
    int rc = gr_res_redirect(cp->res, 303, location);

    return rc < 0 ? rc : cp->plugin->api->page_frame(cp->out, &frame);
}

static const char *entity_title(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *title = json_string_value(json_object_get(metadata, "title"));

    return title ? title : json_string_value(json_object_get(metadata, "name"));
}

static bool contains_folded(const char *text, const char *part)
{
    return text != NULL && strcasestr(text, part) != NULL;
}

static bool has_tag(const json_t *entity, const char *tag)
{
    size_t index;
    json_t *item;

    json_array_foreach(json_object_get(json_object_get(entity, "metadata"), "tags"), index,
                       item) if (json_is_string(item) &&
                                 strcasecmp(json_string_value(item), tag) == 0) return true;
    return false;
}

static bool gallery_matches(const json_t *entity, const char *query, const char *tag)
{
    const json_t *metadata = json_object_get(entity, "metadata");

    if (tag != NULL && tag[0] != '\0' && !has_tag(entity, tag))
        return false;
    if (query == NULL || query[0] == '\0')
        return true;
    return contains_folded(json_string_value(json_object_get(metadata, "name")), query) ||
           contains_folded(json_string_value(json_object_get(metadata, "title")), query) ||
           contains_folded(json_string_value(json_object_get(metadata, "description")), query);
}

static void put_template_link(gr_buf *out, const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));

    gr_buf_puts(out, "/create/templates/");
    gr_buf_put_html(out, namespace ? namespace : "default");
    gr_buf_putc(out, '/');
    gr_buf_put_html(out, json_string_value(json_object_get(metadata, "name")));
}

static void render_card(gr_buf *out, const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *description = json_string_value(json_object_get(metadata, "description"));
    size_t index;
    json_t *tag;

    gr_buf_puts(out, "<article class=\"card\"><h3><a href=\"");
    put_template_link(out, entity);
    gr_buf_puts(out, "\">");
    gr_buf_put_html(out, entity_title(entity));
    gr_buf_puts(out, "</a></h3>");
    if (description != NULL) {
        gr_buf_puts(out, "<p>");
        gr_buf_put_html(out, description);
        gr_buf_puts(out, "</p>");
    }
    gr_buf_puts(out, "<p class=\"tags\">");
    json_array_foreach(json_object_get(metadata, "tags"), index, tag)
    {
        if (!json_is_string(tag))
            continue;
        gr_buf_puts(out, "<a class=\"tag\" href=\"/create?tag=");
        gr_buf_put_html(out, json_string_value(tag));
        gr_buf_puts(out, "\">");
        gr_buf_put_html(out, json_string_value(tag));
        gr_buf_puts(out, "</a> ");
    }
    gr_buf_puts(out, "</p><a class=\"button\" href=\"");
    put_template_link(out, entity);
    gr_buf_puts(out, "\">Choose</a></article>");
}

/* Groups matching templates by spec.type: {type: [entity...]}. */
static json_t *group_templates(const json_t *templates, const char *query, const char *tag,
                               json_t *tags)
{
    json_t *groups = json_object();
    size_t index;
    json_t *entity;

    json_array_foreach(templates, index, entity)
    {
        const char *type =
            json_string_value(json_object_get(json_object_get(entity, "spec"), "type"));
        json_t *list;
        size_t t;
        json_t *item;

        json_array_foreach(json_object_get(json_object_get(entity, "metadata"), "tags"), t,
                           item) if (json_is_string(item))
            json_object_set_new(tags, json_string_value(item), json_true());
        if (!gallery_matches(entity, query, tag))
            continue;
        type = type ? type : "other";
        list = json_object_get(groups, type);
        if (list == NULL) {
            list = json_array();
            json_object_set_new(groups, type, list);
        }
        json_array_append(list, entity);
    }
    return groups;
}

static void render_gallery_filters(gr_buf *out, const char *query, const char *tag,
                                   const json_t *tags)
{
    const char *name;
    json_t *unused;

    gr_buf_puts(out, "<form class=\"search\" method=\"get\" action=\"/create\">"
                     "<label for=\"q\">Search templates</label> <input id=\"q\" type=\"search\" "
                     "name=\"q\" value=\"");
    gr_buf_put_html(out, query ? query : "");
    gr_buf_puts(out, "\"> <select name=\"tag\" aria-label=\"Tag\"><option value=\"\">All tags"
                     "</option>");
    json_object_foreach((json_t *)tags, name, unused)
    {
        gr_buf_puts(out, "<option");
        if (tag != NULL && strcasecmp(tag, name) == 0)
            gr_buf_puts(out, " selected");
        gr_buf_puts(out, ">");
        gr_buf_put_html(out, name);
        gr_buf_puts(out, "</option>");
    }
    gr_buf_puts(out, "</select> <button type=\"submit\">Filter</button></form>");
}

static int gallery_page(create_page *cp)
{
    gr_scaffolder_plugin *plugin = cp->plugin;
    gr_request *req = cp->req;
    const char *query = gr_req_query(req, "q");
    const char *tag = gr_req_query(req, "tag");
    json_t *templates = NULL;
    json_t *tags = json_object();
    json_t *groups;
    gr_buf out = GR_BUF_INIT;
    const char *type;
    json_t *list;
    int rc;

    if ((rc = gr_scaffolder_list_templates(plugin, req, &templates)) < 0) {
        json_decref(tags);
        return rc;
    }
    groups = group_templates(templates, query, tag, tags);
    page_start(cp, &out, "Create a new component", false);
    gr_buf_puts(&out, "<p class=\"muted\">Create new software components using standard "
                      "templates.</p>");
    render_gallery_filters(&out, query, tag, tags);
    if (json_object_size(groups) == 0)
        gr_buf_puts(&out, "<p>No templates match.</p>");
    json_object_foreach(groups, type, list)
    {
        size_t index;
        json_t *entity;

        gr_buf_puts(&out, "<section class=\"group\"><h2>");
        gr_buf_put_html(&out, type);
        gr_buf_puts(&out, "</h2><div class=\"cards\">");
        json_array_foreach(list, index, entity) render_card(&out, entity);
        gr_buf_puts(&out, "</div></section>");
    }
    json_decref(groups);
    json_decref(tags);
    json_decref(templates);
    return page_end(cp, &out, 200);
}

/* Loads every catalog entity the pickers may offer (at most PICKER_MAX_ENTITIES). */
static json_t *picker_entities(gr_scaffolder_plugin *plugin)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *list = json_array();
    char *sql = gr_xasprintf("SELECT final_entity FROM catalog_final_entities WHERE kind IN "
                             "('group', 'user', 'system', 'domain', 'component', 'resource', "
                             "'api') ORDER BY entity_ref LIMIT %d",
                             PICKER_MAX_ENTITIES);

    if (gr_db_acquire(plugin->host->db, GR_DB_READ, &conn) == 0 &&
        gr_db_prepare(conn, sql, &stmt) == 0) {
        while (gr_db_step(stmt) == GR_DB_ROW) {
            json_t *entity = json_loads(gr_db_column_text(stmt, 0) ?: "null", 0, NULL);

            if (json_is_object(entity))
                json_array_append_new(list, entity);
            else
                json_decref(entity);
        }
    }
    gr_error_clear();
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    return list;
}

/* Maps validation errors to {property: message} for the fields of a step. */
static json_t *field_errors(const json_t *errors)
{
    json_t *out = json_object();
    size_t index;
    json_t *error;

    json_array_foreach(errors, index, error)
    {
        const char *name = json_string_value(json_object_get(error, "name"));
        const char *property = json_string_value(json_array_get(json_object_get(error, "path"), 0));
        const char *message = json_string_value(json_object_get(error, "message"));

        if (name != NULL && strcmp(name, "required") == 0 && property == NULL) {
            property = json_string_value(json_object_get(error, "argument"));
            message = "is required";
        }
        if (property != NULL && message != NULL && json_object_get(out, property) == NULL)
            json_object_set_new(out, property, json_string(message));
    }
    return out;
}

typedef struct {
    gr_scaffolder_plugin *plugin;
    gr_request *req;
    create_page *cp;
    json_t *entity;
    json_t *steps;  /* parameter steps */
    json_t *values; /* entered so far */
    size_t step;    /* index; == step count for the review */
} form_state;

static void put_hidden(gr_buf *out, const char *name, const char *value)
{
    gr_buf_puts(out, "<input type=\"hidden\" name=\"");
    gr_buf_put_html(out, name);
    gr_buf_puts(out, "\" value=\"");
    gr_buf_put_html(out, value);
    gr_buf_puts(out, "\">");
}

static void render_progress(gr_buf *out, const form_state *state)
{
    size_t index;
    json_t *step;

    gr_buf_puts(out, "<ol class=\"progress\">");
    json_array_foreach(state->steps, index, step)
    {
        const char *title = json_string_value(json_object_get(step, "title"));

        gr_buf_printf(out, "<li%s>", index == state->step ? " aria-current=\"step\"" : "");
        gr_buf_put_html(out, title ? title : "Parameters");
        gr_buf_puts(out, "</li>");
    }
    gr_buf_printf(out, "<li%s>Review</li></ol>",
                  state->step == json_array_size(state->steps) ? " aria-current=\"step\"" : "");
}

static int render_form(form_state *state, const json_t *errors, const char *message)
{
    gr_buf out = GR_BUF_INIT;
    char *values = json_dumps(state->values, JSON_COMPACT);
    const char *csrf = state->plugin->api->req_csrf_token(state->req);
    size_t count = json_array_size(state->steps);
    char step_text[32];

    page_start(state->cp, &out, entity_title(state->entity), false);
    render_progress(&out, state);
    if (message != NULL) {
        gr_buf_puts(&out, "<p class=\"form-error\" role=\"alert\">");
        gr_buf_put_html(&out, message);
        gr_buf_puts(&out, "</p>");
    }
    gr_buf_puts(&out, "<form method=\"post\" action=\"");
    put_template_link(&out, state->entity);
    gr_buf_puts(&out, "\" class=\"template-form\">");
    snprintf(step_text, sizeof(step_text), "%zu", state->step);
    put_hidden(&out, "_step", step_text);
    put_hidden(&out, "_values", values ? values : "{}");
    if (csrf[0] != '\0')
        put_hidden(&out, GR_PLUGIN_CSRF_FIELD, csrf);
    if (state->step < count) {
        json_t *step = json_array_get(state->steps, state->step);
        json_t *entities = picker_entities(state->plugin);
        json_t *map = field_errors(errors);
        const char *description = json_string_value(json_object_get(step, "description"));

        if (description != NULL) {
            gr_buf_puts(&out, "<p class=\"muted\">");
            gr_buf_put_html(&out, description);
            gr_buf_puts(&out, "</p>");
        }
        gr_form_render_step(&out, step, state->values, entities, map);
        json_decref(map);
        json_decref(entities);
    } else {
        size_t index;
        json_t *step;

        gr_buf_puts(&out, "<table class=\"review\"><tbody>");
        json_array_foreach(state->steps, index, step)
            gr_form_render_review(&out, step, state->values);
        gr_buf_puts(&out, "</tbody></table>");
    }
    gr_buf_puts(&out, "<div class=\"actions\">");
    if (state->step > 0)
        gr_buf_puts(&out, "<button type=\"submit\" name=\"_action\" value=\"back\" "
                          "formnovalidate>Back</button> ");
    if (state->step < count)
        gr_buf_puts(&out, "<button type=\"submit\" name=\"_action\" value=\"next\" "
                          "class=\"primary\">Next</button>");
    else
        gr_buf_puts(&out, "<button type=\"submit\" name=\"_action\" value=\"create\" "
                          "class=\"primary\">Create</button>");
    gr_buf_puts(&out, "</div></form>");
    free(values);
    return page_end(state->cp, &out, errors != NULL || message != NULL ? 400 : 200);
}

static int load_form_template(create_page *cp, form_state *state)
{
    gr_scaffolder_plugin *plugin = cp->plugin;
    gr_request *req = cp->req;
    char *ref =
        gr_xasprintf("template:%s/%s", gr_req_param(req, "namespace"), gr_req_param(req, "name"));
    int rc = gr_scaffolder_find_template(plugin, req, ref, &state->entity);

    free(ref);
    if (rc == 0)
        rc = gr_scaffolder_template_check(state->entity);
    if (rc == 0)
        rc = gr_scaffolder_authorize_entity(plugin, req, "scaffolder.template.parameter.read",
                                            state->entity);
    if (rc == 0)
        state->steps = gr_scaffolder_parameter_steps(state->entity);
    state->plugin = plugin;
    state->req = req;
    state->cp = cp;
    return rc;
}

static void form_state_clear(form_state *state)
{
    json_decref(state->entity);
    json_decref(state->steps);
    json_decref(state->values);
}

static int form_page(create_page *cp)
{
    form_state state = {0};
    int rc = load_form_template(cp, &state);

    if (rc == 0) {
        state.values = json_object();
        rc = render_form(&state, NULL, NULL);
    }
    form_state_clear(&state);
    return rc;
}

/* Creates the task from a reviewed form and redirects to its page. */
static int create_from_form(form_state *state)
{
    gr_scaffolder_plugin *plugin = state->plugin;
    json_t *errors = NULL;
    json_t *user = NULL;
    json_t *creator = NULL;
    json_t *spec = NULL;
    char *ref = NULL;
    char id[GR_SCAFFOLDER_ID_SIZE];
    int rc;

    if ((rc = gr_scaffolder_authorize_template(plugin, state->req, state->entity)) < 0)
        return rc;
    if (gr_scaffolder_validate_values(state->entity, state->values, &errors) < 0) {
        char *text = gr_jsonschema_errors_text(errors);

        rc = render_form(state, NULL, text);
        free(text);
        json_decref(errors);
        return rc;
    }
    user = gr_scaffolder_request_user(plugin, state->req);
    spec = gr_scaffolder_task_spec(state->entity, state->values, user);
    ref = gr_scaffolder_template_ref(state->entity);
    creator = gr_scaffolder_creator_from_identity(gr_req_identity(state->req));
    rc = gr_task_create(plugin->host->db, spec, NULL, creator, ref, id);
    if (rc == 0) {
        char *location = gr_xasprintf("/create/tasks/%s", id);

        gr_scaffolder_workers_notify(plugin->workers);
        rc = page_redirect(state->cp, location);
        free(location);
    }
    free(ref);
    json_decref(spec);
    json_decref(creator);
    json_decref(user);
    return rc;
}

/* Returns the form fields the host decoded, as [[name, value], ...] (a new reference). */
static gr_form_fields *read_fields(create_page *cp)
{
    const gr_host_api *api = cp->plugin->api;
    size_t count = api->req_form_count(cp->req);
    json_t *fields = json_array();

    for (size_t i = 0; i < count; i++) {
        const char *name = NULL;
        const char *value = NULL;

        if (api->req_form_at(cp->req, i, &name, &value) == GR_PLUGIN_OK)
            json_array_append_new(fields, json_pack("[ss]", name, value));
    }
    return fields;
}

/* Handles a post of the template form. The host has checked its session and CSRF token. */
static int form_post(create_page *cp)
{
    form_state state = {0};
    gr_form_fields *fields = NULL;
    const char *action;
    size_t count;
    int rc;

    if ((rc = load_form_template(cp, &state)) < 0)
        goto done;
    fields = read_fields(cp);
    state.values = json_loads(gr_form_get(fields, "_values") ?: "{}", 0, NULL);
    if (!json_is_object(state.values)) {
        json_decref(state.values);
        state.values = json_object();
    }
    count = json_array_size(state.steps);
    state.step = (size_t)strtoul(gr_form_get(fields, "_step") ?: "0", NULL, 10);
    if (state.step > count)
        state.step = count;
    action = gr_form_get(fields, "_action");
    action = action ? action : "next";
    if (state.step < count)
        gr_form_read_step(json_array_get(state.steps, state.step), fields, state.values);

    if (strcmp(action, "back") == 0) {
        state.step = state.step > 0 ? state.step - 1 : 0;
        rc = render_form(&state, NULL, NULL);
    } else if (state.step < count) {
        json_t *errors = json_array();

        gr_jsonschema_validate(json_array_get(state.steps, state.step), state.values, errors);
        if (json_array_size(errors) == 0)
            state.step++;
        rc = render_form(&state, json_array_size(errors) ? errors : NULL, NULL);
        json_decref(errors);
    } else if (strcmp(action, "create") == 0) {
        rc = create_from_form(&state);
    } else {
        rc = render_form(&state, NULL, NULL);
    }
done:
    json_decref(fields);
    form_state_clear(&state);
    return rc;
}

static const char *status_label(const char *status)
{
    if (status == NULL)
        return "open";
    if (strcmp(status, "processing") == 0)
        return "running";
    return status;
}

static void render_steps(gr_buf *out, const json_t *task)
{
    const json_t *spec = json_object_get(task, "spec");
    const json_t *states = json_object_get(json_object_get(task, "state"), "steps");
    size_t index;
    json_t *step;

    gr_buf_puts(out, "<ol class=\"steps\" id=\"steps\">");
    json_array_foreach(json_object_get(spec, "steps"), index, step)
    {
        const char *id = json_string_value(json_object_get(step, "id"));
        const char *name = json_string_value(json_object_get(step, "name"));
        const char *status = json_string_value(json_object_get(states, id ? id : ""));

        gr_buf_printf(out, "<li class=\"step status-%s\" data-step=\"", status_label(status));
        gr_buf_put_html(out, id ? id : "");
        gr_buf_puts(out, "\"><span class=\"name\">");
        if (name == NULL)
            name = id ? id : "";
        gr_buf_put_html(out, name);
        gr_buf_printf(out, "</span> <span class=\"status\">%s</span></li>", status_label(status));
    }
    gr_buf_puts(out, "</ol>");
}

static void render_log(gr_buf *out, const json_t *events, int64_t *last_id)
{
    size_t index;
    json_t *event;

    gr_buf_puts(out, "<h2>Log</h2><pre class=\"log\" id=\"log\">");
    json_array_foreach(events, index, event)
    {
        const json_t *body = json_object_get(event, "body");
        const char *message = json_string_value(json_object_get(body, "message"));
        const char *step = json_string_value(json_object_get(body, "stepId"));

        *last_id = json_integer_value(json_object_get(event, "id"));
        if (message == NULL)
            continue;
        if (step != NULL) {
            gr_buf_puts(out, "[");
            gr_buf_put_html(out, step);
            gr_buf_puts(out, "] ");
        }
        gr_buf_put_html(out, message);
        gr_buf_putc(out, '\n');
    }
    gr_buf_puts(out, "</pre>");
}

/* Links to an entity page for `entityRef` outputs. */
static void put_entity_href(gr_buf *out, const char *ref)
{
    gr_entity_ref parsed = GR_ENTITY_REF_INIT;

    if (gr_model_ref_parse(ref, "component", NULL, &parsed) == 0) {
        gr_buf_puts(out, "/catalog/");
        gr_buf_put_html(out, parsed.namespace);
        gr_buf_putc(out, '/');
        for (const char *p = parsed.kind; *p; p++)
            gr_buf_putc(out, (char)tolower((unsigned char)*p));
        gr_buf_putc(out, '/');
        gr_buf_put_html(out, parsed.name);
    } else {
        gr_buf_puts(out, "#");
    }
    gr_entity_ref_free(&parsed);
    gr_error_clear();
}

static bool url_is_safe(const char *url)
{
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0 ||
           (url[0] == '/' && url[1] != '/');
}

static void render_output(gr_buf *out, const json_t *output)
{
    size_t index;
    json_t *item;

    if (json_array_size(json_object_get(output, "links")) == 0 &&
        json_array_size(json_object_get(output, "text")) == 0)
        return;
    gr_buf_puts(out, "<h2>Output</h2><ul class=\"output\">");
    json_array_foreach(json_object_get(output, "links"), index, item)
    {
        const char *url = json_string_value(json_object_get(item, "url"));
        const char *ref = json_string_value(json_object_get(item, "entityRef"));
        const char *title = json_string_value(json_object_get(item, "title"));

        if ((url == NULL || !url_is_safe(url)) && ref == NULL)
            continue;
        gr_buf_puts(out, "<li><a class=\"button\" href=\"");
        if (url != NULL && url_is_safe(url))
            gr_buf_put_html(out, url);
        else
            put_entity_href(out, ref);
        gr_buf_puts(out, "\">");
        if (title == NULL)
            title = url ? url : ref;
        gr_buf_put_html(out, title);
        gr_buf_puts(out, "</a></li>");
    }
    gr_buf_puts(out, "</ul>");
    json_array_foreach(json_object_get(output, "text"), index, item)
    {
        const char *title = json_string_value(json_object_get(item, "title"));
        const char *content = json_string_value(json_object_get(item, "content"));

        gr_buf_puts(out, "<section class=\"output-text\"><h3>");
        gr_buf_put_html(out, title ? title : "");
        gr_buf_puts(out, "</h3><pre>");
        gr_buf_put_html(out, content ? content : "");
        gr_buf_puts(out, "</pre></section>");
    }
}

/* The completion event's body, or NULL (borrowed from `events`). */
static const json_t *completion_body(const json_t *events)
{
    size_t index;
    json_t *event;

    json_array_foreach(events, index,
                       event) if (strcmp(json_string_value(json_object_get(event, "type")) ?: "",
                                         "completion") == 0) return json_object_get(event, "body");
    return NULL;
}

static int task_page(create_page *cp)
{
    gr_scaffolder_plugin *plugin = cp->plugin;
    gr_request *req = cp->req;
    const char *id = gr_req_param(req, "taskId");
    json_t *task = NULL;
    json_t *events = NULL;
    gr_buf out = GR_BUF_INIT;
    const char *status;
    const json_t *done;
    const json_t *template;
    int64_t last_id = 0;
    bool running;
    int rc;

    if ((rc = gr_scaffolder_task_get(plugin, req, "scaffolder.task.read", id, &task)) < 0)
        return rc;
    if ((rc = gr_task_events(plugin->host->db, id, 0, &events)) < 0) {
        json_decref(task);
        return rc;
    }
    status = json_string_value(json_object_get(task, "status"));
    running = status != NULL && (strcmp(status, "open") == 0 || strcmp(status, "processing") == 0);
    template =
        json_object_get(json_object_get(json_object_get(task, "spec"), "templateInfo"), "entity");
    page_start(cp, &out, entity_title(template) ? entity_title(template) : "Task", running);
    gr_buf_printf(&out, "<p class=\"task-status status-%s\" id=\"task-status\">Task ",
                  status_label(status));
    gr_buf_put_html(&out, id);
    gr_buf_printf(&out, ": <strong>%s</strong></p>", status_label(status));
    render_steps(&out, task);
    done = completion_body(events);
    if (json_object_get(done, "error") != NULL) {
        gr_buf_puts(&out, "<p class=\"form-error\" role=\"alert\">");
        gr_buf_put_html(
            &out, json_string_value(json_object_get(json_object_get(done, "error"), "message")));
        gr_buf_puts(&out, "</p>");
    }
    render_output(&out, json_object_get(done, "output"));
    render_log(&out, events, &last_id);
    if (running) {
        const char *csrf = plugin->api->req_csrf_token(req);

        gr_buf_puts(&out, "<form method=\"post\" action=\"/create/tasks/");
        gr_buf_put_html(&out, id);
        gr_buf_puts(&out, "/cancel\">");
        if (csrf[0] != '\0')
            put_hidden(&out, GR_PLUGIN_CSRF_FIELD, csrf);
        gr_buf_puts(&out, "<button type=\"submit\">Cancel</button></form>");
        gr_buf_puts(&out, "<script src=\"/create/static/task.js\" data-task=\"");
        gr_buf_put_html(&out, id);
        gr_buf_printf(&out, "\" data-after=\"%lld\" defer></script>", (long long)last_id);
    }
    json_decref(events);
    json_decref(task);
    return page_end(cp, &out, 200);
}

/* Cancels a task from its page's form: the host checked its session and CSRF token already. */
static int cancel_post(create_page *cp)
{
    gr_scaffolder_plugin *plugin = cp->plugin;
    gr_request *req = cp->req;
    const char *id = gr_req_param(req, "taskId");
    json_t *task = NULL;
    char *location;
    int rc;

    if ((rc = gr_scaffolder_task_get(plugin, req, "scaffolder.task.cancel", id, &task)) < 0)
        return rc;
    json_decref(task);
    rc = gr_task_cancel(plugin->host->db, id);
    if (rc < 0 && rc != GR_ECONFLICT)
        return rc;
    location = gr_xasprintf("/create/tasks/%s", id);
    rc = page_redirect(cp, location);
    free(location);
    return rc;
}

static int tasks_page(create_page *cp)
{
    gr_scaffolder_plugin *plugin = cp->plugin;
    gr_request *req = cp->req;
    json_t *user = gr_scaffolder_request_user(plugin, req);
    gr_task_filter filter = {.created_by = json_string_value(json_object_get(user, "ref")),
                             .limit = 100};
    json_t *list = NULL;
    json_t *access = NULL;
    gr_buf out = GR_BUF_INIT;
    size_t index;
    json_t *task;
    int rc;

    if ((rc = gr_scaffolder_task_access(plugin, req, "scaffolder.task.read", &access)) == 0) {
        filter.access = access;
        rc = gr_task_list(plugin->host->db, &filter, &list);
        json_decref(access);
    }
    if (rc < 0) {
        json_decref(user);
        return rc;
    }
    page_start(cp, &out, filter.created_by ? "My tasks" : "Tasks", false);
    gr_buf_puts(&out, "<table class=\"tasks\"><thead><tr><th>Template</th><th>Status</th>"
                      "<th>Created</th></tr></thead><tbody>");
    json_array_foreach(json_object_get(list, "tasks"), index, task)
    {
        const char *id = json_string_value(json_object_get(task, "id"));
        const json_t *entity = json_object_get(
            json_object_get(json_object_get(task, "spec"), "templateInfo"), "entity");
        const char *title = entity_title(entity);

        gr_buf_puts(&out, "<tr><td><a href=\"/create/tasks/");
        gr_buf_put_html(&out, id);
        gr_buf_puts(&out, "\">");
        gr_buf_put_html(&out, title ? title : id);
        gr_buf_printf(&out, "</a></td><td>%s</td><td>",
                      status_label(json_string_value(json_object_get(task, "status"))));
        gr_buf_put_html(&out, json_string_value(json_object_get(task, "createdAt")) ?: "");
        gr_buf_puts(&out, "</td></tr>");
    }
    gr_buf_puts(&out, "</tbody></table>");
    json_decref(list);
    json_decref(user);
    return page_end(cp, &out, 200);
}

static int static_file(gr_request *req, gr_response *res, void *payload)
{
    const char *file = gr_req_param(req, "file");
    char *name;
    const gr_asset *asset;

    (void)payload;
    if (strcmp(file, "create.css") != 0 && strcmp(file, "task.js") != 0)
        return gr_error_set(GR_ENOTFOUND, "No file named '%s'", file);
    name = gr_xasprintf("plugins/scaffolder/ui/%s", file);
    asset = gr_asset_find(name);
    free(name);
    if (asset == NULL)
        return gr_error_set(GR_ENOTFOUND, "No file named '%s'", file);
    gr_res_body_borrowed(res, 200,
                         strstr(file, ".css") ? "text/css; charset=utf-8"
                                              : "text/javascript; charset=utf-8",
                         asset->data, asset->size);
    gr_res_header(res, "Cache-Control", "public, max-age=300");
    return 0;
}

/* The render function of each page and form page. */
#define CREATE_PAGE(fn)                                                                            \
    static int fn##_render(gr_request *req, gr_html *out, void *payload)                           \
    {                                                                                              \
        gr_scaffolder_plugin *plugin = payload;                                                    \
        create_page cp = {plugin, req, plugin->api->page_response(out), out, NULL, false};         \
        return fn(&cp);                                                                            \
    }

CREATE_PAGE(gallery_page)
CREATE_PAGE(form_page)
CREATE_PAGE(form_post)
CREATE_PAGE(tasks_page)
CREATE_PAGE(task_page)
CREATE_PAGE(cancel_post)

int gr_scaffolder_ui_register(gr_scaffolder_plugin *plugin)
{
    const struct {
        bool form;
        const char *pattern;
        const char *title;
        gr_plugin_page_fn render;
    } pages[] = {
        {false, "/create", "Create a new component", gallery_page_render},
        {false, "/create/templates/:namespace/:name", "Template", form_page_render},
        {true, "/create/templates/:namespace/:name", "Template", form_post_render},
        {false, "/create/tasks", "Tasks", tasks_page_render},
        {false, "/create/tasks/:taskId", "Task", task_page_render},
        {true, "/create/tasks/:taskId/cancel", "Task", cancel_post_render},
    };
    const gr_host_api *api = plugin->api;
    int rc;

    /* TODO: the ABI registers public files only under /api/<plugin-id>, so the stylesheet and
     * script stay on the host's server at /create/static, where their URLs have always been. */
    rc = gr_http_route(plugin->host->http, "GET", "/create/static/:file", GR_ROUTE_PUBLIC,
                       static_file, plugin);
    for (size_t i = 0; rc == 0 && i < sizeof(pages) / sizeof(pages[0]); i++) {
        gr_plugin_page page = {sizeof(page), pages[i].pattern, pages[i].title, pages[i].render,
                               plugin};

        rc = pages[i].form ? api->form_page_add(plugin->ctx, &page)
                           : api->page_add(plugin->ctx, &page);
    }
    return rc;
}
