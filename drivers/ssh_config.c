/* ssh_config.c — OpenSSH client configuration files, read (see ssh_config.h): tokenising lines
 * as OpenSSH does (keyword, optional '=', arguments with quotes, backslash escapes and '#'
 * comments), parsing files and their Includes into a flat list of directives with OpenSSH's
 * syntax checks (errors with FILE:LINE), the per-process cache, and the small rules both halves
 * share. Behaviour follows OpenSSH 9.2 (readconf.c) and is tested against `ssh -G`. Not the
 * evaluation for a host (ssh_config_eval.c) nor the merge with the inventory (ssh_resolve.c). */
#include "ssh_config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The keywords (see ssh_config_int.h). */
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

pthread_mutex_t na_sshcfg_lock = PTHREAD_MUTEX_INITIALIZER;
static sshcfg *cache;

static void cfg_free(sshcfg *c)
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
    pthread_mutex_lock(&na_sshcfg_lock);
    while (cache) {
        sshcfg *n = cache->next;
        cfg_free(cache);
        cache = n;
    }
    pthread_mutex_unlock(&na_sshcfg_lock);
}

/* ---- small helpers (OpenSSH's rules) ------------------------------------------------------- */

const char *na_ssh_config_home(const char *home)
{
    if (home && *home)
        return home;
    const char *h = getenv("HOME");
    if (h && *h)
        return h;
    static __thread char dir[1024];
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_dir) {
        snprintf(dir, sizeof dir, "%s", res->pw_dir);
        return dir;
    }
    return "/";
}

const char *na_ssh_config_user(void)
{
    static __thread char name[256];
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_name)
        snprintf(name, sizeof name, "%s", res->pw_name);
    else
        snprintf(name, sizeof name, "%lu", (unsigned long)getuid());
    return name;
}

static int perr(sshcfg *c, int file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(sshcfg *c, int file, unsigned line, const char *fmt, ...)
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
int na_sshcfg_port(const char *s)
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
long na_sshcfg_time(const char *s)
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

int na_sshcfg_flag(const char *s) /* yes/true 1, no/false 0, else -1 */
{
    if (!strcasecmp(s, "yes") || !strcasecmp(s, "true"))
        return 1;
    if (!strcasecmp(s, "no") || !strcasecmp(s, "false"))
        return 0;
    return -1;
}

const char *na_sshcfg_strict(const char *s)
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
bool na_sshcfg_match_pattern(const char *s, const char *p)
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
                if ((*s == *p || *p == '?') && na_sshcfg_match_pattern(s, p))
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
int na_sshcfg_match_list(const char *s, const char *list, bool dolower)
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
        if (na_sshcfg_match_pattern(s, sub)) {
            if (neg)
                return -1;
            got = 1;
        }
    }
    return got;
}

int na_sshcfg_match_host(const char *host, const char *list)
{
    char h[1025];
    snprintf(h, sizeof h, "%s", host);
    for (char *p = h; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return na_sshcfg_match_list(h, list, true);
}

/* ---- tokenising ---------------------------------------------------------------------------- */

/* OpenSSH's argv_split(s, ..., terminate_on_comment=1). -1 on an unterminated quote. */
static int split_args(const char *s, int *argc, char ***argv)
{
    *argc = 0;
    *argv = NULL;
    char **v = calloc(SSHCFG_MAX_ARGS + 1, sizeof *v);
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
        if (n == SSHCFG_MAX_ARGS)
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

static int parse_file(sshcfg *c, const char *path, bool must_exist, bool checkperm, int depth);

static sshcfg_dir *add_dir(sshcfg *c, int k, int file, unsigned line)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        sshcfg_dir *nd = realloc(c->d, nc * sizeof *nd);
        if (!nd)
            return NULL;
        c->d = nd;
        c->cap = nc;
    }
    sshcfg_dir *d = &c->d[c->n++];
    memset(d, 0, sizeof *d);
    d->k = k;
    d->file = file;
    d->line = line;
    return d;
}

static int oom(sshcfg *c) { return na_err_set(&c->error, NA_E_NOMEM, "out of memory"); }

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
        if (!na_sshcfg_port(buf))
            return false;
    }
    return true;
}

static int check_proxyjump(sshcfg *c, int file, unsigned line, const char *v)
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
static int check_match(sshcfg *c, int file, unsigned line, int argc, char **argv)
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

static int do_include(sshcfg *c, int file, unsigned line, int argc, char **argv, int depth)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        char pat[4096];
        /* relative paths are in ~/.ssh, as for any user configuration file */
        if (*arg != '/' && *arg != '~')
            snprintf(pat, sizeof pat, "%s/.ssh/%s", na_ssh_config_home(c->home), arg);
        else if (!strncmp(arg, "~/", 2) || !strcmp(arg, "~"))
            snprintf(pat, sizeof pat, "%s%s", na_ssh_config_home(c->home), arg + 1);
        else
            snprintf(pat, sizeof pat, "%s", arg);
        glob_t gl;
        memset(&gl, 0, sizeof gl);
        int r = glob(pat, GLOB_TILDE, NULL, &gl);
        if (r != 0 && r != GLOB_NOMATCH) {
            globfree(&gl);
            return perr(c, file, line, "glob failed for %s", pat);
        }
        sshcfg_glob *ng = realloc(c->globs, (c->nglobs + 1) * sizeof *ng);
        if (!ng) {
            globfree(&gl);
            return oom(c);
        }
        c->globs = ng;
        sshcfg_glob *g = &c->globs[c->nglobs++];
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
            sshcfg_dir *b = add_dir(c, K_INC_BEGIN, file, line);
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

/* One line: validate and append its sshcfg_dir. */
static int parse_line(sshcfg *c, int file, unsigned line, char *s, int depth)
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
        if (!na_sshcfg_port(a0))
            rc = perr(c, file, line, "Bad port '%s'.", a0);
        break;
    case K_CONNECTTIMEOUT:
        if (strcasecmp(a0, "none") && na_sshcfg_time(a0) < 0)
            rc = perr(c, file, line, "invalid time value.");
        break;
    case K_IDENTITIESONLY:
        if (na_sshcfg_flag(a0) < 0)
            rc = perr(c, file, line, "unsupported option \"%s\".", a0);
        break;
    case K_STRICTHOSTKEYCHECKING:
        if (!na_sshcfg_strict(a0))
            rc = perr(c, file, line, "unsupported option \"%s\".", a0);
        break;
    case K_CANONICALIZEHOSTNAME:
        if (na_sshcfg_flag(a0) < 0 && strcasecmp(a0, "always"))
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
        if (depth >= SSHCFG_MAX_DEPTH)
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
    sshcfg_dir *d = add_dir(c, k, file, line);
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

static int stat_file(sshcfg_file *f)
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

static int parse_file(sshcfg *c, const char *path, bool must_exist, bool checkperm, int depth)
{
    if (c->nfiles >= SSHCFG_MAX_FILES)
        return perr(c, -1, 0, "more than %d files included", SSHCFG_MAX_FILES);
    int fi = c->nfiles++;
    sshcfg_file *f = &c->files[fi];
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
    if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > SSHCFG_MAX_FILE) {
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

static sshcfg *parse_all(const char *path, bool must_exist, const char *home)
{
    sshcfg *c = calloc(1, sizeof *c);
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
            sshcfg *r = calloc(1, sizeof *r);
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
static bool cfg_fresh(sshcfg *c)
{
    for (int i = 0; i < c->nfiles; i++) {
        sshcfg_file now = {.path = c->files[i].path};
        stat_file(&now);
        sshcfg_file *f = &c->files[i];
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

/* The parsed configuration (na_sshcfg_lock held). NULL only when out of memory. */
sshcfg *na_sshcfg_get(const char *path, bool must_exist, const char *home)
{
    sshcfg **pp = &cache;
    for (sshcfg *c = cache; c; pp = &c->next, c = c->next) {
        if (strcmp(c->path, path) || c->must_exist != must_exist ||
            (c->home == NULL) != (home == NULL) || (home && strcmp(c->home, home)))
            continue;
        if (cfg_fresh(c))
            return c;
        *pp = c->next;
        cfg_free(c);
        break;
    }
    sshcfg *c = parse_all(path, must_exist, home);
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
    pthread_mutex_lock(&na_sshcfg_lock);
    sshcfg *c = na_sshcfg_get(path, must_exist, home);
    int rc = 0;
    if (!c)
        rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    else if (na_err_isset(&c->error))
        rc = na_err_set(err, c->error.code, "%s", c->error.msg);
    pthread_mutex_unlock(&na_sshcfg_lock);
    return rc;
}
