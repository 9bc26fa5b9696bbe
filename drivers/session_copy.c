/* session_copy.c — one file copied to or from a device with verification (session_files.h for
 * the whole story): a state machine that runs the platform's `files:` commands on the session's
 * shell (server check, the device's digest, free space, remove, rename) and the transfer on a
 * second channel of the same SSH connection (drivers/ssh.h), resumable step by step, every wait
 * with a deadline. Decides what is sent, what is kept and what is removed after a failure. Not
 * the transfer protocols (ssh_scp.c, ssh_sftp.c) and not the device's command syntax (platform
 * data). */
#include "session_copy_int.h"

#include "clock.h"
#include "evwatch.h"
#include "log.h"
#include "ssh.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS (3600 * 1000)
#define DEFAULT_STALL_MS (30 * 1000)

/* ---- small helpers ------------------------------------------------------------------------- */

static void logline(na_copy *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logline(na_copy *c, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (na_strv_push(&c->r.log, line, NULL) < 0) {
        /* out of memory: the log is shorter, the copy goes on */
    }
}

static void human(uint64_t n, char *out, size_t cap)
{
    if (n >= (uint64_t)1 << 30)
        snprintf(out, cap, "%.1f GiB", (double)n / (1 << 30));
    else if (n >= (uint64_t)1 << 20)
        snprintf(out, cap, "%.1f MiB", (double)n / (1 << 20));
    else if (n >= 1024)
        snprintf(out, cap, "%.1f KiB", (double)n / 1024);
    else
        snprintf(out, cap, "%" PRIu64 " bytes", n);
}

/* The last non-empty line of a text, for messages. */
static void last_line(const char *s, char *out, size_t cap)
{
    out[0] = '\0';
    if (!s)
        return;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    size_t b = n;
    while (b && s[b - 1] != '\n')
        b--;
    snprintf(out, cap, "%.*s", (int)(n - b), s + b);
}

static na_status fail(na_copy *c, na_err *err)
{
    c->st = CP_FAILED;
    na_sess_cp_unmake_dir(c);
    if (na_err_isset(&c->fail)) /* made safe when it was set: the device's words stay exact */
        na_err_set_exact(err, c->fail.code, "%s", c->fail.msg);
    c->r.elapsed_ms = na_now_ms() - c->t0_ms;
    return NA_ERROR;
}

/* Record the failure; go on to clean up the part file first when one may exist. */
static void set_fail(na_copy *c, const na_err *e)
{
    if (!na_err_isset(&c->fail))
        c->fail = *e;
}

/* ---- device commands ------------------------------------------------------------------------ */

static int start_cmd(na_copy *c, const char *cmd, na_err *err)
{
    na_cmd_opts co = {.timeout_ms = c->cmd_timeout_ms, .max_output = 1 << 20};
    logline(c, "%s", cmd);
    na_result_free(&c->res);
    if (na_session_start_command(c->s, cmd, &co, err) < 0)
        return -1;
    c->in_cmd = true;
    c->cmd_st = NA_AGAIN;
    na_err_clear(&c->cmd_err);
    return 0;
}

/* Render a platform command and start it. */
static int start_tmpl(na_copy *c, const char *tmpl, const char *const *vars, na_err *err)
{
    char *cmd = na_pfiles_render(c->f, tmpl, vars, err);
    if (!cmd)
        return -1;
    int rc = start_cmd(c, cmd, err);
    free(cmd);
    return rc;
}

/* Was the last command's trouble the device saying "no such file"? */
static bool said_missing(na_copy *c)
{
    na_err e = NA_ERR_INIT;
    na_matcher *m = na_matcher_new(&e);
    if (!m)
        return false;
    bool hit = false;
    const char *texts[] = {c->res.output, c->res.device_error, c->cmd_err.msg};
    for (size_t i = 0; i < 3 && !hit; i++)
        if (texts[i])
            hit = na_pattern_find(c->f->missing, m, texts[i], strlen(texts[i]), false, NULL,
                                  NULL);
    na_matcher_free(m);
    return hit;
}

/* A command that should simply have worked. 0, or -1 with c->fail set. */
static int cmd_ok(na_copy *c, const char *what)
{
    if (c->cmd_st == NA_OK)
        return 0;
    na_err e = NA_ERR_INIT;
    if (c->cmd_err.code == NA_E_DEVICE) { /* the device's words exact, netauto's masked */
        na_err_set_exact(&e, NA_E_DEVICE, "%s",
                         c->res.device_error ? c->res.device_error : c->cmd_err.msg);
        na_err_prefix(&e, "%s: %s %s: %s: the device said: ", cp_who(c), c->what, c->remote, what);
    } else
        e = c->cmd_err;
    set_fail(c, &e);
    return -1;
}

/* The device's digest from the last command: 1 found (into out), 0 the file is not there,
 * -1 error (c->fail). */
static int parse_digest(na_copy *c, const char *path, char *out)
{
    if (c->cmd_st != NA_OK && c->cmd_err.code != NA_E_DEVICE) {
        set_fail(c, &c->cmd_err);
        return -1;
    }
    if (said_missing(c))
        return 0;
    na_err e = NA_ERR_INIT;
    if (c->cmd_st != NA_OK) {
        na_err_set_exact(&e, NA_E_DEVICE, "%s",
                         c->res.device_error ? c->res.device_error : c->cmd_err.msg);
        na_err_prefix(&e, "%s: the device could not give the %s digest of %s: ", cp_who(c),
                      na_hash_name(c->alg), path);
        set_fail(c, &e);
        return -1;
    }
    na_matcher *m = na_matcher_new(&e);
    char val[NA_HASH_HEX_MAX + 8];
    const char *outp = c->res.output ? c->res.output : "";
    bool found = m && na_pfiles_find(&c->f->hash[c->alg], m, outp, strlen(outp), val,
                                     sizeof val);
    na_matcher_free(m);
    if (!found || !na_hash_hex_ok(c->alg, val, strlen(val))) {
        char ll[200];
        last_line(outp, ll, sizeof ll);
        na_err_set_exact(&e, NA_E_DEVICE, "'%s')", ll);
        na_err_prefix(&e, "%s: no %s digest of %s in the device's answer (last line: ", cp_who(c),
                      na_hash_name(c->alg), path);
        set_fail(c, &e);
        return -1;
    }
    for (char *p = val; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    snprintf(out, NA_HASH_HEX_MAX, "%s", val);
    return 1;
}

/* ---- set-up ------------------------------------------------------------------------------ */

static int choose_alg(na_copy *c, na_err *err)
{
    if (c->o.verify == NA_COPY_VERIFY_AUTO) {
        c->alg = c->f->nhash ? c->f->hash_order[0] : NA_HASH_NONE;
        return 0;
    }
    if (c->o.verify < 0 || c->o.verify >= NA_HASH__COUNT)
        return na_err_set(err, NA_E_USAGE, "%s: unknown verify algorithm", cp_who(c));
    c->alg = (na_hash_alg)c->o.verify;
    if (c->alg != NA_HASH_NONE && !c->f->hash[c->alg].command) {
        char list[64] = "";
        for (size_t i = 0; i < c->f->nhash; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     na_hash_name(c->f->hash_order[i]));
        return na_err_set(err, NA_E_UNSUPPORTED, "%s: %s has no %s digest command (it has %s)",
                          cp_who(c), c->plat->name, na_hash_name(c->alg), list);
    }
    return 0;
}

static int choose_proto(na_copy *c, na_err *err)
{
    if (c->o.proto == NA_COPY_PROTO_AUTO) {
        c->proto_i = 0;
        c->proto = c->f->protocols[0];
        return 0;
    }
    if (c->o.proto != NA_PF_SCP && c->o.proto != NA_PF_SFTP)
        return na_err_set(err, NA_E_USAGE, "%s: unknown transfer protocol", cp_who(c));
    if (!na_pfiles_offers(c->f, c->o.proto))
        return na_err_set(err, NA_E_UNSUPPORTED, "%s: %s devices offer %s, not %s", cp_who(c),
                          c->plat->name, na_pf_proto_name(c->f->protocols[0]),
                          na_pf_proto_name(c->o.proto));
    c->proto = c->o.proto;
    c->proto_i = -1;
    return 0;
}

na_copy *na_copy_start(na_session *s, const na_copy_opts *o, na_err *err)
{
    const na_platform *p = na_session_platform(s);
    const char *name = na_session_name(s);
    if (!p->files) {
        na_err_set(err, NA_E_UNSUPPORTED, "%s: the %s platform describes no file transfers "
                   "(no files: block)", name, p->name);
        return NULL;
    }
    if (!na_session_has_ssh(s)) {
        na_err_set(err, NA_E_UNSUPPORTED, "%s: file transfers need SSH (this host uses %s)",
                   name, na_session_transport(s)->ops->name);
        return NULL;
    }
    if (!na_session_usable(s) || na_session_busy(s)) {
        na_err_set(err, NA_E_CLOSED, "%s: the session is not open for a file transfer", name);
        return NULL;
    }
    if (!o->local || !*o->local || !o->remote || !*o->remote) {
        na_err_set(err, NA_E_USAGE, "%s: a copy needs a local and a remote path", name);
        return NULL;
    }
    if (na_pfiles_check_path(p->files, o->remote, err) < 0) {
        na_err_prefix(err, "%s: ", name);
        return NULL;
    }
    na_copy *c = calloc(1, sizeof *c);
    if (!c) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    c->s = s;
    c->plat = p;
    c->f = p->files;
    c->o = *o;
    c->kick = true;
    c->t0_ms = na_now_ms();
    snprintf(c->what, sizeof c->what, "%s", o->dir == NA_COPY_GET ? "get of" : "put to");
    c->local = strdup(o->local);
    c->remote = na_pfiles_full_path(p->files, o->remote);
    c->o.local = c->o.remote = NULL;
    c->r.log = (na_strv)NA_STRV_INIT;
    if (!c->local || !c->remote) {
        na_copy_free(c);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    const char *nm;
    na_pfiles_split(c->remote, c->dir, sizeof c->dir, &nm);
    if (!*nm || !(c->name = strdup(nm))) {
        na_err_set(err, NA_E_USAGE, "%s: '%s' names no file", name, c->remote);
        na_copy_free(c);
        return NULL;
    }
    c->cmd_timeout_ms = o->command_timeout_ms > 0 ? o->command_timeout_ms : p->files->timeout_ms;
    if (choose_alg(c, err) < 0 || choose_proto(c, err) < 0) {
        na_copy_free(c);
        return NULL;
    }
    c->r.alg = c->alg;
    c->r.remote = c->remote;
    c->r.local = c->local;
    c->r.proto = na_pf_proto_name(c->proto);
    return c;
}

/* ---- the transfer ---------------------------------------------------------------------------- */

static void tap(void *ud, const void *p, size_t n) { na_hash_update(ud, p, n); }

static int start_xfer(na_copy *c, na_err *err)
{
    na_transport *t = na_session_transport(c->s);
    int tmo = c->o.timeout_ms > 0 ? c->o.timeout_ms : DEFAULT_TIMEOUT_MS;
    int stall = c->o.stall_ms > 0 ? c->o.stall_ms : DEFAULT_STALL_MS;
    na_xfer_proto proto = c->proto == NA_PF_SFTP ? NA_XFER_SFTP : NA_XFER_SCP;
    c->xfer_t0 = na_now_ms();
    if (c->o.dir == NA_COPY_PUT) {
        char *tp = na_pfiles_transfer_path(c->f, c->part);
        if (!tp)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        na_ssh_put_opts po = {.local_path = c->local, .mode = 0644, .timeout_ms = tmo,
                              .stall_ms = stall, .proto = proto,
                              .resume = proto == NA_XFER_SFTP};
        logline(c, "%s put %s -> %s", c->r.proto, c->local, tp);
        c->x = na_ssh_put_start(t, tp, &po, err);
        free(tp);
    } else {
        char *tp = na_pfiles_transfer_path(c->f, c->remote);
        if (!tp)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        if (c->alg != NA_HASH_NONE && na_hash_init(&c->tap, c->alg, err) < 0) {
            free(tp);
            return -1;
        }
        if (na_sess_cp_local_dir(c, true, err) < 0) {
            free(tp);
            return -1;
        }
        na_ssh_get_opts go = {.local_path = c->part, .in_place = true,
                              .max_bytes = UINT64_MAX, .timeout_ms = tmo, .stall_ms = stall,
                              .proto = proto, .tap = c->alg != NA_HASH_NONE ? tap : NULL,
                              .tap_ud = &c->tap};
        logline(c, "%s get %s -> %s", c->r.proto, tp, c->local);
        c->x = na_ssh_get_start(t, tp, &go, err);
        free(tp);
    }
    return c->x ? 0 : -1;
}

/* The transfer failed with e: what is left behind, and how to say so. */
static void xfer_failed(na_copy *c, na_err *e)
{
    uint64_t moved = c->x ? na_ssh_xfer_bytes(c->x) : 0;
    const char *hint = c->f->server[c->proto].hint;
    if (e->code == NA_E_DEVICE && hint && moved == 0)
        snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
                 " (if the device's %s server is off: %s)", c->r.proto, hint);
    c->r.sent = moved - (c->x ? na_ssh_xfer_resumed_at(c->x) : 0);
    na_ssh_xfer_free(c->x);
    c->x = NULL;
    if (c->o.dir == NA_COPY_GET) {
        unlink(c->part); /* ours; the destination was not touched */
        na_hash_free(&c->tap);
        set_fail(c, e);
        c->st = CP_FAILED;
        return;
    }
    if (c->proto == NA_PF_SFTP && moved > 0 && na_session_usable(c->s)) {
        /* kept for the next run, which resumes it */
        char h[32];
        human(moved, h, sizeof h);
        c->r.partial = c->part;
        snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
                 "; the partial file %s (%s) stays on the device: the next run resumes it",
                 c->part, h);
        set_fail(c, e);
        c->st = CP_FAILED;
        return;
    }
    set_fail(c, e);
    c->st = CP_CLEAN; /* an SCP part file (or nothing) goes */
}

/* ---- the steps ------------------------------------------------------------------------------- */

static bool want_check(const na_copy *c) { return c->f->server[c->proto].check.command != NULL; }

/* After the protocol is settled: what comes next. */
static int after_check(na_copy *c, na_err *err)
{
    c->r.proto = na_pf_proto_name(c->proto);
    if (c->alg != NA_HASH_NONE) {
        c->st = CP_DIGEST;
        const char *vars[] = {"path", c->remote, NULL};
        return start_tmpl(c, c->f->hash[c->alg].command, vars, err);
    }
    if (c->o.dir == NA_COPY_PUT) {
        c->st = CP_FREE;
        const char *vars[] = {"dir", c->dir, NULL};
        return start_tmpl(c, c->f->free.command, vars, err);
    }
    c->r.changed = true;
    if (c->o.check_only) {
        c->st = CP_DONE;
        return 0;
    }
    c->st = CP_XFER;
    return start_xfer(c, err);
}

static int start_check(na_copy *c, na_err *err)
{
    c->st = CP_CHECK;
    const char *vars[] = {NULL};
    return start_tmpl(c, c->f->server[c->proto].check.command, vars, err);
}

/* put: after the destination's digest (or without digests). */
static int put_plan(na_copy *c, na_err *err)
{
    c->st = CP_FREE;
    const char *vars[] = {"dir", c->dir, NULL};
    return start_tmpl(c, c->f->free.command, vars, err);
}

/* get: the device's digest is known; is the local file already the same? */
static int get_plan(na_copy *c, na_err *err)
{
    struct stat st;
    if (stat(c->local, &st) == 0) {
        c->r.existed = true;
        if (!S_ISREG(st.st_mode))
            return na_err_set(err, NA_E_IO, "%s: %s exists and is not a regular file", cp_who(c),
                              c->local);
        char mine[NA_HASH_HEX_MAX];
        if (na_hash_file(c->local, c->alg, mine, sizeof mine, NULL, err) < 0)
            return na_err_prefix(err, "%s: ", cp_who(c)), -1;
        if (!strcmp(mine, c->r.remote_digest)) {
            c->r.same = true;
            snprintf(c->r.digest, sizeof c->r.digest, "%s", mine);
            c->r.size = (uint64_t)st.st_size;
            c->st = CP_DONE;
            return 0;
        }
        if (!c->o.overwrite)
            return na_err_set(err, NA_E_DEVICE, "%s: %s exists and differs from %s on the device "
                              "(%s %s here, %s there): give overwrite to replace it", cp_who(c),
                              c->local, c->remote, na_hash_name(c->alg), mine,
                              c->r.remote_digest);
    }
    c->r.changed = true;
    if (c->o.check_only) {
        c->st = CP_DONE;
        return 0;
    }
    c->st = CP_XFER;
    return start_xfer(c, err);
}

/* A device command ended: advance. 0, or -1 with c->fail set (the state says where to go). */
static int cmd_done(na_copy *c, na_err *err)
{
    na_err e = NA_ERR_INIT;
    switch (c->st) {
    case CP_CHECK: {
        if (cmd_ok(c, "checking the file server") < 0) /* the check itself failed */
            return -1;
        const na_pfiles_cmd *chk = &c->f->server[c->proto].check;
        na_matcher *m = na_matcher_new(&e);
        const char *out = c->res.output ? c->res.output : "";
        bool on = c->cmd_st == NA_OK && m &&
                  na_pattern_find(chk->pattern, m, out, strlen(out), false, NULL, NULL);
        na_matcher_free(m);
        if (on)
            return after_check(c, err);
        const char *hint = c->f->server[c->proto].hint;
        NA_LOGI(cp_who(c), "the %s server looks off ('%s' shows no '%s')", c->r.proto,
                chk->command, na_pattern_src(chk->pattern));
        /* auto: the next protocol the platform offers */
        if (c->proto_i >= 0 && (size_t)c->proto_i + 1 < c->f->nprotocols) {
            c->proto = c->f->protocols[++c->proto_i];
            c->r.proto = na_pf_proto_name(c->proto);
            return want_check(c) ? start_check(c, err) : after_check(c, err);
        }
        na_err_set(&e, NA_E_UNSUPPORTED, "%s: the device's %s server is off (nothing matches "
                   "'%s' in the answer to '%s')%s%s", cp_who(c), c->r.proto,
                   na_pattern_src(chk->pattern), chk->command, hint ? ": " : "",
                   hint ? hint : "");
        set_fail(c, &e);
        return -1;
    }
    case CP_DIGEST: {
        int r = parse_digest(c, c->remote, c->r.remote_digest);
        if (r < 0)
            return -1;
        if (c->o.dir == NA_COPY_GET) {
            if (r == 0) {
                na_err_set(&e, NA_E_DEVICE, "%s: %s: no such file on the device", cp_who(c),
                           c->remote);
                set_fail(c, &e);
                return -1;
            }
            return get_plan(c, err);
        }
        if (r == 1) {
            c->r.existed = true;
            if (!strcmp(c->r.remote_digest, c->r.digest)) {
                c->r.same = true; /* nothing to send */
                c->st = CP_DONE;
                return 0;
            }
            if (!c->o.overwrite) {
                na_err_set(&e, NA_E_DEVICE, "%s: %s is already on the device with another "
                           "content (%s %s there, %s here): give overwrite to replace it",
                           cp_who(c), c->remote, na_hash_name(c->alg), c->r.remote_digest,
                           c->r.digest);
                set_fail(c, &e);
                return -1;
            }
        }
        return put_plan(c, err);
    }
    case CP_FREE: {
        if (cmd_ok(c, "free space") < 0)
            return -1;
        char val[32];
        na_matcher *m = na_matcher_new(&e);
        const char *out = c->res.output ? c->res.output : "";
        bool found = m && na_pfiles_find(&c->f->free, m, out, strlen(out), val, sizeof val);
        na_matcher_free(m);
        if (!found) {
            char ll[200];
            last_line(out, ll, sizeof ll);
            na_err_set(&e, NA_E_DEVICE, "%s: could not read the free space of %s from the "
                       "device's answer (last line: '%s')", cp_who(c), c->dir, ll);
            set_fail(c, &e);
            return -1;
        }
        unsigned long long avail = strtoull(val, NULL, 10) * c->f->free_unit;
        if (avail < c->r.size) {
            char a[32], b[32];
            human(avail, a, sizeof a);
            human(c->r.size, b, sizeof b);
            na_err_set(&e, NA_E_DEVICE, "%s: not enough space on %s: %s free, %s needs %s",
                       cp_who(c), c->dir, a, c->remote, b);
            set_fail(c, &e);
            return -1;
        }
        c->r.changed = true;
        if (c->o.check_only) {
            c->st = CP_DONE;
            return 0;
        }
        c->st = CP_XFER;
        return start_xfer(c, err);
    }
    case CP_VERIFY: {
        char got[NA_HASH_HEX_MAX] = "";
        int r = parse_digest(c, c->part, got);
        if (r < 0) {
            c->st = CP_CLEAN;
            return 0;
        }
        snprintf(c->r.remote_digest, sizeof c->r.remote_digest, "%s", got);
        if (r == 0 || strcmp(got, c->r.digest)) {
            na_err_set(&e, NA_E_DEVICE, "%s: verification failed: the device computes %s %s "
                       "for %s, the local file %s has %s; the copy is removed and %s is left "
                       "as it was", cp_who(c), na_hash_name(c->alg), r ? got : "(file missing)",
                       c->part, c->local, c->r.digest, c->remote);
            set_fail(c, &e);
            c->st = CP_CLEAN;
            return 0;
        }
        if (c->r.existed && !c->f->rename_replaces) {
            c->st = CP_REMOVE;
            const char *vars[] = {"path", c->remote, "dir", c->dir, "name", c->name, NULL};
            return start_tmpl(c, c->f->remove.command, vars, err);
        }
        c->st = CP_RENAME;
        const char *vars[] = {"src", c->part, "dst", c->remote, NULL};
        return start_tmpl(c, c->f->rename.command, vars, err);
    }
    case CP_REMOVE: {
        if (c->cmd_st != NA_OK && !said_missing(c)) {
            cmd_ok(c, "removing the old file");
            c->st = CP_CLEAN;
            return 0;
        }
        c->st = CP_RENAME;
        const char *vars[] = {"src", c->part, "dst", c->remote, NULL};
        return start_tmpl(c, c->f->rename.command, vars, err);
    }
    case CP_RENAME:
        if (cmd_ok(c, "renaming the verified copy into place") < 0) {
            /* the verified copy stays under its part name: say so */
            snprintf(c->fail.msg + strlen(c->fail.msg), sizeof c->fail.msg - strlen(c->fail.msg),
                     " (the verified copy is %s)", c->part);
            c->r.partial = c->part;
            return -1;
        }
        c->st = CP_DONE;
        return 0;
    case CP_CLEAN:
        if (c->cmd_st != NA_OK && !said_missing(c))
            snprintf(c->fail.msg + strlen(c->fail.msg), sizeof c->fail.msg - strlen(c->fail.msg),
                     "; the partial file %s could not be removed", c->part);
        c->st = CP_FAILED;
        return -1;
    default:
        return na_err_set(err, NA_E_INTERNAL, "copy: a command ended in state %d", c->st);
    }
}

static void finish_log(na_copy *c)
{
    char sz[32];
    human(c->r.size, sz, sizeof sz);
    if (c->r.same) {
        NA_LOGI(cp_who(c), "%s %s: already there (%s %s), nothing sent", c->what, c->remote,
                na_hash_name(c->alg), c->r.digest[0] ? c->r.digest : c->r.remote_digest);
        return;
    }
    if (c->o.check_only) {
        NA_LOGI(cp_who(c), "%s %s: would send %s", c->what, c->remote, sz);
        return;
    }
    double secs = c->r.xfer_ms > 0 ? c->r.xfer_ms / 1000.0 : 0.001;
    char rate[32];
    human((uint64_t)((double)c->r.sent / secs), rate, sizeof rate);
    NA_LOGI(cp_who(c), "%s %s: %s in %.1f s (%s/s) over %s%s%s", c->what, c->remote, sz, secs,
            rate, c->r.proto, c->alg != NA_HASH_NONE ? ", verified with " : "",
            c->alg != NA_HASH_NONE ? na_hash_name(c->alg) : "");
}

na_status na_copy_step(na_copy *c, na_err *err)
{
    na_err e = NA_ERR_INIT;
    c->kick = false;
    if (c->st == CP_DONE)
        return NA_OK;
    if (c->st == CP_FAILED)
        return fail(c, err);
    for (;;) {
        if (c->in_cmd) {
            na_status st = na_session_step(c->s, &c->cmd_err);
            if (st == NA_AGAIN)
                return NA_AGAIN;
            c->in_cmd = false;
            c->cmd_st = st;
            na_session_take_result(c->s, &c->res);
            if (cmd_done(c, &e) < 0) {
                if (na_err_isset(&e))
                    set_fail(c, &e);
                if (c->st != CP_CLEAN || !na_session_usable(c->s))
                    return fail(c, err);
            }
            if (na_err_isset(&e)) { /* a follow-up command could not start */
                set_fail(c, &e);
                return fail(c, err);
            }
        }
        switch (c->st) {
        case CP_START:
            if (na_sess_cp_local_side(c, &e) < 0) {
                set_fail(c, &e);
                return fail(c, err);
            }
            if ((want_check(c) ? start_check(c, &e) : after_check(c, &e)) < 0) {
                set_fail(c, &e);
                return fail(c, err);
            }
            continue;
        case CP_XFER: {
            na_status st = na_ssh_xfer_step(c->x, &e);
            if (st == NA_AGAIN)
                return NA_AGAIN;
            c->r.xfer_ms = na_now_ms() - c->xfer_t0;
            if (st == NA_ERROR) {
                xfer_failed(c, &e);
                if (c->st == CP_FAILED || !na_session_usable(c->s))
                    return fail(c, err);
                const char *vars[] = {"path", c->part, "dir", c->dir, "name", c->name, NULL};
                na_err e2 = NA_ERR_INIT;
                if (start_tmpl(c, c->f->remove.command, vars, &e2) < 0)
                    return fail(c, err);
                continue;
            }
            c->r.resumed_at = na_ssh_xfer_resumed_at(c->x);
            c->r.sent = na_ssh_xfer_bytes(c->x) - c->r.resumed_at;
            c->r.size = na_ssh_xfer_size(c->x);
            na_ssh_xfer_free(c->x);
            c->x = NULL;
            if (c->o.dir == NA_COPY_GET) {
                if (c->alg != NA_HASH_NONE) {
                    char got[NA_HASH_HEX_MAX];
                    if (na_hash_final_hex(&c->tap, got, sizeof got, &e) < 0) {
                        unlink(c->part);
                        set_fail(c, &e);
                        return fail(c, err);
                    }
                    snprintf(c->r.digest, sizeof c->r.digest, "%s", got);
                    if (strcmp(got, c->r.remote_digest)) {
                        unlink(c->part);
                        na_err_set(&e, NA_E_DEVICE, "%s: verification failed: the device "
                                   "computes %s %s for %s, the bytes received have %s; nothing "
                                   "was written to %s", cp_who(c), na_hash_name(c->alg),
                                   c->r.remote_digest, c->remote, got, c->local);
                        set_fail(c, &e);
                        return fail(c, err);
                    }
                }
                if (rename(c->part, c->local) < 0) {
                    int en = errno;
                    unlink(c->part);
                    na_err_set(&e, NA_E_IO, "%s: cannot write %s: %s", cp_who(c), c->local,
                               strerror(en));
                    set_fail(c, &e);
                    return fail(c, err);
                }
                logline(c, "rename %s -> %s", c->part, c->local);
                free(c->made_dir); /* the file is in it: it stays */
                c->made_dir = NULL;
                c->st = CP_DONE;
                continue;
            }
            if (c->alg != NA_HASH_NONE) {
                c->st = CP_VERIFY;
                const char *vars[] = {"path", c->part, NULL};
                if (start_tmpl(c, c->f->hash[c->alg].command, vars, &e) < 0) {
                    set_fail(c, &e);
                    return fail(c, err);
                }
                continue;
            }
            /* no verification: straight into place */
            c->st = c->f->rename_replaces ? CP_RENAME : CP_REMOVE;
            c->r.existed = true; /* not known without digests: remove whatever is there */
            const char *rv[] = {"path", c->remote, "dir", c->dir, "name", c->name, NULL};
            const char *nv[] = {"src", c->part, "dst", c->remote, NULL};
            if (start_tmpl(c, c->f->rename_replaces ? c->f->rename.command
                                                    : c->f->remove.command,
                           c->f->rename_replaces ? nv : rv, &e) < 0) {
                set_fail(c, &e);
                return fail(c, err);
            }
            continue;
        }
        case CP_CLEAN: {
            /* reached from a command that failed after the part file may exist */
            if (!na_session_usable(c->s))
                return fail(c, err);
            const char *vars[] = {"path", c->part, "dir", c->dir, "name", c->name, NULL};
            na_err e2 = NA_ERR_INIT;
            if (start_tmpl(c, c->f->remove.command, vars, &e2) < 0)
                return fail(c, err);
            continue;
        }
        case CP_DONE:
            c->r.elapsed_ms = na_now_ms() - c->t0_ms;
            finish_log(c);
            return NA_OK;
        case CP_FAILED:
            return fail(c, err);
        default:
            if (!c->in_cmd) {
                na_err_set(&e, NA_E_INTERNAL, "copy: stuck in state %d", c->st);
                set_fail(c, &e);
                return fail(c, err);
            }
            continue;
        }
    }
}

/* ---- waiting --------------------------------------------------------------------------------- */

int na_copy_fd(const na_copy *c)
{
    if (c->x)
        return na_session_side_fd(c->s);
    return na_session_fd(c->s);
}

int na_copy_want(const na_copy *c)
{
    if (c->x)
        return na_session_side_want(c->s);
    return c->in_cmd ? na_session_want(c->s) : NA_WANT_READ;
}

int64_t na_copy_deadline(const na_copy *c)
{
    if (c->kick || (!c->x && !c->in_cmd))
        return na_now_ms();
    if (c->x)
        return na_ssh_xfer_deadline(c->x);
    return na_session_deadline(c->s);
}

int na_evwatch_copy(na_evwatch *w, const na_copy *c, int64_t cap_deadline_ms, na_err *err)
{
    int64_t d = na_copy_deadline(c);
    if (cap_deadline_ms > 0 && (d <= 0 || cap_deadline_ms < d))
        d = cap_deadline_ms;
    return na_evwatch_arm(w, na_copy_fd(c), na_copy_want(c), d, false, err);
}

void na_copy_progress(const na_copy *c, const char **phase, uint64_t *done, uint64_t *total)
{
    static const char *const names[] = {"check", "check", "check", "check", "send", "verify",
                                        "rename", "rename", "clean", "done", "failed"};
    *phase = c->st <= CP_FAILED ? names[c->st] : "?";
    if (c->st == CP_XFER && c->o.dir == NA_COPY_GET)
        *phase = "receive";
    *done = c->x ? na_ssh_xfer_bytes(c->x) : c->st >= CP_VERIFY ? c->r.size : 0;
    *total = c->x && na_ssh_xfer_size(c->x) ? na_ssh_xfer_size(c->x) : c->r.size;
}

const na_copy_result *na_copy_result_of(const na_copy *c) { return &c->r; }

bool na_copy_session_ok(const na_copy *c) { return na_session_usable(c->s); }

void na_copy_free(na_copy *c)
{
    if (!c)
        return;
    if (c->x) {
        na_ssh_xfer_free(c->x);
        if (c->o.dir == NA_COPY_GET)
            unlink(c->part);
    }
    na_sess_cp_unmake_dir(c); /* a get stopped half way */
    na_hash_free(&c->tap);
    na_result_free(&c->res);
    na_strv_free(&c->r.log);
    free(c->local);
    free(c->remote);
    free(c->name);
    free(c->part);
    free(c);
}

/* ---- blocking -------------------------------------------------------------------------------- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int na_copy_run(na_session *s, const na_copy_opts *o, na_copy_result *res, na_err *err)
{
    if (res) {
        memset(res, 0, sizeof *res);
        res->log = (na_strv)NA_STRV_INIT;
    }
    na_copy *c = na_copy_start(s, o, err);
    if (!c)
        return -1;
    na_status st;
    while ((st = na_copy_step(c, err)) == NA_AGAIN) {
        na_transport *t = na_session_transport(s);
        if (na_transport_wait(t, na_copy_deadline(c), err) < 0) {
            st = NA_ERROR;
            break;
        }
    }
    if (res) {
        *res = c->r;
        res->remote = dup_or_null(c->r.remote);
        res->local = dup_or_null(c->r.local);
        res->partial = dup_or_null(c->r.partial);
        c->r.log = (na_strv)NA_STRV_INIT; /* handed over */
    }
    na_copy_free(c);
    return st == NA_OK ? 0 : -1;
}

void na_copy_result_free(na_copy_result *res)
{
    if (!res)
        return;
    free((char *)res->remote);
    free((char *)res->local);
    free((char *)res->partial);
    na_strv_free(&res->log);
    memset(res, 0, sizeof *res);
}
