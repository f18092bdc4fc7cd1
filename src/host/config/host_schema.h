/* SPDX-License-Identifier: MIT */
/* The config keys the host itself reads (listen address, database, logging, app identity). */
#ifndef GR_HOST_CONFIG_HOST_SCHEMA_H
#define GR_HOST_CONFIG_HOST_SCHEMA_H

#include "host/config/config.h"

/** The host's keys, ended by an entry whose path is NULL (static). */
extern const gr_config_key gr_config_host_keys[];

#endif
