/* runner_fmt.c — the runner's text for people: the one-line progress shown on a terminal while a
 * run goes, and the summary table at its end. Pure functions of the progress counters and the
 * results JSON. Not the JSON itself (runner_result.c) and not where text is printed (cli/). */
#include "runner.h"

#include <stdio.h>
#include <string.h>

size_t na_run_progress_line(const na_run_progress *p, unsigned width, char *buf, size_t cap)
{
    if (!cap)
        return 0;
    size_t done = p->ok + p->failed + p->cancelled + p->skipped;
    int digits = snprintf(NULL, 0, "%zu", p->total);
    size_t o = (size_t)snprintf(buf, cap, "[%*zu/%zu] %zu ok, %zu failed", digits, done, p->total,
                                p->ok, p->failed);
    if (o < cap && p->cancelled)
        o += (size_t)snprintf(buf + o, cap - o, ", %zu cancelled", p->cancelled);
    if (o < cap && p->skipped)
        o += (size_t)snprintf(buf + o, cap - o, ", %zu skipped", p->skipped);
    if (o < cap)
        o += (size_t)snprintf(buf + o, cap - o, ", %zu running", p->running);
    if (o < cap && p->waiting)
        o += (size_t)snprintf(buf + o, cap - o, ", %zu waiting", p->waiting);
    if (o < cap && p->queued)
        o += (size_t)snprintf(buf + o, cap - o, ", %zu queued", p->queued);
    if (o < cap)
        o += (size_t)snprintf(buf + o, cap - o, ", %.1f s", (double)p->elapsed_ms / 1000.0);
    if (o >= cap)
        o = cap - 1;
    if (width && o > width)
        o = width;
    buf[o] = '\0';
    return o;
}

/* One line of text: the first line of s, cut to max characters ("..." when cut). */
static void one_line(const char *s, unsigned max, char *out, size_t cap)
{
    size_t n = strcspn(s, "\r\n");
    bool cut = s[n] != '\0';
    if (max && n > max) {
        n = max > 3 ? max - 3 : max;
        cut = true;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    if (cut && n + 4 <= cap)
        memcpy(out + n, "...", 4);
}

enum { C_HOST, C_STATUS, C_CHANGED, C_TASKS, C_TIME, C_ERROR, NCOLS };

static void cells(const char *name, const json_t *h, unsigned err_width, char c[NCOLS][600])
{
    snprintf(c[C_HOST], 600, "%s", name);
    const char *st = json_string_value(json_object_get(h, "status"));
    snprintf(c[C_STATUS], 600, "%s", st ? st : "?");
    snprintf(c[C_CHANGED], 600, "%s", json_is_true(json_object_get(h, "changed")) ? "yes" : "no");
    const json_t *tasks = json_object_get(h, "tasks");
    size_t ok = 0, i;
    const json_t *t;
    json_array_foreach (tasks, i, t)
        ok += json_is_true(json_object_get(t, "ok"));
    snprintf(c[C_TASKS], 600, "%zu/%zu", ok, json_array_size(tasks));
    long long ms = json_integer_value(json_object_get(h, "elapsed_ms"));
    if (ms < 1000)
        snprintf(c[C_TIME], 600, "%lld ms", ms);
    else
        snprintf(c[C_TIME], 600, "%.2f s", (double)ms / 1000.0);
    const char *msg = json_string_value(json_object_get(json_object_get(h, "error"), "message"));
    if (msg)
        one_line(msg, err_width, c[C_ERROR], 600);
    else
        c[C_ERROR][0] = '\0';
}

int na_run_summary_table(const json_t *results, unsigned err_width, na_buf *out, na_err *err)
{
    static const char *const heads[NCOLS] = {"HOST", "STATUS", "CHANGED", "TASKS", "TIME",
                                             "ERROR"};
    const json_t *hosts = json_object_get(results, "hosts");
    size_t w[NCOLS];
    char c[NCOLS][600];
    for (int k = 0; k < NCOLS; k++)
        w[k] = strlen(heads[k]);
    const char *name;
    const json_t *h;
    json_object_foreach ((json_t *)hosts, name, h) {
        cells(name, h, err_width, c);
        for (int k = 0; k < NCOLS; k++)
            if (strlen(c[k]) > w[k])
                w[k] = strlen(c[k]);
    }
    for (int k = 0; k < NCOLS; k++)
        snprintf(c[k], 600, "%s", heads[k]);
    bool first = true;
    void *it = json_object_iter((json_t *)hosts);
    for (;;) {
        if (!first) {
            if (!it)
                break;
            cells(json_object_iter_key(it), json_object_iter_value(it), err_width, c);
            it = json_object_iter_next((json_t *)hosts, it);
        }
        first = false;
        for (int k = 0; k < NCOLS; k++) {
            int rc = k == C_ERROR ? na_buf_printf(out, err, "%s", c[k])
                                  : na_buf_printf(out, err, "%-*s  ", (int)w[k], c[k]);
            if (rc < 0)
                return -1;
        }
        size_t n = out->len;
        while (n && out->data[n - 1] == ' ') /* no trailing blanks */
            n--;
        na_buf_truncate(out, n);
        if (na_buf_puts(out, "\n", err) < 0)
            return -1;
    }
    const json_t *s = json_object_get(results, "summary");
    long long total = json_integer_value(json_object_get(s, "hosts"));
    long long cancelled = json_integer_value(json_object_get(s, "cancelled"));
    long long skipped = json_integer_value(json_object_get(s, "skipped"));
    if (na_buf_printf(out, err, "%lld host%s: %lld ok, %lld failed", total, total == 1 ? "" : "s",
                      (long long)json_integer_value(json_object_get(s, "ok")),
                      (long long)json_integer_value(json_object_get(s, "failed"))) < 0)
        return -1;
    if (cancelled && na_buf_printf(out, err, ", %lld cancelled", cancelled) < 0)
        return -1;
    if (skipped && na_buf_printf(out, err, ", %lld skipped", skipped) < 0)
        return -1;
    return na_buf_printf(out, err, ", %lld changed in %.2f s%s\n",
                         (long long)json_integer_value(json_object_get(s, "changed")),
                         (double)json_integer_value(json_object_get(s, "elapsed_ms")) / 1000.0,
                         json_is_true(json_object_get(s, "check")) ? " (check mode: nothing "
                                                                     "changed)"
                                                                   : "");
}
