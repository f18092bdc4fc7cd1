/* SPDX-License-Identifier: MIT */
/* The actions service the scaffolder publishes, which takes the actions of other plugins. */
#ifndef GR_SCAFFOLDER_ACTION_SERVICE_H
#define GR_SCAFFOLDER_ACTION_SERVICE_H

#include <stddef.h>

#include "greenroom/plugin.h"
#include "plugins/scaffolder/action.h"

/** One action added through the service: a copy of its descriptor, strings owned. */
typedef struct gr_scaffolder_plugin_action gr_scaffolder_plugin_action;

/**
 * The service published as GR_PLUGIN_SERVICE_ACTIONS. The published header
 * comes first, so a pointer to it is a pointer to the whole service.
 */
typedef struct {
    gr_plugin_action_service published;
    gr_scaffolder_actions *actions; /* the registry templates run from (borrowed) */
    gr_scaffolder_plugin_action **added;
    size_t added_count;
} gr_scaffolder_action_service;

/** Fills `service` so that its add() puts actions into `actions` (borrowed). */
void gr_scaffolder_action_service_init(gr_scaffolder_action_service *service,
                                       gr_scaffolder_actions *actions);

/** Frees the copies of the added actions; call after the workers stopped. NULL-safe. */
void gr_scaffolder_action_service_clear(gr_scaffolder_action_service *service);

#endif
