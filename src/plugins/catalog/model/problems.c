/* SPDX-License-Identifier: MIT */
/* A list of validation problems, each tied to a field of one entity. */
#include "plugins/catalog/model/problems.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"

void gr_model_problems_add(gr_model_problems *list, const char *pointer, const char *rule,
                           const char *value, const char *fmt, ...)
{
    gr_model_problem *problem;
    va_list args;

    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 4;
        list->items = gr_xrealloc(list->items, list->cap * sizeof(*list->items));
    }
    problem = &list->items[list->count++];
    problem->pointer = gr_xstrdup(pointer);
    problem->rule = gr_xstrdup(rule);
    problem->value = value ? gr_xstrdup(value) : NULL;
    va_start(args, fmt);
    problem->message = gr_xvasprintf(fmt, args);
    va_end(args);
}

int gr_model_problems_contains(const gr_model_problems *list, const char *pointer,
                               const char *message)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i].pointer, pointer) == 0 &&
            strcmp(list->items[i].message, message) == 0)
            return 1;
    }
    return 0;
}

void gr_model_problems_free(gr_model_problems *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].pointer);
        free(list->items[i].rule);
        free(list->items[i].message);
        free(list->items[i].value);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
    list->cap = 0;
}

char *gr_model_value_text(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    char *copy;

    if (text == NULL)
        return gr_xstrdup("?");
    if (strlen(text) <= GR_MODEL_VALUE_MAX) {
        copy = gr_xstrdup(text);
    } else {
        size_t cut = GR_MODEL_VALUE_MAX;

        /* Cut on a UTF-8 character boundary. */
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
        copy = gr_xasprintf("%.*s...", (int)cut, text);
    }
    free(text);
    return copy;
}

int gr_model_is_falsy(const json_t *value)
{
    return value == NULL || json_is_null(value) || json_is_false(value) ||
           (json_is_string(value) && json_string_length(value) == 0) ||
           (json_is_number(value) && json_number_value(value) == 0);
}
