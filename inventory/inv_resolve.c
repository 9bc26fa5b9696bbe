/* inv_resolve.c — turns layers into resolved hosts: group precedence order (native: the host's
 * order with parents first; Ansible: by depth then name), last-set-wins per setting, vars merged
 * key by key, ports per transport, secrets (${ENV_VAR}, ${vault:NAME}), jump hosts and the
 * na_conn_params the transports take. Not parsing: the layers arrive validated. */
#include "inv_ans_int.h"
#include "secret.h"
#include "ssh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERR(v, ...) na_inv_val_err(inv, err, (v), __VA_ARGS__)

/* ---- group order --------------------------------------------------------------------------- */

static void visit_native(na_inventory *inv, size_t g, unsigned char *seen, size_t *out, size_t *n)
{
    if (seen[g])
        return;
    seen[g] = 1;
    const inv_group *G = &inv->groups[g];
    for (size_t i = 0; i < G->n_parents; i++)
        visit_native(inv, G->parents[i].to, seen, out, n);
    out[(*n)++] = g;
}

static void visit_closure(na_inventory *inv, size_t g, unsigned char *seen, size_t *out,
                          size_t *n)
{
    if (seen[g])
        return;
    seen[g] = 1;
    out[(*n)++] = g;
    const inv_group *G = &inv->groups[g];
    for (size_t i = 0; i < G->n_parents; i++)
        visit_closure(inv, G->parents[i].to, seen, out, n);
}

static int cmp_ansible(const void *a, const void *b, void *ud)
{
    const na_inventory *inv = ud;
    const inv_group *x = &inv->groups[*(const size_t *)a], *y = &inv->groups[*(const size_t *)b];
    if (x->depth != y->depth) /* Ansible's sort_groups: (depth, priority, name) */
        return x->depth < y->depth ? -1 : 1;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Count n entries of host h's resolved data against INV_MAX_RESOLVED. */
static int charge(na_inventory *inv, const inv_hostdef *h, size_t n, na_err *err)
{
    inv->resolved += n;
    if (inv->resolved <= INV_MAX_RESOLVED)
        return 0;
    return na_inv_err_at(inv, err, h->line, h->col, "host '%s': the inventory is too large once "
                      "resolved: its %zu hosts' groups and inherited vars pass %d entries (large "
                      "vars shared by many hosts?)", h->pub.name, inv->n_hosts, INV_MAX_RESOLVED);
}

static int group_order(na_inventory *inv, inv_hostdef *h, unsigned char *seen, size_t *scratch,
                       na_err *err)
{
    size_t n = 0;
    seen[0] = 1;
    scratch[n++] = 0; /* "all" */
    for (size_t i = 0; i < h->n_groups; i++) {
        if (inv->format == NA_INV_NATIVE)
            visit_native(inv, h->groups[i].to, seen, scratch, &n);
        else
            visit_closure(inv, h->groups[i].to, seen, scratch, &n);
    }
    for (size_t i = 0; i < n; i++)
        seen[scratch[i]] = 0;
    if (charge(inv, h, n, err) < 0)
        return -1;
    if (inv->format == NA_INV_ANSIBLE)
        qsort_r(scratch + 1, n - 1, sizeof *scratch, cmp_ansible, inv);
    h->order = na_inv_alloc(inv, n * sizeof *h->order, err);
    const char **names = na_inv_alloc(inv, (n + 1) * sizeof *names, err);
    if (!h->order || !names)
        return -1;
    for (size_t i = 0; i < n; i++) {
        h->order[i] = scratch[i];
        names[i] = inv->groups[scratch[i]].name;
    }
    h->n_order = n;
    h->pub.groups = names;
    h->pub.n_groups = n;
    return 0;
}

/* ---- values -------------------------------------------------------------------------------- */

/* The winning value of slot for host h (last layer that sets it), or NULL. */
static inv_val *pick(na_inventory *inv, inv_hostdef *h, int slot)
{
    if (h->layer.v[slot].set)
        return &h->layer.v[slot];
    for (size_t i = h->n_order; i-- > 1;) {
        inv_val *v = &inv->groups[h->order[i]].layer.v[slot];
        if (v->set)
            return v;
    }
    return inv->defaults.v[slot].set ? &inv->defaults.v[slot] : NULL;
}

static int open_vault(na_inventory *inv, const char *host, inv_val *v, na_err *err)
{
    if (inv->vault)
        return 0;
    if (!inv->vault_path)
        return VERR(v, "host '%s': %s refers to ${vault:%s} but the inventory names no vault "
                       "file (add 'vault: FILE')", host, v->key, v->s);
    const na_inv_opts *o = inv->opts;
    char *pass = na_vault_passphrase(inv->vault_path, o->vault_password, o->vault_password_file,
                                     o->prompt, o->prompt_ud, false, err);
    if (!pass)
        return -1;
    inv->vault = na_vault_open(inv->vault_path, pass, err);
    na_secret_free(pass);
    if (!inv->vault && err && err->code == NA_E_NOTFOUND) /* keep it an inventory problem */
        err->code = NA_E_CONFIG;
    return inv->vault ? 0 : -1;
}

static int resolve_secret(na_inventory *inv, const char *host, inv_val *v, const char **out,
                          na_err *err)
{
    *out = NULL;
    if (!v)
        return 0;
    if (!v->resolved) {
        if (v->n == SEC_ENV) {
            const char *e = getenv(v->s);
            if (!e)
                return VERR(v, "host '%s': %s: environment variable %s is not set", host, v->key,
                            v->s);
            if (!(v->resolved = na_inv_secret(inv, e, err)))
                return -1;
        } else if (v->n == SEC_VAULT) {
            if (open_vault(inv, host, v, err) < 0)
                return -1;
            const char *s = na_vault_get(inv->vault, v->s);
            if (!s)
                return VERR(v, "host '%s': %s: '%s' is not in vault %s", host, v->key, v->s,
                            inv->vault_path);
            v->resolved = s;
        }
    }
    *out = v->resolved;
    return 0;
}

static const char *str_or(inv_val *v, const char *dflt) { return v ? v->s : dflt; }

static int resolve_host(na_inventory *inv, inv_hostdef *h, na_err *err)
{
    na_inv_host *p = &h->pub;
    const char *name = p->name;
    inv_val *t = pick(inv, h, S_TRANSPORT), *port = pick(inv, h, S_PORT);
    inv_val *sp = pick(inv, h, S_SSH_PORT), *tp = pick(inv, h, S_TELNET_PORT);
    p->transport = t ? (na_transport_kind)t->n : NA_TRANSPORT_SSH;
    p->ssh_port = sp ? (int)sp->n : (port && p->transport == NA_TRANSPORT_SSH) ? (int)port->n : 22;
    p->telnet_port = tp ? (int)tp->n
                        : (port && p->transport == NA_TRANSPORT_TELNET) ? (int)port->n : 23;
    p->address = str_or(pick(inv, h, S_HOST), name);
    p->platform = str_or(pick(inv, h, S_PLATFORM), "generic");
    p->username = str_or(pick(inv, h, S_USERNAME), NULL);
    p->jump = str_or(pick(inv, h, S_JUMP_HOST), NULL);
    const char *key_pass = NULL;
    if (resolve_secret(inv, name, pick(inv, h, S_PASSWORD), &p->password, err) < 0 ||
        resolve_secret(inv, name, pick(inv, h, S_SECRET), &p->secret, err) < 0 ||
        resolve_secret(inv, name, pick(inv, h, S_KEY_PASSPHRASE), &key_pass, err) < 0)
        return -1;

    na_conn_params c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.host = p->address;
    c.username = p->username;
    c.password = p->password;
    c.key_file = str_or(pick(inv, h, S_KEY_FILE), NULL);
    c.key_passphrase = key_pass;
    inv_val *v = pick(inv, h, S_USE_AGENT);
    c.use_agent = !v ? NA_AGENT_DEFAULT : v->n ? NA_AGENT_YES : NA_AGENT_NO;
    v = pick(inv, h, S_HOST_KEY_POLICY);
    c.host_key_policy = v ? (na_hostkey_policy)v->n : NA_HOSTKEY_STRICT;
    c.host_key_policy_given = v != NULL;
    /* OpenSSH's habits for SSH: what is not set here comes from ssh_config, then defaults */
    c.ssh_config = str_or(pick(inv, h, S_SSH_CONFIG), NA_SSH_CONFIG_DEFAULT);
    c.known_hosts = str_or(pick(inv, h, S_KNOWN_HOSTS), NULL);
    c.algos.kex = str_or(pick(inv, h, S_ALG_KEX), NULL);
    c.algos.host_keys = str_or(pick(inv, h, S_ALG_HOST_KEYS), NULL);
    c.algos.ciphers = str_or(pick(inv, h, S_ALG_CIPHERS), NULL);
    c.algos.macs = str_or(pick(inv, h, S_ALG_MACS), NULL);
    int *to[] = {&c.timeouts.connect_ms, &c.timeouts.negotiate_ms, &c.timeouts.auth_ms,
                 &c.timeouts.shell_ms, &c.timeouts.command_ms};
    for (int i = 0; i < 5; i++) {
        v = pick(inv, h, S_TO_CONNECT + i);
        *to[i] = v ? (int)v->n : 0;
    }
    p->ssh = c;
    /* a port set in the inventory wins over ssh_config; unset (0) lets ssh_config's Port in */
    p->ssh.port = sp || (port && p->transport == NA_TRANSPORT_SSH) ? p->ssh_port : 0;
    p->telnet = c;
    p->telnet.port = p->telnet_port;

    /* vars: defaults < groups in order < host, key by key (counted before they are copied) */
    size_t keys = json_object_size(inv->defaults.vars) + json_object_size(h->layer.vars);
    for (size_t i = 1; i < h->n_order; i++)
        keys += json_object_size(inv->groups[h->order[i]].layer.vars);
    if (charge(inv, h, keys, err) < 0)
        return -1;
    if (!(p->vars = json_object()))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (inv->defaults.vars && json_object_update(p->vars, inv->defaults.vars) < 0)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 1; i < h->n_order; i++) {
        json_t *gv = inv->groups[h->order[i]].layer.vars;
        if (gv && json_object_update(p->vars, gv) < 0)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (h->layer.vars && json_object_update(p->vars, h->layer.vars) < 0)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

/* ---- jump hosts ---------------------------------------------------------------------------- */

/* "[user@]host[:port]" with "[v6]" brackets. Fills host/user/port into arena strings. */
static int parse_jump(na_inventory *inv, inv_hostdef *h, inv_val *v, na_err *err)
{
    const char *s = v->s;
    const char *at = strrchr(s, '@');
    const char *hs = at ? at + 1 : s;
    char user[256] = "", host[512] = "";
    long port = 0; /* not given: ssh_config's Port, else 22 */
    if (at) {
        size_t ul = (size_t)(at - s);
        if (ul == 0 || ul >= sizeof user)
            return VERR(v, "host '%s': jump_host '%s': bad user name", h->pub.name, s);
        memcpy(user, s, ul);
        user[ul] = '\0';
    }
    const char *colon;
    if (*hs == '[') {
        const char *rb = strchr(hs, ']');
        if (!rb || rb == hs + 1 || (rb[1] && rb[1] != ':'))
            return VERR(v, "host '%s': jump_host '%s': bad [address]", h->pub.name, s);
        snprintf(host, sizeof host, "%.*s", (int)(rb - hs - 1), hs + 1);
        colon = rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = strchr(hs, ':');
        size_t hl = colon ? (size_t)(colon - hs) : strlen(hs);
        if (hl == 0 || hl >= sizeof host || (colon && strchr(colon + 1, ':')))
            return VERR(v, "host '%s': jump_host '%s': expected user@host:port", h->pub.name, s);
        memcpy(host, hs, hl);
        host[hl] = '\0';
    }
    if (colon) {
        char *end;
        port = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || port < 1 || port > 65535)
            return VERR(v, "host '%s': jump_host '%s': port must be from 1 to 65535", h->pub.name,
                        s);
    }
    na_conn_params *j = &h->jump_params;
    *j = h->pub.ssh; /* the host's own credentials, keys, policy, algorithms and timeouts */
    j->name = s;
    j->jump = NULL;
    j->no_shell = true;
    j->port = (int)port;
    if (!(j->host = na_inv_strdup(inv, host, err)))
        return -1;
    if (at && !(j->username = na_inv_strdup(inv, user, err)))
        return -1;
    h->pub.ssh.jump = j;
    return 0;
}

static int resolve_jumps(na_inventory *inv, inv_val **jv, na_err *err)
{
    for (size_t i = 0; i < inv->n_hosts; i++) {
        inv_hostdef *h = &inv->hosts[i];
        inv_val *v = jv[i];
        if (!v)
            continue;
        size_t j = na_inv_host_index(inv, v->s);
        if (j != (size_t)-1) {
            h->pub.jump_host = &inv->hosts[j].pub;
            h->pub.ssh.jump = &inv->hosts[j].pub.ssh;
        } else if (strchr(v->s, '@') || strchr(v->s, ':') || v->s[0] == '[') {
            if (parse_jump(inv, h, v, err) < 0)
                return -1;
        } else {
            return VERR(v, "host '%s': jump_host '%s' is not a host in this inventory (or write "
                           "user@host:port)", h->pub.name, v->s);
        }
    }
    /* A chain that comes back to where it started would never connect. Each chain is followed
     * once (0 new, 1 on the chain being followed, 2 done): linear however long the chains are
     * (following every chain from every host was quadratic). The loop reported is the one
     * through the first host, in file order, that lies on a loop. */
    unsigned char *color = calloc(inv->n_hosts + 1, 1);
    if (!color)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t first = (size_t)-1;
    for (size_t i = 0; i < inv->n_hosts; i++) {
        size_t j = i;
        const na_inv_host *p = NULL;
        while (color[j] == 0) {
            color[j] = 1;
            if (!(p = inv->hosts[j].pub.jump_host))
                break;
            j = p->index;
        }
        if (p && color[j] == 1) { /* came back onto this chain: j is on a loop */
            size_t k = j, lo = j;
            do {
                k = inv->hosts[k].pub.jump_host->index;
                if (k < lo)
                    lo = k;
            } while (k != j);
            if (lo < first)
                first = lo;
        }
        for (size_t k = i; k != (size_t)-1 && color[k] == 1;) {
            color[k] = 2;
            const na_inv_host *q = inv->hosts[k].pub.jump_host;
            k = q ? q->index : (size_t)-1;
        }
    }
    free(color);
    if (first != (size_t)-1) {
        const na_inv_host *start = &inv->hosts[first].pub;
        char path[400];
        size_t o = (size_t)snprintf(path, sizeof path, "%s", start->name);
        const na_inv_host *q = start->jump_host;
        for (;;) {
            o += (size_t)snprintf(path + o, sizeof path - o, " -> %s", q->name);
            if (q == start || o >= sizeof path)
                break;
            q = q->jump_host;
        }
        return VERR(jv[first], "host '%s': jump hosts form a loop: %s", start->name, path);
    }
    return 0;
}

/* Read each ssh_config file SSH hosts use now, so a syntax error in it is an input error
 * (exit status 2, nothing sent) rather than a failure of every host. */
static int check_ssh_configs(na_inventory *inv, na_err *err)
{
    const char *done[16];
    size_t ndone = 0;
    for (size_t i = 0; i < inv->n_hosts; i++) {
        inv_hostdef *h = &inv->hosts[i];
        const char *path = h->pub.ssh.ssh_config;
        if (h->pub.transport != NA_TRANSPORT_SSH || !path)
            continue;
        bool seen = false;
        for (size_t j = 0; j < ndone && !seen; j++)
            seen = !strcmp(done[j], path);
        if (seen)
            continue;
        if (ndone < sizeof done / sizeof *done)
            done[ndone++] = path;
        na_err e = NA_ERR_INIT;
        if (na_ssh_check_config(path, &e) == 0)
            continue;
        inv_val *v = pick(inv, h, S_SSH_CONFIG);
        if (v)
            return VERR(v, "host '%s': %s", h->pub.name, e.msg);
        return na_err_set(err, e.code, "%s (the default ssh_config of host '%s'; set "
                          "ssh_config: none to ignore it)", e.msg, h->pub.name);
    }
    return 0;
}

int na_inv_resolve(na_inventory *inv, na_err *err)
{
    unsigned char *seen = calloc(inv->n_groups + 1, 1);
    size_t *scratch = malloc((inv->n_groups + 1) * sizeof *scratch);
    inv_val **jv = calloc(inv->n_hosts + 1, sizeof *jv);
    int rc = 0;
    bool ansible = inv->ans != NULL;
    if (!seen || !scratch || !jv)
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    if (rc == 0 && ansible)
        rc = na_inv_ans_resolve_begin(inv, err);
    for (size_t i = 0; rc == 0 && i < inv->n_hosts; i++) {
        inv_hostdef *h = &inv->hosts[i];
        rc = group_order(inv, h, seen, scratch, err);
        if (rc == 0 && ansible) /* Ansible's variables, and settings from them */
            rc = na_inv_ans_resolve_host(inv, h, err);
        if (rc == 0)
            rc = resolve_host(inv, h, err);
        if (rc == 0)
            jv[i] = pick(inv, h, S_JUMP_HOST);
    }
    if (ansible)
        na_inv_ans_resolve_end(inv);
    if (rc == 0)
        rc = resolve_jumps(inv, jv, err);
    if (rc == 0)
        rc = check_ssh_configs(inv, err);
    free(seen);
    free(scratch);
    free(jv);
    return rc;
}
