/* cron.c — cron expression parsing and next-fire computation (see cron.h). The search walks
 * forward field by field (skip whole months, days, hours that cannot match), so even sparse
 * expressions resolve in a few hundred steps. Not a scheduler. */
#include "cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

typedef struct field {
    const char *name;
    int lo, hi;
    const char *const *names; /* names[i] is value lo_name + i */
    int n_names, name_base;
} field;

static const field fields[5] = {
    {"minute", 0, 59, NULL, 0, 0},
    {"hour", 0, 23, NULL, 0, 0},
    {"day-of-month", 1, 31, NULL, 0, 0},
    {"month", 1, 12, month_names, 12, 1},
    {"day-of-week", 0, 7, day_names, 7, 0},
};

/* Parse a number or a name at *p; advances *p. */
static int parse_value(const field *f, const char **p, int *out)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > 1000)
                return -1;
            s++;
        }
        *out = (int)v;
        *p = s;
        return 0;
    }
    for (int i = 0; i < f->n_names; i++) {
        if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
            *out = f->name_base + i;
            *p = s + 3;
            return 0;
        }
    }
    return -1;
}

/* One comma-separated element: "*", "*\/n", "a", "a-b", "a-b/n", "a/n" (a to max, step n). */
static int parse_elem(const field *f, const char *s, uint64_t *bits, bool *star, na_err *err,
                      const char *whole)
{
    int lo = f->lo, hi = f->hi, step = 1;
    const char *p = s;
    bool is_star = false;
    if (*p == '*') {
        is_star = true;
        p++;
        if (f->lo == 0 && f->hi == 7) /* day-of-week: * means 0-6 */
            hi = 6;
    } else {
        if (parse_value(f, &p, &lo) < 0)
            goto bad;
        hi = lo;
        if (*p == '-') {
            p++;
            if (parse_value(f, &p, &hi) < 0)
                goto bad;
        } else if (*p == '/') {
            hi = f->hi == 7 ? 6 : f->hi;
        }
    }
    if (*p == '/') {
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad;
        int v;
        if (parse_value(f, &p, &v) < 0 || v < 1 || v > f->hi + 1)
            return na_err_set(err, NA_E_CONFIG, "cron '%s': %s step in '%s' must be 1-%d", whole,
                              f->name, s, f->hi + 1);
        step = v;
    }
    if (*p)
        goto bad;
    if (lo < f->lo || lo > f->hi || hi < f->lo || hi > f->hi)
        return na_err_set(err, NA_E_CONFIG, "cron '%s': %s '%s' is out of range %d-%d", whole,
                          f->name, s, f->lo, f->hi);
    if (lo > hi)
        return na_err_set(err, NA_E_CONFIG, "cron '%s': %s range '%s' runs backwards", whole,
                          f->name, s);
    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << (f->hi == 7 && v == 7 ? 0 : v);
    if (is_star && step == 1)
        *star = true;
    return 0;
bad:
    return na_err_set(err, NA_E_CONFIG, "cron '%s': cannot parse %s '%s'", whole, f->name, s);
}

static const struct {
    const char *name, *expr;
} shorthands[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

int nd_cron_parse(const char *expr, nd_cron *out, na_err *err)
{
    memset(out, 0, sizeof *out);
    if (!expr)
        return na_err_set(err, NA_E_CONFIG, "cron: empty expression");
    while (isspace((unsigned char)*expr))
        expr++;
    if (*expr == '@') {
        for (size_t i = 0; i < sizeof shorthands / sizeof *shorthands; i++) {
            size_t n = strlen(shorthands[i].name);
            if (strncasecmp(expr, shorthands[i].name, n) == 0) {
                const char *rest = expr + n;
                while (isspace((unsigned char)*rest))
                    rest++;
                if (!*rest)
                    return nd_cron_parse(shorthands[i].expr, out, err);
            }
        }
        return na_err_set(err, NA_E_CONFIG, "cron '%s': unknown shorthand", expr);
    }
    char buf[256];
    if (strlen(expr) >= sizeof buf)
        return na_err_set(err, NA_E_CONFIG, "cron expression is too long");
    strcpy(buf, expr);
    char *tok[6];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 5)
            return na_err_set(err, NA_E_CONFIG,
                              "cron '%s': expected 5 fields (minute hour day-of-month month "
                              "day-of-week), got more",
                              expr);
        tok[n++] = t;
    }
    if (n != 5)
        return na_err_set(err, NA_E_CONFIG,
                          "cron '%s': expected 5 fields (minute hour day-of-month month "
                          "day-of-week), got %d",
                          expr, n);
    uint64_t bits[5] = {0};
    bool star[5] = {0};
    for (int i = 0; i < 5; i++) {
        char *save = NULL;
        if (tok[i][0] == ',' || tok[i][strlen(tok[i]) - 1] == ',' || strstr(tok[i], ",,"))
            return na_err_set(err, NA_E_CONFIG, "cron '%s': empty list element in %s '%s'", expr,
                              fields[i].name, tok[i]);
        for (char *e = strtok_r(tok[i], ",", &save); e; e = strtok_r(NULL, ",", &save))
            if (parse_elem(&fields[i], e, &bits[i], &star[i], err, expr) < 0)
                return -1;
    }
    out->minute = bits[0];
    out->hour = (uint32_t)bits[1];
    out->mday = (uint32_t)bits[2];
    out->month = (uint16_t)bits[3];
    out->wday = (uint8_t)bits[4];
    out->mday_star = star[2];
    out->wday_star = star[4];
    return 0;
}

static bool day_matches(const nd_cron *c, const struct tm *tm)
{
    bool dm = (c->mday >> tm->tm_mday) & 1;
    bool dw = (c->wday >> tm->tm_wday) & 1;
    if (c->mday_star || c->wday_star)
        return dm && dw; /* an unrestricted field matches every day */
    return dm || dw;
}

bool nd_cron_matches(const nd_cron *c, const struct tm *tm)
{
    return ((c->minute >> tm->tm_min) & 1) && ((c->hour >> tm->tm_hour) & 1) &&
           ((c->month >> (tm->tm_mon + 1)) & 1) && day_matches(c, tm);
}

/* Normalise tm (fields may overflow) and return its time_t; fills wday etc. */
static time_t norm(struct tm *tm, bool utc)
{
    tm->tm_isdst = -1;
    time_t t = utc ? timegm(tm) : mktime(tm);
    return t;
}

time_t nd_cron_next(const nd_cron *c, time_t after, bool utc)
{
    struct tm tm;
    time_t t = after - (after % 60 + 60) % 60 + 60; /* next whole minute */
    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    int start_year = tm.tm_year;
    for (int guard = 0; guard < 100000; guard++) {
        if (tm.tm_year > start_year + 5)
            return -1;
        if (!((c->month >> (tm.tm_mon + 1)) & 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = 0;
            tm.tm_min = 0;
            norm(&tm, utc);
            continue;
        }
        if (!day_matches(c, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = 0;
            tm.tm_min = 0;
            norm(&tm, utc);
            continue;
        }
        if (!((c->hour >> tm.tm_hour) & 1)) {
            tm.tm_hour++;
            tm.tm_min = 0;
            norm(&tm, utc);
            continue;
        }
        if (!((c->minute >> tm.tm_min) & 1)) {
            tm.tm_min++;
            norm(&tm, utc);
            continue;
        }
        /* tm is normalised here, so it is a real instant; a local time skipped by DST was
         * normalised past (and re-checked) on the way. */
        time_t r = norm(&tm, utc);
        if (r <= after) { /* repeated local hour already passed; move on */
            tm.tm_min++;
            norm(&tm, utc);
            continue;
        }
        return r;
    }
    return -1;
}
