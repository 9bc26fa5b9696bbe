/* cron.h — 5-field cron expressions ("min hour day-of-month month day-of-week") with ranges
 * (1-5), steps (*\/15, 8-18/2), lists (1,15,30), names (jan..dec, sun..sat, any case), 7 as
 * Sunday, and the shorthands @hourly @daily @midnight @weekly @monthly @yearly @annually.
 * Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted, a day
 * matches if EITHER does. Next-fire times are computed in local time (TZ) or UTC; a local time
 * skipped by a DST change is skipped, a repeated one fires once. Not a scheduler: schedule.c is. */
#ifndef ND_CRON_H
#define ND_CRON_H

#include "err.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct nd_cron {
    uint64_t minute; /* bit i: minute i (0-59) */
    uint32_t hour;   /* 0-23 */
    uint32_t mday;   /* bits 1-31 */
    uint16_t month;  /* bits 1-12 */
    uint8_t wday;    /* bits 0-6, Sunday = 0 */
    bool mday_star;  /* day-of-month field was unrestricted ("*" or "*\/1") */
    bool wday_star;
} nd_cron;

/* Parse; on error NA_E_CONFIG with a message naming the field and the offending text. */
int nd_cron_parse(const char *expr, nd_cron *out, na_err *err);
/* Does the minute starting at broken-down time tm match? */
bool nd_cron_matches(const nd_cron *c, const struct tm *tm);
/* The first matching minute strictly after `after` (seconds since the epoch), in UTC when
 * utc is true, else local time. Returns -1 if none within 5 years (e.g. "0 0 30 2 *"). */
time_t nd_cron_next(const nd_cron *c, time_t after, bool utc);

#endif
