/* SPDX-License-Identifier: MIT */
/* Lookup in the table of embedded assets. */
#include "host/common/assets.h"

#include <string.h>

const gr_asset *gr_asset_find(const char *name)
{
    for (const gr_asset *asset = gr_assets; asset->name != NULL; asset++) {
        if (strcmp(asset->name, name) == 0)
            return asset;
    }
    return NULL;
}
