/* ssh_resolve.c — the parameters one SSH connection uses: the caller's (the inventory's) values
 * first, then, when params->ssh_config is set, what the OpenSSH client configuration says for
 * the host (ssh_config.c), then OpenSSH's defaults: local user name, port 22, ssh-agent when
 * $SSH_AUTH_SOCK is set, ~/.ssh/id_rsa, id_ecdsa and id_ed25519, ~/.ssh/known_hosts(2) and
 * /etc/ssh/ssh_known_hosts(2). ProxyJump hops become jump-host parameters of their own (each
 * resolved again for its own name when its transport is created). Without ssh_config the
 * caller's values are used as they are. Not the connection itself (ssh.c). */
#include "ssh.h"
#include "ssh_config.h"
#include "ssh_int.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *keep(na_ssh_res *r, char *s, na_err *err)
{
    if (!s) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    if (r->nowned == r->capowned) {
        size_t nc = r->capowned ? r->capowned * 2 : 16;
        char **n = realloc(r->owned, nc * sizeof *n);
        if (!n) {
            free(s);
            na_err_set(err, NA_E_NOMEM, "out of memory");
            return NULL;
        }
        r->owned = n;
        r->capowned = nc;
    }
    r->owned[r->nowned++] = s;
    return s;
}

static const char *keepf(na_ssh_res *r, na_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *keepf(na_ssh_res *r, na_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return keep(r, s, err);
}

void na_ssh_res_free(na_ssh_res *r)
{
    for (size_t i = 0; i < r->nowned; i++) {
        size_t n = strlen(r->owned[i]);
        memset(r->owned[i], 0, n); /* may hold a copy of nothing secret, but be tidy */
        free(r->owned[i]);
    }
    free(r->owned);
    free(r->hops);
    memset(r, 0, sizeof *r);
}

static const char *home_dir(void) { return na_ssh_config_home(NULL); }

static const char *local_user(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", na_ssh_config_user());
    return buf;
}

static int add_id(na_ssh_res *r, const char *path, bool configured)
{
    for (size_t i = 0; i < r->nids; i++)
        if (!strcmp(r->ids[i], path))
            return 0;
    if (r->nids == NA_SSH_MAX_IDS)
        return 0; /* more than OpenSSH would offer before MaxAuthTries anyway */
    r->id_configured[r->nids] = configured;
    r->ids[r->nids++] = path;
    return 0;
}

static int add_kh(na_ssh_res *r, const char *path)
{
    if (r->nkh < NA_SSH_MAX_KH)
        r->kh[r->nkh++] = path;
    return 0;
}

/* Without ssh_config: the caller's values, known_hosts default ~/.ssh/known_hosts. */
static int plain(na_ssh_conn *c, na_err *err)
{
    na_ssh_res *r = &c->res;
    if (r->p.key_file && *r->p.key_file)
        add_id(r, r->p.key_file, true);
    r->agent = r->agent_asked = r->p.use_agent == NA_AGENT_YES;
    const char *kh = r->p.known_hosts && *r->p.known_hosts
                         ? r->p.known_hosts
                         : keepf(r, err, "%s/.ssh/known_hosts", home_dir());
    if (!kh)
        return -1;
    add_kh(r, kh);
    r->nkh_user = 1;
    r->kh_host = r->p.host;
    return 0;
}

/* "[user@]host[:port]" or "ssh://[user@]host[:port]" into a jump host's parameters. */
static int hop_params(na_ssh_conn *c, const char *spec, size_t n, na_conn_params *h,
                      na_err *err)
{
    na_ssh_res *r = &c->res;
    if (n > 6 && !strncmp(spec, "ssh://", 6)) {
        spec += 6;
        n -= 6;
        if (n && spec[n - 1] == '/')
            n--;
    }
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (spec[i] == '@')
            at = spec + i;
    const char *hs = at ? at + 1 : spec;
    size_t hl = n - (size_t)(hs - spec);
    const char *port = NULL;
    size_t pl = 0;
    if (hl && *hs == '[') {
        const char *rb = memchr(hs, ']', hl);
        if (rb && (size_t)(rb - hs) + 2 < hl && rb[1] == ':') {
            port = rb + 2;
            pl = hl - (size_t)(port - hs);
        }
        hl = rb ? (size_t)(rb - hs) + 1 : hl;
    } else {
        const char *colon = memchr(hs, ':', hl);
        if (colon) {
            port = colon + 1;
            pl = hl - (size_t)(port - hs);
            hl = (size_t)(colon - hs);
        }
    }
    /* the target's own credentials and trust settings; its own name, user and port */
    *h = (na_conn_params){
        .password = r->p.password,
        .key_file = r->p.key_file,
        .key_passphrase = r->p.key_passphrase,
        .use_agent = r->p.use_agent,
        .host_key_policy = r->p.host_key_policy,
        .host_key_policy_given = r->p.host_key_policy_given,
        .known_hosts = r->p.known_hosts,
        .timeouts = r->p.timeouts,
        .ssh_config = r->p.ssh_config,
        .no_shell = true,
    };
    char *hostbuf = strndup(hs, hl);
    if (hostbuf && hl > 2 && hostbuf[0] == '[') { /* "[v6]" */
        memmove(hostbuf, hostbuf + 1, hl - 2);
        hostbuf[hl - 2] = '\0';
    }
    if (!(h->host = keep(r, hostbuf, err)))
        return -1;
    if (!(h->name = keep(r, strndup(hs, hl), err)))
        return -1;
    if (at && !(h->username = keep(r, strndup(spec, (size_t)(at - spec)), err)))
        return -1;
    if (port) {
        char pbuf[16];
        snprintf(pbuf, sizeof pbuf, "%.*s", (int)(pl < 15 ? pl : 15), port);
        h->port = atoi(pbuf);
    }
    return 0;
}

/* ProxyJump "a,b,c": c is the jump host of the target, reached through b, itself through a;
 * a is reached as its own configuration says. */
static int build_hops(na_ssh_conn *c, const char *jump, na_err *err)
{
    na_ssh_res *r = &c->res;
    size_t n = 1;
    for (const char *p = jump; *p; p++)
        n += *p == ',';
    if (n > NA_SSH_MAX_HOPS)
        return na_err_set(err, NA_E_CONFIG, "%s: ProxyJump %s: more than %d jump hosts", c->who,
                          jump, NA_SSH_MAX_HOPS);
    r->hops = calloc(n, sizeof *r->hops);
    if (!r->hops)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    const char *p = jump;
    for (size_t i = 0; i < n; i++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (hop_params(c, p, len, &r->hops[i], err) < 0)
            return -1;
        r->hops[i].jump = i ? &r->hops[i - 1] : NULL;
        p = e ? e + 1 : p + len;
    }
    r->nhops = n;
    r->p.jump = &r->hops[n - 1];
    return 0;
}

static const char *expand(na_ssh_res *r, const char *s, const na_ssh_cfg_tokens *tk,
                          const char *what, na_err *err)
{
    char *x = na_ssh_config_expand(s, tk, what, err);
    return x ? keep(r, x, err) : NULL;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int na_ssh_check_config(const char *ssh_config, na_err *err)
{
    if (!ssh_config || !strcasecmp(ssh_config, "none"))
        return 0;
    if (strcmp(ssh_config, NA_SSH_CONFIG_DEFAULT))
        return na_ssh_config_check(ssh_config, true, NULL, err);
    char path[4096];
    snprintf(path, sizeof path, "%s/.ssh/config", home_dir());
    return na_ssh_config_check(path, false, NULL, err);
}

int na_ssh_resolve(na_ssh_conn *c, const na_conn_params *given, na_err *err)
{
    na_ssh_res *r = &c->res;
    r->p = *given;
    if (!given->ssh_config)
        return plain(c, err);
    r->openssh = true;

    /* the file: NA_SSH_CONFIG_DEFAULT is ~/.ssh/config, read when it exists */
    const char *path = given->ssh_config;
    bool dflt = !strcmp(path, NA_SSH_CONFIG_DEFAULT);
    if (dflt && !(path = keepf(r, err, "%s/.ssh/config", home_dir())))
        return -1;
    char lu[256];
    local_user(lu, sizeof lu);
    na_ssh_cfg_query q = {.host = given->host, .user = given->username, .port = given->port,
                          .local_user = lu};
    na_ssh_cfg cfg;
    if (na_ssh_config_lookup(path, !dflt, &q, &cfg, err) < 0) {
        na_ssh_cfg_free(&cfg);
        na_err_prefix(err, "%s: ", c->who);
        return -1;
    }
    int rc = -1;
    if (cfg.proxy_command && !given->jump) {
        na_err_set(err, NA_E_CONFIG, "%s: ssh_config %s: ProxyCommand applies to %s; netauto does "
                   "not run proxy commands: use ProxyJump there, or jump_host in the inventory",
                   c->who, cfg.where_proxy_command, given->host);
        goto out;
    }

    /* host, user, port */
    if (cfg.hostname && !(r->p.host = keep(r, strdup(cfg.hostname), err)))
        goto out;
    if (!r->p.username && !(r->p.username = keep(r, strdup(cfg.user ? cfg.user : lu), err)))
        goto out;
    if (!r->p.port)
        r->p.port = cfg.port ? cfg.port : 22;
    char hostname[300];
    snprintf(hostname, sizeof hostname, "%s", r->p.host);
    na_ssh_cfg_tokens tk = {.host = hostname, .alias = cfg.host_key_alias,
                            .original = given->host, .user = r->p.username, .port = r->p.port,
                            .local_user = lu};

    /* keys: the inventory's, then ssh_config's; OpenSSH's defaults when neither names one */
    if (given->key_file && *given->key_file)
        add_id(r, given->key_file, true);
    for (size_t i = 0; i < cfg.n_identity_files; i++) {
        if (!strcasecmp(cfg.identity_files[i], "none"))
            continue;
        const char *x = expand(r, cfg.identity_files[i], &tk, "IdentityFile", err);
        if (!x)
            goto out;
        add_id(r, x, true);
    }
    if (!given->key_file && !cfg.n_identity_files) {
        static const char *const dflt_ids[] = {"id_rsa", "id_ecdsa", "id_ed25519"};
        for (size_t i = 0; i < 3; i++) {
            const char *x = keepf(r, err, "%s/.ssh/%s", home_dir(), dflt_ids[i]);
            if (!x)
                goto out;
            if (exists(x))
                add_id(r, x, false);
        }
    }
    r->identities_only = cfg.identities_only == 1;

    /* the agent */
    if (given->use_agent == NA_AGENT_YES) {
        r->agent = r->agent_asked = true;
    } else if (given->use_agent == NA_AGENT_DEFAULT) {
        if (cfg.identity_agent && !strcasecmp(cfg.identity_agent, "none")) {
            r->agent = false;
        } else if (cfg.identity_agent && strcmp(cfg.identity_agent, "SSH_AUTH_SOCK")) {
            const char *a = cfg.identity_agent[0] == '$' && cfg.identity_agent[1] != '{'
                                ? getenv(cfg.identity_agent + 1)
                                : NULL;
            r->agent_sock = a ? keep(r, strdup(a), err)
                              : expand(r, cfg.identity_agent, &tk, "IdentityAgent", err);
            if (!r->agent_sock)
                goto out;
            r->agent = r->agent_asked = true;
        } else {
            const char *s = getenv("SSH_AUTH_SOCK");
            r->agent = s && *s;
        }
    }

    /* known_hosts: the inventory's file, else ssh_config's, else ~/.ssh/known_hosts(2); then
     * the global files */
    if (given->known_hosts && *given->known_hosts) {
        add_kh(r, given->known_hosts);
    } else if (cfg.user_known_hosts_set) {
        for (size_t i = 0; i < cfg.n_user_known_hosts; i++) {
            const char *x = expand(r, cfg.user_known_hosts[i], &tk, "UserKnownHostsFile", err);
            if (!x)
                goto out;
            add_kh(r, x);
        }
    } else {
        const char *a = keepf(r, err, "%s/.ssh/known_hosts", home_dir());
        const char *b = keepf(r, err, "%s/.ssh/known_hosts2", home_dir());
        if (!a || !b)
            goto out;
        add_kh(r, a);
        add_kh(r, b);
    }
    r->nkh_user = r->nkh;
    if (cfg.global_known_hosts_set) {
        for (size_t i = 0; i < cfg.n_global_known_hosts; i++) {
            const char *x = expand(r, cfg.global_known_hosts[i], &tk, "GlobalKnownHostsFile", err);
            if (!x)
                goto out;
            add_kh(r, x);
        }
    } else {
        add_kh(r, "/etc/ssh/ssh_known_hosts");
        add_kh(r, "/etc/ssh/ssh_known_hosts2");
    }
    r->kh_host = r->p.host;
    if (cfg.host_key_alias) {
        char *a = strdup(cfg.host_key_alias);
        for (char *p = a; p && *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        if (!(r->kh_host = keep(r, a, err)))
            goto out;
    }

    /* host key policy: the inventory's, else StrictHostKeyChecking (ask = strict: nobody to
     * ask), else strict */
    if (!given->host_key_policy_given) {
        const char *s = cfg.strict_host_key_checking;
        r->p.host_key_policy = !s || !strcmp(s, "yes") || !strcmp(s, "ask") ? NA_HOSTKEY_STRICT
                               : !strcmp(s, "accept-new")                 ? NA_HOSTKEY_ACCEPT_NEW
                                                                          : NA_HOSTKEY_OFF;
    }
    if (!r->p.timeouts.connect_ms && cfg.connect_timeout > 0)
        r->p.timeouts.connect_ms = cfg.connect_timeout * 1000;

    /* algorithm lists */
    const char **slot[ALG__COUNT] = {&r->p.algos.kex, &r->p.algos.host_keys, &r->p.algos.ciphers,
                                     &r->p.algos.macs};
    char *from[ALG__COUNT] = {cfg.kex_algorithms, cfg.host_key_algorithms, cfg.ciphers, cfg.macs};
    const char *where[ALG__COUNT] = {cfg.where_kex_algorithms, cfg.where_host_key_algorithms,
                                     cfg.where_ciphers, cfg.where_macs};
    for (int i = 0; i < ALG__COUNT; i++) {
        if (*slot[i] || !from[i])
            continue;
        if (!(*slot[i] = keep(r, strdup(from[i]), err)))
            goto out;
        snprintf(r->cfg_where[i], sizeof r->cfg_where[i], "ssh_config %s", where[i]);
    }

    /* jump host: the inventory's, else ProxyJump */
    if (!given->jump && cfg.proxy_jump && strcasecmp(cfg.proxy_jump, "none") &&
        build_hops(c, cfg.proxy_jump, err) < 0)
        goto out;

    NA_LOGD(c->who, "ssh: %s:%d as %s (ssh_config %s%s), %zu key file(s), agent %s, "
            "known_hosts %s%s, jump %s", r->p.host, r->p.port, r->p.username, path,
            exists(path) ? "" : ", absent", r->nids, r->agent ? "yes" : "no", r->kh[0],
            r->nkh > 1 ? " ..." : "", r->p.jump ? (r->p.jump->name ? r->p.jump->name : "yes")
                                                 : "none");
    rc = 0;
out:
    na_ssh_cfg_free(&cfg);
    return rc;
}
