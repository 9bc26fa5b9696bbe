/* cluster_conf.c — the `cluster:` section of netautod's configuration (cluster.h,
 * docs/cluster.md): where NATS is, this node's site and role, credentials and TLS to NATS, and
 * the timings of tasks and leases. Every key is checked with its position. Not the NATS
 * connection: that is cluster_nats.c. */
#include "cluster.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const keys[] = {"nats_url", "site", "role", "node", "credentials", "tls",
                                   "replicas", "ack_wait", "lease", "max_deliver",
                                   "heartbeat", "tasks", NULL};
static const char *const tls_keys[] = {"ca", "cert", "key", NULL};

const char *nd_cluster_role_name(nd_cluster_role r)
{
    return r == ND_ROLE_API ? "api" : r == ND_ROLE_WORKER ? "worker" : "both";
}

static char *join(const char *dir, const char *p)
{
    if (p[0] == '/' || !dir)
        return strdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", dir, p);
    return r;
}

/* A string at key (path: relative to dir); absent or null leaves *out. */
static int str_at(na_ydoc *d, na_ynode *m, const char *key, const char *dir, char **out,
                  na_err *err)
{
    na_ynode *n = na_ymap_get(d, m, key);
    if (!n || na_yis_null(n))
        return 0;
    const char *s;
    if (na_ystr(d, n, &s, err) < 0)
        return -1;
    if (!*s)
        return na_yerr(err, d, n, "cluster: %s must not be empty", key);
    free(*out);
    *out = dir ? join(dir, s) : strdup(s);
    return *out ? 0 : na_err_set(err, NA_E_NOMEM, "out of memory");
}

/* A duration: a number of seconds, or with ms, s, m. From min_ms to 1 hour. */
static int dur_at(na_ydoc *d, na_ynode *m, const char *key, int64_t min_ms, int64_t *out,
                  na_err *err)
{
    na_ynode *n = na_ymap_get(d, m, key);
    if (!n)
        return 0;
    const char *s = na_yscalar(n);
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : -1;
    int64_t mul = 0;
    if (end && (!*end || !strcmp(end, "s")))
        mul = 1000;
    else if (end && !strcmp(end, "ms"))
        mul = 1;
    else if (end && !strcmp(end, "m"))
        mul = 60000;
    if (!s || end == s || !mul || v < 0 || v > 3600000 / mul || v * mul < min_ms)
        return na_yerr(err, d, n, "cluster: %s must be a duration from %lld ms to 1 hour: a "
                       "number of seconds, or with ms, s or m", key, (long long)min_ms);
    *out = v * mul;
    return 0;
}

static int uint_at(na_ydoc *d, na_ynode *m, const char *key, long min, long max,
                   unsigned *out, na_err *err)
{
    na_ynode *n = na_ymap_get(d, m, key);
    if (!n)
        return 0;
    long v;
    if (na_ylong(d, n, min, max, &v, err) < 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* NATS subject tokens and KV keys: a site name is one token of [A-Za-z0-9_-]. */
static bool name_ok(const char *s)
{
    if (!*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static int load(na_ydoc *d, na_ynode *n, const char *dir, nd_cluster_conf *c, na_err *err)
{
    if (!na_yis_map(n))
        return na_yerr(err, d, n, "cluster must be a mapping (nats_url, site, role, ...)");
    if (na_ycheck_keys(d, n, keys, "cluster", err) < 0)
        return -1;
    if (str_at(d, n, "nats_url", NULL, &c->nats_url, err) < 0 ||
        str_at(d, n, "site", NULL, &c->site, err) < 0 ||
        str_at(d, n, "node", NULL, &c->node, err) < 0 ||
        str_at(d, n, "credentials", dir, &c->credentials, err) < 0)
        return -1;
    if (!c->nats_url)
        return na_yerr(err, d, n, "cluster: nats_url is missing (nats://HOST:4222, or several "
                       "separated by commas)");
    na_ynode *v = na_ymap_get(d, n, "site");
    if (c->site && !name_ok(c->site))
        return na_yerr(err, d, v, "cluster: site '%s' must be 1 to 64 letters, digits, '_' or "
                       "'-'", c->site);
    v = na_ymap_get(d, n, "node");
    if (c->node && !name_ok(c->node))
        return na_yerr(err, d, v, "cluster: node '%s' must be 1 to 64 letters, digits, '_' or "
                       "'-'", c->node);
    if ((v = na_ymap_get(d, n, "role"))) {
        const char *r;
        if (na_ystr(d, v, &r, err) < 0)
            return -1;
        if (!strcmp(r, "api"))
            c->role = ND_ROLE_API;
        else if (!strcmp(r, "worker"))
            c->role = ND_ROLE_WORKER;
        else if (!strcmp(r, "both"))
            c->role = ND_ROLE_BOTH;
        else
            return na_yerr(err, d, v, "cluster: role must be api, worker or both, not '%s'", r);
    }
    if ((v = na_ymap_get(d, n, "tls")) && !na_yis_null(v)) {
        if (!na_yis_map(v))
            return na_yerr(err, d, v, "cluster: tls must be a mapping (ca, cert, key)");
        if (na_ycheck_keys(d, v, tls_keys, "cluster.tls", err) < 0 ||
            str_at(d, v, "ca", dir, &c->tls_ca, err) < 0 ||
            str_at(d, v, "cert", dir, &c->tls_cert, err) < 0 ||
            str_at(d, v, "key", dir, &c->tls_key, err) < 0)
            return -1;
        if (!c->tls_cert != !c->tls_key)
            return na_yerr(err, d, v, "cluster: tls needs both cert and key, or neither");
    }
    if (uint_at(d, n, "replicas", 1, 5, &c->replicas, err) < 0 ||
        uint_at(d, n, "max_deliver", 1, 1000, &c->max_deliver, err) < 0 ||
        uint_at(d, n, "tasks", 1, 100000, &c->tasks, err) < 0 ||
        dur_at(d, n, "ack_wait", 1000, &c->ack_wait_ms, err) < 0 ||
        dur_at(d, n, "lease", 1000, &c->lease_ms, err) < 0 ||
        dur_at(d, n, "heartbeat", 100, &c->heartbeat_ms, err) < 0)
        return -1;
    if (c->heartbeat_ms * 2 > c->lease_ms)
        return na_yerr(err, d, n, "cluster: heartbeat (%lld ms) must be at most half the lease "
                       "(%lld ms)", (long long)c->heartbeat_ms, (long long)c->lease_ms);
    return 0;
}

int nd_cluster_conf_load(na_ydoc *d, na_ynode *n, const char *dir, nd_cluster_conf **out,
                         na_err *err)
{
    *out = NULL;
    if (!n || na_yis_null(n))
        return 0;
    nd_cluster_conf *c = calloc(1, sizeof *c);
    if (!c)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    c->role = ND_ROLE_BOTH;
    c->replicas = 1;
    c->ack_wait_ms = 30000;
    c->lease_ms = 15000;
    c->max_deliver = 10;
    c->heartbeat_ms = 2000;
    if (load(d, n, dir, c, err) < 0) {
        nd_cluster_conf_free(c);
        return -1;
    }
    if (!c->site && !(c->site = strdup("default")))
        goto oom;
    if (!c->node) {
        char host[HOST_NAME_MAX + 1] = "node";
        gethostname(host, sizeof host - 1);
        char buf[128];
        size_t k = 0;
        for (const char *p = host; *p && k < 60; p++) /* keep it a valid token */
            buf[k++] = name_ok((char[]){*p, 0}) ? *p : '_';
        snprintf(buf + k, sizeof buf - k, "-%ld", (long)getpid());
        if (!(c->node = strdup(buf)))
            goto oom;
    }
    *out = c;
    return 0;
oom:
    nd_cluster_conf_free(c);
    return na_err_set(err, NA_E_NOMEM, "out of memory");
}

void nd_cluster_conf_free(nd_cluster_conf *c)
{
    if (!c)
        return;
    free(c->nats_url);
    free(c->site);
    free(c->node);
    free(c->credentials);
    free(c->tls_ca);
    free(c->tls_cert);
    free(c->tls_key);
    free(c);
}
