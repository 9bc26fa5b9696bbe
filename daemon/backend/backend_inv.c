/* backend_inv.c — the production backend's inventory: load and reload (SIGHUP) into refcounted
 * generations so work in progress keeps the inventory it started with, the platform registry
 * that goes with each generation (built-ins plus the inventory's platform_dirs), the JSON of
 * GET /v1/inventory and /v1/hosts/{name} (secrets masked by na_inv_host_json), --limit, and what
 * the backend knows of each device (reachable, last seen, sessions). Not the inventory format
 * (inventory/) and not the pool (backend_pool.c). */
#include "backend_int.h"
#include "clock.h"
#include "log.h"
#include "runner.h"

#include <stdlib.h>
#include <string.h>

/* ---- generations ------------------------------------------------------------------------- */

nd_be_inv *nd_be_inv_load(const char *path, const char *vault_password_file, unsigned gen,
                          na_err *err)
{
    nd_be_inv *g = calloc(1, sizeof *g);
    if (!g) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    na_inv_opts o = {.vault_password_file = vault_password_file}; /* never a prompt */
    if (!(g->inv = na_inv_load(path, &o, err))) {
        free(g);
        return NULL;
    }
    size_t nd = 0;
    const char *const *dirs = na_inv_platform_dirs(g->inv, &nd);
    if (!(g->plats = na_platforms_new(dirs, nd, err))) {
        na_inv_free(g->inv);
        free(g);
        return NULL;
    }
    g->refs = 1;
    g->gen = gen;
    return g;
}

nd_be_inv *nd_be_inv_ref(nd_be_inv *g)
{
    if (g)
        g->refs++;
    return g;
}

const na_platform *nd_be_inv_platform(nd_be_inv *g, const na_inv_host *h, na_err *err)
{
    const na_platform *plat = na_platform_find(g->plats, h->platform, err);
    if (!plat) {
        na_err_prefix(err, "host '%s': platform '%s': ", h->name, h->platform);
        if (err->code == NA_E_NOTFOUND)
            err->code = NA_E_CONFIG;
    }
    return plat;
}

int nd_be_target(nd_be_inv *g, const char *host, const char *transport, const na_inv_host **h,
                 na_transport_kind *kind, const na_platform **plat, na_err *err)
{
    if (!(*h = g ? na_inv_find(g->inv, host) : NULL))
        return na_err_set(err, NA_E_NOTFOUND, "no host '%s' in the inventory", host);
    *kind = (*h)->transport;
    if (transport && na_transport_kind_parse(transport, kind) < 0)
        return na_err_set(err, NA_E_USAGE, "transport must be ssh or telnet");
    return (*plat = nd_be_inv_platform(g, *h, err)) ? 0 : -1;
}

na_tfsm_lib *nd_be_inv_templates(nd_be_inv *g, na_err *err)
{
    if (!g->tfsm && !na_err_isset(&g->tfsm_err)) {
        g->tfsm = na_tfsm_lib_for(NULL, na_inv_templates_dir(g->inv), &g->tfsm_err);
        if (!g->tfsm && g->tfsm_err.code == NA_E_NOMEM) { /* try again next time */
            na_err_set(err, NA_E_NOMEM, "out of memory");
            na_err_clear(&g->tfsm_err);
            return NULL;
        }
    }
    if (!g->tfsm && err)
        *err = g->tfsm_err;
    return g->tfsm;
}

void nd_be_inv_unref(nd_be_inv *g)
{
    if (!g || --g->refs > 0)
        return;
    na_tfsm_lib_free(g->tfsm);
    na_platforms_free(g->plats);
    na_inv_free(g->inv); /* wipes its secrets */
    free(g);
}

int nd_be_inventory_load(nd_be *be, const char *path, na_err *err)
{
    nd_be_inv *g = nd_be_inv_load(path, be->vault_password_file, be->next_gen + 1, err);
    if (!g)
        return -1;
    /* A broken platform file must fail the reload, not the first job that needs it: load every
     * platform the hosts name now. */
    for (size_t i = 0; i < na_inv_count(g->inv); i++) {
        const na_inv_host *h = na_inv_host_at(g->inv, i);
        if (!nd_be_inv_platform(g, h, err)) {
            na_err_prefix(err, "%s: ", path);
            nd_be_inv_unref(g);
            return -1;
        }
    }
    be->next_gen++;
    unsigned old = be->cur ? be->cur->gen : 0;
    nd_be_inv_unref(be->cur); /* jobs, commands and sessions still using it keep it alive */
    be->cur = g;
    nd_be_pool_flush(be);     /* idle sessions were made with the old settings */
    NA_LOGI("backend", "inventory %s: %zu hosts (generation %u%s)", path, na_inv_count(g->inv),
            g->gen, old ? ", replacing the previous one" : "");
    return 0;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

json_t *nd_be_inventory_json(nd_be *be)
{
    json_t *hosts = json_object(), *groups = json_object();
    if (!be->cur)
        return json_pack("{s:n,s:o,s:o}", "inventory", "hosts", hosts, "groups", groups);
    const na_inventory *inv = be->cur->inv;
    for (size_t i = 0; i < na_inv_group_count(inv); i++)
        json_object_set_new(groups, na_inv_group_name(inv, i), json_pack("{s:[]}", "hosts"));
    for (size_t i = 0; i < na_inv_count(inv); i++) {
        const na_inv_host *h = na_inv_host_at(inv, i);
        json_object_set_new(hosts, h->name, na_inv_host_json(h));
        for (size_t k = 0; k < h->n_groups; k++)
            json_array_append_new(json_object_get(json_object_get(groups, h->groups[k]), "hosts"),
                                  json_string(h->name));
    }
    return json_pack("{s:s,s:s,s:i,s:o,s:o}", "inventory", na_inv_path(inv), "format",
                     na_inv_get_format(inv) == NA_INV_ANSIBLE ? "ansible" : "native",
                     "generation", (int)be->cur->gen, "hosts", hosts, "groups", groups);
}

json_t *nd_be_host_json(nd_be *be, const char *name)
{
    const na_inv_host *h = be->cur ? na_inv_find(be->cur->inv, name) : NULL;
    return h ? na_inv_host_json(h) : NULL;
}

nd_be_hstat *nd_be_hstat_get(nd_be *be, const char *host)
{
    nd_be_hstat *s = na_strmap_get(be->hstat, host);
    if (s)
        return s;
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    s->reachable = -1;
    if (na_strmap_put(be->hstat, host, s) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void nd_be_hstat_contact(nd_be *be, const char *host, bool reached, const na_err *err)
{
    nd_be_hstat *s = nd_be_hstat_get(be, host);
    if (!s)
        return;
    int64_t now = na_wall_ms();
    s->last_try = now;
    s->reachable = reached ? 1 : 0;
    if (reached)
        s->last_seen = now;
    snprintf(s->last_error, sizeof s->last_error, "%s", na_err_isset(err) ? err->msg : "");
}

static json_t *ms_or_null(int64_t ms) { return ms ? json_integer(ms) : json_null(); }

json_t *nd_be_host_status(nd_be *be, const char *name)
{
    if (!be->cur || !na_inv_find(be->cur->inv, name))
        return NULL;
    nd_be_hstat *s = na_strmap_get(be->hstat, name);
    unsigned open = 0, idle = 0;
    nd_be_pool_host_counts(be, name, &open, &idle);
    if (s)
        open += s->job_sessions;
    return json_pack("{s:o,s:o,s:o,s:i,s:i,s:o}", "reachable",
                     !s || s->reachable < 0 ? json_null() : json_boolean(s->reachable),
                     "last_seen", ms_or_null(s ? s->last_seen : 0), "last_try",
                     ms_or_null(s ? s->last_try : 0), "sessions", (int)open, "idle_sessions",
                     (int)idle, "last_error",
                     s && s->last_error[0] ? na_run_text(s->last_error, strlen(s->last_error))
                                           : json_null());
}

json_t *nd_be_resolve_limit(nd_be *be, const char *limit, na_err *err)
{
    if (!be->cur) {
        na_err_set(err, NA_E_CONFIG, "netautod has no inventory (set 'inventory:' in its "
                                     "configuration)");
        return NULL;
    }
    na_inv_selection sel;
    if (na_inv_select(be->cur->inv, limit, &sel, err) < 0)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; a && i < sel.n; i++)
        json_array_append_new(a, json_string(sel.hosts[i]->name));
    na_inv_selection_free(&sel);
    if (a && json_array_size(a) == 0) {
        json_decref(a);
        na_err_set(err, NA_E_NOTFOUND, "the inventory has no hosts");
        return NULL;
    }
    if (!a)
        na_err_set(err, NA_E_NOMEM, "out of memory");
    return a;
}
