/* strmap.c — chained string hash map (see strmap.h). FNV-1a hashing; not ordered. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ent {
    struct ent *next;
    uint32_t h;
    void *val;
    char key[];
} ent;

struct na_strmap {
    ent **tab;
    size_t cap; /* power of two */
    size_t len;
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

na_strmap *na_strmap_new(void)
{
    na_strmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 16;
    m->tab = calloc(m->cap, sizeof *m->tab);
    if (!m->tab) {
        free(m);
        return NULL;
    }
    return m;
}

void na_strmap_free(na_strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        for (ent *e = m->tab[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
    }
    free(m->tab);
    free(m);
}

static ent **find(const na_strmap *m, const char *key, uint32_t h)
{
    ent **pp = &m->tab[h & (m->cap - 1)];
    while (*pp && ((*pp)->h != h || strcmp((*pp)->key, key) != 0))
        pp = &(*pp)->next;
    return pp;
}

void *na_strmap_get(const na_strmap *m, const char *key)
{
    ent *e = *find(m, key, hash(key));
    return e ? e->val : NULL;
}

static void grow(na_strmap *m)
{
    size_t ncap = m->cap * 2;
    ent **nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return; /* keep working with longer chains */
    for (size_t i = 0; i < m->cap; i++) {
        for (ent *e = m->tab[i], *n; e; e = n) {
            n = e->next;
            e->next = nt[e->h & (ncap - 1)];
            nt[e->h & (ncap - 1)] = e;
        }
    }
    free(m->tab);
    m->tab = nt;
    m->cap = ncap;
}

int na_strmap_put(na_strmap *m, const char *key, void *val)
{
    uint32_t h = hash(key);
    ent **pp = find(m, key, h);
    if (*pp) {
        (*pp)->val = val;
        return 0;
    }
    size_t kl = strlen(key);
    ent *e = malloc(sizeof *e + kl + 1);
    if (!e)
        return -1;
    memcpy(e->key, key, kl + 1);
    e->h = h;
    e->val = val;
    e->next = NULL;
    *pp = e;
    if (++m->len > m->cap)
        grow(m);
    return 0;
}

void *na_strmap_del(na_strmap *m, const char *key)
{
    ent **pp = find(m, key, hash(key));
    ent *e = *pp;
    if (!e)
        return NULL;
    *pp = e->next;
    void *v = e->val;
    free(e);
    m->len--;
    return v;
}

size_t na_strmap_len(const na_strmap *m) { return m->len; }

void na_strmap_each(const na_strmap *m, void (*fn)(const char *, void *, void *), void *ud)
{
    for (size_t i = 0; i < m->cap; i++)
        for (ent *e = m->tab[i]; e; e = e->next)
            fn(e->key, e->val, ud);
}
