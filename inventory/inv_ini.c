/* inv_ini.c — Ansible INI inventories, read as Ansible's `ini` plugin reads them: lines before
 * any section are hosts of "ungrouped"; `[group]` host lines (a host pattern with ranges and an
 * optional :port, then key=value pairs split like a shell line, '#' starting a comment);
 * `[group:vars]` key=value lines; `[group:children]` group names, which must be declared as a
 * group somewhere in the file (children may be declared later); `[group:vars]` needs the group
 * declared too. Values are typed by Python's literal rules (inv_pylit.c). Errors name the file
 * and line. Not YAML (inv_ansible.c). */
#include "inv_ans_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pending {
    char *name;
    unsigned line;
    bool children;       /* named under [x:children] (else: [name:vars]) */
    size_t *parents;
    size_t n_parents;
} pending;

typedef struct ini {
    na_inventory *inv;
    const char *file;
    unsigned line;
    pending *pend;
    size_t n_pend;
    na_err *err;
} ini;

static int ierr(ini *p, const char *fmt, const char *a, const char *b)
{
    char msg[NA_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, fmt, a, b);
    return na_err_set(p->err, NA_E_CONFIG, "%s:%u: %s", p->file, p->line, msg);
}

static pending *find_pending(ini *p, const char *name)
{
    for (size_t i = 0; i < p->n_pend; i++)
        if (p->pend[i].name && !strcmp(p->pend[i].name, name))
            return &p->pend[i];
    return NULL;
}

static void drop_pending(pending *q)
{
    free(q->name);
    free(q->parents);
    q->name = NULL;
    q->parents = NULL;
    q->n_parents = 0;
}

static pending *add_pending(ini *p, const char *name, bool children)
{
    pending *np = realloc(p->pend, (p->n_pend + 1) * sizeof *np);
    if (!np)
        return NULL;
    p->pend = np;
    pending *q = &p->pend[p->n_pend];
    memset(q, 0, sizeof *q);
    if (!(q->name = strdup(name)))
        return NULL;
    q->line = p->line;
    q->children = children;
    p->n_pend++;
    return q;
}

static int add_parent(pending *q, size_t parent)
{
    size_t *a = realloc(q->parents, (q->n_parents + 1) * sizeof *a);
    if (!a)
        return -1;
    q->parents = a;
    q->parents[q->n_parents++] = parent;
    return 0;
}

static void origin(ini *p, char *buf, size_t cap) { snprintf(buf, cap, "%s:%u", p->file, p->line); }

/* A pending child group got declared: link it under its parents (and theirs, recursively). */
static int resolve_pending(ini *p, const char *name, size_t gi)
{
    pending *q = find_pending(p, name);
    if (!q || !q->children)
        return 0;
    char o[1200];
    origin(p, o, sizeof o);
    size_t *parents = q->parents, np = q->n_parents;
    q->parents = NULL;
    q->n_parents = 0;
    drop_pending(q);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < np; i++) {
        rc = na_inv_ans_child(p->inv, parents[i], gi, o, p->err);
        const char *pname = p->inv->groups[parents[i]].name;
        if (rc == 0 && find_pending(p, pname) && find_pending(p, pname)->children)
            rc = resolve_pending(p, pname, parents[i]);
    }
    free(parents);
    return rc;
}

/* "^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$" */
static int section(ini *p, const char *line, char *group, size_t gcap, char *state,
                   size_t scap)
{
    if (line[0] != '[')
        return 0;
    const char *s = line + 1;
    size_t gl = strcspn(s, ":] \t\r\n\f\v");
    if (gl == 0 || gl >= gcap)
        return 0;
    snprintf(group, gcap, "%.*s", (int)gl, s);
    s += gl;
    state[0] = '\0';
    if (*s == ':') {
        s++;
        size_t tl = 0;
        while (isalnum((unsigned char)s[tl]) || s[tl] == '_')
            tl++;
        if (tl == 0 || tl >= scap)
            return 0;
        snprintf(state, scap, "%.*s", (int)tl, s);
        s += tl;
    }
    if (*s != ']')
        return 0;
    s++;
    while (isspace((unsigned char)*s))
        s++;
    (void)p;
    return *s == '\0' || *s == '#';
}

static int host_line(ini *p, const char *line, size_t gi)
{
    inv_strlist tok = {0}, names = {0};
    char why[300], o[1200];
    origin(p, o, sizeof o);
    int rc = -1;
    if (na_inv_shlex(line, &tok, why, sizeof why) < 0) {
        ierr(p, "Error parsing host definition '%s': %s", line, why);
        goto done;
    }
    if (tok.n == 0) {
        rc = 0;
        goto done;
    }
    long port = -1;
    const char *pat = tok.v[0];
    if (na_inv_expand_hostpattern(pat, &names, &port, why, sizeof why) < 0) {
        ierr(p, "host '%s': %s", pat, why);
        goto done;
    }
    size_t pl = strlen(pat);
    if (pl && pat[pl - 1] == ':' && port < 0) {
        ierr(p, "Invalid host pattern '%s' supplied, ending in ':' is not allowed, this "
                "character is reserved to provide a port.%s", pat, "");
        goto done;
    }
    for (size_t i = 0; i < names.n; i++)
        if (!strcmp(names.v[i], "---")) {
            ierr(p, "Invalid host pattern '%s' supplied, '---' is normally a sign this is a "
                    "YAML file.%s", pat, "");
            goto done;
        }
    /* key=value pairs: all checked before any host is added */
    for (size_t t = 1; t < tok.n; t++)
        if (!strchr(tok.v[t], '=')) {
            ierr(p, "Expected key=value host variable assignment, got: %s%s", tok.v[t], "");
            goto done;
        }
    for (size_t i = 0; i < names.n; i++) {
        size_t hi = na_inv_ans_host(p->inv, names.v[i], gi, port, o, p->err);
        if (hi == (size_t)-1)
            goto done;
        for (size_t t = 1; t < tok.n; t++) {
            char *eq = strchr(tok.v[t], '=');
            *eq = '\0';
            json_t *v = na_inv_pylit(eq + 1);
            if (!v)
                v = json_string(eq + 1);
            int r = v ? na_inv_ans_host_var(p->inv, hi, tok.v[t], v, o, p->err)
                      : ierr(p, "host '%s': the value of %s is not UTF-8 text", names.v[i],
                             tok.v[t]);
            *eq = '=';
            if (r < 0)
                goto done;
        }
    }
    rc = 0;
done:
    na_inv_strlist_free(&tok);
    na_inv_strlist_free(&names);
    return rc;
}

static int var_line(ini *p, const char *line, size_t gi)
{
    const char *eq = strchr(line, '=');
    if (!eq)
        return ierr(p, "Expected key=value, got: %s%s", line, "");
    char key[1024], o[1200];
    size_t kl = (size_t)(eq - line);
    while (kl && isspace((unsigned char)line[kl - 1]))
        kl--;
    if (kl >= sizeof key)
        return ierr(p, "variable name too long%s%s", "", "");
    snprintf(key, sizeof key, "%.*s", (int)kl, line);
    const char *val = eq + 1;
    while (isspace((unsigned char)*val))
        val++;
    char *vcopy = strdup(val);
    if (!vcopy)
        return na_err_set(p->err, NA_E_NOMEM, "out of memory");
    size_t vl = strlen(vcopy);
    while (vl && isspace((unsigned char)vcopy[vl - 1]))
        vcopy[--vl] = '\0';
    json_t *v = na_inv_pylit(vcopy);
    if (!v)
        v = json_string(vcopy);
    free(vcopy);
    if (!v)
        return ierr(p, "the value of %s is not UTF-8 text%s", key, "");
    origin(p, o, sizeof o);
    return na_inv_ans_group_var(p->inv, gi, key, v, o, p->err);
}

static int child_line(ini *p, const char *line, size_t parent)
{
    size_t gl = strcspn(line, ":] \t\r\n\f\v");
    const char *rest = line + gl;
    while (isspace((unsigned char)*rest))
        rest++;
    if (gl == 0 || (*rest && *rest != '#'))
        return ierr(p, "Expected group name, got: %s%s", line, "");
    char name[1024], o[1200];
    if (gl >= sizeof name)
        return ierr(p, "group name too long%s%s", "", "");
    snprintf(name, sizeof name, "%.*s", (int)gl, line);
    origin(p, o, sizeof o);
    size_t ci = na_inv_group_index(p->inv, name);
    if (ci != (size_t)-1)
        return na_inv_ans_child(p->inv, parent, ci, o, p->err);
    pending *q = find_pending(p, name);
    if (!q && !(q = add_pending(p, name, true)))
        return na_err_set(p->err, NA_E_NOMEM, "out of memory");
    return add_parent(q, parent) < 0 ? na_err_set(p->err, NA_E_NOMEM, "out of memory") : 0;
}

int na_inv_ans_ini(na_inventory *inv, const char *file, const char *text, size_t n, na_err *err)
{
    ini p = {.inv = inv, .file = file, .err = err};
    size_t gi = na_inv_group_index(inv, "ungrouped");
    char state[64] = "hosts";
    int rc = 0;
    const char *s = text, *end = text + n;
    while (rc == 0 && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        p.line++;
        char *line = strndup(s, len);
        s += len + (nl ? 1 : 0);
        if (!line) {
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
            break;
        }
        if (memchr(line, '\0', len) || strlen(line) != len) {
            free(line);
            rc = ierr(&p, "a NUL byte in the line%s%s", "", "");
            break;
        }
        char *l = line;
        while (isspace((unsigned char)*l))
            l++;
        size_t ll = strlen(l);
        while (ll && isspace((unsigned char)l[ll - 1]))
            l[--ll] = '\0';
        if (!*l || *l == '#' || *l == ';') {
            free(line);
            continue;
        }
        char group[1024], st[64], o[1200];
        if (section(&p, l, group, sizeof group, st, sizeof st)) {
            snprintf(state, sizeof state, "%s", *st ? st : "hosts");
            if (strcmp(state, "hosts") && strcmp(state, "children") && strcmp(state, "vars")) {
                char title[1200];
                snprintf(title, sizeof title, "%s:%s", group, st);
                rc = ierr(&p, "Section [%s] has unknown type: %s", title, st);
                free(line);
                break;
            }
            origin(&p, o, sizeof o);
            bool existed = na_inv_group_index(inv, group) != (size_t)-1;
            gi = na_inv_ans_group(inv, group, o, err);
            if (gi == (size_t)-1) {
                free(line);
                rc = -1;
                break;
            }
            pending *q = find_pending(&p, group);
            if (!existed && !strcmp(state, "vars") && !q && !add_pending(&p, group, false))
                rc = na_err_set(err, NA_E_NOMEM, "out of memory");
            if (rc == 0 && q && strcmp(state, "vars") != 0) {
                if (q->children)
                    rc = resolve_pending(&p, group, gi);
                else
                    drop_pending(q);
            }
            free(line);
            continue;
        }
        if (l[0] == '[' && l[ll - 1] == ']') {
            rc = ierr(&p, "Invalid section entry: '%s'. Please make sure that there are no "
                          "spaces in the section entry, and that there are no other invalid "
                          "characters%s", l, "");
            free(line);
            break;
        }
        if (!strcmp(state, "hosts"))
            rc = host_line(&p, l, gi);
        else if (!strcmp(state, "vars"))
            rc = var_line(&p, l, gi);
        else
            rc = child_line(&p, l, gi);
        free(line);
    }
    for (size_t i = 0; rc == 0 && i < p.n_pend; i++) {
        pending *q = &p.pend[i];
        if (!q->name)
            continue;
        p.line = q->line;
        if (q->children)
            rc = ierr(&p, "Section [%s:children] includes undefined group: %s",
                      inv->groups[q->parents[q->n_parents - 1]].name, q->name);
        else
            rc = ierr(&p, "Section [%s:vars] not valid for undefined group: %s", q->name,
                      q->name);
    }
    for (size_t i = 0; i < p.n_pend; i++)
        drop_pending(&p.pend[i]);
    free(p.pend);
    return rc;
}
