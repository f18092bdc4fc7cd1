/* SPDX-License-Identifier: MIT */
/* JSON pointers (RFC 6901) built while walking an entity. */
#include "plugins/catalog/model/pointer.h"

#include <string.h>

void gr_model_pointer_push(gr_buf *pointer, const char *segment)
{
    gr_buf_putc(pointer, '/');
    if (strpbrk(segment, "~/") == NULL) {
        gr_buf_puts(pointer, segment);
        return;
    }
    for (const char *c = segment; *c != '\0'; c++) {
        if (*c == '~')
            gr_buf_puts(pointer, "~0");
        else if (*c == '/')
            gr_buf_puts(pointer, "~1");
        else
            gr_buf_putc(pointer, *c);
    }
}

void gr_model_pointer_push_index(gr_buf *pointer, size_t index)
{
    char digits[24];
    size_t start = sizeof(digits);

    /* Written by hand because this runs for every array item of every entity. */
    do {
        digits[--start] = (char)('0' + index % 10);
        index /= 10;
    } while (index > 0);
    digits[--start] = '/';
    gr_buf_append(pointer, digits + start, sizeof(digits) - start);
}

void gr_model_pointer_pop(gr_buf *pointer, size_t len)
{
    if (pointer->data == NULL || len > pointer->len)
        return;
    pointer->len = len;
    pointer->data[len] = '\0';
}
