/* SPDX-License-Identifier: MIT */
/* JSON pointers (RFC 6901) built while walking an entity. */
#include "plugins/catalog/model/pointer.h"

void gr_model_pointer_push(gr_buf *pointer, const char *segment)
{
    gr_buf_putc(pointer, '/');
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
    gr_buf_printf(pointer, "/%zu", index);
}

void gr_model_pointer_pop(gr_buf *pointer, size_t len)
{
    if (pointer->data == NULL || len > pointer->len)
        return;
    pointer->len = len;
    pointer->data[len] = '\0';
}
