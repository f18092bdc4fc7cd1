/* SPDX-License-Identifier: MIT */
/* Backstage task schedules (search.collators.*.schedule) read as durations. */
#ifndef GR_PLUGINS_SEARCH_SCHEDULE_H
#define GR_PLUGINS_SEARCH_SCHEDULE_H

#include <jansson.h>
#include <stdint.h>

#include "host/common/buf.h"

/**
 * Reads a duration written as Backstage's HumanDuration object ({minutes:
 * 10}, keys years, months, weeks, days, hours, minutes, seconds,
 * milliseconds; a month is 30 days and a year 365) or as an ISO 8601
 * duration ("PT10M", "P1DT2H"). Returns 0 and the milliseconds in *out, or
 * GR_EINVALID after appending the reason to `message` (may be NULL). Cron
 * expressions are rejected: greenroom's scheduler runs jobs at intervals.
 */
int gr_search_duration_ms(const json_t *value, int64_t *out, gr_buf *message);

/**
 * Checks a schedule object ({frequency, timeout, initialDelay, scope}) as a
 * gr_config_check_fn: `frequency` is required, the others are optional
 * durations, `scope` is "global" or "local".
 */
int gr_search_schedule_check(json_t **value, gr_buf *message);

#endif
