/* SPDX-License-Identifier: MIT */
/* Environment variable substitution in config strings: ${VAR}, ${VAR:-fallback} and $${. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/config/internal.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *gr_config__trimmed(const char *text, size_t len)
{
    while (len > 0 && is_space(text[0])) {
        text++;
        len--;
    }
    while (len > 0 && is_space(text[len - 1]))
        len--;
    return gr_xstrndup(text, len);
}

/* Returns the trimmed value of variable `name`, or NULL when it is unset. Caller frees. */
static char *env_value(const char *name, size_t len)
{
    char *key = gr_config__trimmed(name, len);
    const char *value = getenv(key);

    free(key);
    return value != NULL ? gr_config__trimmed(value, strlen(value)) : NULL;
}

/*
 * Resolves the expression between `${` and `}`: the variable's value, or
 * for `VAR:-fallback` the trimmed fallback when the variable is unset or
 * empty. Returns NULL when the result is undefined (unset, and no non-empty
 * fallback); *name gets the variable's name then. Caller frees.
 */
static char *resolve(const char *expr, size_t len, char **name)
{
    const char *separator = memmem(expr, len, ":-", 2);
    size_t name_len = separator != NULL ? (size_t)(separator - expr) : len;
    char *value = env_value(expr, name_len);
    char *fallback;

    if (separator == NULL || (value != NULL && value[0] != '\0')) {
        if (value == NULL)
            *name = gr_config__trimmed(expr, name_len);
        return value;
    }
    free(value);
    fallback = gr_config__trimmed(separator + 2, len - name_len - 2);
    if (fallback[0] != '\0')
        return fallback;
    free(fallback);
    *name = gr_config__trimmed(expr, name_len);
    return NULL;
}

/* Returns the length of `${...}` at text[0..len) (no braces inside), or 0. */
static size_t reference_length(const char *text, size_t len)
{
    if (len < 3 || text[0] != '$' || text[1] != '{')
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (text[i] == '}')
            return i + 1;
        if (text[i] == '{')
            return 0;
    }
    return 0;
}

bool gr_config__substitute(const char *text, size_t len, gr_buf *out, char **missing)
{
    size_t i = 0;

    *missing = NULL;
    while (i < len) {
        size_t ref = reference_length(text + i, len - i);
        size_t escaped = text[i] == '$' ? reference_length(text + i + 1, len - i - 1) : 0;
        char *value;

        if (escaped > 0) {
            /* `$${...}` is written as the literal `${...}`. */
            gr_buf_append(out, text + i + 1, escaped);
            i += escaped + 1;
            continue;
        }
        if (ref == 0) {
            gr_buf_putc(out, text[i]);
            i++;
            continue;
        }
        value = resolve(text + i + 2, ref - 3, missing);
        if (value == NULL)
            return false;
        gr_buf_puts(out, value);
        free(value);
        i += ref;
    }
    return true;
}
