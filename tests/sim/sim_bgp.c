/* sim_bgp.c — IOS's `router bgp` section with its address families, as a real IOS keeps it:
 * `router bgp ASN` enters config-router, `address-family ...` config-router-af (left with
 * `exit-address-family` or `exit`), lines are kept once each in IOS's order (not the order they
 * were typed: `bgp ...` lines, then neighbors, then the rest at router level; in an address
 * family `bgp`, `redistribute`, `network`, `aggregate-address`, then neighbors), `no LINE`
 * removes a line, and `show running-config` prints the section after the interfaces, an
 * address family between ` !` and ` exit-address-family`. What the configuration-convergence
 * tests need (issue 13: nested sections, lines that arrive in another order). Not BGP: no
 * sessions, no routes, no syntax check of the lines. IOS personality only. */
#include "sim_show.h"
#include "sim_term_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BGP_MAX_LINES 4096

typedef struct bgp_sec {
    char *name;   /* "ipv4", "ipv4 vrf blue" (address families); NULL at router level */
    char **lines;
    size_t n, cap;
} bgp_sec;

struct sim_bgp {
    char asn[16];
    bgp_sec top;
    bgp_sec *afs;
    size_t naf, capaf;
};

static void sec_free(bgp_sec *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->name);
}

void sim_bgp_free(struct sim_bgp *b)
{
    if (!b)
        return;
    sec_free(&b->top);
    for (size_t i = 0; i < b->naf; i++)
        sec_free(&b->afs[i]);
    free(b->afs);
    free(b);
}

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* IOS's order of lines within the section (lower first; equal ranks keep their order). */
static int rank(const char *l, bool af)
{
    if (starts(l, "bgp "))
        return 0;
    if (!af)
        return starts(l, "neighbor ") ? 1 : 2;
    if (starts(l, "redistribute "))
        return 1;
    if (starts(l, "network "))
        return 2;
    if (starts(l, "aggregate-address "))
        return 3;
    return starts(l, "neighbor ") ? 4 : 5;
}

static void sec_add(sim_term *t, bgp_sec *s, const char *line, size_t len)
{
    while (len && line[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->lines[i]) == len && memcmp(s->lines[i], line, len) == 0)
            return; /* already there: nothing changes */
    if (s->n >= BGP_MAX_LINES || (s->n == s->cap && !(s->lines = realloc(s->lines,
                                                           (s->cap = s->cap ? s->cap * 2 : 8) *
                                                               sizeof *s->lines)))) {
        s->n = s->cap = 0; /* out of memory: the section is lost, as a test would notice */
        sim_t_puts(t, "% Not enough memory\n");
        return;
    }
    char *c = strndup(line, len);
    if (!c)
        return;
    int r = rank(c, s->name != NULL);
    size_t at = s->n;
    while (at > 0 && rank(s->lines[at - 1], s->name != NULL) > r)
        at--;
    memmove(s->lines + at + 1, s->lines + at, (s->n - at) * sizeof *s->lines);
    s->lines[at] = c;
    s->n++;
}

static void sec_del(bgp_sec *s, const char *line, size_t len)
{
    while (len && line[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->lines[i]) == len && memcmp(s->lines[i], line, len) == 0) {
            free(s->lines[i]);
            memmove(s->lines + i, s->lines + i + 1, (s->n - i - 1) * sizeof *s->lines);
            s->n--;
            return;
        }
}

/* The section the session is in (router level or its address family). */
static bgp_sec *cur(sim_term *t)
{
    struct sim_bgp *b = t->dev->bgp;
    if (!b)
        return NULL;
    if (t->mode == SIM_M_AF && t->bgp_af >= 0 && (size_t)t->bgp_af < b->naf)
        return &b->afs[t->bgp_af];
    return &b->top;
}

void sim_c_router_bgp(sim_term *t, const sim_args *a)
{
    char asn[32];
    sim_arg(a, 2, asn, sizeof asn);
    struct sim_bgp *b = t->dev->bgp;
    if (b && strcmp(b->asn, asn) != 0) {
        sim_t_printf(t, "%% BGP is already running; AS is %s\n", b->asn);
        return;
    }
    if (!b && !(b = t->dev->bgp = calloc(1, sizeof *b))) {
        sim_t_puts(t, "% Not enough memory\n");
        return;
    }
    snprintf(b->asn, sizeof b->asn, "%s", asn);
    sim_t_set_mode(t, SIM_M_RTR);
}

void sim_c_no_router_bgp(sim_term *t, const sim_args *a)
{
    char asn[32];
    sim_arg(a, 3, asn, sizeof asn);
    if (t->dev->bgp && strcmp(t->dev->bgp->asn, asn) == 0) {
        sim_bgp_free(t->dev->bgp);
        t->dev->bgp = NULL;
    }
}

/* address-family NAME... (router or address-family mode) */
void sim_c_bgp_af(sim_term *t, const sim_args *a)
{
    struct sim_bgp *b = t->dev->bgp;
    if (!b)
        return;
    const char *name = a->line + a->off[1];
    size_t len = strlen(name);
    while (len && name[len - 1] == ' ')
        len--;
    size_t i = 0;
    while (i < b->naf && !(strlen(b->afs[i].name) == len && !memcmp(b->afs[i].name, name, len)))
        i++;
    if (i == b->naf) {
        if (b->naf == b->capaf) {
            size_t cap = b->capaf ? b->capaf * 2 : 4;
            bgp_sec *v = realloc(b->afs, cap * sizeof *v);
            if (!v)
                return;
            b->afs = v;
            b->capaf = cap;
        }
        memset(&b->afs[i], 0, sizeof b->afs[i]);
        if (!(b->afs[i].name = strndup(name, len)))
            return;
        b->naf++;
    }
    t->bgp_af = (int)i;
    sim_t_set_mode(t, SIM_M_AF);
}

void sim_c_bgp_exit_af(sim_term *t, const sim_args *a)
{
    (void)a;
    sim_t_set_mode(t, SIM_M_RTR);
}

/* Any line of the section: kept once, in IOS's order. */
void sim_c_bgp_line(sim_term *t, const sim_args *a)
{
    bgp_sec *s = cur(t);
    if (s)
        sec_add(t, s, a->line + a->off[0], strlen(a->line + a->off[0]));
}

void sim_c_bgp_no(sim_term *t, const sim_args *a)
{
    bgp_sec *s = cur(t);
    if (s)
        sec_del(s, a->line + a->off[1], strlen(a->line + a->off[1]));
}

int sim_bgp_render(const sim_device *d, na_buf *o, na_err *e)
{
    const struct sim_bgp *b = d->bgp;
    if (!b)
        return 0;
    if (na_buf_printf(o, e, "router bgp %s\n", b->asn) < 0)
        return -1;
    for (size_t i = 0; i < b->top.n; i++)
        if (na_buf_printf(o, e, " %s\n", b->top.lines[i]) < 0)
            return -1;
    for (size_t k = 0; k < b->naf; k++) {
        const bgp_sec *s = &b->afs[k];
        if (na_buf_printf(o, e, " !\n address-family %s\n", s->name) < 0)
            return -1;
        for (size_t i = 0; i < s->n; i++)
            if (na_buf_printf(o, e, "  %s\n", s->lines[i]) < 0)
                return -1;
        if (na_buf_puts(o, " exit-address-family\n", e) < 0)
            return -1;
    }
    return na_buf_puts(o, "!\n", e);
}
