/* SPDX-License-Identifier: MIT */
/* Resolves the dot segments of a URL path, for checks that compare path prefixes. */
#include "host/common/url_path.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"

/* Returns the number of dots `segment` (of `len` bytes) spells, or 0 when it
 * is not made of one or two dots, written plainly or as %2e. */
static int segment_dots(const char *segment, size_t len)
{
    int dots = 0;

    for (size_t i = 0; i < len; dots++) {
        if (segment[i] == '.')
            i++;
        else if (len - i >= 3 && strncasecmp(segment + i, "%2e", 3) == 0)
            i += 3;
        else
            return 0;
    }
    return dots <= 2 ? dots : 0;
}

static bool path_ambiguous(const char *path)
{
    for (const char *p = path; *p != '\0'; p++) {
        if (*p == '\\')
            return true;
        if (*p == '%' && (strncasecmp(p, "%2f", 3) == 0 || strncasecmp(p, "%5c", 3) == 0))
            return true;
    }
    return false;
}

/* Drops the last segment of `out`, which always starts with '/'. */
static void drop_last_segment(gr_buf *out)
{
    while (out->len > 1 && out->data[out->len - 1] != '/')
        out->len--;
    if (out->len > 1)
        out->len--;
    out->data[out->len] = '\0';
}

int gr_url_path_resolve(const char *path, char **out)
{
    gr_buf resolved = GR_BUF_INIT;
    const char *segment = path;

    *out = NULL;
    if (path_ambiguous(path))
        return gr_error_set(GR_EINVALID,
                            "URL path '%s' contains a backslash or an encoded slash; write the "
                            "path with plain slashes",
                            path);

    gr_buf_putc(&resolved, '/');
    while (*segment != '\0') {
        size_t len;
        int dots;

        while (*segment == '/')
            segment++;
        len = strcspn(segment, "/");
        dots = segment_dots(segment, len);
        if (dots == 2)
            drop_last_segment(&resolved);
        if (dots == 0 && len > 0) {
            if (resolved.data[resolved.len - 1] != '/')
                gr_buf_putc(&resolved, '/');
            gr_buf_append(&resolved, segment, len);
        }
        segment += len;
        /* A path ending in a slash or in a dot segment names a folder. */
        if ((*segment == '/' && segment[1] == '\0') || (*segment == '\0' && dots > 0)) {
            if (resolved.data[resolved.len - 1] != '/')
                gr_buf_putc(&resolved, '/');
        }
    }
    *out = gr_buf_detach(&resolved);
    return GR_OK;
}

bool gr_url_path_has_prefix(const char *path, const char *prefix)
{
    char *resolved = NULL;
    bool matches;

    if (gr_url_path_resolve(path, &resolved) != GR_OK) {
        gr_error_clear();
        return false;
    }
    matches = strncmp(resolved, prefix, strlen(prefix)) == 0;
    free(resolved);
    return matches;
}
