/* SPDX-License-Identifier: MIT */
/* A copy of the config with secret values replaced, for printing. */
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/config/internal.h"

#define MASK "<secret>"

bool gr_config__secret_name(const char *name)
{
    static const char *const words[] = {"password", "passwd",     "token",
                                        "secret",   "privatekey", "apikey"};
    size_t len = strlen(name);

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t word_len = strlen(words[i]);

        for (size_t at = 0; at + word_len <= len; at++) {
            if (strncasecmp(name + at, words[i], word_len) == 0)
                return true;
        }
    }
    return false;
}

/* Returns a copy of string `value` with the password of a `scheme://user:password@` URL masked. */
static json_t *mask_url(const json_t *value)
{
    const char *text = json_string_value(value);
    const char *scheme_end = strstr(text, "://");
    const char *authority;
    const char *at;
    const char *colon;
    gr_buf masked = GR_BUF_INIT;
    json_t *copy;

    if (scheme_end == NULL)
        return json_copy((json_t *)value);
    /* The last '@' ends the user information, since a password may hold another. */
    authority = scheme_end + 3;
    at = memrchr(authority, '@', strcspn(authority, "/?#"));
    colon = at != NULL ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
    if (colon == NULL)
        return json_copy((json_t *)value);

    gr_buf_append(&masked, text, (size_t)(colon + 1 - text));
    gr_buf_puts(&masked, MASK);
    gr_buf_puts(&masked, at);
    copy = json_string(gr_buf_cstr(&masked));
    gr_buf_free(&masked);
    return copy;
}

/* Returns a masked copy of `value` whose key path is `path`; `hide` masks every scalar. */
static json_t *mask_value(const gr_config *cfg, const json_t *value, gr_buf *path, bool hide)
{
    size_t path_len = path->len;
    json_t *copy;
    const char *name;
    json_t *member;
    size_t index;

    hide = hide || json_object_get(cfg->secrets, gr_buf_cstr(path)) != NULL;
    if (json_is_object(value)) {
        copy = json_object();
        json_object_foreach((json_t *)value, name, member)
        {
            gr_config__path_key(path, name);
            json_object_set_new(
                copy, name, mask_value(cfg, member, path, hide || gr_config__secret_name(name)));
            gr_config__path_cut(path, path_len);
        }
        return copy;
    }
    if (json_is_array(value)) {
        copy = json_array();
        json_array_foreach(value, index, member)
        {
            gr_config__path_index(path, index);
            json_array_append_new(copy, mask_value(cfg, member, path, hide));
            gr_config__path_cut(path, path_len);
        }
        return copy;
    }
    if (hide && !json_is_null(value) && !json_is_boolean(value))
        return json_string(MASK);
    if (json_is_string(value))
        return mask_url(value);
    return json_copy((json_t *)value);
}

json_t *gr_config_masked(const gr_config *cfg)
{
    gr_buf path = GR_BUF_INIT;
    json_t *masked = mask_value(cfg, cfg->root, &path, false);

    gr_buf_free(&path);
    return masked;
}
