/* cluster.h — netautod's opt-in cluster mode (docs/cluster.md): api nodes and site workers
 * coordinated through NATS JetStream (a work-queue stream of per-(job, host) tasks, a results
 * stream, per-device leases and node heartbeats in KV buckets), through the official C client
 * libnats. What the rest of the daemon sees: the `cluster:` configuration section, a backend
 * that wraps the device backend (jobs go to the work queue on api nodes; worker nodes run the
 * tasks of their site through the wrapped backend), and what /metrics and GET /v1/cluster show.
 * Not a NATS client of its own, and not the job store: jobs stay in the api node's SQLite. */
#ifndef ND_CLUSTER_H
#define ND_CLUSTER_H

#include "backend.h"
#include "buf.h"
#include "err.h"
#include "ydoc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum nd_cluster_role { ND_ROLE_API = 1, ND_ROLE_WORKER = 2, ND_ROLE_BOTH = 3 } nd_cluster_role;

typedef struct nd_cluster_conf {
    char *nats_url;        /* one URL or several, comma-separated (a NATS cluster's members) */
    char *site;            /* this node's site (workers run the hosts of this site), "default" */
    nd_cluster_role role;
    char *node;            /* this node's name, default HOSTNAME-PID */
    char *credentials;     /* NATS .creds file (JWT + NKey seed), or NULL */
    char *tls_ca;          /* tls: {ca, cert, key}: TLS to NATS (all optional) */
    char *tls_cert;
    char *tls_key;
    unsigned replicas;     /* streams' and buckets' replicas (1, or 3 in a 3-node cluster) */
    int64_t ack_wait_ms;   /* a task's AckWait, kept alive by in-progress acks (default 30 s) */
    int64_t lease_ms;      /* a device lease's TTL, renewed at a third of it (default 15 s) */
    unsigned max_deliver;  /* deliveries of one task before it is given up (default 10) */
    int64_t heartbeat_ms;  /* node heartbeats in the nodes bucket (default 2 s) */
    unsigned tasks;        /* tasks one worker runs at once (default limits.hosts_in_flight) */
} nd_cluster_conf;

/* The `cluster:` mapping at n (paths relative to dir). *out is allocated (NULL when n is null).
 * 0, or -1 + "FILE:LINE:COL: message". */
int nd_cluster_conf_load(na_ydoc *d, na_ynode *n, const char *dir, nd_cluster_conf **out,
                         na_err *err);
void nd_cluster_conf_free(nd_cluster_conf *c);
const char *nd_cluster_role_name(nd_cluster_role r);

/* The backend a cluster node runs: `inner` does the device work (and validation, inventory and
 * commands); jobs go through NATS. One per process (it is a vtable; its state is static).
 * conf is borrowed and must outlive the backend. */
const nd_backend_ops *nd_cluster_backend(const nd_backend_ops *inner, const nd_cluster_conf *conf);

/* For /metrics (Prometheus text appended to out) and GET /v1/cluster (new reference); both
 * harmless when cluster mode is off (nothing appended; NULL). */
int nd_cluster_metrics(na_buf *out, na_err *err);
json_t *nd_cluster_status(void);

#endif
