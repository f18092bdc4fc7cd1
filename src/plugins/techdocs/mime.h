/* SPDX-License-Identifier: MIT */
/* Content types of docs site files, chosen so that no stored file renders as a document. */
#ifndef GR_PLUGINS_TECHDOCS_MIME_H
#define GR_PLUGINS_TECHDOCS_MIME_H

/**
 * Returns the Content-Type to serve the site file `path` with, as
 * Backstage's TechDocs publishers do. Files a browser would render as a
 * document that can run script (HTML, XML, SVG, XSL, MathML, app caches,
 * WebVTT) are sent as "text/plain; charset=utf-8", because the portal
 * inserts page fragments itself after reading them. Other known extensions
 * get their usual type (text types and JSON with "; charset=utf-8"), and
 * unknown ones "text/plain; charset=utf-8". Returns a static string.
 */
const char *gr_techdocs_content_type(const char *path);

#endif
