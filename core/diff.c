/* diff.c — Myers' diff (middle-snake bisection, linear space, explicit work stack) over interned
 * lines, and `diff -u` style output (see diff.h). Not a three-way merge nor a patch applier. */
#include "diff.h"

#include <stdlib.h>
#include <string.h>

typedef struct dline {
    const char *s;
    size_t n;     /* without the newline */
    bool noeol;   /* last line of a text without a final newline */
} dline;

typedef struct seq {
    dline *l;
    int *id;      /* interned line ids: equal lines, equal ids */
    bool *chg;    /* deleted (a) / inserted (b) */
    size_t n;
} seq;

typedef struct range {
    size_t a0, a1, b0, b1;
} range;

typedef struct dctx {
    seq a, b;
    uint64_t work, max_work;
    int *v1, *v2; /* bisection diagonals, sized for the largest range */
    range *stack;
    size_t nstack, capstack;
} dctx;

static const char *const VOLATILE[] = {
    "Building configuration...",
    "Current configuration :",
    "! Last configuration change at ",
    "! NVRAM config last updated at ",
    "! No configuration change since last restart",
    "!Time:",
    "!Running configuration last done at:",
    "ntp clock-period ",
    "Using ", /* IOS show startup-config: "Using 1234 out of 524288 bytes" */
    NULL,
};

bool na_diff_is_volatile(const char *s, size_t n)
{
    for (int i = 0; VOLATILE[i]; i++) {
        size_t k = strlen(VOLATILE[i]);
        if (n >= k && !memcmp(s, VOLATILE[i], k))
            return true;
    }
    return false;
}

static int split_lines(const char *t, size_t n, bool keep_volatile, size_t max, seq *s,
                       const char *which, na_err *err)
{
    if (!t) { /* NULL with length 0: an empty text */
        t = "";
        n = 0;
    }
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += t[i] == '\n';
    if (n && t[n - 1] != '\n')
        count++;
    if (count > max)
        return na_err_set(err, NA_E_OVERFLOW, "%s text is too large to diff (%zu lines, limit %zu)",
                          which, count, max);
    s->l = calloc(count ? count : 1, sizeof *s->l);
    s->id = calloc(count ? count : 1, sizeof *s->id);
    s->chg = calloc(count ? count : 1, sizeof *s->chg);
    if (!s->l || !s->id || !s->chg)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    s->n = 0;
    const char *p = t, *end = t + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        dline d = {p, nl ? (size_t)(nl - p) : (size_t)(end - p), !nl};
        size_t vn = d.n && d.s[d.n - 1] == '\r' ? d.n - 1 : d.n;
        if (keep_volatile || !na_diff_is_volatile(d.s, vn))
            s->l[s->n++] = d;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static uint64_t hash_line(const dline *d)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < d->n; i++)
        h = (h ^ (unsigned char)d->s[i]) * 1099511628211ULL;
    return h ^ d->noeol;
}

static bool same_line(const dline *x, const dline *y)
{
    return x->n == y->n && x->noeol == y->noeol && !memcmp(x->s, y->s, x->n);
}

/* Give equal lines equal small integers (open addressing over both texts). */
static int intern(dctx *c, na_err *err)
{
    size_t total = c->a.n + c->b.n, cap = 16;
    while (cap < total * 2)
        cap *= 2;
    int *slot = malloc(cap * sizeof *slot);
    const dline **rep = malloc((total ? total : 1) * sizeof *rep);
    if (!slot || !rep) {
        free(slot);
        free(rep);
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    memset(slot, -1, cap * sizeof *slot);
    int next = 0;
    seq *ss[2] = {&c->a, &c->b};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < ss[k]->n; i++) {
            const dline *d = &ss[k]->l[i];
            size_t h = (size_t)hash_line(d) & (cap - 1);
            while (slot[h] >= 0 && !same_line(rep[slot[h]], d))
                h = (h + 1) & (cap - 1);
            if (slot[h] < 0) {
                rep[next] = d;
                slot[h] = next++;
            }
            ss[k]->id[i] = slot[h];
        }
    }
    free(slot);
    free(rep);
    return 0;
}

static int push(dctx *c, size_t a0, size_t a1, size_t b0, size_t b1, na_err *err)
{
    if (c->nstack == c->capstack) {
        size_t cap = c->capstack ? c->capstack * 2 : 64;
        range *r = realloc(c->stack, cap * sizeof *r);
        if (!r)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        c->stack = r;
        c->capstack = cap;
    }
    c->stack[c->nstack++] = (range){a0, a1, b0, b1};
    return 0;
}

static int over_budget(dctx *c, na_err *err)
{
    return na_err_set(err, NA_E_OVERFLOW,
                      "the texts differ too much to diff within the work limit (%zu and %zu "
                      "lines, more than %llu comparison steps)",
                      c->a.n, c->b.n, (unsigned long long)c->max_work);
}

/* Myers' middle snake of A[a0..a1) vs B[b0..b1) (both non-empty). 1 with the split point in
 * xs, ys (offsets into the range), 0 if none, -1 over budget. */
static int bisect(dctx *c, const range *r, size_t *xs, size_t *ys, na_err *err)
{
    const int *A = c->a.id + r->a0, *B = c->b.id + r->b0;
    long N = (long)(r->a1 - r->a0), M = (long)(r->b1 - r->b0);
    long max_d = (N + M + 1) / 2, off = max_d, vlen = 2 * max_d + 2;
    int *v1 = c->v1, *v2 = c->v2;
    for (long i = 0; i < vlen; i++)
        v1[i] = v2[i] = -1;
    v1[off + 1] = 0;
    v2[off + 1] = 0;
    long delta = N - M;
    bool front = (delta & 1) != 0;
    long k1s = 0, k1e = 0, k2s = 0, k2e = 0;
    for (long d = 0; d < max_d; d++) {
        for (long k1 = -d + k1s; k1 <= d - k1e; k1 += 2) {
            long ko = off + k1, x1;
            if (k1 == -d || (k1 != d && v1[ko - 1] < v1[ko + 1]))
                x1 = v1[ko + 1];
            else
                x1 = v1[ko - 1] + 1;
            long y1 = x1 - k1;
            while (x1 < N && y1 < M && A[x1] == B[y1]) {
                x1++;
                y1++;
                c->work++;
            }
            if (++c->work > c->max_work)
                return over_budget(c, err);
            v1[ko] = (int)x1;
            if (x1 > N) {
                k1e += 2;
            } else if (y1 > M) {
                k1s += 2;
            } else if (front) {
                long k2o = off + delta - k1;
                if (k2o >= 0 && k2o < vlen && v2[k2o] != -1 && x1 >= N - v2[k2o]) {
                    *xs = (size_t)x1;
                    *ys = (size_t)y1;
                    return 1;
                }
            }
        }
        for (long k2 = -d + k2s; k2 <= d - k2e; k2 += 2) {
            long ko = off + k2, x2;
            if (k2 == -d || (k2 != d && v2[ko - 1] < v2[ko + 1]))
                x2 = v2[ko + 1];
            else
                x2 = v2[ko - 1] + 1;
            long y2 = x2 - k2;
            while (x2 < N && y2 < M && A[N - x2 - 1] == B[M - y2 - 1]) {
                x2++;
                y2++;
                c->work++;
            }
            if (++c->work > c->max_work)
                return over_budget(c, err);
            v2[ko] = (int)x2;
            if (x2 > N) {
                k2e += 2;
            } else if (y2 > M) {
                k2s += 2;
            } else if (!front) {
                long k1o = off + delta - k2;
                if (k1o >= 0 && k1o < vlen && v1[k1o] != -1) {
                    long x1 = v1[k1o], y1 = off + x1 - k1o;
                    if (x1 >= N - x2) {
                        *xs = (size_t)x1;
                        *ys = (size_t)y1;
                        return 1;
                    }
                }
            }
        }
    }
    return 0;
}

static void mark_all(dctx *c, const range *r)
{
    for (size_t i = r->a0; i < r->a1; i++)
        c->a.chg[i] = true;
    for (size_t j = r->b0; j < r->b1; j++)
        c->b.chg[j] = true;
}

static int compare_seqs(dctx *c, na_err *err)
{
    if (push(c, 0, c->a.n, 0, c->b.n, err) < 0)
        return -1;
    while (c->nstack) {
        range r = c->stack[--c->nstack];
        while (r.a0 < r.a1 && r.b0 < r.b1 && c->a.id[r.a0] == c->b.id[r.b0]) {
            r.a0++;
            r.b0++;
        }
        while (r.a0 < r.a1 && r.b0 < r.b1 && c->a.id[r.a1 - 1] == c->b.id[r.b1 - 1]) {
            r.a1--;
            r.b1--;
        }
        if (r.a0 == r.a1 || r.b0 == r.b1) {
            mark_all(c, &r);
            continue;
        }
        size_t x = 0, y = 0;
        int s = bisect(c, &r, &x, &y, err);
        if (s < 0)
            return -1;
        /* no split, or one that would not shrink the problem: all changed (still correct) */
        if (s == 0 || (x == 0 && y == 0) || (x == r.a1 - r.a0 && y == r.b1 - r.b0)) {
            mark_all(c, &r);
            continue;
        }
        if (push(c, r.a0, r.a0 + x, r.b0, r.b0 + y, err) < 0 ||
            push(c, r.a0 + x, r.a1, r.b0 + y, r.b1, err) < 0)
            return -1;
    }
    return 0;
}

typedef struct op {
    char t;      /* ' ', '-', '+' */
    size_t ai, bj;
} op;

static int emit_line(na_buf *out, char t, const dline *d, na_err *err)
{
    if (na_buf_append(out, &t, 1, "diff", err) < 0 ||
        na_buf_append(out, d->s, d->n, "diff", err) < 0 ||
        na_buf_append(out, "\n", 1, "diff", err) < 0)
        return -1;
    if (d->noeol)
        return na_buf_puts(out, "\\ No newline at end of file\n", err);
    return 0;
}

static int range_str(na_buf *out, size_t start, size_t count, na_err *err)
{
    if (count == 1)
        return na_buf_printf(out, err, "%zu", start + 1);
    return na_buf_printf(out, err, "%zu,%zu", count ? start + 1 : start, count);
}

static int emit(dctx *c, const na_diff_opts *o, na_buf *out, bool *changed, na_err *err)
{
    size_t nops = 0;
    op *ops = malloc((c->a.n + c->b.n + 1) * sizeof *ops);
    if (!ops)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t i = 0, j = 0;
    while (i < c->a.n || j < c->b.n) {
        if (i < c->a.n && c->a.chg[i])
            ops[nops++] = (op){'-', i++, j};
        else if (j < c->b.n && c->b.chg[j])
            ops[nops++] = (op){'+', i, j++};
        else
            ops[nops++] = (op){' ', i++, j++};
    }
    size_t ctx = o->context, pos = 0;
    bool any = false;
    int rc = 0;
    while (rc == 0) {
        size_t first = pos;
        while (first < nops && ops[first].t == ' ')
            first++;
        if (first == nops)
            break;
        size_t last = first, k = first + 1;
        for (; k < nops; k++) {
            if (ops[k].t != ' ')
                last = k;
            else if (k - last > 2 * ctx)
                break;
        }
        size_t hs = first > pos + ctx ? first - ctx : pos;
        size_t he = last + 1 + ctx < nops ? last + 1 + ctx : nops;
        size_t ac = 0, bc = 0;
        for (size_t q = hs; q < he; q++) {
            ac += ops[q].t != '+';
            bc += ops[q].t != '-';
        }
        if (!any) {
            rc = na_buf_printf(out, err, "--- %s\n+++ %s\n", o->label_a ? o->label_a : "before",
                               o->label_b ? o->label_b : "after");
            any = true;
        }
        if (rc == 0)
            rc = na_buf_puts(out, "@@ -", err);
        if (rc == 0)
            rc = range_str(out, ops[hs].ai, ac, err);
        if (rc == 0)
            rc = na_buf_puts(out, " +", err);
        if (rc == 0)
            rc = range_str(out, ops[hs].bj, bc, err);
        if (rc == 0)
            rc = na_buf_puts(out, " @@\n", err);
        for (size_t q = hs; rc == 0 && q < he; q++) {
            const op *p = &ops[q];
            rc = emit_line(out, p->t, p->t == '+' ? &c->b.l[p->bj] : &c->a.l[p->ai], err);
        }
        pos = he;
    }
    free(ops);
    if (changed)
        *changed = any;
    return rc;
}

int na_diff_unified(const char *a, size_t an, const char *b, size_t bn, const na_diff_opts *opts,
                    na_buf *out, bool *changed, na_err *err)
{
    na_diff_opts o = NA_DIFF_OPTS_DEFAULT;
    if (opts)
        o = *opts;
    size_t max = o.max_lines ? o.max_lines : NA_DIFF_MAX_LINES;
    dctx c;
    memset(&c, 0, sizeof c);
    c.max_work = o.max_work ? o.max_work : NA_DIFF_MAX_WORK;
    if (changed)
        *changed = false;
    int rc = split_lines(a, an, o.keep_volatile, max, &c.a, "the first", err);
    if (rc == 0)
        rc = split_lines(b, bn, o.keep_volatile, max, &c.b, "the second", err);
    if (rc == 0)
        rc = intern(&c, err);
    if (rc == 0) {
        size_t vlen = c.a.n + c.b.n + 4;
        c.v1 = malloc(vlen * sizeof *c.v1);
        c.v2 = malloc(vlen * sizeof *c.v2);
        if (!c.v1 || !c.v2)
            rc = na_err_set(err, NA_E_NOMEM, "out of memory");
    }
    if (rc == 0)
        rc = compare_seqs(&c, err);
    if (rc == 0)
        rc = emit(&c, &o, out, changed, err);
    seq *ss[2] = {&c.a, &c.b};
    for (int k = 0; k < 2; k++) {
        free(ss[k]->l);
        free(ss[k]->id);
        free(ss[k]->chg);
    }
    free(c.v1);
    free(c.v2);
    free(c.stack);
    return rc;
}
