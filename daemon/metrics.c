/* metrics.c — counters, the command latency histogram and their Prometheus text rendering
 * (see metrics.h). Each family has # HELP and # TYPE lines; histogram buckets are cumulative
 * and end with le="+Inf" equal to _count. Not a registry. */
#include "metrics.h"
#include "store.h"

#include <stdio.h>

const double nd_metrics_buckets[ND_METRICS_NBUCKETS] = {0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                        2.5,  5,    10,  30,   60};

const double nd_lag_buckets[ND_LAG_NBUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.2,
                                                0.25,  0.5,  1,     2.5,  5};

void nd_metrics_loop_lag(nd_metrics *m, double s)
{
    int i = 0;
    while (i < ND_LAG_NBUCKETS && s > nd_lag_buckets[i])
        i++;
    m->lag_bucket[i]++;
    m->lag_sum_s += s;
    m->lag_count++;
    if (s > m->lag_max_s)
        m->lag_max_s = s;
}

void nd_metrics_http(nd_metrics *m, int code)
{
    if (code >= 100 && code < 600)
        m->http_by_code[code]++;
}

void nd_metrics_command(nd_metrics *m, int64_t elapsed_ms, bool ok)
{
    double s = (double)elapsed_ms / 1000.0;
    int i = 0;
    while (i < ND_METRICS_NBUCKETS && s > nd_metrics_buckets[i])
        i++;
    m->cmd_bucket[i]++;
    m->cmd_sum_s += s;
    m->cmd_count++;
    if (!ok)
        m->cmd_failed++;
}

static int family(na_buf *o, na_err *err, const char *name, const char *type, const char *help)
{
    return na_buf_printf(o, err, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int nd_metrics_render(const nd_metrics *m, const nd_metrics_gauges *g, na_buf *o, na_err *err)
{
    int rc = 0;
    rc |= family(o, err, "netautod_jobs", "gauge", "Jobs in the store by state.");
    for (int s = 0; s < 6; s++)
        rc |= na_buf_printf(o, err, "netautod_jobs{state=\"%s\"} %llu\n", nd_job_state_names[s],
                            (unsigned long long)g->jobs[s]);
    rc |= family(o, err, "netautod_jobs_submitted_total", "counter",
                 "Jobs accepted since start (API and schedules).");
    rc |= na_buf_printf(o, err, "netautod_jobs_submitted_total %llu\n",
                        (unsigned long long)m->jobs_submitted);
    rc |= family(o, err, "netautod_sessions_open", "gauge",
                 "Device sessions currently connected (busy and pooled).");
    rc |= na_buf_printf(o, err, "netautod_sessions_open %u\n", g->sessions_open);
    rc |= family(o, err, "netautod_sessions_idle", "gauge", "Device sessions idle in the pool.");
    rc |= na_buf_printf(o, err, "netautod_sessions_idle %u\n", g->sessions_idle);
    rc |= family(o, err, "netautod_hosts_in_flight", "gauge",
                 "Devices currently locked by a job or command.");
    rc |= na_buf_printf(o, err, "netautod_hosts_in_flight %u\n", g->hosts_in_flight);
    rc |= family(o, err, "netautod_host_lock_waiters", "gauge",
                 "Requests waiting for a device lock.");
    rc |= na_buf_printf(o, err, "netautod_host_lock_waiters %u\n", g->lock_waiting);

    rc |= family(o, err, "netautod_command_duration_seconds", "histogram",
                 "Latency of device commands (jobs and ad-hoc).");
    uint64_t cum = 0;
    for (int i = 0; i < ND_METRICS_NBUCKETS; i++) {
        cum += m->cmd_bucket[i];
        rc |= na_buf_printf(o, err, "netautod_command_duration_seconds_bucket{le=\"%g\"} %llu\n",
                            nd_metrics_buckets[i], (unsigned long long)cum);
    }
    cum += m->cmd_bucket[ND_METRICS_NBUCKETS];
    rc |= na_buf_printf(o, err, "netautod_command_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                        (unsigned long long)cum);
    rc |= na_buf_printf(o, err, "netautod_command_duration_seconds_sum %.6f\n", m->cmd_sum_s);
    rc |= na_buf_printf(o, err, "netautod_command_duration_seconds_count %llu\n",
                        (unsigned long long)m->cmd_count);
    rc |= family(o, err, "netautod_loop_lag_seconds", "histogram",
                 "How late the event loop ran a 100 ms timer (what every request may wait for "
                 "other work).");
    cum = 0;
    for (int i = 0; i < ND_LAG_NBUCKETS; i++) {
        cum += m->lag_bucket[i];
        rc |= na_buf_printf(o, err, "netautod_loop_lag_seconds_bucket{le=\"%g\"} %llu\n",
                            nd_lag_buckets[i], (unsigned long long)cum);
    }
    cum += m->lag_bucket[ND_LAG_NBUCKETS];
    rc |= na_buf_printf(o, err, "netautod_loop_lag_seconds_bucket{le=\"+Inf\"} %llu\n",
                        (unsigned long long)cum);
    rc |= na_buf_printf(o, err, "netautod_loop_lag_seconds_sum %.6f\n", m->lag_sum_s);
    rc |= na_buf_printf(o, err, "netautod_loop_lag_seconds_count %llu\n",
                        (unsigned long long)m->lag_count);
    rc |= family(o, err, "netautod_loop_lag_max_seconds", "gauge",
                 "The longest the event loop was late since netautod started.");
    rc |= na_buf_printf(o, err, "netautod_loop_lag_max_seconds %.6f\n", m->lag_max_s);
    rc |= family(o, err, "netautod_command_failures_total", "counter",
                 "Device commands that failed.");
    rc |= na_buf_printf(o, err, "netautod_command_failures_total %llu\n",
                        (unsigned long long)m->cmd_failed);
    rc |= family(o, err, "netautod_login_failures_total", "counter",
                 "Device logins refused (bad credentials).");
    rc |= na_buf_printf(o, err, "netautod_login_failures_total %llu\n",
                        (unsigned long long)m->login_failures);
    rc |= family(o, err, "netautod_api_auth_failures_total", "counter",
                 "API requests refused for a missing or wrong token.");
    rc |= na_buf_printf(o, err, "netautod_api_auth_failures_total %llu\n",
                        (unsigned long long)m->api_auth_failures);
    rc |= family(o, err, "netautod_api_denied_total", "counter",
                 "API requests refused because the token lacks the scope (403).");
    rc |= na_buf_printf(o, err, "netautod_api_denied_total %llu\n",
                        (unsigned long long)m->api_denied);
    rc |= family(o, err, "netautod_api_rate_limited_total", "counter",
                 "API requests refused because their token sent too many (429).");
    rc |= na_buf_printf(o, err, "netautod_api_rate_limited_total %llu\n",
                        (unsigned long long)m->api_rate_limited);

    rc |= family(o, err, "netautod_http_requests_total", "counter",
                 "HTTP requests answered, by status code.");
    for (int c = 100; c < 600; c++)
        if (m->http_by_code[c])
            rc |= na_buf_printf(o, err, "netautod_http_requests_total{code=\"%d\"} %llu\n", c,
                                (unsigned long long)m->http_by_code[c]);
    rc |= family(o, err, "netautod_http_evicted_total", "counter",
                 "Client connections closed to make room (limits.connections, "
                 "limits.connections_per_address, out of file descriptors).");
    rc |= na_buf_printf(o, err, "netautod_http_evicted_total %llu\n",
                        (unsigned long long)m->http_evicted);
    rc |= family(o, err, "netautod_http_slow_clients_total", "counter",
                 "Client connections closed for not sending a whole request within "
                 "limits.request_timeout.");
    rc |= na_buf_printf(o, err, "netautod_http_slow_clients_total %llu\n",
                        (unsigned long long)m->http_slow_clients);
    rc |= family(o, err, "netautod_http_accept_paused_total", "counter",
                 "Times accept() ran out of file descriptors and the listener paused.");
    rc |= na_buf_printf(o, err, "netautod_http_accept_paused_total %llu\n",
                        (unsigned long long)m->http_accept_paused);
    rc |= family(o, err, "netautod_http_connections", "gauge", "Open client connections.");
    rc |= na_buf_printf(o, err, "netautod_http_connections %u\n", g->connections);
    rc |= family(o, err, "netautod_event_streams", "gauge", "Open server-sent event streams.");
    rc |= na_buf_printf(o, err, "netautod_event_streams %u\n", g->sse_streams);
    rc |= family(o, err, "netautod_uptime_seconds", "gauge", "Seconds since netautod started.");
    rc |= na_buf_printf(o, err, "netautod_uptime_seconds %lld\n", (long long)g->uptime_s);
    rc |= family(o, err, "netautod_draining", "gauge", "1 while shutting down.");
    rc |= na_buf_printf(o, err, "netautod_draining %d\n", g->draining ? 1 : 0);
    return rc ? -1 : 0;
}
