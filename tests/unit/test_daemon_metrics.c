/* test_daemon_metrics.c — unit tests for daemon/metrics.c: the /metrics text is parsed by a
 * small Prometheus text-exposition parser written here (HELP/TYPE before samples, valid names
 * and labels, numeric values, histogram buckets cumulative with +Inf == _count), and the values
 * are checked against what was observed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 64
#define MAXS 256

typedef struct sample {
    char name[128];
    char labels[256];
    double value;
} sample;

typedef struct expo {
    char fam[MAXF][128];
    char type[MAXF][16];
    int nfam;
    sample s[MAXS];
    int ns;
    char err[256];
} expo;

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return false;
    return true;
}

static const char *family_of(const expo *x, const char *name)
{
    for (int i = 0; i < x->nfam; i++) {
        size_t fl = strlen(x->fam[i]);
        if (!strncmp(name, x->fam[i], fl)) {
            const char *rest = name + fl;
            if (!*rest)
                return x->type[i];
            if (!strcmp(x->type[i], "histogram") &&
                (!strcmp(rest, "_bucket") || !strcmp(rest, "_sum") || !strcmp(rest, "_count")))
                return x->type[i];
        }
    }
    return NULL;
}

/* Returns 0 if the text is valid exposition format (the subset netautod produces). */
static int parse_expo(const char *text, expo *x)
{
    memset(x, 0, sizeof *x);
    const char *p = text;
    int lineno = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            snprintf(x->err, sizeof x->err, "last line has no newline");
            return -1;
        }
        char line[1024];
        size_t n = (size_t)(nl - p);
        if (n >= sizeof line)
            return -1;
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl + 1;
        lineno++;
        if (line[0] == '#') {
            char kw[16], name[128], rest[512];
            if (sscanf(line, "# %15s %127s %511[^\n]", kw, name, rest) < 3) {
                snprintf(x->err, sizeof x->err, "line %d: bad comment", lineno);
                return -1;
            }
            if (!name_ok(name, strlen(name))) {
                snprintf(x->err, sizeof x->err, "line %d: bad name", lineno);
                return -1;
            }
            if (!strcmp(kw, "TYPE")) {
                if (strcmp(rest, "counter") && strcmp(rest, "gauge") && strcmp(rest, "histogram")) {
                    snprintf(x->err, sizeof x->err, "line %d: bad type", lineno);
                    return -1;
                }
                for (int i = 0; i < x->nfam; i++)
                    if (!strcmp(x->fam[i], name)) {
                        snprintf(x->err, sizeof x->err, "line %d: TYPE twice", lineno);
                        return -1;
                    }
                snprintf(x->fam[x->nfam], 128, "%s", name);
                snprintf(x->type[x->nfam++], 16, "%s", rest);
            }
            continue;
        }
        sample *s = &x->s[x->ns++];
        size_t nl2 = strcspn(line, "{ ");
        if (!name_ok(line, nl2)) {
            snprintf(x->err, sizeof x->err, "line %d: bad metric name", lineno);
            return -1;
        }
        memcpy(s->name, line, nl2);
        const char *q = line + nl2;
        if (*q == '{') {
            const char *end = strchr(q, '}');
            if (!end) {
                snprintf(x->err, sizeof x->err, "line %d: unterminated labels", lineno);
                return -1;
            }
            snprintf(s->labels, sizeof s->labels, "%.*s", (int)(end - q - 1), q + 1);
            /* label="value"(,label="value")* */
            const char *l = s->labels;
            while (*l) {
                size_t ln = strcspn(l, "=");
                if (!name_ok(l, ln) || l[ln] != '=' || l[ln + 1] != '"') {
                    snprintf(x->err, sizeof x->err, "line %d: bad label", lineno);
                    return -1;
                }
                const char *v = strchr(l + ln + 2, '"');
                if (!v) {
                    snprintf(x->err, sizeof x->err, "line %d: bad label value", lineno);
                    return -1;
                }
                l = v + 1;
                if (*l == ',')
                    l++;
            }
            q = end + 1;
        }
        if (*q != ' ') {
            snprintf(x->err, sizeof x->err, "line %d: no value", lineno);
            return -1;
        }
        char *e;
        s->value = strtod(q + 1, &e);
        if (e == q + 1 || *e) {
            snprintf(x->err, sizeof x->err, "line %d: bad value '%s'", lineno, q + 1);
            return -1;
        }
        if (!family_of(x, s->name)) {
            snprintf(x->err, sizeof x->err, "line %d: %s has no TYPE before it", lineno, s->name);
            return -1;
        }
    }
    return 0;
}

static const sample *find(const expo *x, const char *name, const char *labels)
{
    for (int i = 0; i < x->ns; i++)
        if (!strcmp(x->s[i].name, name) && !strcmp(x->s[i].labels, labels ? labels : ""))
            return &x->s[i];
    return NULL;
}

static void exposition_parses(void **st)
{
    (void)st;
    nd_metrics m;
    memset(&m, 0, sizeof m);
    nd_metrics_http(&m, 200);
    nd_metrics_http(&m, 200);
    nd_metrics_http(&m, 401);
    nd_metrics_http(&m, 999); /* ignored */
    nd_metrics_command(&m, 3, true);     /* 0.003 s -> le 0.01 */
    nd_metrics_command(&m, 100, true);   /* exactly 0.1 -> le 0.1 */
    nd_metrics_command(&m, 700, false);  /* le 1 */
    nd_metrics_command(&m, 90000, true); /* above 60 -> +Inf only */
    m.login_failures = 2;
    m.api_auth_failures = 1;
    nd_metrics_gauges g = {.jobs = {1, 2, 3, 4, 5, 6}, .sessions_open = 7, .hosts_in_flight = 3,
                           .connections = 4, .uptime_s = 42};
    na_buf b;
    na_buf_init(&b, 1 << 20);
    na_err e = NA_ERR_INIT;
    assert_int_equal(nd_metrics_render(&m, &g, &b, &e), 0);
    expo x;
    if (parse_expo(na_buf_cstr(&b), &x) != 0)
        fail_msg("exposition invalid: %s\n%s", x.err, na_buf_cstr(&b));
    assert_float_equal(find(&x, "netautod_jobs", "state=\"running\"")->value, 2, 0);
    assert_float_equal(find(&x, "netautod_jobs", "state=\"interrupted\"")->value, 6, 0);
    assert_float_equal(find(&x, "netautod_sessions_open", NULL)->value, 7, 0);
    assert_float_equal(find(&x, "netautod_login_failures_total", NULL)->value, 2, 0);
    assert_float_equal(find(&x, "netautod_api_auth_failures_total", NULL)->value, 1, 0);
    assert_float_equal(find(&x, "netautod_http_requests_total", "code=\"200\"")->value, 2, 0);
    assert_float_equal(find(&x, "netautod_http_requests_total", "code=\"401\"")->value, 1, 0);
    assert_null(find(&x, "netautod_http_requests_total", "code=\"999\""));
    assert_float_equal(find(&x, "netautod_command_failures_total", NULL)->value, 1, 0);
    /* histogram: cumulative, le ascending, +Inf == count */
    double prev = -1, prev_le = -1;
    int nb = 0;
    for (int i = 0; i < x.ns; i++) {
        if (strcmp(x.s[i].name, "netautod_command_duration_seconds_bucket"))
            continue;
        nb++;
        const char *le = strstr(x.s[i].labels, "le=\"") + 4;
        double lev = !strncmp(le, "+Inf", 4) ? INFINITY : strtod(le, NULL);
        assert_true(lev > prev_le);
        assert_true(x.s[i].value >= prev);
        prev = x.s[i].value;
        prev_le = lev;
    }
    assert_int_equal(nb, ND_METRICS_NBUCKETS + 1);
    assert_float_equal(find(&x, "netautod_command_duration_seconds_bucket", "le=\"0.01\"")->value,
                       1, 0);
    assert_float_equal(find(&x, "netautod_command_duration_seconds_bucket", "le=\"0.1\"")->value,
                       2, 0);
    assert_float_equal(find(&x, "netautod_command_duration_seconds_bucket", "le=\"1\"")->value,
                       3, 0);
    assert_float_equal(find(&x, "netautod_command_duration_seconds_bucket", "le=\"60\"")->value,
                       3, 0);
    assert_float_equal(find(&x, "netautod_command_duration_seconds_bucket", "le=\"+Inf\"")->value,
                       4, 0);
    assert_float_equal(find(&x, "netautod_command_duration_seconds_count", NULL)->value, 4, 0);
    assert_float_equal(find(&x, "netautod_command_duration_seconds_sum", NULL)->value, 90.803,
                       1e-9);
    na_buf_free(&b);
}

static void parser_rejects(void **st)
{
    (void)st;
    /* the parser used above is not a rubber stamp */
    expo x;
    assert_int_not_equal(parse_expo("foo 1\n", &x), 0);                        /* no TYPE */
    assert_int_not_equal(parse_expo("# TYPE foo gauge\nfoo one\n", &x), 0);    /* value */
    assert_int_not_equal(parse_expo("# TYPE foo gauge\nfoo{a=1} 1\n", &x), 0); /* label */
    assert_int_not_equal(parse_expo("# TYPE foo gauge\nfoo 1", &x), 0);        /* newline */
    assert_int_not_equal(parse_expo("# TYPE 1foo gauge\n", &x), 0);            /* name */
    assert_int_equal(parse_expo("# HELP foo x\n# TYPE foo gauge\nfoo{a=\"b\"} 1.5\n", &x), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exposition_parses),
        cmocka_unit_test(parser_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
