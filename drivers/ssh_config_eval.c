/* ssh_config_eval.c — evaluating an OpenSSH client configuration for one host (see
 * ssh_config.h): Host and Match blocks, Include scopes, first value wins, IdentityFile
 * accumulating, the final pass, Match exec refused where it applies; and the ~ / ${ENV} /
 * %token expansion of paths as ssh does it. Follows OpenSSH 9.2 (readconf.c match_cfg_line,
 * ssh.c), tested against `ssh -G`. Not the parser (ssh_config.c). */
#include "ssh_config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- evaluation ---------------------------------------------------------------------------- */

typedef struct eval {
    const sshcfg *c;
    const na_ssh_cfg_query *q;
    na_ssh_cfg *o;
    const char *host;       /* what Host matches: the name given, or in the final pass the host */
    bool final_pass, want_final;
    char *ignore_unknown;   /* first IgnoreUnknown that applied */
    char *canonicalize;     /* first CanonicalizeHostname that applied */
    bool proxy_set;         /* ProxyJump or ProxyCommand (even "none") decided */
    char local_user[256];
    na_err *err;
} eval;

static void where(const eval *e, const sshcfg_dir *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%u", e->c->files[d->file].path, d->line);
}

/* percent_expand(hostname, "h", host) */
static char *expand_hostname(const char *raw, const char *host, na_err *err)
{
    size_t cap = strlen(raw) + 1, n = 0;
    for (const char *p = raw; *p; p++)
        if (*p == '%')
            cap += strlen(host);
    char *out = malloc(cap);
    if (!out) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    for (const char *p = raw; *p; p++) {
        if (*p != '%') {
            out[n++] = *p;
            continue;
        }
        p++;
        if (*p == '%') {
            out[n++] = '%';
        } else if (*p == 'h') {
            memcpy(out + n, host, strlen(host));
            n += strlen(host);
        } else {
            na_err_set(err, NA_E_CONFIG, "ssh_config: HostName %s: unknown %%%c token (only %%h "
                       "and %%%% are allowed)", raw, *p ? *p : ' ');
            free(out);
            return NULL;
        }
        if (!*p)
            break;
    }
    out[n] = '\0';
    return out;
}

static int match_line(eval *e, const sshcfg_dir *d)
{
    const char *ruser = e->o->user ? e->o->user : e->q->user ? e->q->user : e->local_user;
    char *host = NULL;
    if (e->final_pass)
        host = strdup(e->o->hostname ? e->o->hostname : e->host);
    else if (e->o->hostname)
        host = expand_hostname(e->o->hostname, e->q->host, e->err);
    else
        host = strdup(e->q->host);
    if (!host)
        return na_err_isset(e->err) ? -2 : (na_err_set(e->err, NA_E_NOMEM, "out of memory"), -2);
    int result = 1;
    for (int i = 0; i < d->argc; i++) {
        const char *a = d->argv[i];
        bool neg = *a == '!';
        if (neg)
            a++;
        if (!strcasecmp(a, "all")) {
            if (result)
                result = neg ? 0 : 1;
            break;
        }
        if (!strcasecmp(a, "canonical") || !strcasecmp(a, "final")) {
            if (!strcasecmp(a, "final"))
                e->want_final = true;
            if (e->final_pass == neg)
                result = 0;
            continue;
        }
        const char *arg = d->argv[++i];
        int r;
        if (!strcasecmp(a, "host"))
            r = na_sshcfg_match_host(host, arg) == 1;
        else if (!strcasecmp(a, "originalhost"))
            r = na_sshcfg_match_host(e->q->host, arg) == 1;
        else if (!strcasecmp(a, "user"))
            r = na_sshcfg_match_list(ruser, arg, false) == 1;
        else if (!strcasecmp(a, "localuser"))
            r = na_sshcfg_match_list(e->local_user, arg, false) == 1;
        else { /* exec */
            if (result != 1)
                continue; /* ssh skips it too once an earlier criterion failed */
            char w[300];
            where(e, d, w, sizeof w);
            na_err_set(e->err, NA_E_CONFIG, "ssh_config %s: Match exec applies to %s, and netauto "
                       "does not run commands from ssh_config; use Match host, or point "
                       "ssh_config at a file without it", w, e->q->host);
            free(host);
            return -2;
        }
        if (r == neg)
            result = 0;
    }
    free(host);
    return result;
}

static int set_str(char **slot, const char *v, na_err *err)
{
    if (*slot)
        return 0;
    if (!(*slot = strdup(v)))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

static int apply(eval *e, const sshcfg_dir *d)
{
    na_ssh_cfg *o = e->o;
    const char *a0 = d->argc ? d->argv[0] : "";
    switch (d->k) {
    case K_HOSTNAME: return set_str(&o->hostname, a0, e->err);
    case K_USER: return e->q->user ? 0 : set_str(&o->user, a0, e->err);
    case K_PORT:
        if (!e->q->port && !o->port)
            o->port = na_sshcfg_port(a0);
        return 0;
    case K_IDENTITYFILE:
        for (size_t i = 0; i < o->n_identity_files; i++)
            if (!strcmp(o->identity_files[i], a0))
                return 0;
        if (o->n_identity_files >= NA_SSH_CFG_MAX_IDS) {
            char w[300];
            where(e, d, w, sizeof w);
            return na_err_set(e->err, NA_E_CONFIG, "ssh_config %s: Too many identity files "
                              "specified (max %d)", w, NA_SSH_CFG_MAX_IDS);
        }
        if (!(o->identity_files[o->n_identity_files] = strdup(a0)))
            return na_err_set(e->err, NA_E_NOMEM, "out of memory");
        o->n_identity_files++;
        return 0;
    case K_IDENTITIESONLY:
        if (o->identities_only < 0)
            o->identities_only = na_sshcfg_flag(a0);
        return 0;
    case K_IDENTITYAGENT: return set_str(&o->identity_agent, a0, e->err);
    case K_HOSTKEYALIAS: return set_str(&o->host_key_alias, a0, e->err);
    case K_STRICTHOSTKEYCHECKING:
        return set_str(&o->strict_host_key_checking, na_sshcfg_strict(a0), e->err);
    case K_CONNECTTIMEOUT:
        if (o->connect_timeout < 0)
            o->connect_timeout = !strcasecmp(a0, "none") ? 0 : (int)na_sshcfg_time(a0);
        return 0;
    case K_HOSTKEYALGORITHMS:
        if (!o->host_key_algorithms)
            where(e, d, o->where_host_key_algorithms, sizeof o->where_host_key_algorithms);
        return set_str(&o->host_key_algorithms, a0, e->err);
    case K_KEXALGORITHMS:
        if (!o->kex_algorithms)
            where(e, d, o->where_kex_algorithms, sizeof o->where_kex_algorithms);
        return set_str(&o->kex_algorithms, a0, e->err);
    case K_CIPHERS:
        if (!o->ciphers)
            where(e, d, o->where_ciphers, sizeof o->where_ciphers);
        return set_str(&o->ciphers, a0, e->err);
    case K_MACS:
        if (!o->macs)
            where(e, d, o->where_macs, sizeof o->where_macs);
        return set_str(&o->macs, a0, e->err);
    case K_PROXYJUMP: {
        if (e->proxy_set)
            return 0;
        e->proxy_set = true;
        /* the value without a trailing comment or blanks (OpenSSH's parse_jump) */
        char *v = strdup(d->rest);
        if (!v)
            return na_err_set(e->err, NA_E_NOMEM, "out of memory");
        char *hash = strchr(v, '#');
        if (hash)
            *hash = '\0';
        size_t n = strlen(v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            v[--n] = '\0';
        o->proxy_jump = v;
        return 0;
    }
    case K_PROXYCOMMAND:
        if (e->proxy_set)
            return 0;
        e->proxy_set = true;
        if (!strcasecmp(d->rest, "none"))
            return 0;
        where(e, d, o->where_proxy_command, sizeof o->where_proxy_command);
        return set_str(&o->proxy_command, d->rest, e->err);
    case K_USERKNOWNHOSTSFILE:
    case K_GLOBALKNOWNHOSTSFILE: {
        bool user = d->k == K_USERKNOWNHOSTSFILE;
        bool *set = user ? &o->user_known_hosts_set : &o->global_known_hosts_set;
        char **v = user ? o->user_known_hosts : o->global_known_hosts;
        size_t *n = user ? &o->n_user_known_hosts : &o->n_global_known_hosts;
        if (*set)
            return 0;
        *set = true;
        if (d->argc == 1 && !strcasecmp(a0, "none"))
            return 0;
        for (int i = 0; i < d->argc; i++) {
            if (!(v[*n] = strdup(d->argv[i])))
                return na_err_set(e->err, NA_E_NOMEM, "out of memory");
            (*n)++;
        }
        return 0;
    }
    case K_IGNOREUNKNOWN: return set_str(&e->ignore_unknown, d->rest, e->err);
    case K_CANONICALIZEHOSTNAME: return set_str(&e->canonicalize, a0, e->err);
    default: return 0;
    }
}

static int one_pass(eval *e)
{
    bool active = true, never = false;
    bool stack_active[SSHCFG_MAX_DEPTH + 2], stack_never[SSHCFG_MAX_DEPTH + 2];
    int sp = 0;
    for (size_t i = 0; i < e->c->n; i++) {
        const sshcfg_dir *d = &e->c->d[i];
        switch (d->k) {
        case K_INC_BEGIN:
            if (sp < SSHCFG_MAX_DEPTH + 2) {
                stack_active[sp] = active;
                stack_never[sp] = never;
                sp++;
            }
            never = never || !active;
            continue;
        case K_INC_END:
            if (sp > 0) {
                sp--;
                active = stack_active[sp];
                never = stack_never[sp];
            }
            continue;
        case K_HOST:
            active = false;
            if (never)
                continue;
            for (int j = 0; j < d->argc; j++) {
                const char *p = d->argv[j];
                bool neg = *p == '!';
                if (na_sshcfg_match_pattern(e->host, neg ? p + 1 : p)) {
                    if (neg) {
                        active = false;
                        break;
                    }
                    active = true;
                }
            }
            continue;
        case K_MATCH: {
            if (never) {
                active = false;
                continue;
            }
            int r = match_line(e, d);
            if (r < -1)
                return -1;
            active = r == 1;
            continue;
        }
        case K_UNKNOWN:
            if (e->ignore_unknown && na_sshcfg_match_list(d->keyword, e->ignore_unknown, true) == 1)
                continue;
            {
                char w[300];
                where(e, d, w, sizeof w);
                return na_err_set(e->err, NA_E_CONFIG, "ssh_config %s: Bad configuration "
                                  "option: %s", w, d->keyword);
            }
        default:
            if (active && apply(e, d) < 0)
                return -1;
        }
    }
    return 0;
}

static bool is_addr(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int na_ssh_config_lookup(const char *path, bool must_exist, const na_ssh_cfg_query *q,
                         na_ssh_cfg *out, na_err *err)
{
    memset(out, 0, sizeof *out);
    out->identities_only = -1;
    out->connect_timeout = -1;
    if (!q || !q->host || !*q->host)
        return na_err_set(err, NA_E_INTERNAL, "ssh_config lookup without a host");
    if (!path || !strcasecmp(path, "none"))
        return 0;
    eval e = {.q = q, .o = out, .host = q->host, .err = err};
    snprintf(e.local_user, sizeof e.local_user, "%s",
             q->local_user ? q->local_user : na_ssh_config_user());
    pthread_mutex_lock(&na_sshcfg_lock);
    sshcfg *c = na_sshcfg_get(path, must_exist, q->home);
    int rc = 0;
    if (!c)
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    else if (na_err_isset(&c->error))
        rc = na_err_set(err, c->error.code, "%s", c->error.msg);
    char *final_host = NULL;
    if (rc == 0) {
        e.c = c;
        rc = one_pass(&e);
        if (rc == 0 && out->hostname) {
            char *h = expand_hostname(out->hostname, q->host, err);
            if (!h)
                rc = -1;
            free(out->hostname);
            out->hostname = h;
        }
        if (rc == 0 && (e.want_final || (e.canonicalize && strcasecmp(e.canonicalize, "no")))) {
            /* the final pass: Host and Match see the host name (lowercased, not an address) */
            final_host = strdup(out->hostname ? out->hostname : q->host);
            if (!final_host) {
                rc = na_err_set(err, NA_E_NOMEM, "out of memory");
            } else {
                if (!is_addr(final_host))
                    for (char *p = final_host; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                free(out->hostname);
                out->hostname = strdup(final_host);
                e.host = final_host;
                e.final_pass = true;
                rc = out->hostname ? one_pass(&e) : na_err_set(err, NA_E_NOMEM, "out of memory");
            }
        }
    }
    pthread_mutex_unlock(&na_sshcfg_lock);
    free(final_host);
    free(e.ignore_unknown);
    free(e.canonicalize);
    return rc;
}

void na_ssh_cfg_free(na_ssh_cfg *c)
{
    if (!c)
        return;
    free(c->hostname);
    free(c->user);
    for (size_t i = 0; i < c->n_identity_files; i++)
        free(c->identity_files[i]);
    free(c->identity_agent);
    free(c->proxy_jump);
    free(c->proxy_command);
    for (size_t i = 0; i < c->n_user_known_hosts; i++)
        free(c->user_known_hosts[i]);
    for (size_t i = 0; i < c->n_global_known_hosts; i++)
        free(c->global_known_hosts[i]);
    free(c->strict_host_key_checking);
    free(c->host_key_algorithms);
    free(c->kex_algorithms);
    free(c->ciphers);
    free(c->macs);
    free(c->host_key_alias);
    memset(c, 0, sizeof *c);
    c->identities_only = -1;
    c->connect_timeout = -1;
}

/* ---- expansion ----------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->n + n + 1) * 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* %C: SHA-1 hex of local host name, host, port and remote user (ssh_connection_hash) */
static void conn_hash(const char *l, const char *h, const char *p, const char *r, char *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    out[0] = '\0';
    if (!ctx)
        return;
    if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, l, strlen(l)) &&
        EVP_DigestUpdate(ctx, h, strlen(h)) && EVP_DigestUpdate(ctx, p, strlen(p)) &&
        EVP_DigestUpdate(ctx, r, strlen(r)) && EVP_DigestFinal_ex(ctx, md, &ml))
        for (unsigned i = 0; i < ml; i++)
            sprintf(out + 2 * i, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
}

char *na_ssh_config_expand(const char *s, const na_ssh_cfg_tokens *tk, const char *what,
                           na_err *err)
{
    sbuf b = {0};
    const char *home = na_ssh_config_home(tk->home);
    /* ~ and ~user */
    if (s[0] == '~') {
        const char *slash = strchr(s, '/');
        size_t ul = slash ? (size_t)(slash - s - 1) : strlen(s + 1);
        if (ul == 0) {
            sb_str(&b, home);
        } else {
            char user[256];
            if (ul >= sizeof user) {
                na_err_set(err, NA_E_CONFIG, "%s %s: user name too long", what, s);
                return NULL;
            }
            memcpy(user, s + 1, ul);
            user[ul] = '\0';
            struct passwd pw, *res = NULL;
            char pwbuf[4096];
            if (getpwnam_r(user, &pw, pwbuf, sizeof pwbuf, &res) != 0 || !res) {
                na_err_set(err, NA_E_CONFIG, "%s %s: no such user %s", what, s, user);
                return NULL;
            }
            sb_str(&b, res->pw_dir);
        }
        s += 1 + ul;
    }
    char port[16], uid[24], thishost[256] = "", shorthost[256], hash[41];
    snprintf(port, sizeof port, "%d", tk->port > 0 ? tk->port : 22);
    snprintf(uid, sizeof uid, "%lu", (unsigned long)getuid());
    gethostname(thishost, sizeof thishost - 1);
    snprintf(shorthost, sizeof shorthost, "%.*s", (int)strcspn(thishost, "."), thishost);
    const char *host = tk->host ? tk->host : "";
    const char *ruser = tk->user ? tk->user : "";
    char luser[256];
    snprintf(luser, sizeof luser, "%s", tk->local_user ? tk->local_user : na_ssh_config_user());
    conn_hash(thishost, host, port, ruser, hash);
    for (const char *p = s; *p; p++) {
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            if (!end) {
                na_err_set(err, NA_E_CONFIG, "%s %s: unterminated ${", what, s);
                free(b.p);
                return NULL;
            }
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
            const char *v = getenv(name);
            if (!v) {
                na_err_set(err, NA_E_CONFIG, "%s %s: environment variable %s is not set", what,
                           s, name);
                free(b.p);
                return NULL;
            }
            sb_str(&b, v);
            p = end;
            continue;
        }
        if (*p != '%') {
            sb_add(&b, p, 1);
            continue;
        }
        const char *v = NULL;
        switch (p[1]) {
        case '%': v = "%"; break;
        case 'C': v = hash; break;
        case 'L': v = shorthost; break;
        case 'd': v = home; break;
        case 'h': v = host; break;
        case 'i': v = uid; break;
        case 'k': v = tk->alias ? tk->alias : tk->original ? tk->original : host; break;
        case 'l': v = thishost; break;
        case 'n': v = tk->original ? tk->original : host; break;
        case 'p': v = port; break;
        case 'r': v = ruser; break;
        case 'u': v = luser; break;
        default:
            na_err_set(err, NA_E_CONFIG, "%s %s: unknown token %%%c", what, s,
                       p[1] ? p[1] : ' ');
            free(b.p);
            return NULL;
        }
        sb_str(&b, v);
        p++;
    }
    if (b.oom || !b.p) {
        if (!b.oom && !b.p) /* empty result */
            return strdup("");
        free(b.p);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    return b.p;
}
