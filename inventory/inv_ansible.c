/* inv_ansible.c — Ansible YAML inventories, loaded unchanged: all/children/hosts/vars, the
 * connection variables netauto understands (ansible_host, ansible_port, ansible_user,
 * ansible_password, ansible_become_password, ansible_network_os, ansible_connection,
 * ansible_ssh_private_key_file and their older aliases) mapped onto native settings; every other
 * variable becomes a host var. Not INI inventories, not Jinja, not Ansible Vault. */
#include "inv_int.h"
#include "yjson.h"

#include <stdio.h>
#include <string.h>

#define ERR(node, ...) inv_err_at(inv, err, na_yline(node), na_ycol(node), __VA_ARGS__)

static int set_network_os(na_inventory *inv, inv_layer *l, const char *ctx, const char *key,
                          na_ynode *node, na_err *err)
{
    static const struct { const char *a, *b, *platform; } map[] = {
        {"cisco.ios.ios", "ios", "cisco_ios"},
        {"cisco.nxos.nxos", "nxos", "cisco_nxos"},
        {"arista.eos.eos", "eos", "arista_eos"},
    };
    const char *s = na_yscalar(node);
    if (!s || na_yis_null(node) || !*s)
        return ERR(node, "%s: %s must be a network OS name such as cisco.ios.ios", ctx, key);
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        if (!strcmp(s, map[i].a) || !strcmp(s, map[i].b)) {
            inv_set_raw(l, S_PLATFORM, key, node, map[i].platform, 0);
            return 0;
        }
    }
    if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s))
        return ERR(node, "%s: %s '%s' is not supported (netauto knows cisco.ios.ios, "
                         "cisco.nxos.nxos and arista.eos.eos, or a netauto platform name such as "
                         "generic)", ctx, key, s);
    /* a plain word is taken as a netauto platform name ("generic", "linux", "cisco_ios") */
    const char *c = inv_strdup(inv, s, err);
    if (!c)
        return -1;
    inv_set_raw(l, S_PLATFORM, key, node, c, 0);
    return 0;
}

static int set_connection(na_inventory *inv, inv_layer *l, const char *ctx, const char *key,
                          na_ynode *node, na_err *err)
{
    static const struct { const char *name; long t; } map[] = {
        {"network_cli", NA_TRANSPORT_SSH},
        {"ansible.netcommon.network_cli", NA_TRANSPORT_SSH},
        {"ssh", NA_TRANSPORT_SSH},
        {"ansible.builtin.ssh", NA_TRANSPORT_SSH},
        {"paramiko", NA_TRANSPORT_SSH},
        {"paramiko_ssh", NA_TRANSPORT_SSH},
        {"ansible.builtin.paramiko_ssh", NA_TRANSPORT_SSH},
        {"telnet", NA_TRANSPORT_TELNET},
    };
    const char *s = na_yscalar(node);
    for (size_t i = 0; s && i < sizeof map / sizeof *map; i++) {
        if (!strcmp(s, map[i].name)) {
            inv_set_raw(l, S_TRANSPORT, key, node, NULL, map[i].t);
            return 0;
        }
    }
    return ERR(node, "%s: %s '%s' is not supported (netauto connects with network_cli, ssh or "
                     "paramiko as SSH, or telnet)", ctx, key, s ? s : "");
}

/* Variables of a group or host: connection variables become settings, the rest vars. */
static int parse_vars(na_inventory *inv, na_ydoc *d, inv_layer *l, const char *ctx,
                      na_ynode *map, na_err *err)
{
    if (na_yis_null(map))
        return 0;
    if (!na_yis_map(map))
        return ERR(map, "%s: variables must be a mapping", ctx);
    size_t n = na_ymap_len(map);
    for (size_t i = 0; i < n; i++) {
        na_ynode *k = na_ymap_key(d, map, i);
        na_ynode *v = na_ymap_val(d, map, i);
        const char *ks = na_yscalar(k);
        if (!ks)
            return ERR(k, "%s: variable names must be strings", ctx);
        int rc = 1;
        if (!strcmp(ks, "ansible_host") || !strcmp(ks, "ansible_ssh_host"))
            rc = inv_set_string(inv, d, l, ctx, S_HOST, ks[8] == 's' ? "ansible_ssh_host"
                                                                     : "ansible_host", v, err);
        else if (!strcmp(ks, "ansible_port") || !strcmp(ks, "ansible_ssh_port"))
            rc = inv_set_port(inv, d, l, ctx, S_PORT, ks[8] == 's' ? "ansible_ssh_port"
                                                                   : "ansible_port", v, err);
        else if (!strcmp(ks, "ansible_user") || !strcmp(ks, "ansible_ssh_user"))
            rc = inv_set_string(inv, d, l, ctx, S_USERNAME, ks[8] == 's' ? "ansible_ssh_user"
                                                                         : "ansible_user", v, err);
        else if (!strcmp(ks, "ansible_password"))
            rc = inv_set_secret(inv, d, l, ctx, S_PASSWORD, "ansible_password", v, err);
        else if (!strcmp(ks, "ansible_ssh_pass"))
            rc = inv_set_secret(inv, d, l, ctx, S_PASSWORD, "ansible_ssh_pass", v, err);
        else if (!strcmp(ks, "ansible_become_password"))
            rc = inv_set_secret(inv, d, l, ctx, S_SECRET, "ansible_become_password", v, err);
        else if (!strcmp(ks, "ansible_become_pass"))
            rc = inv_set_secret(inv, d, l, ctx, S_SECRET, "ansible_become_pass", v, err);
        else if (!strcmp(ks, "ansible_ssh_private_key_file"))
            rc = inv_set_path(inv, d, l, ctx, S_KEY_FILE, "ansible_ssh_private_key_file", v, err);
        else if (!strcmp(ks, "ansible_network_os"))
            rc = set_network_os(inv, l, ctx, "ansible_network_os", v, err);
        else if (!strcmp(ks, "ansible_connection"))
            rc = set_connection(inv, l, ctx, "ansible_connection", v, err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        /* an ordinary variable */
        json_t *j = na_ynode_to_json(d, v, err);
        if (!j)
            return -1;
        if (!l->vars && !(l->vars = json_object())) {
            json_decref(j);
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        }
        if (json_object_set_new(l->vars, ks, j) < 0)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    return 0;
}

static size_t group_for(na_inventory *inv, na_ynode *k, const char *name, na_err *err)
{
    size_t g = inv_group_index(inv, name);
    if (g != (size_t)-1)
        return g;
    if (!inv_valid_name(name)) {
        ERR(k, "bad group name '%s' (no spaces or any of , : ! &)", name);
        return (size_t)-1;
    }
    const char *c = inv_strdup(inv, name, err);
    return c ? inv_add_group(inv, c, na_yline(k), na_ycol(k), err) : (size_t)-1;
}

/* Sections in Ansible's own order: vars, children, hosts (so hosts of child groups come first
 * in inventory order, as with ansible-inventory). */
static int parse_group(na_inventory *inv, na_ydoc *d, size_t gi, na_ynode *node, int depth,
                       na_err *err)
{
    static const char *const keys[] = {"hosts", "children", "vars", NULL};
    char ctx[300];
    snprintf(ctx, sizeof ctx, "group '%s'", inv->groups[gi].name);
    if (depth > 64)
        return ERR(node, "%s: children nested too deeply", ctx);
    if (na_yis_null(node))
        return 0;
    if (!na_yis_map(node))
        return ERR(node, "%s must be a mapping with hosts, children and vars", ctx);
    if (na_ycheck_keys(d, node, keys, ctx, err) < 0)
        return -1;
    if (parse_vars(inv, d, gi == 0 ? &inv->defaults : &inv->groups[gi].layer, ctx,
                   na_ymap_get(d, node, "vars"), err) < 0)
        return -1;
    na_ynode *children = na_ymap_get(d, node, "children");
    if (children && !na_yis_null(children)) {
        if (!na_yis_map(children))
            return ERR(children, "%s: children must be a mapping of group names", ctx);
        size_t n = na_ymap_len(children);
        for (size_t i = 0; i < n; i++) {
            na_ynode *k = na_ymap_key(d, children, i);
            const char *name = na_yscalar(k);
            if (!name)
                return ERR(k, "%s: group names must be strings", ctx);
            if (!strcmp(name, "all"))
                return ERR(k, "%s: 'all' cannot be a child group", ctx);
            size_t ci = group_for(inv, k, name, err);
            if (ci == (size_t)-1)
                return -1;
            if (gi != 0 && inv_add_link(&inv->groups[ci].parents, &inv->groups[ci].n_parents,
                                        &inv->groups[ci].cap_parents, gi, na_yline(k),
                                        na_ycol(k), err) < 0)
                return -1;
            if (parse_group(inv, d, ci, na_ymap_val(d, children, i), depth + 1, err) < 0)
                return -1;
        }
    }
    na_ynode *hosts = na_ymap_get(d, node, "hosts");
    if (hosts && !na_yis_null(hosts)) {
        if (!na_yis_map(hosts))
            return ERR(hosts, "%s: hosts must be a mapping of host names", ctx);
        size_t n = na_ymap_len(hosts);
        for (size_t i = 0; i < n; i++) {
            na_ynode *k = na_ymap_key(d, hosts, i);
            const char *name = na_yscalar(k);
            if (!name || !inv_valid_name(name))
                return ERR(k, "bad host name '%s' (no spaces or any of , : ! &)",
                           name ? name : "");
            size_t hi = inv_host_index(inv, name);
            if (hi == (size_t)-1) {
                const char *c = inv_strdup(inv, name, err);
                hi = c ? inv_add_host(inv, c, na_yline(k), na_ycol(k), err) : (size_t)-1;
                if (hi == (size_t)-1)
                    return -1;
            }
            inv_hostdef *h = &inv->hosts[hi];
            if (gi != 0 && inv_add_link(&h->groups, &h->n_groups, &h->cap_groups, gi,
                                        na_yline(k), na_ycol(k), err) < 0)
                return -1;
            char hctx[300];
            snprintf(hctx, sizeof hctx, "host '%s'", name);
            if (parse_vars(inv, d, &h->layer, hctx, na_ymap_val(d, hosts, i), err) < 0)
                return -1;
        }
    }
    return 0;
}

int inv_load_ansible(na_inventory *inv, na_ydoc *d, na_ynode *root, na_err *err)
{
    size_t n = na_ymap_len(root);
    for (size_t i = 0; i < n; i++) {
        na_ynode *k = na_ymap_key(d, root, i);
        const char *name = na_yscalar(k);
        if (!name)
            return ERR(k, "group names must be strings");
        size_t gi = !strcmp(name, "all") ? 0 : group_for(inv, k, name, err);
        if (gi == (size_t)-1)
            return -1;
        if (parse_group(inv, d, gi, na_ymap_val(d, root, i), 0, err) < 0)
            return -1;
    }
    /* Ansible's "ungrouped": hosts in no group but "all" */
    size_t ug = inv_group_index(inv, "ungrouped");
    for (size_t i = 0; i < inv->n_hosts; i++) {
        inv_hostdef *h = &inv->hosts[i];
        if (ug != (size_t)-1 && h->n_groups > 1) { /* listed in ungrouped and elsewhere */
            for (size_t j = 0; j < h->n_groups; j++) {
                if (h->groups[j].to == ug) {
                    memmove(&h->groups[j], &h->groups[j + 1],
                            (h->n_groups - j - 1) * sizeof *h->groups);
                    h->n_groups--;
                    break;
                }
            }
        }
        if (h->n_groups > 0)
            continue;
        if (ug == (size_t)-1) {
            const char *c = inv_strdup(inv, "ungrouped", err);
            if (!c || (ug = inv_add_group(inv, c, 0, 0, err)) == (size_t)-1)
                return -1;
            h = &inv->hosts[i];
        }
        if (inv_add_link(&h->groups, &h->n_groups, &h->cap_groups, ug, h->line, h->col, err) < 0)
            return -1;
    }
    return 0;
}
