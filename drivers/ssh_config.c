/* ssh_config.c — OpenSSH client configuration files (see ssh_config.h): tokenising lines as
 * OpenSSH does (keyword, optional '=', arguments with quotes, backslash escapes and '#'
 * comments), parsing files and their Includes into a flat list of directives with syntax
 * checks, a per-process cache, evaluating Host/Match blocks for one host (first value wins,
 * IdentityFile accumulates, an optional final pass), and the ~ / ${ENV} / %token expansion of
 * paths. Behaviour follows OpenSSH 9.2 (readconf.c, ssh.c) and is tested against `ssh -G`.
 * Not the merge with inventory values and defaults (ssh_resolve.c). */
#include "ssh_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 16                 /* READCONF_MAX_DEPTH */
#define MAX_FILE ((size_t)1 << 20)   /* a config file larger than 1 MiB is refused */
#define MAX_FILES 256
#define MAX_ARGS 256

/* ---- keywords ------------------------------------------------------------------------------
 * Every keyword OpenSSH 9.2 (with Debian's GSSAPI patch) accepts. The ones netauto uses get their
 * own code; the rest are accepted and ignored, as ssh ignores deprecated ones. */
enum {
    K_OTHER = 0, K_HOST, K_MATCH, K_INCLUDE, K_HOSTNAME, K_USER, K_PORT, K_IDENTITYFILE,
    K_IDENTITIESONLY, K_IDENTITYAGENT, K_PROXYJUMP, K_PROXYCOMMAND, K_USERKNOWNHOSTSFILE,
    K_GLOBALKNOWNHOSTSFILE, K_STRICTHOSTKEYCHECKING, K_CONNECTTIMEOUT, K_HOSTKEYALGORITHMS,
    K_KEXALGORITHMS, K_CIPHERS, K_MACS, K_HOSTKEYALIAS, K_IGNOREUNKNOWN, K_CANONICALIZEHOSTNAME,
    K_UNKNOWN,   /* not a keyword: an error unless IgnoreUnknown covers it */
    K_INC_BEGIN, /* structure: the directives of one included file follow */
    K_INC_END,
};

static const struct { const char *name; int k; } keywords[] = {
    {"host", K_HOST}, {"match", K_MATCH}, {"include", K_INCLUDE}, {"hostname", K_HOSTNAME},
    {"user", K_USER}, {"port", K_PORT}, {"identityfile", K_IDENTITYFILE},
    {"identityfile2", K_IDENTITYFILE}, {"identitiesonly", K_IDENTITIESONLY},
    {"identityagent", K_IDENTITYAGENT}, {"proxyjump", K_PROXYJUMP},
    {"proxycommand", K_PROXYCOMMAND}, {"userknownhostsfile", K_USERKNOWNHOSTSFILE},
    {"globalknownhostsfile", K_GLOBALKNOWNHOSTSFILE},
    {"stricthostkeychecking", K_STRICTHOSTKEYCHECKING}, {"connecttimeout", K_CONNECTTIMEOUT},
    {"hostkeyalgorithms", K_HOSTKEYALGORITHMS}, {"kexalgorithms", K_KEXALGORITHMS},
    {"ciphers", K_CIPHERS}, {"macs", K_MACS}, {"hostkeyalias", K_HOSTKEYALIAS},
    {"ignoreunknown", K_IGNOREUNKNOWN}, {"canonicalizehostname", K_CANONICALIZEHOSTNAME},
    /* accepted, not used by netauto */
    {"protocol", K_OTHER}, {"cipher", K_OTHER}, {"fallbacktorsh", K_OTHER},
    {"globalknownhostsfile2", K_OTHER}, {"rhostsauthentication", K_OTHER},
    {"userknownhostsfile2", K_OTHER}, {"useroaming", K_OTHER}, {"usersh", K_OTHER},
    {"useprivilegedport", K_OTHER}, {"afstokenpassing", K_OTHER},
    {"kerberosauthentication", K_OTHER}, {"kerberostgtpassing", K_OTHER},
    {"rsaauthentication", K_OTHER}, {"rhostsrsaauthentication", K_OTHER},
    {"compressionlevel", K_OTHER}, {"gssapiauthentication", K_OTHER},
    {"gssapidelegatecredentials", K_OTHER}, {"gssapikeyexchange", K_OTHER},
    {"gssapiclientidentity", K_OTHER}, {"gssapiserveridentity", K_OTHER},
    {"gssapirenewalforcesrekey", K_OTHER}, {"gssapitrustdns", K_OTHER},
    {"gssapikexalgorithms", K_OTHER}, {"pkcs11provider", K_OTHER},
    {"smartcarddevice", K_OTHER}, {"forwardagent", K_OTHER}, {"forwardx11", K_OTHER},
    {"forwardx11trusted", K_OTHER}, {"forwardx11timeout", K_OTHER},
    {"exitonforwardfailure", K_OTHER}, {"xauthlocation", K_OTHER}, {"gatewayports", K_OTHER},
    {"passwordauthentication", K_OTHER}, {"kbdinteractiveauthentication", K_OTHER},
    {"kbdinteractivedevices", K_OTHER}, {"challengeresponseauthentication", K_OTHER},
    {"skeyauthentication", K_OTHER}, {"tisauthentication", K_OTHER},
    {"pubkeyauthentication", K_OTHER}, {"dsaauthentication", K_OTHER},
    {"hostbasedauthentication", K_OTHER}, {"certificatefile", K_OTHER},
    {"addkeystoagent", K_OTHER}, {"remoteforward", K_OTHER}, {"localforward", K_OTHER},
    {"permitremoteopen", K_OTHER}, {"escapechar", K_OTHER}, {"connectionattempts", K_OTHER},
    {"batchmode", K_OTHER}, {"checkhostip", K_OTHER}, {"compression", K_OTHER},
    {"tcpkeepalive", K_OTHER}, {"keepalive", K_OTHER}, {"numberofpasswordprompts", K_OTHER},
    {"syslogfacility", K_OTHER}, {"loglevel", K_OTHER}, {"logverbose", K_OTHER},
    {"dynamicforward", K_OTHER}, {"preferredauthentications", K_OTHER},
    {"casignaturealgorithms", K_OTHER}, {"bindaddress", K_OTHER}, {"bindinterface", K_OTHER},
    {"clearallforwardings", K_OTHER}, {"enablesshkeysign", K_OTHER},
    {"verifyhostkeydns", K_OTHER}, {"nohostauthenticationforlocalhost", K_OTHER},
    {"rekeylimit", K_OTHER}, {"addressfamily", K_OTHER}, {"serveraliveinterval", K_OTHER},
    {"serveralivecountmax", K_OTHER}, {"sendenv", K_OTHER}, {"setenv", K_OTHER},
    {"controlpath", K_OTHER}, {"controlmaster", K_OTHER}, {"controlpersist", K_OTHER},
    {"hashknownhosts", K_OTHER}, {"tunnel", K_OTHER}, {"tunneldevice", K_OTHER},
    {"localcommand", K_OTHER}, {"permitlocalcommand", K_OTHER}, {"remotecommand", K_OTHER},
    {"visualhostkey", K_OTHER}, {"ipqos", K_OTHER}, {"requesttty", K_OTHER},
    {"sessiontype", K_OTHER}, {"stdinnull", K_OTHER}, {"forkafterauthentication", K_OTHER},
    {"proxyusefdpass", K_OTHER}, {"canonicaldomains", K_OTHER},
    {"canonicalizefallbacklocal", K_OTHER}, {"canonicalizemaxdots", K_OTHER},
    {"canonicalizepermittedcnames", K_OTHER}, {"streamlocalbindmask", K_OTHER},
    {"streamlocalbindunlink", K_OTHER}, {"revokedhostkeys", K_OTHER},
    {"fingerprinthash", K_OTHER}, {"updatehostkeys", K_OTHER},
    {"hostbasedacceptedalgorithms", K_OTHER}, {"hostbasedkeytypes", K_OTHER},
    {"pubkeyacceptedalgorithms", K_OTHER}, {"pubkeyacceptedkeytypes", K_OTHER},
    {"securitykeyprovider", K_OTHER}, {"knownhostscommand", K_OTHER},
    {"requiredrsasize", K_OTHER}, {"enableescapecommandline", K_OTHER},
};

/* ---- the parsed form ----------------------------------------------------------------------- */

typedef struct directive {
    int k;
    int file;        /* index into cfg.files */
    unsigned line;
    int argc;
    char **argv;     /* arguments after the keyword, unquoted */
    char *rest;      /* the text after the keyword (ProxyJump, ProxyCommand keep it whole) */
    char *keyword;   /* K_UNKNOWN: the keyword as written, lowercased */
} directive;

typedef struct src_file {
    char *path;
    bool missing;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} src_file;

typedef struct glob_rec {  /* an Include pattern and what it matched when parsed */
    char *pattern;
    char **paths;
    size_t n;
} glob_rec;

typedef struct cfg {
    char *path, *home;
    bool must_exist;
    src_file files[MAX_FILES];
    int nfiles;
    glob_rec *globs;
    size_t nglobs;
    directive *d;
    size_t n, cap;
    bool has_ignore_unknown;
    na_err error;    /* a syntax error found when parsing (returned to every caller) */
    struct cfg *next;
} cfg;

static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static cfg *cache;

static void cfg_free(cfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        for (int j = 0; j < c->d[i].argc; j++)
            free(c->d[i].argv[j]);
        free(c->d[i].argv);
        free(c->d[i].rest);
        free(c->d[i].keyword);
    }
    free(c->d);
    for (int i = 0; i < c->nfiles; i++)
        free(c->files[i].path);
    for (size_t i = 0; i < c->nglobs; i++) {
        for (size_t j = 0; j < c->globs[i].n; j++)
            free(c->globs[i].paths[j]);
        free(c->globs[i].paths);
        free(c->globs[i].pattern);
    }
    free(c->globs);
    free(c->path);
    free(c->home);
    free(c);
}

void na_ssh_config_flush(void)
{
    pthread_mutex_lock(&cfg_lock);
    while (cache) {
        cfg *n = cache->next;
        cfg_free(cache);
        cache = n;
    }
    pthread_mutex_unlock(&cfg_lock);
}

/* ---- small helpers ------------------------------------------------------------------------- */

static const char *home_dir(const char *home)
{
    if (home && *home)
        return home;
    const char *h = getenv("HOME");
    if (h && *h)
        return h;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir ? pw->pw_dir : "/";
}

static int perr(cfg *c, int file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(cfg *c, int file, unsigned line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (file >= 0)
        na_err_set(&c->error, NA_E_CONFIG, "ssh_config %s:%u: %s", c->files[file].path, line,
                   msg);
    else
        na_err_set(&c->error, NA_E_CONFIG, "ssh_config %s: %s", c->path, msg);
    return -1;
}

/* strtonum-like port, or a service name (OpenSSH's a2port). 0 when invalid. */
static int a2port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s && !*end)
        return !errno && v > 0 && v <= 65535 ? (int)v : 0;
    struct servent se, *res = NULL;
    char buf[1024];
    if (getservbyname_r(s, "tcp", &se, buf, sizeof buf, &res) == 0 && res)
        return ntohs((uint16_t)res->s_port);
    return 0;
}

/* OpenSSH's convtime: "90", "1m30s", "2h"; -1 when invalid. */
static long convtime(const char *s)
{
    long total = 0;
    if (!*s)
        return -1;
    while (*s) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || errno)
            return -1;
        long mul = 1;
        switch (*end) {
        case '\0': break;
        case 's': case 'S': end++; break;
        case 'm': case 'M': mul = 60; end++; break;
        case 'h': case 'H': mul = 3600; end++; break;
        case 'd': case 'D': mul = 86400; end++; break;
        case 'w': case 'W': mul = 604800; end++; break;
        default: return -1;
        }
        if (v > (0x7fffffff - total) / mul)
            return -1;
        total += v * mul;
        s = end;
    }
    return total;
}

static int flag_value(const char *s) /* yes/true 1, no/false 0, else -1 */
{
    if (!strcasecmp(s, "yes") || !strcasecmp(s, "true"))
        return 1;
    if (!strcasecmp(s, "no") || !strcasecmp(s, "false"))
        return 0;
    return -1;
}

static const char *strict_value(const char *s)
{
    if (!strcasecmp(s, "yes") || !strcasecmp(s, "true"))
        return "yes";
    if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off"))
        return "no";
    if (!strcasecmp(s, "ask"))
        return "ask";
    if (!strcasecmp(s, "accept-new"))
        return "accept-new";
    return NULL;
}

/* match.c's match_pattern: '*' and '?' wildcards, case-sensitive. */
static bool match_pattern(const char *s, const char *p)
{
    for (;;) {
        if (!*p)
            return !*s;
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return true;
            for (; *s; s++)
                if ((*s == *p || *p == '?') && match_pattern(s, p))
                    return true;
            return false;
        }
        if (!*s || (*p != '?' && *p != *s))
            return false;
        s++;
        p++;
    }
}

/* match_pattern_list: comma list, '!' negation; dolower lowercases the patterns. 1, 0, -1. */
static int match_list(const char *s, const char *list, bool dolower)
{
    int got = 0;
    char sub[1024];
    for (const char *p = list; *p;) {
        bool neg = *p == '!';
        if (neg)
            p++;
        size_t n = 0;
        while (*p && *p != ',' && n < sizeof sub - 1) {
            sub[n++] = dolower ? (char)tolower((unsigned char)*p) : *p;
            p++;
        }
        if (n >= sizeof sub - 1)
            return 0;
        sub[n] = '\0';
        if (*p == ',')
            p++;
        if (match_pattern(s, sub)) {
            if (neg)
                return -1;
            got = 1;
        }
    }
    return got;
}

static int match_host_list(const char *host, const char *list)
{
    char h[1025];
    snprintf(h, sizeof h, "%s", host);
    for (char *p = h; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return match_list(h, list, true);
}

/* ---- tokenising ---------------------------------------------------------------------------- */

/* OpenSSH's argv_split(s, ..., terminate_on_comment=1). -1 on an unterminated quote. */
static int split_args(const char *s, int *argc, char ***argv)
{
    *argc = 0;
    *argv = NULL;
    char **v = calloc(MAX_ARGS + 1, sizeof *v);
    if (!v)
        return -2;
    int n = 0;
    for (size_t i = 0; s[i];) {
        if (s[i] == ' ' || s[i] == '\t') {
            i++;
            continue;
        }
        if (s[i] == '#')
            break;
        if (n == MAX_ARGS)
            goto fail;
        char *a = calloc(1, strlen(s + i) + 1);
        if (!a)
            goto fail;
        v[n++] = a;
        size_t j = 0;
        char quote = 0;
        for (; s[i]; i++) {
            if (s[i] == '\\') {
                char nx = s[i + 1];
                if (nx == '\'' || nx == '"' || nx == '\\' || (!quote && nx == ' ')) {
                    i++;
                    a[j++] = s[i];
                } else {
                    a[j++] = s[i];
                }
            } else if (!quote && (s[i] == ' ' || s[i] == '\t')) {
                break;
            } else if (!quote && (s[i] == '"' || s[i] == '\'')) {
                quote = s[i];
            } else if (quote && s[i] == quote) {
                quote = 0;
            } else {
                a[j++] = s[i];
            }
        }
        if (!s[i] && quote)
            goto fail;
    }
    *argc = n;
    *argv = v;
    return 0;
fail:
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return -1;
}

static void free_args(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

/* ---- parsing ------------------------------------------------------------------------------- */

static int parse_file(cfg *c, const char *path, bool must_exist, bool checkperm, int depth);

static directive *add_dir(cfg *c, int k, int file, unsigned line)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        directive *nd = realloc(c->d, nc * sizeof *nd);
        if (!nd)
            return NULL;
        c->d = nd;
        c->cap = nc;
    }
    directive *d = &c->d[c->n++];
    memset(d, 0, sizeof *d);
    d->k = k;
    d->file = file;
    d->line = line;
    return d;
}

static int oom(cfg *c) { return na_err_set(&c->error, NA_E_NOMEM, "out of memory"); }

/* "[user@]host[:port]" or "ssh://[user@]host[:port]", host possibly "[v6]". */
static bool jump_hop_ok(const char *s, size_t n)
{
    if (n > 6 && !strncmp(s, "ssh://", 6)) {
        s += 6;
        n -= 6;
        if (n && s[n - 1] == '/')
            n--;
    }
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = s + i;
    const char *h = at ? at + 1 : s;
    size_t hl = n - (size_t)(h - s);
    if (at && at == s)
        return false;
    if (!hl)
        return false;
    const char *port = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', hl);
        if (!rb || rb == h + 1)
            return false;
        if ((size_t)(rb - h) + 1 < hl) {
            if (rb[1] != ':')
                return false;
            port = rb + 2;
        }
    } else {
        const char *colon = memchr(h, ':', hl);
        if (colon) {
            if (colon == h || memchr(colon + 1, ':', hl - (size_t)(colon + 1 - h)))
                return false;
            port = colon + 1;
        }
    }
    if (port) {
        size_t pl = n - (size_t)(port - s);
        char buf[16];
        if (!pl || pl >= sizeof buf)
            return false;
        memcpy(buf, port, pl);
        buf[pl] = '\0';
        if (!a2port(buf))
            return false;
    }
    return true;
}

static int check_proxyjump(cfg *c, int file, unsigned line, const char *v)
{
    if (!strcasecmp(v, "none"))
        return 0;
    for (const char *p = v;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (!jump_hop_ok(p, n))
            return perr(c, file, line, "Invalid ProxyJump \"%s\"", v);
        if (!e)
            return 0;
        p = e + 1;
    }
}

/* Syntax of a Match line (OpenSSH checks it whether or not the block applies). */
static int check_match(cfg *c, int file, unsigned line, int argc, char **argv)
{
    int attributes = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (*a == '!')
            a++;
        if (!strcasecmp(a, "all")) {
            if (attributes > 1 || i + 1 < argc)
                return perr(c, file, line, "'%s' cannot be combined with other Match "
                            "attributes", argv[i]);
            return 0;
        }
        attributes++;
        if (!strcasecmp(a, "canonical") || !strcasecmp(a, "final"))
            continue;
        if (strcasecmp(a, "host") && strcasecmp(a, "originalhost") && strcasecmp(a, "user") &&
            strcasecmp(a, "localuser") && strcasecmp(a, "exec"))
            return perr(c, file, line, "Unsupported Match attribute %s", a);
        if (i + 1 >= argc)
            return perr(c, file, line, "Missing Match criteria for %s", a);
        i++;
    }
    if (!attributes)
        return perr(c, file, line, "One or more attributes required for Match");
    return 0;
}

static int keyword_of(const char *kw)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (!strcmp(kw, keywords[i].name))
            return keywords[i].k;
    return K_UNKNOWN;
}

static int do_include(cfg *c, int file, unsigned line, int argc, char **argv, int depth)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        char pat[4096];
        /* relative paths are in ~/.ssh, as for any user configuration file */
        if (*arg != '/' && *arg != '~')
            snprintf(pat, sizeof pat, "%s/.ssh/%s", home_dir(c->home), arg);
        else if (!strncmp(arg, "~/", 2) || !strcmp(arg, "~"))
            snprintf(pat, sizeof pat, "%s%s", home_dir(c->home), arg + 1);
        else
            snprintf(pat, sizeof pat, "%s", arg);
        glob_t gl;
        memset(&gl, 0, sizeof gl);
        int r = glob(pat, GLOB_TILDE, NULL, &gl);
        if (r != 0 && r != GLOB_NOMATCH) {
            globfree(&gl);
            return perr(c, file, line, "glob failed for %s", pat);
        }
        glob_rec *ng = realloc(c->globs, (c->nglobs + 1) * sizeof *ng);
        if (!ng) {
            globfree(&gl);
            return oom(c);
        }
        c->globs = ng;
        glob_rec *g = &c->globs[c->nglobs++];
        memset(g, 0, sizeof *g);
        g->pattern = strdup(pat);
        size_t n = r == 0 ? gl.gl_pathc : 0;
        g->paths = calloc(n + 1, sizeof *g->paths);
        if (!g->pattern || !g->paths) {
            globfree(&gl);
            return oom(c);
        }
        for (size_t j = 0; j < n; j++)
            if (!(g->paths[g->n++] = strdup(gl.gl_pathv[j]))) {
                globfree(&gl);
                return oom(c);
            }
        globfree(&gl);
        for (size_t j = 0; j < g->n; j++) {
            directive *b = add_dir(c, K_INC_BEGIN, file, line);
            if (!b)
                return oom(c);
            if (parse_file(c, g->paths[j], true, true, depth + 1) < 0)
                return -1;
            if (!add_dir(c, K_INC_END, file, line))
                return oom(c);
        }
    }
    return 0;
}

/* One line: validate and append its directive. */
static int parse_line(cfg *c, int file, unsigned line, char *s, int depth)
{
    /* trailing whitespace (and form feeds) */
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n\f", s[len - 1]))
        s[--len] = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s || *s == '#')
        return 0;
    /* keyword: up to whitespace, a quote or '=' (strdelim); one '=' may follow */
    size_t kl = strcspn(s, " \t\"=");
    char kw[64];
    if (kl == 0 || kl >= sizeof kw) {
        snprintf(kw, sizeof kw, "%.*s", (int)(kl < sizeof kw ? kl : sizeof kw - 1), s);
        return perr(c, file, line, "Bad configuration option: %s", kw);
    }
    for (size_t i = 0; i < kl; i++)
        kw[i] = (char)tolower((unsigned char)s[i]);
    kw[kl] = '\0';
    char *rest = s + kl;
    rest += strspn(rest, " \t");
    if (*rest == '=') {
        rest++;
        rest += strspn(rest, " \t");
    }
    if (!*rest)
        return perr(c, file, line, "no argument after keyword \"%s\"", kw);
    int k = keyword_of(kw);
    if (k == K_UNKNOWN && !c->has_ignore_unknown)
        return perr(c, file, line, "Bad configuration option: %s", kw);
    int argc;
    char **argv;
    int sr = split_args(rest, &argc, &argv);
    if (sr == -2)
        return oom(c);
    if (sr < 0)
        return perr(c, file, line, "invalid quotes");
    int rc = 0;
    const char *a0 = argc ? argv[0] : "";
    switch (k) {
    case K_HOST:
        for (int i = 0; i < argc; i++)
            if (!*argv[i])
                rc = perr(c, file, line, "keyword host empty argument");
        break;
    case K_MATCH: rc = check_match(c, file, line, argc, argv); break;
    case K_PORT:
        if (!a2port(a0))
            rc = perr(c, file, line, "Bad port '%s'.", a0);
        break;
    case K_CONNECTTIMEOUT:
        if (strcasecmp(a0, "none") && convtime(a0) < 0)
            rc = perr(c, file, line, "invalid time value.");
        break;
    case K_IDENTITIESONLY:
        if (flag_value(a0) < 0)
            rc = perr(c, file, line, "unsupported option \"%s\".", a0);
        break;
    case K_STRICTHOSTKEYCHECKING:
        if (!strict_value(a0))
            rc = perr(c, file, line, "unsupported option \"%s\".", a0);
        break;
    case K_CANONICALIZEHOSTNAME:
        if (flag_value(a0) < 0 && strcasecmp(a0, "always"))
            rc = perr(c, file, line, "unsupported option \"%s\".", a0);
        break;
    case K_USERKNOWNHOSTSFILE:
    case K_GLOBALKNOWNHOSTSFILE:
        for (int i = 0; i < argc && !rc; i++) {
            if (!*argv[i])
                rc = perr(c, file, line, "keyword %s empty argument", kw);
            else if (!strcasecmp(argv[i], "none") && argc > 1)
                rc = perr(c, file, line, "keyword %s \"none\" argument must appear alone.", kw);
        }
        if (!rc && argc > NA_SSH_CFG_MAX_KH)
            rc = perr(c, file, line, "too many %s entries.", kw);
        break;
    case K_PROXYJUMP: rc = check_proxyjump(c, file, line, rest); break;
    case K_IDENTITYFILE:
    case K_HOSTNAME:
    case K_USER:
    case K_HOSTKEYALIAS:
    case K_IDENTITYAGENT:
    case K_HOSTKEYALGORITHMS:
    case K_KEXALGORITHMS:
    case K_CIPHERS:
    case K_MACS:
        if (!argc || !*a0)
            rc = perr(c, file, line, "Missing argument.");
        else if (argc > 1)
            rc = perr(c, file, line, "keyword %s extra arguments at end of line", kw);
        break;
    default: break;
    }
    if (!rc && k == K_INCLUDE) {
        if (depth >= MAX_DEPTH)
            rc = perr(c, file, line, "Too many recursive configuration includes");
        else
            rc = do_include(c, file, line, argc, argv, depth);
        free_args(argc, argv);
        return rc;
    }
    if (rc) {
        free_args(argc, argv);
        return -1;
    }
    directive *d = add_dir(c, k, file, line);
    if (!d) {
        free_args(argc, argv);
        return oom(c);
    }
    d->argc = argc;
    d->argv = argv;
    d->rest = strdup(rest);
    d->keyword = k == K_UNKNOWN ? strdup(kw) : NULL;
    if (!d->rest || (k == K_UNKNOWN && !d->keyword))
        return oom(c);
    return 0;
}

static int stat_file(src_file *f)
{
    struct stat st;
    if (stat(f->path, &st) < 0) {
        f->missing = true;
        return -1;
    }
    f->missing = false;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    return 0;
}

static int parse_file(cfg *c, const char *path, bool must_exist, bool checkperm, int depth)
{
    if (c->nfiles >= MAX_FILES)
        return perr(c, -1, 0, "more than %d files included", MAX_FILES);
    int fi = c->nfiles++;
    src_file *f = &c->files[fi];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return oom(c);
    FILE *fp = fopen(path, "re");
    if (!fp) {
        int e = errno;
        f->missing = true;
        if (e == ENOENT && !must_exist)
            return 0;
        if (e == ENOENT)
            return na_err_set(&c->error, NA_E_CONFIG, "ssh_config %s: no such file", path);
        return na_err_set(&c->error, NA_E_CONFIG, "ssh_config %s: cannot read it: %s", path,
                          strerror(e));
    }
    struct stat st;
    if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE) {
        fclose(fp);
        return na_err_set(&c->error, NA_E_CONFIG, "ssh_config %s: not a regular file of at most "
                          "1 MiB", path);
    }
    if (checkperm && ((st.st_uid != 0 && st.st_uid != getuid()) || (st.st_mode & 022))) {
        fclose(fp);
        return na_err_set(&c->error, NA_E_CONFIG, "ssh_config %s: bad owner or permissions "
                          "(others may change it; OpenSSH's ssh refuses it too)", path);
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    char *line = NULL;
    size_t cap = 0;
    unsigned no = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, fp) != -1)
        rc = parse_line(c, fi, ++no, line, depth);
    free(line);
    fclose(fp);
    return rc;
}

/* Does anything in the files say IgnoreUnknown? (Then unknown keywords wait for evaluation.) */
static bool mentions_ignore_unknown(const char *path)
{
    FILE *fp = fopen(path, "re");
    if (!fp)
        return false;
    char buf[4096];
    bool yes = false;
    while (!yes && fgets(buf, sizeof buf, fp))
        yes = strcasestr(buf, "ignoreunknown") != NULL;
    fclose(fp);
    return yes;
}

static cfg *parse_all(const char *path, bool must_exist, const char *home)
{
    cfg *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->path = strdup(path);
    c->home = home ? strdup(home) : NULL;
    c->must_exist = must_exist;
    if (!c->path || (home && !c->home)) {
        cfg_free(c);
        return NULL;
    }
    /* first attempt strict about unknown keywords; if any file mentions IgnoreUnknown, parse
     * again deferring them to evaluation (which knows whether IgnoreUnknown applies) */
    bool checkperm = !must_exist; /* the default user file, as ssh does */
    if (parse_file(c, path, must_exist, checkperm, 0) < 0) {
        bool retry = false;
        for (int i = 0; i < c->nfiles; i++)
            retry |= mentions_ignore_unknown(c->files[i].path);
        if (retry) {
            cfg *r = calloc(1, sizeof *r);
            if (r) {
                r->path = c->path;
                r->home = c->home;
                c->path = c->home = NULL;
                r->must_exist = must_exist;
                r->has_ignore_unknown = true;
                cfg_free(c);
                c = r;
                parse_file(c, path, must_exist, checkperm, 0);
            }
        }
    }
    return c;
}

/* Still what is on disk? (every file read, and every Include pattern's matches) */
static bool cfg_fresh(cfg *c)
{
    for (int i = 0; i < c->nfiles; i++) {
        src_file now = {.path = c->files[i].path};
        stat_file(&now);
        src_file *f = &c->files[i];
        if (now.missing != f->missing)
            return false;
        if (!f->missing && (now.dev != f->dev || now.ino != f->ino || now.size != f->size ||
                            now.mtime.tv_sec != f->mtime.tv_sec ||
                            now.mtime.tv_nsec != f->mtime.tv_nsec))
            return false;
    }
    for (size_t i = 0; i < c->nglobs; i++) {
        glob_t gl;
        memset(&gl, 0, sizeof gl);
        int r = glob(c->globs[i].pattern, GLOB_TILDE, NULL, &gl);
        size_t n = r == 0 ? gl.gl_pathc : 0;
        bool same = n == c->globs[i].n;
        for (size_t j = 0; same && j < n; j++)
            same = !strcmp(gl.gl_pathv[j], c->globs[i].paths[j]);
        globfree(&gl);
        if (!same)
            return false;
    }
    return true;
}

/* The parsed configuration (cfg_lock held). NULL only when out of memory. */
static cfg *cfg_get(const char *path, bool must_exist, const char *home)
{
    cfg **pp = &cache;
    for (cfg *c = cache; c; pp = &c->next, c = c->next) {
        if (strcmp(c->path, path) || c->must_exist != must_exist ||
            (c->home == NULL) != (home == NULL) || (home && strcmp(c->home, home)))
            continue;
        if (cfg_fresh(c))
            return c;
        *pp = c->next;
        cfg_free(c);
        break;
    }
    cfg *c = parse_all(path, must_exist, home);
    if (c) {
        c->next = cache;
        cache = c;
    }
    return c;
}

int na_ssh_config_check(const char *path, bool must_exist, const char *home, na_err *err)
{
    if (!path || !strcasecmp(path, "none"))
        return 0;
    pthread_mutex_lock(&cfg_lock);
    cfg *c = cfg_get(path, must_exist, home);
    int rc = 0;
    if (!c)
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    else if (na_err_isset(&c->error))
        rc = na_err_set(err, c->error.code, "%s", c->error.msg);
    pthread_mutex_unlock(&cfg_lock);
    return rc;
}

/* ---- evaluation ---------------------------------------------------------------------------- */

typedef struct eval {
    const cfg *c;
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

static void where(const eval *e, const directive *d, char *out, size_t cap)
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

static int match_line(eval *e, const directive *d)
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
            r = match_host_list(host, arg) == 1;
        else if (!strcasecmp(a, "originalhost"))
            r = match_host_list(e->q->host, arg) == 1;
        else if (!strcasecmp(a, "user"))
            r = match_list(ruser, arg, false) == 1;
        else if (!strcasecmp(a, "localuser"))
            r = match_list(e->local_user, arg, false) == 1;
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

static int apply(eval *e, const directive *d)
{
    na_ssh_cfg *o = e->o;
    const char *a0 = d->argc ? d->argv[0] : "";
    switch (d->k) {
    case K_HOSTNAME: return set_str(&o->hostname, a0, e->err);
    case K_USER: return e->q->user ? 0 : set_str(&o->user, a0, e->err);
    case K_PORT:
        if (!e->q->port && !o->port)
            o->port = a2port(a0);
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
            o->identities_only = flag_value(a0);
        return 0;
    case K_IDENTITYAGENT: return set_str(&o->identity_agent, a0, e->err);
    case K_HOSTKEYALIAS: return set_str(&o->host_key_alias, a0, e->err);
    case K_STRICTHOSTKEYCHECKING:
        return set_str(&o->strict_host_key_checking, strict_value(a0), e->err);
    case K_CONNECTTIMEOUT:
        if (o->connect_timeout < 0)
            o->connect_timeout = !strcasecmp(a0, "none") ? 0 : (int)convtime(a0);
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
    bool stack_active[MAX_DEPTH + 2], stack_never[MAX_DEPTH + 2];
    int sp = 0;
    for (size_t i = 0; i < e->c->n; i++) {
        const directive *d = &e->c->d[i];
        switch (d->k) {
        case K_INC_BEGIN:
            if (sp < MAX_DEPTH + 2) {
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
                if (match_pattern(e->host, neg ? p + 1 : p)) {
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
            if (e->ignore_unknown && match_list(d->keyword, e->ignore_unknown, true) == 1)
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
    if (q->local_user) {
        snprintf(e.local_user, sizeof e.local_user, "%s", q->local_user);
    } else {
        struct passwd *pw = getpwuid(getuid());
        snprintf(e.local_user, sizeof e.local_user, "%s", pw ? pw->pw_name : "root");
    }
    pthread_mutex_lock(&cfg_lock);
    cfg *c = cfg_get(path, must_exist, q->home);
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
    pthread_mutex_unlock(&cfg_lock);
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
    const char *home = home_dir(tk->home);
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
            struct passwd *pw = getpwnam(user);
            if (!pw) {
                na_err_set(err, NA_E_CONFIG, "%s %s: no such user %s", what, s, user);
                return NULL;
            }
            sb_str(&b, pw->pw_dir);
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
    if (tk->local_user) {
        snprintf(luser, sizeof luser, "%s", tk->local_user);
    } else {
        struct passwd *pw = getpwuid(getuid());
        snprintf(luser, sizeof luser, "%s", pw ? pw->pw_name : "");
    }
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
