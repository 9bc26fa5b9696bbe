/* daemon.c — netautod's life cycle, and the one place that knows every module: load the config,
 * take the state-directory lock, prepare TLS (printing the certificate fingerprint), open the
 * store and its sealing key, take up unfinished jobs, create the backend with the daemon's
 * services (device locks, metrics), wire the job manager, event streams, schedules and API
 * together, listen, tell systemd READY=1, run the loop. SIGHUP reloads the token file and the
 * inventory (and reopens the log file); SIGTERM or SIGINT drains: no new jobs, queued jobs stay
 * queued for the next start, running ones get the grace period and are then left for the next
 * start to resume (jobs.h, docs/daemon.md, Durability); exit status 0. Module dependencies point
 * one way: daemon -> api -> sse, schedule -> backup -> jobs -> store, backend; http below api.
 * Not the HTTP API (api.c) nor the job manager (jobs.c). */
#include "netautod.h"
#include "api.h"
#include "backup.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "jobs.h"
#include "lock.h"
#include "log.h"
#include "metrics.h"
#include "cluster.h"
#include "schedule.h"
#include "secret.h"
#include "sse.h"
#include "store.h"
#include "tls.h"
#include "tlsfp.h"
#include "tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DRAIN_FORCE_S 5 /* after the grace period, how long interrupted commands may take to stop */

/* The daemon: what it owns, in the order it is set up. */
typedef struct nd {
    nd_conf cfg;
    FILE *log_fp;
    int lock_fd;
    unsigned state_mode;     /* the state directory's permissions */
    SSL_CTX *ssl;
    char fingerprint[80];
    char pin[80];            /* the public key's, as curl pins it: sha256//BASE64 */
    char *cert_path, *key_path;
    nd_tokens tokens;
    struct event_base *base;
    nd_store *store;
    nd_seal seal;            /* state_dir/store.key: seals a job's secret vars */
    nd_metrics metrics;
    nd_lockmgr *locks;
    nd_backend_services svc;
    const nd_backend_ops *be_ops;
    nd_be *be;
    nd_jobs *jobs;
    nd_sse *sse;
    nd_sched *sched;
    nd_api *api;
    nd_http *http;
    struct event *sig_term, *sig_int, *sig_hup;
    struct event *drain_timer;
    struct event *lag_timer;
    int64_t lag_due_us;
    struct event *prune_timer;
    int64_t pruned;           /* rows deleted by the retention pass in progress */
    bool draining;
    int drain_phase;         /* 0 waiting for work, 1 grace over (jobs left for the next start) */
    int64_t started_ms;
    int exit_code;
} nd;

/* sd_notify by hand over $NOTIFY_SOCKET (a datagram, no libsystemd); no-op without it. */
static void nd_notify(const char *state)
{
    const char *p = getenv("NOTIFY_SOCKET");
    if (!p || (p[0] != '/' && p[0] != '@'))
        return;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(p);
    if (n >= sizeof sa.sun_path)
        return;
    memcpy(sa.sun_path, p, n);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
    close(fd);
}

/* ---- services given to the backend -------------------------------------------------------- */

static nd_lock_req *svc_acquire(void *ctx, const char *host, const char *owner, int64_t job,
                                nd_lock_granted_cb cb, void *ud)
{
    nd *d = ctx;
    nd_lock_req *r = nd_lockmgr_acquire(d->locks, host, owner, job, cb, ud);
    if (!r) {
        NA_LOGE("locks", "out of memory queueing a device lock; aborting");
        abort();
    }
    return r;
}

static void svc_release(void *ctx, nd_lock_req *req)
{
    nd *d = ctx;
    nd_lockmgr_release(d->locks, req);
}

static void svc_command(void *ctx, const char *host, int64_t ms, bool ok)
{
    (void)host;
    nd *d = ctx;
    nd_metrics_command(&d->metrics, ms, ok);
}

static void svc_login_failed(void *ctx, const char *host)
{
    nd *d = ctx;
    d->metrics.login_failures++;
    NA_LOGW(host, "login refused by the device");
}

/* ---- retention ----------------------------------------------------------------------------- */

#define PRUNE_ROWS 500 /* rows deleted per loop pass */

/* How often to prune: a quarter of the shortest retention, between 1 s and an hour. */
static int64_t prune_period_s(const nd_conf *c)
{
    int64_t p = 3600;
    const int64_t keep[] = {c->keep_jobs_s, c->keep_events_s, c->keep_audit_s};
    for (int i = 0; i < 3; i++)
        if (keep[i] > 0 && keep[i] / 4 < p)
            p = keep[i] / 4;
    return p < 1 ? 1 : p;
}

static void prune_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd *d = arg;
    bool more = false;
    na_err e = NA_ERR_INIT;
    if (nd_store_prune(d->store, na_wall_ms(), d->cfg.keep_jobs_s, d->cfg.keep_events_s,
                       d->cfg.keep_audit_s, PRUNE_ROWS, &more, &d->pruned, &e) < 0) {
        NA_LOGE("netautod", "retention: %s", e.msg);
        more = false;
    }
    if (!more && d->pruned) {
        NA_LOGI("netautod", "retention: %lld old rows deleted (jobs, events, audit)",
                (long long)d->pruned);
        d->pruned = 0;
    }
    struct timeval tv = {more ? 0 : (time_t)prune_period_s(&d->cfg), 0}; /* more: next pass */
    event_add(d->prune_timer, &tv);
}

/* ---- loop lag ----------------------------------------------------------------------------- */

#define LAG_PERIOD_US 100000

/* A 100 ms timer: how late it runs is how long the loop was busy with something else. */
static void lag_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd *d = arg;
    int64_t now = na_now_us(), late = now - d->lag_due_us;
    nd_metrics_loop_lag(&d->metrics, late > 0 ? (double)late / 1e6 : 0);
    d->lag_due_us = now + LAG_PERIOD_US;
    struct timeval tv = {0, LAG_PERIOD_US};
    event_add(d->lag_timer, &tv);
}

/* ---- logging ------------------------------------------------------------------------------ */

static int open_log(nd *d, na_err *err)
{
    if (!d->cfg.log_file) {
        na_log_set_file(stderr);
        return 0;
    }
    /* private: requests, hosts and errors are in it (a log from an older netautod is fixed) */
    int fd = open(d->cfg.log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 && fchmod(fd, 0600) == 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        na_err_set(err, NA_E_IO, "%s: cannot open the log file: %s", d->cfg.log_file,
                   strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    na_log_set_file(f);
    if (d->log_fp)
        fclose(d->log_fp);
    d->log_fp = f;
    return 0;
}

/* ---- reload and drain --------------------------------------------------------------------- */

static void reload(nd *d)
{
    nd_notify("RELOADING=1");
    na_err e = NA_ERR_INIT;
    open_log(d, &e);
    if (na_err_isset(&e))
        NA_LOGE("netautod", "reload: %s", e.msg);
    na_err_clear(&e);
    nd_tokens t;
    if (nd_tokens_load(d->cfg.tokens_file, &t, &e) < 0) {
        NA_LOGE("netautod", "reload: tokens kept as they were: %s", e.msg);
    } else {
        nd_tokens_free(&d->tokens);
        d->tokens = t;
        NA_LOGI("netautod", "reload: %zu API tokens", t.n);
    }
    na_err_clear(&e);
    if (d->cfg.inventory) {
        if (d->be_ops->inventory_load(d->be, d->cfg.inventory, &e) < 0)
            NA_LOGE("netautod", "reload: inventory kept as it was: %s", e.msg);
        else
            NA_LOGI("netautod", "reload: inventory %s loaded", d->cfg.inventory);
    }
    nd_audit(d->store, "netautod", "reload", d->cfg.inventory,
             na_err_isset(&e) ? e.msg : "ok");
    nd_notify("READY=1\nSTATUS=serving");
}

static void finish(nd *d)
{
    struct timeval tv = {0, 100 * 1000}; /* let final event-stream chunks reach the clients */
    event_base_loopexit(d->base, &tv);
}

static void maybe_finish_drain(void *ud)
{
    nd *d = ud;
    /* after the grace period running jobs no longer hold the exit: the next start resumes them */
    if (d->draining && (d->drain_phase || nd_jobs_idle(d->jobs)) && nd_api_idle(d->api))
        finish(d);
}

static void force_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd *d = arg;
    NA_LOGW("netautod", "drain: %u jobs did not stop in time; exiting anyway",
            nd_jobs_running(d->jobs));
    finish(d);
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nd *d = arg;
    if (d->drain_phase)
        return;
    d->drain_phase = 1;
    NA_LOGW("netautod", "drain: grace period over; %u running jobs stop here and are resumed at "
            "the next start; interrupting %s", nd_jobs_running(d->jobs),
            nd_api_idle(d->api) ? "no commands" : "pending commands");
    nd_api_interrupt(d->api);
    struct timeval tv = {DRAIN_FORCE_S, 0};
    event_del(d->drain_timer);
    event_assign(d->drain_timer, d->base, -1, 0, force_cb, d);
    event_add(d->drain_timer, &tv);
    maybe_finish_drain(d);
}

static void start_drain(nd *d)
{
    if (d->draining) { /* a second signal: skip the rest of the grace period */
        grace_cb(-1, 0, d);
        return;
    }
    d->draining = true;
    nd_notify("STOPPING=1\nSTATUS=draining");
    NA_LOGI("netautod", "draining: %u running jobs get up to %us to finish",
            nd_jobs_running(d->jobs), d->cfg.drain_grace_s);
    nd_audit(d->store, "netautod", "drain", NULL, NULL);
    nd_sched_stop(d->sched);
    nd_api_drain(d->api);
    nd_jobs_drain(d->jobs);
    d->drain_timer = event_new(d->base, -1, 0, grace_cb, d);
    struct timeval tv = {(time_t)d->cfg.drain_grace_s, 0};
    if (d->drain_timer)
        event_add(d->drain_timer, &tv);
    maybe_finish_drain(d);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    nd *d = arg;
    if (sig == SIGHUP)
        reload(d);
    else
        start_drain(d);
}

/* ---- run ---------------------------------------------------------------------------------- */

/* File descriptors netautod may need at once: client connections, device sessions (jobs and
 * the pool), and its own (store, log, loop, listener...). Raise the soft limit towards that when
 * the hard limit allows; say so when it cannot. When they do run out, the listener pauses
 * (http.c) rather than spin. */
static void check_fd_limit(nd *d)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t need = (rlim_t)d->cfg.max_connections + 2 * (rlim_t)d->cfg.hosts_in_flight + 164;
    if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = rl;
        up.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
    }
    if (rl.rlim_cur < need)
        NA_LOGW("netautod", "only %llu file descriptors allowed (ulimit -n), but limits.connections "
                "(%u) and limits.hosts_in_flight (%u) may need about %llu: when they run out, "
                "new connections wait; raise LimitNOFILE or lower the limits",
                (unsigned long long)rl.rlim_cur, d->cfg.max_connections, d->cfg.hosts_in_flight,
                (unsigned long long)need);
}

/* The state directory holds the store (every stored running-config), the token hashes and the
 * TLS key: created 0700; refused when others may write to it (they could swap those files);
 * every file netautod keeps there is 0600 (files left more open by an older netautod are fixed
 * at start). */
static int check_state_dir(nd *d, na_err *err)
{
    const char *sd = d->cfg.state_dir;
    if (mkdir(sd, 0700) != 0 && errno != EEXIST)
        return na_err_set(err, NA_E_IO, "%s: cannot create the state directory: %s", sd,
                          strerror(errno));
    struct stat st;
    if (stat(sd, &st) != 0 || !S_ISDIR(st.st_mode))
        return na_err_set(err, NA_E_IO, "%s: the state directory is not a directory", sd);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return na_err_set(err, NA_E_CONFIG,
                          "%s is writable by %s (mode %04o): others could replace netautod's "
                          "store, tokens or TLS key there; make it private (chmod 0700 %s) or "
                          "choose another state_dir",
                          sd, st.st_mode & S_IWOTH ? "everyone" : "its group",
                          (unsigned)(st.st_mode & 07777), sd);
    d->state_mode = st.st_mode & 07777; /* warned about once the log is open */
    static const char *const files[] = {"netautod.lock", "tokens", "tls-key.pem",
                                        "tls-cert.pem", NULL};
    const char *db[] = {d->cfg.job_store, "-wal", "-shm", NULL};
    char p[4200];
    for (int i = 0; files[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", sd, files[i]);
        if (stat(p, &st) == 0 && (st.st_mode & 077))
            (void)chmod(p, 0600);
    }
    for (int i = 0; db[i]; i++) {
        snprintf(p, sizeof p, "%s%s", i ? db[0] : "", db[i]);
        if (stat(p, &st) == 0 && (st.st_mode & 077))
            (void)chmod(p, 0600);
    }
    return 0;
}

static int lock_state(nd *d, na_err *err)
{
    if (check_state_dir(d, err) < 0)
        return -1;
    char p[4200];
    snprintf(p, sizeof p, "%s/netautod.lock", d->cfg.state_dir);
    d->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0)
        return na_err_set(err, NA_E_IO, "%s: %s", p, strerror(errno));
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return na_err_set(err, NA_E_IO,
                          "another netautod is already using the state directory %s",
                          d->cfg.state_dir);
    return 0;
}

static int setup(nd *d, const nd_backend_ops *ops, na_err *err)
{
    if (lock_state(d, err) < 0 || open_log(d, err) < 0)
        return -1;
    if (d->state_mode & (S_IRWXG | S_IRWXO))
        NA_LOGW("netautod", "%s can be listed by others (mode %04o); netautod's files in it are "
                "private (0600), but 0700 is better (chmod 0700 %s)",
                d->cfg.state_dir, d->state_mode, d->cfg.state_dir);
    check_fd_limit(d);
    bool generated = false;
    if (nd_tls_ensure(d->cfg.tls_cert, d->cfg.tls_key, d->cfg.state_dir, &d->cert_path,
                      &d->key_path, &generated, err) < 0)
        return -1;
    if (!(d->ssl = nd_tls_server_ctx(d->cert_path, d->key_path, err)) ||
        na_tls_fingerprint_file(d->cert_path, d->fingerprint, sizeof d->fingerprint, err) < 0 ||
        na_tls_pubkey_pin_file(d->cert_path, d->pin, sizeof d->pin, err) < 0)
        return -1;
    if (nd_tokens_load(d->cfg.tokens_file, &d->tokens, err) < 0)
        return -1;
    if (d->tokens.n == 0)
        NA_LOGW("netautod", "no API tokens in %s yet: create one with `netautod token add NAME "
                "--config %s`", d->cfg.tokens_file, d->cfg.path);
    d->base = event_base_new();
    if (!d->base)
        return na_err_set(err, NA_E_NOMEM, "cannot create the event loop");
    if (!(d->store = nd_store_open(d->cfg.job_store, d->cfg.sync_full, d->base, err)) ||
        nd_store_set_max_size(d->store, d->cfg.store_max_bytes, err) < 0)
        return -1;
    char keyp[4200];
    snprintf(keyp, sizeof keyp, "%s/store.key", d->cfg.state_dir);
    if (nd_seal_load(&d->seal, keyp, err) < 0)
        return -1;
    if (!(d->locks = nd_lockmgr_new(d->base, d->cfg.hosts_in_flight)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    d->svc = (nd_backend_services){
        .base = d->base,
        .ctx = d,
        .host_acquire = svc_acquire,
        .host_release = svc_release,
        .command_observed = svc_command,
        .login_failed = svc_login_failed,
    };
    nd_backend_config bc = {
        .inventory = d->cfg.inventory,
        .playbook_dir = d->cfg.playbook_dir,
        .state_dir = d->cfg.state_dir,
        .hosts_in_flight = d->cfg.hosts_in_flight,
        .pool_idle_s = d->cfg.pool_idle_s,
        .options = d->cfg.backend,
        .vault_password_file = d->cfg.vault_password_file,
        .validate_bytes = d->cfg.validate_bytes,
        .validate_s = d->cfg.validate_s,
    };
    if (d->cfg.cluster) /* jobs go through NATS; the device backend does the device work */
        ops = nd_cluster_backend(ops, d->cfg.cluster);
    d->be_ops = ops;
    if (!(d->be = ops->create(&bc, &d->svc, err)))
        return -1;
    if (d->cfg.inventory && ops->inventory_load(d->be, d->cfg.inventory, err) < 0)
        return -1;
    nd_jobs_env je = {.base = d->base,
                      .cfg = &d->cfg,
                      .store = d->store,
                      .metrics = &d->metrics,
                      .be_ops = ops,
                      .be = d->be,
                      .seal = &d->seal};
    if (!(d->jobs = nd_jobs_new(&je, err)) ||
        !(d->sse = nd_sse_new(d->jobs, d->store, &d->cfg, d->base, err)) ||
        nd_backup_resumer(d->jobs, err) < 0 ||
        /* before anything new is accepted: what a previous netautod left unfinished */
        nd_jobs_recover(d->jobs, err) < 0 ||
        !(d->sched = nd_sched_new(d->jobs, &d->cfg, d->store, d->base, err)))
        return -1;
    nd_jobs_observer drain_obs = {.idle = maybe_finish_drain, .ud = d};
    nd_jobs_observe(d->jobs, &drain_obs);
    nd_api_env ae = {
        .cfg = &d->cfg,
        .store = d->store,
        .tokens = &d->tokens,
        .metrics = &d->metrics,
        .locks = d->locks,
        .be_ops = ops,
        .be = d->be,
        .jobs = d->jobs,
        .sse = d->sse,
        .sched = d->sched,
        .started_ms = d->started_ms,
        .idle = maybe_finish_drain,
        .idle_ud = d,
    };
    if (!(d->api = nd_api_new(&ae, err)))
        return -1;
    nd_http_hooks hk = nd_api_http_hooks(d->api);
    if (!(d->http = nd_http_new(d->base, d->ssl, &d->cfg, &d->metrics, &hk, err)))
        return -1;
    nd_api_set_http(d->api, d->http);
    if (!(d->lag_timer = event_new(d->base, -1, 0, lag_cb, d)) ||
        !(d->prune_timer = event_new(d->base, -1, 0, prune_cb, d)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    event_active(d->prune_timer, EV_TIMEOUT, 0); /* the first retention pass at start */
    d->lag_due_us = na_now_us() + LAG_PERIOD_US;
    struct timeval lag_tv = {0, LAG_PERIOD_US};
    event_add(d->lag_timer, &lag_tv);
    d->sig_term = evsignal_new(d->base, SIGTERM, signal_cb, d);
    d->sig_int = evsignal_new(d->base, SIGINT, signal_cb, d);
    d->sig_hup = evsignal_new(d->base, SIGHUP, signal_cb, d);
    if (!d->sig_term || !d->sig_int || !d->sig_hup || evsignal_add(d->sig_term, NULL) < 0 ||
        evsignal_add(d->sig_int, NULL) < 0 || evsignal_add(d->sig_hup, NULL) < 0)
        return na_err_set(err, NA_E_IO, "cannot install signal handlers");
    (void)generated;
    /* stdout: what an operator (or a test) needs to connect */
    printf("netautod: listening on https://%s%s%s:%d\n", strchr(d->cfg.listen, ':') ? "[" : "",
           d->cfg.listen, strchr(d->cfg.listen, ':') ? "]" : "", nd_http_port(d->http));
    printf("netautod: TLS certificate %s%s\n", d->cert_path,
           generated ? " (generated, self-signed)" : "");
    printf("netautod: certificate fingerprint %s (public key %s)\n", d->fingerprint, d->pin);
    fflush(stdout);
    return 0;
}

static void teardown(nd *d)
{
    if (d->sched)
        nd_sched_stop(d->sched);
    if (d->sse)
        nd_sse_close_all(d->sse);
    /* requests and schedules waiting for the backend give up first (it is still there) */
    nd_api_free(d->api); /* their evhttp requests go with the server */
    nd_sched_free(d->sched);
    if (d->be) {
        d->be_ops->destroy(d->be); /* no callbacks after this */
        d->be = NULL;
    }
    nd_jobs_free(d->jobs); /* unfinished jobs stay so in the store: the next start resumes them */
    nd_http_free(d->http);
    nd_sse_free(d->sse);
    nd_lockmgr_free(d->locks);
    if (d->store)
        nd_audit(d->store, "netautod", "stop", NULL, NULL);
    nd_store_close(d->store);
    nd_seal_wipe(&d->seal);
    if (d->sig_term)
        event_free(d->sig_term);
    if (d->sig_int)
        event_free(d->sig_int);
    if (d->sig_hup)
        event_free(d->sig_hup);
    if (d->drain_timer)
        event_free(d->drain_timer);
    if (d->lag_timer)
        event_free(d->lag_timer);
    if (d->prune_timer)
        event_free(d->prune_timer);
    if (d->ssl)
        SSL_CTX_free(d->ssl);
    if (d->base)
        event_base_free(d->base);
    nd_tokens_free(&d->tokens);
    free(d->cert_path);
    free(d->key_path);
    if (d->lock_fd > 0)
        close(d->lock_fd);
    na_log_set_file(NULL);
    if (d->log_fp)
        fclose(d->log_fp);
    nd_conf_free(&d->cfg);
}

int nd_run(const char *config_path, const nd_backend_ops *ops)
{
    nd d;
    memset(&d, 0, sizeof d);
    d.lock_fd = -1;
    d.started_ms = na_now_ms();
    signal(SIGPIPE, SIG_IGN);
    umask(077); /* everything netautod creates (store, WAL, log, keys) is private */
    na_err e = NA_ERR_INIT;
    if (nd_conf_load(config_path, &d.cfg, &e) < 0) {
        fprintf(stderr, "netautod: %s\n", e.msg);
        return 2;
    }
    na_log_set_level(d.cfg.log_level);
    if (setup(&d, ops, &e) < 0) {
        fprintf(stderr, "netautod: %s\n", e.msg);
        NA_LOGE("netautod", "cannot start: %s", e.msg);
        teardown(&d);
        return e.code == NA_E_CONFIG || e.code == NA_E_YAML || e.code == NA_E_USAGE ? 2 : 1;
    }
    NA_LOGI("netautod", "netautod %s serving on %s:%d with backend %s", NETAUTOD_VERSION,
            d.cfg.listen, nd_http_port(d.http), ops->name);
    nd_audit(d.store, "netautod", "start", NULL, NETAUTOD_VERSION);
    nd_notify("READY=1\nSTATUS=serving");
    event_base_dispatch(d.base);
    NA_LOGI("netautod", "stopped");
    teardown(&d);
    return d.exit_code;
}
