/* SPDX-License-Identifier: MIT */
/* GET /api/techdocs/sync: Backstage's event stream that reports a docs build as it runs. */
#ifndef GR_PLUGINS_TECHDOCS_SYNC_H
#define GR_PLUGINS_TECHDOCS_SYNC_H

#include "host/http/http.h"

/*
 * The stream is text/event-stream with three events, each
 * `event: <name>\ndata: <JSON>\n\n`:
 *   log     a JSON string, one per build log line
 *   finish  {"updated":true} after a new site was published, else
 *           {"updated":false}, and the stream ends
 *   error   a JSON string with the failure, and the stream ends
 *
 * With techdocs.builder external, or when the site was checked within the
 * check interval, the stream is a single `finish` with updated false.
 */

/** The route handler; `payload` is the gr_techdocs_service. */
int gr_techdocs_sync_handler(gr_request *req, gr_response *res, void *payload);

#endif
