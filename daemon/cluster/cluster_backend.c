/* cluster_backend.c — the backend a cluster node runs (cluster.h): it wraps the device backend
 * (inventory, validation, ad-hoc commands and, on workers, the device work itself stay there)
 * and sends jobs through NATS on api nodes; node heartbeats in the nodes bucket (every node
 * reads them all: GET /v1/cluster, which sites have a live worker); /metrics' cluster part.
 * Not the api or worker logic (cluster_api.c, cluster_worker.c). */
#include "cluster_int.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The vtable's functions cannot carry the wrapped backend: one cluster node per process. */
static const nd_backend_ops *s_inner;
static const nd_cluster_conf *s_conf;

/* ---- heartbeats ------------------------------------------------------------------------------ */

typedef struct hb_work {
    char *record;              /* this node's heartbeat (JSON text) */
    char **sites;              /* consumer lag to read */
    size_t n_sites;
} hb_work;
static hb_work s_hb;

static void hb_work_fn(ncl_op *op)
{
    (void)op;
    ncl *c = &nd_g_ncl;
    uint64_t rev;
    if (kvStore_PutString(&rev, c->nodes_kv, c->conf->node, s_hb.record) != NATS_OK)
        atomic_fetch_add(&c->n.nats_errors, 1);
    json_t *nodes = json_array();
    kvKeysList kl = {0};
    if (kvStore_Keys(&kl, c->nodes_kv, NULL) == NATS_OK) {
        for (int i = 0; i < kl.Count; i++) {
            kvEntry *e = NULL;
            if (kvStore_Get(&e, c->nodes_kv, kl.Keys[i]) != NATS_OK)
                continue;
            json_t *rec = json_loads(kvEntry_ValueString(e), 0, NULL);
            if (json_is_object(rec))
                json_array_append_new(nodes, rec);
            else
                json_decref(rec);
            kvEntry_Destroy(e);
        }
        kvKeysList_Destroy(&kl);
    }
    json_t *lag = json_object();
    for (size_t i = 0; i < s_hb.n_sites; i++) {
        char durable[96];
        snprintf(durable, sizeof durable, "site_%s", s_hb.sites[i]);
        jsConsumerInfo *ci = NULL;
        if (js_GetConsumerInfo(&ci, c->js, NCL_TASKS_STREAM, durable, NULL, NULL) == NATS_OK) {
            json_object_set_new(lag, s_hb.sites[i],
                                json_pack("{s:I,s:I,s:I}", "pending", (json_int_t)ci->NumPending,
                                          "ack_pending", (json_int_t)ci->NumAckPending,
                                          "redelivered", (json_int_t)ci->NumRedelivered));
            jsConsumerInfo_Destroy(ci);
        }
    }
    c->hb_nodes = nodes;
    c->hb_lag = lag;
}

static void hb_free_work(void)
{
    free(s_hb.record);
    for (size_t i = 0; i < s_hb.n_sites; i++)
        free(s_hb.sites[i]);
    free(s_hb.sites);
    memset(&s_hb, 0, sizeof s_hb);
}

static void hb_done_fn(ncl_op *op)
{
    (void)op;
    ncl *c = &nd_g_ncl;
    c->hb_busy = false;
    hb_free_work();
    if (c->hb_nodes) {
        json_decref(c->nodes);
        c->nodes = c->hb_nodes;
        json_decref(c->lag);
        c->lag = c->hb_lag;
        c->hb_nodes = c->hb_lag = NULL;
    }
    if (!c->closing && c->api)
        nd_ncl_api_sites_changed(c);
}

/* Site names from heartbeats become metric labels and NATS subjects: tokens only. */
static bool site_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static void add_site(json_t *set, const char *site)
{
    if (site_ok(site))
        json_object_set_new(set, site, json_true());
}

static void hb_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ncl *c = arg;
    if (c->hb_busy)
        return;
    if (natsConnection_GetConnectedUrl(c->nc, c->nats_url, sizeof c->nats_url) != NATS_OK)
        c->nats_url[0] = 0;
    json_t *rec = json_pack("{s:s,s:s,s:s,s:I,s:I,s:i,s:s}", "node", c->conf->node, "site",
                            c->conf->site, "role", nd_cluster_role_name(c->conf->role),
                            "started_ms", (json_int_t)c->started_ms, "time_ms",
                            (json_int_t)na_wall_ms(), "tasks_running", (int)c->n_wtasks,
                            "nats", c->nats_url);
    s_hb.record = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    /* sites whose queue we look at: ours (worker), and every site known (api) */
    json_t *set = json_object();
    if (c->worker)
        add_site(set, c->conf->site);
    size_t i;
    json_t *n;
    if (c->api) {
        json_array_foreach(c->nodes, i, n) {
            const char *role = json_string_value(json_object_get(n, "role"));
            if (role && strcmp(role, "api"))
                add_site(c->known_sites, json_string_value(json_object_get(n, "site")));
        }
        json_object_update(set, c->known_sites);
    }
    s_hb.n_sites = 0;
    s_hb.sites = calloc(json_object_size(set) + 1, sizeof *s_hb.sites);
    const char *k;
    json_t *v;
    json_object_foreach(set, k, v) {
        if (s_hb.sites && (s_hb.sites[s_hb.n_sites] = strdup(k)))
            s_hb.n_sites++;
    }
    json_decref(set);
    if (!s_hb.record) {
        hb_free_work();
        return;
    }
    c->hb_busy = true;
    c->hb_op.work = hb_work_fn;
    c->hb_op.done = hb_done_fn;
    nd_ncl_submit(&c->hb_op);
}

bool nd_ncl_site_alive(ncl *c, const char *site)
{
    size_t i;
    json_t *n;
    int64_t now = na_wall_ms();
    json_array_foreach(c->nodes, i, n) {
        const char *role = json_string_value(json_object_get(n, "role"));
        const char *s = json_string_value(json_object_get(n, "site"));
        int64_t t = json_integer_value(json_object_get(n, "time_ms"));
        if (role && strcmp(role, "api") && s && !strcmp(s, site) &&
            now - t < 3 * c->conf->heartbeat_ms)
            return true;
    }
    return false;
}

/* ---- the vtable ------------------------------------------------------------------------------ */

static void destroy(nd_be *be);

static nd_be *create(const nd_backend_config *cfg, const nd_backend_services *svc, na_err *err)
{
    ncl *c = &nd_g_ncl;
    memset(c, 0, sizeof *c);
    c->efd = -1;
    c->conf = s_conf;
    c->inner = s_inner;
    c->svc = *svc;
    c->api = s_conf->role & ND_ROLE_API;
    c->worker = s_conf->role & ND_ROLE_WORKER;
    c->started_ms = na_wall_ms();
    LIST_INIT(&c->ajobs);
    LIST_INIT(&c->wtasks);
    c->nodes = json_array();
    c->known_sites = json_object();
    c->slots = s_conf->tasks ? s_conf->tasks : cfg->hosts_in_flight ? cfg->hosts_in_flight : 64;
    if (!(c->ibe = s_inner->create(cfg, svc, err)))
        return NULL;
    if (nd_ncl_nats_open(c, err) < 0 || (c->api && nd_ncl_api_start(c, err) < 0) ||
        (c->worker && nd_ncl_worker_start(c, err) < 0)) {
        destroy((nd_be *)c);
        return NULL;
    }
    struct timeval tv = {c->conf->heartbeat_ms / 1000, (c->conf->heartbeat_ms % 1000) * 1000};
    if (!(c->hb_ev = event_new(svc->base, -1, EV_PERSIST, hb_cb, c)) ||
        event_add(c->hb_ev, &tv) < 0) {
        destroy((nd_be *)c);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    hb_cb(-1, 0, c);
    return (nd_be *)c;
}

static void destroy(nd_be *be)
{
    ncl *c = (ncl *)be;
    if (c->hb_ev)
        event_free(c->hb_ev);
    c->hb_ev = NULL;
    nd_ncl_worker_stop_fetcher(c);
    if (c->ibe)
        c->inner->destroy(c->ibe); /* no callback after this */
    c->ibe = NULL;
    nd_ncl_threads_stop(c);
    nd_ncl_worker_stop(c); /* tasks not acked: redelivered to another worker */
    nd_ncl_api_stop(c);
    nd_ncl_nats_close(c);
    hb_free_work();
    json_decref(c->nodes);
    json_decref(c->lag);
    json_decref(c->hb_nodes);
    json_decref(c->hb_lag);
    json_decref(c->known_sites);
    c->nodes = c->lag = c->hb_nodes = c->hb_lag = c->known_sites = NULL;
}

static int inventory_load(nd_be *be, const char *path, na_err *err)
{
    return nd_g_ncl.inner->inventory_load(((ncl *)be)->ibe, path, err);
}
static json_t *inventory_json(nd_be *be)
{
    return nd_g_ncl.inner->inventory_json(((ncl *)be)->ibe);
}
static json_t *host_json(nd_be *be, const char *name)
{
    return nd_g_ncl.inner->host_json(((ncl *)be)->ibe, name);
}
static json_t *host_status(nd_be *be, const char *name)
{
    return nd_g_ncl.inner->host_status(((ncl *)be)->ibe, name);
}
static json_t *resolve_limit(nd_be *be, const char *limit, na_err *err)
{
    return nd_g_ncl.inner->resolve_limit(((ncl *)be)->ibe, limit, err);
}

static nd_be_prep *job_prepare(nd_be *be, const nd_job_spec *spec, nd_job_prepared_cb done,
                               void *ud, na_err *err)
{
    ncl *c = (ncl *)be;
    if (!c->api) {
        na_err_set(err, NA_E_UNSUPPORTED, "this netautod is a cluster worker (site %s); send "
                   "jobs to an api node", c->conf->site);
        return NULL;
    }
    return nd_ncl_api_prepare(c, spec, done, ud, err);
}
static void job_prepare_abandon(nd_be *be, nd_be_prep *p)
{
    nd_ncl_api_prepare_abandon((ncl *)be, p);
}
static int job_run(nd_be *be, nd_be_job *job, int64_t id, const nd_job_sink *sink, na_err *err)
{
    return nd_ncl_api_run((ncl *)be, job, id, sink, err);
}
static void job_cancel(nd_be *be, nd_be_job *job) { nd_ncl_api_cancel((ncl *)be, job); }
static void job_discard(nd_be *be, nd_be_job *job)
{
    (void)be;
    nd_ncl_api_discard(job);
}
static nd_be_cmd *cli_cmd_run(nd_be *be, const nd_cmd_spec *spec, nd_cmd_done_cb done, void *ud,
                          na_err *err)
{
    return nd_g_ncl.inner->cli_cmd_run(((ncl *)be)->ibe, spec, done, ud, err);
}
static void cmd_cancel(nd_be *be, nd_be_cmd *cmd)
{
    nd_g_ncl.inner->cmd_cancel(((ncl *)be)->ibe, cmd);
}
static void stats(nd_be *be, nd_backend_stats *out)
{
    nd_g_ncl.inner->stats(((ncl *)be)->ibe, out);
}
/* the web page's terminal: on this node, like ad-hoc commands */
static nd_be_shell *shell_open(nd_be *be, const nd_shell_spec *spec, const nd_shell_sink *sink,
                               na_err *err)
{
    return nd_g_ncl.inner->shell_open(((ncl *)be)->ibe, spec, sink, err);
}
static int shell_write(nd_be *be, nd_be_shell *sh, const char *data, size_t n, na_err *err)
{
    return nd_g_ncl.inner->shell_write(((ncl *)be)->ibe, sh, data, n, err);
}
static void shell_close(nd_be *be, nd_be_shell *sh)
{
    nd_g_ncl.inner->shell_close(((ncl *)be)->ibe, sh);
}

static nd_backend_ops s_ops = {
    .name = NULL, /* the wrapped backend's name, set in nd_cluster_backend */
    .create = create,
    .destroy = destroy,
    .inventory_load = inventory_load,
    .inventory_json = inventory_json,
    .host_json = host_json,
    .host_status = host_status,
    .resolve_limit = resolve_limit,
    .job_prepare = job_prepare,
    .job_prepare_abandon = job_prepare_abandon,
    .job_run = job_run,
    .job_cancel = job_cancel,
    .job_discard = job_discard,
    .cli_cmd_run = cli_cmd_run,
    .cmd_cancel = cmd_cancel,
    .stats = stats,
    .shell_open = shell_open,
    .shell_write = shell_write,
    .shell_close = shell_close,
};

const nd_backend_ops *nd_cluster_backend(const nd_backend_ops *inner, const nd_cluster_conf *conf)
{
    s_inner = inner;
    s_conf = conf;
    s_ops.name = inner->name;
    bool shells = inner->shell_open && inner->shell_write && inner->shell_close;
    s_ops.shell_open = shells ? shell_open : NULL;
    s_ops.shell_write = shells ? shell_write : NULL;
    s_ops.shell_close = shells ? shell_close : NULL;
    return &s_ops;
}

/* ---- what the node shows --------------------------------------------------------------------- */

json_t *nd_cluster_status(void)
{
    ncl *c = &nd_g_ncl;
    if (!c->conf || !c->nc)
        return NULL;
    json_t *sites = json_object();
    size_t i;
    json_t *n;
    int64_t now = na_wall_ms();
    json_t *nodes = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(c->known_sites, k, v)
        json_object_set_new(sites, k, json_pack("{s:i}", "workers", 0));
    json_array_foreach(c->nodes, i, n) {
        json_t *x = json_deep_copy(n);
        int64_t age = now - json_integer_value(json_object_get(n, "time_ms"));
        json_object_set_new(x, "last_seen_ms", json_integer(age));
        json_object_set_new(x, "alive", json_boolean(age < 3 * c->conf->heartbeat_ms));
        json_array_append_new(nodes, x);
        const char *site = json_string_value(json_object_get(n, "site"));
        const char *role = json_string_value(json_object_get(n, "role"));
        if (!site_ok(site) || !role || !strcmp(role, "api"))
            continue;
        json_t *s = json_object_get(sites, site);
        if (!s)
            json_object_set_new(sites, site, s = json_pack("{s:i}", "workers", 0));
        if (age < 3 * c->conf->heartbeat_ms)
            json_object_set_new(s, "workers",
                                json_integer(json_integer_value(json_object_get(s, "workers")) + 1));
    }
    json_object_foreach(c->lag, k, v) {
        json_t *s = json_object_get(sites, k);
        if (!s)
            json_object_set_new(sites, k, s = json_pack("{s:i}", "workers", 0));
        json_object_set(s, "queue", v);
    }
    json_t *waiting = c->api ? nd_ncl_api_status(c) : json_object();
    json_object_foreach(waiting, k, v) {
        json_t *s = json_object_get(sites, k);
        if (!s)
            json_object_set_new(sites, k, s = json_pack("{s:i}", "workers", 0));
        json_object_set(s, "hosts_waiting", v);
    }
    json_decref(waiting);
    json_object_foreach(sites, k, v) {
        bool up = json_integer_value(json_object_get(v, "workers")) > 0;
        json_object_set_new(v, "health", json_string(up ? "ok" : "no live worker"));
    }
    natsConnStatus st = natsConnection_Status(c->nc);
    if (natsConnection_GetConnectedUrl(c->nc, c->nats_url, sizeof c->nats_url) != NATS_OK)
        c->nats_url[0] = 0;
    return json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:b},s:o,s:o}", "node", "name", c->conf->node,
                     "site", c->conf->site, "role", nd_cluster_role_name(c->conf->role), "nats",
                     "url", c->nats_url, "connected", st == NATS_CONN_STATUS_CONNECTED, "nodes",
                     nodes, "sites", sites);
}

int nd_cluster_metrics(na_buf *out, na_err *err)
{
    ncl *c = &nd_g_ncl;
    if (!c->conf || !c->nc)
        return 0;
    ncl_counters *n = &c->n;
    if (na_buf_printf(out, err,
            "# HELP netautod_cluster_tasks_in_flight Tasks this worker runs now.\n"
            "# TYPE netautod_cluster_tasks_in_flight gauge\n"
            "netautod_cluster_tasks_in_flight %u\n"
            "# HELP netautod_cluster_tasks_published_total Per-host tasks this api node queued.\n"
            "# TYPE netautod_cluster_tasks_published_total counter\n"
            "netautod_cluster_tasks_published_total %llu\n"
            "# HELP netautod_cluster_tasks_received_total Task deliveries this worker received.\n"
            "# TYPE netautod_cluster_tasks_received_total counter\n"
            "netautod_cluster_tasks_received_total %llu\n"
            "# HELP netautod_cluster_redeliveries_total Deliveries that were not a task's first.\n"
            "# TYPE netautod_cluster_redeliveries_total counter\n"
            "netautod_cluster_redeliveries_total %llu\n"
            "# HELP netautod_cluster_tasks_done_total Tasks this worker finished (result sent).\n"
            "# TYPE netautod_cluster_tasks_done_total counter\n"
            "netautod_cluster_tasks_done_total %llu\n"
            "# HELP netautod_cluster_lease_waits_total Tasks put back: the device's lease was "
            "held by another worker.\n"
            "# TYPE netautod_cluster_lease_waits_total counter\n"
            "netautod_cluster_lease_waits_total %llu\n"
            "# HELP netautod_cluster_lease_losses_total Device leases this worker lost while "
            "using the device.\n"
            "# TYPE netautod_cluster_lease_losses_total counter\n"
            "netautod_cluster_lease_losses_total %llu\n"
            "# HELP netautod_cluster_results_folded_total Host results folded into jobs.\n"
            "# TYPE netautod_cluster_results_folded_total counter\n"
            "netautod_cluster_results_folded_total %llu\n"
            "# HELP netautod_cluster_results_duplicate_total Results for a host that already "
            "had one (ignored).\n"
            "# TYPE netautod_cluster_results_duplicate_total counter\n"
            "netautod_cluster_results_duplicate_total %llu\n"
            "# HELP netautod_cluster_nats_errors_total Failed NATS operations.\n"
            "# TYPE netautod_cluster_nats_errors_total counter\n"
            "netautod_cluster_nats_errors_total %llu\n"
            "# HELP netautod_cluster_nats_connected 1 when connected to NATS.\n"
            "# TYPE netautod_cluster_nats_connected gauge\n"
            "netautod_cluster_nats_connected %d\n",
            c->n_wtasks, (unsigned long long)n->tasks_published,
            (unsigned long long)n->tasks_received, (unsigned long long)n->redeliveries,
            (unsigned long long)n->tasks_done, (unsigned long long)n->lease_waits,
            (unsigned long long)n->lease_losses, (unsigned long long)n->results_folded,
            (unsigned long long)n->results_duplicate, (unsigned long long)n->nats_errors,
            natsConnection_Status(c->nc) == NATS_CONN_STATUS_CONNECTED) < 0)
        return -1;
    if (json_object_size(c->lag) &&
        na_buf_puts(out, "# HELP netautod_cluster_consumer_lag Tasks of a site not yet "
                    "delivered (pending) or delivered and not acknowledged (ack_pending).\n"
                    "# TYPE netautod_cluster_consumer_lag gauge\n", err) < 0)
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach(c->lag, k, v) {
        if (na_buf_printf(out, err,
                          "netautod_cluster_consumer_lag{site=\"%s\",kind=\"pending\"} %lld\n"
                          "netautod_cluster_consumer_lag{site=\"%s\",kind=\"ack_pending\"} %lld\n",
                          k, (long long)json_integer_value(json_object_get(v, "pending")), k,
                          (long long)json_integer_value(json_object_get(v, "ack_pending"))) < 0)
            return -1;
    }
    return 0;
}
