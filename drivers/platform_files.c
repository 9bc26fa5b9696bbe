/* platform_files.c — the device side of file transfers as platform data (the `files:` block of
 * a platform YAML; docs/files.md and docs/platforms.md): loading and checking it, and the small
 * pure helpers the session layer uses with it — a device path checked and quoted, its directory
 * and name, the path the SCP/SFTP server wants, a command rendered from its template, and the
 * value a query's pattern finds in the device's output. Not the transfer itself
 * (session_copy.c) and not the loader of the rest of a platform (platform.c). */
#include "platform_int.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *na_pf_proto_name(int proto) { return proto == NA_PF_SFTP ? "sftp" : "scp"; }

bool na_pfiles_offers(const na_pfiles *f, int proto)
{
    for (size_t i = 0; f && i < f->nprotocols; i++)
        if (f->protocols[i] == proto)
            return true;
    return false;
}

/* ---- loading ------------------------------------------------------------------------------- */

static int str_field(na_ydoc *d, na_ynode *n, const char *field, char **out, na_err *err)
{
    if (!na_yis_scalar(n) || na_yis_null(n))
        return na_yerr(err, d, n, "%s: expected a string", field);
    if (!(*out = strdup(na_yscalar(n))))
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    return 0;
}

static int pattern_field(na_ydoc *d, na_ynode *n, const char *field, na_pattern **out,
                         na_err *err)
{
    if (!na_yis_scalar(n) || na_yis_null(n) || !*na_yscalar(n))
        return na_yerr(err, d, n, "%s: expected a pattern", field);
    na_err perr = NA_ERR_INIT;
    *out = na_pattern_new(na_yscalar(n), NA_PAT_MULTILINE, &perr);
    if (!*out)
        return na_yerr(err, d, n, "%s: %s", field, perr.msg);
    return 0;
}

/* The number of the group "(?<name>" in src (groups counted by their opening parenthesis). */
static int group_number(const char *src, const char *name)
{
    char want[48];
    snprintf(want, sizeof want, "(?<%s>", name);
    int n = 0;
    for (const char *p = src; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '[') { /* a class: skip to its end */
            for (p++; *p && *p != ']'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (!*p)
                break;
            continue;
        }
        if (*p != '(')
            continue;
        if (p[1] != '?' || (p[2] == '<' && p[3] != '=' && p[3] != '!') || p[2] == 'P' ||
            p[2] == '\'') {
            n++;
            if (!strncmp(p, want, strlen(want)))
                return n;
        }
    }
    return -1;
}

/* {command: TEMPLATE, pattern: REGEX with (?<group>...)}: Q_GROUP; Q_NONE: no pattern;
 * Q_PLAIN: a pattern without a group. */
enum { Q_NONE = 0, Q_PLAIN, Q_GROUP };

static int cmd_field(na_ydoc *d, na_ynode *n, const char *field, int q, const char *group,
                     const char *const *vars, na_pfiles_cmd *c, na_err *err)
{
    static const char *const keys_q[] = {"command", "pattern", NULL};
    static const char *const keys_c[] = {"command", NULL};
    if (!na_yis_map(n))
        return na_yerr(err, d, n, "%s: expected a mapping {command%s}", field,
                       q ? ", pattern" : "");
    if (na_ycheck_keys(d, n, q ? keys_q : keys_c, field, err) < 0)
        return -1;
    na_ynode *cm = na_ymap_get(d, n, "command"), *pt = na_ymap_get(d, n, "pattern");
    char f[96];
    snprintf(f, sizeof f, "%s.command", field);
    if (!cm)
        return na_yerr(err, d, n, "%s: missing", f);
    if (str_field(d, cm, f, &c->command, err) < 0)
        return -1;
    /* every {word} must be one this command knows */
    for (const char *p = strchr(c->command, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        bool ok = false;
        for (size_t i = 0; e && vars[i]; i++)
            ok |= (size_t)(e - p - 1) == strlen(vars[i]) && !strncmp(p + 1, vars[i], e - p - 1);
        if (!ok) {
            char list[64] = "";
            for (size_t i = 0; vars[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s{%s}", i ? ", " : "",
                         vars[i]);
            return na_yerr(err, d, cm, "%s: unknown placeholder in '%s' (this command knows %s)",
                           f, c->command, list);
        }
    }
    if (q == Q_NONE)
        return 0;
    snprintf(f, sizeof f, "%s.pattern", field);
    if (!pt)
        return na_yerr(err, d, n, "%s: missing", f);
    if (pattern_field(d, pt, f, &c->pattern, err) < 0)
        return -1;
    if (q == Q_PLAIN)
        return 0;
    int g = group_number(na_yscalar(pt), group);
    if (g < 1)
        return na_yerr(err, d, pt, "%s: needs a named group (?<%s>...) around the value", f,
                       group);
    if (g > 3) /* a matcher keeps the first three groups */
        return na_yerr(err, d, pt, "%s: (?<%s>...) must be one of the first three groups", f,
                       group);
    c->group = (unsigned)g;
    return 0;
}

static int load_protocols(na_ydoc *d, na_ynode *n, na_pfiles *f, na_err *err)
{
    if (!na_yis_seq(n) || na_yseq_len(n) == 0 || na_yseq_len(n) > NA_PF__COUNT)
        return na_yerr(err, d, n, "files.protocols: expected a list of scp and/or sftp");
    for (size_t i = 0; i < na_yseq_len(n); i++) {
        na_ynode *it = na_yseq_item(d, n, i);
        const char *s = na_yscalar(it);
        int p = s && !strcmp(s, "scp") ? NA_PF_SCP : s && !strcmp(s, "sftp") ? NA_PF_SFTP : -1;
        if (p < 0 || na_pfiles_offers(f, p))
            return na_yerr(err, d, it, "files.protocols[%zu]: expected scp or sftp, once each",
                           i);
        f->protocols[f->nprotocols++] = p;
    }
    return 0;
}

static int load_paths(na_ydoc *d, na_ynode *n, na_pfiles *f, na_err *err)
{
    static const char *const keys[] = {"cli", "transfer", NULL};
    if (!na_yis_seq(n))
        return na_yerr(err, d, n, "files.transfer_paths: expected a list of {cli, transfer}");
    size_t k = na_yseq_len(n);
    if (k > 16)
        return na_yerr(err, d, n, "files.transfer_paths: more than 16 entries");
    f->paths = calloc(k ? k : 1, sizeof *f->paths);
    if (!f->paths)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        na_ynode *it = na_yseq_item(d, n, i);
        char fl[64];
        snprintf(fl, sizeof fl, "files.transfer_paths[%zu]", i);
        if (!na_yis_map(it) || na_ycheck_keys(d, it, keys, fl, err) < 0)
            return na_yerr(err, d, it, "%s: expected {cli, transfer}", fl);
        na_ynode *c = na_ymap_get(d, it, "cli"), *t = na_ymap_get(d, it, "transfer");
        if (!c || !t)
            return na_yerr(err, d, it, "%s: needs cli and transfer", fl);
        f->npaths = i + 1;
        if (str_field(d, c, fl, &f->paths[i].cli, err) < 0 ||
            str_field(d, t, fl, &f->paths[i].transfer, err) < 0)
            return -1;
        if (!*f->paths[i].cli)
            return na_yerr(err, d, c, "%s.cli: empty", fl);
    }
    return 0;
}

static int load_hashes(na_ydoc *d, na_ynode *n, na_pfiles *f, na_err *err)
{
    static const char *const vars[] = {"path", NULL};
    if (!na_yis_map(n) || na_ymap_len(n) == 0)
        return na_yerr(err, d, n, "files.hash: expected a mapping of md5/sha256/sha512 to "
                                  "{command, pattern}, preferred first");
    for (size_t i = 0; i < na_ymap_len(n); i++) {
        na_ynode *k = na_ymap_key(d, n, i);
        na_hash_alg a;
        const char *name = na_yscalar(k);
        if (!name || na_hash_parse(name, &a) < 0 || a == NA_HASH_NONE || strchr(name, '-'))
            return na_yerr(err, d, k, "files.hash: unknown algorithm '%s' (md5, sha256, sha512)",
                           name ? name : "?");
        if (f->hash[a].command)
            return na_yerr(err, d, k, "files.hash: %s given twice", name);
        char fl[48];
        snprintf(fl, sizeof fl, "files.hash.%s", na_hash_name(a));
        if (cmd_field(d, na_ymap_val(d, n, i), fl, Q_GROUP, "hash", vars, &f->hash[a], err) < 0)
            return -1;
        f->hash_order[f->nhash++] = a;
    }
    return 0;
}

static int load_server(na_ydoc *d, na_ynode *n, int proto, na_pfiles *f, na_err *err)
{
    static const char *const keys[] = {"check", "hint", NULL};
    static const char *const vars[] = {NULL};
    char fl[32];
    snprintf(fl, sizeof fl, "files.%s", na_pf_proto_name(proto));
    if (!na_yis_map(n))
        return na_yerr(err, d, n, "%s: expected a mapping {check, hint}", fl);
    if (na_ycheck_keys(d, n, keys, fl, err) < 0)
        return -1;
    if (!na_pfiles_offers(f, proto))
        return na_yerr(err, d, n, "%s: the platform does not list %s in files.protocols", fl,
                       na_pf_proto_name(proto));
    na_ynode *v;
    char ff[48];
    snprintf(ff, sizeof ff, "%s.check", fl);
    if ((v = na_ymap_get(d, n, "check")) &&
        cmd_field(d, v, ff, Q_PLAIN, NULL, vars, &f->server[proto].check, err) < 0)
        return -1;
    snprintf(ff, sizeof ff, "%s.hint", fl);
    if ((v = na_ymap_get(d, n, "hint")) && str_field(d, v, ff, &f->server[proto].hint, err) < 0)
        return -1;
    return 0;
}

static int load(na_ydoc *d, na_ynode *n, na_pfiles *f, na_err *err)
{
    static const char *const keys[] = {"default_dir", "quote", "protocols", "transfer_paths",
                                       "free", "free_unit", "hash", "missing", "rename",
                                       "rename_replaces", "remove", "scp", "sftp", "timeout",
                                       NULL};
    static const char *const v_dir[] = {"dir", NULL};
    static const char *const v_ren[] = {"src", "dst", NULL};
    static const char *const v_path[] = {"path", "dir", "name", NULL};
    if (!na_yis_map(n))
        return na_yerr(err, d, n, "files: expected a mapping (see docs/files.md)");
    if (na_ycheck_keys(d, n, keys, "files", err) < 0)
        return -1;
    na_ynode *v;
    if ((v = na_ymap_get(d, n, "default_dir"))) {
        if (!na_yis_scalar(v))
            return na_yerr(err, d, v, "files.default_dir: expected a string");
        if (!(f->default_dir = strdup(na_yis_null(v) ? "" : na_yscalar(v))))
            return na_err_set(err, NA_E_NOMEM, "out of memory");
    } else if (!(f->default_dir = strdup(""))) {
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if ((v = na_ymap_get(d, n, "quote"))) {
        const char *q = na_yscalar(v);
        if (!q || (strcmp(q, "shell") && strcmp(q, "none")))
            return na_yerr(err, d, v, "files.quote: expected shell or none");
        f->shell_quote = !strcmp(q, "shell");
    }
    if (!(v = na_ymap_get(d, n, "protocols")))
        return na_yerr(err, d, n, "files.protocols: missing (scp, sftp or both, preferred "
                                  "first)");
    if (load_protocols(d, v, f, err) < 0)
        return -1;
    if ((v = na_ymap_get(d, n, "scp")) && load_server(d, v, NA_PF_SCP, f, err) < 0)
        return -1;
    if ((v = na_ymap_get(d, n, "sftp")) && load_server(d, v, NA_PF_SFTP, f, err) < 0)
        return -1;
    if ((v = na_ymap_get(d, n, "transfer_paths")) && load_paths(d, v, f, err) < 0)
        return -1;
    if (!(v = na_ymap_get(d, n, "free")))
        return na_yerr(err, d, n, "files.free: missing ({command, pattern} giving the free "
                                  "bytes of {dir})");
    if (cmd_field(d, v, "files.free", Q_GROUP, "free", v_dir, &f->free, err) < 0)
        return -1;
    f->free_unit = 1;
    long unit;
    if ((v = na_ymap_get(d, n, "free_unit"))) {
        if (na_ylong(d, v, 1, 1 << 30, &unit, err) < 0)
            return -1;
        f->free_unit = (unsigned long long)unit;
    }
    if (!(v = na_ymap_get(d, n, "hash")))
        return na_yerr(err, d, n, "files.hash: missing (at least one of md5, sha256, sha512)");
    if (load_hashes(d, v, f, err) < 0)
        return -1;
    if (!(v = na_ymap_get(d, n, "missing")))
        return na_yerr(err, d, n, "files.missing: missing (the device's words for \"no such "
                                  "file\")");
    if (pattern_field(d, v, "files.missing", &f->missing, err) < 0)
        return -1;
    if (!(v = na_ymap_get(d, n, "rename")))
        return na_yerr(err, d, n, "files.rename: missing ({command} moving {src} over {dst})");
    if (cmd_field(d, v, "files.rename", Q_NONE, NULL, v_ren, &f->rename, err) < 0)
        return -1;
    if (!strstr(f->rename.command, "{src}") || !strstr(f->rename.command, "{dst}"))
        return na_yerr(err, d, v, "files.rename.command: needs {src} and {dst}");
    if ((v = na_ymap_get(d, n, "rename_replaces")) &&
        na_ybool(d, v, &f->rename_replaces, err) < 0)
        return -1;
    if (!(v = na_ymap_get(d, n, "remove")))
        return na_yerr(err, d, n, "files.remove: missing ({command} deleting {path} without "
                                  "asking)");
    if (cmd_field(d, v, "files.remove", Q_NONE, NULL, v_path, &f->remove, err) < 0)
        return -1;
    f->timeout_ms = 600000;
    double secs;
    if ((v = na_ymap_get(d, n, "timeout"))) {
        if (na_ydouble(d, v, 1, 86400, &secs, err) < 0)
            return -1;
        f->timeout_ms = (int)(secs * 1000);
    }
    return 0;
}

int na_pfiles_load(na_ydoc *d, na_ynode *n, na_pfiles **out, na_err *err)
{
    *out = NULL;
    na_pfiles *f = calloc(1, sizeof *f);
    if (!f)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (load(d, n, f, err) < 0) {
        na_pfiles_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

static void cmd_free(na_pfiles_cmd *c)
{
    free(c->command);
    na_pattern_free(c->pattern);
}

void na_pfiles_free(na_pfiles *f)
{
    if (!f)
        return;
    free(f->default_dir);
    for (size_t i = 0; i < f->npaths; i++) {
        free(f->paths[i].cli);
        free(f->paths[i].transfer);
    }
    free(f->paths);
    cmd_free(&f->free);
    for (int a = 0; a < NA_HASH__COUNT; a++)
        cmd_free(&f->hash[a]);
    na_pattern_free(f->missing);
    cmd_free(&f->rename);
    cmd_free(&f->remove);
    for (int p = 0; p < NA_PF__COUNT; p++) {
        cmd_free(&f->server[p].check);
        free(f->server[p].hint);
    }
    free(f);
}

/* ---- helpers for the session layer --------------------------------------------------------- */

static bool plain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("_./:+@%=,~-", c);
}

int na_pfiles_check_path(const na_pfiles *f, const char *path, na_err *err)
{
    if (!path || !*path)
        return na_err_set(err, NA_E_USAGE, "empty device path");
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return na_err_set(err, NA_E_USAGE, "device path '%s' has a control character",
                              path);
        if (!f->shell_quote && !plain_char(*p))
            return na_err_set(err, NA_E_USAGE, "device path '%s': only letters, digits and "
                              "_ . / : + @ %% = , ~ - can be given to this platform's commands",
                              path);
    }
    if (path[0] == '-')
        return na_err_set(err, NA_E_USAGE, "device path '%s' starts with '-'", path);
    return 0;
}

char *na_pfiles_full_path(const na_pfiles *f, const char *path)
{
    /* a bare name ("c9300.bin": no '/' and no ':') goes to the default directory */
    bool bare = !strchr(path, '/') && !strchr(path, ':');
    const char *dd = f->default_dir ? f->default_dir : "";
    if (!bare || !*dd)
        return strdup(path);
    size_t n = strlen(dd) + strlen(path) + 2;
    char *o = malloc(n);
    if (o) {
        bool sep = dd[strlen(dd) - 1] == '/' || dd[strlen(dd) - 1] == ':';
        snprintf(o, n, "%s%s%s", dd, sep ? "" : "/", path);
    }
    return o;
}

void na_pfiles_split(const char *path, char *dir, size_t dcap, const char **name)
{
    const char *slash = strrchr(path, '/'), *colon = strrchr(path, ':');
    const char *cut = slash && (!colon || slash > colon) ? slash : colon;
    if (!cut) {
        snprintf(dir, dcap, ".");
        *name = path;
        return;
    }
    size_t n = (size_t)(cut - path) + 1; /* keep the separator: "flash:", "/tmp/" */
    if (cut == slash && n > 1 && !(colon && colon == cut - 1))
        n--; /* "/tmp/x" -> "/tmp" (but "flash:/x" -> "flash:/") */
    snprintf(dir, dcap, "%.*s", (int)n, path);
    *name = cut + 1;
}

char *na_pfiles_transfer_path(const na_pfiles *f, const char *path)
{
    for (size_t i = 0; i < f->npaths; i++) {
        size_t l = strlen(f->paths[i].cli);
        if (!strncmp(path, f->paths[i].cli, l)) {
            const char *rest = path + l;
            const char *t = f->paths[i].transfer;
            size_t tl = strlen(t);
            bool tsep = tl && t[tl - 1] == '/';
            if (tsep && *rest == '/')
                rest++;
            size_t n = tl + strlen(rest) + 2;
            char *o = malloc(n);
            if (o)
                snprintf(o, n, "%s%s%s", t, (tsep || !*rest || *rest == '/') ? "" : "/", rest);
            return o;
        }
    }
    return strdup(path);
}

static int put_path(const na_pfiles *f, const char *v, na_buf *b, na_err *err)
{
    if (!f->shell_quote)
        return na_buf_puts(b, v, err);
    if (na_buf_puts(b, "'", err) < 0)
        return -1;
    for (const char *p = v; *p; p++)
        if ((*p == '\'' ? na_buf_puts(b, "'\\''", err) : na_buf_append(b, p, 1, NULL, err)) < 0)
            return -1;
    return na_buf_puts(b, "'", err);
}

char *na_pfiles_render(const na_pfiles *f, const char *tmpl, const char *const *vars,
                       na_err *err)
{
    na_buf b;
    na_buf_init(&b, 1 << 16);
    for (const char *p = tmpl; *p;) {
        const char *o = strchr(p, '{');
        if (!o) {
            if (na_buf_puts(&b, p, err) < 0)
                goto fail;
            break;
        }
        if (na_buf_append(&b, p, (size_t)(o - p), NULL, err) < 0)
            goto fail;
        const char *e = strchr(o, '}');
        bool hit = false;
        for (size_t i = 0; e && vars[i]; i += 2)
            if ((size_t)(e - o - 1) == strlen(vars[i]) && !strncmp(o + 1, vars[i], e - o - 1)) {
                if (put_path(f, vars[i + 1], &b, err) < 0)
                    goto fail;
                hit = true;
                break;
            }
        if (!hit) {
            na_err_set(err, NA_E_INTERNAL, "files command '%s': no value for %.*s", tmpl,
                       e ? (int)(e - o + 1) : 1, o);
            goto fail;
        }
        p = e + 1;
    }
    return na_buf_steal(&b);
fail:
    na_buf_free(&b);
    return NULL;
}

bool na_pfiles_find(const na_pfiles_cmd *c, na_matcher *m, const char *out, size_t n, char *val,
                    size_t cap)
{
    size_t s, e;
    if (!c->pattern || !na_pattern_find(c->pattern, m, out, n, false, NULL, NULL) ||
        !na_matcher_group(m, c->group, &s, &e) || e - s >= cap)
        return false;
    memcpy(val, out + s, e - s);
    val[e - s] = '\0';
    return true;
}
