/* test_daemon_cron.c — unit tests for daemon/cron.c: parsing errors, and next-fire times as
 * byte-exact tables (UTC, and America/New_York across both DST changes), cross-checked against
 * a brute-force minute-by-minute walk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = s};
    return timegm(&tm);
}

static void iso(time_t t, char *buf, size_t cap)
{
    if (t < 0) {
        snprintf(buf, cap, "never");
        return;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reference: walk minute by minute (up to ~5 years) using only nd_cron_matches. */
static time_t brute_next(const nd_cron *c, time_t after, bool use_utc)
{
    time_t t = after - (after % 60) + 60;
    for (long i = 0; i < 5L * 366 * 24 * 60; i++, t += 60) {
        struct tm tm;
        if (use_utc)
            gmtime_r(&t, &tm);
        else
            localtime_r(&t, &tm);
        if (nd_cron_matches(c, &tm))
            return t;
    }
    return -1;
}

static const struct {
    const char *expr;
    const char *want;
} utc_table[] = {
    /* after 2026-01-15T10:07:30Z, a Thursday */
    {"*/15 * * * *", "2026-01-15T10:15:00Z"},
    {"* * * * *", "2026-01-15T10:08:00Z"},
    {"0 3 * * *", "2026-01-16T03:00:00Z"},
    {"30 2 1 * *", "2026-02-01T02:30:00Z"},
    {"0 9 * * mon-fri", "2026-01-16T09:00:00Z"},
    {"0 0 29 2 *", "2028-02-29T00:00:00Z"},
    {"0 12 13 * 5", "2026-01-16T12:00:00Z"},          /* 13th OR Friday (Vixie) */
    {"0 12 13 * *", "2026-02-13T12:00:00Z"},          /* day-of-week unrestricted */
    {"5,10-12 8-18/5 * jan,jul *", "2026-01-15T13:05:00Z"},
    {"@weekly", "2026-01-18T00:00:00Z"},
    {"0 0 * * 7", "2026-01-18T00:00:00Z"},            /* 7 is Sunday too */
    {"0 */6 * * SUN", "2026-01-18T00:00:00Z"},
    {"59 23 31 12 *", "2026-12-31T23:59:00Z"},
    {"0 0 1 jan-mar/2 *", "2026-03-01T00:00:00Z"},
    {"@hourly", "2026-01-15T11:00:00Z"},
    {"@daily", "2026-01-16T00:00:00Z"},
    {"@monthly", "2026-02-01T00:00:00Z"},
    {"@yearly", "2027-01-01T00:00:00Z"},
    {"7 10 15 1 *", "2027-01-15T10:07:00Z"},          /* this minute already started: next year */
    {"0 0 30 2 *", "never"},
};

static void next_fire_utc(void **st)
{
    (void)st;
    time_t after = utc(2026, 1, 15, 10, 7, 30);
    for (size_t i = 0; i < sizeof utc_table / sizeof *utc_table; i++) {
        nd_cron c;
        na_err e = NA_ERR_INIT;
        assert_int_equal(nd_cron_parse(utc_table[i].expr, &c, &e), 0);
        char got[40], ref[40];
        time_t t = nd_cron_next(&c, after, true);
        iso(t, got, sizeof got);
        if (strcmp(got, utc_table[i].want))
            fail_msg("'%s': got %s, want %s", utc_table[i].expr, got, utc_table[i].want);
        if (t >= 0) { /* brute force agrees (skip the 5-year "never") */
            iso(brute_next(&c, after, true), ref, sizeof ref);
            assert_string_equal(got, ref);
        }
    }
}

static void strictly_after(void **st)
{
    (void)st;
    nd_cron c;
    na_err e = NA_ERR_INIT;
    assert_int_equal(nd_cron_parse("*/15 * * * *", &c, &e), 0);
    char got[40];
    iso(nd_cron_next(&c, utc(2026, 1, 15, 10, 15, 0), true), got, sizeof got);
    assert_string_equal(got, "2026-01-15T10:30:00Z");
    /* crossing a year boundary */
    iso(nd_cron_next(&c, utc(2026, 12, 31, 23, 59, 59), true), got, sizeof got);
    assert_string_equal(got, "2027-01-01T00:00:00Z");
}

static void dst_new_york(void **st)
{
    (void)st;
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "America/New_York", 1);
    tzset();
    nd_cron c;
    na_err e = NA_ERR_INIT;
    char got[40], ref[40];
    /* 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist that day */
    assert_int_equal(nd_cron_parse("30 2 * * *", &c, &e), 0);
    time_t after = utc(2026, 3, 7, 8, 0, 0); /* 03:00 EST on the 7th */
    iso(nd_cron_next(&c, after, false), got, sizeof got);
    assert_string_equal(got, "2026-03-09T06:30:00Z"); /* 02:30 EDT on the 9th */
    iso(brute_next(&c, after, false), ref, sizeof ref);
    assert_string_equal(got, ref);
    /* 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice, fires once */
    assert_int_equal(nd_cron_parse("30 1 * * *", &c, &e), 0);
    after = utc(2026, 11, 1, 4, 0, 0); /* 00:00 EDT */
    time_t first = nd_cron_next(&c, after, false);
    iso(first, got, sizeof got);
    assert_string_equal(got, "2026-11-01T05:30:00Z"); /* 01:30 EDT */
    iso(nd_cron_next(&c, first, false), got, sizeof got);
    assert_string_equal(got, "2026-11-02T06:30:00Z"); /* not 01:30 EST the same day */
    /* an hourly job keeps firing through the change */
    assert_int_equal(nd_cron_parse("0 * * * *", &c, &e), 0);
    iso(nd_cron_next(&c, utc(2026, 3, 8, 6, 30, 0), false), got, sizeof got);
    assert_string_equal(got, "2026-03-08T07:00:00Z"); /* 03:00 EDT */
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else
        unsetenv("TZ");
    tzset();
}

static void parse_errors(void **st)
{
    (void)st;
    static const struct {
        const char *expr, *msg;
    } bad[] = {
        {"61 * * * *", "cron '61 * * * *': minute '61' is out of range 0-59"},
        {"* * * *", "cron '* * * *': expected 5 fields (minute hour day-of-month month "
                    "day-of-week), got 4"},
        {"* * * * * *", "cron '* * * * * *': expected 5 fields (minute hour day-of-month month "
                        "day-of-week), got more"},
        {"*/0 * * * *", "cron '*/0 * * * *': minute step in '*/0' must be 1-60"},
        {"5-1 * * * *", "cron '5-1 * * * *': minute range '5-1' runs backwards"},
        {"* * * foo *", "cron '* * * foo *': cannot parse month 'foo'"},
        {"* * 0 * *", "cron '* * 0 * *': day-of-month '0' is out of range 1-31"},
        {"* 24 * * *", "cron '* 24 * * *': hour '24' is out of range 0-23"},
        {"1,,2 * * * *", "cron '1,,2 * * * *': empty list element in minute '1,,2'"},
        {"@often", "cron '@often': unknown shorthand"},
        {"* * * * mon-", "cron '* * * * mon-': cannot parse day-of-week 'mon-'"},
        {"", "cron '': expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        nd_cron c;
        na_err e = NA_ERR_INIT;
        assert_int_equal(nd_cron_parse(bad[i].expr, &c, &e), -1);
        assert_int_equal(e.code, NA_E_CONFIG);
        assert_string_equal(e.msg, bad[i].msg);
    }
}

static void parse_fields(void **st)
{
    (void)st;
    nd_cron c;
    na_err e = NA_ERR_INIT;
    assert_int_equal(nd_cron_parse("0-10/5 1,2 */10 Jan-Mar sat,SUN", &c, &e), 0);
    assert_true(c.minute == ((1ull << 0) | (1ull << 5) | (1ull << 10)));
    assert_int_equal(c.hour, (1u << 1) | (1u << 2));
    assert_int_equal(c.mday, (1u << 1) | (1u << 11) | (1u << 21) | (1u << 31));
    assert_int_equal(c.month, (1u << 1) | (1u << 2) | (1u << 3));
    assert_int_equal(c.wday, (1u << 6) | (1u << 0));
    assert_false(c.mday_star);
    assert_false(c.wday_star);
    assert_int_equal(nd_cron_parse("* * * * *", &c, &e), 0);
    assert_true(c.mday_star && c.wday_star);
    assert_int_equal(c.wday, 0x7f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(next_fire_utc), cmocka_unit_test(strictly_after),
        cmocka_unit_test(dst_new_york),  cmocka_unit_test(parse_errors),
        cmocka_unit_test(parse_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
