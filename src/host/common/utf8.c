/* SPDX-License-Identifier: MIT */
/* UTF-8 checks for text that must become a JSON string. */
#include "host/common/utf8.h"

#include "host/common/buf.h"

/* Each continuation byte is checked before the next one is read, so a NUL ends the sequence. */
size_t gr_utf8_sequence_length(const unsigned char *text)
{
    if (text[0] < 0x80)
        return 1;
    if (text[0] >= 0xc2 && text[0] <= 0xdf)
        return (text[1] & 0xc0) == 0x80 ? 2 : 0;
    if (text[0] >= 0xe0 && text[0] <= 0xef) {
        if ((text[1] & 0xc0) != 0x80 || (text[2] & 0xc0) != 0x80)
            return 0;
        if ((text[0] == 0xe0 && text[1] < 0xa0) || (text[0] == 0xed && text[1] > 0x9f))
            return 0;
        return 3;
    }
    if (text[0] >= 0xf0 && text[0] <= 0xf4) {
        if ((text[1] & 0xc0) != 0x80 || (text[2] & 0xc0) != 0x80 || (text[3] & 0xc0) != 0x80)
            return 0;
        if ((text[0] == 0xf0 && text[1] < 0x90) || (text[0] == 0xf4 && text[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

char *gr_utf8_repair(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    gr_buf repaired = GR_BUF_INIT;

    while (*p != '\0') {
        size_t len = gr_utf8_sequence_length(p);

        if (len == 0) {
            gr_buf_puts(&repaired, "\xef\xbf\xbd");
            p++;
        } else {
            gr_buf_append(&repaired, p, len);
            p += len;
        }
    }
    return gr_buf_detach(&repaired);
}
