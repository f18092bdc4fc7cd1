/* SPDX-License-Identifier: MIT */
/* The `now` filter: the current time, which public Roadie templates put into branch names. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "host/common/error.h"
#include "plugins/scaffolder/template/eval.h"

/*
 * Backstage's scaffolder has no `now` filter. Roadie's hosted Backstage adds
 * one as a custom filter, and its published templates write
 * `${{ '' | now }}` to make branch names unique. The filter ignores its input
 * and arguments and returns the milliseconds since the Unix epoch as a
 * decimal string, as JavaScript's `String(Date.now())` prints them.
 * NOTE: Roadie does not document its own output format; the milliseconds
 * follow the replacement that Roadie's maintainers pointed users to.
 */
static int filter_now(gr_filter_call *call, gr_tv *out)
{
    struct timespec now;
    char text[32];
    int len;

    (void)call;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return gr_error_set(GR_EINVALID, "filter now: reading the clock failed");
    len = snprintf(text, sizeof(text), "%" PRId64,
                   (int64_t)now.tv_sec * 1000 + (int64_t)now.tv_nsec / 1000000);
    *out = gr_tv_string(text, (size_t)len);
    return GR_OK;
}

void gr_tmpl__add_now_filter(gr_tmpl_engine *engine)
{
    gr_tmpl__add_filter(engine, "now", filter_now, NULL);
}
