/* clock.c — monotonic and wall-clock milliseconds (see clock.h). */
#include "clock.h"

#include <stdio.h>
#include <time.h>

int64_t na_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t na_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t na_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t na_ms_until(int64_t deadline_ms)
{
    if (deadline_ms <= 0)
        return -1;
    int64_t d = deadline_ms - na_now_ms();
    return d > 0 ? d : 0;
}

void na_format_wall(int64_t wall_ms, char *buf, unsigned cap)
{
    time_t s = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char tmp[32];
    strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%03dZ", tmp, (int)(wall_ms % 1000));
}
