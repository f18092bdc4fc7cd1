/* SPDX-License-Identifier: MIT */
/* Content types of docs site files, chosen so that no stored file renders as a document. */
#include "plugins/techdocs/mime.h"

#include <string.h>
#include <strings.h>

#define TEXT_PLAIN "text/plain; charset=utf-8"

/* Extensions whose usual types are rendered by browsers as active documents.
 * Backstage matches these substrings anywhere in the extension. */
static const char *const document_like[] = {"htm", "xml", "svg", "appcache", "manifest",
                                            "mathml", "owl", "rdf", "rng", "vtt", "xht",
                                            "xsd", "xsl"};

static const struct {
    const char *extension;
    const char *type;
} known_types[] = {
    {"css", "text/css; charset=utf-8"},
    {"js", "application/javascript; charset=utf-8"},
    {"mjs", "application/javascript; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"txt", TEXT_PLAIN},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"yaml", "text/yaml; charset=utf-8"},
    {"yml", "text/yaml; charset=utf-8"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"bmp", "image/bmp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"eot", "application/vnd.ms-fontobject"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"ogg", "audio/ogg"},
};

static const char *extension_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');

    return dot != NULL ? dot + 1 : NULL;
}

const char *gr_techdocs_content_type(const char *path)
{
    const char *extension = extension_of(path);

    if (extension == NULL || extension[0] == '\0')
        return TEXT_PLAIN;
    for (size_t i = 0; i < sizeof(document_like) / sizeof(document_like[0]); i++) {
        if (strcasestr(extension, document_like[i]) != NULL)
            return TEXT_PLAIN;
    }
    for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++) {
        if (strcasecmp(extension, known_types[i].extension) == 0)
            return known_types[i].type;
    }
    return TEXT_PLAIN;
}
