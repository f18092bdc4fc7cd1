/* SPDX-License-Identifier: MIT */
/* Paths of site files taken from request URLs, normalized and kept inside the site. */
#include "plugins/techdocs/path.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"

int gr_techdocs_path_normalize(const char *raw, char **out)
{
    gr_buf path = GR_BUF_INIT;
    const char *segment = raw ? raw : "";
    size_t len = strlen(segment);
    int directory = len == 0 || segment[len - 1] == '/';

    *out = NULL;
    if (len > GR_TECHDOCS_PATH_MAX)
        return gr_error_set(GR_EINVALID, "the docs path is longer than %d bytes",
                            GR_TECHDOCS_PATH_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)segment[i];

        if (c < 0x20 || c == 0x7f || c == '\\')
            return gr_error_set(GR_EINVALID,
                                "the docs path contains a backslash or control character");
    }
    while (*segment != '\0') {
        size_t seg_len = strcspn(segment, "/");

        if (seg_len == 2 && segment[0] == '.' && segment[1] == '.') {
            gr_buf_free(&path);
            return gr_error_set(GR_EDENIED, "the docs path may not contain '..'");
        }
        if (seg_len > 0 && !(seg_len == 1 && segment[0] == '.')) {
            if (path.len > 0)
                gr_buf_putc(&path, '/');
            gr_buf_append(&path, segment, seg_len);
        }
        segment += seg_len;
        if (*segment == '/')
            segment++;
    }
    if (directory || (len > 0 && strcmp(raw + len - (len > 1 ? 2 : 1), len > 1 ? "/." : ".") == 0))
        gr_buf_puts(&path, path.len > 0 ? "/index.html" : "index.html");
    *out = gr_buf_detach(&path);
    if (*out == NULL)
        *out = gr_xstrdup("index.html");
    return GR_OK;
}
