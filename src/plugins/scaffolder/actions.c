/* SPDX-License-Identifier: MIT */
/* The built-in actions, registered in one place. */
#include "plugins/scaffolder/actions.h"

int gr_scaffolder_actions_add_builtin(gr_scaffolder_actions *actions)
{
    int (*const groups[])(gr_scaffolder_actions *) = {
        gr_scaffolder__add_fetch_actions,   gr_scaffolder__add_fs_actions,
        gr_scaffolder__add_debug_actions,   gr_scaffolder__add_catalog_actions,
        gr_scaffolder__add_publish_actions,
    };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(groups) / sizeof(groups[0]); i++)
        rc = groups[i](actions);
    return rc;
}
