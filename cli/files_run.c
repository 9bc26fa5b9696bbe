/* files_run.c — `netauto put` / `get`'s engine: each host is a job that opens its session and
 * runs one copy (drivers/session_files.h); one poll() loop drives every job at once (at most
 * --forks in flight), stepping a session or a copy when its descriptor is ready or its deadline
 * passes; a progress line on a terminal (hosts done, bytes, rate, ETA); a line per host as it
 * ends; JSON at the end. Not option parsing (cmd_files.c). */
#include "cli_dev.h"
#include "clock.h"
#include "files.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void cli_files_human(uint64_t n, char *out, size_t cap)
{
    if (n >= (uint64_t)1 << 30)
        snprintf(out, cap, "%.2f GiB", (double)n / (double)(1 << 30));
    else if (n >= (uint64_t)1 << 20)
        snprintf(out, cap, "%.1f MiB", (double)n / (double)(1 << 20));
    else if (n >= 1024)
        snprintf(out, cap, "%.1f KiB", (double)n / 1024.0);
    else
        snprintf(out, cap, "%" PRIu64 " B", n);
}

void cli_files_progress_line(const char *verb, const char *name, size_t done_hosts,
                         size_t total_hosts, uint64_t bytes, uint64_t total_bytes,
                         double secs, unsigned width, char *out, size_t cap)
{
    char b[32], t[32], r[32], eta[32] = "";
    cli_files_human(bytes, b, sizeof b);
    cli_files_human(total_bytes, t, sizeof t);
    double rate = secs > 0.05 ? (double)bytes / secs : 0;
    cli_files_human((uint64_t)rate, r, sizeof r);
    if (rate > 0 && total_bytes > bytes) {
        double left = (double)(total_bytes - bytes) / rate;
        if (left < 60)
            snprintf(eta, sizeof eta, " ETA %.0f s", left + 0.5);
        else if (left < 3600)
            snprintf(eta, sizeof eta, " ETA %d:%02d", (int)left / 60, (int)left % 60);
        else
            snprintf(eta, sizeof eta, " ETA %dh%02d", (int)left / 3600, (int)left % 3600 / 60);
    }
    char bar[24];
    int fill = total_bytes ? (int)((double)bytes * 20.0 / (double)total_bytes) : 0;
    if (fill > 20)
        fill = 20;
    for (int i = 0; i < 20; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[20] = '\0';
    snprintf(out, cap, "%s %s: %zu/%zu hosts [%s] %s/%s %s/s%s", verb, name, done_hosts,
             total_hosts, bar, b, t, r, eta);
    if (width && strlen(out) > width)
        out[width] = '\0';
}

/* ---- one host -------------------------------------------------------------------------------- */

static void keep_result(files_job *j)
{
    if (!j->c || j->have_res)
        return;
    const na_copy_result *r = na_copy_result_of(j->c);
    j->res = *r;
    j->res.remote = r->remote ? strdup(r->remote) : NULL;
    j->res.local = r->local ? strdup(r->local) : NULL;
    j->res.partial = r->partial ? strdup(r->partial) : NULL;
    j->res.log = (na_strv)NA_STRV_INIT; /* not kept: the JSON has the outcome */
    j->have_res = true;
}

void cli_files_job_free(files_job *j)
{
    if (j->c) {
        keep_result(j);
        na_copy_free(j->c);
        j->c = NULL;
    }
    if (j->s) {
        na_session_free(j->s);
        j->s = NULL;
    }
    free(j->local);
    j->local = NULL;
    if (j->have_res)
        na_copy_result_free(&j->res);
    j->have_res = false;
}

static void job_fail(files_job *j, const na_err *e)
{
    if (!j->failed) {
        j->err = *e;
        cli_err_name(&j->err, j->h->name);
    }
    j->failed = true;
}

static void progress_clear(files_ctx *c, bool *shown)
{
    if (c->tty && *shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        *shown = false;
    }
}

/* The host is done: its line (text mode), its session closed. */
static void job_end(files_job *j, files_ctx *c, bool *shown)
{
    keep_result(j);
    if (j->c) {
        na_copy_free(j->c);
        j->c = NULL;
    }
    if (j->s) {
        na_session_free(j->s); /* closes the connection now: fds come back as hosts end */
        j->s = NULL;
    }
    j->ms = na_now_ms() - j->t0_ms;
    j->st = FJ_DONE;
    if (c->json)
        return;
    progress_clear(c, shown);
    if (j->failed) {
        fprintf(stderr, "%s\n", j->err.msg);
        fflush(stderr);
        return;
    }
    const na_copy_result *r = &j->res;
    char sz[32], rate[32];
    cli_files_human(r->size, sz, sizeof sz);
    const char *where = c->dir == NA_COPY_PUT ? r->remote : r->local;
    if (r->same)
        printf("%s: %s: already there (%s %s), nothing sent\n", j->h->name, where,
               na_hash_name(r->alg), r->digest);
    else if (c->o.check_only)
        printf("%s: %s: would %s %s\n", j->h->name, where,
               c->dir == NA_COPY_PUT ? "send" : "receive", sz);
    else {
        double secs = r->xfer_ms > 0 ? r->xfer_ms / 1000.0 : 0.001;
        cli_files_human((uint64_t)((double)r->sent / secs), rate, sizeof rate);
        printf("%s: %s: %s %s in %.1f s (%s/s) over %s%s%s%s\n", j->h->name, where,
               c->dir == NA_COPY_PUT ? "sent" : "received", sz, secs, rate, r->proto,
               r->alg != NA_HASH_NONE ? ", " : ", not verified",
               r->alg != NA_HASH_NONE ? na_hash_name(r->alg) : "",
               r->alg != NA_HASH_NONE ? " verified" : "");
    }
    fflush(stdout);
}

static void job_start(files_job *j, files_ctx *c)
{
    na_err e = NA_ERR_INIT;
    j->t0_ms = na_now_ms();
    j->st = FJ_OPEN;
    cli_sess_cfg cfg = {.kind = NA_TRANSPORT_SSH};
    j->s = cli_session_new(c->reg, j->h, &cfg, &j->params, &e);
    if (!j->s || na_session_start_open(j->s, &e) < 0)
        job_fail(j, &e);
}

static void job_step(files_job *j, files_ctx *c, bool *shown)
{
    na_err e = NA_ERR_INIT;
    if (j->st == FJ_OPEN) {
        na_status st = na_session_step(j->s, &e);
        if (st == NA_AGAIN)
            return;
        if (st == NA_ERROR) {
            job_fail(j, &e);
            job_end(j, c, shown);
            return;
        }
        na_copy_opts o = c->o;
        o.local = j->local;
        o.remote = c->remote;
        j->c = na_copy_start(j->s, &o, &e);
        if (!j->c) {
            job_fail(j, &e);
            job_end(j, c, shown);
            return;
        }
        j->st = FJ_COPY;
        return;
    }
    na_status st = na_copy_step(j->c, &e);
    if (st == NA_AGAIN)
        return;
    if (st == NA_ERROR)
        job_fail(j, &e);
    job_end(j, c, shown);
}

/* ---- the one loop ---------------------------------------------------------------------------- */

static unsigned term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 80;
}

static void progress_draw(files_job *jobs, size_t n, files_ctx *c, bool *shown, int64_t *last,
                          bool force)
{
    if (!c->tty)
        return;
    int64_t now = na_now_ms();
    if (!force && now - *last < 200)
        return;
    *last = now;
    uint64_t bytes = 0, total = 0;
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        const files_job *j = &jobs[i];
        if (j->st == FJ_DONE) {
            done++;
            if (j->have_res && !j->failed) {
                bytes += j->res.sent;
                total += j->res.sent;
            }
            continue;
        }
        if (j->st == FJ_COPY) {
            const char *ph;
            uint64_t d, t;
            na_copy_progress(j->c, &ph, &d, &t);
            bytes += d;
            total += t;
        } else {
            total += c->total_hint;
        }
    }
    const char *name = strrchr(c->remote, '/');
    name = name ? name + 1 : c->remote;
    const char *colon = strrchr(name, ':');
    if (colon && colon[1])
        name = colon + 1;
    char line[300];
    cli_files_progress_line(c->verb, name, done, n, bytes, total, (now - c->t0_ms) / 1000.0,
                        term_width() - 1, line, sizeof line);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    *shown = true;
}

int cli_files_run_all(files_job *jobs, size_t n, files_ctx *c, size_t forks, na_err *err)
{
    struct pollfd *pfd = calloc(forks, sizeof *pfd);
    size_t *idx = calloc(forks, sizeof *idx);
    if (!pfd || !idx) {
        free(pfd);
        free(idx);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    bool shown = false;
    int64_t last_draw = 0;
    c->t0_ms = na_now_ms();
    size_t next = 0, done = 0;
    while (done < n) {
        size_t active = 0;
        for (size_t i = 0; i < n; i++)
            active += jobs[i].st == FJ_OPEN || jobs[i].st == FJ_COPY;
        while (active < forks && next < n) {
            files_job *j = &jobs[next++];
            job_start(j, c);
            if (j->failed)
                job_end(j, c, &shown);
            else
                active++;
        }
        size_t np = 0;
        int64_t wake = 0;
        for (size_t i = 0; i < n && np < forks; i++) {
            files_job *j = &jobs[i];
            if (j->st != FJ_OPEN && j->st != FJ_COPY)
                continue;
            int fd = j->st == FJ_OPEN ? na_session_fd(j->s) : na_copy_fd(j->c);
            int want = j->st == FJ_OPEN ? na_session_want(j->s) : na_copy_want(j->c);
            int64_t d = j->st == FJ_OPEN ? na_session_deadline(j->s) : na_copy_deadline(j->c);
            pfd[np].fd = fd;
            pfd[np].events = (short)((want & NA_WANT_READ ? POLLIN : 0) |
                                     (want & NA_WANT_WRITE ? POLLOUT : 0));
            pfd[np].revents = 0;
            if (!pfd[np].events)
                pfd[np].fd = -1;
            idx[np++] = i;
            if (d > 0 && (wake == 0 || d < wake))
                wake = d;
        }
        if (np > 0) {
            int64_t ms = wake > 0 ? na_ms_until(wake) : 1000;
            if (ms > 1000)
                ms = 1000;
            if (c->tty && ms > 200)
                ms = 200;
            if (poll(pfd, np, (int)ms) < 0 && errno != EINTR) {
                na_err_set(err, NA_E_IO, "poll: %s", strerror(errno));
                break;
            }
            int64_t now = na_now_ms();
            for (size_t k = 0; k < np; k++) {
                files_job *j = &jobs[idx[k]];
                if (j->st != FJ_OPEN && j->st != FJ_COPY)
                    continue;
                int64_t d = j->st == FJ_OPEN ? na_session_deadline(j->s)
                                             : na_copy_deadline(j->c);
                if (pfd[k].revents || (d > 0 && d <= now))
                    job_step(j, c, &shown);
            }
        }
        progress_draw(jobs, n, c, &shown, &last_draw, false);
        done = 0;
        for (size_t i = 0; i < n; i++)
            done += jobs[i].st == FJ_DONE;
    }
    progress_draw(jobs, n, c, &shown, &last_draw, true);
    progress_clear(c, &shown);
    free(pfd);
    free(idx);
    return na_err_isset(err) ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static json_t *str_or_null(const char *s) { return s ? cli_json_text(s, strlen(s)) : json_null(); }

int cli_files_print_json(const files_job *jobs, size_t n, const files_ctx *c, bool all_ok)
{
    json_t *root = json_object(), *hosts = json_object();
    if (!root || !hosts) {
        json_decref(root);
        json_decref(hosts);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const files_job *j = &jobs[i];
        const na_copy_result *r = &j->res;
        json_t *h = json_pack("{s:b, s:b, s:o, s:o, s:I, s:I, s:I, s:s, s:s, s:s, s:o, s:I}",
                              "ok", !j->failed, "changed", j->have_res && r->changed,
                              "remote", str_or_null(j->have_res ? r->remote : c->remote),
                              "local", str_or_null(j->have_res ? r->local : j->local),
                              "size", (json_int_t)(j->have_res ? r->size : 0),
                              "sent", (json_int_t)(j->have_res ? r->sent : 0),
                              "resumed_at", (json_int_t)(j->have_res ? r->resumed_at : 0),
                              "protocol", j->have_res && r->proto ? r->proto : "",
                              "algorithm", na_hash_name(j->have_res ? r->alg : NA_HASH_NONE),
                              "digest", j->have_res ? r->digest : "",
                              "partial", str_or_null(j->have_res ? r->partial : NULL),
                              "elapsed_ms", (json_int_t)j->ms);
        if (!h) {
            json_decref(root);
            json_decref(hosts);
            return -1;
        }
        json_object_set_new(h, "error", j->failed ? json_pack("{s:s, s:o}", "code",
                                                              na_code_name(j->err.code),
                                                              "message",
                                                              cli_json_text(j->err.msg,
                                                                            strlen(j->err.msg)))
                                                  : json_null());
        json_object_set_new(hosts, j->h->name, h);
    }
    json_object_set_new(root, "ok", json_boolean(all_ok));
    json_object_set_new(root, "hosts", hosts);
    json_object_set_new(root, "check", json_boolean(c->o.check_only));
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s)
        return -1;
    puts(s);
    free(s);
    return 0;
}
