/* config.c — loads netautod's YAML configuration (see config.h, docs/daemon.md). Every key is
 * checked (unknown keys are errors with their position). Not a general settings framework. */
#include "config.h"
#include "ydoc.h"
#include "yjson.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *dirname_of(const char *path)
{
    char *tmp = strdup(path);
    if (!tmp)
        return NULL;
    char *d = strdup(dirname(tmp));
    free(tmp);
    return d;
}

static char *join(const char *dir, const char *p)
{
    if (!p)
        return NULL;
    if (p[0] == '/' || !dir)
        return strdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", dir, p);
    return r;
}

typedef struct ctx {
    na_ydoc *d;
    const char *dir;
    na_err *err;
} ctx;

static int get_path(ctx *x, na_ynode *map, const char *key, char **out)
{
    na_ynode *n = na_ymap_get(x->d, map, key);
    if (!n || na_yis_null(n))
        return 0;
    const char *s;
    if (na_ystr(x->d, n, &s, x->err) < 0)
        return -1;
    if (!*s)
        return na_yerr(x->err, x->d, n, "%s must not be empty", key);
    free(*out);
    *out = join(x->dir, s);
    return *out ? 0 : na_err_set(x->err, NA_E_NOMEM, "out of memory");
}

static int get_str(ctx *x, na_ynode *map, const char *key, char **out)
{
    na_ynode *n = na_ymap_get(x->d, map, key);
    if (!n || na_yis_null(n))
        return 0;
    const char *s;
    if (na_ystr(x->d, n, &s, x->err) < 0)
        return -1;
    free(*out);
    *out = strdup(s);
    return *out ? 0 : na_err_set(x->err, NA_E_NOMEM, "out of memory");
}

static int get_uint(ctx *x, na_ynode *map, const char *key, long min, long max, unsigned *out)
{
    na_ynode *n = na_ymap_get(x->d, map, key);
    if (!n)
        return 0;
    long v;
    if (na_ylong(x->d, n, min, max, &v, x->err) < 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* A size: a number of bytes, or with a unit K, M, G (powers of 1024, KiB... also accepted). */
static int get_size(ctx *x, na_ynode *map, const char *key, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    na_ynode *n = na_ymap_get(x->d, map, key);
    if (!n)
        return 0;
    const char *s = na_yscalar(n);
    char *end = NULL;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    uint64_t mul = 1;
    if (end && *end) {
        if (!strcasecmp(end, "k") || !strcasecmp(end, "kib") || !strcasecmp(end, "kb"))
            mul = 1024;
        else if (!strcasecmp(end, "m") || !strcasecmp(end, "mib") || !strcasecmp(end, "mb"))
            mul = 1024 * 1024;
        else if (!strcasecmp(end, "g") || !strcasecmp(end, "gib") || !strcasecmp(end, "gb"))
            mul = 1024ull * 1024 * 1024;
        else
            mul = 0;
    }
    if (!s || end == s || !mul || v > max / mul || v * mul < min || v * mul > max)
        return na_yerr(x->err, x->d, n, "%s must be a size from %llu to %llu bytes (units K, M, G)",
                       key, (unsigned long long)min, (unsigned long long)max);
    *out = v * mul;
    return 0;
}

/* A duration: seconds, or a number with s, m, h, d; 0 = forever. */
static int get_duration(ctx *x, na_ynode *map, const char *key, int64_t *out)
{
    na_ynode *n = na_ymap_get(x->d, map, key);
    if (!n)
        return 0;
    const char *s = na_yscalar(n);
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : -1;
    int64_t mul = 0;
    if (end && !*end)
        mul = 1;
    else if (end && !strcmp(end, "s"))
        mul = 1;
    else if (end && !strcmp(end, "m"))
        mul = 60;
    else if (end && !strcmp(end, "h"))
        mul = 3600;
    else if (end && !strcmp(end, "d"))
        mul = 86400;
    if (!s || end == s || !mul || v < 0 || v > 100LL * 365 * 86400 / mul)
        return na_yerr(x->err, x->d, n,
                       "%s must be a duration: a number with s, m, h or d (0: keep forever)",
                       key);
    *out = v * mul;
    return 0;
}

static const char *const top_keys[] = {
    "listen", "port", "state_dir", "tls", "tokens", "inventory", "vault_password_file",
    "playbook_dir", "job_store",
    "store", "limits", "session_pool", "log", "timezone", "schedules", "backups", "backend",
    "retention", NULL};
static const char *const limit_keys[] = {"hosts_in_flight", "per_device", "jobs_running",
                                         "jobs_queued", "body_bytes", "connections",
                                         "connections_per_address", "client_timeout",
                                         "request_timeout", "token_rate", "token_burst",
                                         "stream_backlog", "validation_time", "validation_bytes",
                                         "validations_per_token",
                                         "sse_heartbeat", "drain_grace", NULL};
static const char *const sched_keys[] = {"name", "cron", "playbook", "backup", "transport",
                                         "limit", "check", "vars", NULL};

static int load_schedules(ctx *x, na_ynode *seq, nd_conf *c)
{
    if (!na_yis_seq(seq))
        return na_yerr(x->err, x->d, seq, "schedules must be a list");
    size_t n = na_yseq_len(seq);
    c->schedules = calloc(n ? n : 1, sizeof *c->schedules);
    if (!c->schedules)
        return na_err_set(x->err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        na_ynode *m = na_yseq_item(x->d, seq, i);
        if (na_ycheck_keys(x->d, m, sched_keys, "a schedule", x->err) < 0)
            return -1;
        nd_schedule_cfg *s = &c->schedules[c->n_schedules++];
        if (get_str(x, m, "name", &s->name) < 0 || get_str(x, m, "cron", &s->cron_expr) < 0 ||
            get_str(x, m, "playbook", &s->playbook) < 0 ||
            get_str(x, m, "backup", &s->backup_command) < 0 ||
            get_str(x, m, "transport", &s->transport) < 0 || get_str(x, m, "limit", &s->limit) < 0)
            return -1;
        if (!s->name || !*s->name)
            return na_yerr(x->err, x->d, m, "a schedule needs a name");
        for (size_t j = 0; j + 1 < c->n_schedules; j++)
            if (!strcmp(c->schedules[j].name, s->name))
                return na_yerr(x->err, x->d, na_ymap_get(x->d, m, "name"),
                               "schedule name '%s' is used twice", s->name);
        if (!s->cron_expr)
            return na_yerr(x->err, x->d, m, "schedule '%s' needs a cron expression", s->name);
        na_err e2 = NA_ERR_INIT;
        if (nd_cron_parse(s->cron_expr, &s->cron, &e2) < 0)
            return na_yerr(x->err, x->d, na_ymap_get(x->d, m, "cron"), "%s", e2.msg);
        if (!s->playbook == !s->backup_command)
            return na_yerr(x->err, x->d, m,
                           "schedule '%s' needs exactly one of 'playbook' (a job) or 'backup' (a "
                           "command whose output is kept per device)",
                           s->name);
        if (s->transport && strcmp(s->transport, "ssh") && strcmp(s->transport, "telnet"))
            return na_yerr(x->err, x->d, na_ymap_get(x->d, m, "transport"),
                           "transport must be ssh or telnet");
        na_ynode *ck = na_ymap_get(x->d, m, "check");
        if (ck && na_ybool(x->d, ck, &s->check, x->err) < 0)
            return -1;
        na_ynode *vars = na_ymap_get(x->d, m, "vars");
        if (vars) {
            if (!na_yis_map(vars))
                return na_yerr(x->err, x->d, vars, "vars must be a mapping");
            s->vars = na_ynode_to_json(x->d, vars, x->err);
            if (!s->vars)
                return -1;
        }
    }
    return 0;
}

static int load(ctx *x, nd_conf *c)
{
    na_ydoc *d = x->d;
    na_ynode *root = na_ydoc_root(d);
    if (!root)
        return na_yerr(x->err, d, NULL, "the configuration is empty");
    if (na_ycheck_keys(d, root, top_keys, "the netautod configuration", x->err) < 0)
        return -1;
    if (get_str(x, root, "listen", &c->listen) < 0)
        return -1;
    na_ynode *n;
    if ((n = na_ymap_get(d, root, "port"))) {
        long v;
        if (na_ylong(d, n, 0, 65535, &v, x->err) < 0)
            return -1;
        c->port = (int)v;
    }
    if (get_path(x, root, "state_dir", &c->state_dir) < 0)
        return -1;
    if ((n = na_ymap_get(d, root, "tls"))) {
        static const char *const k[] = {"cert", "key", NULL};
        if (na_ycheck_keys(d, n, k, "tls", x->err) < 0 || get_path(x, n, "cert", &c->tls_cert) < 0 ||
            get_path(x, n, "key", &c->tls_key) < 0)
            return -1;
        if (!c->tls_cert != !c->tls_key)
            return na_yerr(x->err, d, n, "tls needs both cert and key (or neither, for a "
                                         "generated self-signed pair)");
    }
    if (get_path(x, root, "tokens", &c->tokens_file) < 0 ||
        get_path(x, root, "inventory", &c->inventory) < 0 ||
        get_path(x, root, "vault_password_file", &c->vault_password_file) < 0 ||
        get_path(x, root, "playbook_dir", &c->playbook_dir) < 0 ||
        get_path(x, root, "job_store", &c->job_store) < 0)
        return -1;
    if ((n = na_ymap_get(d, root, "store"))) {
        static const char *const k[] = {"synchronous", "max_size", NULL};
        if (na_ycheck_keys(d, n, k, "store", x->err) < 0 ||
            get_size(x, n, "max_size", 64 * 1024, (uint64_t)1 << 50, &c->store_max_bytes) < 0)
            return -1;
        na_ynode *s = na_ymap_get(d, n, "synchronous");
        if (s) {
            const char *v = na_yscalar(s);
            if (v && !strcasecmp(v, "full"))
                c->sync_full = true;
            else if (v && !strcasecmp(v, "normal"))
                c->sync_full = false;
            else
                return na_yerr(x->err, d, s, "store.synchronous must be full or normal");
        }
    }
    if ((n = na_ymap_get(d, root, "limits"))) {
        if (na_ycheck_keys(d, n, limit_keys, "limits", x->err) < 0)
            return -1;
        unsigned per_device = 1, body = (unsigned)c->max_body;
        uint64_t backlog = c->stream_backlog, vbytes = c->validate_bytes;
        if (get_uint(x, n, "hosts_in_flight", 1, 100000, &c->hosts_in_flight) < 0 ||
            get_uint(x, n, "per_device", 1, 1000, &per_device) < 0 ||
            get_uint(x, n, "jobs_running", 1, 10000, &c->jobs_running) < 0 ||
            get_uint(x, n, "jobs_queued", 1, 1000000, &c->jobs_queued) < 0 ||
            get_uint(x, n, "body_bytes", 1024, 1 << 30, &body) < 0 ||
            get_uint(x, n, "connections", 1, 100000, &c->max_connections) < 0 ||
            get_uint(x, n, "connections_per_address", 1, 100000, &c->max_conn_per_addr) < 0 ||
            get_uint(x, n, "client_timeout", 1, 3600, &c->client_timeout_s) < 0 ||
            get_uint(x, n, "request_timeout", 1, 3600, &c->request_timeout_s) < 0 ||
            get_uint(x, n, "token_rate", 0, 1000000, &c->token_rate) < 0 ||
            get_uint(x, n, "token_burst", 1, 10000000, &c->token_burst) < 0 ||
            get_size(x, n, "stream_backlog", 64 * 1024, (uint64_t)1 << 30, &backlog) < 0 ||
            get_uint(x, n, "validation_time", 1, 3600, &c->validate_s) < 0 ||
            get_uint(x, n, "validations_per_token", 1, 10000, &c->validations_per_token) < 0 ||
            get_size(x, n, "validation_bytes", 1 << 20, (uint64_t)1 << 34, &vbytes) < 0 ||
            get_uint(x, n, "sse_heartbeat", 1, 3600, &c->sse_heartbeat_s) < 0 ||
            get_uint(x, n, "drain_grace", 0, 86400, &c->drain_grace_s) < 0)
            return -1;
        if (per_device != 1)
            return na_yerr(x->err, d, na_ymap_get(d, n, "per_device"),
                           "per_device must be 1: netautod never lets two jobs or commands work "
                           "on one device at once");
        c->max_body = body;
        c->stream_backlog = (size_t)backlog;
        c->validate_bytes = (size_t)vbytes;
    }
    if ((n = na_ymap_get(d, root, "retention"))) {
        static const char *const k[] = {"jobs", "events", "audit", NULL};
        if (na_ycheck_keys(d, n, k, "retention", x->err) < 0 ||
            get_duration(x, n, "jobs", &c->keep_jobs_s) < 0 ||
            get_duration(x, n, "events", &c->keep_events_s) < 0 ||
            get_duration(x, n, "audit", &c->keep_audit_s) < 0)
            return -1;
    }
    if ((n = na_ymap_get(d, root, "session_pool"))) {
        static const char *const k[] = {"idle_timeout", NULL};
        if (na_ycheck_keys(d, n, k, "session_pool", x->err) < 0 ||
            get_uint(x, n, "idle_timeout", 0, 86400, &c->pool_idle_s) < 0)
            return -1;
    }
    if ((n = na_ymap_get(d, root, "log"))) {
        static const char *const k[] = {"file", "level", NULL};
        if (na_ycheck_keys(d, n, k, "log", x->err) < 0)
            return -1;
        na_ynode *f = na_ymap_get(d, n, "file");
        const char *fs = na_yscalar(f);
        if (f && !fs)
            return na_yerr(x->err, d, f, "log.file must be a path or 'stderr'");
        if (fs && strcmp(fs, "stderr") && strcmp(fs, "-") && get_path(x, n, "file", &c->log_file) < 0)
            return -1;
        na_ynode *l = na_ymap_get(d, n, "level");
        if (l && (!na_yscalar(l) || na_log_level_parse(na_yscalar(l), &c->log_level) < 0))
            return na_yerr(x->err, d, l, "log.level must be error, warn, info, debug or trace");
    }
    if ((n = na_ymap_get(d, root, "timezone"))) {
        const char *v = na_yscalar(n);
        if (v && !strcasecmp(v, "utc"))
            c->cron_utc = true;
        else if (v && !strcasecmp(v, "local"))
            c->cron_utc = false;
        else
            return na_yerr(x->err, d, n, "timezone must be utc or local (local follows TZ)");
    }
    if ((n = na_ymap_get(d, root, "backups"))) {
        static const char *const k[] = {"keep", NULL};
        if (na_ycheck_keys(d, n, k, "backups", x->err) < 0 ||
            get_uint(x, n, "keep", 1, 100000, &c->backups_keep) < 0)
            return -1;
    }
    if ((n = na_ymap_get(d, root, "backend"))) {
        if (!na_yis_map(n))
            return na_yerr(x->err, d, n, "backend must be a mapping");
        c->backend = na_ynode_to_json(d, n, x->err);
        if (!c->backend)
            return -1;
    }
    if ((n = na_ymap_get(d, root, "schedules")) && !na_yis_null(n) &&
        load_schedules(x, n, c) < 0)
        return -1;
    return 0;
}

int nd_conf_load(const char *path, nd_conf *c, na_err *err)
{
    memset(c, 0, sizeof *c);
    c->port = 8443;
    c->sync_full = true;
    c->hosts_in_flight = 64;
    c->jobs_running = 8;
    c->jobs_queued = 1000;
    c->max_body = 1 << 20;
    c->max_connections = 256;
    c->max_conn_per_addr = 64;
    c->client_timeout_s = 30;
    c->request_timeout_s = 10;
    c->token_rate = 100;
    c->token_burst = 500;
    c->stream_backlog = (size_t)1 << 20;
    c->validate_s = 10;
    c->validations_per_token = 8;
    c->validate_bytes = (size_t)64 << 20;
    c->keep_jobs_s = 90LL * 86400;
    c->keep_events_s = 30LL * 86400;
    c->keep_audit_s = 365LL * 86400;
    c->sse_heartbeat_s = 15;
    c->drain_grace_s = 60;
    c->pool_idle_s = 120;
    c->log_level = NA_LOG_INFO;
    c->backups_keep = 100;
    na_ydoc d;
    if (na_ydoc_load_file(&d, path, err) < 0)
        return -1;
    char *dir = dirname_of(path);
    ctx x = {&d, dir, err};
    int rc = dir ? load(&x, c) : na_err_set(err, NA_E_NOMEM, "out of memory");
    if (rc == 0) {
        c->path = strdup(path);
        if (!c->listen)
            c->listen = strdup("127.0.0.1");
        if (!c->state_dir) {
            const char *sd = getenv("STATE_DIRECTORY"); /* systemd StateDirectory= */
            if (sd && *sd) {
                char *colon = strchr(sd, ':'); /* several dirs: take the first */
                c->state_dir = colon ? strndup(sd, (size_t)(colon - sd)) : strdup(sd);
            } else
                c->state_dir = strdup(dir);
        }
        if (c->state_dir && !c->tokens_file)
            c->tokens_file = join(c->state_dir, "tokens");
        if (c->state_dir && !c->job_store)
            c->job_store = join(c->state_dir, "jobs.db");
        if (!c->playbook_dir)
            c->playbook_dir = join(dir, "playbooks");
        if (!c->path || !c->listen || !c->state_dir || !c->tokens_file || !c->job_store ||
            !c->playbook_dir)
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    free(dir);
    na_ydoc_free(&d);
    if (rc < 0)
        nd_conf_free(c);
    return rc;
}

void nd_conf_free(nd_conf *c)
{
    free(c->path);
    free(c->listen);
    free(c->state_dir);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->tokens_file);
    free(c->inventory);
    free(c->vault_password_file);
    free(c->playbook_dir);
    free(c->job_store);
    free(c->log_file);
    json_decref(c->backend);
    for (size_t i = 0; i < c->n_schedules; i++) {
        nd_schedule_cfg *s = &c->schedules[i];
        free(s->name);
        free(s->cron_expr);
        free(s->playbook);
        free(s->backup_command);
        free(s->transport);
        free(s->limit);
        json_decref(s->vars);
    }
    free(c->schedules);
    memset(c, 0, sizeof *c);
}

const nd_schedule_cfg *nd_conf_schedule(const nd_conf *c, const char *name)
{
    for (size_t i = 0; i < c->n_schedules; i++)
        if (!strcmp(c->schedules[i].name, name))
            return &c->schedules[i];
    return NULL;
}
