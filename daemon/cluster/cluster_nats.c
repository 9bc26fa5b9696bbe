/* cluster_nats.c — the cluster's NATS side (cluster_int.h): connect through libnats (URLs,
 * credentials, TLS, endless reconnects), create the JetStream streams and KV buckets the cluster
 * uses (idempotent: every node does it at start), publish with a message id, and the bridge
 * between libnats' blocking calls and the daemon's single loop: op threads run ncl_op.work, an
 * eventfd wakes the loop, which runs ncl_op.done. Not the cluster's logic (api, worker). */
#include "cluster_int.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

ncl nd_g_ncl;

void nd_ncl_nats_err(na_err *err, const char *what, natsStatus s, jsErrCode jerr)
{
    const char *last = nats_GetLastError(NULL);
    if (jerr)
        na_err_set(err, NA_E_IO, "%s: %s (JetStream error %d%s%s)", what, natsStatus_GetText(s),
                   (int)jerr, last && *last ? ": " : "", last ? last : "");
    else
        na_err_set(err, NA_E_IO, "%s: %s%s%s", what, natsStatus_GetText(s),
                   last && *last ? ": " : "", last ? last : "");
    atomic_fetch_add(&nd_g_ncl.n.nats_errors, 1);
}

void nd_ncl_key(const char *host, char *out, size_t cap)
{
    bool plain = *host && strlen(host) < cap;
    for (const char *p = host; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '_' || *p == '-' || *p == '=';
    if (plain) {
        snprintf(out, cap, "%s", host);
        return;
    }
    size_t k = 0;
    out[k++] = 'x';
    for (const unsigned char *p = (const unsigned char *)host; *p && k + 3 < cap; p++)
        k += (size_t)snprintf(out + k, cap - k, "%02x", *p);
    out[k] = 0;
}

int nd_ncl_publish(ncl *c, const char *subject, const char *msg_id, const char *data, size_t len,
                bool *dup, na_err *err)
{
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msg_id;
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    natsStatus s;
    /* A NATS node going away (reconnect, stream leader election) fails a publish for a few
     * seconds; the message id makes trying again safe. On an op thread: waiting is fine. */
    for (int64_t until = na_now_ms() + 15000;;) {
        jerr = 0;
        s = js_Publish(&pa, c->js, subject, data, (int)len, &po, &jerr);
        if (s == NATS_OK || s == NATS_MAX_PAYLOAD || na_now_ms() >= until)
            break;
        pthread_mutex_lock(&c->mu);
        bool stop = c->stop;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        nanosleep(&(struct timespec){0, 250000000}, NULL);
    }
    if (s != NATS_OK) {
        char what[200];
        snprintf(what, sizeof what, "publishing to %s", subject);
        nd_ncl_nats_err(err, what, s, jerr);
        return -1;
    }
    if (dup)
        *dup = pa->Duplicate;
    jsPubAck_Destroy(pa);
    return 0;
}

/* ---- the bridge ------------------------------------------------------------------------------ */

static void wake_loop(ncl *c)
{
    uint64_t one = 1;
    while (write(c->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

void nd_ncl_submit(ncl_op *op)
{
    ncl *c = &nd_g_ncl;
    pthread_mutex_lock(&c->mu);
    if (c->closing) { /* no op thread any more: done() frees it */
        pthread_mutex_unlock(&c->mu);
        op->done(op);
        return;
    }
    TAILQ_INSERT_TAIL(&c->todo, op, link);
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void nd_ncl_post(ncl_op *op)
{
    ncl *c = &nd_g_ncl;
    pthread_mutex_lock(&c->mu);
    if (c->closing) { /* a late libnats callback at teardown: nobody will run it, free it */
        pthread_mutex_unlock(&c->mu);
        op->done(op);
        return;
    }
    bool was_empty = TAILQ_EMPTY(&c->done);
    TAILQ_INSERT_TAIL(&c->done, op, link);
    pthread_mutex_unlock(&c->mu);
    if (was_empty)
        wake_loop(c);
}

static void *op_thread(void *arg)
{
    ncl *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->stop && TAILQ_EMPTY(&c->todo))
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        ncl_op *op = TAILQ_FIRST(&c->todo);
        TAILQ_REMOVE(&c->todo, op, link);
        pthread_mutex_unlock(&c->mu);
        op->work(op);
        nd_ncl_post(op);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The loop: run what finished. */
static void efd_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    ncl *c = arg;
    uint64_t v;
    while (read(fd, &v, sizeof v) < 0 && errno == EINTR)
        ;
    struct ncl_opq q = TAILQ_HEAD_INITIALIZER(q);
    pthread_mutex_lock(&c->mu);
    TAILQ_CONCAT(&q, &c->done, link);
    pthread_mutex_unlock(&c->mu);
    while (!TAILQ_EMPTY(&q)) {
        ncl_op *op = TAILQ_FIRST(&q);
        TAILQ_REMOVE(&q, op, link);
        op->done(op);
    }
}

/* ---- connection ------------------------------------------------------------------------------ */

static void on_disconnected(natsConnection *nc, void *ud)
{
    (void)nc;
    (void)ud;
    NA_LOGW("cluster", "lost the connection to NATS; reconnecting");
}

static void on_reconnected(natsConnection *nc, void *ud)
{
    (void)ud;
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    NA_LOGI("cluster", "reconnected to NATS at %s", url);
}

static int connect_nats(ncl *c, na_err *err)
{
    const nd_cluster_conf *cf = c->conf;
    natsStatus s = natsOptions_Create(&c->opts);
    /* the URL list: natsOptions_SetServers wants an array */
    char *urls = strdup(cf->nats_url);
    const char *list[32];
    int n = 0;
    for (char *save = NULL, *t = urls ? strtok_r(urls, ", ", &save) : NULL; t && n < 32;
         t = strtok_r(NULL, ", ", &save))
        list[n++] = t;
    if (s == NATS_OK && !urls)
        s = NATS_NO_MEMORY;
    if (s == NATS_OK)
        s = natsOptions_SetServers(c->opts, list, n);
    free(urls);
    if (s == NATS_OK)
        s = natsOptions_SetName(c->opts, cf->node);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(c->opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(c->opts, 250);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(c->opts, 3000);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(c->opts, on_disconnected, c);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(c->opts, on_reconnected, c);
    if (s == NATS_OK && cf->credentials)
        s = natsOptions_SetUserCredentialsFromFiles(c->opts, cf->credentials, NULL);
    if (s == NATS_OK && (cf->tls_ca || cf->tls_cert))
        s = natsOptions_SetSecure(c->opts, true);
    if (s == NATS_OK && cf->tls_ca)
        s = natsOptions_LoadCATrustedCertificates(c->opts, cf->tls_ca);
    if (s == NATS_OK && cf->tls_cert)
        s = natsOptions_LoadCertificatesChain(c->opts, cf->tls_cert, cf->tls_key);
    if (s != NATS_OK) {
        nd_ncl_nats_err(err, "NATS options (cluster: credentials, tls)", s, 0);
        return -1;
    }
    s = natsConnection_Connect(&c->nc, c->opts);
    if (s != NATS_OK) {
        char what[400];
        snprintf(what, sizeof what, "cannot reach NATS at %s", cf->nats_url);
        nd_ncl_nats_err(err, what, s, 0);
        return -1;
    }
    natsConnection_GetConnectedUrl(c->nc, c->nats_url, sizeof c->nats_url);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    if ((s = natsConnection_JetStream(&c->js, c->nc, &jo)) != NATS_OK) {
        nd_ncl_nats_err(err, "JetStream context", s, 0);
        return -1;
    }
    return 0;
}

static int add_stream(ncl *c, const char *name, const char *subject, bool work_queue,
                      int64_t max_age_ms, int64_t dup_ms, na_err *err)
{
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = name;
    const char *subjects[] = {subject};
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Retention = work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
    sc.Storage = js_FileStorage;
    sc.Replicas = (int64_t)c->conf->replicas;
    sc.MaxAge = max_age_ms * 1000000;
    sc.Duplicates = dup_ms * 1000000;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;
    /* a NATS cluster that has just started may still be electing its JetStream leader */
    for (int64_t until = na_now_ms() + 20000;;) {
        jerr = 0;
        s = js_AddStream(&si, c->js, &sc, NULL, &jerr);
        if (s == NATS_OK || jerr == JSStreamNameExistErr || na_now_ms() >= until)
            break;
        NA_LOGI("cluster", "JetStream not ready yet (%s); trying again", natsStatus_GetText(s));
        nanosleep(&(struct timespec){0, 250000000}, NULL);
    }
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return 0;
    }
    if (jerr == JSStreamNameExistErr)
        return 0; /* made by another node (or an earlier run): its settings stay */
    char what[200];
    snprintf(what, sizeof what, "creating the stream %s (is JetStream enabled on the server?)",
             name);
    nd_ncl_nats_err(err, what, s, jerr);
    return -1;
}

static int open_bucket(ncl *c, const char *name, int64_t ttl_ms, kvStore **out, na_err *err)
{
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name;
    kc.History = 1;
    kc.TTL = ttl_ms * 1000000; /* nanoseconds */
    kc.Replicas = (int)c->conf->replicas;
    kc.StorageType = js_FileStorage;
    natsStatus s = js_CreateKeyValue(out, c->js, &kc);
    char first[300];
    snprintf(first, sizeof first, "%s", nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
    if (s != NATS_OK) /* exists already (maybe with other settings): use it */
        s = js_KeyValue(out, c->js, name);
    if (s != NATS_OK) {
        char what[600];
        snprintf(what, sizeof what, "opening the KV bucket %s (%s)", name, first);
        nd_ncl_nats_err(err, what, s, 0);
        return -1;
    }
    return 0;
}

int nd_ncl_nats_open(ncl *c, na_err *err)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    TAILQ_INIT(&c->todo);
    TAILQ_INIT(&c->done);
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->efd < 0)
        return na_err_set(err, NA_E_IO, "eventfd: %s", strerror(errno));
    if (!(c->efd_ev = event_new(c->svc.base, c->efd, EV_READ | EV_PERSIST, efd_cb, c)) ||
        event_add(c->efd_ev, NULL) < 0)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (nats_Open(-1) != NATS_OK)
        return na_err_set(err, NA_E_INTERNAL, "cannot initialise libnats");
    if (connect_nats(c, err) < 0 ||
        add_stream(c, NCL_TASKS_STREAM, "netauto.task.>", true, 0, 120000, err) < 0 ||
        add_stream(c, NCL_RESULTS_STREAM, "netauto.result.>", false, 7LL * 86400 * 1000, 600000,
                   err) < 0 ||
        open_bucket(c, NCL_LEASES_BUCKET, c->conf->lease_ms, &c->leases, err) < 0 ||
        open_bucket(c, NCL_NODES_BUCKET, 3 * c->conf->heartbeat_ms, &c->nodes_kv, err) < 0)
        return -1;
    for (int i = 0; i < NCL_OP_THREADS; i++) {
        if (pthread_create(&c->threads[i], NULL, op_thread, c) != 0)
            return na_err_set(err, NA_E_INTERNAL, "cannot start the cluster's threads");
        c->n_threads++;
    }
    NA_LOGI("cluster", "node %s (%s, site %s) connected to NATS at %s", c->conf->node,
            nd_cluster_role_name(c->conf->role), c->conf->site, c->nats_url);
    return 0;
}

void nd_ncl_threads_stop(ncl *c)
{
    if (c->efd < 0)
        return; /* never opened */
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->n_threads; i++)
        pthread_join(c->threads[i], NULL);
    c->n_threads = 0;
    /* what never ran, and what finished but was not seen by the loop: free it */
    pthread_mutex_lock(&c->mu);
    c->closing = true;
    struct ncl_opq q = TAILQ_HEAD_INITIALIZER(q);
    TAILQ_CONCAT(&q, &c->todo, link);
    TAILQ_CONCAT(&q, &c->done, link);
    pthread_mutex_unlock(&c->mu);
    while (!TAILQ_EMPTY(&q)) {
        ncl_op *op = TAILQ_FIRST(&q);
        TAILQ_REMOVE(&q, op, link);
        op->done(op);
    }
}

void nd_ncl_nats_close(ncl *c)
{
    if (c->leases)
        kvStore_Destroy(c->leases);
    if (c->nodes_kv)
        kvStore_Destroy(c->nodes_kv);
    if (c->js)
        jsCtx_Destroy(c->js);
    if (c->nc) {
        natsConnection_Close(c->nc);
        natsConnection_Destroy(c->nc);
    }
    if (c->opts)
        natsOptions_Destroy(c->opts);
    c->leases = c->nodes_kv = NULL;
    c->js = NULL;
    c->nc = NULL;
    c->opts = NULL;
    if (c->efd_ev)
        event_free(c->efd_ev);
    c->efd_ev = NULL;
    if (c->efd >= 0) {
        close(c->efd);
        nats_CloseAndWait(2000);
    }
    c->efd = -1;
    /* mu and cv stay: a late callback may still look at closing */
}
