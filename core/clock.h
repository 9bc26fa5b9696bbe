/* clock.h — time for deadlines (monotonic) and for records (wall clock), in milliseconds. */
#ifndef NA_CLOCK_H
#define NA_CLOCK_H

#include <stdint.h>

int64_t na_now_ms(void);   /* CLOCK_MONOTONIC, for deadlines and durations */
int64_t na_now_us(void);   /* CLOCK_MONOTONIC in microseconds, for fine timings */
int64_t na_wall_ms(void);  /* CLOCK_REALTIME, for timestamps people read */
/* Milliseconds from now until deadline (0 if passed; -1 if deadline <= 0, meaning "none"). */
int64_t na_ms_until(int64_t deadline_ms);
/* ISO-8601 UTC with milliseconds ("2026-11-22T11:00:00.123Z") into buf (>= 25 bytes). */
void na_format_wall(int64_t wall_ms, char *buf, unsigned cap);

#endif
