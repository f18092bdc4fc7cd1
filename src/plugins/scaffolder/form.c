/* SPDX-License-Identifier: MIT */
/* HTML forms from template parameter schemas, and form posts back to typed values. */
#include "plugins/scaffolder/form.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "plugins/catalog/model/model.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *form_decode(const char *text, size_t len)
{
    char *out = gr_xmalloc(len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == '+') {
            out[n++] = ' ';
        } else if (text[i] == '%' && i + 2 < len && hex_digit(text[i + 1]) >= 0 &&
                   hex_digit(text[i + 2]) >= 0) {
            out[n++] = (char)(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else {
            out[n++] = text[i];
        }
    }
    out[n] = '\0';
    return out;
}

gr_form_fields *gr_form_parse(const char *body, size_t len)
{
    json_t *fields = json_array();
    size_t start = 0;

    while (start < len) {
        size_t end = start;
        size_t eq;
        char *name;
        char *value;
        json_t *pair;

        while (end < len && body[end] != '&')
            end++;
        for (eq = start; eq < end && body[eq] != '='; eq++)
            ;
        name = form_decode(body + start, eq - start);
        value = eq < end ? form_decode(body + eq + 1, end - eq - 1) : gr_xstrdup("");
        /* A field that is not UTF-8 cannot be a JSON string; it is dropped. */
        pair = json_pack("[s,s]", name, value);
        if (pair != NULL)
            json_array_append_new(fields, pair);
        free(name);
        free(value);
        start = end + 1;
    }
    return fields;
}

const char *gr_form_get(const gr_form_fields *fields, const char *name)
{
    size_t index;
    json_t *pair;

    json_array_foreach(fields, index,
                       pair) if (strcmp(json_string_value(json_array_get(pair, 0)), name) ==
                                 0) return json_string_value(json_array_get(pair, 1));
    return NULL;
}

/* Collects the properties of a step and of its dependency branches, in order. */
static json_t *step_properties(const json_t *step)
{
    json_t *out = json_object();
    const char *key;
    json_t *value;
    json_t *dependency;

    json_object_foreach(json_object_get(step, "properties"), key, value)
        json_object_set(out, key, value);
    json_object_foreach(json_object_get(step, "dependencies"), key, dependency)
    {
        json_t *branches = json_object_get(dependency, "oneOf");
        size_t index;
        json_t *branch;
        const char *name;
        json_t *property;

        if (!json_is_array(branches))
            branches = json_object_get(dependency, "anyOf");
        json_array_foreach(branches, index, branch)
            json_object_foreach(json_object_get(branch, "properties"), name,
                                property) if (json_object_get(out, name) == NULL)
                json_object_set(out, name, property);
        json_object_foreach(json_object_get(dependency, "properties"), name,
                            property) if (json_object_get(out, name) == NULL)
            json_object_set(out, name, property);
    }
    return out;
}

static bool is_required(const json_t *step, const char *name)
{
    size_t index;
    json_t *item;

    json_array_foreach(json_object_get(step, "required"), index,
                       item) if (json_is_string(item) &&
                                 strcmp(json_string_value(item), name) == 0) return true;
    return false;
}

static const char *ui_string(const json_t *property, const char *key)
{
    return json_string_value(json_object_get(property, key));
}

static const json_t *ui_option(const json_t *property, const char *key)
{
    return json_object_get(json_object_get(property, "ui:options"), key);
}

/* Appends a value as the text an input shows. */
static void put_value_text(gr_buf *out, const json_t *value)
{
    if (json_is_string(value)) {
        gr_buf_put_html(out, json_string_value(value));
    } else if (json_is_number(value) || json_is_boolean(value)) {
        char *text = json_dumps(value, JSON_ENCODE_ANY);

        gr_buf_put_html(out, text ? text : "");
        free(text);
    }
}

/* Returns whether `value` is an array of strings, numbers and booleans only. */
static bool is_scalar_list(const json_t *value)
{
    size_t index;
    json_t *item;

    if (!json_is_array(value))
        return false;
    json_array_foreach(value, index, item)
    {
        if (!json_is_string(item) && !json_is_number(item) && !json_is_boolean(item))
            return false;
    }
    return true;
}

/* Writes a list of scalars as text separated by commas, or "None" when it is empty. */
static void put_list_text(gr_buf *out, const json_t *list)
{
    size_t index;
    json_t *item;

    if (json_array_size(list) == 0) {
        gr_buf_puts(out, "<span class=\"muted\">None</span>");
        return;
    }
    json_array_foreach(list, index, item)
    {
        if (index > 0)
            gr_buf_puts(out, ", ");
        put_value_text(out, item);
    }
}

static bool value_selected(const json_t *current, const json_t *option)
{
    size_t index;
    json_t *item;

    if (json_is_array(current)) {
        json_array_foreach(current, index, item) if (json_equal(item, option)) return true;
        return false;
    }
    return current != NULL && json_equal(current, option);
}

static void put_option_label(gr_buf *out, const json_t *names, size_t index, const json_t *value)
{
    const char *label = json_string_value(json_array_get(names, index));

    if (label != NULL)
        gr_buf_put_html(out, label);
    else
        put_value_text(out, value);
}

static void render_choice(gr_buf *out, const char *name, const json_t *options, const json_t *names,
                          const json_t *current, const char *type)
{
    size_t index;
    json_t *option;

    gr_buf_puts(out, "<div class=\"choices\">");
    json_array_foreach(options, index, option)
    {
        gr_buf_printf(out, "<label class=\"choice\"><input type=\"%s\" name=\"", type);
        gr_buf_put_html(out, name);
        gr_buf_puts(out, "\" value=\"");
        put_value_text(out, option);
        gr_buf_printf(out, "\"%s> ", value_selected(current, option) ? " checked" : "");
        put_option_label(out, names, index, option);
        gr_buf_puts(out, "</label>");
    }
    gr_buf_puts(out, "</div>");
}

static void render_select(gr_buf *out, const char *name, const json_t *options, const json_t *names,
                          const json_t *current, bool required)
{
    size_t index;
    json_t *option;

    gr_buf_puts(out, "<select id=\"f-");
    gr_buf_put_html(out, name);
    gr_buf_puts(out, "\" name=\"");
    gr_buf_put_html(out, name);
    gr_buf_printf(out, "\"%s>", required ? " required" : "");
    if (!required)
        gr_buf_puts(out, "<option value=\"\"></option>");
    json_array_foreach(options, index, option)
    {
        gr_buf_puts(out, "<option value=\"");
        put_value_text(out, option);
        gr_buf_printf(out, "\"%s>", value_selected(current, option) ? " selected" : "");
        put_option_label(out, names, index, option);
        gr_buf_puts(out, "</option>");
    }
    gr_buf_puts(out, "</select>");
}

/* The kinds an entity picker offers, or NULL for every kind. */
static json_t *picker_kinds(const json_t *property, const char *field)
{
    const json_t *filter = ui_option(property, "catalogFilter");
    const json_t *kind = json_is_array(filter) ? json_object_get(json_array_get(filter, 0), "kind")
                                               : json_object_get(filter, "kind");
    const json_t *allowed = ui_option(property, "allowedKinds");

    if (json_is_string(kind))
        return json_pack("[O]", kind);
    if (json_is_array(kind))
        return json_incref((json_t *)kind);
    if (json_is_array(allowed))
        return json_incref((json_t *)allowed);
    if (strcmp(field, "OwnerPicker") == 0)
        return json_pack("[s,s]", "Group", "User");
    return NULL;
}

static bool kind_matches(const json_t *kinds, const json_t *entity)
{
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    size_t index;
    json_t *item;

    if (kinds == NULL)
        return true;
    json_array_foreach(kinds, index,
                       item) if (kind != NULL && json_is_string(item) &&
                                 strcasecmp(json_string_value(item), kind) == 0) return true;
    return false;
}

static void render_datalist(gr_buf *out, const char *name, const json_t *property,
                            const char *field, const json_t *entities)
{
    json_t *kinds = picker_kinds(property, field);
    size_t index;
    json_t *entity;

    gr_buf_puts(out, "<datalist id=\"d-");
    gr_buf_put_html(out, name);
    gr_buf_puts(out, "\">");
    json_array_foreach(entities, index, entity)
    {
        char *ref;

        if (!kind_matches(kinds, entity))
            continue;
        ref = gr_model_entity_ref(entity);
        gr_buf_puts(out, "<option value=\"");
        gr_buf_put_html(out, ref);
        gr_buf_puts(out, "\">");
        free(ref);
    }
    gr_buf_puts(out, "</datalist>");
    json_decref(kinds);
}

/* Splits "host?owner=o&repo=r" for the RepoUrlPicker's parts. */
static char *repo_part(const json_t *current, const char *part)
{
    const char *text = json_string_value(current);
    const char *query;
    size_t len = strlen(part);

    if (text == NULL)
        return NULL;
    query = strchr(text, '?');
    if (strcmp(part, "host") == 0)
        return gr_xstrndup(text, query ? (size_t)(query - text) : strlen(text));
    for (const char *p = query; p != NULL && *p; p = strchr(p + 1, '&')) {
        const char *item = p + 1;

        if (strncmp(item, part, len) == 0 && item[len] == '=')
            return form_decode(item + len + 1, strcspn(item + len + 1, "&"));
    }
    return NULL;
}

static void render_repo_part(gr_buf *out, const char *name, const char *part, const char *label,
                             const json_t *allowed, const json_t *current)
{
    char *value = repo_part(current, part);

    gr_buf_printf(out, "<label class=\"part\">%s ", label);
    if (json_is_array(allowed) && json_array_size(allowed) > 0) {
        size_t index;
        json_t *item;

        gr_buf_puts(out, "<select name=\"");
        gr_buf_put_html(out, name);
        gr_buf_printf(out, ".%s\">", part);
        json_array_foreach(allowed, index, item)
        {
            const char *text = json_string_value(item);

            if (text == NULL)
                continue;
            gr_buf_puts(out, "<option value=\"");
            gr_buf_put_html(out, text);
            gr_buf_printf(out, "\"%s>", value && strcmp(value, text) == 0 ? " selected" : "");
            gr_buf_put_html(out, text);
            gr_buf_puts(out, "</option>");
        }
        gr_buf_puts(out, "</select>");
    } else {
        gr_buf_puts(out, "<input type=\"text\" name=\"");
        gr_buf_put_html(out, name);
        gr_buf_printf(out, ".%s\" value=\"", part);
        gr_buf_put_html(out, value ? value : "");
        gr_buf_puts(out, "\">");
    }
    gr_buf_puts(out, "</label>");
    free(value);
}

static void render_repo_picker(gr_buf *out, const char *name, const json_t *property,
                               const json_t *current)
{
    gr_buf_puts(out, "<div class=\"repo-picker\">");
    render_repo_part(out, name, "host", "Host", ui_option(property, "allowedHosts"), current);
    render_repo_part(out, name, "owner", "Owner", ui_option(property, "allowedOwners"), current);
    render_repo_part(out, name, "repo", "Repository", ui_option(property, "allowedRepos"), current);
    gr_buf_puts(out, "</div>");
}

/* Appends the common attributes of a text-like input. */
static void put_input_attributes(gr_buf *out, const char *name, const json_t *property,
                                 bool required)
{
    const char *placeholder = ui_string(property, "ui:placeholder");
    json_t *value;

    gr_buf_puts(out, " id=\"f-");
    gr_buf_put_html(out, name);
    gr_buf_puts(out, "\" name=\"");
    gr_buf_put_html(out, name);
    gr_buf_puts(out, "\"");
    if (required)
        gr_buf_puts(out, " required");
    if (json_is_true(json_object_get(property, "ui:autofocus")))
        gr_buf_puts(out, " autofocus");
    if (placeholder != NULL) {
        gr_buf_puts(out, " placeholder=\"");
        gr_buf_put_html(out, placeholder);
        gr_buf_puts(out, "\"");
    }
    if ((value = json_object_get(property, "maxLength")) && json_is_integer(value))
        gr_buf_printf(out, " maxlength=\"%lld\"", (long long)json_integer_value(value));
    if ((value = json_object_get(property, "minimum")) && json_is_number(value))
        gr_buf_printf(out, " min=\"%g\"", json_number_value(value));
    if ((value = json_object_get(property, "maximum")) && json_is_number(value))
        gr_buf_printf(out, " max=\"%g\"", json_number_value(value));
}

static void render_text_input(gr_buf *out, const char *name, const json_t *property,
                              const json_t *current, bool required, const char *type,
                              const char *list)
{
    gr_buf_printf(out, "<input type=\"%s\"", type);
    put_input_attributes(out, name, property, required);
    if (strcmp(type, "number") == 0)
        gr_buf_puts(out, json_is_integer(json_object_get(property, "multipleOf")) ||
                                 strcmp(ui_string(property, "type") ?: "", "integer") == 0
                             ? " step=\"1\""
                             : " step=\"any\"");
    if (list != NULL) {
        gr_buf_puts(out, " list=\"d-");
        gr_buf_put_html(out, list);
        gr_buf_puts(out, "\"");
    }
    gr_buf_puts(out, " value=\"");
    if (json_is_array(current)) {
        size_t index;
        json_t *item;

        json_array_foreach(current, index, item)
        {
            if (index > 0)
                gr_buf_puts(out, ", ");
            put_value_text(out, item);
        }
    } else {
        put_value_text(out, current);
    }
    gr_buf_puts(out, "\">");
}

static void render_textarea(gr_buf *out, const char *name, const json_t *property,
                            const json_t *current, bool required)
{
    const json_t *rows = ui_option(property, "rows");
    size_t index;
    json_t *item;

    gr_buf_printf(out, "<textarea rows=\"%lld\"",
                  json_is_integer(rows) ? (long long)json_integer_value(rows) : 4LL);
    put_input_attributes(out, name, property, required);
    gr_buf_puts(out, ">");
    if (json_is_array(current))
        json_array_foreach(current, index, item)
        {
            put_value_text(out, item);
            gr_buf_putc(out, '\n');
        }
    else
        put_value_text(out, current);
    gr_buf_puts(out, "</textarea>");
}

/* Renders the control of one property. */
static void render_control(gr_buf *out, const char *name, const json_t *property,
                           const json_t *current, bool required, const json_t *entities)
{
    const char *type = ui_string(property, "type");
    const char *widget = ui_string(property, "ui:widget");
    const char *field = ui_string(property, "ui:field");
    const json_t *options = json_object_get(property, "enum");
    const json_t *names = json_object_get(property, "enumNames");
    const json_t *items = json_object_get(property, "items");

    type = type ? type : "string";
    widget = widget ? widget : "";
    field = field ? field : "";
    if (strcmp(field, "RepoUrlPicker") == 0) {
        render_repo_picker(out, name, property, current);
    } else if (strcmp(field, "EntityPicker") == 0 || strcmp(field, "OwnerPicker") == 0 ||
               strcmp(field, "OwnedEntityPicker") == 0) {
        render_text_input(out, name, property, current, required, "text", name);
        render_datalist(out, name, property, field, entities);
    } else if (strcmp(field, "MultiEntityPicker") == 0) {
        render_textarea(out, name, property, current, required);
        render_datalist(out, name, property, field, entities);
    } else if (strcmp(field, "EntityTagsPicker") == 0) {
        render_text_input(out, name, property, current, required, "text", NULL);
    } else if (strcmp(type, "array") == 0 && json_is_array(json_object_get(items, "enum"))) {
        render_choice(out, name, json_object_get(items, "enum"),
                      json_object_get(items, "enumNames"), current, "checkbox");
    } else if (strcmp(type, "array") == 0 || strcmp(type, "object") == 0 ||
               strcmp(widget, "textarea") == 0) {
        if (strcmp(type, "object") == 0 && current != NULL) {
            char *text = json_dumps(current, JSON_INDENT(2));
            json_t *as_text = json_string(text ? text : "");

            render_textarea(out, name, property, as_text, required);
            json_decref(as_text);
            free(text);
        } else {
            render_textarea(out, name, property, current, required);
        }
    } else if (json_is_array(options)) {
        if (strcmp(widget, "radio") == 0)
            render_choice(out, name, options, names, current, "radio");
        else
            render_select(out, name, options, names, current, required);
    } else if (strcmp(type, "boolean") == 0) {
        json_t *choices = json_pack("[b,b]", 1, 0);
        json_t *labels = json_pack("[s,s]", "Yes", "No");

        if (strcmp(widget, "radio") == 0 || strcmp(widget, "select") == 0)
            render_choice(out, name, choices, labels, current, "radio");
        else {
            gr_buf_puts(out, "<input type=\"checkbox\" value=\"true\"");
            put_input_attributes(out, name, property, false);
            gr_buf_puts(out, json_is_true(current) ? " checked>" : ">");
        }
        json_decref(choices);
        json_decref(labels);
    } else if (strcmp(type, "number") == 0 || strcmp(type, "integer") == 0) {
        render_text_input(out, name, property, current, required, "number", NULL);
    } else {
        render_text_input(out, name, property, current, required,
                          strcmp(widget, "password") == 0 ? "password" : "text", NULL);
    }
}

static void put_paragraph(gr_buf *out, const char *class_name, const char *text)
{
    if (text == NULL)
        return;
    gr_buf_printf(out, "<p class=\"%s\">", class_name);
    gr_buf_put_html(out, text);
    gr_buf_puts(out, "</p>");
}

void gr_form_render_step(gr_buf *out, const json_t *step, const json_t *values,
                         const json_t *entities, const json_t *errors)
{
    json_t *properties = step_properties(step);
    const char *name;
    json_t *property;

    json_object_foreach(properties, name, property)
    {
        const json_t *current = json_object_get(values, name);
        const char *title = ui_string(property, "title");
        bool required = is_required(step, name);

        if (current == NULL)
            current = json_object_get(property, "default");
        if (strcmp(ui_string(property, "ui:widget") ?: "", "hidden") == 0) {
            gr_buf_puts(out, "<input type=\"hidden\" name=\"");
            gr_buf_put_html(out, name);
            gr_buf_puts(out, "\" value=\"");
            put_value_text(out, current);
            gr_buf_puts(out, "\">");
            continue;
        }
        gr_buf_puts(out, "<div class=\"field\"><label for=\"f-");
        gr_buf_put_html(out, name);
        gr_buf_puts(out, "\">");
        gr_buf_put_html(out, title ? title : name);
        if (required)
            gr_buf_puts(out, " <span class=\"required\" title=\"required\">*</span>");
        gr_buf_puts(out, "</label>");
        render_control(out, name, property, current, required, entities);
        put_paragraph(out, "hint", ui_string(property, "description"));
        put_paragraph(out, "hint", ui_string(property, "ui:help"));
        put_paragraph(out, "field-error", json_string_value(json_object_get(errors, name)));
        gr_buf_puts(out, "</div>");
    }
    json_decref(properties);
}

/* Converts one text to the property's item type; strings stay strings. */
static json_t *typed(const char *type, const char *text)
{
    char *end = NULL;

    if (type != NULL && (strcmp(type, "number") == 0 || strcmp(type, "integer") == 0)) {
        double number = strtod(text, &end);

        if (end != text && *end == '\0') {
            if (strcmp(type, "integer") == 0 || number == (double)(long long)number)
                return json_integer((json_int_t)number);
            return json_real(number);
        }
    }
    if (type != NULL && strcmp(type, "boolean") == 0) {
        if (strcmp(text, "true") == 0)
            return json_true();
        if (strcmp(text, "false") == 0)
            return json_false();
    }
    return json_string(text);
}

/* Every value of field `name`, in order. */
static json_t *all_values(const gr_form_fields *fields, const char *name)
{
    json_t *list = json_array();
    size_t index;
    json_t *pair;

    json_array_foreach(fields, index,
                       pair) if (strcmp(json_string_value(json_array_get(pair, 0)), name) == 0)
        json_array_append(list, json_array_get(pair, 1));
    return list;
}

/* Splits text into trimmed, non-empty items at `separator`. */
static json_t *split_items(const char *text, char separator, const char *item_type)
{
    json_t *list = json_array();
    const char *p = text;

    while (*p != '\0') {
        const char *end = strchr(p, separator);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *item;
        char *start;
        size_t item_len;

        item = gr_xstrndup(p, len);
        for (start = item; isspace((unsigned char)*start); start++)
            ;
        item_len = strlen(start);
        while (item_len > 0 && isspace((unsigned char)start[item_len - 1]))
            start[--item_len] = '\0';
        if (item_len > 0)
            json_array_append_new(list, typed(item_type, start));
        free(item);
        p += len;
        if (*p == separator)
            p++;
    }
    return list;
}

static json_t *read_repo_url(const gr_form_fields *fields, const char *name)
{
    char *host_key = gr_xasprintf("%s.host", name);
    char *owner_key = gr_xasprintf("%s.owner", name);
    char *repo_key = gr_xasprintf("%s.repo", name);
    const char *host = gr_form_get(fields, host_key);
    const char *owner = gr_form_get(fields, owner_key);
    const char *repo = gr_form_get(fields, repo_key);
    json_t *value = NULL;

    if (host != NULL && host[0] != '\0') {
        gr_buf url = GR_BUF_INIT;

        gr_buf_puts(&url, host);
        gr_buf_putc(&url, '?');
        if (owner != NULL && owner[0] != '\0') {
            gr_buf_puts(&url, "owner=");
            for (const unsigned char *p = (const unsigned char *)owner; *p; p++)
                gr_buf_printf(&url, isalnum(*p) || strchr("-_.~/", *p) ? "%c" : "%%%02X", *p);
            gr_buf_putc(&url, '&');
        }
        gr_buf_puts(&url, "repo=");
        for (const unsigned char *p = (const unsigned char *)(repo ? repo : ""); *p; p++)
            gr_buf_printf(&url, isalnum(*p) || strchr("-_.~", *p) ? "%c" : "%%%02X", *p);
        value = json_string(gr_buf_cstr(&url));
        gr_buf_free(&url);
    }
    free(host_key);
    free(owner_key);
    free(repo_key);
    return value;
}

static json_t *read_property(const char *name, const json_t *property, const gr_form_fields *fields)
{
    const char *type = ui_string(property, "type");
    const char *field = ui_string(property, "ui:field");
    const char *text = gr_form_get(fields, name);
    const json_t *items = json_object_get(property, "items");

    type = type ? type : "string";
    field = field ? field : "";
    if (strcmp(field, "RepoUrlPicker") == 0)
        return read_repo_url(fields, name);
    if (strcmp(type, "boolean") == 0)
        return text != NULL && strcmp(text, "true") == 0 ? json_true() : json_false();
    if (strcmp(type, "array") == 0) {
        const char *item_type = ui_string(items, "type");

        if (json_is_array(json_object_get(items, "enum"))) {
            json_t *texts = all_values(fields, name);
            json_t *list = json_array();
            size_t index;
            json_t *item;

            json_array_foreach(texts, index, item)
                json_array_append_new(list, typed(item_type, json_string_value(item)));
            json_decref(texts);
            return list;
        }
        if (text == NULL)
            return NULL;
        return split_items(text, strcmp(field, "EntityTagsPicker") == 0 ? ',' : '\n', item_type);
    }
    if (text == NULL || text[0] == '\0')
        return NULL;
    if (strcmp(type, "object") == 0) {
        json_t *parsed = json_loads(text, 0, NULL);

        return parsed ? parsed : json_string(text);
    }
    return typed(type, text);
}

void gr_form_read_step(const json_t *step, const gr_form_fields *fields, json_t *values)
{
    json_t *properties = step_properties(step);
    const char *name;
    json_t *property;

    json_object_foreach(properties, name, property)
    {
        json_t *value = read_property(name, property, fields);

        if (value != NULL)
            json_object_set_new(values, name, value);
        else
            json_object_del(values, name);
    }
    json_decref(properties);
}

void gr_form_render_review(gr_buf *out, const json_t *step, const json_t *values)
{
    json_t *properties = step_properties(step);
    const char *name;
    json_t *property;

    json_object_foreach(properties, name, property)
    {
        const json_t *value = json_object_get(values, name);
        const char *title = ui_string(property, "title");
        const char *widget = ui_string(property, "ui:widget");
        const char *field = ui_string(property, "ui:field");

        if (value == NULL || (widget != NULL && strcmp(widget, "hidden") == 0))
            continue;
        gr_buf_puts(out, "<tr><th scope=\"row\">");
        gr_buf_put_html(out, title ? title : name);
        gr_buf_puts(out, "</th><td>");
        if ((widget != NULL && strcmp(widget, "password") == 0) ||
            (field != NULL && strcmp(field, "Secret") == 0)) {
            gr_buf_puts(out, "&#8226;&#8226;&#8226;&#8226;&#8226;&#8226;");
        } else if (json_is_string(value) || json_is_number(value) || json_is_boolean(value)) {
            put_value_text(out, value);
        } else if (is_scalar_list(value)) {
            put_list_text(out, value);
        } else {
            char *text = json_dumps(value, JSON_COMPACT);

            gr_buf_puts(out, "<code>");
            gr_buf_put_html(out, text ? text : "");
            gr_buf_puts(out, "</code>");
            free(text);
        }
        gr_buf_puts(out, "</td></tr>");
    }
    json_decref(properties);
}
