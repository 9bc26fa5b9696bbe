/* sim_srv.c — the simulator's event loop (see sim_srv.h): devices and their listeners, accepting
 * connections, the banner-delay and slow timers, the login deadline, pumping terminal output
 * into the transports with backpressure, dropping every session of a reloaded device, and
 * signals. Protocol details are in sim_ssh.c and sim_telnet.c. Not the device model. */
#include "sim_fchan_int.h"
#include "sim_srv_int.h"

#include "clock.h"
#include "log.h"
#include "secret.h"
#include "sim_files.h"
#include "sim_keys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void conn_free(sim_conn *c);

/* ---- token bucket for the slow fault ----------------------------------------------------- */

static void on_timer(evutil_socket_t fd, short what, void *arg);

static void arm_timer_ms(sim_conn *c, int64_t ms)
{
    if (c->timer_armed)
        return;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000 * 1000)};
    evtimer_add(c->ev_timer, &tv);
    c->timer_armed = true;
}

size_t sim_conn_budget(sim_conn *c, size_t want)
{
    int64_t hold = c->term ? sim_term_hold_ms(c->term) : 0;
    if (hold > 0) { /* the device pauses its output: come back when it goes on */
        arm_timer_ms(c, hold);
        return 0;
    }
    unsigned long bps = c->dev->f.slow_bps;
    if (!bps)
        return want;
    int64_t now = na_now_us();
    double burst = bps / 20.0 < 1.0 ? 1.0 : bps / 20.0;
    c->tokens += (double)(now - c->tb_us) * (double)bps / 1e6;
    c->tb_us = now;
    if (c->tokens > burst)
        c->tokens = burst;
    if (c->tokens >= 1.0)
        return (size_t)c->tokens < want ? (size_t)c->tokens : want;
    if (!c->timer_armed) {
        double secs = (1.0 - c->tokens) / (double)bps;
        if (secs < 0.002)
            secs = 0.002;
        struct timeval tv = {(time_t)secs, (suseconds_t)((secs - floor(secs)) * 1e6)};
        evtimer_add(c->ev_timer, &tv);
        c->timer_armed = true;
    }
    return 0;
}

void sim_conn_spent(sim_conn *c, size_t n)
{
    if (c->dev->f.slow_bps)
        c->tokens -= (double)n;
}

/* ---- connection plumbing ---------------------------------------------------------------------- */

void sim_conn_log(sim_conn *c, const char *event, const char *text)
{
    sim_files_log(c->dev, c->kind, c->peer, event, text);
}

void sim_conn_attach_term(sim_conn *c, sim_term *t) { c->term = t; }

void sim_conn_linger(sim_conn *c)
{
    if (c->lingering)
        return;
    shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    struct timeval tv = {2, 0};
    evtimer_add(c->ev_deadline, &tv);
}

static void linger_read(sim_conn *c)
{
    char buf[4096];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        c->dead = true;
}

static bool conn_logged_in(const sim_conn *c)
{
    return (c->term && (c->kind == SIM_TR_SSH || sim_term_logged_in(c->term))) ||
           sim_fchan_any(c); /* an SCP/SFTP-only connection */
}

void sim_conn_update_io(sim_conn *c)
{
    if (c->dead || !c->started)
        return;
    if (!event_pending(c->ev_read, EV_READ, NULL))
        event_add(c->ev_read, NULL);
    bool want = !c->lingering &&
                (c->kind == SIM_TR_SSH ? sim_ssh_want_write(c) : sim_telnet_want_write(c));
    if (want && !c->write_armed)
        event_add(c->ev_write, NULL);
    else if (!want && c->write_armed)
        event_del(c->ev_write);
    c->write_armed = want;
}

void sim_conn_pump(sim_conn *c)
{
    if (c->dead || !c->started || c->lingering)
        return;
    if (c->kind == SIM_TR_SSH)
        sim_ssh_pump(c);
    else
        sim_telnet_pump(c);
    /* a reload on this device drops every other session of it */
    sim_dev_rt *rt = c->rt;
    if (rt->dev->epoch != rt->seen_epoch) {
        rt->seen_epoch = rt->dev->epoch;
        sim_conn *o = rt->conns, *next;
        for (; o; o = next) {
            next = o->dnext;
            if (o == c)
                continue;
            sim_conn_pump(o);
            if (o->dead)
                conn_free(o);
            else
                sim_conn_update_io(o);
        }
    }
}

static void finish(sim_conn *c)
{
    sim_conn_pump(c);
    if (c->dead)
        conn_free(c);
    else
        sim_conn_update_io(c);
}

static void start_protocol(sim_conn *c)
{
    c->started = true;
    c->tb_us = na_now_us();
    double burst = c->dev->f.slow_bps / 20.0;
    c->tokens = burst < 1.0 ? 1.0 : burst;
    int rc = c->kind == SIM_TR_SSH ? sim_ssh_start(c) : sim_telnet_start(c);
    if (rc < 0)
        c->dead = true;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sim_conn *c = arg;
    if (c->lingering)
        linger_read(c);
    else if (c->kind == SIM_TR_SSH)
        sim_ssh_io(c);
    else
        sim_telnet_io(c, true);
    finish(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sim_conn *c = arg;
    if (c->kind == SIM_TR_SSH)
        sim_ssh_io(c);
    else
        sim_telnet_io(c, false);
    finish(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sim_conn *c = arg;
    c->timer_armed = false;
    if (!c->started) {
        /* timers may fire a little early: the delay is a promise, keep it */
        int64_t left = c->start_at_us - na_now_us();
        if (left > 0) {
            struct timeval tv = {(time_t)(left / 1000000), (suseconds_t)(left % 1000000)};
            evtimer_add(c->ev_timer, &tv);
            c->timer_armed = true;
            return;
        }
        start_protocol(c);
    }
    finish(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sim_conn *c = arg;
    if (c->closing || c->lingering) {
        c->dead = true; /* the client did not close after we did */
    } else if (!conn_logged_in(c)) {
        NA_LOGD(c->dev->name, "%s %s: login timeout", sim_transport_name(c->kind), c->peer);
        sim_conn_log(c, "login-timeout", "");
        c->dead = true;
    }
    finish(c);
}

static void conn_free(sim_conn *c)
{
    sim_srv *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    for (sim_conn **pp = &c->rt->conns; *pp; pp = &(*pp)->dnext)
        if (*pp == c) {
            *pp = c->dnext;
            break;
        }
    s->nconns--;
    struct event *evs[] = {c->ev_read, c->ev_write, c->ev_timer, c->ev_deadline};
    for (size_t i = 0; i < 4; i++)
        if (evs[i])
            event_free(evs[i]);
    sim_term_free(c->term);
    c->term = NULL;
    if (c->kind == SIM_TR_SSH)
        sim_ssh_free(c);
    else
        sim_telnet_free(c);
    NA_LOGD(c->dev->name, "%s %s: closed", sim_transport_name(c->kind), c->peer);
    free(c);
}

static void accept_conn(sim_dev_rt *rt, sim_transport kind, evutil_socket_t fd,
                        struct sockaddr *sa, int salen)
{
    sim_srv *s = rt->srv;
    sim_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->srv = s;
    c->rt = rt;
    c->dev = rt->dev;
    c->kind = kind;
    c->fd = fd;
    char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
    getnameinfo(sa, (socklen_t)salen, host, sizeof host, serv, sizeof serv,
                NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(c->peer, sizeof c->peer, "%s:%s", host, serv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->ev_read = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->ev_write = event_new(s->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    c->ev_timer = evtimer_new(s->base, on_timer, c);
    c->ev_deadline = evtimer_new(s->base, on_deadline, c);
    na_buf_init(&c->tout, (size_t)1 << 20);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    c->dnext = rt->conns;
    rt->conns = c;
    if (!c->ev_read || !c->ev_write || !c->ev_timer || !c->ev_deadline) {
        conn_free(c); /* closes fd */
        return;
    }
    rt->dev->c.connections++;
    NA_LOGD(rt->dev->name, "%s %s: connected", sim_transport_name(kind), c->peer);
    struct timeval dl = {s->opts->login_timeout_s, 0};
    evtimer_add(c->ev_deadline, &dl);
    if (rt->dev->f.banner_delay_ms) {
        unsigned ms = rt->dev->f.banner_delay_ms;
        c->start_at_us = na_now_us() + (int64_t)ms * 1000;
        struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};
        evtimer_add(c->ev_timer, &tv);
        c->timer_armed = true;
        return;
    }
    start_protocol(c);
    finish(c);
}

static void on_accept_ssh(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    (void)l;
    accept_conn(arg, SIM_TR_SSH, fd, sa, salen);
}

static void on_accept_telnet(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                             int salen, void *arg)
{
    (void)l;
    accept_conn(arg, SIM_TR_TELNET, fd, sa, salen);
}

static void reenable_listener(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evconnlistener_enable(arg);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    sim_dev_rt *rt = arg;
    int e = errno;
    NA_LOGW(rt->dev->name, "accept failed: %s", strerror(e));
    if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        /* out of descriptors: pause this listener instead of spinning on it */
        struct timeval tv = {0, 200000};
        evconnlistener_disable(l);
        event_base_once(rt->srv->base, -1, EV_TIMEOUT, reenable_listener, l, &tv);
    }
}

/* ---- set-up ---------------------------------------------------------------------------------------- */

static struct evconnlistener *listen_on(sim_srv *s, sim_dev_rt *rt, int port, bool ssh,
                                        int *bound, na_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(s->opts->listen, ps, &hints, &ai);
    if (g != 0 || !ai) {
        na_err_set(err, NA_E_BADADDR, "--listen %s: not a numeric address (%s)", s->opts->listen,
                   gai_strerror(g));
        return NULL;
    }
    struct evconnlistener *l = evconnlistener_new_bind(
        s->base, ssh ? on_accept_ssh : on_accept_telnet, rt,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128, ai->ai_addr,
        (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!l) {
        na_err_set(err, NA_E_IO, "%s: cannot listen on %s port %d: %s", rt->dev->name,
                   s->opts->listen, port, strerror(errno));
        return NULL;
    }
    evconnlistener_set_error_cb(l, on_accept_error);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return l;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int load_authorized_keys(sim_srv *s, const char *path, na_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return na_err_set(err, NA_E_IO, "--authorized-keys %s: %s", path, strerror(errno));
    char line[16384];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || !*p)
            continue;
        char *type = strtok(p, " \t\r\n"), *b64 = strtok(NULL, " \t\r\n");
        ssh_key k = NULL;
        if (!type || !b64 ||
            ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &k) != SSH_OK) {
            fclose(f);
            return na_err_set(err, NA_E_CONFIG, "%s:%u: not a public key line", path, lineno);
        }
        ssh_key *nk = realloc(s->authkeys, (s->nauthkeys + 1) * sizeof *nk);
        if (!nk) {
            ssh_key_free(k);
            fclose(f);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        s->authkeys = nk;
        s->authkeys[s->nauthkeys++] = k;
    }
    fclose(f);
    return 0;
}

static int dev_keys(sim_srv *s, sim_dev_rt *rt, na_err *err)
{
    const sim_opts *o = s->opts;
    sim_device *d = rt->dev;
    char path[4300];
    if (d->f.legacy_crypto || d->f.rsa_host_key) {
        if (o->host_key || d->state_dir) {
            if (o->host_key)
                snprintf(path, sizeof path, "%s.rsa", o->host_key);
            else
                snprintf(path, sizeof path, "%s/ssh_host_rsa_key", d->state_dir);
            if (sim_key_load_or_create(path, SSH_KEYTYPE_RSA, 2048, &rt->usual, err) < 0)
                return -1;
        } else {
            if (!s->legacy_rsa && sim_key_generate(SSH_KEYTYPE_RSA, 2048, &s->legacy_rsa, err) < 0)
                return -1;
            rt->usual = ssh_key_dup(s->legacy_rsa);
        }
        if (d->f.hostkey_change) {
            if (!s->legacy_rsa_alt &&
                sim_key_generate(SSH_KEYTYPE_RSA, 2048, &s->legacy_rsa_alt, err) < 0)
                return -1;
            rt->shown = ssh_key_dup(s->legacy_rsa_alt);
        }
    } else {
        if (o->host_key) {
            if (sim_key_load_or_create(o->host_key, SSH_KEYTYPE_ED25519, 0, &rt->usual, err) < 0)
                return -1;
        } else if (d->state_dir) {
            snprintf(path, sizeof path, "%s/ssh_host_ed25519_key", d->state_dir);
            if (sim_key_load_or_create(path, SSH_KEYTYPE_ED25519, 0, &rt->usual, err) < 0)
                return -1;
        } else if (sim_key_generate(SSH_KEYTYPE_ED25519, 0, &rt->usual, err) < 0) {
            return -1;
        }
        if (d->f.hostkey_change && sim_key_generate(SSH_KEYTYPE_ED25519, 0, &rt->shown, err) < 0)
            return -1;
    }
    if (!rt->usual)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (!rt->shown)
        rt->shown = ssh_key_dup(rt->usual);
    if (!rt->shown)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    sim_srv *s = arg;
    if (sig == SIGUSR1) {
        na_err e = NA_ERR_INIT;
        if (sim_srv_write_stats(s, &e) < 0)
            NA_LOGW(NULL, "%s", e.msg);
        return;
    }
    NA_LOGI(NULL, "signal %d: stopping", (int)sig);
    event_base_loopbreak(s->base);
}

static void term_log(const sim_device *d, sim_transport tr, const char *peer, const char *event,
                     const char *text)
{
    sim_files_log(d, tr, peer, event, text);
}

int sim_srv_init(sim_srv *s, const sim_opts *o, na_err *err)
{
    memset(s, 0, sizeof *s);
    s->opts = o;
    s->creds.username = o->username;
    s->creds.password = o->password;
    s->creds.secret = o->secret;
    s->creds.banner = o->banner;
    na_secret_register(o->password);
    na_secret_register(o->secret);
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    sim_term_set_log_hook(term_log);
    struct event_config *cfg = event_config_new();
    if (cfg) {
        event_config_avoid_method(cfg, "select");
        event_config_avoid_method(cfg, "poll");
        s->base = event_base_new_with_config(cfg);
        event_config_free(cfg);
    }
    if (!s->base)
        s->base = event_base_new();
    if (!s->base)
        return na_err_set(err, NA_E_INTERNAL, "cannot create the event loop");
    size_t n = sim_opts_ndevices(o);
    s->devs = calloc(n, sizeof *s->devs);
    s->rt = calloc(n, sizeof *s->rt);
    if (!s->devs || !s->rt)
        return na_err_set(err, NA_E_NOMEM, "out of memory for %zu devices", n);
    for (size_t k = 0; k < n; k++) {
        char name[64];
        sim_persona p;
        sim_opts_device(o, k, name, sizeof name, &p);
        if (sim_device_init(&s->devs[k], name, p, &s->creds, o->state_dir, err) < 0)
            return -1;
        s->ndevs = k + 1;
        s->rt[k].srv = s;
        s->rt[k].dev = &s->devs[k];
        s->devs[k].srv = &s->rt[k];
    }
    if (sim_faults_apply_all(s->devs, n, o, err) < 0)
        return -1;
    if (o->authorized_keys && load_authorized_keys(s, o->authorized_keys, err) < 0)
        return -1;
    for (size_t k = 0; k < n; k++) {
        sim_dev_rt *rt = &s->rt[k];
        sim_device_boot(rt->dev);
        if (dev_keys(s, rt, err) < 0 || sim_ssh_bind_setup(rt, err) < 0) {
            na_err_prefix(err, "%s: ", rt->dev->name);
            return -1;
        }
        int bp = o->base_port ? o->base_port + 2 * (int)k : 0;
        rt->l_ssh = listen_on(s, rt, bp, true, &rt->ssh_port, err);
        if (!rt->l_ssh)
            return -1;
        rt->l_telnet = listen_on(s, rt, bp ? bp + 1 : 0, false, &rt->telnet_port, err);
        if (!rt->l_telnet)
            return -1;
    }
    s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
    s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
    s->sig_usr1 = evsignal_new(s->base, SIGUSR1, on_signal, s);
    if (!s->sig_term || !s->sig_int || !s->sig_usr1 || evsignal_add(s->sig_term, NULL) < 0 ||
        evsignal_add(s->sig_int, NULL) < 0 || evsignal_add(s->sig_usr1, NULL) < 0)
        return na_err_set(err, NA_E_INTERNAL, "cannot install signal handlers");
    return 0;
}

int sim_srv_run(sim_srv *s)
{
    return event_base_dispatch(s->base) < 0 ? -1 : 0;
}

int sim_srv_write_stats(sim_srv *s, na_err *err)
{
    if (!s->opts->stats_file)
        return 0;
    s->stats_seq++;
    for (size_t k = 0; k < s->ndevs; k++) /* the revert timers of devices nobody talks to */
        sim_revert_tick(&s->devs[k]);
    return sim_files_stats(s, s->opts->stats_file, s->stats_seq, err);
}

void sim_srv_free(sim_srv *s)
{
    while (s->conns)
        conn_free(s->conns);
    for (size_t k = 0; k < s->ndevs; k++) {
        sim_dev_rt *rt = &s->rt[k];
        if (rt->l_ssh)
            evconnlistener_free(rt->l_ssh);
        if (rt->l_telnet)
            evconnlistener_free(rt->l_telnet);
        if (rt->bind)
            ssh_bind_free(rt->bind);
        ssh_key_free(rt->usual);
        ssh_key_free(rt->shown);
        sim_device_free(&s->devs[k]);
    }
    for (size_t i = 0; i < s->nauthkeys; i++)
        ssh_key_free(s->authkeys[i]);
    free(s->authkeys);
    ssh_key_free(s->legacy_rsa);
    ssh_key_free(s->legacy_rsa_alt);
    if (s->sig_term)
        event_free(s->sig_term);
    if (s->sig_int)
        event_free(s->sig_int);
    if (s->sig_usr1)
        event_free(s->sig_usr1);
    if (s->base)
        event_base_free(s->base);
    free(s->devs);
    free(s->rt);
    sim_term_set_log_hook(NULL);
    memset(s, 0, sizeof *s);
}
