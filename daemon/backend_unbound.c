/* backend_unbound.c — the backend netautod ships until the playbook runner, inventory loader and
 * session pool are bound behind backend.h: the API, store, auth, metrics and schedules all work,
 * and every device operation fails clearly ("not bound in this build") instead of pretending.
 * Not a test double (tests/lib/backend_double.c is) and not a stub that fakes results. */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

struct na_be {
    char *inventory;
};

static const char *const why =
    "this netautod build has no device backend bound (the runner is not linked in)";

static na_be *ub_create(const na_backend_config *cfg, const na_backend_services *svc, na_err *err)
{
    (void)cfg;
    (void)svc;
    na_be *be = calloc(1, sizeof *be);
    if (!be)
        na_err_set(err, NA_E_NOMEM, "out of memory");
    return be;
}

static void ub_destroy(na_be *be)
{
    if (be)
        free(be->inventory);
    free(be);
}

static int ub_inventory_load(na_be *be, const char *path, na_err *err)
{
    (void)be;
    (void)path;
    (void)err;
    return 0; /* nothing to load into; device operations explain why */
}

static json_t *ub_inventory_json(na_be *be)
{
    (void)be;
    return json_pack("{s:{},s:{},s:s}", "hosts", "groups", "note", why);
}

static json_t *ub_host_json(na_be *be, const char *name)
{
    (void)be;
    (void)name;
    return NULL;
}

static json_t *ub_resolve(na_be *be, const char *limit, na_err *err)
{
    (void)be;
    (void)limit;
    na_err_set(err, NA_E_UNSUPPORTED, "%s", why);
    return NULL;
}

static na_be_job *ub_prepare(na_be *be, const na_job_spec *spec, json_t **targets, na_err *err)
{
    (void)be;
    (void)spec;
    *targets = NULL;
    na_err_set(err, NA_E_UNSUPPORTED, "%s", why);
    return NULL;
}

static int ub_run(na_be *be, na_be_job *job, int64_t id, const na_job_sink *sink, na_err *err)
{
    (void)be;
    (void)job;
    (void)id;
    (void)sink;
    return na_err_set(err, NA_E_UNSUPPORTED, "%s", why);
}

static void ub_job_noop(na_be *be, na_be_job *job)
{
    (void)be;
    (void)job;
}

static na_be_cmd *ub_cmd_run(na_be *be, const na_cmd_spec *spec, na_cmd_done_cb done, void *ud,
                             na_err *err)
{
    (void)be;
    (void)spec;
    (void)done;
    (void)ud;
    na_err_set(err, NA_E_UNSUPPORTED, "%s", why);
    return NULL;
}

static void ub_cmd_cancel(na_be *be, na_be_cmd *cmd)
{
    (void)be;
    (void)cmd;
}

static void ub_stats(na_be *be, na_backend_stats *out)
{
    (void)be;
    memset(out, 0, sizeof *out);
}

static const na_backend_ops unbound_ops = {
    .name = "unbound",
    .create = ub_create,
    .destroy = ub_destroy,
    .inventory_load = ub_inventory_load,
    .inventory_json = ub_inventory_json,
    .host_json = ub_host_json,
    .host_status = ub_host_json,
    .resolve_limit = ub_resolve,
    .job_prepare = ub_prepare,
    .job_run = ub_run,
    .job_cancel = ub_job_noop,
    .job_discard = ub_job_noop,
    .cmd_run = ub_cmd_run,
    .cmd_cancel = ub_cmd_cancel,
    .stats = ub_stats,
};

const na_backend_ops *na_backend_default(void) { return &unbound_ops; }
