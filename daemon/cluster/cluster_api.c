/* cluster_api.c — the api role of a cluster node (cluster_int.h, docs/cluster.md): a validated
 * job's hosts become per-(job, host) tasks on the work-queue stream, one subject per site
 * (netauto.task.SITE.JOB, message id t.NODE.JOB.HOST: a retried publish is dropped by the
 * stream); the workers' results (netauto.result.NODE.JOB) are folded into the job, each host
 * once (a second result for a host, from a task that ran twice, is ignored); a site without a
 * live worker is stated in the job's events; cancel purges the job's tasks still queued. Not
 * the worker (cluster_worker.c) and not the job store (jobs.c keeps it, through the sink). */
#include "cluster_int.h"
#include "api_req.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ahost {
    char *name;
    char site[72];
    bool done;
} ahost;

struct ncl_ajob {
    ncl *c;
    int64_t id;
    nd_job_sink sink;
    char *playbook;
    bool check;
    json_t *vars;
    ahost *hosts;
    size_t n, n_done;
    json_t *index;           /* host name -> position */
    json_t *noted;           /* sites said to be waiting: site -> true */
    bool running;            /* job_run was called */
    bool cancelling;
    atomic_bool stop_pub;    /* cancelling: the op thread stops publishing */
    bool purge_pending;      /* cancelled while publishing: purge once that is over */
    bool ended;              /* job_finished was called (or is due: end_err) */
    bool end_due;
    na_err end_err;
    ncl_op pub_op;           /* publishing the tasks */
    bool pub_busy;
    na_err pub_err;
    size_t published;
    ncl_op purge_op;
    bool purge_busy;
    LIST_ENTRY(ncl_ajob) link;
};

/* A job being validated by the wrapped backend. */
typedef struct aprep {
    ncl *c;
    nd_be_prep *inner;
    nd_job_prepared_cb done;
    void *ud;
    char *playbook;
    bool check;
    json_t *vars;
} aprep;

static void ajob_free(ncl_ajob *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->hosts[i].name);
    free(a->hosts);
    free(a->playbook);
    json_decref(a->vars);
    json_decref(a->index);
    json_decref(a->noted);
    free(a);
}

/* ---- validation: the wrapped backend's, then the job is ours --------------------------------- */

static void prepared(void *ud, nd_be_job *bj, const json_t *targets, const na_err *err)
{
    aprep *p = ud;
    ncl *c = p->c;
    ncl_ajob *a = NULL;
    na_err e = NA_ERR_INIT;
    if (bj) {
        c->inner->job_discard(c->ibe, bj); /* the workers run it, not this node */
        a = calloc(1, sizeof *a);
        size_t n = json_array_size(targets);
        if (a && (a->hosts = calloc(n ? n : 1, sizeof *a->hosts)) &&
            (a->index = json_object()) && (a->noted = json_object())) {
            a->c = c;
            a->playbook = p->playbook;
            a->vars = p->vars;
            a->check = p->check;
            p->playbook = NULL;
            p->vars = NULL;
            for (size_t i = 0; i < n; i++) {
                const char *h = json_string_value(json_array_get(targets, i));
                if (!(a->hosts[i].name = strdup(h ? h : "")))
                    break;
                a->n++;
                json_object_set_new(a->index, h ? h : "", json_integer((json_int_t)i));
            }
        }
        if (!a || a->n != n) {
            ajob_free(a);
            a = NULL;
            na_err_set(&e, NA_E_NOMEM, "out of memory");
        }
    } else
        e = *err;
    nd_job_prepared_cb done = p->done;
    void *dud = p->ud;
    free(p->playbook);
    json_decref(p->vars);
    free(p);
    done(dud, (nd_be_job *)a, a ? targets : NULL, a ? NULL : &e);
}

nd_be_prep *nd_ncl_api_prepare(ncl *c, const nd_job_spec *spec, nd_job_prepared_cb done, void *ud,
                            na_err *err)
{
    /* tasks are stored by NATS (on disk, on every replica): secrets are not sent that way */
    json_t *sec = spec->vars ? nd_vars_secrets(spec->vars) : NULL;
    size_t n_sec = json_array_size(sec);
    json_decref(sec);
    if (n_sec) {
        na_err_set(err, NA_E_USAGE, "secret-looking vars (password, secret, key, token...) "
                   "cannot be sent through the cluster's task queue: put them in the inventory "
                   "(its vault) on every node");
        return NULL;
    }
    aprep *p = calloc(1, sizeof *p);
    if (!p || !(p->playbook = strdup(spec->playbook)) ||
        !(p->vars = spec->vars ? json_deep_copy(spec->vars) : json_object())) {
        if (p)
            free(p->playbook);
        free(p);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    p->c = c;
    p->done = done;
    p->ud = ud;
    p->check = spec->check;
    if (!(p->inner = c->inner->job_prepare(c->ibe, spec, prepared, p, err))) {
        free(p->playbook);
        json_decref(p->vars);
        free(p);
        return NULL;
    }
    return (nd_be_prep *)p;
}

void nd_ncl_api_prepare_abandon(ncl *c, nd_be_prep *bp)
{
    aprep *p = (aprep *)bp;
    c->inner->job_prepare_abandon(c->ibe, p->inner);
    free(p->playbook);
    json_decref(p->vars);
    free(p);
}

void nd_ncl_api_discard(nd_be_job *bj)
{
    ncl_ajob *a = (ncl_ajob *)bj;
    if (a && a->running)
        LIST_REMOVE(a, link);
    ajob_free(a);
}

/* ---- the end of a job ------------------------------------------------------------------------ */

/* job_finished, once nothing of ours is in flight for it; then it is freed. */
static void end_job(ncl_ajob *a, const na_err *err)
{
    if (a->ended)
        return;
    if (!a->end_due) {
        a->end_due = true;
        if (err)
            a->end_err = *err;
    }
    if (a->pub_busy || a->purge_busy)
        return; /* their done() comes back here */
    a->ended = true;
    LIST_REMOVE(a, link);
    nd_job_sink sink = a->sink;
    na_err e = a->end_err;
    ajob_free(a);
    sink.job_finished(sink.ud, na_err_isset(&e) ? &e : NULL);
}

/* ---- sites without a worker ------------------------------------------------------------------ */

static void check_sites(ncl *c, ncl_ajob *a)
{
    if (a->pub_busy || a->ended || a->end_due)
        return;
    json_t *pending = json_object();
    for (size_t i = 0; i < a->n; i++) {
        if (a->hosts[i].done)
            continue;
        json_t *v = json_object_get(pending, a->hosts[i].site);
        json_object_set_new(pending, a->hosts[i].site,
                            json_integer(v ? json_integer_value(v) + 1 : 1));
    }
    const char *site;
    json_t *v;
    json_object_foreach(pending, site, v) {
        bool alive = nd_ncl_site_alive(c, site);
        bool noted = json_object_get(a->noted, site) != NULL;
        if (!alive && !noted) {
            char msg[300];
            snprintf(msg, sizeof msg, "site %s has no live worker: its %lld host(s) wait for one",
                     site, (long long)json_integer_value(v));
            json_t *d = json_pack("{s:s,s:O,s:s}", "site", site, "hosts", v, "message", msg);
            if (a->sink.note && d)
                a->sink.note(a->sink.ud, "site_waiting", d);
            json_decref(d);
            NA_LOGW("cluster", "job %lld: %s", (long long)a->id, msg);
            json_object_set_new(a->noted, site, json_true());
        } else if (alive && noted) {
            json_t *d = json_pack("{s:s,s:O,s:s}", "site", site, "hosts", v, "message",
                                  "a worker of the site is back; its hosts run");
            if (a->sink.note && d)
                a->sink.note(a->sink.ud, "site_resumed", d);
            json_decref(d);
            json_object_del(a->noted, site);
        }
    }
    json_decref(pending);
}

void nd_ncl_api_sites_changed(ncl *c)
{
    ncl_ajob *a, *next;
    for (a = LIST_FIRST(&c->ajobs); a; a = next) {
        next = LIST_NEXT(a, link);
        check_sites(c, a);
    }
}

json_t *nd_ncl_api_status(ncl *c)
{
    json_t *o = json_object();
    ncl_ajob *a;
    LIST_FOREACH(a, &c->ajobs, link)
        for (size_t i = 0; i < a->n; i++) {
            if (a->hosts[i].done)
                continue;
            json_t *v = json_object_get(o, a->hosts[i].site);
            json_object_set_new(o, a->hosts[i].site,
                                json_integer(v ? json_integer_value(v) + 1 : 1));
        }
    return o;
}

static void start_purge(ncl_ajob *a);

/* ---- publishing the tasks -------------------------------------------------------------------- */

static void pub_work(ncl_op *op)
{
    ncl_ajob *a = (ncl_ajob *)((char *)op - offsetof(ncl_ajob, pub_op));
    ncl *c = a->c;
    for (size_t i = 0; i < a->n && !atomic_load(&a->stop_pub); i++) {
        ahost *h = &a->hosts[i];
        char key[300], subject[200], msgid[512];
        nd_ncl_key(h->name, key, sizeof key);
        snprintf(subject, sizeof subject, "netauto.task.%s.%lld", h->site, (long long)a->id);
        snprintf(msgid, sizeof msgid, "t.%s.%lld.%s", c->conf->node, (long long)a->id, key);
        json_t *t = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:O}", "job", (json_int_t)a->id, "api",
                              c->conf->node, "host", h->name, "site", h->site, "playbook",
                              a->playbook, "check", a->check, "vars", a->vars);
        char *txt = t ? json_dumps(t, JSON_COMPACT) : NULL;
        json_decref(t);
        if (!txt) {
            na_err_set(&a->pub_err, NA_E_NOMEM, "out of memory");
            return;
        }
        int rc = nd_ncl_publish(c, subject, msgid, txt, strlen(txt), NULL, &a->pub_err);
        free(txt);
        if (rc < 0)
            return;
        a->published++;
        atomic_fetch_add(&c->n.tasks_published, 1);
    }
}

static void pub_done(ncl_op *op)
{
    ncl_ajob *a = (ncl_ajob *)((char *)op - offsetof(ncl_ajob, pub_op));
    a->pub_busy = false;
    if (a->c->closing)
        return;
    if (a->purge_pending) { /* cancelled meanwhile: now purge what was queued */
        a->purge_pending = false;
        start_purge(a);
        return;
    }
    if (na_err_isset(&a->pub_err)) {
        NA_LOGE("cluster", "job %lld: %zu of %zu tasks queued: %s", (long long)a->id,
                a->published, a->n, a->pub_err.msg);
        na_err e = NA_ERR_INIT;
        na_err_set(&e, NA_E_IO, "the job could not be queued in the cluster (%zu of %zu hosts "
                   "queued): %s", a->published, a->n, a->pub_err.msg);
        end_job(a, &e);
        return;
    }
    NA_LOGI("cluster", "job %lld: %zu tasks queued", (long long)a->id, a->published);
    if (a->end_due) {
        end_job(a, NULL);
        return;
    }
    check_sites(a->c, a);
}

int nd_ncl_api_run(ncl *c, nd_be_job *bj, int64_t id, const nd_job_sink *sink, na_err *err)
{
    ncl_ajob *a = (ncl_ajob *)bj;
    a->id = id;
    a->sink = *sink;
    /* each host's site: its `site` variable, default "default" */
    for (size_t i = 0; i < a->n; i++) {
        json_t *hj = c->inner->host_json(c->ibe, a->hosts[i].name);
        const char *site = json_string_value(json_object_get(json_object_get(hj, "vars"),
                                                             "site"));
        bool ok = site && *site && strlen(site) < sizeof a->hosts[i].site;
        for (const char *p = site; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (site && !ok) {
            na_err_set(err, NA_E_CONFIG, "host %s: site '%s' must be letters, digits, '_' or "
                       "'-'", a->hosts[i].name, site);
            json_decref(hj);
            ajob_free(a);
            return -1;
        }
        snprintf(a->hosts[i].site, sizeof a->hosts[i].site, "%s", site ? site : "default");
        json_decref(hj);
    }
    for (size_t i = 0; i < a->n; i++)
        json_object_set_new(c->known_sites, a->hosts[i].site, json_true());
    a->running = true;
    LIST_INSERT_HEAD(&c->ajobs, a, link);
    if (a->n == 0) {
        a->end_due = true; /* nothing to queue: ends from the loop, after pub_done */
    }
    a->pub_busy = true;
    a->pub_op.work = pub_work;
    a->pub_op.done = pub_done;
    nd_ncl_submit(&a->pub_op);
    return 0;
}

/* ---- cancel: purge what is still queued ------------------------------------------------------ */

static void purge_work(ncl_op *op)
{
    ncl_ajob *a = (ncl_ajob *)((char *)op - offsetof(ncl_ajob, purge_op));
    char subject[200];
    snprintf(subject, sizeof subject, "netauto.task.*.%lld", (long long)a->id);
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Purge.Subject = subject;
    jsErrCode jerr = 0;
    natsStatus s = js_PurgeStream(a->c->js, NCL_TASKS_STREAM, &o, &jerr);
    if (s != NATS_OK) {
        na_err e = NA_ERR_INIT;
        nd_ncl_nats_err(&e, "purging the job's tasks", s, jerr);
        NA_LOGE("cluster", "job %lld: %s", (long long)a->id, e.msg);
    }
}

static void purge_done(ncl_op *op)
{
    ncl_ajob *a = (ncl_ajob *)((char *)op - offsetof(ncl_ajob, purge_op));
    a->purge_busy = false;
    if (a->c->closing)
        return;
    na_err e = NA_ERR_INIT;
    na_err_set(&e, NA_E_CANCELLED, "cancelled");
    end_job(a, &e);
}

static void start_purge(ncl_ajob *a)
{
    a->purge_busy = true;
    a->purge_op.work = purge_work;
    a->purge_op.done = purge_done;
    nd_ncl_submit(&a->purge_op);
}

void nd_ncl_api_cancel(ncl *c, nd_be_job *bj)
{
    (void)c;
    ncl_ajob *a = (ncl_ajob *)bj;
    if (a->cancelling || a->ended)
        return;
    a->cancelling = true;
    NA_LOGI("cluster", "job %lld: cancelling: its queued tasks are purged (hosts running on a "
            "worker finish)", (long long)a->id);
    if (a->pub_busy) { /* stop publishing first, then purge (pub_done) */
        atomic_store(&a->stop_pub, true);
        a->purge_pending = true;
        return;
    }
    start_purge(a);
}

/* ---- results --------------------------------------------------------------------------------- */

typedef struct rmsg {
    ncl_op op;
    natsMsg *m;
} rmsg;

static ncl_ajob *find_job(ncl *c, int64_t id)
{
    ncl_ajob *a;
    LIST_FOREACH(a, &c->ajobs, link)
        if (a->id == id)
            return a;
    return NULL;
}

static void fold(ncl *c, json_t *r)
{
    int64_t id = json_integer_value(json_object_get(r, "job"));
    const char *host = json_string_value(json_object_get(r, "host"));
    json_t *res = json_object_get(r, "result");
    ncl_ajob *a = find_job(c, id);
    if (!a || !host || !json_is_object(res) || a->ended || a->end_due) {
        NA_LOGD("cluster", "a result for job %lld (%s) that is not running here: ignored",
                (long long)id, host ? host : "?");
        return;
    }
    json_t *ix = json_object_get(a->index, host);
    if (!ix) {
        NA_LOGW("cluster", "job %lld: a result for %s, not one of its hosts: ignored",
                (long long)id, host);
        return;
    }
    ahost *h = &a->hosts[json_integer_value(ix)];
    if (h->done) {
        atomic_fetch_add(&c->n.results_duplicate, 1);
        NA_LOGI("cluster", "job %lld: %s: a second result (a task that ran again) ignored",
                (long long)id, host);
        return;
    }
    if (json_object_get(a->noted, h->site)) { /* said to wait: a worker is back */
        json_t *d = json_pack("{s:s,s:s}", "site", h->site, "message",
                              "a worker of the site is back; its hosts run");
        if (a->sink.note && d)
            a->sink.note(a->sink.ud, "site_resumed", d);
        json_decref(d);
        json_object_del(a->noted, h->site);
    }
    h->done = true;
    a->n_done++;
    atomic_fetch_add(&c->n.results_folded, 1);
    json_t *out = json_deep_copy(res);
    json_t *att = json_object_get(r, "attempts");
    json_object_set(out, "attempts", att ? att : json_integer(1));
    json_object_set(out, "worker", json_object_get(r, "node"));
    json_object_set(out, "site", json_object_get(r, "site"));
    a->sink.host_started(a->sink.ud, host);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(res, "tasks"), i, t)
        a->sink.task_result(a->sink.ud, host, t);
    a->sink.host_finished(a->sink.ud, host, out);
    json_decref(out);
    if (a->n_done == a->n)
        end_job(a, NULL);
}

/* A result sent in chunks, being put back together (c->chunks: Netauto-Result -> chunked). */
#define NCL_MAX_CHUNKS 1024
typedef struct chunked {
    size_t n, got;
    char **part;
    size_t *len;
} chunked;

static void chunked_free(chunked *x)
{
    for (size_t i = 0; x && i < x->n; i++)
        free(x->part[i]);
    if (x) {
        free(x->part);
        free(x->len);
    }
    free(x);
}

static void chunked_free_cb(const char *key, void *val, void *ud)
{
    (void)key;
    (void)ud;
    chunked_free(val);
}

/* One chunk: stored; the whole text (malloc'd, *len) once the last one is in, else NULL. */
static char *add_chunk(ncl *c, natsMsg *m, const char *hdr, size_t *len)
{
    const char *rid = NULL;
    size_t i = 0, n = 0;
    if (natsMsgHeader_Get(m, "Netauto-Result", &rid) != NATS_OK || !rid ||
        sscanf(hdr, "%zu %zu", &i, &n) != 2 || i < 1 || i > n || n > NCL_MAX_CHUNKS) {
        NA_LOGW("cluster", "a result chunk without a valid Netauto-Chunk/Netauto-Result: "
                "ignored");
        return NULL;
    }
    if (!c->chunks && !(c->chunks = na_strmap_new()))
        return NULL;
    chunked *x = na_strmap_get(c->chunks, rid);
    if (!x) {
        if (!(x = calloc(1, sizeof *x)) || !(x->part = calloc(n, sizeof *x->part)) ||
            !(x->len = calloc(n, sizeof *x->len)) || na_strmap_put(c->chunks, rid, x) < 0) {
            chunked_free(x);
            return NULL;
        }
        x->n = n;
    }
    if (x->n != n || x->part[i - 1])
        return NULL; /* a duplicate */
    size_t k = (size_t)natsMsg_GetDataLength(m);
    if (!(x->part[i - 1] = malloc(k ? k : 1)))
        return NULL;
    memcpy(x->part[i - 1], natsMsg_GetData(m), k);
    x->len[i - 1] = k;
    if (++x->got < x->n)
        return NULL;
    size_t total = 0;
    for (size_t j = 0; j < x->n; j++)
        total += x->len[j];
    char *all = malloc(total ? total : 1);
    for (size_t j = 0, off = 0; all && j < x->n; off += x->len[j], j++)
        memcpy(all + off, x->part[j], x->len[j]);
    chunked_free(na_strmap_del(c->chunks, rid));
    *len = total;
    return all;
}

static void result_done(ncl_op *op)
{
    rmsg *r = (rmsg *)op;
    ncl *c = &nd_g_ncl;
    const char *hdr = NULL;
    if (!c->closing && natsMsgHeader_Get(r->m, "Netauto-Chunk", &hdr) == NATS_OK && hdr) {
        size_t len = 0;
        char *all = add_chunk(c, r->m, hdr, &len);
        natsMsg_Ack(r->m, NULL);
        if (all) {
            json_t *j = json_loadb(all, len, 0, NULL);
            free(all);
            if (json_is_object(j))
                fold(c, j);
            else
                NA_LOGW("cluster", "a chunked result that is not JSON: ignored");
            json_decref(j);
        }
    } else if (!c->closing) {
        json_error_t je;
        json_t *j = json_loadb(natsMsg_GetData(r->m), (size_t)natsMsg_GetDataLength(r->m), 0, &je);
        if (json_is_object(j))
            fold(c, j);
        else
            NA_LOGW("cluster", "a result that is not JSON on %s: ignored", natsMsg_GetSubject(r->m));
        json_decref(j);
        natsMsg_Ack(r->m, NULL);
    }
    natsMsg_Destroy(r->m);
    free(r);
}

static void on_result(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *ud)
{
    (void)nc;
    (void)sub;
    (void)ud;
    rmsg *r = calloc(1, sizeof *r);
    if (!r) {
        natsMsg_Destroy(m); /* not acked: redelivered */
        return;
    }
    r->m = m;
    r->op.done = result_done;
    nd_ncl_post(&r->op);
}

/* ---- tasks JetStream gave up on (MaxDeliver) ------------------------------------------------- */

typedef struct gaveup {
    ncl_op op;
    natsMsg *adv;            /* the advisory */
    uint64_t seq;            /* the task's stream sequence */
    int64_t deliveries;
    json_t *task;            /* the task, when it is one of ours */
    char consumer[128];
} gaveup;

static void gaveup_free(gaveup *g)
{
    if (g->adv)
        natsMsg_Destroy(g->adv);
    json_decref(g->task);
    free(g);
}

/* op thread: read the task the advisory names; ours: delete it from the queue */
static void gaveup_work(ncl_op *op)
{
    gaveup *g = (gaveup *)op;
    ncl *c = &nd_g_ncl;
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    if (js_GetMsg(&m, c->js, NCL_TASKS_STREAM, g->seq, NULL, &jerr) != NATS_OK)
        return; /* gone already (another api node's, deleted) */
    json_t *t = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    natsMsg_Destroy(m);
    const char *api = json_string_value(json_object_get(t, "api"));
    if (!api || strcmp(api, c->conf->node)) {
        json_decref(t);
        return;
    }
    g->task = t;
    js_DeleteMsg(c->js, NCL_TASKS_STREAM, g->seq, NULL, &jerr);
}

static void fold(ncl *c, json_t *r);

static void gaveup_done(ncl_op *op)
{
    gaveup *g = (gaveup *)op;
    ncl *c = &nd_g_ncl;
    if (!c->closing && g->task) {
        const char *host = json_string_value(json_object_get(g->task, "host"));
        const char *site = json_string_value(json_object_get(g->task, "site"));
        char msg[400];
        snprintf(msg, sizeof msg, "no worker of site %s finished the task in %lld deliveries "
                 "(each one that took it died, stalled or failed to report): given up",
                 site ? site : "?", (long long)g->deliveries);
        NA_LOGE("cluster", "job %lld: %s: %s",
                (long long)json_integer_value(json_object_get(g->task, "job")),
                host ? host : "?", msg);
        json_t *r = json_pack("{s:O,s:s?,s:n,s:s?,s:I,s:{s:b,s:b,s:s,s:{s:s,s:s},s:[]}}", "job",
                              json_object_get(g->task, "job"), "host", host, "node", "site",
                              site, "attempts", (json_int_t)g->deliveries, "result", "ok", 0,
                              "changed", 0, "status", "failed", "error", "code",
                              na_code_name(NA_E_TIMEOUT), "message", msg, "tasks");
        if (r)
            fold(c, r);
        json_decref(r);
    }
    gaveup_free(g);
}

/* libnats thread: the server's MAX_DELIVERIES advisory for a site consumer */
static void on_advisory(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *ud)
{
    (void)nc;
    (void)sub;
    (void)ud;
    gaveup *g = calloc(1, sizeof *g);
    json_t *a = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    if (!g || !json_is_object(a)) {
        json_decref(a);
        free(g);
        natsMsg_Destroy(m);
        return;
    }
    g->seq = (uint64_t)json_integer_value(json_object_get(a, "stream_seq"));
    g->deliveries = json_integer_value(json_object_get(a, "deliveries"));
    json_decref(a);
    natsMsg_Destroy(m);
    g->op.work = gaveup_work;
    g->op.done = gaveup_done;
    if (g->seq == 0) {
        free(g);
        return;
    }
    nd_ncl_submit(&g->op);
}

int nd_ncl_api_start(ncl *c, na_err *err)
{
    natsStatus as = natsConnection_Subscribe(
        &c->advisory_sub, c->nc, "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." NCL_TASKS_STREAM ".*",
        on_advisory, c);
    if (as != NATS_OK) {
        nd_ncl_nats_err(err, "subscribing to JetStream's advisories", as, 0);
        return -1;
    }
    char subject[160], durable[96];
    snprintf(subject, sizeof subject, "netauto.result.%s.>", c->conf->node);
    snprintf(durable, sizeof durable, "api_%s", c->conf->node);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = NCL_RESULTS_STREAM;
    so.ManualAck = true;
    so.Config.Durable = durable;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.DeliverPolicy = js_DeliverNew;
    so.Config.AckWait = c->conf->ack_wait_ms * 1000000;
    so.Config.MaxAckPending = 20000;
    jsErrCode jerr = 0;
    natsStatus s = js_Subscribe(&c->results_sub, c->js, subject, on_result, c, NULL, &so, &jerr);
    if (s != NATS_OK) {
        nd_ncl_nats_err(err, "subscribing to the results stream", s, jerr);
        return -1;
    }
    natsSubscription_SetPendingLimits(c->results_sub, -1, -1);
    return 0;
}

void nd_ncl_api_stop(ncl *c)
{
    if (c->advisory_sub)
        natsSubscription_Destroy(c->advisory_sub);
    c->advisory_sub = NULL;
    if (c->results_sub)
        natsSubscription_Destroy(c->results_sub);
    c->results_sub = NULL;
    while (!LIST_EMPTY(&c->ajobs)) {
        ncl_ajob *a = LIST_FIRST(&c->ajobs);
        LIST_REMOVE(a, link);
        ajob_free(a);
    }
    if (c->chunks) {
        na_strmap_each(c->chunks, chunked_free_cb, NULL);
        na_strmap_free(c->chunks);
    }
    c->chunks = NULL;
}
