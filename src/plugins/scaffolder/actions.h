/* SPDX-License-Identifier: MIT */
/* Module-internal registration of the built-in actions, one function per group. */
#ifndef GR_SCAFFOLDER_ACTIONS_H
#define GR_SCAFFOLDER_ACTIONS_H

#include "plugins/scaffolder/action.h"

/* Each adds its group of actions; returns 0 or the error of gr_scaffolder_actions_add(). */
int gr_scaffolder__add_fetch_actions(gr_scaffolder_actions *actions);
int gr_scaffolder__add_fs_actions(gr_scaffolder_actions *actions);
int gr_scaffolder__add_debug_actions(gr_scaffolder_actions *actions);
int gr_scaffolder__add_catalog_actions(gr_scaffolder_actions *actions);
int gr_scaffolder__add_publish_actions(gr_scaffolder_actions *actions);

#endif
