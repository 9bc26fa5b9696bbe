/* inv_limit.c — --limit host patterns with Ansible's semantics: parts separated by ',' or ':',
 * each a host name, a group name or a glob (matched against host and group names); '&' parts
 * intersect and '!' parts exclude, applied after the unions in that order. The result keeps
 * inventory order. Not Ansible's regex (~) or slice ([0:2]) forms. */
#include "inv_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

static bool is_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* Mark the hosts `pat` matches in m (0/1 per host). Returns how many. */
static size_t match(const na_inventory *inv, const char *pat, unsigned char *m)
{
    size_t count = 0;
    memset(m, 0, inv->n_hosts);
    bool glob = is_glob(pat);
    size_t g = glob ? (size_t)-1 : na_inv_group_index(inv, pat);
    size_t h = glob ? (size_t)-1 : na_inv_host_index(inv, pat);
    for (size_t i = 0; i < inv->n_hosts; i++) {
        const inv_hostdef *hd = &inv->hosts[i];
        bool hit = false;
        if (glob) {
            hit = fnmatch(pat, hd->pub.name, 0) == 0;
            for (size_t k = 0; !hit && k < hd->n_order; k++)
                hit = fnmatch(pat, inv->groups[hd->order[k]].name, 0) == 0;
        } else {
            hit = i == h;
            for (size_t k = 0; !hit && g != (size_t)-1 && k < hd->n_order; k++)
                hit = hd->order[k] == g;
        }
        if (hit) {
            m[i] = 1;
            count++;
        }
    }
    return count;
}

int na_inv_select(const na_inventory *inv, const char *pattern, na_inv_selection *sel,
                  na_err *err)
{
    sel->hosts = NULL;
    sel->n = 0;
    size_t n = inv->n_hosts;
    unsigned char *res = malloc(n + 1), *m = malloc(n + 1);
    char *copy = strdup(pattern ? pattern : "");
    int rc = -1;
    if (!res || !m || !copy) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto done;
    }
    /* parts in order; unions first, then intersections, then exclusions (three passes) */
    bool any_union = false, any_part = false;
    for (char *p = copy; *p; p++)
        if (*p == ',' || *p == ':')
            *p = '\0';
    const char *end = copy + strlen(pattern ? pattern : "");
    memset(res, 0, n);
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1 && !any_union)
            memset(res, 1, n); /* only '&'/'!' parts: start from all */
        for (const char *p = copy; p <= end; p += strlen(p) + 1) {
            while (*p == ' ' || *p == '\t')
                p++;
            size_t l = strlen(p);
            while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
                l--;
            if (l == 0)
                continue;
            char part[256];
            if (l >= sizeof part) {
                na_err_set(err, NA_E_USAGE, "--limit: pattern part too long");
                goto done;
            }
            memcpy(part, p, l);
            part[l] = '\0';
            int kind = part[0] == '&' ? 1 : part[0] == '!' ? 2 : 0;
            if (kind != pass)
                continue;
            any_part = true;
            const char *pat = kind ? part + 1 : part;
            if (!*pat || *pat == '&' || *pat == '!') {
                na_err_set(err, NA_E_USAGE, "--limit: '%s' is not a pattern", part);
                goto done;
            }
            if (*pat == '~') {
                na_err_set(err, NA_E_USAGE, "--limit: '%s': regular expressions (~) are not "
                           "supported; use globs such as sw*", part);
                goto done;
            }
            if (match(inv, pat, m) == 0) {
                na_err_set(err, NA_E_NOTFOUND, "--limit: '%s' matches no host or group", pat);
                goto done;
            }
            if (kind == 0)
                any_union = true;
            for (size_t i = 0; i < n; i++)
                res[i] = kind == 0 ? (res[i] | m[i]) : kind == 1 ? (res[i] & m[i])
                                                                 : (res[i] & !m[i]);
        }
    }
    if (!any_part) {
        if (pattern && *pattern) {
            na_err_set(err, NA_E_USAGE, "--limit: '%s' has no pattern in it", pattern);
            goto done;
        }
        memset(res, 1, n);
    }
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += res[i];
    sel->hosts = malloc((count + 1) * sizeof *sel->hosts);
    if (!sel->hosts) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (res[i])
            sel->hosts[sel->n++] = &inv->hosts[i].pub;
    rc = 0;
done:
    free(res);
    free(m);
    free(copy);
    return rc;
}

void na_inv_selection_free(na_inv_selection *sel)
{
    if (!sel)
        return;
    free(sel->hosts);
    sel->hosts = NULL;
    sel->n = 0;
}
