/* transcript.c — recording a session's bytes as readable text and parsing it back (format in
 * transcript.h). Not a player: drivers/replay.c turns a parsed script into a transport. */
#include "transcript.h"
#include "buf.h"
#include "clock.h"
#include "hex.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TR_MAGIC "netauto-transcript 1"
#define ECHO_MAX 8      /* secrets whose echo is awaited at once */
#define ECHO_LEN 256    /* longer ones are masked only when whole in one read */

struct na_transcript {
    FILE *f;
    bool own;
    int64_t t0_us;
    int errnum; /* first write error */
    /* echoes to mask (na_transcript_echo_secret) */
    char *echo[ECHO_MAX];
    size_t echo_len[ECHO_MAX];
    size_t necho;
    char hold[ECHO_LEN]; /* received bytes that may begin an awaited secret */
    size_t hold_len;
};

static na_transcript *tr_start(FILE *f, bool own, const char *label, na_err *err)
{
    na_transcript *tr = calloc(1, sizeof *tr);
    if (!tr) {
        if (own)
            fclose(f);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    tr->f = f;
    tr->own = own;
    tr->t0_us = na_now_us();
    fputs(TR_MAGIC "\n", f);
    if (label) {
        char wall[32];
        na_format_wall(na_wall_ms(), wall, sizeof wall);
        char *red = na_redact_dup(label, strlen(label));
        fprintf(f, "# %s, recorded %s\n", red ? red : "?", wall);
        free(red);
    }
    return tr;
}

na_transcript *na_transcript_open(const char *path, const char *label, na_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        na_err_set(err, NA_E_IO, "%s: cannot create transcript: %s", path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        na_err_set(err, NA_E_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    return tr_start(f, true, label, err);
}

na_transcript *na_transcript_to_file(FILE *f, const char *label, na_err *err)
{
    return tr_start(f, false, label, err);
}

void na_tr_write_quoted(FILE *f, const char *p, size_t n)
{
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '\r': fputs("\\r", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\0': fputs("\\0", f); break;
        case '\b': fputs("\\b", f); break;
        case '\a': fputs("\\a", f); break;
        case 0x1b: fputs("\\e", f); break;
        case '\\': fputs("\\\\", f); break;
        case '"': fputs("\\\"", f); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                putc(c, f);
            else
                fprintf(f, "\\x%02x", c);
        }
    }
    putc('"', f);
}

static void stamp(na_transcript *tr)
{
    int64_t us = na_now_us() - tr->t0_us;
    fprintf(tr->f, "%lld.%06lld ", (long long)(us / 1000000), (long long)(us % 1000000));
}

static void check(na_transcript *tr)
{
    if (ferror(tr->f) && !tr->errnum)
        tr->errnum = errno ? errno : EIO;
}

static void record_in(na_transcript *tr, const char *p, size_t n)
{
    if (!n)
        return;
    stamp(tr);
    fputs("< ", tr->f);
    na_tr_write_quoted(tr->f, p, n);
    putc('\n', tr->f);
}

static void flush_hold(na_transcript *tr)
{
    record_in(tr, tr->hold, tr->hold_len);
    tr->hold_len = 0;
}

/* Received data while echoes are awaited: mask every appearance (the echo, and the device
 * quoting the line back in an error), hold back a tail that could be the beginning of one. */
static void record_in_masked(na_transcript *tr, const char *p, size_t n)
{
    size_t tot = tr->hold_len + n;
    char *d = malloc(tot + 1);
    if (!d) {
        flush_hold(tr);
        record_in(tr, p, n);
        return;
    }
    memcpy(d, tr->hold, tr->hold_len);
    memcpy(d + tr->hold_len, p, n);
    tr->hold_len = 0;
    na_buf out;
    na_buf_init(&out, (size_t)1 << 30);
    size_t i = 0;
    int rc = 0;
    while (i < tot && rc == 0) {
        size_t hit = ECHO_MAX;
        for (size_t k = 0; k < tr->necho && hit == ECHO_MAX; k++)
            if (tr->echo_len[k] <= tot - i && !memcmp(d + i, tr->echo[k], tr->echo_len[k]))
                hit = k;
        if (hit < ECHO_MAX) {
            rc = na_buf_append(&out, NA_REDACTED, sizeof NA_REDACTED - 1, NULL, NULL);
            i += tr->echo_len[hit];
            continue;
        }
        /* the rest may begin an awaited secret: keep it for the next read */
        bool prefix = false;
        for (size_t k = 0; k < tr->necho && !prefix; k++)
            prefix = tot - i < tr->echo_len[k] && tot - i < ECHO_LEN &&
                     !memcmp(d + i, tr->echo[k], tot - i);
        if (prefix) {
            memcpy(tr->hold, d + i, tot - i);
            tr->hold_len = tot - i;
            break;
        }
        rc = na_buf_append(&out, d + i, 1, NULL, NULL);
        i++;
    }
    if (rc == 0)
        record_in(tr, na_buf_cstr(&out), out.len);
    else if (!tr->errnum) /* out of memory: nothing rather than an unmasked secret */
        tr->errnum = ENOMEM;
    na_buf_free(&out);
    na_wipe(d, tot);
    free(d);
}

void na_transcript_data(na_transcript *tr, na_tr_kind dir, const char *p, size_t n, bool secret)
{
    if (!tr)
        return;
    if (dir == NA_TR_IN) {
        if (tr->necho)
            record_in_masked(tr, p, n);
        else
            record_in(tr, p, n); /* the device's bytes, as they came */
        check(tr);
        return;
    }
    flush_hold(tr);
    stamp(tr);
    if (secret) {
        fputs("> secret\n", tr->f);
    } else {
        fputs("> ", tr->f);
        char *red = na_contains_secret(p, n) ? na_redact_dup(p, n) : NULL;
        if (red)
            na_tr_write_quoted(tr->f, red, strlen(red));
        else
            na_tr_write_quoted(tr->f, p, n);
        free(red);
        putc('\n', tr->f);
    }
    check(tr);
}

void na_transcript_echo_secret(na_transcript *tr, const char *s, size_t n)
{
    if (!tr || !n)
        return;
    if (tr->necho == ECHO_MAX) { /* the oldest gives way */
        na_wipe(tr->echo[0], tr->echo_len[0]);
        free(tr->echo[0]);
        memmove(tr->echo, tr->echo + 1, (ECHO_MAX - 1) * sizeof *tr->echo);
        memmove(tr->echo_len, tr->echo_len + 1, (ECHO_MAX - 1) * sizeof *tr->echo_len);
        tr->necho--;
    }
    char *c = malloc(n);
    if (!c)
        return;
    memcpy(c, s, n);
    tr->echo[tr->necho] = c;
    tr->echo_len[tr->necho++] = n;
}

void na_transcript_echo_done(na_transcript *tr)
{
    if (!tr)
        return;
    flush_hold(tr);
    for (size_t k = 0; k < tr->necho; k++) {
        na_wipe(tr->echo[k], tr->echo_len[k]);
        free(tr->echo[k]);
    }
    tr->necho = 0;
    check(tr);
}

void na_transcript_eof(na_transcript *tr)
{
    if (!tr)
        return;
    flush_hold(tr);
    stamp(tr);
    fputs("eof\n", tr->f);
    check(tr);
}

void na_transcript_comment(na_transcript *tr, const char *fmt, ...)
{
    if (!tr)
        return;
    flush_hold(tr);
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *q = line; *q; q++)
        if (*q == '\n' || *q == '\r')
            *q = ' ';
    char red[600];
    na_redact_cstr(line, red, sizeof red);
    fprintf(tr->f, "# %s\n", red);
    check(tr);
}

int na_transcript_close(na_transcript *tr, na_err *err)
{
    if (!tr)
        return 0;
    na_transcript_echo_done(tr);
    int rc = 0;
    if (fflush(tr->f) != 0 && !tr->errnum)
        tr->errnum = errno ? errno : EIO;
    if (tr->own && fclose(tr->f) != 0 && !tr->errnum)
        tr->errnum = errno ? errno : EIO;
    if (tr->errnum)
        rc = na_err_set(err, NA_E_IO, "writing the transcript failed: %s", strerror(tr->errnum));
    free(tr);
    return rc;
}

/* ---- parsing ---- */

/* Decode one quoted string starting at *pp (at the opening quote) into b. */
static int parse_quoted(const char **pp, const char *end, na_buf *b, const char **why, na_err *err)
{
    const char *p = *pp + 1;
    while (p < end && *p != '"') {
        char c = *p++;
        if (c != '\\') {
            if (na_buf_append(b, &c, 1, "transcript event", err) < 0)
                return -1;
            continue;
        }
        if (p >= end) {
            *why = "unfinished escape";
            return -1;
        }
        char e = *p++, o;
        switch (e) {
        case 'r': o = '\r'; break;
        case 'n': o = '\n'; break;
        case 't': o = '\t'; break;
        case '0': o = '\0'; break;
        case 'b': o = '\b'; break;
        case 'a': o = '\a'; break;
        case 'e': o = 0x1b; break;
        case '\\': o = '\\'; break;
        case '"': o = '"'; break;
        case 'x': {
            int h = p < end ? na_hexval(*p) : -1, l = p + 1 < end ? na_hexval(p[1]) : -1;
            if (h < 0 || l < 0) {
                *why = "bad \\x escape (two hex digits expected)";
                return -1;
            }
            o = (char)(h * 16 + l);
            p += 2;
            break;
        }
        default:
            *why = "unknown escape";
            return -1;
        }
        if (na_buf_append(b, &o, 1, "transcript event", err) < 0)
            return -1;
    }
    if (p >= end) {
        *why = "missing closing quote";
        return -1;
    }
    *pp = p + 1;
    return 0;
}

static const char *skip_sp(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static int add_event(na_tr_script *s, size_t *cap, na_tr_event ev, na_err *err)
{
    if (s->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        na_tr_event *ne = realloc(s->ev, nc * sizeof *ne);
        if (!ne)
            return na_err_set(err, NA_E_NOMEM, "out of memory");
        s->ev = ne;
        *cap = nc;
    }
    s->ev[s->n++] = ev;
    return 0;
}

/* One line: [TIME] (< "..." ["..."]... | > "..." | > secret | eof). */
static int parse_line(na_tr_script *s, size_t *cap, const char *p, const char *end, unsigned ln,
                      na_err *err)
{
    const char *why = NULL;
    na_tr_event ev = {.line = ln};
    if (p < end && *p >= '0' && *p <= '9') {
        char *q;
        double t = strtod(p, &q);
        if (q > end || q == p) {
            why = "bad time";
            goto bad;
        }
        ev.t_us = (int64_t)(t * 1e6 + 0.5);
        p = skip_sp(q, end);
    }
    if (end - p >= 3 && !memcmp(p, "eof", 3) && skip_sp(p + 3, end) == end) {
        ev.kind = NA_TR_EOF;
        return add_event(s, cap, ev, err);
    }
    if (end - p >= 5 && !memcmp(p, "pause", 5) && skip_sp(p + 5, end) == end) {
        ev.kind = NA_TR_PAUSE;
        return add_event(s, cap, ev, err);
    }
    if (p >= end || (*p != '<' && *p != '>')) {
        why = "expected '<', '>', 'eof' or 'pause'";
        goto bad;
    }
    ev.kind = *p == '<' ? NA_TR_IN : NA_TR_OUT;
    p = skip_sp(p + 1, end);
    if (ev.kind == NA_TR_OUT && end - p >= 6 && !memcmp(p, "secret", 6) &&
        skip_sp(p + 6, end) == end) {
        ev.kind = NA_TR_SECRET;
        return add_event(s, cap, ev, err);
    }
    na_buf b;
    na_buf_init(&b, (size_t)1 << 26);
    if (p >= end || *p != '"') {
        why = "expected a quoted string";
        goto bad;
    }
    while (p < end && *p == '"') {
        if (parse_quoted(&p, end, &b, &why, err) < 0) {
            na_buf_free(&b);
            if (!why)
                return -1;
            goto bad;
        }
        p = skip_sp(p, end);
    }
    if (p != end) {
        na_buf_free(&b);
        why = "unexpected text after the string";
        goto bad;
    }
    ev.len = b.len;
    ev.data = na_buf_steal(&b);
    if (!ev.data)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    if (add_event(s, cap, ev, err) < 0) {
        free(ev.data);
        return -1;
    }
    return 0;
bad:
    return na_err_set(err, NA_E_CONFIG, "%s:%u: %s", s->name, ln, why);
}

int na_tr_script_parse(const char *name, const char *text, size_t n, na_tr_script *out,
                       na_err *err)
{
    memset(out, 0, sizeof *out);
    out->name = strdup(name ? name : "<transcript>");
    if (!out->name)
        return na_err_set(err, NA_E_NOMEM, "out of memory");
    size_t cap = 0;
    bool magic = false;
    unsigned ln = 0;
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        ln++;
        const char *q = skip_sp(p, eol);
        const char *e = eol;
        while (e > q && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (q < e && *q != '#') {
            if (!magic) {
                if ((size_t)(e - q) != strlen(TR_MAGIC) || memcmp(q, TR_MAGIC, (size_t)(e - q)))
                    return na_err_set(err, NA_E_CONFIG, "%s:%u: not a transcript (expected '%s')",
                                      out->name, ln, TR_MAGIC);
                magic = true;
            } else if (parse_line(out, &cap, q, e, ln, err) < 0) {
                return -1;
            }
        }
        p = eol < end ? eol + 1 : end;
    }
    if (!magic)
        return na_err_set(err, NA_E_CONFIG, "%s: empty transcript", out->name);
    return 0;
}

int na_tr_script_load(const char *path, na_tr_script *out, na_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return na_err_set(err, NA_E_IO, "%s: cannot open: %s", path, strerror(errno));
    na_buf b;
    na_buf_init(&b, (size_t)1 << 28);
    char chunk[65536];
    size_t r;
    int rc = 0;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = na_buf_append(&b, chunk, r, path, err)) < 0)
            break;
    fclose(f);
    if (rc == 0)
        rc = na_tr_script_parse(path, na_buf_cstr(&b), b.len, out, err);
    na_buf_free(&b);
    return rc;
}

void na_tr_script_free(na_tr_script *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->ev[i].data);
    free(s->ev);
    free(s->name);
    memset(s, 0, sizeof *s);
}
