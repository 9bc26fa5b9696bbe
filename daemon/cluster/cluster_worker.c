/* cluster_worker.c — the worker role of a cluster node (cluster_int.h, docs/cluster.md): the
 * site's durable pull consumer (explicit acks, MaxDeliver, back-off), fetched on a thread of its
 * own as task slots free up; each task takes the device's lease in the leases bucket (create if
 * absent; a released lease is taken by expected revision), runs the host's play through the
 * wrapped backend, keeps the task (in-progress acks) and the lease (update by expected revision)
 * alive while it runs, publishes the host's result with a message id, acks, and releases the
 * lease. A worker that cannot renew its lease in time — lost to another worker, or the process
 * was stopped past it — stops before its next step on the device (the runner's may_proceed)
 * and publishes nothing. Not the api side (cluster_api.c). */
#include "cluster_int.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum wstate { W_LEASE, W_PREP, W_RUN, W_FINISH, W_DROP } wstate;
typedef enum wop { OP_NONE, OP_ACQUIRE, OP_KEEP, OP_FINISH, OP_NAK, OP_DROP } wop;

struct ncl_wtask {
    ncl *c;
    natsMsg *m;
    uint64_t delivered;      /* this delivery's number (1: first) */
    int64_t job;
    char *api, *host, *site, *playbook;
    bool check;
    json_t *vars;
    char key[300];           /* the lease's key */
    wstate state;
    /* lease */
    bool leased, lost;
    uint64_t rev;
    int64_t valid_until;     /* na_now_ms(): past it, the lease may be someone else's */
    char holder[256];        /* who held it when we could not take it */
    /* the one op in flight */
    ncl_op op;
    wop op_kind;
    int64_t op_sent_ms;
    bool op_ok;
    na_err op_err;
    bool finish_pending;
    struct event *keep_ev;
    /* device work */
    nd_be_prep *prep;
    nd_be_job *bj;
    json_t *result;          /* the host's result */
    LIST_ENTRY(ncl_wtask) link;
};

static void task_free(ncl_wtask *t)
{
    ncl *c = t->c;
    LIST_REMOVE(t, link);
    c->n_wtasks--;
    if (t->keep_ev)
        event_free(t->keep_ev);
    if (t->m)
        natsMsg_Destroy(t->m);
    free(t->api);
    free(t->host);
    free(t->site);
    free(t->playbook);
    json_decref(t->vars);
    json_decref(t->result);
    free(t);
    pthread_mutex_lock(&c->mu);
    c->free_slots++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void start_op(ncl_wtask *t, wop kind);
static void finish(ncl_wtask *t);

static void lease_value(ncl_wtask *t, char *buf, size_t cap)
{
    snprintf(buf, cap, "{\"node\":\"%s\",\"site\":\"%s\",\"job\":%lld,\"delivery\":%llu}",
             t->c->conf->node, t->c->conf->site, (long long)t->job,
             (unsigned long long)t->delivered);
}

/* ---- the op thread's side -------------------------------------------------------------------- */

static void op_acquire(ncl_wtask *t)
{
    ncl *c = t->c;
    char val[512];
    lease_value(t, val, sizeof val);
    t->op_sent_ms = na_now_ms();
    if (kvStore_CreateString(&t->rev, c->leases, t->key, val) == NATS_OK) {
        t->op_ok = true;
        return;
    }
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, c->leases, t->key);
    if (s == NATS_NOT_FOUND) { /* gone in between (expired): one more try */
        t->op_ok = kvStore_CreateString(&t->rev, c->leases, t->key, val) == NATS_OK;
        return;
    }
    if (s != NATS_OK) {
        nd_ncl_nats_err(&t->op_err, "reading the device's lease", s, 0);
        return;
    }
    const char *cur = kvEntry_ValueString(e);
    if (!cur || !*cur) /* released by its last holder: take it at that revision */
        t->op_ok = kvStore_UpdateString(&t->rev, c->leases, t->key, val, kvEntry_Revision(e)) ==
                   NATS_OK;
    else
        snprintf(t->holder, sizeof t->holder, "%s", cur);
    kvEntry_Destroy(e);
}

static void op_keep(ncl_wtask *t)
{
    ncl *c = t->c;
    natsMsg_InProgress(t->m, NULL); /* the task's AckWait starts again */
    if (!t->leased || t->lost)
        return;
    char val[512];
    lease_value(t, val, sizeof val);
    t->op_sent_ms = na_now_ms();
    uint64_t rev = 0;
    natsStatus s = kvStore_UpdateString(&rev, c->leases, t->key, val, t->rev);
    if (s == NATS_OK) {
        t->rev = rev;
        t->op_ok = true;
    } else
        nd_ncl_nats_err(&t->op_err, "renewing the device's lease", s, 0);
}

/* One message when it fits NATS' max_payload, else chunks (headers Netauto-Chunk "I N" and
 * Netauto-Result: the job, host key and delivery, so chunks of two runs never mix) that the api
 * node puts back together. 0 or -1 + t->op_err. */
static int publish_result(ncl_wtask *t, const char *subject, const char *msgid, const char *txt)
{
    ncl *c = t->c;
    size_t len = strlen(txt);
    int64_t maxp = natsConnection_GetMaxPayload(c->nc);
    size_t cs = maxp > 8192 ? (size_t)maxp - 4096 : 4096;
    if (len <= cs)
        return nd_ncl_publish(c, subject, msgid, txt, len, NULL, &t->op_err);
    size_t n = (len + cs - 1) / cs;
    char rid[400];
    snprintf(rid, sizeof rid, "%lld.%s.%llu", (long long)t->job, t->key,
             (unsigned long long)t->delivered);
    for (size_t i = 0; i < n; i++) {
        size_t off = i * cs, k = len - off < cs ? len - off : cs;
        natsMsg *m = NULL;
        char hdr[64], id[700];
        snprintf(hdr, sizeof hdr, "%zu %zu", i + 1, n);
        snprintf(id, sizeof id, "%s.d%llu.%zu", msgid, (unsigned long long)t->delivered, i + 1);
        natsStatus s = natsMsg_Create(&m, subject, NULL, txt + off, (int)k);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Netauto-Chunk", hdr);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Netauto-Result", rid);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id;
        jsPubAck *pa = NULL;
        jsErrCode jerr = 0;
        if (s == NATS_OK)
            s = js_PublishMsg(&pa, c->js, m, &po, &jerr);
        natsMsg_Destroy(m);
        jsPubAck_Destroy(pa);
        if (s != NATS_OK) {
            nd_ncl_nats_err(&t->op_err, "publishing a chunk of the result", s, jerr);
            return -1;
        }
    }
    return 0;
}

static void op_finish(ncl_wtask *t)
{
    ncl *c = t->c;
    json_t *r = json_pack("{s:I,s:s,s:s,s:s,s:I,s:O}", "job", (json_int_t)t->job, "host",
                          t->host, "node", c->conf->node, "site", c->conf->site, "attempts",
                          (json_int_t)t->delivered, "result", t->result);
    char *txt = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    char subject[200], msgid[600];
    snprintf(subject, sizeof subject, "netauto.result.%s.%lld", t->api, (long long)t->job);
    snprintf(msgid, sizeof msgid, "r.%s.%lld.%s", t->api, (long long)t->job, t->key);
    if (!txt)
        na_err_set(&t->op_err, NA_E_NOMEM, "out of memory");
    else if (publish_result(t, subject, msgid, txt) == 0) {
        jsErrCode jerr = 0;
        natsStatus s = natsMsg_AckSync(t->m, NULL, &jerr);
        if (s != NATS_OK) /* the result is in: a redelivery's result is a duplicate */
            nd_ncl_nats_err(&t->op_err, "acknowledging the task", s, jerr);
        t->op_ok = true;
    }
    free(txt);
    if (t->leased && !t->lost) { /* release: empty value, only if it is still ours */
        uint64_t rev;
        kvStore_UpdateString(&rev, c->leases, t->key, "", t->rev);
    }
}

static void op_work(ncl_op *op)
{
    ncl_wtask *t = (ncl_wtask *)((char *)op - offsetof(ncl_wtask, op));
    t->op_ok = false;
    na_err_clear(&t->op_err);
    switch (t->op_kind) {
    case OP_ACQUIRE: op_acquire(t); break;
    case OP_KEEP: op_keep(t); break;
    case OP_FINISH: op_finish(t); break;
    case OP_NAK: /* the device is busy: try again in half a lease */
        natsMsg_NakWithDelay(t->m, t->c->conf->lease_ms / 2, NULL);
        break;
    case OP_DROP: /* lease lost: say nothing; the lease's new holder runs the task */
    case OP_NONE: break;
    }
}

/* ---- the loop's side ------------------------------------------------------------------------- */

static bool sink_may_proceed(void *ud, const char *host)
{
    (void)host;
    ncl_wtask *t = ud;
    if (t->lost)
        return false;
    if (na_now_ms() >= t->valid_until) {
        t->lost = true;
        atomic_fetch_add(&t->c->n.lease_losses, 1);
        NA_LOGW(t->host, "job %lld: the device's lease was not renewed in time (this process "
                "was stopped or NATS is out of reach): stopping, nothing more is sent",
                (long long)t->job);
        return false;
    }
    return true;
}

static void sink_host_started(void *ud, const char *host) { (void)ud; (void)host; }
static void sink_task_result(void *ud, const char *host, json_t *task)
{
    (void)ud;
    (void)host;
    (void)task;
}
static void sink_host_finished(void *ud, const char *host, json_t *result)
{
    (void)host;
    ncl_wtask *t = ud;
    json_decref(t->result);
    t->result = json_deep_copy(result);
}

static json_t *error_result(const na_err *e)
{
    return json_pack("{s:b,s:b,s:s,s:{s:s,s:s},s:[]}", "ok", 0, "changed", 0, "status", "failed",
                     "error", "code", na_code_name(e->code), "message", e->msg, "tasks");
}

static void sink_job_finished(void *ud, const na_err *err)
{
    ncl_wtask *t = ud;
    t->bj = NULL; /* freed by the backend after we return */
    if (t->lost) {
        NA_LOGW(t->host, "job %lld: lease lost: this worker's run is dropped (its new holder "
                "runs the task)", (long long)t->job);
        t->state = W_DROP;
        if (t->op_kind == OP_NONE)
            start_op(t, OP_DROP);
        return;
    }
    if (!t->result) {
        na_err e = NA_ERR_INIT;
        if (err && na_err_isset(err))
            e = *err;
        else
            na_err_set(&e, NA_E_INTERNAL, "the host's run ended without a result");
        t->result = error_result(&e);
    }
    finish(t);
}

static void finish(ncl_wtask *t)
{
    t->state = W_FINISH;
    if (t->keep_ev)
        event_del(t->keep_ev);
    if (t->op_kind != OP_NONE) {
        t->finish_pending = true;
        return;
    }
    start_op(t, OP_FINISH);
}

static void fail_task(ncl_wtask *t, const na_err *e)
{
    json_decref(t->result);
    t->result = error_result(e);
    finish(t);
}

static void prepared(void *ud, nd_be_job *bj, const json_t *targets, const na_err *err)
{
    (void)targets;
    ncl_wtask *t = ud;
    ncl *c = t->c;
    t->prep = NULL;
    if (!bj) {
        fail_task(t, err);
        return;
    }
    if (t->lost) { /* lost while validating */
        c->inner->job_discard(c->ibe, bj);
        t->state = W_DROP;
        if (t->op_kind == OP_NONE)
            start_op(t, OP_DROP);
        return;
    }
    nd_job_sink sink = {
        .host_started = sink_host_started,
        .task_result = sink_task_result,
        .host_finished = sink_host_finished,
        .job_finished = sink_job_finished,
        .may_proceed = sink_may_proceed,
        .ud = t,
    };
    na_err e = NA_ERR_INIT;
    t->state = W_RUN;
    t->bj = bj;
    if (c->inner->job_run(c->ibe, bj, t->job, &sink, &e) < 0) {
        t->bj = NULL;
        fail_task(t, &e);
    }
}

static void keep_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ncl_wtask *t = arg;
    if (t->op_kind == OP_NONE && (t->state == W_PREP || t->state == W_RUN))
        start_op(t, OP_KEEP);
}

static void run_task(ncl_wtask *t)
{
    ncl *c = t->c;
    t->state = W_PREP;
    int64_t period = (c->conf->ack_wait_ms < c->conf->lease_ms ? c->conf->ack_wait_ms
                                                               : c->conf->lease_ms) / 4;
    struct timeval tv = {period / 1000, (period % 1000) * 1000};
    if (!(t->keep_ev = event_new(c->svc.base, -1, EV_PERSIST, keep_cb, t)) ||
        event_add(t->keep_ev, &tv) < 0) {
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_NOMEM, "out of memory");
        fail_task(t, &e);
        return;
    }
    nd_job_spec spec = {
        .playbook = t->playbook,
        .limit = t->host,
        .check = t->check,
        .vars = t->vars,
        .submitted_by = "cluster",
    };
    na_err e = NA_ERR_INIT;
    if (!(t->prep = c->inner->job_prepare(c->ibe, &spec, prepared, t, &e))) {
        if (e.code == NA_E_OVERFLOW) { /* validations queue full: again later */
            t->state = W_DROP;
            start_op(t, OP_NAK);
            return;
        }
        fail_task(t, &e);
    }
}

static void op_done(ncl_op *op)
{
    ncl_wtask *t = (ncl_wtask *)((char *)op - offsetof(ncl_wtask, op));
    ncl *c = t->c;
    wop kind = t->op_kind;
    t->op_kind = OP_NONE;
    if (c->closing)
        return; /* nd_ncl_worker_stop frees it */
    switch (kind) {
    case OP_ACQUIRE:
        if (t->op_ok) {
            t->leased = true;
            t->valid_until = t->op_sent_ms + c->conf->lease_ms * 3 / 4;
            NA_LOGD(t->host, "job %lld: lease taken (delivery %llu)", (long long)t->job,
                    (unsigned long long)t->delivered);
            run_task(t);
        } else if (t->delivered >= c->conf->max_deliver) {
            na_err e = NA_ERR_INIT;
            na_err_set(&e, NA_E_TIMEOUT, "the device's lease is held by another worker (%s) after "
                       "%llu deliveries of the task: given up", t->holder[0] ? t->holder : "?",
                       (unsigned long long)t->delivered);
            fail_task(t, &e);
        } else {
            atomic_fetch_add(&c->n.lease_waits, 1);
            NA_LOGI(t->host, "job %lld: the device's lease is held (%s): the task waits",
                    (long long)t->job, t->op_err.msg[0] ? t->op_err.msg : t->holder);
            t->state = W_DROP;
            start_op(t, OP_NAK);
        }
        return;
    case OP_KEEP:
        if (t->leased && !t->lost) {
            if (t->op_ok) {
                t->valid_until = t->op_sent_ms + c->conf->lease_ms * 3 / 4;
                atomic_fetch_add(&c->n.lease_renewals, 1);
            } else if (na_now_ms() >= t->valid_until ||
                       strstr(t->op_err.msg, "wrong last sequence")) {
                t->lost = true;
                atomic_fetch_add(&c->n.lease_losses, 1);
                NA_LOGW(t->host, "job %lld: lost the device's lease (%s): stopping",
                        (long long)t->job, t->op_err.msg);
                if (t->bj)
                    c->inner->job_cancel(c->ibe, t->bj);
                else if (t->prep) {
                    /* validating: the run never starts (prepared() sees lost) */
                }
            } else
                NA_LOGW(t->host, "job %lld: could not renew the device's lease yet: %s",
                        (long long)t->job, t->op_err.msg);
        }
        break;
    case OP_FINISH:
        if (t->op_ok)
            atomic_fetch_add(&c->n.tasks_done, 1);
        else
            NA_LOGE(t->host, "job %lld: the result could not be sent (the task runs again "
                    "after its AckWait): %s", (long long)t->job, t->op_err.msg);
        task_free(t);
        return;
    case OP_NAK:
    case OP_DROP:
        task_free(t);
        return;
    case OP_NONE:
        break;
    }
    if (t->finish_pending) {
        t->finish_pending = false;
        start_op(t, OP_FINISH);
    } else if (t->state == W_DROP && !t->bj && !t->prep)
        start_op(t, OP_DROP);
}

static void start_op(ncl_wtask *t, wop kind)
{
    t->op_kind = kind;
    t->op.work = op_work;
    t->op.done = op_done;
    nd_ncl_submit(&t->op);
}

/* ---- receiving tasks ------------------------------------------------------------------------- */

typedef struct tmsg {
    ncl_op op;
    natsMsg *m;
} tmsg;

static void task_arrived(ncl_op *op)
{
    tmsg *x = (tmsg *)op;
    ncl *c = &nd_g_ncl;
    natsMsg *m = x->m;
    free(x);
    if (c->closing) {
        natsMsg_Destroy(m);
        return;
    }
    ncl_wtask *t = calloc(1, sizeof *t);
    if (!t) {
        natsMsg_Destroy(m);
        pthread_mutex_lock(&c->mu);
        c->free_slots++;
        pthread_mutex_unlock(&c->mu);
        return;
    }
    t->c = c;
    t->m = m;
    LIST_INSERT_HEAD(&c->wtasks, t, link);
    c->n_wtasks++;
    atomic_fetch_add(&c->n.tasks_received, 1);
    jsMsgMetaData *md = NULL;
    if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
        t->delivered = md->NumDelivered;
        jsMsgMetaData_Destroy(md);
    }
    if (t->delivered > 1)
        atomic_fetch_add(&c->n.redeliveries, 1);
    json_error_t je;
    json_t *j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, &je);
    const char *host = json_string_value(json_object_get(j, "host"));
    const char *api = json_string_value(json_object_get(j, "api"));
    const char *pb = json_string_value(json_object_get(j, "playbook"));
    json_t *vars = json_object_get(j, "vars");
    t->job = json_integer_value(json_object_get(j, "job"));
    if (!host || !api || !pb || t->job <= 0 || (vars && !json_is_object(vars))) {
        NA_LOGE("cluster", "a task that is not one (%s): terminated", natsMsg_GetSubject(m));
        natsMsg_Term(m, NULL);
        json_decref(j);
        task_free(t);
        return;
    }
    t->host = strdup(host);
    t->api = strdup(api);
    t->playbook = strdup(pb);
    t->site = strdup(c->conf->site);
    t->check = json_is_true(json_object_get(j, "check"));
    t->vars = vars ? json_incref(vars) : json_object();
    json_decref(j);
    if (!t->host || !t->api || !t->playbook || !t->site) {
        task_free(t); /* not acked: redelivered */
        return;
    }
    nd_ncl_key(t->host, t->key, sizeof t->key);
    NA_LOGD(t->host, "job %lld: task received (delivery %llu)", (long long)t->job,
            (unsigned long long)t->delivered);
    t->state = W_LEASE;
    start_op(t, OP_ACQUIRE);
}

static void *fetcher(void *arg)
{
    ncl *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        while (!c->fetch_stop && c->free_slots == 0)
            pthread_cond_wait(&c->cv, &c->mu);
        bool stop = c->fetch_stop;
        int want = c->free_slots > 256 ? 256 : (int)c->free_slots;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, c->tasks_sub, want, 500, &jerr);
        if (s == NATS_OK) {
            for (int i = 0; i < list.Count; i++) {
                tmsg *x = calloc(1, sizeof *x);
                if (!x)
                    continue; /* destroyed with the list, not acked: redelivered */
                x->m = list.Msgs[i];
                list.Msgs[i] = NULL;
                x->op.done = task_arrived;
                pthread_mutex_lock(&c->mu);
                c->free_slots--;
                pthread_mutex_unlock(&c->mu);
                nd_ncl_post(&x->op);
            }
            natsMsgList_Destroy(&list);
        } else if (s != NATS_TIMEOUT) {
            /* not connected, or the consumer is gone for a moment: wait a little */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 250000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_mutex_lock(&c->mu);
            if (!c->fetch_stop)
                pthread_cond_timedwait(&c->cv, &c->mu, &ts);
            pthread_mutex_unlock(&c->mu);
        }
    }
    return NULL;
}

int nd_ncl_worker_start(ncl *c, na_err *err)
{
    char durable[96], filter[128];
    snprintf(durable, sizeof durable, "site_%s", c->conf->site);
    snprintf(filter, sizeof filter, "netauto.task.%s.>", c->conf->site);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = durable;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = c->conf->ack_wait_ms * 1000000;
    cc.MaxDeliver = c->conf->max_deliver;
    cc.FilterSubject = filter;
    cc.MaxAckPending = 100000;
    cc.MaxWaiting = 512;
    int64_t backoff[3] = {c->conf->ack_wait_ms * 1000000, 2 * c->conf->ack_wait_ms * 1000000,
                          4 * c->conf->ack_wait_ms * 1000000};
    if (c->conf->max_deliver > 3) { /* a poison task is retried later and later */
        cc.BackOff = backoff;
        cc.BackOffLen = 3;
    }
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddConsumer(&ci, c->js, NCL_TASKS_STREAM, &cc, NULL, &jerr);
    if (s != NATS_OK) /* it exists (another worker of the site made it): its settings win */
        s = js_GetConsumerInfo(&ci, c->js, NCL_TASKS_STREAM, durable, NULL, &jerr);
    if (s != NATS_OK) {
        nd_ncl_nats_err(err, "creating the site's consumer", s, jerr);
        return -1;
    }
    jsConsumerInfo_Destroy(ci);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = NCL_TASKS_STREAM;
    so.Consumer = durable;
    if ((s = js_PullSubscribe(&c->tasks_sub, c->js, filter, durable, NULL, &so, &jerr)) !=
        NATS_OK) {
        nd_ncl_nats_err(err, "subscribing to the site's tasks", s, jerr);
        return -1;
    }
    c->free_slots = c->slots;
    if (pthread_create(&c->fetcher, NULL, fetcher, c) != 0)
        return na_err_set(err, NA_E_INTERNAL, "cannot start the task fetcher");
    c->fetcher_on = true;
    NA_LOGI("cluster", "worker of site %s: up to %u tasks at once", c->conf->site, c->slots);
    return 0;
}

void nd_ncl_worker_stop_fetcher(ncl *c)
{
    if (!c->fetcher_on)
        return;
    pthread_mutex_lock(&c->mu);
    c->fetch_stop = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->fetcher, NULL);
    c->fetcher_on = false;
}

void nd_ncl_worker_stop(ncl *c)
{
    while (!LIST_EMPTY(&c->wtasks)) /* not acked: redelivered to another worker */
        task_free(LIST_FIRST(&c->wtasks));
    if (c->tasks_sub)
        natsSubscription_Destroy(c->tasks_sub);
    c->tasks_sub = NULL;
}
