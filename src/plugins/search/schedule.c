/* SPDX-License-Identifier: MIT */
/* Durations of Backstage task schedules: HumanDuration objects and ISO 8601 strings. */
#include "plugins/search/schedule.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"

static const struct {
    const char *key;
    int64_t ms;
} human_units[] = {
    {"years", 365LL * 86400000}, {"months", 30LL * 86400000}, {"weeks", 7LL * 86400000},
    {"days", 86400000},          {"hours", 3600000},          {"minutes", 60000},
    {"seconds", 1000},           {"milliseconds", 1},
};

/* Durations above this are rejected, so sums cannot overflow (100 years). */
#define MAX_DURATION_MS (100LL * 365 * 86400000)

static int fail(gr_buf *message, const char *reason)
{
    if (message != NULL)
        gr_buf_puts(message, reason);
    return GR_EINVALID;
}

static int human_duration(const json_t *value, int64_t *out, gr_buf *message)
{
    const char *key;
    const json_t *amount;
    double total = 0;

    json_object_foreach((json_t *)value, key, amount) {
        size_t i = 0;

        while (i < sizeof(human_units) / sizeof(human_units[0]) &&
               strcmp(human_units[i].key, key) != 0)
            i++;
        if (i == sizeof(human_units) / sizeof(human_units[0]))
            return fail(message, "a duration object takes years, months, weeks, days, hours, "
                                 "minutes, seconds and milliseconds only");
        if (!json_is_number(amount) || json_number_value(amount) < 0)
            return fail(message, "a duration amount must be a number of at least 0");
        total += json_number_value(amount) * (double)human_units[i].ms;
    }
    if (total > (double)MAX_DURATION_MS)
        return fail(message, "the duration is longer than 100 years");
    *out = (int64_t)total;
    return 0;
}

/* ISO 8601: P[nY][nM][nW][nD][T[nH][nM][nS]], numbers may have a fraction. */
static int iso_duration(const char *text, int64_t *out, gr_buf *message)
{
    static const char *const invalid = "the duration is not ISO 8601 (such as PT10M) and "
                                       "cron expressions are not supported";
    const char *p = text;
    int in_time = 0;
    double total = 0;
    int parts = 0;

    if (*p++ != 'P')
        return fail(message, invalid);
    while (*p != '\0') {
        char *end = NULL;
        double amount;
        int64_t unit;

        if (*p == 'T' && !in_time) {
            in_time = 1;
            p++;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            return fail(message, invalid);
        amount = strtod(p, &end);
        switch (*end) {
        case 'Y': unit = in_time ? 0 : 365LL * 86400000; break;
        case 'M': unit = in_time ? 60000 : 30LL * 86400000; break;
        case 'W': unit = in_time ? 0 : 7LL * 86400000; break;
        case 'D': unit = in_time ? 0 : 86400000; break;
        case 'H': unit = in_time ? 3600000 : 0; break;
        case 'S': unit = in_time ? 1000 : 0; break;
        default: unit = 0; break;
        }
        if (unit == 0)
            return fail(message, invalid);
        total += amount * (double)unit;
        parts++;
        p = end + 1;
    }
    if (parts == 0)
        return fail(message, invalid);
    if (total > (double)MAX_DURATION_MS)
        return fail(message, "the duration is longer than 100 years");
    *out = (int64_t)total;
    return 0;
}

int gr_search_duration_ms(const json_t *value, int64_t *out, gr_buf *message)
{
    if (json_is_object(value) && json_object_get(value, "cron") != NULL)
        return fail(message, "cron schedules are not supported; give the frequency as a "
                             "duration such as {minutes: 10}");
    if (json_is_object(value))
        return human_duration(value, out, message);
    if (json_is_string(value))
        return iso_duration(json_string_value(value), out, message);
    return fail(message, "a duration is an object such as {minutes: 10} or an ISO 8601 string");
}

int gr_search_schedule_check(json_t **value, gr_buf *message)
{
    static const char *const durations[] = {"frequency", "timeout", "initialDelay"};
    const char *key;
    json_t *item;
    int64_t ms;

    if (json_object_get(*value, "frequency") == NULL)
        return fail(message, "a schedule needs a frequency, such as {minutes: 10}");
    json_object_foreach(*value, key, item) {
        size_t i = 0;

        while (i < 3 && strcmp(durations[i], key) != 0)
            i++;
        if (i < 3) {
            if (gr_search_duration_ms(item, &ms, message) < 0)
                return GR_EINVALID;
        } else if (strcmp(key, "scope") == 0) {
            const char *scope = json_string_value(item);

            if (scope == NULL || (strcmp(scope, "global") != 0 && strcmp(scope, "local") != 0))
                return fail(message, "scope must be \"global\" or \"local\"");
        } else {
            return fail(message, "a schedule takes frequency, timeout, initialDelay and scope");
        }
    }
    if (gr_search_duration_ms(json_object_get(*value, "frequency"), &ms, NULL) == 0 && ms < 1000)
        return fail(message, "the frequency must be at least one second");
    return 0;
}
