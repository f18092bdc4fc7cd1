/* SPDX-License-Identifier: MIT */
/* Inline SVG icons for the sidebar and buttons, drawn in the current text colour. */
#include <string.h>

#include "plugins/ui/ui_internal.h"

#define ICON(paths)                                                                                \
    "<svg class=\"icon\" viewBox=\"0 0 24 24\" width=\"20\" height=\"20\" aria-hidden=\"true\" "   \
    "focusable=\"false\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" "                \
    "stroke-linecap=\"round\" stroke-linejoin=\"round\">" paths "</svg>"

static const struct {
    const char *name;
    const char *svg;
} icons[] = {
    {"home", ICON("<path d=\"M3 11l9-7 9 7\"/><path d=\"M5 10v10h14V10\"/>")},
    {"catalog", ICON("<rect x=\"3\" y=\"4\" width=\"18\" height=\"4\" rx=\"1\"/>"
                     "<rect x=\"3\" y=\"10\" width=\"18\" height=\"4\" rx=\"1\"/>"
                     "<rect x=\"3\" y=\"16\" width=\"18\" height=\"4\" rx=\"1\"/>")},
    {"api", ICON("<path d=\"M8 6l-6 6 6 6\"/><path d=\"M16 6l6 6-6 6\"/>")},
    {"docs", ICON("<path d=\"M6 3h9l4 4v14H6z\"/><path d=\"M14 3v5h5\"/>"
                  "<path d=\"M9 13h7M9 17h7\"/>")},
    {"create", ICON("<circle cx=\"12\" cy=\"12\" r=\"9\"/><path d=\"M12 8v8M8 12h8\"/>")},
    {"search", ICON("<circle cx=\"11\" cy=\"11\" r=\"7\"/><path d=\"M20 20l-4-4\"/>")},
    {"settings", ICON("<circle cx=\"12\" cy=\"12\" r=\"3\"/>"
                      "<path d=\"M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1"
                      "M4.9 19.1L7 17M17 7l2.1-2.1\"/>")},
    {"graph", ICON("<circle cx=\"5\" cy=\"12\" r=\"2\"/><circle cx=\"19\" cy=\"5\" r=\"2\"/>"
                   "<circle cx=\"19\" cy=\"19\" r=\"2\"/><path d=\"M7 11l10-5M7 13l10 5\"/>")},
    {"import", ICON("<path d=\"M12 3v12\"/><path d=\"M7 10l5 5 5-5\"/><path d=\"M4 21h16\"/>")},
    {"star", ICON("<path d=\"M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6"
                  "l6.2-.9z\"/>")},
    {"theme", ICON("<path d=\"M21 13A9 9 0 1 1 11 3a7 7 0 0 0 10 10z\"/>")},
    {"user", ICON("<circle cx=\"12\" cy=\"8\" r=\"4\"/><path d=\"M4 21c1-4 4-6 8-6s7 2 8 6\"/>")},
};

const char *gr_ui__icon(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(icons) / sizeof(icons[0]); i++) {
        if (strcmp(icons[i].name, name) == 0)
            return icons[i].svg;
    }
    return ICON("<circle cx=\"12\" cy=\"12\" r=\"4\"/>");
}
