/* cluster_int.h — what the files of netautod's cluster mode share (not public: the daemon sees
 * cluster.h):
 *   cluster_conf.c    the `cluster:` configuration section
 *   cluster_nats.c    the NATS connection, streams and buckets, and the bridge between libnats'
 *                     blocking calls (run on the cluster's own threads) and the daemon's loop
 *   cluster_backend.c the backend vtable (wrapping the device backend), heartbeats, status
 *   cluster_api.c     api role: a job's hosts become tasks; results are folded into the job
 *   cluster_worker.c  worker role: the site's pull consumer, leases, running a task
 * The daemon's loop is single-threaded; libnats calls that wait for the server (publish with an
 * ack, KV, fetch) never run on it: they run on the op threads, and their outcome comes back to
 * the loop as a completion (ncl_op.done). Not a NATS client: libnats is. */
#ifndef ND_CLUSTER_INT_H
#define ND_CLUSTER_INT_H

#include "cluster.h"
#include "strmap.h"

#include <event2/event.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/queue.h>

#define NCL_TASKS_STREAM "NETAUTO_TASKS"
#define NCL_RESULTS_STREAM "NETAUTO_RESULTS"
#define NCL_LEASES_BUCKET "netauto_leases"
#define NCL_NODES_BUCKET "netauto_nodes"
#define NCL_API_DURABLE "netauto_api"
#define NCL_OP_THREADS 4

/* One piece of work for an op thread (work, may block on NATS), then done on the loop. Also a
 * message handed to the loop (work NULL, posted directly). Embedded in its owner's struct. */
typedef struct ncl_op ncl_op;
struct ncl_op {
    void (*work)(ncl_op *op);  /* on an op thread */
    void (*done)(
        ncl_op *op); /* on the loop (or at teardown, with nd_g_ncl.closing set: free only) */
    TAILQ_ENTRY(ncl_op) link;
};
TAILQ_HEAD(ncl_opq, ncl_op);

typedef struct ncl_counters {
    atomic_ullong tasks_published, tasks_received, redeliveries, tasks_done, tasks_failed;
    atomic_ullong lease_waits, lease_losses, lease_renewals, results_folded, results_duplicate;
    atomic_ullong nats_errors;
} ncl_counters;

typedef struct ncl_ajob ncl_ajob; /* cluster_api.c */
typedef struct ncl_wtask ncl_wtask; /* cluster_worker.c */
LIST_HEAD(ncl_ajobl, ncl_ajob);
LIST_HEAD(ncl_wtaskl, ncl_wtask);

/* The node (one per process). */
typedef struct ncl {
    const nd_cluster_conf *conf;
    const nd_backend_ops *inner;
    nd_be *ibe;
    nd_backend_services svc;
    bool api, worker;
    int64_t started_ms;          /* wall */

    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js;
    kvStore *leases, *nodes_kv;

    /* the bridge */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ncl_opq todo, done;
    pthread_t threads[NCL_OP_THREADS];
    int n_threads;
    bool stop;                   /* under mu */
    int efd;                     /* eventfd: completions wait */
    struct event *efd_ev;
    bool closing;                /* teardown: done() only frees */

    /* worker */
    natsSubscription *tasks_sub;
    pthread_t fetcher;
    bool fetcher_on;
    bool fetch_stop;             /* under mu */
    unsigned free_slots;         /* under mu */
    unsigned slots;              /* tasks at once: cluster.tasks, else limits.hosts_in_flight */
    struct ncl_wtaskl wtasks;
    unsigned n_wtasks;

    /* api */
    natsSubscription *results_sub;
    natsSubscription *advisory_sub; /* MAX_DELIVERIES advisories of the site consumers */
    na_strmap *chunks;           /* results arriving in chunks (cluster_api.c) */
    struct ncl_ajobl ajobs;

    /* heartbeats and what they learnt */
    struct event *hb_ev;
    ncl_op hb_op;
    bool hb_busy;
    json_t *hb_nodes;            /* op thread's fresh list (moved to nodes on the loop) */
    json_t *hb_lag;              /* {site: {"pending": N, "ack_pending": N, "redelivered": N}} */
    json_t *nodes;               /* last node list: array of heartbeat records */
    json_t *lag;
    json_t *known_sites;         /* every site seen (heartbeats, jobs' hosts): site -> true */
    char nats_url[256];          /* the server we are connected to now */
    ncl_counters n;
} ncl;

extern ncl nd_g_ncl;

/* ---- cluster_nats.c ---------------------------------------------------------------------- */
/* Connect, create the streams and buckets (idempotent), start the op threads. 0 or -1 + err. */
int nd_ncl_nats_open(ncl *c, na_err *err);
/* Stop the op threads; pending done()s run with closing set (they only free). */
void nd_ncl_threads_stop(ncl *c);
/* Then (subscriptions destroyed, messages freed): close the connection and libnats. */
void nd_ncl_nats_close(ncl *c);
void nd_ncl_submit(ncl_op *op); /* to an op thread */
void nd_ncl_post(ncl_op *op);   /* straight to the loop (any thread) */
/* A text for a libnats failure: "what: status text (last error)". */
void nd_ncl_nats_err(na_err *err, const char *what, natsStatus s, jsErrCode jerr);
/* A KV key / subject token for a device name: the name when it only has [A-Za-z0-9_=-], else
 * "x" and its hex. */
void nd_ncl_key(const char *host, char *out, size_t cap);
/* Publish data to subject with a Nats-Msg-Id, waiting for the stream's ack. 0, or -1 + err.
 * *dup (may be NULL) tells whether the stream had it already. */
int nd_ncl_publish(ncl *c, const char *subject, const char *msg_id, const char *data, size_t len,
                bool *dup, na_err *err);

/* ---- cluster_api.c ----------------------------------------------------------------------- */
int nd_ncl_api_start(ncl *c, na_err *err);   /* the results subscription */
void nd_ncl_api_stop(ncl *c);                /* no sink callback after this */
int nd_ncl_api_run(ncl *c, nd_be_job *bj, int64_t id, const nd_job_sink *sink, na_err *err);
void nd_ncl_api_cancel(ncl *c, nd_be_job *bj);
void nd_ncl_api_discard(nd_be_job *bj);
nd_be_prep *nd_ncl_api_prepare(ncl *c, const nd_job_spec *spec, nd_job_prepared_cb done, void *ud,
                            na_err *err);
void nd_ncl_api_prepare_abandon(ncl *c, nd_be_prep *p);
void nd_ncl_api_sites_changed(ncl *c); /* after a heartbeat: say which sites' hosts wait */
json_t *nd_ncl_api_status(ncl *c);      /* running jobs: hosts pending per site */

/* ---- cluster_worker.c -------------------------------------------------------------------- */
int nd_ncl_worker_start(ncl *c, na_err *err);
void nd_ncl_worker_stop(ncl *c);          /* running tasks are dropped (redelivered elsewhere) */
void nd_ncl_worker_stop_fetcher(ncl *c);  /* before the op threads stop */

/* ---- cluster_backend.c ------------------------------------------------------------------- */
/* Sites with a live worker in the last node list (NULL-terminated view into c->nodes). */
bool nd_ncl_site_alive(ncl *c, const char *site);

#endif
