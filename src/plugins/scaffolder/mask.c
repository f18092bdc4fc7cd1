/* SPDX-License-Identifier: MIT */
/* Masking secrets in task logs and events: every occurrence of a secret value becomes "***". */
#include "plugins/scaffolder/mask.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/log/log.h"

struct gr_scaffolder_mask {
    char **secrets; /* longest first, so that a secret containing another is masked whole */
    size_t count;
    int warned;
};

gr_scaffolder_mask *gr_scaffolder_mask_new(void)
{
    return gr_xcalloc(1, sizeof(gr_scaffolder_mask));
}

void gr_scaffolder_mask_free(gr_scaffolder_mask *mask)
{
    if (mask == NULL)
        return;
    for (size_t i = 0; i < mask->count; i++)
        free(mask->secrets[i]);
    free(mask->secrets);
    free(mask);
}

void gr_scaffolder_mask_add(gr_scaffolder_mask *mask, const char *secret)
{
    size_t len;
    size_t at;

    if (secret == NULL || (len = strlen(secret)) == 0)
        return;
    for (size_t i = 0; i < mask->count; i++)
        if (strcmp(mask->secrets[i], secret) == 0)
            return;
    if (mask->count >= GR_SCAFFOLDER_MAX_SECRETS) {
        if (!mask->warned++)
            gr_warn("scaffolder", "more than %d secret values; later ones are not masked",
                    GR_SCAFFOLDER_MAX_SECRETS);
        return;
    }
    mask->secrets = gr_xrealloc(mask->secrets, (mask->count + 1) * sizeof(char *));
    for (at = 0; at < mask->count && strlen(mask->secrets[at]) >= len; at++)
        ;
    memmove(mask->secrets + at + 1, mask->secrets + at, (mask->count - at) * sizeof(char *));
    mask->secrets[at] = gr_xstrdup(secret);
    mask->count++;
}

void gr_scaffolder_mask_add_json(gr_scaffolder_mask *mask, const json_t *value)
{
    const char *key;
    json_t *item;
    size_t index;

    if (json_is_string(value)) {
        gr_scaffolder_mask_add(mask, json_string_value(value));
    } else if (json_is_object(value)) {
        json_object_foreach((json_t *)value, key, item) gr_scaffolder_mask_add_json(mask, item);
    } else if (json_is_array(value)) {
        json_array_foreach(value, index, item) gr_scaffolder_mask_add_json(mask, item);
    }
}

char *gr_scaffolder_mask_text(const gr_scaffolder_mask *mask, const char *text)
{
    gr_buf out = GR_BUF_INIT;
    const char *p = text;

    if (mask == NULL || mask->count == 0)
        return gr_xstrdup(text);
    while (*p != '\0') {
        size_t matched = 0;

        for (size_t i = 0; i < mask->count; i++) {
            size_t len = strlen(mask->secrets[i]);

            if (strncmp(p, mask->secrets[i], len) == 0) {
                matched = len;
                break;
            }
        }
        if (matched > 0) {
            gr_buf_puts(&out, GR_SCAFFOLDER_MASK);
            p += matched;
        } else {
            gr_buf_putc(&out, *p++);
        }
    }
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}

json_t *gr_scaffolder_mask_json(const gr_scaffolder_mask *mask, const json_t *value)
{
    const char *key;
    json_t *item;
    size_t index;
    json_t *copy;

    if (json_is_string(value)) {
        char *masked = gr_scaffolder_mask_text(mask, json_string_value(value));

        copy = json_string(masked);
        free(masked);
        return copy ? copy : json_string("");
    }
    if (json_is_object(value)) {
        copy = json_object();
        json_object_foreach((json_t *)value, key, item)
        {
            char *masked_key = gr_scaffolder_mask_text(mask, key);

            json_object_set_new(copy, masked_key, gr_scaffolder_mask_json(mask, item));
            free(masked_key);
        }
        return copy;
    }
    if (json_is_array(value)) {
        copy = json_array();
        json_array_foreach(value, index, item)
            json_array_append_new(copy, gr_scaffolder_mask_json(mask, item));
        return copy;
    }
    return json_deep_copy(value);
}
