/* metrics.h — netautod's counters and histograms, rendered in the Prometheus text exposition
 * format (version 0.0.4) for GET /metrics. Gauges that live elsewhere (jobs by state, sessions,
 * locks, connections) are passed in at render time. Not a metrics library: a fixed set. */
#ifndef ND_METRICS_H
#define ND_METRICS_H

#include "buf.h"
#include "err.h"

#include <stdbool.h>
#include <stdint.h>

#define ND_METRICS_NBUCKETS 11
extern const double nd_metrics_buckets[ND_METRICS_NBUCKETS]; /* seconds; +Inf is implicit */
#define ND_LAG_NBUCKETS 11
extern const double nd_lag_buckets[ND_LAG_NBUCKETS];         /* seconds; +Inf is implicit */

typedef struct nd_metrics {
    uint64_t http_by_code[600];  /* index = status code */
    uint64_t cmd_bucket[ND_METRICS_NBUCKETS + 1]; /* non-cumulative; last = above all */
    double cmd_sum_s;
    uint64_t cmd_count;
    uint64_t cmd_failed;
    uint64_t login_failures;     /* device logins refused (reported by the backend) */
    uint64_t api_auth_failures;  /* 401s */
    uint64_t api_denied;         /* 403s: the token lacks the scope */
    uint64_t api_rate_limited;   /* 429s: a token over limits.token_rate */
    uint64_t http_evicted;       /* connections closed to make room (per address or in all) */
    uint64_t http_slow_clients;  /* connections closed at limits.request_timeout */
    uint64_t http_accept_paused; /* accept() out of file descriptors: listener paused */
    uint64_t jobs_submitted;
    uint64_t sse_streams_total;
    /* how late the loop ran a 100 ms timer: what any request waits for others' work */
    uint64_t lag_bucket[ND_LAG_NBUCKETS + 1];
    double lag_sum_s, lag_max_s;
    uint64_t lag_count;
} nd_metrics;

/* Gauges sampled at scrape time. jobs[] is indexed like nd_job_state_names (store.h). */
typedef struct nd_metrics_gauges {
    uint64_t jobs[6];
    unsigned sessions_open, sessions_idle;
    unsigned hosts_in_flight, lock_waiting;
    unsigned connections, sse_streams;
    int64_t uptime_s;
    bool draining;
} nd_metrics_gauges;

void nd_metrics_http(nd_metrics *m, int code);
void nd_metrics_command(nd_metrics *m, int64_t elapsed_ms, bool ok);
void nd_metrics_loop_lag(nd_metrics *m, double seconds);
/* Append the whole exposition to out. */
int nd_metrics_render(const nd_metrics *m, const nd_metrics_gauges *g, na_buf *out, na_err *err);

#endif
