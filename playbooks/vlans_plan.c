/* vlans_plan.c — desired VLAN state -> config commands, and verification of the state read back
 * (see vlans.h for the semantics of each state). Not a parser: vlans_parse.c reads devices. */
#include "vlans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool na_vlan_is_default(int id) { return id == 1 || (id >= 1002 && id <= 1005); }

void na_vlan_default_name(int id, char *buf, size_t cap) { snprintf(buf, cap, "VLAN%04d", id); }

const char *na_vlan_name_problem(const char *name)
{
    size_t n = strlen(name);
    if (n == 0)
        return "is empty";
    if (n > NA_VLAN_NAME_MAX)
        return "is longer than 32 characters";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == ' ' || c == '\t')
            return "contains a space (VLAN names are one word)";
        if (c < 0x21 || c > 0x7e)
            return "contains a character that is not printable ASCII";
        if (c == '?' || c == '"' || c == '\'')
            return "contains '?' or a quote";
    }
    return NULL;
}

static const char *const STATES[] = {"merged", "replaced", "overridden", "deleted"};

int na_vlans_state_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, STATES[i]))
            return i;
    return -1;
}

const char *na_vlans_state_name(na_vlans_state s)
{
    return (unsigned)s < 4 ? STATES[s] : "?";
}

int na_vlans_check(const na_vlan_want *want, size_t n, na_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int id = want[i].id;
        if (id < 1 || id > NA_VLANS_MAX)
            return na_err_set(err, NA_E_CONFIG, "VLAN id %d is out of range (1-4094)", id);
        if (na_vlan_is_default(id))
            return na_err_set(err, NA_E_CONFIG,
                              "VLAN %d is a default VLAN (1, 1002-1005) and is never changed",
                              id);
        for (size_t j = 0; j < i; j++)
            if (want[j].id == id)
                return na_err_set(err, NA_E_CONFIG, "VLAN %d is listed twice", id);
        const char *why = want[i].name ? na_vlan_name_problem(want[i].name) : NULL;
        if (why)
            return na_err_set(err, NA_E_CONFIG, "VLAN %d: name '%s' %s", id, want[i].name, why);
    }
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static const na_vlan_want *find_want(const na_vlan_want *want, size_t n, int id)
{
    for (size_t i = 0; i < n; i++)
        if (want[i].id == id)
            return &want[i];
    return NULL;
}

/* The name a VLAN must have, or NULL when any name will do. */
static const char *desired_name(na_vlans_state st, const na_vlan_want *w, char *buf, size_t cap)
{
    if (w->name)
        return w->name;
    if (st == NA_VLANS_MERGED)
        return NULL;
    na_vlan_default_name(w->id, buf, cap);
    return buf;
}

static int sorted_ids(const na_vlan_want *want, size_t n, int **out, na_err *err)
{
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        (*out)[i] = want[i].id;
    qsort(*out, n, sizeof **out, cmp_int);
    return 0;
}

/* Ids of current VLANs to delete, ascending. */
static int deletions(na_vlans_state st, const na_vlan_want *want, size_t n,
                     const na_vlan_list *cur, int **out, size_t *nout, na_err *err)
{
    *nout = 0;
    *out = malloc((cur->n ? cur->n : 1) * sizeof **out);
    if (!*out)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < cur->n; i++) {
        int id = cur->v[i].id;
        if (na_vlan_is_default(id))
            continue;
        bool listed = find_want(want, n, id) != NULL;
        if ((st == NA_VLANS_OVERRIDDEN && !listed) ||
            (st == NA_VLANS_DELETED && (n == 0 || listed)))
            (*out)[(*nout)++] = id;
    }
    qsort(*out, *nout, sizeof **out, cmp_int);
    return 0;
}

int na_vlans_plan(na_vlans_state st, const na_vlan_want *want, size_t n,
                  const na_vlan_list *cur, na_strv *cmds, na_err *err)
{
    if ((unsigned)st > NA_VLANS_DELETED)
        return na_err_set(err, NA_E_CONFIG, "unknown VLAN state %d", (int)st);
    if (na_vlans_check(want, n, err) < 0)
        return -1;
    int *del = NULL, *ids = NULL;
    size_t ndel = 0;
    char b[64];
    int rc = deletions(st, want, n, cur, &del, &ndel, err);
    for (size_t i = 0; rc == 0 && i < ndel; i++) {
        snprintf(b, sizeof b, "no vlan %d", del[i]);
        rc = na_strv_push(cmds, b, err);
    }
    if (rc == 0 && st != NA_VLANS_DELETED)
        rc = sorted_ids(want, n, &ids, err);
    for (size_t i = 0; rc == 0 && st != NA_VLANS_DELETED && i < n; i++) {
        const na_vlan_want *w = find_want(want, n, ids[i]);
        const na_vlan *c = na_vlan_find(cur, w->id);
        char dn[16];
        const char *name = desired_name(st, w, dn, sizeof dn);
        bool create = !c;
        bool rename = c && name && strcmp(c->name, name) != 0;
        if (!create && !rename)
            continue;
        snprintf(b, sizeof b, "vlan %d", w->id);
        rc = na_strv_push(cmds, b, err);
        if (rc == 0 && w->name && (create || rename)) {
            snprintf(b, sizeof b, "name %s", w->name);
            rc = na_strv_push(cmds, b, err);
        } else if (rc == 0 && rename) /* back to the default name */
            rc = na_strv_push(cmds, "no name", err);
        if (rc == 0)
            rc = na_strv_push(cmds, "exit", err);
    }
    free(del);
    free(ids);
    return rc;
}

int na_vlans_verify(na_vlans_state st, const na_vlan_want *want, size_t n,
                    const na_vlan_list *after, na_err *err)
{
    char msg[NA_ERR_MSG_MAX] = "";
    size_t o = 0, problems = 0;
#define PROBLEM(...)                                                                           \
    do {                                                                                       \
        if (o < sizeof msg - 1) {                                                              \
            o += (size_t)snprintf(msg + o, sizeof msg - o, "%s", problems ? "; " : "");        \
            if (o < sizeof msg - 1)                                                            \
                o += (size_t)snprintf(msg + o, sizeof msg - o, __VA_ARGS__);                   \
        }                                                                                      \
        problems++;                                                                            \
    } while (0)
    if (st != NA_VLANS_DELETED) {
        for (size_t i = 0; i < n; i++) {
            const na_vlan *c = na_vlan_find(after, want[i].id);
            char dn[16];
            const char *name = desired_name(st, &want[i], dn, sizeof dn);
            if (!c)
                PROBLEM("VLAN %d is missing", want[i].id);
            else if (name && strcmp(c->name, name) != 0)
                PROBLEM("VLAN %d is named '%s', not '%s'", want[i].id, c->name, name);
        }
    }
    int *del = NULL;
    size_t ndel = 0;
    if (st == NA_VLANS_OVERRIDDEN || st == NA_VLANS_DELETED) {
        if (deletions(st, want, n, after, &del, &ndel, err) < 0)
            return -1;
        for (size_t i = 0; i < ndel; i++)
            PROBLEM("VLAN %d should not exist", del[i]);
        free(del);
    }
#undef PROBLEM
    if (problems)
        return na_err_set(err, NA_E_DEVICE, "VLANs not as wanted (%s): %s",
                          na_vlans_state_name(st), msg);
    return 0;
}
