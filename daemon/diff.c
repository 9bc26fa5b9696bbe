/* diff.c — unified diff (see diff.h): split into lines, trim the common head and tail, Myers'
 * greedy algorithm with a saved trace for the middle, then hunks with context. Lines are
 * compared with a hash first. Not a general text library. */
#include "diff.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    const char *p;
    size_t n; /* including the '\n' if present */
    uint64_t h;
} line;

static size_t split(const char *s, size_t len, line **out)
{
    size_t cnt = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n')
            cnt++;
    if (len && s[len - 1] != '\n')
        cnt++;
    line *v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v) {
        *out = NULL;
        return (size_t)-1;
    }
    size_t k = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' || i == len - 1) {
            v[k].p = s + start;
            v[k].n = i + 1 - start;
            uint64_t h = 1469598103934665603ull;
            for (size_t j = 0; j < v[k].n; j++)
                h = (h ^ (unsigned char)v[k].p[j]) * 1099511628211ull;
            v[k].h = h;
            k++;
            start = i + 1;
        }
    }
    *out = v;
    return cnt;
}

static int eq(const line *a, const line *b)
{
    return a->h == b->h && a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

enum { OP_EQ, OP_DEL, OP_INS };
typedef struct op {
    unsigned char t;
    size_t ai, bi; /* index in a (EQ, DEL) and b (EQ, INS) */
} op;

/* Myers on a[0..n) vs b[0..m); appends ops (forward order) to *ops. Returns 0, -1 on OOM, 1 when
 * more than NA_DIFF_MAX_EDITS edits are needed. */
static int myers(const line *a, size_t n, const line *b, size_t m, size_t aoff, size_t boff,
                 op *ops, size_t *nops)
{
    long N = (long)n, M = (long)m;
    long maxd = N + M;
    if (maxd > NA_DIFF_MAX_EDITS)
        maxd = NA_DIFF_MAX_EDITS;
    long off = maxd + 1;
    long *v = calloc((size_t)(2 * maxd + 3), sizeof *v);
    long **trace = calloc((size_t)maxd + 1, sizeof *trace);
    if (!v || !trace) {
        free(v);
        free(trace);
        return -1;
    }
    long D = -1;
    for (long d = 0; d <= maxd && D < 0; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1];
            else
                x = v[off + k - 1] + 1;
            long y = x - k;
            while (x < N && y < M && eq(&a[x], &b[y])) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= N && y >= M) {
                D = d;
                break;
            }
        }
        trace[d] = malloc((size_t)(2 * d + 1) * sizeof(long));
        if (!trace[d]) {
            D = -2;
            break;
        }
        memcpy(trace[d], &v[off - d], (size_t)(2 * d + 1) * sizeof(long));
    }
    int rc = 0;
    if (D == -2)
        rc = -1;
    else if (D < 0)
        rc = 1;
    else {
        /* backtrack into a reversed list */
        size_t cap = (size_t)(N + M), k_ops = 0;
        op *rev = malloc((cap ? cap : 1) * sizeof *rev);
        if (!rev)
            rc = -1;
        else {
            long x = N, y = M;
            for (long d = D; d > 0; d--) {
                long *pv = trace[d - 1]; /* V after step d-1, index k + (d-1) */
                long k = x - y, pk;
                if (k == -d || (k != d && pv[k - 1 + (d - 1)] < pv[k + 1 + (d - 1)]))
                    pk = k + 1;
                else
                    pk = k - 1;
                long px = pv[pk + (d - 1)], py = px - pk;
                while (x > px && y > py) { /* the snake after the edit */
                    x--;
                    y--;
                    rev[k_ops++] = (op){OP_EQ, (size_t)x, (size_t)y};
                }
                if (x == px) /* came down: insertion of b[py] */
                    rev[k_ops++] = (op){OP_INS, (size_t)x, (size_t)py};
                else /* came right: deletion of a[px] */
                    rev[k_ops++] = (op){OP_DEL, (size_t)px, (size_t)y};
                x = px;
                y = py;
            }
            while (x > 0 && y > 0) {
                x--;
                y--;
                rev[k_ops++] = (op){OP_EQ, (size_t)x, (size_t)y};
            }
            for (size_t i = k_ops; i-- > 0;) {
                op o = rev[i];
                o.ai += aoff;
                o.bi += boff;
                ops[(*nops)++] = o;
            }
            free(rev);
        }
    }
    for (long d = 0; d <= maxd; d++)
        free(trace[d]);
    free(trace);
    free(v);
    return rc;
}

static int emit_line(na_buf *o, char mark, const line *l, na_err *err)
{
    if (na_buf_append(o, &mark, 1, "diff", err) < 0 ||
        na_buf_append(o, l->p, l->n, "diff", err) < 0)
        return -1;
    if (l->n == 0 || l->p[l->n - 1] != '\n')
        return na_buf_puts(o, "\n\\ No newline at end of file\n", err);
    return 0;
}

static int range(na_buf *o, char sign, size_t start, size_t len, na_err *err)
{
    /* diff -u: 1-based start; a one-line range omits ",1"; an empty range names the line
     * before it */
    if (len == 1)
        return na_buf_printf(o, err, "%c%zu", sign, start + 1);
    return na_buf_printf(o, err, "%c%zu,%zu", sign, len ? start + 1 : start, len);
}

char *na_udiff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
               const char *label_b, int context, size_t max_out, na_err *err)
{
    line *la = NULL, *lb = NULL;
    op *ops = NULL;
    char *res = NULL;
    na_buf o;
    na_buf_init(&o, max_out ? max_out : (size_t)16 << 20);
    size_t na = split(a, alen, &la), nb = split(b, blen, &lb);
    if (na == (size_t)-1 || nb == (size_t)-1) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto out;
    }
    ops = malloc((na + nb + 1) * sizeof *ops);
    if (!ops) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto out;
    }
    size_t nops = 0, pre = 0, suf = 0;
    while (pre < na && pre < nb && eq(&la[pre], &lb[pre]))
        pre++;
    while (suf < na - pre && suf < nb - pre && eq(&la[na - 1 - suf], &lb[nb - 1 - suf]))
        suf++;
    for (size_t i = 0; i < pre; i++)
        ops[nops++] = (op){OP_EQ, i, i};
    size_t ma = na - pre - suf, mb = nb - pre - suf;
    int r = myers(la + pre, ma, lb + pre, mb, pre, pre, ops, &nops);
    if (r < 0) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        goto out;
    }
    if (r > 0) { /* too different: replace the whole middle */
        for (size_t i = 0; i < ma; i++)
            ops[nops++] = (op){OP_DEL, pre + i, pre};
        for (size_t i = 0; i < mb; i++)
            ops[nops++] = (op){OP_INS, pre + ma, pre + i};
    }
    for (size_t i = 0; i < suf; i++)
        ops[nops++] = (op){OP_EQ, na - suf + i, nb - suf + i};

    size_t ctx = context < 0 ? 0 : (size_t)context;
    int header = 0;
    size_t i = 0;
    while (i < nops) {
        while (i < nops && ops[i].t == OP_EQ)
            i++;
        if (i == nops)
            break;
        /* a hunk starts ctx lines before the change at i */
        size_t hs = i >= ctx ? i - ctx : 0;
        size_t he = i; /* exclusive end, extended over changes and short gaps */
        for (;;) {
            while (he < nops && ops[he].t != OP_EQ)
                he++;
            size_t g = he;
            while (g < nops && ops[g].t == OP_EQ)
                g++;
            if (g < nops && g - he <= 2 * ctx) {
                he = g;
                continue;
            }
            he = he + ctx < g ? he + ctx : g;
            break;
        }
        if (!header) {
            if (na_buf_printf(&o, err, "--- %s\n+++ %s\n", label_a ? label_a : "a",
                              label_b ? label_b : "b") < 0)
                goto out;
            header = 1;
        }
        size_t a0 = ops[hs].ai, b0 = ops[hs].bi;
        size_t acnt = 0, bcnt = 0;
        for (size_t j = hs; j < he; j++) {
            acnt += ops[j].t != OP_INS;
            bcnt += ops[j].t != OP_DEL;
        }
        if (na_buf_puts(&o, "@@ ", err) < 0 || range(&o, '-', a0, acnt, err) < 0 ||
            na_buf_puts(&o, " ", err) < 0 || range(&o, '+', b0, bcnt, err) < 0 ||
            na_buf_puts(&o, " @@\n", err) < 0)
            goto out;
        for (size_t j = hs; j < he;) {
            if (ops[j].t == OP_EQ) {
                if (emit_line(&o, ' ', &la[ops[j].ai], err) < 0)
                    goto out;
                j++;
                continue;
            }
            size_t k = j;
            while (k < he && ops[k].t != OP_EQ)
                k++;
            for (size_t q = j; q < k; q++)
                if (ops[q].t == OP_DEL && emit_line(&o, '-', &la[ops[q].ai], err) < 0)
                    goto out;
            for (size_t q = j; q < k; q++)
                if (ops[q].t == OP_INS && emit_line(&o, '+', &lb[ops[q].bi], err) < 0)
                    goto out;
            j = k;
        }
        i = he;
    }
    res = na_buf_steal(&o);
    if (!res)
        na_err_set(err, NA_E_NOMEM, "out of memory");
out:
    na_buf_free(&o);
    free(ops);
    free(la);
    free(lb);
    return res;
}
