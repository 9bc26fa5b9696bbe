/* vtnorm.c — streaming terminal-output normaliser (rules in vtnorm.h): newlines, carriage
 * returns, backspaces, ANSI/VT100 escape sequences and junk controls, one byte of state machine at
 * a time so any read split gives the same text. Not a terminal emulator (one line, no screen). */
#include "vtnorm.h"

#include <stdlib.h>
#include <string.h>

enum { ST_TEXT = 0, ST_ESC, ST_ESC_INTER, ST_CSI, ST_STR, ST_STR_ESC };

#define CSI_MAX 64    /* longer CSI sequences are abandoned */
#define STR_MAX 4096  /* longer OSC/DCS/... strings are abandoned */
#define CSI_ARG_MAX 9999u

void na_vtnorm_init(na_vtnorm *v)
{
    memset(v, 0, sizeof *v);
}

/* Bytes that go straight into the current line: printable ASCII, TAB and everything >= 0x80. */
static bool plain(unsigned char c)
{
    return (c >= 0x20 && c != 0x7f) || c == '\t';
}

static size_t line_len(const na_vtnorm *v, const na_buf *b)
{
    return b->len - v->line_start;
}

/* The lowest column the cursor may reach: NA_VTNORM_EDIT_MAX back from the end of the line.
 * Every edit then costs at most that many bytes, so hostile input stays linear. */
static size_t edit_lo(const na_vtnorm *v, const na_buf *b)
{
    size_t len = line_len(v, b);
    return len > NA_VTNORM_EDIT_MAX ? len - NA_VTNORM_EDIT_MAX : 0;
}

/* ---- CR history ---- */

static void cr_reset(na_vtnorm *v)
{
    v->cr_pending = v->cr_rewritten = v->cr_lost = false;
    v->cr_nseg = 0;
    v->cr_ext = v->cr_len = 0;
}

/* The first character after a bare CR is about to overwrite the line: remember what it held
 * (since the previous rewrite, if any). An empty line is not a rewrite. */
static void cr_begin(na_vtnorm *v, const na_buf *b)
{
    v->cr_pending = false;
    size_t len = line_len(v, b);
    size_t keep = v->cr_rewritten ? (v->cr_ext < len ? v->cr_ext : len) : len;
    if (keep == 0 && !v->cr_rewritten)
        return;
    if (!v->cr_lost) {
        if (v->cr_nseg == NA_VTNORM_CR_SEGS || keep > NA_VTNORM_CR_KEEP - v->cr_len) {
            v->cr_lost = true;
        } else {
            memcpy(v->cr_prev + v->cr_len, b->data + v->line_start, keep);
            v->cr_len += keep;
            v->cr_seg[v->cr_nseg++] = v->cr_len;
        }
    }
    v->cr_rewritten = true;
    v->cr_ext = 0;
}

static int put(na_vtnorm *v, na_buf *b, char c, const char *what, na_err *err)
{
    if (v->cr_pending)
        cr_begin(v, b);
    if (v->col == line_len(v, b)) {
        if (na_buf_append(b, &c, 1, what, err) < 0)
            return -1;
    } else {
        b->data[v->line_start + v->col] = c;
    }
    v->col++;
    if (v->cr_rewritten && v->col > v->cr_ext)
        v->cr_ext = v->col;
    return 0;
}

static int newline(na_vtnorm *v, na_buf *b, const char *what, na_err *err)
{
    /* A line rewritten after a carriage return ends here: blanks after the cursor are what was
     * left of an erase-by-overwrite (CR, spaces, CR), not text. */
    size_t len = line_len(v, b);
    if (v->col < len) {
        const char *line = b->data + v->line_start;
        size_t k = v->col;
        while (k < len && line[k] == ' ')
            k++;
        if (k == len)
            na_buf_truncate(b, v->line_start + v->col);
    }
    if (na_buf_append(b, "\n", 1, what, err) < 0)
        return -1;
    if (v->cr_rewritten && v->on_cr_line)
        v->on_cr_line(v->on_cr_line_ud, v, b, v->line_start, b->len - 1);
    cr_reset(v);
    v->line_start = b->len;
    v->col = 0;
    return 0;
}

static void delete_range(na_vtnorm *v, na_buf *b, size_t from, size_t to) /* line offsets */
{
    na_buf_erase(b, v->line_start + from, to - from);
}

static void backspace(na_vtnorm *v, na_buf *b)
{
    size_t lo = edit_lo(v, b);
    if (v->col <= lo)
        return;
    const unsigned char *line = (const unsigned char *)b->data + v->line_start;
    size_t k = v->col - 1;
    if ((line[k] & 0xc0) == 0x80) { /* UTF-8 continuation: erase the whole character */
        size_t j = k;
        while (j > lo && (line[j] & 0xc0) == 0x80)
            j--;
        if (line[j] >= 0xc0)
            k = j;
    }
    delete_range(v, b, k, v->col);
    v->col = k;
}

static void csi_final(na_vtnorm *v, na_buf *b, unsigned char f)
{
    if (v->csi_priv)
        return; /* private sequences (ESC [ ? 2004 h ...) change modes only */
    size_t len = line_len(v, b), lo = edit_lo(v, b);
    unsigned n = v->csi_has_arg && v->csi_arg > 0 ? v->csi_arg : 1;
    switch (f) {
    case 'K': {
        unsigned mode = v->csi_has_arg ? v->csi_arg : 0;
        if (mode == 0) {
            na_buf_truncate(b, v->line_start + v->col);
        } else if (mode == 1 && v->col > lo) { /* (an empty buffer has no data at all) */
            memset(b->data + v->line_start + lo, ' ', v->col - lo);
        } else if (mode == 2) {
            na_buf_truncate(b, v->line_start);
            v->col = 0;
        }
        break;
    }
    case 'D':
        v->col = v->col > lo + n ? v->col - n : lo;
        break;
    case 'C':
        v->col = v->col + n < len ? v->col + n : len;
        break;
    case 'G':
        v->col = n - 1 < len ? n - 1 : len;
        if (v->col < lo)
            v->col = lo;
        break;
    default:
        break;
    }
}

/* One byte in ST_TEXT. */
static int text_byte(na_vtnorm *v, na_buf *b, unsigned char c, const char *what, na_err *err)
{
    if (v->cr) {
        if (c == '\r')
            return 0; /* CR CR ... LF is one newline */
        v->cr = false;
        if (c == '\n')
            return newline(v, b, what, err);
        v->col = edit_lo(v, b); /* a bare carriage return: column 0 on any real line */
        v->cr_pending = true;   /* what comes next rewrites the line (see cr_begin) */
        if (c == '\0')
            return 0; /* Telnet's CR NUL */
    }
    switch (c) {
    case '\r':
        v->cr = true;
        return 0;
    case '\n':
        return newline(v, b, what, err);
    case '\b':
        backspace(v, b);
        return 0;
    case 0x1b:
        v->state = ST_ESC;
        v->seq_len = 0;
        return 0;
    default:
        if (plain(c))
            return put(v, b, (char)c, what, err);
        return 0; /* NUL, BEL, DEL and other junk */
    }
}

int na_vtnorm_feed(na_vtnorm *v, na_buf *b, const char *in, size_t n, const char *what,
                   na_err *err)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;
    while (i < n) {
        /* fast path: a run of ordinary text appended at the end of the line */
        if (v->state == ST_TEXT && !v->cr && v->col == line_len(v, b)) {
            size_t j = i;
            while (j < n && plain(p[j]))
                j++;
            if (j > i) {
                if (v->cr_pending)
                    cr_begin(v, b);
                if (na_buf_append(b, in + i, j - i, what, err) < 0)
                    return -1;
                v->col += j - i;
                if (v->cr_rewritten && v->col > v->cr_ext)
                    v->cr_ext = v->col;
                i = j;
                continue;
            }
        }
        unsigned char c = p[i++];
        switch (v->state) {
        case ST_TEXT:
            if (text_byte(v, b, c, what, err) < 0)
                return -1;
            break;
        case ST_ESC:
            if (c == '[') {
                v->state = ST_CSI;
                v->csi_arg = 0;
                v->csi_has_arg = false;
                v->csi_priv = 0;
                v->seq_len = 0;
            } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
                v->state = ST_STR;
                v->seq_len = 0;
            } else if (c >= 0x20 && c <= 0x2f) {
                v->state = ST_ESC_INTER;
            } else if (c >= 0x30 && c <= 0x7e) {
                v->state = ST_TEXT; /* two-byte escape (ESC 7, ESC =, ESC M ...) */
            } else if (c == 0x1b) {
                /* ESC ESC: the second one starts over */
            } else {
                v->state = ST_TEXT; /* a control (or junk) cancels the escape and is executed */
                if (c != 0x18 && c != 0x1a)
                    i--;
            }
            break;
        case ST_ESC_INTER:
            if (c >= 0x20 && c <= 0x2f) {
                if (++v->seq_len > CSI_MAX)
                    v->state = ST_TEXT;
            } else if (c >= 0x30 && c <= 0x7e) {
                v->state = ST_TEXT;
            } else {
                v->state = ST_TEXT;
                if (c != 0x18 && c != 0x1a)
                    i--;
            }
            break;
        case ST_CSI:
            if (++v->seq_len > CSI_MAX) {
                v->state = ST_TEXT;
            } else if (c >= '0' && c <= '9') {
                if (v->csi_arg <= CSI_ARG_MAX)
                    v->csi_arg = v->csi_arg * 10 + (c - '0');
                v->csi_has_arg = true;
            } else if (c == ';' || c == ':') {
                v->csi_arg = CSI_ARG_MAX + 1; /* several parameters: none of ours */
            } else if (c >= 0x3c && c <= 0x3f) {
                v->csi_priv = c;
            } else if (c >= 0x20 && c <= 0x2f) {
                v->csi_priv = v->csi_priv ? v->csi_priv : c; /* intermediates: not ours either */
            } else if (c >= 0x40 && c <= 0x7e) {
                v->state = ST_TEXT;
                if (v->csi_arg <= CSI_ARG_MAX)
                    csi_final(v, b, c);
            } else if (c == 0x1b) {
                v->state = ST_ESC;
            } else {
                v->state = ST_TEXT;
                if (c != 0x18 && c != 0x1a)
                    i--;
            }
            break;
        case ST_STR:
            if (c == 0x07) {
                v->state = ST_TEXT;
            } else if (c == 0x1b) {
                v->state = ST_STR_ESC;
            } else if (++v->seq_len > STR_MAX) {
                v->state = ST_TEXT; /* abandoned: the rest is text again */
                i--;
            }
            break;
        case ST_STR_ESC:
            if (c == '\\') {
                v->state = ST_TEXT;
            } else {
                v->state = ST_ESC; /* ESC + something else: a new escape sequence */
                i--;
            }
            break;
        }
    }
    return 0;
}

void na_vtnorm_shifted(na_vtnorm *v, size_t k)
{
    v->line_start = k <= v->line_start ? v->line_start - k : 0;
}

void na_vtnorm_truncated(na_vtnorm *v, const na_buf *b)
{
    if (b->len < v->line_start)
        v->line_start = b->len;
    v->col = b->len - v->line_start;
    cr_reset(v);
}

bool na_vtnorm_cr_split(const na_vtnorm *v, const na_buf *b, const char **prev, size_t *prev_len,
                        size_t *now_len)
{
    if (!v->cr_rewritten || v->cr_lost || v->cr_len == 0)
        return false;
    size_t len = line_len(v, b);
    *prev = v->cr_prev;
    *prev_len = v->cr_len;
    *now_len = v->cr_ext < len ? v->cr_ext : len;
    return true;
}

int na_vtnorm_cr_break(na_vtnorm *v, na_buf *b, const char *what, na_err *err)
{
    const char *prev;
    size_t pl, nowl;
    if (!na_vtnorm_cr_split(v, b, &prev, &pl, &nowl))
        return 0;
    char *now = malloc(nowl + 1);
    if (!now)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    memcpy(now, b->data + v->line_start, nowl);
    na_buf_truncate(b, v->line_start);
    size_t from = 0;
    int rc = 0;
    for (unsigned i = 0; i < v->cr_nseg && rc == 0; i++) {
        rc = na_buf_append(b, v->cr_prev + from, v->cr_seg[i] - from, what, err);
        if (rc == 0)
            rc = na_buf_append(b, "\n", 1, what, err);
        from = v->cr_seg[i];
    }
    size_t ls = b->len;
    if (rc == 0)
        rc = na_buf_append(b, now, nowl, what, err);
    free(now);
    cr_reset(v);
    v->line_start = ls <= b->len ? ls : b->len;
    v->col = b->len - v->line_start;
    return rc < 0 ? -1 : 1;
}

size_t na_vtnorm_cr_wrapped(const na_vtnorm *v, const na_buf *b, size_t ls, size_t le, char *out,
                            size_t cap)
{
    if (!v->cr_rewritten || v->cr_lost || le < ls)
        return 0;
    size_t o = 0, from = 0;
    for (unsigned i = 0; i < v->cr_nseg; i++) {
        size_t to = v->cr_seg[i];
        size_t k = to - from;
        if (k && (v->cr_prev[to - 1] == ' ' || v->cr_prev[to - 1] == '\t'))
            k--; /* the blank a wrapping line editor prints before its CR */
        if (k > cap - o)
            return 0;
        memcpy(out + o, v->cr_prev + from, k);
        o += k;
        from = to;
    }
    size_t now = v->cr_ext < le - ls ? v->cr_ext : le - ls;
    if (now > cap - o)
        return 0;
    memcpy(out + o, b->data + ls, now);
    return o + now;
}

char *na_vtnorm_string(const char *in, size_t n, size_t *out_len)
{
    na_vtnorm v;
    na_buf b;
    na_vtnorm_init(&v);
    na_buf_init(&b, n + 1);
    if (na_vtnorm_feed(&v, &b, in, n, NULL, NULL) < 0) {
        na_buf_free(&b);
        return NULL;
    }
    if (out_len)
        *out_len = b.len;
    return na_buf_steal(&b);
}
