/* inv_native.c — the native inventory format (docs/inventory.md): top-level keys, defaults,
 * groups with parents, hosts with groups; plus the group-cycle check both formats share.
 * Not the settings themselves (inv_settings.c) and not precedence (inv_resolve.c). */
#include "inv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR(node, ...) na_inv_err_at(inv, err, na_yline(node), na_ycol(node), __VA_ARGS__)

/* na_inv_setting_keys plus one extra key. */
static void keys_plus(const char **out, size_t cap, const char *extra)
{
    size_t n = 0;
    for (; na_inv_setting_keys[n] && n + 2 < cap; n++)
        out[n] = na_inv_setting_keys[n];
    out[n++] = extra;
    out[n] = NULL;
}

/* Parse the settings of one place (defaults/group/host) into l; `extra` is the one non-setting
 * key allowed there (NULL for defaults), returned in *extra_node. */
static int parse_place(na_inventory *inv, na_ydoc *d, na_ynode *map, inv_layer *l,
                       const char *ctx, const char *extra, na_ynode **extra_node, na_err *err)
{
    if (na_yis_null(map))
        return 0;
    if (!na_yis_map(map))
        return ERR(map, "%s must be a mapping of settings", ctx);
    const char *keys[40];
    if (extra)
        keys_plus(keys, sizeof keys / sizeof *keys, extra);
    if (na_ycheck_keys(d, map, extra ? keys : na_inv_setting_keys, ctx, err) < 0)
        return -1;
    size_t n = na_ymap_len(map);
    for (size_t i = 0; i < n; i++) {
        na_ynode *k = na_ymap_key(d, map, i);
        const char *ks = na_yscalar(k);
        na_ynode *v = na_ymap_val(d, map, i);
        if (extra && !strcmp(ks, extra)) {
            *extra_node = v;
            continue;
        }
        if (na_inv_setting(inv, d, l, ctx, ks, k, v, err) < 0)
            return -1;
    }
    return 0;
}

/* A list of group names (or one name) -> links. implicit: a name not defined under `groups`
 * becomes an empty group (hosts' lists); otherwise it is an error (parents). */
static int name_links(na_inventory *inv, na_ydoc *d, na_ynode *list, const char *ctx,
                      const char *key, bool implicit, inv_link **a, size_t *n, size_t *cap,
                      na_err *err)
{
    if (na_yis_null(list))
        return 0;
    size_t len = na_yis_seq(list) ? na_yseq_len(list) : 1;
    if (na_yis_map(list))
        return ERR(list, "%s: %s must be a list of group names", ctx, key);
    for (size_t i = 0; i < len; i++) {
        na_ynode *it = na_yis_seq(list) ? na_yseq_item(d, list, i) : list;
        const char *s = na_yscalar(it);
        if (!s || na_yis_null(it))
            return ERR(it, "%s: %s must be a list of group names", ctx, key);
        if (!strcmp(s, "all"))
            continue; /* every host is in "all" anyway */
        size_t g = na_inv_group_index(inv, s);
        if (g == (size_t)-1 && implicit) { /* a tag-like group with no settings, as in Ansible */
            if (!na_inv_valid_name(s))
                return ERR(it, "%s: bad group name '%s' (no spaces or any of , : ! &)", ctx, s);
            const char *c = na_inv_strdup(inv, s, err);
            if (!c || (g = na_inv_add_group(inv, c, na_yline(it), na_ycol(it), err)) == (size_t)-1)
                return -1;
        }
        if (g == (size_t)-1)
            return ERR(it, "%s: unknown group '%s' in %s", ctx, s, key);
        if (na_inv_add_link(a, n, cap, g, na_yline(it), na_ycol(it), err) < 0)
            return -1;
    }
    return 0;
}

static int parse_groups(na_inventory *inv, na_ydoc *d, na_ynode *groups, na_err *err)
{
    if (na_yis_null(groups))
        return 0;
    if (!na_yis_map(groups))
        return ERR(groups, "groups must be a mapping of group names");
    size_t n = na_ymap_len(groups);
    /* first pass: names, so parents may refer to groups defined later */
    for (size_t i = 0; i < n; i++) {
        na_ynode *k = na_ymap_key(d, groups, i);
        const char *name = na_yscalar(k);
        if (!name || !na_inv_valid_name(name))
            return ERR(k, "bad group name '%s' (no spaces or any of , : ! &)", name ? name : "");
        if (!strcmp(name, "all"))
            return ERR(k, "group name 'all' is reserved (every host is in it; use defaults)");
        const char *c = na_inv_strdup(inv, name, err);
        if (!c || na_inv_add_group(inv, c, na_yline(k), na_ycol(k), err) == (size_t)-1)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        inv_group *g = &inv->groups[i + 1];
        char ctx[300];
        snprintf(ctx, sizeof ctx, "group '%s'", g->name);
        na_ynode *parents = NULL;
        if (parse_place(inv, d, na_ymap_val(d, groups, i), &g->layer, ctx, "parents", &parents,
                        err) < 0)
            return -1;
        if (parents && name_links(inv, d, parents, ctx, "parents", false, &g->parents, &g->n_parents,
                                  &g->cap_parents, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_hosts(na_inventory *inv, na_ydoc *d, na_ynode *hosts, na_err *err)
{
    if (na_yis_null(hosts))
        return 0;
    if (!na_yis_map(hosts))
        return ERR(hosts, "hosts must be a mapping of host names");
    size_t n = na_ymap_len(hosts);
    for (size_t i = 0; i < n; i++) {
        na_ynode *k = na_ymap_key(d, hosts, i);
        const char *name = na_yscalar(k);
        if (!name || !na_inv_valid_name(name))
            return ERR(k, "bad host name '%s' (no spaces or any of , : ! &)", name ? name : "");
        const char *c = na_inv_strdup(inv, name, err);
        size_t hi = c ? na_inv_add_host(inv, c, na_yline(k), na_ycol(k), err) : (size_t)-1;
        if (hi == (size_t)-1)
            return -1;
        inv_hostdef *h = &inv->hosts[hi];
        char ctx[300];
        snprintf(ctx, sizeof ctx, "host '%s'", name);
        na_ynode *groups = NULL;
        if (parse_place(inv, d, na_ymap_val(d, hosts, i), &h->layer, ctx, "groups", &groups,
                        err) < 0)
            return -1;
        if (groups && name_links(inv, d, groups, ctx, "groups", true, &h->groups, &h->n_groups,
                                 &h->cap_groups, err) < 0)
            return -1;
    }
    return 0;
}

int na_inv_load_native(na_inventory *inv, na_ydoc *d, na_ynode *root, na_err *err)
{
    static const char *const top[] = {"vault", "platform_dirs", "templates", "defaults",
                                      "groups", "hosts", NULL};
    if (na_ycheck_keys(d, root, top, "the inventory", err) < 0)
        return -1;
    na_ynode *v = na_ymap_get(d, root, "vault");
    if (v) {
        const char *s = na_yscalar(v);
        if (!s || !*s || na_yis_null(v))
            return ERR(v, "vault must be the path of a vault file");
        if (!(inv->vault_path = na_inv_resolve_path(inv, s, err)))
            return -1;
        inv->vault_line = na_yline(v);
        inv->vault_col = na_ycol(v);
    }
    na_ynode *td = na_ymap_get(d, root, "templates");
    if (td && !na_yis_null(td)) {
        const char *s = na_yscalar(td);
        if (!s || !*s)
            return ERR(td, "templates must be a directory of TextFSM templates with an index");
        if (!(inv->templates_dir = na_inv_resolve_path(inv, s, err)))
            return -1;
    }
    na_ynode *pd = na_ymap_get(d, root, "platform_dirs");
    if (pd && !na_yis_null(pd)) {
        size_t len = na_yis_seq(pd) ? na_yseq_len(pd) : 1;
        if (na_yis_map(pd))
            return ERR(pd, "platform_dirs must be a list of directories");
        inv->platform_dirs = na_inv_alloc(inv, (len + 1) * sizeof(char *), err);
        if (!inv->platform_dirs)
            return -1;
        for (size_t i = 0; i < len; i++) {
            na_ynode *it = na_yis_seq(pd) ? na_yseq_item(d, pd, i) : pd;
            const char *s = na_yscalar(it);
            if (!s || !*s || na_yis_null(it))
                return ERR(it, "platform_dirs must be a list of directories");
            if (!(inv->platform_dirs[i] = na_inv_resolve_path(inv, s, err)))
                return -1;
        }
        inv->n_platform_dirs = len;
    }
    if (parse_place(inv, d, na_ymap_get(d, root, "defaults"), &inv->defaults, "defaults", NULL,
                    NULL, err) < 0)
        return -1;
    if (parse_groups(inv, d, na_ymap_get(d, root, "groups"), err) < 0)
        return -1;
    return parse_hosts(inv, d, na_ymap_get(d, root, "hosts"), err);
}

/* ---- group cycles (both formats) ----------------------------------------------------------- */

static int cycle_error(na_inventory *inv, const size_t *stack, size_t sp, size_t from,
                       const inv_link *closing, na_err *err)
{
    /* stack[from..sp] followed by closing->to (== stack[from]) is the loop, in parent order */
    char path[400] = "";
    size_t o = 0, len = sp - from + 2;
    bool rev = inv->format == NA_INV_ANSIBLE; /* Ansible users think in children */
    for (size_t i = 0; i < len && o < sizeof path - 1; i++) {
        size_t k = rev ? len - 1 - i : i;
        size_t g = k == len - 1 ? closing->to : stack[from + k];
        o += (size_t)snprintf(path + o, sizeof path - o, "%s%s", i ? " -> " : "",
                              inv->groups[g].name);
    }
    /* the reference is written in the child's parents (native) or the parent's children */
    size_t where = rev ? closing->to : stack[sp];
    inv_val at = {.line = closing->line, .col = closing->col, .origin = closing->origin};
    return na_inv_val_err(inv, err, &at, "group '%s': %s form a cycle: %s",
                       inv->groups[where].name, inv->ctx_kind, path);
}

/* Groups nested deeper than INV_MAX_GROUP_DEPTH: every walk over parents recurses that deep. */
static int too_deep(na_inventory *inv, const inv_group *G, const inv_link *l, na_err *err)
{
    inv_val at = {.line = l->line, .col = l->col, .origin = l->origin};
    return na_inv_val_err(inv, err, &at, "group '%s': groups nested more than %d levels deep "
                       "(through %s)", G->name, INV_MAX_GROUP_DEPTH, inv->ctx_kind);
}

static int dfs(na_inventory *inv, size_t g, size_t *stack, size_t sp, na_err *err)
{
    inv_group *G = &inv->groups[g];
    if (G->mark == 2)
        return 0;
    G->mark = 1;
    stack[sp] = g;
    int depth = g == 0 ? 0 : 1;
    for (size_t i = 0; i < G->n_parents; i++) {
        const inv_link *l = &G->parents[i];
        inv_group *P = &inv->groups[l->to];
        if (P->mark == 1) {
            size_t from = 0;
            while (stack[from] != l->to)
                from++;
            return cycle_error(inv, stack, sp, from, l, err);
        }
        if (sp + 1 > INV_MAX_GROUP_DEPTH)
            return too_deep(inv, G, l, err);
        if (dfs(inv, l->to, stack, sp + 1, err) < 0)
            return -1;
        G = &inv->groups[g];
        if (P->depth + 1 > depth)
            depth = P->depth + 1;
        if (depth > INV_MAX_GROUP_DEPTH)
            return too_deep(inv, G, l, err);
    }
    G->depth = depth;
    G->mark = 2;
    return 0;
}

int na_inv_check_cycles(na_inventory *inv, na_err *err)
{
    size_t *stack = malloc((inv->n_groups + 1) * sizeof *stack);
    if (!stack)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    int rc = 0;
    for (size_t g = 0; g < inv->n_groups && rc == 0; g++)
        rc = dfs(inv, g, stack, 0, err);
    free(stack);
    return rc;
}
