/* sim_gen.c — output generators for the terminal (see sim_term_int.h): the lines of a text,
 * and the huge show tech-support of the huge-output fault, produced a line at a time as the
 * session drains so its size never sits in memory. Not the pager: sim_term.c pages. */
#include "sim_term_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text_gen {
    sim_gen g;
    char *data;
    size_t len, pos;
} text_gen;

static int text_next(sim_gen *g, na_buf *line)
{
    text_gen *t = (text_gen *)g;
    if (t->pos >= t->len)
        return 0;
    const char *s = t->data + t->pos;
    const char *nl = memchr(s, '\n', t->len - t->pos);
    size_t n = nl ? (size_t)(nl - s) : t->len - t->pos;
    if (na_buf_append(line, s, n, "output line", NULL) < 0) {
        /* past the line's ceiling: the line is dropped, like a device's overrun buffer */
    }
    t->pos += n + (nl ? 1 : 0);
    return 1;
}

static void text_free(sim_gen *g)
{
    text_gen *t = (text_gen *)g;
    free(t->data);
    free(t);
}

sim_gen *sim_gen_text(na_buf *text)
{
    text_gen *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->g.next = text_next;
    t->g.free = text_free;
    t->len = text->len;
    t->data = na_buf_steal(text);
    if (!t->data) {
        free(t);
        return NULL;
    }
    return &t->g;
}

/* ---- huge output ------------------------------------------------------------------------- */

#define HUGE_LINE 78 /* characters per line; 80 bytes with "\r\n" */

typedef struct huge_gen {
    sim_gen g;
    unsigned long long left, lineno;
    char host[64];
} huge_gen;

static int huge_next(sim_gen *g, na_buf *line)
{
    static const char fill[] = "GigabitEthernet counters input packets output packets drops "
                               "crc frame overrun ignored ";
    huge_gen *h = (huge_gen *)g;
    if (h->left == 0)
        return 0;
    size_t n = h->left >= HUGE_LINE + 2 + 2 ? HUGE_LINE : (size_t)(h->left - 2);
    char buf[HUGE_LINE + 4]; /* the last line may be up to HUGE_LINE + 1 characters */
    int k = snprintf(buf, sizeof buf, "%s tech %09llu ", h->host, ++h->lineno);
    size_t pos = k > 0 ? (size_t)k : 0;
    if (pos > HUGE_LINE)
        pos = HUGE_LINE;
    for (size_t i = 0; pos < HUGE_LINE + 2; i++)
        buf[pos++] = fill[i % (sizeof fill - 1)];
    if (na_buf_append(line, buf, n, "output line", NULL) < 0) {
        /* past the line's ceiling: the line is dropped, like a device's overrun buffer */
    }
    h->left -= n + 2;
    return 1;
}

static void huge_free(sim_gen *g) { free(g); }

sim_gen *sim_gen_huge(const sim_device *d, unsigned long long bytes)
{
    huge_gen *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->g.next = huge_next;
    h->g.free = huge_free;
    h->left = bytes < 2 ? 2 : bytes;
    snprintf(h->host, sizeof h->host, "%.40s", d->hostname);
    return &h->g;
}
