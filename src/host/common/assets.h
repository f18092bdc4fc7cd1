/* SPDX-License-Identifier: MIT */
/* Text files under src/ (templates, stylesheets, SQL) compiled into the binary. */
#ifndef GR_HOST_COMMON_ASSETS_H
#define GR_HOST_COMMON_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *name;            /* path relative to src/, such as "plugins/<id>/sql/001_tables.sql" */
    const unsigned char *data;   /* NUL-terminated */
    size_t size;                 /* without the terminating NUL */
} gr_asset;

/** Table of every embedded asset, ended by an entry whose name is NULL. */
extern const gr_asset gr_assets[];

/**
 * Finds the embedded asset called `name` (relative to src/).
 * Returns a borrowed pointer valid for the life of the process, or NULL.
 */
const gr_asset *gr_asset_find(const char *name);

#endif
