/* cli_dev.c — helpers shared by the device verbs (show, compare, shell): platform registry,
 * session construction for an inventory host, host selection, error naming. Not a verb and not a
 * loop: it does no I/O. */
#include "cli_dev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

na_platforms *cli_platforms(const na_inventory *inv, na_err *err)
{
    size_t n = 0;
    const char *const *dirs = na_inv_platform_dirs(inv, &n);
    return na_platforms_new(dirs, n, err);
}

na_session *cli_session_new(na_platforms *reg, const na_inv_host *h, const cli_sess_cfg *cfg,
                            na_conn_params *params, na_err *err)
{
    const na_platform *plat = na_platform_find(reg, h->platform, err);
    if (!plat) {
        cli_err_name(err, h->name);
        return NULL;
    }
    *params = *na_inv_conn(h, cfg->kind);
    if (cfg->term_width > 0)
        params->term_width = cfg->term_width;
    if (cfg->term_height > 0)
        params->term_height = cfg->term_height;
    na_transport *t = na_transport_new(cfg->kind, params, err);
    if (!t) {
        cli_err_name(err, h->name);
        return NULL;
    }
    na_session_opts o = {
        .name = h->name,
        .secret = h->secret,
        .command_timeout_ms = cfg->command_timeout_ms,
        .max_output = cfg->max_output,
        .transcript = cfg->transcript,
    };
    na_session *s = na_session_new(t, plat, &o, err); /* owns t, also on failure */
    if (!s)
        cli_err_name(err, h->name);
    return s;
}

void cli_err_name(na_err *err, const char *name)
{
    if (!na_err_isset(err) || !name)
        return;
    size_t n = strlen(name);
    if (!strncmp(err->msg, name, n) && (err->msg[n] == ':' || err->msg[n] == ' '))
        return;
    na_err_prefix(err, "%s: ", name);
}

char *cli_transcript_path(const char *pattern, const char *name, bool several)
{
    const char *mark = "{host}";
    size_t ml = strlen(mark), nl = strlen(name), count = 0;
    for (const char *p = strstr(pattern, mark); p; p = strstr(p + ml, mark))
        count++;
    size_t len = strlen(pattern) + count * nl + (count == 0 && several ? nl + 1 : 0) + 1;
    char *out = malloc(len);
    if (!out)
        return NULL;
    if (count == 0) {
        if (several)
            snprintf(out, len, "%s.%s", pattern, name);
        else
            snprintf(out, len, "%s", pattern);
        return out;
    }
    char *o = out;
    for (const char *p = pattern; *p;) {
        if (!strncmp(p, mark, ml)) {
            memcpy(o, name, nl);
            o += nl;
            p += ml;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static bool plain_name(const char *s)
{
    return strpbrk(s, "*?[]:,!&") == NULL;
}

int cli_select_hosts(const na_inventory *inv, const char *host, const char *limit,
                     na_inv_selection *sel, na_err *err)
{
    memset(sel, 0, sizeof *sel);
    if (host && !na_inv_find(inv, host) && plain_name(host) && !na_inv_group_exists(inv, host))
        return na_err_set(err, NA_E_NOTFOUND, "host '%s' is not in the inventory %s", host,
                          na_inv_path(inv));
    if (!host)
        return na_inv_select(inv, limit, sel, err);
    if (na_inv_select(inv, host, sel, err) < 0)
        return -1;
    if (!limit || !*limit)
        return 0;
    na_inv_selection lim;
    if (na_inv_select(inv, limit, &lim, err) < 0) {
        na_inv_selection_free(sel);
        return -1;
    }
    size_t k = 0; /* keep the hosts of sel that --limit also selects (both in inventory order) */
    for (size_t i = 0, j = 0; i < sel->n; i++) {
        while (j < lim.n && lim.hosts[j]->index < sel->hosts[i]->index)
            j++;
        if (j < lim.n && lim.hosts[j] == sel->hosts[i])
            sel->hosts[k++] = sel->hosts[i];
    }
    sel->n = k;
    na_inv_selection_free(&lim);
    if (k == 0) {
        na_inv_selection_free(sel);
        return na_err_set(err, NA_E_NOTFOUND, "no host matches both '%s' and --limit '%s'", host,
                          limit);
    }
    return 0;
}

double cli_ms(int64_t us)
{
    return (double)us / 1000.0;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

json_t *cli_json_text(const char *p, size_t n)
{
    json_t *j = json_stringn(p, n);
    if (j)
        return j;
    char *out = malloc(n * 3 + 1); /* each bad byte becomes 3 bytes (EF BF BD) */
    if (!out)
        return NULL;
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        size_t l = u[i] ? utf8_len(u + i, n - i) : 0;
        if (l == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, u + i, l);
            o += l;
            i += l;
        }
    }
    j = json_stringn(out, o);
    free(out);
    return j;
}
