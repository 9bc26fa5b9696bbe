/* backend_runner.c — netautod's production device backend (backend.h), the one
 * nd_backend_default() returns: the inventory (backend_inv.c), playbook jobs on the runner
 * (backend_jobs.c), ad-hoc commands on a session pool (backend_cmd.c, backend_pool.c). This file
 * is the vtable, creation with the `backend:` options, destruction and statistics. Not a test
 * double (tests/lib/backend_double.c is). */
#include "backend_int.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static int options(nd_be *be, const json_t *o, na_err *err)
{
    if (!o)
        return 0;
    if (!json_is_object(o))
        return na_err_set(err, NA_E_CONFIG, "backend: must be a mapping");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (!strcmp(k, "pool_size")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > 100000)
                return na_err_set(err, NA_E_CONFIG,
                                  "backend: pool_size must be an integer from 0 to 100000 (idle "
                                  "device sessions kept; 0 = no pooling)");
            be->pool_size = (unsigned)json_integer_value(v);
        } else {
            return na_err_set(err, NA_E_CONFIG, "backend: unknown option '%s' (expected "
                                                "pool_size)", k);
        }
    }
    return 0;
}

static void free_hstat(const char *k, void *v, void *ud)
{
    (void)k;
    (void)ud;
    free(v);
}

static void rb_destroy(nd_be *be)
{
    if (!be)
        return;
    nd_be_validator_free(be->validator); /* first: it may hold an inventory reference */
    nd_be_parser_free(be->parser); /* before the commands: its thread may read their outputs */
    be->parser = NULL;
    nd_be_jobs_free_all(be); /* runners give their locks back; no sink callback */
    nd_be_cmds_free_all(be);
    nd_be_shells_free_all(be);
    nd_be_pool_free_all(be);
    nd_be_inv_unref(be->cur);
    if (be->hstat) {
        na_strmap_each(be->hstat, free_hstat, NULL);
        na_strmap_free(be->hstat);
    }
    na_strmap_free(be->idle_by_host);
    free(be->playbook_dir);
    free(be->vault_password_file);
    free(be);
}

static nd_be *rb_create(const nd_backend_config *cfg, const nd_backend_services *svc, na_err *err)
{
    nd_be *be = calloc(1, sizeof *be);
    if (!be) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    be->svc = *svc;
    TAILQ_INIT(&be->sessions);
    TAILQ_INIT(&be->idle);
    LIST_INIT(&be->jobs);
    LIST_INIT(&be->cmds);
    LIST_INIT(&be->shells);
    be->pool_idle_s = cfg->pool_idle_s;
    be->pool_size = ND_BE_POOL_SIZE_DEFAULT;
    be->validate_bytes = cfg->validate_bytes ? cfg->validate_bytes : (size_t)64 << 20;
    be->validate_s = cfg->validate_s ? cfg->validate_s : 10;
    be->playbook_dir = strdup(cfg->playbook_dir ? cfg->playbook_dir : ".");
    be->vault_password_file = cfg->vault_password_file ? strdup(cfg->vault_password_file) : NULL;
    be->hstat = na_strmap_new();
    be->idle_by_host = na_strmap_new();
    if (!be->playbook_dir || (cfg->vault_password_file && !be->vault_password_file) ||
        !be->hstat || !be->idle_by_host) {
        rb_destroy(be);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    if (options(be, cfg->options, err) < 0 || !(be->validator = nd_be_validator_new(be, err)) ||
        !(be->parser = nd_be_parser_new(be->svc.base, err))) {
        rb_destroy(be);
        return NULL;
    }
    NA_LOGI("backend", "runner backend: playbooks in %s, session pool %s", be->playbook_dir,
            be->pool_idle_s && be->pool_size ? "on" : "off");
    return be;
}

static void rb_stats(nd_be *be, nd_backend_stats *out)
{
    out->sessions_open = be->n_sessions + be->job_sessions;
    out->sessions_idle = be->n_idle;
}

static const nd_backend_ops runner_ops = {
    .name = "runner",
    .create = rb_create,
    .destroy = rb_destroy,
    .inventory_load = nd_be_inventory_load,
    .inventory_json = nd_be_inventory_json,
    .host_json = nd_be_host_json,
    .host_status = nd_be_host_status,
    .resolve_limit = nd_be_resolve_limit,
    .job_prepare = nd_be_job_prepare,
    .job_prepare_abandon = nd_be_job_prepare_abandon,
    .job_run = nd_be_job_run,
    .job_cancel = nd_be_job_cancel,
    .job_discard = nd_be_job_discard,
    .job_resumable = nd_be_job_resumable,
    .cli_cmd_run = nd_be_cmd_run,
    .cmd_cancel = nd_be_cmd_cancel,
    .stats = rb_stats,
    .shell_open = nd_be_shell_open,
    .shell_write = nd_be_shell_write,
    .shell_close = nd_be_shell_close,
};

const nd_backend_ops *nd_backend_default(void) { return &runner_ops; }
